"""What a change of an event's settings would break in its published schedule: meetings cut off
(fewer rounds or tables) or moved (new times). The edit page and the API's PATCH ask before
saving (:mod:`web.schedules.event_settings`); an empty answer means safe to save.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from scheduler.domain import Timetable
from web.events.models import Event
from web.events.services import EventDataError, EventInput, parse_breaks
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion, VersionStatus
from web.wording import plural


class ConflictKind(StrEnum):
    ROUNDS = "rounds"
    TABLES = "tables"
    TIMES = "times"


@dataclass(frozen=True)
class SettingsConflict:
    """One consequence of a settings change, e.g. ``rounds 7-8 hold 86 published meetings``."""

    kind: ConflictKind
    message: str


def settings_conflicts(event: Event, new: EventInput) -> list[SettingsConflict]:
    """Conflicts of the new settings with the published schedule (none without one)."""
    version, meetings = published_meetings(event.id)
    if version is None or not meetings:
        return []
    found = [
        rounds_conflict(meetings, new.rounds),
        tables_conflict(meetings, new.rounds, new.tables),
        times_conflict(meetings, event.timetable(), _new_timetable(event, new)),
    ]
    return [c for c in found if c is not None]


@dataclass(frozen=True)
class PublishedMeeting:
    round: int
    table: int
    a_id: int
    b_id: int


def published_meetings(event_id: int) -> tuple[ScheduleVersion | None, list[PublishedMeeting]]:
    """The published version and its meetings as plain values (None, [] without one)."""
    version = db.session.scalar(select(ScheduleVersion).where(
        ScheduleVersion.event_id == event_id, ScheduleVersion.status == VersionStatus.PUBLISHED))
    if version is None:
        return None, []
    rows = db.session.execute(
        select(ScheduleMeeting.round, ScheduleMeeting.table, ScheduleMeeting.a_id,
               ScheduleMeeting.b_id).where(ScheduleMeeting.version_id == version.id)).all()
    return version, [PublishedMeeting(*row) for row in rows]


def _span(numbers: list[int]) -> str:
    low, high = min(numbers), max(numbers)
    return str(low) if low == high else f"{low}-{high}"


def _which(word: str, numbers: list[int]) -> str:
    """``round 8 holds`` / ``rounds 7-8 hold``."""
    span = _span(numbers)
    return f"{word} {span} holds" if "-" not in span else f"{word}s {span} hold"


def _rounds(numbers: list[int]) -> str:
    span = _span(numbers)
    return f"round {span}" if "-" not in span else f"rounds {span}"



def _new_timetable(event: Event, new: EventInput) -> Timetable | None:
    """The timetable the event would have with ``new`` (clock and delay kept); None when the
    new breaks do not parse (saving then refuses them with a message of its own)."""
    try:
        breaks = parse_breaks(new.breaks_text, new.rounds)
    except EventDataError:
        return None
    draft = Event(start=dt.datetime.combine(new.date, new.start_time), timezone=event.timezone,
                  rounds=new.rounds, round_minutes=new.round_minutes,
                  changeover_minutes=new.changeover_minutes, breaks=breaks,
                  clock_started_at=event.clock_started_at, delay_minutes=event.delay_minutes,
                  delay_after_round=event.delay_after_round)
    return draft.timetable()


def rounds_conflict(meetings: list[PublishedMeeting], rounds: int) -> SettingsConflict | None:
    cut = [m for m in meetings if m.round > rounds]
    if not cut:
        return None
    people = {m.a_id for m in cut} | {m.b_id for m in cut}
    return SettingsConflict(ConflictKind.ROUNDS, (
        f"{_which('round', [m.round for m in cut])} {plural(len(cut), 'published meeting')} "
        f"of {plural(len(people), 'attendee')}: they would disappear from agendas"))


def tables_conflict(meetings: list[PublishedMeeting], rounds: int, tables: int
                    ) -> SettingsConflict | None:
    if tables <= 0:  # as many as needed: no table is cut
        return None
    cut = [m for m in meetings if m.round <= rounds and m.table > tables]
    if not cut:
        return None
    return SettingsConflict(ConflictKind.TABLES, (
        f"{_which('table', [m.table for m in cut])} {plural(len(cut), 'published meeting')} "
        f"in {_rounds([m.round for m in cut])}: those tables would no longer exist"))


def times_conflict(meetings: list[PublishedMeeting], old: Timetable, new: Timetable | None
                   ) -> SettingsConflict | None:
    if new is None:
        return None
    kept = min(old.rounds, new.rounds)
    moved_rounds = {r for r in range(1, kept + 1)
                    if (old.round_start(r), old.round_end(r)) != (new.round_start(r), new.round_end(r))}
    moved = [m for m in meetings if m.round in moved_rounds]
    if not moved:
        return None
    return SettingsConflict(ConflictKind.TIMES, (
        f"times of {plural(len(moved), 'published meeting')} move "
        f"({_rounds([m.round for m in moved])}): printed agendas show the old times"))
