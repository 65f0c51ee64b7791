"""The organiser's live page in Chromium on the day: who is waiting for a table and the one
click that seats them, the re-plan preview with who is planned for and who is left out, and
a clock that asks before re-timing an event that is a day away, and resets.

The live server runs on the real clock, so the events are placed around it: one whose round 1
(of 30 minutes) began ten minutes ago, one that starts tomorrow."""

from __future__ import annotations

import datetime as dt
import os
import uuid
import zoneinfo
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ORGANISER_EMAIL, PASSWORD, TIMEZONE, csp_errors, script_errors
from web.attendees.models import Attendee
from web.checkin.services import check_in
from web.events.models import Event
from web.extensions import db
from web.schedules.planning import plan_event
from web.schedules.publishing import publish_version

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SPEEDNET_SCREENSHOTS", "/tmp/speednet-screenshots"))
RUNNING, TOMORROW = "live-running", "live-tomorrow"


def local_now() -> dt.datetime:
    return dt.datetime.now(zoneinfo.ZoneInfo(TIMEZONE)).replace(tzinfo=None, second=0, microsecond=0)


def _event(slug: str, start: dt.datetime) -> Event:
    event = Event(slug=slug, name=f"Live {slug}", venue="Hall A", date=start.date(), timezone=TIMEZONE,
                  start=start, round_minutes=30, changeover_minutes=5, rounds=4, tables=6)
    db.session.add(event)
    db.session.commit()
    return event


def _people(event: Event, names: list[str], first: int = 0, source: str = "import") -> list[Attendee]:
    rows = []
    for i, name in enumerate(names, start=first):
        row = Attendee(event_id=event.id, ext_id=f"P{i:02d}", name=name, company=f"Company {i}",
                       region=["EMEA", "APAC", "NA"][i % 3], partner_type=["ISV", "SI", "MSP"][i % 3],
                       offers=["Hosting"] if i % 2 else ["AI"], seeks=["AI"] if i % 2 else ["Hosting"],
                       badge_number=i + 1,
                       source=source)
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    return rows


@pytest.fixture(scope="module")
def events(live) -> None:
    with live.context():
        running = _event(RUNNING, local_now() - dt.timedelta(minutes=10))
        people = _people(running, [f"Person {i:02d}" for i in range(10)])
        publish_version(plan_event(running, time_limit=1, seed=1))
        for person in people[2:]:                      # Person 00 and 01 never come
            check_in(running, person.checkin_code, nonce=uuid.uuid4().hex)
        walk_in = _people(running, ["Walker Kim"], first=10, source="walk-in")[0]
        check_in(running, walk_in.checkin_code, nonce=uuid.uuid4().hex)
        _event(TOMORROW, local_now().replace(hour=14, minute=0) + dt.timedelta(days=1))


def sign_in(page, live) -> None:
    page.goto(live.url("/login"))
    page.get_by_label("Email").fill(ORGANISER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(live.url("/login"))


def test_the_waiting_list_and_the_replan_preview(live, open_page, events) -> None:
    page = open_page()
    sign_in(page, live)
    page.goto(live.url(f"/console/{RUNNING}/live/"))
    waiting = page.get_by_test_id("waiting")
    expect(waiting.get_by_role("heading", name="Waiting for a table (1)")).to_be_visible()
    expect(waiting).to_contain_text("Walker Kim")
    preview = page.get_by_test_id("replan-preview")
    expect(preview.get_by_role("heading", name="Planned for: 9")).to_be_visible()
    expect(preview.get_by_role("heading", name="Left out: 2")).to_be_visible()
    expect(preview).to_contain_text("Person 00")
    expect(preview).to_contain_text("Person 01")
    expect(page.get_by_test_id("clock")).to_contain_text("Round 1 of 4")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "live-waiting.png"), full_page=True)

    page.get_by_role("button", name="Revise and publish for them").click()
    expect(page.locator("#job")).to_have_attribute("data-finished", "true", timeout=60_000)
    page.goto(live.url(f"/console/{RUNNING}/live/"))
    expect(page.get_by_test_id("waiting").get_by_role("heading", name="Waiting for a table (0)")).to_be_visible()
    page.screenshot(path=str(SHOTS / "live-seated.png"), full_page=True)
    assert csp_errors(page) == [] and script_errors(page) == []


def test_starting_a_day_early_asks_first_and_the_clock_resets(live, open_page, events) -> None:
    page = open_page()
    sign_in(page, live)
    page.goto(live.url(f"/console/{TOMORROW}/live/"))
    expect(page.get_by_test_id("clock")).to_contain_text("follows the timetable")
    page.get_by_role("button", name="Start round 1 now").click()
    confirm = page.get_by_test_id("clock-confirm")
    expect(confirm).to_contain_text("Starting now moves round 1")
    expect(confirm).to_contain_text("14:00")
    page.screenshot(path=str(SHOTS / "live-confirm-start.png"), full_page=True)
    page.get_by_role("button", name="Yes, start round 1 now").click()
    expect(page.get_by_text("Clock started: round 1 is on.")).to_be_visible()
    expect(page.get_by_test_id("clock")).to_contain_text("Round 1 of 4")

    page.get_by_role("button", name="Reset to the timetable").click()
    expect(page.get_by_test_id("clock-confirm")).to_contain_text("moves round 1 back")
    page.get_by_role("button", name="Yes, reset to the timetable").click()
    expect(page.get_by_text("Clock reset")).to_be_visible()
    expect(page.get_by_test_id("clock")).to_contain_text("follows the timetable")
    expect(page.get_by_test_id("clock")).to_contain_text("Before round 1")
    assert csp_errors(page) == [] and script_errors(page) == []
