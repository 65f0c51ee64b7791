"""Schema: Alembic migrations bring a fresh database to the models, concurrently and on both
SQLite and PostgreSQL; constraints the features rely on hold."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from web import create_app
from web.attendees.checkins import CheckIn
from web.events.models import Event
from web.extensions import db
from web.jobs.models import Job
from web.manage_migrations import schema_diffs
from web.schedules.models import ScheduleVersion
from web.types import utcnow


@pytest.fixture
def database_template():
    """No shared template here: every ``app`` in this module migrates an empty file for real."""
    return None


TABLES = {"users", "api_tokens", "events", "attendees", "schedule_versions", "schedule_meetings",
          "jobs", "checkins", "alembic_version"}


def test_fresh_database_is_upgraded_on_start(app):
    assert set(inspect(db.engine).get_table_names()) >= TABLES
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"


def test_models_match_the_migration(app):
    diffs = schema_diffs(app)
    assert diffs == [], "run `make migrations` to regenerate web/migrations/versions/0001_initial.py"


def test_auto_migrate_can_be_switched_off(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'off.db'}",
                      "SPEEDNET_AUTO_MIGRATE": False})
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []


def _start_app(db_path: str, instance: str) -> str:
    try:
        app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "k",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"})
        with app.app_context():
            return ",".join(sorted(inspect(db.engine).get_table_names()))
    except Exception as exc:  # reported to the parent
        return f"error: {exc!r}"


@pytest.mark.slow
def test_several_workers_starting_at_once_migrate_safely(tmp_path):
    db_path, instance = str(tmp_path / "shared.db"), str(tmp_path / "instance")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        results = pool.starmap(_start_app, [(db_path, instance)] * 4)
    assert all(not r.startswith("error") for r in results), results
    assert len(set(results)) == 1 and "checkins" in results[0]


def test_only_one_active_checkin_per_attendee(app, make_event, make_attendee):
    event = make_event()
    attendee = make_attendee(event)
    first = CheckIn(event_id=event.id, attendee_id=attendee.id, nonce="n1")
    db.session.add(first)
    db.session.commit()
    db.session.add(CheckIn(event_id=event.id, attendee_id=attendee.id, nonce="n2"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    first.annulled_at = utcnow()
    db.session.commit()
    db.session.add(CheckIn(event_id=event.id, attendee_id=attendee.id, nonce="n3"))
    db.session.commit()  # allowed once the first one is annulled
    db.session.add(CheckIn(event_id=event.id, attendee_id=make_attendee(event).id, nonce="n3"))
    with pytest.raises(IntegrityError):  # nonce reused within the event
        db.session.commit()
    db.session.rollback()


def test_only_one_published_schedule_per_event(app, make_event):
    event = make_event()
    db.session.add_all([ScheduleVersion(event_id=event.id, number=1, status="published"),
                        ScheduleVersion(event_id=event.id, number=2, status="draft")])
    db.session.commit()
    db.session.add(ScheduleVersion(event_id=event.id, number=3, status="published"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_timestamps_are_aware_utc(app, make_event):
    event = make_event()
    job = Job(event_id=event.id, kind="plan",
              started_at=dt.datetime(2031, 6, 12, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))))
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    db.session.expire_all()
    stored = db.session.get(Job, job_id)
    assert stored.started_at == dt.datetime(2031, 6, 12, 12, 0, tzinfo=dt.UTC)
    assert stored.started_at.tzinfo is not None and stored.created_at.tzinfo is not None
    assert len(stored.id) == 36 and stored.status == "queued"
    with pytest.raises(StatementError, match="aware datetime"):
        stored.finished_at = dt.datetime(2031, 6, 12, 14, 0)  # naive: refused on flush
        db.session.commit()
    db.session.rollback()


def test_deleting_an_event_removes_its_rows(app, make_event, make_attendee):
    event = make_event()
    make_attendee(event)
    db.session.delete(event)
    db.session.commit()
    assert db.session.scalar(select(Event)) is None


@pytest.mark.postgres
def test_postgresql_schema_and_partial_indexes(tmp_path):
    url = os.environ["SPEEDNET_TEST_POSTGRES_URL"]
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                      "SQLALCHEMY_DATABASE_URI": url, "SPEEDNET_AUTO_MIGRATE": False})
    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
    from web.database import upgrade_database

    upgrade_database(app)
    upgrade_database(app)  # idempotent under the advisory lock
    assert schema_diffs(app) == []
    with app.app_context():
        event = Event(slug="pg", name="PG", date=dt.date(2025, 1, 1), start=dt.datetime(2025, 1, 1, 9),
                      timezone="UTC")
        db.session.add(event)
        db.session.commit()
        from web.attendees.models import Attendee

        a = Attendee(event_id=event.id, ext_id="A", name="A", badge_number=1)
        db.session.add(a)
        db.session.commit()
        db.session.add_all([CheckIn(event_id=event.id, attendee_id=a.id, nonce="1"),
                            CheckIn(event_id=event.id, attendee_id=a.id, nonce="2")])
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Event, event.id).created_at.tzinfo is not None
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        db.engine.dispose()
