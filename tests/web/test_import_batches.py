"""An import is written in batches yet lands all at once: the staged rows are invisible, one
short transaction moves them in (new rows numbered after the event's last badge, known ones
updated in place), and a failure there leaves nothing of the file and no staged rows behind.
On SQLite and on PostgreSQL (its INSERT ... SELECT and UPDATE ... FROM)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from scheduler.domain import Attendee as DomainAttendee
from tests.support.databases import DATABASES, app_on
from web.attendees import services
from web.attendees.models import Attendee, attendee_import_rows
from web.attendees.services import IMPORT_BATCH_ROWS, commit_import
from web.events.models import Event
from web.extensions import db


@pytest.fixture(params=DATABASES)
def app(request, tmp_path, database_template) -> Iterator[Flask]:
    with app_on(request.param, tmp_path, database_template, QUEUE_IN_PROCESS_WORKER=False) as application:
        yield application


def people(count: int, start: int = 0) -> list[DomainAttendee]:
    return [DomainAttendee(id=f"P{i:05d}", name=f"Person {i}", company=f"Co {i % 7}", region="EMEA",
                           partner_type="ISV", offers=("Hosting",)) for i in range(start, start + count)]


def stored(event_id: int) -> dict[str, Attendee]:
    db.session.expire_all()
    return {a.ext_id: a for a in db.session.scalars(select(Attendee).where(Attendee.event_id == event_id))}


def staged() -> int:
    return db.session.scalar(select(func.count()).select_from(attendee_import_rows)) or 0


def test_a_file_of_several_batches_lands_whole(app, make_event, make_attendee):
    event = make_event(slug="batches")
    kept = make_attendee(event, ext_id="P00000", name="Old name")
    token, badge = kept.token, kept.badge_number
    rows = 2 * IMPORT_BATCH_ROWS + 7
    summary = commit_import(event, people(rows), remove_missing=False)
    assert (summary.added, summary.updated) == (rows - 1, 1)
    after = stored(event.id)
    assert len(after) == rows and staged() == 0
    assert after["P00000"].name == "Person 0" and (after["P00000"].token, after["P00000"].badge_number) == (token, badge)
    assert sorted(a.badge_number for a in after.values()) == list(range(1, rows + 1))
    assert after["P00001"].offers == ["Hosting"] and after["P00001"].source == "import"
    assert len({a.token for a in after.values()}) == len({a.checkin_code for a in after.values()}) == rows


def test_a_failure_when_moving_in_leaves_nothing_of_the_file(app, make_event, make_attendee, monkeypatch):
    event = make_event(slug="fails")
    make_attendee(event, ext_id="P00000", name="Before")
    real_move = services._move_staged

    def move_then_fail(*args, **kwargs):
        real_move(*args, **kwargs)     # the rows are in, uncommitted ...
        raise RuntimeError("disk full")  # ... when the database gives up

    monkeypatch.setattr(services, "_move_staged", move_then_fail)
    with pytest.raises(RuntimeError):
        commit_import(event, people(IMPORT_BATCH_ROWS + 3), remove_missing=False)
    after = stored(event.id)
    assert list(after) == ["P00000"] and after["P00000"].name == "Before"
    assert staged() == 0


def test_a_walk_in_registered_while_rows_were_staged_keeps_its_badge(app, make_event, make_attendee, monkeypatch):
    event = make_event(slug="walk-in")
    make_attendee(event, ext_id="W1")
    real_stage = services._stage
    calls = []

    def stage_then_walk_in(key, rows):
        real_stage(key, rows)
        if not calls:
            calls.append(key)
            make_attendee(db.session.get(Event, event.id), ext_id="W2")   # took badge 2 meanwhile

    monkeypatch.setattr(services, "_stage", stage_then_walk_in)
    commit_import(event, people(3), remove_missing=False)
    after = stored(event.id)
    assert after["W2"].badge_number == 2
    assert sorted(after[f"P{i:05d}"].badge_number for i in range(3)) == [3, 4, 5]


def test_rows_a_killed_import_left_are_deleted_by_the_next_one(app, make_event):
    import datetime as dt

    from sqlalchemy import insert

    from web.types import utcnow

    event = make_event(slug="leftovers")
    db.session.execute(insert(attendee_import_rows), [
        {"import_key": "dead", "position": 0, "ext_id": "X1", "updated_at": utcnow() - dt.timedelta(days=2)},
        {"import_key": "busy", "position": 0, "ext_id": "X2", "updated_at": utcnow()},  # another import, now
    ])
    db.session.commit()
    commit_import(event, people(2), remove_missing=False)
    assert db.session.scalars(select(attendee_import_rows.c.import_key)).all() == ["busy"]
    assert "X1" not in stored(event.id)
