"""Where the session stands at a moment: the event clock's state, read from the event row.

The organiser's actions on the clock (start, pause, resume, delay) live with the event day
(:mod:`web.liveday.clock`); reading the clock is needed lower down too (publishing checks that
a revision's first round has not started, attendee states derive no-shows), so it lives here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from scheduler.domain import Timetable
from web.events.models import Event

PHASES = ("before", "in_round", "changeover", "break", "paused", "finished")


@dataclass(frozen=True)
class ClockState:
    """Where the session stands at one moment.

    ``phase`` is one of :data:`PHASES`; while paused, ``running_phase`` says what the room was
    doing when the clock stopped. ``current_round`` is the round in progress (``None`` in
    changeovers, breaks, before and after). ``seconds_to_next_bell`` counts down to the next
    start or end of a round (``None`` when finished). ``rounds_started`` is how many rounds have
    begun, so ``rounds_started + 1`` is the first round a re-plan may change.
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


def _aware(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return local if local.tzinfo else local.replace(tzinfo=zone)


def round_instants(timetable: Timetable) -> list[tuple[int, dt.datetime, dt.datetime]]:
    """``(round, start, end)`` as aware instants in the event's zone."""
    zone = ZoneInfo(timetable.timezone or "UTC")
    return [(r, _aware(s, zone), _aware(e, zone)) for r, s, e in timetable.slots()]


def clock_state(event: Event, now: dt.datetime) -> ClockState:
    """The clock at ``now`` (aware)."""
    paused = event.clock_paused_at is not None and event.clock_started_at is not None
    moment = event.clock_paused_at if paused else now
    assert moment is not None
    slots = round_instants(event.timetable())
    started = event.clock_started_at is not None
    delay = event.delay_minutes or 0

    def state(phase: str, current: int | None, nxt: int | None, bell: dt.datetime | None,
              rounds_started: int) -> ClockState:
        seconds = max(0.0, (bell - moment).total_seconds()) if bell else None
        if paused and bell is not None:
            bell_at = None  # no instant while the clock stands still
        else:
            bell_at = bell
        return ClockState(phase="paused" if paused else phase, running_phase=phase,
                          current_round=current, next_round=nxt, seconds_to_next_bell=seconds,
                          next_bell_at=bell_at, rounds_started=rounds_started,
                          rounds=event.rounds, started=started, paused=paused, delay_minutes=delay)

    if not started:
        return state("before", None, 1, slots[0][1], 0)
    for number, start, end in slots:
        if moment < start:
            if number == 1:
                return state("before", None, 1, start, 0)
            previous_end = slots[number - 2][2]
            gap = (start - previous_end).total_seconds()
            phase = "break" if gap > event.changeover_minutes * 60 else "changeover"
            return state(phase, None, number, start, number - 1)
        if moment < end:
            nxt = number + 1 if number < event.rounds else None
            return state("in_round", number, nxt, end, number)
    return state("finished", None, None, None, event.rounds)


def first_open_round(event: Event, now: dt.datetime) -> int | None:
    """The first round that has not started at ``now`` (None when every round has)."""
    return clock_state(event, now).first_open_round
