"""Where an attendee stands on the day: registered, withdrawn, checked in, left or no-show.

Withdrawn and left are stored (``withdrawn_at``, ``left_at``); checked in comes from an active
check-in (:mod:`web.attendees.checkins`); no-show is derived from the clock, so it needs no job
to flip it and ends by itself when the person checks in. The whole event's states are read at
once by :func:`web.attendees.presence.presence`, the one place every feature asks.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Protocol

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
    return next((r for r in range(1, rounds + 1) if wanted is None or r in wanted), None)


def attendee_state(attendee: HasStateFields, *, checked_in: bool, first_open_round: int | None,
                   rounds: int, door_open: bool = True) -> AttendeeState:
    """The one state shown and planned for.

    Withdrawn wins over everything (a cancelled person who was checked in by mistake stays
    out); left only counts for someone checked in. A person not checked in is a no-show once
    their first due round has started by the event clock: the next round a re-plan can change
    is the one after it, so absentees are out from the first changeover on, and a late arrival
    ends it by checking in. ``door_open`` says the event checks people in at all (someone has
    been): an event run without the kiosk has no way to tell an absentee, so nobody is one.
    """
    if attendee.withdrawn_at is not None:
        return AttendeeState.WITHDRAWN
    if checked_in:
        return AttendeeState.LEFT if attendee.left_at is not None else AttendeeState.CHECKED_IN
    first_due = first_due_round(attendee.available_rounds, rounds)
    if door_open and first_due is not None and (first_open_round is None or first_due < first_open_round):
        return AttendeeState.NO_SHOW
    return AttendeeState.REGISTERED
