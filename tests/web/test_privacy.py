"""Attendees' data under data-protection rules: what an attendee sees and downloads about
themselves, erasure (theirs, the organiser's, past the retention date) and what it keeps."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from scheduler.domain import Meeting, Schedule
from scheduler.solver import PlanReport, PlanResult
from tests.web.conftest import submit
from web.attendees.checkins import CheckIn
from web.attendees.models import Attendee, Consent, ConsentKind
from web.attendees.wishes import Wish
from web.events.models import Event
from web.extensions import db
from web.mail.models import OutboxMessage
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.schedules.privacy import ERASED_NAME, erase_attendee, erase_past_retention, retention_sweep
from web.schedules.publishing import publish_version
from web.schedules.versions import published_version, store_plan_result

UTC = dt.UTC
T0 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)  # round 1 of make_event's default event


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def publish(event, meetings: list[tuple[int, int, str, str]], rounds: int, tables: int):
    schedule = Schedule(rounds, tables, tuple(Meeting(r, t, a, b) for r, t, a, b in meetings))
    report = PlanReport(status="OPTIMAL", message="", meetings=len(meetings))
    return publish_version(store_plan_result(event, PlanResult(schedule=schedule, report=report)))


@pytest.fixture
def summit(make_event, make_attendee):
    """Four people, three rounds published: Ana meets Bo (round 1), Cy (round 2), Di (round 3)."""
    event = make_event(rounds=3, slug="summit", table_labels="Oak\nPine")
    people = {
        "ana": make_attendee(event, ext_id="ana.lima", name="Ana Lima", email="ana@private.example",
                             company="Lima Cloud", title="CTO", country="Brazil", offers=["Hosting"]),
        "bo": make_attendee(event, ext_id="B", name="Bo Chen", company="Chen Ops", must_meet="ana.lima;C"),
        "cy": make_attendee(event, ext_id="C", name="Cy Diaz", company="Diaz Data", avoid="ana.lima"),
        "di": make_attendee(event, ext_id="D", name="Di Ek", company="Ek AB"),
    }
    publish(event, [(1, 1, "ana.lima", "B"), (1, 2, "C", "D"), (2, 1, "ana.lima", "C"), (2, 2, "B", "D"),
                    (3, 1, "ana.lima", "D"), (3, 2, "B", "C")], 3, 2)
    return event, people


def meetings_of(version: ScheduleVersion, attendee: Attendee) -> list[int]:
    return sorted(db.session.scalars(select(ScheduleMeeting.round).where(
        ScheduleMeeting.version_id == version.id,
        (ScheduleMeeting.a_id == attendee.id) | (ScheduleMeeting.b_id == attendee.id))))


def test_the_personal_page_shows_and_downloads_everything_stored(client, summit):
    event, people = summit
    ana = people["ana"]
    db.session.add(CheckIn(event_id=event.id, attendee_id=ana.id, nonce="n-1", device="door-2"))
    db.session.add(Wish(event_id=event.id, attendee_id=ana.id, partner_id=people["di"].id, level="must"))
    db.session.add(OutboxMessage(event_id=event.id, attendee_id=ana.id, to_address=ana.email,
                                 subject="Your speed networking page", body="Hello", kind="personal-link",
                                 dedupe_key="k-1"))
    db.session.add(Consent(attendee_id=ana.id, kind=ConsentKind.REGISTRATION_PRIVACY,
                           text="Summit keeps your name for 180 days."))
    db.session.commit()
    assert f"/me/{ana.token}/data" in client.get(f"/me/{ana.token}").get_data(as_text=True)

    page = client.get(f"/me/{ana.token}/data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    for fact in ("ana@private.example", "Lima Cloud", "CTO", "Brazil", "Hosting", "ana.lima",
                 "Bo Chen", "Cy Diaz", "Di Ek", "Oak", "door-2", "Your speed networking page",
                 "Summit keeps your name for 180 days.",
                 event.retention_date.isoformat()):
        assert fact in html, fact
    assert f"/me/{ana.token}/data.json" in html and f"/me/{ana.token}/erase" in html

    download = client.get(f"/me/{ana.token}/data.json")
    assert download.status_code == 200 and "no-store" in download.headers["Cache-Control"]
    assert download.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(download.get_data(as_text=True))
    assert data["profile"]["email"] == "ana@private.example" and data["profile"]["title"] == "CTO"
    assert "checkin_code" not in data["profile"] and ana.checkin_code not in download.get_data(as_text=True)
    assert [(m["round"], m["partner"]) for m in data["meetings"]] == [(1, "Bo Chen"), (2, "Cy Diaz"), (3, "Di Ek")]
    assert [c["device"] for c in data["check_ins"]] == ["door-2"]
    assert [m["subject"] for m in data["mails"]] == ["Your speed networking page"]
    assert [(w["level"], w["partner"]) for w in data["wishes"]] == [("must", "Di Ek")]
    assert [(c["kind"], c["text"]) for c in data["consents"]] == [
        ("registration-privacy", "Summit keeps your name for 180 days.")]
    assert data["personal_page"].endswith(f"/me/{ana.token}")


def test_an_attendee_erases_their_data_after_a_confirmation(client, summit):
    event, people = summit
    ana, bo = people["ana"], people["bo"]
    token, code = ana.token, ana.checkin_code
    ana.looking_for, ana.directory_listed_at = "Hosting partners in Brazil", at(-60 * 24)
    db.session.add_all([Wish(event_id=event.id, attendee_id=ana.id, partner_id=bo.id, level="want"),
                        Wish(event_id=event.id, attendee_id=bo.id, partner_id=ana.id, level="must")])
    db.session.commit()
    before = published_version(event)
    confirm = client.get(f"/me/{token}/erase")
    assert confirm.status_code == 200 and "no-store" in confirm.headers["Cache-Control"]
    assert db.session.get(Attendee, ana.id).erased_at is None  # asking erases nothing

    done = submit(client, f"/me/{token}/erase")
    assert done.status_code == 200 and "Your data is erased" in done.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(Attendee, ana.id)
    assert (row.name, row.email, row.company, row.title, row.country, row.offers) == (
        ERASED_NAME, "", "", "", "", [])
    assert row.erased_at is not None and row.withdrawn_at is not None
    assert row.token != token and row.checkin_code != code
    assert row.badge_number == ana.badge_number and row.region == "EMEA"  # what the counts need
    assert (row.looking_for, row.directory_listed_at) == ("", None)  # out of the directory
    assert db.session.scalars(select(Wish).where((Wish.attendee_id == ana.id) | (Wish.partner_id == ana.id))).all() == []
    assert client.get(f"/me/{token}").status_code == 404
    assert client.get(f"/me/{token}/data.json").status_code == 404
    # the id left the others' lists
    assert db.session.get(Attendee, bo.id).must_meet == "C"
    assert db.session.get(Attendee, people["cy"].id).avoid == ""
    # a revision of the published version without her meetings to come, published at once
    after = published_version(event)
    assert after.number == before.number + 1 and after.kind == "revision"
    assert meetings_of(after, row) == [] and meetings_of(after, bo) == [2, 3]  # round 1: a sit-out
    bo_page = client.get(f"/me/{bo.token}").get_data(as_text=True)
    assert "Ana Lima" not in bo_page and "Lima Cloud" not in bo_page


def test_erasure_during_the_event_keeps_the_rounds_held(summit):
    event, people = summit
    ana = people["ana"]
    erasure = erase_attendee(ana, now=at(12))  # round 2 running: rounds 1 and 2 have started
    assert erasure.meetings_removed == 1 and erasure.version_number is not None
    version = published_version(event)
    row = db.session.get(Attendee, ana.id)
    assert meetings_of(version, row) == [1, 2]
    assert erase_attendee(row, now=at(13)).already  # a second erasure does nothing more


def test_erasure_after_the_event_changes_no_count(summit):
    event, people = summit
    ana = people["ana"]
    before = published_version(event)
    erasure = erase_attendee(ana, now=at(24 * 60))
    row = db.session.get(Attendee, ana.id)
    assert row.name == ERASED_NAME and row.withdrawn_at is None  # attendance stays as it was
    assert erasure.version_number is None and published_version(event).id == before.id
    assert meetings_of(before, row) == [1, 2, 3]


def test_the_organiser_erases_one_attendee_after_a_confirmation(organiser, summit):
    event, people = summit
    ana = people["ana"]
    url = f"/console/{event.slug}/attendees/{ana.id}/erase"
    edit = organiser.get(f"/console/{event.slug}/attendees/{ana.id}/edit").get_data(as_text=True)
    assert url in edit
    page = organiser.get(url)
    assert page.status_code == 200 and "Ana Lima" in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    response = submit(organiser, url)
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(Attendee, ana.id)
    assert row.name == ERASED_NAME and row.email == ""
    listing = organiser.get(f"/console/{event.slug}/attendees/").get_data(as_text=True)
    assert "Ana Lima" not in listing and ERASED_NAME in listing
    trail = organiser.get(f"/console/{event.slug}/audit/").get_data(as_text=True)
    assert "attendee-erased" in trail and f"erased-{ana.id}" in trail  # the trail keeps no name or id
    assert "Ana Lima" not in trail and "ana.lima" not in trail


def test_retention_erases_the_attendees_of_events_past_their_date(app, make_event, make_attendee):
    old = make_event(slug="old", date=dt.date(2025, 1, 10), start=dt.datetime(2025, 1, 10, 14, 0),
                     retention_days=30)
    recent = make_event(slug="recent", date=dt.date(2025, 3, 1), start=dt.datetime(2025, 3, 1, 14, 0))
    gone = make_attendee(old, name="Old Timer", email="old@example.com")
    kept = make_attendee(recent, name="Still Here", email="here@example.com")
    assert old.retention_date == dt.date(2025, 2, 9)
    now = dt.datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
    assert erase_past_retention(now, dry_run=True) == {"old": 1}
    assert db.session.get(Attendee, gone.id).name == "Old Timer"  # a dry run erases nothing
    assert erase_past_retention(now) == {"old": 1}
    assert erase_past_retention(now) == {}  # nobody left to erase
    assert db.session.get(Attendee, gone.id).name == ERASED_NAME
    assert db.session.get(Attendee, kept.id).name == "Still Here"


def test_the_cli_erases_past_retention(app, make_event, make_attendee):
    event = make_event(slug="ancient", date=dt.date(2020, 5, 1), start=dt.datetime(2020, 5, 1, 14, 0))
    person = make_attendee(event, name="Ann Old")
    result = app.test_cli_runner().invoke(args=["privacy", "erase-expired"])
    assert result.exit_code == 0, result.output
    assert "ancient: erased 1" in result.output
    db.session.expire_all()
    assert db.session.get(Attendee, person.id).name == ERASED_NAME


def test_the_workers_daily_sweep_erases_past_retention(app, make_event, make_attendee):
    event = make_event(slug="bygone", date=dt.date(2021, 5, 1), start=dt.datetime(2021, 5, 1, 14, 0))
    person = make_attendee(event, name="Bea Gone", email="bea@example.com")
    retention_sweep(app)
    db.session.expire_all()
    assert db.session.get(Attendee, person.id).email == ""


def test_the_retention_date_is_shown_and_set_by_the_organiser(organiser, api, make_event):
    event = make_event(slug="kept", date=dt.date(2031, 6, 12))
    overview = organiser.get("/console/kept/").get_data(as_text=True)
    assert "09 Dec 2031" in overview  # 180 days after the event by default
    edit = organiser.get("/console/kept/edit").get_data(as_text=True)
    assert 'name="retention_days"' in edit and "09 Dec 2031" in edit
    answer = api("patch", "/api/v1/events/kept", json={"retention_days": 30})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["retention_date"] == "2031-07-12"
    db.session.expire_all()
    assert db.session.get(Event, event.id).retention_days == 30
