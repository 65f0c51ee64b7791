"""Who is here and who is expected: the one answer the planner, the kiosk, the room display,
the results and the prints all read.

A person's state comes from :func:`web.attendees.states.attendee_state`; this module reads a
whole event's check-ins in one query and applies the rule with the clock's first open round
(:func:`web.events.clock.first_open_round`), so "expected", "no-show" and "checked in" mean the
same thing on every page, in every count and in every plan.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from web.attendees.checkins import CheckIn
from web.attendees.convert import parse_rounds
from web.attendees.models import Attendee, attendees_of
from web.attendees.states import AttendeeState, attendee_state
from web.events.clock import first_open_round
from web.events.models import Event
from web.extensions import db
from web.types import utcnow


def checked_in_ids(event_id: int, attendee_ids: Collection[int] | None = None) -> set[int]:
    """Ids (of ``attendee_ids``, or all of the event) with an active check-in."""
    stmt = select(CheckIn.attendee_id).where(CheckIn.event_id == event_id, CheckIn.active)
    if attendee_ids is not None:
        if not attendee_ids:
            return set()
        stmt = stmt.where(CheckIn.attendee_id.in_(list(attendee_ids)))
    return set(db.session.scalars(stmt))


def attends(attendee: Attendee, round_number: int) -> bool:
    """Inside the attendee's availability (no availability given: every round)."""
    wanted = parse_rounds(attendee.available_rounds)
    return wanted is None or round_number in wanted


@dataclass(frozen=True)
class Presence:
    """Every attendee's state at one moment, with the first round not yet started.
    ``door_open``: someone of the event has checked in (without, nobody counts as a no-show)."""

    at: dt.datetime
    first_open_round: int | None
    rounds: int
    people: tuple[Attendee, ...]
    states: dict[int, AttendeeState]
    door_open: bool

    def state(self, attendee: Attendee | int) -> AttendeeState:
        return self.states[attendee if isinstance(attendee, int) else attendee.id]

    def with_state(self, *states: AttendeeState) -> list[Attendee]:
        return [a for a in self.people if self.states[a.id] in states]

    @property
    def expected(self) -> list[Attendee]:
        """Planned for in the rounds to come: checked in, or registered and not yet due."""
        return [a for a in self.people if self.states[a.id].expected]

    def expected_in(self, round_number: int) -> list[Attendee]:
        """Expected, and attending ``round_number`` by their availability."""
        return [a for a in self.expected if attends(a, round_number)]

    @property
    def counts(self) -> Counter[AttendeeState]:
        return Counter(self.states.values())

    @property
    def not_withdrawn(self) -> int:
        """Everyone the event still counts on at all (the denominator of every count)."""
        return len(self.people) - self.counts[AttendeeState.WITHDRAWN]


def presence(event: Event, now: dt.datetime | None = None,
             people: Sequence[Attendee] | None = None) -> Presence:
    """The states of ``people`` (default: every attendee of the event, in badge order) at
    ``now``: three queries whatever the size of the event."""
    now = now or utcnow()
    rows = tuple(people) if people is not None else tuple(db.session.scalars(
        attendees_of(event.id).order_by(Attendee.badge_number)))
    checked = checked_in_ids(event.id, None if people is None or len(rows) > 500 else [a.id for a in rows])
    door_open = bool(checked) or door_has_opened(event.id)
    first = first_open_round(event, now)
    states = {a.id: attendee_state(a, checked_in=a.id in checked, first_open_round=first, rounds=event.rounds,
                                   door_open=door_open)
              for a in rows}
    return Presence(now, first, event.rounds, rows, states, door_open)


def door_has_opened(event_id: int) -> bool:
    """Someone of the event is checked in: the event runs its door through speednet."""
    return db.session.scalar(select(CheckIn.id).where(CheckIn.event_id == event_id, CheckIn.active).limit(1)) is not None


def state_of(attendee: Attendee, now: dt.datetime | None = None) -> AttendeeState:
    """One attendee's state now (for pages showing one person)."""
    return presence(attendee.event, now, [attendee]).state(attendee)


def checked_in_count(event_id: int) -> int:
    """People here now: an active check-in, not withdrawn since, not gone home."""
    return db.session.scalar(
        select(func.count()).select_from(CheckIn)
        .join(Attendee, Attendee.id == CheckIn.attendee_id)
        .where(CheckIn.event_id == event_id, CheckIn.active, Attendee.withdrawn_at.is_(None),
               Attendee.left_at.is_(None))) or 0


def not_withdrawn_count(event_id: int) -> int:
    return db.session.scalar(attendees_of(event_id, func.count()).where(Attendee.withdrawn_at.is_(None))) or 0
