"""One attendee's part of the published schedule, read for their personal page, their
agenda PDF, calendar file and "now and next": their own meetings and partners only, in a few
small queries whatever the event's size, and kept a minute per published version.

Several top features show it (public pages, printing), so it lives here with the schedule it
reads rather than in any of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, has_request_context
from sqlalchemy import select, union_all

from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Meeting, Schedule
from web.attendees.models import Attendee
from web.events.clock import clock_state
from web.events.models import Event
from web.extensions import db
from web.lookup_cache import LookupCache
from web.schedules.models import ScheduleMeeting
from web.schedules.versions import in_event_range, published_meetings_of, published_version

# Personal pages after a re-plan: every attendee opens theirs within minutes, each costing one
# person's rows; a render is kept this long per published version (see cached_for_attendee).
PAGE_CACHE_SECONDS = 60.0
PAGE_CACHE_ENTRIES = 4096

T = TypeVar("T")


@dataclass(frozen=True)
class PersonalSchedule:
    """One attendee's part of the published version: their meetings (ids = ext_ids) and the
    partners in them, read with two small queries whatever the event's size."""

    version_id: int
    version_number: int
    schedule: Schedule                      # only this attendee's meetings
    viewer: DomainAttendee
    partners: tuple[DomainAttendee, ...]


def personal_schedule(attendee: Attendee) -> PersonalSchedule | None:
    """The attendee's meetings in the published version and their partners (None when
    nothing is published). Meetings outside the event's current rounds or tables are left
    out, as in ``version_schedule``."""
    event = attendee.event
    version = published_for_page(event)
    if version is None:
        return None
    m = ScheduleMeeting.__table__.c
    columns = (m.round, m.table, m.a_id, m.b_id, m.score, m.reason)
    # Two halves so each uses its own index (attendee on side a, then on side b).
    stored = db.session.execute(union_all(
        select(*columns).where(m.version_id == version.id, m.a_id == attendee.id),
        select(*columns).where(m.version_id == version.id, m.b_id == attendee.id),
    )).all()
    stored = [row for row in stored if in_event_range(event, row[0], row[1])]
    partner_ids = {b if a == attendee.id else a for _r, _t, a, b, _s, _x in stored}
    rows = {row.id: row for row in db.session.scalars(
        select(Attendee).where(Attendee.id.in_(partner_ids)))} if partner_ids else {}
    rows[attendee.id] = attendee
    meetings = tuple(sorted((Meeting(r, t, rows[a].ext_id, rows[b].ext_id, float(score or 0.0), reason or "")
                             for r, t, a, b, score, reason in stored if a in rows and b in rows),
                            key=lambda meeting: meeting.round))
    report = version.plan_report
    rounds = min(max([report.rounds or event.rounds, *(x.round for x in meetings)]), event.rounds)
    tables = max([report.tables, *(x.table for x in meetings)])
    if event.tables:
        tables = min(tables, event.tables)
    partners = tuple(row.to_domain() for key, row in rows.items() if key != attendee.id)
    return PersonalSchedule(version.id, version.number, Schedule(rounds, tables, meetings),
                            attendee.to_domain(), partners)


def published_for_page(event: Event) -> Any:
    """The event's published version, read once per request however many parts of a personal
    page ask (its cache key, its agenda, its "last changed" line)."""
    if not has_request_context():
        return published_version(event)
    seen = g.setdefault("speednet_published_versions", {})
    if event.id not in seen:
        seen[event.id] = published_version(event)
    return seen[event.id]


def _page_cache() -> LookupCache:
    caches = current_app.extensions.setdefault("speednet.public_pages", {})
    cache = caches.get("pages")
    if cache is None:
        cache = caches.setdefault("pages", LookupCache(PAGE_CACHE_SECONDS, PAGE_CACHE_ENTRIES))
    return cache


def page_version_key(attendee: Attendee) -> tuple[object, ...]:
    """What a personal page depends on: the published version, the timetable (a delay moves
    every time), the event's and the attendee's own rows. A partner's edited name reaches the
    page when the entry expires (:data:`PAGE_CACHE_SECONDS`)."""
    event = attendee.event
    version = published_for_page(event)
    return (attendee.id, attendee.updated_at, version.id if version else None,
            version.published_at if version else None, event.timetable_revision, event.updated_at)


def cached_for_attendee(kind: str, attendee: Attendee, build: Callable[[], T]) -> T:
    """``build()`` for this attendee, or its result from a moment ago for the same published
    version: a phone refreshing its page, or everyone opening theirs after a re-plan, costs
    one render per person and version, not one per request. Per process and per app."""
    key = (kind, *page_version_key(attendee))
    value = _page_cache().get(key, lambda _key: build())
    return value  # type: ignore[return-value]


# --------------------------------------------------------------------------- now and next


@dataclass(frozen=True)
class Slot:
    round: int
    starts: str                      # local HH:MM
    ends: str
    partner_name: str | None         # None = no meeting this round
    partner_company: str = ""
    table: str = ""


@dataclass(frozen=True)
class NowAndNext:
    phase: str
    now: Slot | None                 # the round in progress, if any
    next: Slot | None                # the attendee's next round still to come
    seconds_to_next_bell: float | None


def now_and_next(event: Event, attendee: Attendee, now: dt.datetime) -> NowAndNext | None:
    """The attendee's current and next round from the published schedule (None when there is
    no published schedule or the session has ended)."""
    state = clock_state(event, now)
    version = published_for_page(event)
    if version is None or state.phase == "finished":
        return None
    info = event.event_info()
    timetable = event.timetable()
    mine = {m.round: m for m in published_meetings_of(event.id, attendee.id)}

    def slot(round_number: int) -> Slot:
        meeting = mine.get(round_number)
        start = timetable.round_start(round_number).strftime("%H:%M")
        end = timetable.round_end(round_number).strftime("%H:%M")
        if meeting is None:
            return Slot(round_number, start, end, None)
        return Slot(round_number, start, end, meeting.partner_name, meeting.partner_company,
                    info.table_label(meeting.table))

    current = slot(state.current_round) if state.current_round else None
    upcoming = slot(state.next_round) if state.next_round else None
    return NowAndNext(state.phase, current, upcoming, state.seconds_to_next_bell)
