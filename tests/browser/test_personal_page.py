"""An attendee after publishing, in Chromium: the agenda on /me/<token>, the calendar file it
links to, and the attendee pages at a phone's width."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import icalendar
import pytest
from playwright.sync_api import expect

from scheduler.domain import Meeting, Schedule
from scheduler.solver import PlanReport, PlanResult
from tests.browser.conftest import START, TIMEZONE, csp_errors, script_errors
from web.attendees.models import Attendee
from web.events.models import Event
from web.extensions import db
from web.schedules.publishing import publish_version
from web.schedules.versions import store_plan_result

pytestmark = pytest.mark.browser

SLUG = "agenda-summit"
ZONE = zoneinfo.ZoneInfo(TIMEZONE)
PEOPLE = {  # ext_id: name, company, region, partner type, offers, seeks
    "A": ("Ann Weber", "Contoso Hosting", "EMEA", "Hosting Provider", ["Hosting"], ["Data Platform"]),
    "B": ("Bob Stone", "Fabrikam Data Platform Services International", "NA", "ISV", ["Data Platform"], ["Storage"]),
    "C": ("Cleo Park", "Litware Identity", "APAC", "Systems Integrator", ["Identity and Security"], ["Hosting"]),
    "D": ("Dan Ruiz", "Northwind Storage", "LATAM", "Distributor", ["Storage"], ["Identity and Security"]),
}
# Three rounds of 8 minutes every 10 minutes from 14:00, a 15-minute break after round 2,
# tables called Oak and Pine. Ann meets Bob in round 1 and Cleo in round 3; round 2 is free.
MEETINGS = (Meeting(1, 1, "A", "B"), Meeting(1, 2, "C", "D"), Meeting(2, 1, "B", "D"), Meeting(3, 2, "A", "C"))
ANN_MEETINGS = [  # round, local start, local end, table, partner
    (1, dt.datetime(2031, 6, 12, 14, 0), dt.datetime(2031, 6, 12, 14, 8), "Oak", "B"),
    (3, dt.datetime(2031, 6, 12, 14, 35), dt.datetime(2031, 6, 12, 14, 43), "Pine", "C"),
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True}


@pytest.fixture(scope="module")
def ann_token(live) -> str:
    """An event with a published schedule; Ann's personal token (read from the database)."""
    with live.context():
        event = Event(slug=SLUG, name="Agenda Summit", venue="Hall D", date=START.date(),
                      timezone=TIMEZONE, start=START, rounds=3, round_minutes=8, changeover_minutes=2,
                      tables=2, table_labels="Oak\nPine", breaks=[{"after_round": 2, "minutes": 15}],
                      registration_open=True)
        db.session.add(event)
        db.session.commit()
        for number, (ext_id, (name, company, region, ptype, offers, seeks)) in enumerate(PEOPLE.items(), 1):
            db.session.add(Attendee(event_id=event.id, ext_id=ext_id, name=name, company=company,
                                    region=region, partner_type=ptype, offers=offers, seeks=seeks,
                                    badge_number=number, source="import"))
        db.session.commit()
        version = store_plan_result(event, PlanResult(Schedule(3, 2, MEETINGS), PlanReport("OPTIMAL", "")))
        publish_version(version)
        return db.session.query(Attendee).filter_by(event_id=event.id, ext_id="A").one().token


def test_agenda_and_calendar_file_show_exactly_the_published_meetings(live, ann_token, open_page, tmp_path):
    page = open_page()
    page.goto(live.url(f"/me/{ann_token}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ann Weber")
    expect(page.get_by_text("2 meetings.")).to_be_visible()

    rows = page.locator("ol.agenda > li")
    expect(rows).to_have_count(3)
    reasons: dict[str, str] = {}
    for row, (number, start, end, table, partner) in zip((rows.nth(0), rows.nth(2)), ANN_MEETINGS):
        name, company, region, ptype, offers, _ = PEOPLE[partner]
        expect(row.locator(".agenda-when")).to_have_text(
            f"Round {number} {start:%H:%M}–{end:%H:%M} · Table {table}", use_inner_text=True)
        expect(row.locator(".agenda-partner")).to_have_text(f"{name}, {company}")
        expect(row).to_contain_text(f"{region} · {ptype}")
        reason = row.locator(".agenda-reason").inner_text().strip()
        assert reason, f"no reason shown for the meeting with {name}"
        reasons[partner] = reason
    # Why they meet, from Ann's side: Bob offers what she seeks; Cleo seeks what she offers.
    assert "Data Platform" in reasons["B"], reasons
    assert "Hosting" in reasons["C"], reasons
    expect(rows.nth(1).locator(".agenda-when")).to_have_text("Round 2 14:10–14:18", use_inner_text=True)
    expect(rows.nth(1)).to_contain_text(re.compile("no meeting", re.I))
    expect(rows.nth(1).locator(".agenda-partner")).to_have_count(0)

    with page.expect_download() as info:
        page.get_by_role("link", name="Add to your calendar (.ics)").click()
    download = info.value
    assert download.suggested_filename == f"{SLUG}.ics"
    target = tmp_path / "agenda.ics"
    download.save_as(target)
    calendar = icalendar.Calendar.from_ical(Path(target).read_bytes())
    events = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert len(events) == len(ANN_MEETINGS), [str(e.get("summary")) for e in events]
    for vevent, (number, start, end, table, partner) in zip(events, ANN_MEETINGS):
        name, company, *_ = PEOPLE[partner]
        starts, ends = vevent.decoded("dtstart"), vevent.decoded("dtend")
        assert starts == start.replace(tzinfo=ZONE) and starts.replace(tzinfo=None) == start, starts
        assert getattr(starts.tzinfo, "key", str(starts.tzinfo)) == TIMEZONE, starts.tzinfo  # TZID kept
        assert ends == end.replace(tzinfo=ZONE), ends
        summary, description = str(vevent["summary"]), str(vevent["description"])
        assert name in summary and f"table {table}" in summary, summary
        assert f"round {number}" in description and f"{name}, {company}" in description, description
        assert reasons[partner] in description, (reasons[partner], description)
        assert str(vevent.get("status")) == "CONFIRMED"
        others = {PEOPLE[x][0] for x in PEOPLE if x not in ("A", partner)}
        assert not any(other in summary or other in description for other in others), (summary, description)
    assert len({str(e["uid"]) for e in events}) == len(events)

    assert not csp_errors(page), csp_errors(page)
    assert not script_errors(page), script_errors(page)


@pytest.mark.parametrize("path", ["/me/{token}", "/me/{token}/registered", f"/e/{SLUG}/register"])
def test_attendee_pages_fit_a_phone_screen(live, ann_token, open_page, path):
    page = open_page(**PHONE)
    page.goto(live.url(path.format(token=ann_token)))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if path == "/me/{token}":
        expect(page.locator("ol.agenda > li")).to_have_count(3)
        expect(page.get_by_text("Bob Stone, Fabrikam Data Platform Services International")).to_be_in_viewport()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[1] == 390 and widths[0] <= widths[1], f"page is {widths[0]} px wide on a {widths[1]} px screen"
    assert not csp_errors(page), csp_errors(page)
    assert not script_errors(page), script_errors(page)
