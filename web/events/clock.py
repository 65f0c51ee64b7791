"""Where the session stands at a moment: the event clock's state, read from the event row.

The clock follows the timetable (round 1 at the planned ``start``) until an organiser starts,
pauses or delays it (:mod:`web.liveday.clock`), so a room that runs on time needs no button
pressed for no-shows, re-plans and the display to know which round is on. Reading the clock is
needed low down (attendee states, publishing checks, the kiosk), so it lives here, and
:func:`first_open_round` is the one answer to "which round is the first a plan may change".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from scheduler.domain import Timetable
from web.events.models import Event


class Phase(StrEnum):
    BEFORE = "before"
    IN_ROUND = "in_round"
    CHANGEOVER = "changeover"
    BREAK = "break"
    PAUSED = "paused"
    FINISHED = "finished"


PHASES = tuple(phase.value for phase in Phase)


@dataclass(frozen=True)
class ClockInputs:
    """What the clock reads of an event, as plain values (a kiosk keeps them a few seconds
    instead of reading the event row on every scan)."""

    timetable: Timetable
    rounds: int
    changeover_minutes: int
    started_at: dt.datetime | None
    paused_at: dt.datetime | None
    delay_minutes: int

    @classmethod
    def of(cls, event: Event | ClockInputs) -> ClockInputs:
        if isinstance(event, ClockInputs):
            return event
        return cls(event.timetable(), event.rounds, event.changeover_minutes, event.clock_started_at,
                   event.clock_paused_at, event.delay_minutes or 0)


@dataclass(frozen=True)
class ClockState:
    """Where the session stands at one moment.

    ``phase`` is a :class:`Phase` value; while paused, ``running_phase`` says what the room was
    doing when the clock stopped. ``current_round`` is the round in progress (``None`` in
    changeovers, breaks, before and after). ``seconds_to_next_bell`` counts down to the next
    start or end of a round (``None`` when finished). ``rounds_started`` is how many rounds have
    begun, so ``rounds_started + 1`` is the first round a re-plan may change. ``started`` says
    an organiser took the clock over (start, pause or delay); otherwise it follows the timetable.

    Two round numbers that differ while a round runs: ``next_round`` is the round that comes
    next on the clock (the one after the running round: what the display and the console
    announce), while :attr:`first_open_round` is the first round not started (the running
    round's successor too, but also the round coming in a changeover, and the one rule for
    where plans begin: :func:`first_open_round`). Use ``next_round`` only for "what comes
    next"; anything a plan, a promise or a state depends on uses ``first_open_round``.
    """

    phase: str
    running_phase: str
    current_round: int | None
    next_round: int | None
    seconds_to_next_bell: float | None
    next_bell_at: dt.datetime | None
    rounds: int
    rounds_started: int
    started: bool
    paused: bool
    delay_minutes: int

    @property
    def first_open_round(self) -> int | None:
        """The first round that has not started (None when all have)."""
        return self.rounds_started + 1 if self.rounds_started < self.rounds else None

    @property
    def shown_round(self) -> int | None:
        """The round a room display lists tables for: the one running, else the one coming."""
        return self.current_round or self.next_round

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["next_bell_at"] = (self.next_bell_at.astimezone(dt.UTC).isoformat()
                               if self.next_bell_at else None)
        data["first_open_round"] = self.first_open_round
        data["shown_round"] = self.shown_round
        return data


def event_zone(name: str | None) -> ZoneInfo:
    """The event's time zone; an unknown name falls back to UTC (the edit form refuses one,
    so only a hand-edited row can have it)."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def in_event_zone(timezone: str | None, instant: dt.datetime) -> dt.datetime:
    """An aware instant as the event's local time (aware, in :func:`event_zone`'s zone): the one
    way pages, mail, calendars, prints and the kiosk turn an instant into the event's time."""
    return instant.astimezone(event_zone(timezone))


def _aware(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return local if local.tzinfo else local.replace(tzinfo=zone)


def round_instants(timetable: Timetable) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """``(round, start, end)`` as aware instants in the event's zone."""
    zone = event_zone(timetable.timezone)
    return [(r, _aware(s, zone), _aware(e, zone)) for r, s, e in timetable.slots()]


def planned_start(event: Event) -> dt.datetime:
    """Round 1 by the timetable as planned (no clock, no delay), as an aware instant."""
    return _aware(event.start, event_zone(event.timezone))


def clock_state(event: Event | ClockInputs, now: dt.datetime) -> ClockState:
    """The clock at ``now`` (aware): by the timetable, or by the organiser's clock once taken
    over (a paused clock stands still at the pause)."""
    inputs = ClockInputs.of(event)
    paused = inputs.paused_at is not None and inputs.started_at is not None
    moment = inputs.paused_at if paused and inputs.paused_at is not None else now
    slots = round_instants(inputs.timetable)

    def state(phase: Phase, current: int | None, nxt: int | None, bell: dt.datetime | None,
              rounds_started: int) -> ClockState:
        seconds = max(0.0, (bell - moment).total_seconds()) if bell else None
        bell_at = None if paused else bell  # no instant while the clock stands still
        return ClockState(phase=Phase.PAUSED if paused else phase, running_phase=phase,
                          current_round=current, next_round=nxt, seconds_to_next_bell=seconds,
                          next_bell_at=bell_at, rounds_started=rounds_started, rounds=inputs.rounds,
                          started=inputs.started_at is not None, paused=paused,
                          delay_minutes=inputs.delay_minutes)

    for number, start, end in slots:
        if moment < start:
            if number == 1:
                return state(Phase.BEFORE, None, 1, start, 0)
            gap = (start - slots[number - 2][2]).total_seconds()
            phase = Phase.BREAK if gap > inputs.changeover_minutes * 60 else Phase.CHANGEOVER
            return state(phase, None, number, start, number - 1)
        if moment < end:
            return state(Phase.IN_ROUND, number, number + 1 if number < inputs.rounds else None, end, number)
    return state(Phase.FINISHED, None, None, None, inputs.rounds)


def first_open_round(event: Event | ClockInputs, now: dt.datetime) -> int | None:
    """The first round that has not started at ``now`` (None when every round has): the one
    rule for where plans, re-plans, the kiosk's promises and no-shows begin."""
    return clock_state(event, now).first_open_round
