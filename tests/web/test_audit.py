"""The audit trail: each instrumented action leaves one row naming who and when, and one log
line; the event's trail page lists them newest first, a page at a time, by action."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import select

from scheduler.domain import Attendee as DomainAttendee
from tests.support.jobs import seed_planning_event
from tests.web.conftest import ORGANISER_EMAIL, submit
from tests.web.test_events import event_form
from web.attendees.services import commit_import
from web.audit import AuditAction, AuditEntry, record
from web.auth.services import change_password, create_user, set_active, set_role, start_password_reset
from web.checkin.services import annul, check_in, new_nonce
from web.extensions import db
from web.jobs import wait_for_job
from web.logs import fields_of
from web.schedules.models import ScheduleVersion
from web.schedules.planning import start_schedule_job
from web.schedules.publishing import publish_version
from web.types import utcnow


@pytest.fixture(autouse=True)
def _capture(caplog):
    caplog.set_level(logging.INFO, logger="web")


def entries(action: AuditAction, event_id: int | None = None) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if event_id is not None:
        query = query.where(AuditEntry.event_id == event_id)
    return list(db.session.scalars(query))


def log_lines(caplog, action: str) -> list[dict]:
    return [dict(fields_of(r)) for r in caplog.records if r.getMessage() == action and fields_of(r)]


def recent(entry: AuditEntry) -> bool:
    return utcnow() - dt.timedelta(minutes=5) < entry.created_at <= utcnow()


def test_a_check_in_and_its_undo_name_who_did_them(app, make_event, make_attendee, organiser_user, caplog):
    event = make_event(slug="door")
    ana = make_attendee(event, ext_id="A7")
    result = check_in(event, ana.checkin_code, nonce=new_nonce(), device="door 2", staff_user=organiser_user)
    check_in(event, ana.checkin_code, nonce=new_nonce(), device="door 1", staff_user=organiser_user)  # already
    (entry,) = entries(AuditAction.CHECK_IN, event.id)
    assert (entry.actor_id, entry.actor_label, entry.target) == (organiser_user.id, ORGANISER_EMAIL, "A7")
    assert entry.details["device"] == "door 2" and recent(entry)
    assert [line["result"] for line in log_lines(caplog, "checkin")] == ["welcome", "already"]  # one per scan

    from web.attendees.checkins import CheckIn

    annul(db.session.get(CheckIn, result.checkin.id), organiser_user)
    annul(db.session.get(CheckIn, result.checkin.id), organiser_user)   # twice: undone once
    (undone,) = entries(AuditAction.CHECK_IN_UNDONE, event.id)
    assert (undone.actor_label, undone.target) == (ORGANISER_EMAIL, "A7") and recent(undone)
    assert len(log_lines(caplog, "checkin-annulled")) == 1


def test_an_import_is_recorded_once_with_its_figures(app, make_event, caplog):
    event = make_event(slug="imp")
    commit_import(event, [DomainAttendee(id="A1", name="One", company="C", region="EMEA", partner_type="ISV")],
                  remove_missing=False)
    (entry,) = entries(AuditAction.IMPORT, event.id)
    assert entry.details["added"] == 1 and entry.actor_id is None and entry.actor_label == "system"
    assert len(log_lines(caplog, "import")) == 1


def test_a_stored_plan_and_its_publish(app, organiser_user, caplog):
    event = seed_planning_event(14, rounds=3)
    job = wait_for_job(start_schedule_job(event, time_limit=2).id, 60)
    assert job is not None and job.status == "done"
    (stored,) = entries(AuditAction.PLAN_STORED, event.id)
    assert stored.actor_label == "system" and stored.details["kind"] == "plan"
    publish_version(db.session.get(ScheduleVersion, job.result["version_id"]), organiser_user)
    (published,) = entries(AuditAction.PUBLISH, event.id)
    assert published.actor_id == organiser_user.id and published.target == "version 1" and recent(published)
    assert len(log_lines(caplog, "publish")) == 1 and len(log_lines(caplog, "plan-stored")) == 1


def test_an_event_created_then_edited_names_the_fields_it_changed(organiser, organiser_user):
    assert submit(organiser, "/console/new", event_form(slug="edit-me")).status_code == 302
    response = submit(organiser, "/console/edit-me/edit", event_form(slug="edit-me", name="Renamed"))
    assert response.status_code == 302
    created, edit = entries(AuditAction.EVENT_SETTINGS)
    assert created.details["created"] is True and created.event_id == edit.event_id is not None
    assert edit.details["changed"] == ["name"] and "created" not in edit.details
    assert (edit.actor_id, edit.actor_label, edit.target) == (organiser_user.id, ORGANISER_EMAIL, "edit-me")


def test_personal_data_exports_are_recorded(organiser, make_event, make_attendee, organiser_user):
    event = make_event(slug="exp")
    make_attendee(event, ext_id="A1")
    assert organiser.get("/console/exp/attendees/links.csv").status_code == 200
    assert organiser.get("/console/exp/schedule/attendees.xlsx").status_code == 200
    assert organiser.get("/console/exp/attendees/links.pdf").status_code == 404   # nothing left
    targets = [(e.target, e.details["fmt"], e.actor_id) for e in entries(AuditAction.EXPORT, event.id)]
    assert targets == [("personal links", "csv", organiser_user.id), ("attendee file", "xlsx", organiser_user.id)]


def test_printed_agendas_with_personal_links_are_recorded(organiser, make_event, make_attendee, organiser_user):
    from tests.web.test_printing import publish

    event = make_event(slug="demo", rounds=3, tables=2)
    people = [make_attendee(event, ext_id=ext_id) for ext_id in ("D4", "B2", "A1", "C3")]
    assert organiser.get("/console/demo/print/agendas").status_code == 409      # nothing published: no PDF
    publish(event, people)
    assert organiser.get("/console/demo/print/agendas").status_code == 200
    assert organiser.get("/console/demo/print/agendas?scope=one&attendee=A1").status_code == 200
    printed = [(e.target, e.details.get("attendee"), e.actor_id) for e in entries(AuditAction.EXPORT, event.id)]
    assert printed == [("agendas with personal links", None, organiser_user.id),
                       ("agendas with personal links", "A1", organiser_user.id)]


def test_account_changes_and_password_resets(app, organiser_user, caplog):
    other = create_user("helper@example.com", "a long enough password", "staff")
    set_role(organiser_user, other, "organiser")
    set_active(organiser_user, other, False)
    start_password_reset(organiser_user, other)
    change_password(organiser_user, "correct horse battery", "another long password")
    changes = [(e.target, e.details.get("change"), e.actor_label) for e in entries(AuditAction.ACCOUNT)]
    assert changes[-3:] == [("helper@example.com", "created", "system"),
                            ("helper@example.com", "role", ORGANISER_EMAIL),
                            ("helper@example.com", "deactivated", ORGANISER_EMAIL)]
    (reset,) = entries(AuditAction.PASSWORD_RESET)
    assert (reset.target, reset.actor_id, reset.event_id) == ("helper@example.com", organiser_user.id, None)
    (changed,) = entries(AuditAction.PASSWORD_CHANGE)
    assert changed.target == ORGANISER_EMAIL
    assert len(log_lines(caplog, "password-reset")) == 1
    text = " ".join(r.getMessage() + repr(fields_of(r)) for r in caplog.records)
    assert "another long password" not in text


def test_a_refused_password_change_records_nothing(app, organiser_user):
    from web.auth.services import AccountError

    with pytest.raises(AccountError):
        change_password(organiser_user, "correct horse battery", "short")
    db.session.commit()
    assert entries(AuditAction.PASSWORD_CHANGE) == []


# ------------------------------------------------------------------ the page


def test_the_trail_page_lists_newest_first_filters_and_pages(organiser, make_event, organiser_user):
    event = make_event(slug="trail")
    other = make_event(slug="other-event")
    start = utcnow() - dt.timedelta(hours=2)
    for i in range(60):
        record(AuditAction.CHECK_IN, event_id=event.id, actor=organiser_user, target=f"P{i:02d}",
               now=start + dt.timedelta(minutes=i))
    record(AuditAction.PUBLISH, event_id=event.id, actor=organiser_user, target="version 3",
           now=start + dt.timedelta(minutes=90))
    record(AuditAction.PUBLISH, event_id=other.id, actor=organiser_user, target="version 9")
    db.session.commit()

    page = organiser.get("/console/trail/audit/").get_data(as_text=True)
    assert page.index("version 3") < page.index("P59") < page.index("P20")   # newest first
    assert "P10" not in page and "version 9" not in page                     # page 1 of 2; this event only
    assert "Page 1 of 2" in page
    second = organiser.get("/console/trail/audit/?page=2").get_data(as_text=True)
    assert "P10" in second and "P00" in second and "version 3" not in second
    only = organiser.get("/console/trail/audit/?action=publish").get_data(as_text=True)
    assert "version 3" in only and "P59" not in only and ORGANISER_EMAIL in only
    assert "/console/trail/audit/" in organiser.get("/console/trail/").get_data(as_text=True)


def test_the_trail_is_for_organisers(staff, make_event):
    make_event(slug="closed")
    assert staff.get("/console/closed/audit/").status_code == 404  # staff of the event reach its kiosk only


def test_an_api_token_names_its_account(api, make_event, organiser_user):
    event = make_event(slug="by-api")
    assert api("PATCH", "/api/v1/events/by-api", json={"name": "Renamed by API"}).status_code == 200
    (edit,) = [e for e in entries(AuditAction.EVENT_SETTINGS, event.id) if e.actor_id is not None]
    assert edit.actor_label == ORGANISER_EMAIL and "name" in edit.details["changed"]
