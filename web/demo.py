"""The demo event that ``make run`` shows on a fresh machine.

``seed_demo(app)`` is the one place that builds it: today, 14:00 local, 8 rounds of 8 minutes
with 2 minutes to change tables, attendees from ``data/events/demo.csv``, and a published
schedule planned by the real solver (``DEMO_PLAN_SECONDS``) when the event has none yet.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from scheduler.importer import AttendeeFileError, read_attendee_file
from web.attendees.models import Attendee, attendees_of
from web.attendees.services import commit_import
from web.auth.models import Role, User
from web.auth.services import normalise_email
from web.events.members import MemberRole, ensure_member
from web.events.models import Event
from web.events.services import find_event
from web.extensions import db
from web.schedules.planning import ensure_published_schedule
from web.schedules.versions import published_version

DEMO_SLUG = "demo"
DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "events" / "demo.csv"
DEMO_TIMEZONE = os.environ.get("SPEEDNET_DEMO_TZ", "Europe/Amsterdam")
DEMO_PLAN_SECONDS = 5.0


@dataclass
class DemoResult:
    event_slug: str
    created: bool
    attendees: int
    notes: list[str] = field(default_factory=list)
    published_version: int | None = None


def seed_demo(app: Flask, csv_path: Path = DEMO_FILE, plan_seconds: float = DEMO_PLAN_SECONDS,
              organisers: Sequence[str] | None = None) -> DemoResult:
    """Create the demo event with its attendees and a published schedule if they do not exist
    yet (idempotent: an event that already has schedule versions is left as it is).

    ``organisers`` (e-mail addresses; default: every active organiser account) are made the
    demo's organisers, so whoever signs in on a fresh machine finds the demo in the console."""
    with app.app_context():
        event = find_event(DEMO_SLUG)
        notes: list[str] = []
        created = event is None
        if event is None:
            # Tomorrow at 14:00: the clock follows the timetable, so a demo dated today would be
            # half over (or finished) when it is opened; "Start round 1 now" plays the day early.
            day = dt.datetime.now(zoneinfo.ZoneInfo(DEMO_TIMEZONE)).date() + dt.timedelta(days=1)
            event = Event(
                slug=DEMO_SLUG, name="Partner Speed Networking (demo)", venue="Hall B",
                date=day, timezone=DEMO_TIMEZONE, start=dt.datetime.combine(day, dt.time(14, 0)),
                round_minutes=8, changeover_minutes=2, rounds=8, tables=0, breaks=[], weights={},
                registration_open=True,
            )
            db.session.add(event)
            db.session.commit()
        _join_demo(event, organisers)
        count = db.session.query(Attendee).filter_by(event_id=event.id).count()
        if count == 0:
            if not csv_path.exists():
                notes.append(f"{csv_path} is missing: the demo event has no attendees yet "
                             "(import a file from the event's Attendees page).")
            else:
                try:
                    result = read_attendee_file(csv_path, taxonomy=event.taxonomy_obj(),
                                                rounds=event.rounds)
                except AttendeeFileError as exc:
                    notes.append(f"{csv_path} could not be imported:\n{exc}")
                else:
                    commit_import(event, result.attendees, remove_missing=False)
                    count = len(result.attendees)
        planned = ensure_published_schedule(event, time_limit=plan_seconds) if count else None
        if planned is not None:
            notes.append(f"planned and published the demo schedule (version {planned.number}): "
                         f"{planned.plan_report.plan.message}")
        current = published_version(event)
        return DemoResult(DEMO_SLUG, created, count, notes,
                          current.number if current is not None else None)


def _join_demo(event: Event, organisers: Sequence[str] | None) -> None:
    """Make the demo's organisers members of its team (an event reaches only its members)."""
    query = select(User).where(User.active.is_(True), User.role == Role.ORGANISER)
    if organisers is not None:
        query = query.where(User.email.in_([normalise_email(email) for email in organisers]))
    for user in db.session.scalars(query).all():
        ensure_member(event, user, MemberRole.ORGANISER)


def sample_attendee_tokens(app: Flask, limit: int = 2) -> list[tuple[str, str]]:
    """(name, personal token) of the first demo attendees, for the start-up message."""
    with app.app_context():
        event = find_event(DEMO_SLUG)
        if event is None:
            return []
        rows = db.session.scalars(
            attendees_of(event.id)
            .order_by(Attendee.badge_number).limit(limit)
        )
        return [(a.name, a.token) for a in rows]
