"""After publishing, in Chromium: an organiser withdraws a cancelled attendee from the list,
revises (the default once published), reads how many agendas change, publishes; a full
re-generate asks first how many agendas it can change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from scheduler.generator import generate_event
from tests.browser.conftest import ORGANISER_EMAIL, PASSWORD, TIMEZONE, csp_errors, script_errors
from web.attendees.models import Attendee
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleVersion
from web.schedules.planning import plan_event
from web.schedules.publishing import publish_version

pytestmark = pytest.mark.browser

SLUG = "revise-summit"
ROUNDS = 5
PEOPLE = generate_event(18, rounds=ROUNDS, seed=9)
# Next month: every round is still to come, as when cancellations arrive before the event.
START = (dt.datetime.now() + dt.timedelta(days=30)).replace(hour=14, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def published_event(live) -> dict[str, object]:
    with live.context():
        event = Event(slug=SLUG, name="Revise Summit", venue="Hall D", date=START.date(), timezone=TIMEZONE,
                      start=START, rounds=ROUNDS, round_minutes=8, changeover_minutes=2, tables=8)
        db.session.add(event)
        db.session.commit()
        for number, person in enumerate(PEOPLE, start=1):
            db.session.add(Attendee(event_id=event.id, ext_id=person.id, name=person.name, company=person.company,
                                    region=person.region, partner_type=person.partner_type,
                                    offers=list(person.offers), seeks=list(person.seeks), badge_number=number))
        db.session.commit()
        version = publish_version(plan_event(event, time_limit=2, seed=1))
        gone = max(PEOPLE, key=lambda p: sum(1 for m in version.meetings if p.id in (m.a.ext_id, m.b.ext_id)))
        partners = len({m.b.ext_id if m.a.ext_id == gone.id else m.a.ext_id
                        for m in version.meetings if gone.id in (m.a.ext_id, m.b.ext_id)})
        holders = len({i for m in version.meetings for i in (m.a_id, m.b_id)})
    return {"gone": gone, "partners": partners, "holders": holders}


def sign_in(page, live) -> None:
    page.goto(live.url("/login"))
    page.get_by_label("Email").fill(ORGANISER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/console/"))


def test_withdraw_revise_and_publish(live, published_event, open_page):
    gone = published_event["gone"]
    page = open_page()
    sign_in(page, live)

    # Withdraw the cancelled attendee from the list.
    page.goto(live.url(f"/console/{SLUG}/attendees/"))
    page.get_by_role("button", name=f"Withdraw {gone.name}").click()
    row = page.locator("tr", has_text=gone.name)
    expect(row).to_contain_text("withdrawn")

    # The overview says the published schedule still seats them.
    page.goto(live.url(f"/console/{SLUG}/"))
    expect(page.get_by_text(re.compile(r"held by 1 attendee who withdrew"))).to_be_visible()

    # Revise is the default once a version is published.
    page.goto(live.url(f"/console/{SLUG}/schedule/"))
    expect(page.get_by_role("heading", name="Revise the schedule")).to_be_visible()
    expect(page.get_by_label(re.compile("Revise the published schedule"))).to_be_checked()
    page.get_by_label("Time limit (seconds)").fill("2")
    page.get_by_role("button", name="Revise").click()
    expect(page).to_have_url(re.compile(rf"/console/{SLUG}/jobs/[0-9a-f-]+$"))
    expect(page.locator('[data-field="status"]')).to_have_text("done", timeout=20_000)
    # A revision reports its score; it computes no bound, so no "of the bound" figure is shown.
    expect(page.locator('[data-field="score"]')).to_have_text(re.compile(r"^[1-9][0-9]*\.[0-9]$"))
    expect(page.get_by_text("Of the bound")).to_be_hidden()
    changed = int(page.locator('[data-field="agendas"]').inner_text())
    assert 1 + published_event["partners"] <= changed <= 1 + 2 * published_event["partners"], changed

    page.get_by_role("link", name="Review changes and publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish version 2?")
    expect(page.get_by_text(re.compile(rf"\b{changed} attendees?\b.*\bagenda"))).to_be_visible()
    page.get_by_role("button", name="Publish version 2").click()
    expect(page.get_by_text("Version 2 is published.")).to_be_visible()
    with live.context():
        event = db.session.query(Event).filter_by(slug=SLUG).one()
        current = db.session.query(ScheduleVersion).filter_by(event_id=event.id, status="published").one()
        assert current.number == 2 and current.kind == "revision"
        assert not any(gone.id in (m.a.ext_id, m.b.ext_id) for m in current.meetings)

    # A full re-generate asks first, naming how many agendas it can change.
    page.goto(live.url(f"/console/{SLUG}/schedule/"))
    # The button names what it will do, following the choice (and back).
    expect(page.get_by_role("button", name="Revise", exact=True)).to_be_visible()
    page.get_by_label(re.compile("Re-generate from scratch")).check()
    expect(page.get_by_role("button", name="Re-generate from scratch")).to_be_visible()
    expect(page.get_by_role("button", name="Revise", exact=True)).to_have_count(0)
    page.get_by_label(re.compile("Revise the published schedule")).check()
    expect(page.get_by_role("button", name="Revise", exact=True)).to_be_visible()
    page.get_by_label(re.compile("Re-generate from scratch")).check()
    page.get_by_label("Time limit (seconds)").fill("1")
    page.get_by_role("button", name="Re-generate from scratch").click()
    expect(page.get_by_role("alert")).to_contain_text("agendas change. Tick the box to confirm")
    expect(page.get_by_role("button", name="Re-generate from scratch")).to_be_visible()
    assert not csp_errors(page), csp_errors(page)
    assert not script_errors(page), script_errors(page)
