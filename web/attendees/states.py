"""Where an attendee stands on the day: registered, withdrawn, checked in, left or no-show.

Withdrawn and left are stored (``withdrawn_at``, ``left_at``); checked in comes from an active
check-in (the check-in feature owns that table, so callers pass ``checked_in``); no-show is
derived from the clock, so it needs no job to flip it and ends by itself when the person checks
in. Re-plans and revisions plan for the *expected*: checked in, or registered and not yet due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from scheduler.domain import Timetable
from web.attendees.convert import parse_rounds

if TYPE_CHECKING:
    from web.events.models import Event


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
    return _aware(timetable.round_start(first), timetable) + dt.timedelta(minutes=max(0, no_show_minutes))


def _aware(local: dt.datetime, timetable: Timetable) -> dt.datetime:
    """Timetable times are the venue's local wall-clock time."""
    return local if local.tzinfo else local.replace(tzinfo=ZoneInfo(timetable.timezone or "UTC"))


def attendee_state(attendee: HasStateFields, *, checked_in: bool, now: dt.datetime,
                   timetable: Timetable, rounds: int, no_show_minutes: int) -> AttendeeState:
    """The one state shown and planned for. Withdrawn wins over everything (a cancelled person
    who was checked in by mistake stays out); left only counts for someone checked in. No-shows
    follow the timetable (the planned times until the clock starts), so the desk sees them even
    when nobody runs the clock; re-plans leave them out only once the clock runs
    (:mod:`web.liveday.expected`)."""
    if attendee.withdrawn_at is not None:
        return AttendeeState.WITHDRAWN
    if checked_in:
        return AttendeeState.LEFT if attendee.left_at is not None else AttendeeState.CHECKED_IN
    deadline = no_show_after(attendee.available_rounds, timetable, rounds, no_show_minutes)
    if deadline is not None and now >= deadline:
        return AttendeeState.NO_SHOW
    return AttendeeState.REGISTERED


@dataclass(frozen=True)
class StateRules:
    """What an event contributes to every attendee's state, read once for a whole list."""

    timetable: Timetable
    rounds: int
    no_show_minutes: int

    @classmethod
    def of(cls, event: Event) -> StateRules:
        return cls(event.timetable(), event.rounds, event.no_show_minutes or 0)

    def state(self, attendee: HasStateFields, *, checked_in: bool, now: dt.datetime) -> AttendeeState:
        return attendee_state(attendee, checked_in=checked_in, now=now, timetable=self.timetable,
                              rounds=self.rounds, no_show_minutes=self.no_show_minutes)
