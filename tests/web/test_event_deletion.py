"""Deleting an event after it is over: everything about its people goes, nothing else does."""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.reliability.server import scratch_postgres
from tests.support.jobs import start_test_job
from tests.support.text import missing_facts, plain
from tests.web.conftest import attendee_file, person, submit
from web.attendees.checkins import CheckIn
from web.attendees.models import Attendee
from web.checkin.services import check_in_attendee
from web.events.models import Event
from web.extensions import db
from web.jobs import Job, wait_for_job
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.types import utcnow


def _count(model, **where) -> int:
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def _held_event(make_event, make_attendee):
    """An event that took place: two people met, one checked in, a finished job."""
    event = make_event()
    ana, ben = make_attendee(event, name="Ana Silva"), make_attendee(event, name="Ben Ito")
    version = ScheduleVersion(event_id=event.id, number=1, status="published", kind="plan",
                              published_at=utcnow())
    db.session.add(version)
    db.session.flush()
    db.session.add(ScheduleMeeting(version_id=version.id, round=1, table=1, a_id=ana.id, b_id=ben.id))
    db.session.add(Job(event_id=event.id, kind="plan", status="done", params={}))
    db.session.commit()
    check_in_attendee(event, ana, nonce=uuid.uuid4().hex)
    return event, ana


def test_deleting_an_event_erases_its_people_and_leaves_other_events_alone(
        organiser, client, make_event, make_attendee):
    event, ana = _held_event(make_event, make_attendee)
    other, _ = _held_event(make_event, make_attendee)
    url = f"/console/{event.slug}/delete"
    event_id, other_id, name, personal_page = event.id, other.id, event.name, f"/me/{ana.token}"

    page = organiser.get(url).get_data(as_text=True)
    assert "2 attendees" in page and "1 check-in;" in page and "1 schedule version." in page

    wrong = submit(organiser, url, {"confirm": "not-the-slug"})
    assert wrong.status_code == 422 and f"Type {event.slug} exactly." in wrong.get_data(as_text=True)
    assert db.session.get(Event, event.id) is not None

    done = submit(organiser, url, {"confirm": event.slug}, follow_redirects=True)
    assert f"Deleted {name}" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event_id) is None
    for model in (Attendee, CheckIn, ScheduleVersion, Job):
        assert _count(model, event_id=event_id) == 0, model.__name__
        assert _count(model, event_id=other_id) >= 1, model.__name__
    assert _count(ScheduleMeeting) == 1  # the other event's meeting
    assert client.get(personal_page).status_code == 404  # the emailed link is dead


def test_a_pending_import_is_erased_with_its_event(organiser, make_event, app):
    event = make_event()
    upload = submit(organiser, f"/console/{event.slug}/attendees/import",
                    {"file": (io.BytesIO(attendee_file([person("P1"), person("P2")])), "people.csv")},
                    content_type="multipart/form-data")
    assert upload.status_code == 302  # parsed and waiting for confirmation
    pending = list((Path(app.instance_path) / "imports").glob("*.json"))
    assert len(pending) == 1
    submit(organiser, f"/console/{event.slug}/delete", {"confirm": event.slug})
    assert not pending[0].exists()


def test_an_event_is_not_deleted_while_its_schedule_is_being_computed(organiser, make_event):
    event = make_event()
    release = threading.Event()
    job = start_test_job(event, lambda context: release.wait(10) and None)
    response = submit(organiser, f"/console/{event.slug}/delete", {"confirm": event.slug},
                      follow_redirects=True)
    assert not missing_facts(plain(response.get_data(as_text=True)), "not deleted", "test job")
    release.set()
    wait_for_job(job.id, 10)
    db.session.expire_all()
    assert db.session.get(Event, event.id) is not None


def test_staff_cannot_delete_events(staff, make_event):
    event = make_event()
    assert staff.get(f"/console/{event.slug}/delete").status_code == 404


@pytest.mark.postgres
def test_deleting_an_event_on_postgresql(tmp_path):
    """PostgreSQL checks the meetings' references to attendees while the same statement's
    cascades remove both: the deletion must go through in one piece there too."""
    from web import create_app
    from web.events.deletion import delete_event

    with scratch_postgres(os.environ["SPEEDNET_TEST_POSTGRES_URL"]) as url:
        app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            events = []
            for slug in ("gone", "kept"):
                event = Event(slug=slug, name=slug, date=dt.date(2025, 1, 1),
                              start=dt.datetime(2025, 1, 1, 9), timezone="UTC")
                db.session.add(event)
                db.session.flush()
                a, b = (Attendee(event_id=event.id, ext_id=x, name=x, badge_number=n) for n, x in ((1, "A"), (2, "B")))
                db.session.add_all([a, b])
                version = ScheduleVersion(event_id=event.id, number=1, status="published", kind="plan")
                db.session.add(version)
                db.session.flush()
                db.session.add(ScheduleMeeting(version_id=version.id, round=1, table=1, a_id=a.id, b_id=b.id))
                db.session.add(CheckIn(event_id=event.id, attendee_id=a.id, nonce="n-" + slug))
                db.session.commit()
                events.append(event)
            gone_id, kept_id = events[0].id, events[1].id
            delete_event(events[0])
            assert db.session.get(Event, gone_id) is None
            assert _count(Attendee, event_id=gone_id) == 0 and _count(Attendee, event_id=kept_id) == 2
            assert _count(ScheduleMeeting) == 1 and _count(CheckIn) == 1
            db.session.remove()
            db.engine.dispose()
