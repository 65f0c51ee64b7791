"""The trail an organiser reads after the day: one structured line per check-in, import,
stored plan, publish and job outcome, naming attendees by their id in the event only."""

from __future__ import annotations

import logging

import pytest

from scheduler.domain import Attendee as DomainAttendee
from tests.support.jobs import seed_planning_event
from web.attendees.services import commit_import
from web.checkin.services import check_in, check_in_attendee, new_nonce
from web.extensions import db
from web.jobs import wait_for_job
from web.logs import fields_of
from web.schedules.models import ScheduleVersion
from web.schedules.planning import start_schedule_job
from web.schedules.publishing import publish_version
from web.schedules.versions import published_version


def lines(caplog: pytest.LogCaptureFixture, action: str) -> list[dict]:
    return [dict(fields_of(r)) for r in caplog.records if r.getMessage() == action and fields_of(r)]


@pytest.fixture(autouse=True)
def _capture(caplog):
    caplog.set_level(logging.INFO, logger="web")


def test_each_scan_leaves_one_line_with_what_the_kiosk_was_told(app, make_event, make_attendee, caplog):
    event = make_event(slug="door")
    ana = make_attendee(event, name="Ana Secret-Name", ext_id="A7", email="ana@example.com")
    bo = make_attendee(event, ext_id="B2")
    check_in(event, ana.checkin_code, nonce=new_nonce(), device="door 2")
    check_in(event, ana.checkin_code, nonce=new_nonce(), device="door 1")
    check_in(event, "not-a-badge", nonce=new_nonce(), device="door 1")
    check_in_attendee(event, bo, nonce=new_nonce(), device="desk")
    scans = lines(caplog, "checkin")
    assert [(s["result"], s.get("attendee"), s["via"], s.get("device")) for s in scans] == [
        ("welcome", "A7", "badge", "door 2"), ("already", "A7", "badge", "door 1"),
        ("unknown", None, "badge", "door 1"), ("welcome", "B2", "desk", "desk")]
    assert all(s["event"] == "door" for s in scans)
    text = " ".join(r.getMessage() + repr(fields_of(r)) for r in caplog.records)
    assert "Secret-Name" not in text and "ana@example.com" not in text  # ids only, never names


def test_an_import_says_what_it_changed(app, make_event, make_attendee, caplog):
    event = make_event(slug="imp")
    make_attendee(event, ext_id="A1", name="Old")
    incoming = [DomainAttendee(id="A1", name="New name", company="C", region="EMEA", partner_type="ISV"),
                DomainAttendee(id="A2", name="Second", company="D", region="APAC", partner_type="ISV")]
    commit_import(event, incoming, remove_missing=False)
    (line,) = lines(caplog, "import")
    assert line == {"event": "imp", "rows": 2, "added": 1, "updated": 1, "unchanged": 0, "removed": 0,
                    "kept": 0, "remove_missing": False}


def test_a_plan_job_and_its_publish_are_traced(app, organiser_user, caplog):
    event = seed_planning_event(14, rounds=3)
    job = wait_for_job(start_schedule_job(event, time_limit=2).id, 60)
    assert job is not None and job.status == "done"
    (stored,) = lines(caplog, "plan-stored")
    assert stored["event"] == event.slug and stored["version"] == 1 and stored["expected"] == 14
    assert stored["meetings"] > 0 and stored["mode"] == "plan"
    (outcome,) = lines(caplog, "job")
    assert outcome["job"] == job.id and outcome["outcome"] == "done" and outcome["kind"] == "plan"
    assert outcome["version_id"] == job.result["version_id"] and outcome["event"] == event.id
    assert {"job", "event", "kind", "outcome", "version_id", "seconds"} <= set(outcome)  # how long it ran, too
    publish_version(db.session.get(ScheduleVersion, job.result["version_id"]), organiser_user)
    (published,) = lines(caplog, "publish")
    assert published["version"] == published_version(event).number == 1
    assert published["by"] == organiser_user.id and "previous" not in published
