"""Results after the event: the summary page and the attendance and meetings exports, read
the way an organiser would open them (the CSV in a spreadsheet, the XLSX in Excel)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from tests.web.conftest import STAFF_EMAIL
from web.attendees.checkins import CheckIn
from web.auth.services import create_user
from web.checkin.services import annul, check_in_attendee
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.types import utcnow


@pytest.fixture
def finished_event(app, make_event, make_attendee, organiser_user):
    """Five people, four meetings published, three checked in (one check-in undone)."""
    event = make_event(timezone="Asia/Tokyo", date=dt.date(2025, 6, 12), start=dt.datetime(2025, 6, 12, 14, 0),
                       table_labels="Atlas\nBorealis")
    ana = make_attendee(event, ext_id="A1", name="Ana Silva", company="Contoso", region="LATAM",
                        email="ana@contoso.example")
    ben = make_attendee(event, ext_id="B1", name="Ben Ito", company="Fabrikam", region="APAC",
                        email="ben@fabrikam.example")
    cy = make_attendee(event, ext_id="C1", name="Cy Park", company="Northwind", region="APAC",
                       email="cy@northwind.example", source="registration")
    dee = make_attendee(event, ext_id="D1", name="Dee Okafor", company="Tailspin", region="EMEA",
                        email="dee@tailspin.example", source="walk-in")
    make_attendee(event, ext_id="E1", name="Eve Moreau", company="Litware", region="EMEA")
    version = ScheduleVersion(event_id=event.id, number=1, status="published", kind="plan",
                              published_at=utcnow())
    db.session.add(version)
    db.session.flush()
    for round_, table, a, b in ((1, 1, ana, ben), (1, 2, cy, dee), (2, 1, ana, cy), (2, 2, ben, dee)):
        db.session.add(ScheduleMeeting(version_id=version.id, round=round_, table=table, a_id=a.id,
                                       b_id=b.id, reason=f"{a.company} meets {b.company}"))
    db.session.commit()
    desk = create_user(STAFF_EMAIL, "desk password 1", "staff")
    for person in (ana, ben, cy):
        check_in_attendee(event, person, nonce=uuid.uuid4().hex, device="Door 1", staff_user=desk)
    # Cy's check-in was a mistake at the desk: undone, so Cy did not come.
    annul(db.session.query(CheckIn).filter_by(attendee_id=cy.id).one(), organiser_user)
    # Dee, a walk-in, checked in at the other door.
    check_in_attendee(event, dee, nonce=uuid.uuid4().hex, device="Door 2", staff_user=desk)
    # As if the doors opened on the day: 04:50 UTC is 13:50 in Tokyo.
    db.session.execute(update(CheckIn).values(created_at=dt.datetime(2025, 6, 12, 4, 50, tzinfo=dt.UTC)))
    db.session.commit()
    return event


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_summary_page_counts_arrivals_absentees_and_meetings_held(organiser, finished_event):
    page = organiser.get(f"/console/{finished_event.slug}/results/")
    text = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200
    assert "Checked in</dt><dd>3 of 5 (60%)" in text
    assert "Not checked in</dt><dd>2" in text
    # Held: Ana-Ben and Ben-Dee; Cy-Dee and Ana-Cy were not (Cy's check-in was undone).
    assert "Meetings held</dt><dd>2 of 4 in rounds that have ended (50%)" in text
    assert "Across regions</dt><dd>100%" in text  # LATAM-APAC and APAC-EMEA
    assert "Company pairs met</dt><dd>2" in text  # Contoso-Fabrikam, Fabrikam-Tailspin
    assert "<td>Walk-in</td><td>1</td><td>1</td><td>100%</td>" in text
    assert "<td>Registered online</td><td>1</td><td>0</td><td>0%</td>" in text


def test_attendance_export_says_who_came_when_and_where(organiser, finished_event):
    response = organiser.get(f"/console/{finished_event.slug}/results/attendance.csv")
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="event-1-attendance.csv"' in response.headers["Content-Disposition"]
    rows = {row["id"]: row for row in _csv(response)}
    assert list(rows) == ["A1", "B1", "C1", "D1", "E1"]  # by name
    ana, cy, dee, eve = rows["A1"], rows["C1"], rows["D1"], rows["E1"]
    assert (ana["checked_in"], ana["checked_in_at"], ana["kiosk"], ana["checked_in_by"]) == (
        "yes", "2025-06-12 13:50", "Door 1", STAFF_EMAIL)
    assert (ana["meetings"], ana["meetings_held"]) == ("2", "1")
    assert (cy["checked_in"], cy["checked_in_at"], cy["meetings_held"]) == ("no", "", "0")
    assert (dee["source"], dee["kiosk"], dee["meetings"], dee["meetings_held"]) == ("walk-in", "Door 2", "2", "1")
    assert (eve["checked_in"], eve["meetings"]) == ("no", "0")
    assert ana["email"] == "ana@contoso.example"


def test_meetings_export_lists_both_contacts_and_whether_it_was_held(organiser, finished_event):
    response = organiser.get(f"/console/{finished_event.slug}/results/meetings.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    meetings = [dict(zip(header, row)) for row in rows]
    assert [(m["round"], m["table"], m["a_name"], m["b_name"], m["held"]) for m in meetings] == [
        (1, "Atlas", "Ana Silva", "Ben Ito", "yes"),
        (1, "Borealis", "Cy Park", "Dee Okafor", "no"),
        (2, "Atlas", "Ana Silva", "Cy Park", "no"),
        (2, "Borealis", "Ben Ito", "Dee Okafor", "yes"),
    ]
    first = meetings[0]
    assert (first["a_email"], first["b_email"]) == ("ana@contoso.example", "ben@fabrikam.example")
    assert first["start"] == "2025-06-12 14:00" and first["reason"] == "Contoso meets Fabrikam"


def test_results_before_anything_is_published(organiser, make_event, make_attendee):
    event = make_event()
    make_attendee(event)
    page = organiser.get(f"/console/{event.slug}/results/")
    assert page.status_code == 200
    assert "none is published yet" in page.get_data(as_text=True)
    rows = _csv(organiser.get(f"/console/{event.slug}/results/meetings.csv"))
    assert rows == []
    assert organiser.get(f"/console/{event.slug}/results/meetings.pdf").status_code == 404


def test_staff_cannot_download_results(staff, make_event):
    event = make_event()
    assert staff.get(f"/console/{event.slug}/results/attendance.csv").status_code == 404


# --------------------------------------------------------------------------- held means held

ROUND_1 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=dt.UTC)   # 14:00 Amsterdam; 8 min + 2 changeover


def at(minutes: float) -> dt.datetime:
    return ROUND_1 + dt.timedelta(minutes=minutes)


@pytest.fixture
def live_event(make_event, make_attendee):
    """Four people in two rounds: Ana-Bob and Cy-Dee, then Ana-Cy and Bob-Dee."""
    event = make_event(rounds=3)
    people = [make_attendee(event, name=n) for n in ("Ana", "Bob", "Cy", "Dee")]
    ana, bob, cy, dee = people
    version = ScheduleVersion(event_id=event.id, number=1, status="published", kind="plan",
                              published_at=utcnow())
    db.session.add(version)
    db.session.flush()
    for round_, table, a, b in ((1, 1, ana, bob), (1, 2, cy, dee), (2, 1, ana, cy), (2, 2, bob, dee)):
        db.session.add(ScheduleMeeting(version_id=version.id, round=round_, table=table, a_id=a.id, b_id=b.id))
    db.session.commit()
    return event, people


def arrive(event, person, minutes: float) -> None:
    check_in_attendee(event, person, nonce=uuid.uuid4().hex)
    db.session.execute(update(CheckIn).where(CheckIn.attendee_id == person.id).values(created_at=at(minutes)))
    db.session.commit()


@pytest.mark.parametrize(("now", "dee_arrives", "ended", "held"), [
    (-5, -30, 0, 0),     # before round 1: nothing has ended, nothing held
    (5, -30, 0, 0),      # round 1 running: not held yet
    (9, -30, 2, 2),      # round 1 over, round 2 to come
    (19, -30, 4, 4),     # both rounds over, everyone early
    (19, 3, 4, 4),       # Dee came during round 1: before its end, so Cy-Dee counts
    (19, 8.5, 4, 3),     # Dee came after round 1 ended: Cy-Dee was not held, Bob-Dee was
    (19, 30, 4, 2),      # Dee came after both rounds: neither of Dee's meetings was held
])
def test_held_counts_ended_rounds_for_people_checked_in_before_the_end(live_event, now, dee_arrives, ended, held):
    from web.results.services import results_summary

    event, (ana, bob, cy, dee) = live_event
    for person in (ana, bob, cy):
        arrive(event, person, -30)
    arrive(event, dee, dee_arrives)
    summary = results_summary(event, at(now))
    assert (summary.meetings, summary.meetings_ended, summary.meetings_held) == (4, ended, held)


def test_withdrawn_people_are_out_of_the_counts_but_marked_in_the_export(organiser, live_event):
    from web.attendees.lifecycle import withdraw_attendee
    from web.results.services import attendance_rows, results_summary

    event, (ana, bob, cy, dee) = live_event
    arrive(event, ana, -30)
    arrive(event, bob, -30)
    withdraw_attendee(bob)          # checked in, then withdrawn: out of every count
    withdraw_attendee(dee)
    summary = results_summary(event, at(-5))
    assert (summary.expected, summary.checked_in, summary.not_checked_in) == (2, 1, 1)
    rows = {row[1]: row for row in attendance_rows(event, at(-5))}
    assert rows["Bob"][10] == "yes" and rows["Dee"][10] == "yes" and rows["Ana"][10] == "no"
