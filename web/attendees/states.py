"""Where an attendee stands on the day: registered, withdrawn, checked in, left or no-show.

Withdrawn and left are stored (``withdrawn_at``, ``left_at``); checked in comes from an active
check-in (the check-in feature owns that table, so callers pass ``checked_in``); no-show is
derived from the clock, so it needs no job to flip it and ends by itself when the person checks
in. Re-plans and revisions plan for the *expected*: checked in, or registered and not yet due.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from scheduler.domain import Timetable
from web.attendees.convert import parse_rounds


class AttendeeState(StrEnum):
    REGISTERED = "registered"
    WITHDRAWN = "withdrawn"
    CHECKED_IN = "checked-in"
    LEFT = "left"
    NO_SHOW = "no-show"

    @property
    def label(self) -> str:
        return {"checked-in": "checked in", "no-show": "no-show"}.get(self.value, self.value)

    @property
    def expected(self) -> bool:
        """Planned for in the rounds still to come."""
        return self in (AttendeeState.REGISTERED, AttendeeState.CHECKED_IN)


class HasStateFields(Protocol):
    withdrawn_at: dt.datetime | None
    left_at: dt.datetime | None
    available_rounds: str | None


def first_due_round(available_rounds: str | None, rounds: int) -> int | None:
    """The first round the attendee said they attend (None when none of ``1..rounds``)."""
    wanted = parse_rounds(available_rounds)
    due = [r for r in range(1, rounds + 1) if wanted is None or r in wanted]
    return due[0] if due else None


def no_show_after(available_rounds: str | None, timetable: Timetable, rounds: int,
                  no_show_minutes: int) -> dt.datetime | None:
    """The instant from which someone not checked in counts as a no-show."""
    first = first_due_round(available_rounds, rounds)
    if first is None:
        return None
    start = timetable.round_start(first)
    if start.tzinfo is None:  # the timetable is in the venue's local wall-clock time
        start = start.replace(tzinfo=ZoneInfo(timetable.timezone or "UTC"))
    return start + dt.timedelta(minutes=max(0, no_show_minutes))


def attendee_state(attendee: HasStateFields, *, checked_in: bool, now: dt.datetime,
                   timetable: Timetable, rounds: int, no_show_minutes: int) -> AttendeeState:
    """The one state shown and planned for. Withdrawn wins over everything (a cancelled person
    who was checked in by mistake stays out); left only counts for someone checked in."""
    if attendee.withdrawn_at is not None:
        return AttendeeState.WITHDRAWN
    if checked_in:
        return AttendeeState.LEFT if attendee.left_at is not None else AttendeeState.CHECKED_IN
    deadline = no_show_after(attendee.available_rounds, timetable, rounds, no_show_minutes)
    if deadline is not None and now >= deadline:
        return AttendeeState.NO_SHOW
    return AttendeeState.REGISTERED
