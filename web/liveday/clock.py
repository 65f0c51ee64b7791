"""The event clock: start, pause, resume and delay, and where the session stands at a moment.

Every time shown anywhere (attendee pages, calendar files, printed agendas, the room display)
comes from :meth:`web.events.models.Event.timetable`, so the clock only changes the event's
clock fields and that one function turns them into round times:

* not started: rounds follow the planned ``start``; the clock stays ``before`` round 1 until an
  organiser starts it (a late room does not skip rounds on its own);
* started: round 1 began at ``clock_started_at``;
* delay by N minutes: every round not yet started moves by N minutes (``delay_minutes`` after
  ``delay_after_round``; an earlier delay point is folded into the break after that round so
  held rounds keep their times);
* paused: time stands still at ``clock_paused_at``; resuming moves ``clock_started_at`` by the
  pause, so the bell of the running round rings that much later.

All functions take ``now`` (aware) so tests control the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

from scheduler.domain import Timetable
from web.events.models import Event
from web.extensions import db

PHASES = ("before", "in_round", "changeover", "break", "paused", "finished")
MAX_DELAY_MINUTES = 240


class ClockError(ValueError):
    """An organiser action that does not fit the clock's state (e.g. pausing a stopped clock)."""


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
        data["next_bell_at"] = (self.next_bell_at.astimezone(dt.timezone.utc).isoformat()
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
    common = dict(rounds=event.rounds, started=started, paused=paused,
                  delay_minutes=event.delay_minutes or 0)

    def state(phase: str, current: int | None, nxt: int | None, bell: dt.datetime | None,
              rounds_started: int) -> ClockState:
        seconds = max(0.0, (bell - moment).total_seconds()) if bell else None
        if paused and bell is not None:
            bell_at = None  # no instant while the clock stands still
        else:
            bell_at = bell
        return ClockState(phase="paused" if paused else phase, running_phase=phase,
                          current_round=current, next_round=nxt, seconds_to_next_bell=seconds,
                          next_bell_at=bell_at, rounds_started=rounds_started, **common)

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


# -- organiser actions ---------------------------------------------------------------------

def start_clock(event: Event, now: dt.datetime) -> ClockState:
    """Round 1 starts now. A delay set before the start is used up by starting."""
    if event.clock_started_at is not None:
        raise ClockError("The clock is already running.")
    event.clock_started_at = now
    event.clock_paused_at = None
    event.delay_minutes = 0
    event.delay_after_round = 0
    db.session.commit()
    return clock_state(event, now)


def pause_clock(event: Event, now: dt.datetime) -> ClockState:
    if event.clock_started_at is None:
        raise ClockError("Start the clock before pausing it.")
    if event.clock_paused_at is not None:
        raise ClockError("The clock is already paused.")
    if clock_state(event, now).phase == "finished":
        raise ClockError("The session has finished.")
    event.clock_paused_at = now
    db.session.commit()
    return clock_state(event, now)


def resume_clock(event: Event, now: dt.datetime) -> ClockState:
    """Continue where the clock stopped: every bell still to come rings later by the pause."""
    if event.clock_started_at is None or event.clock_paused_at is None:
        raise ClockError("The clock is not paused.")
    pause = max(dt.timedelta(0), now - event.clock_paused_at)
    event.clock_started_at = event.clock_started_at + pause
    event.clock_paused_at = None
    db.session.commit()
    return clock_state(event, now)


def delay_clock(event: Event, minutes: int, now: dt.datetime) -> ClockState:
    """Move every round that has not started yet by ``minutes`` (may be negative to take back
    part of a delay, never below zero in total at the same point)."""
    if not minutes or abs(minutes) > MAX_DELAY_MINUTES:
        raise ClockError(f"Delay by 1 to {MAX_DELAY_MINUTES} minutes.")
    current = clock_state(event, now)
    if current.first_open_round is None:
        raise ClockError("Every round has started; there is nothing left to delay.")
    after = current.rounds_started
    existing = event.delay_minutes or 0
    if existing and event.delay_after_round != after:
        _fold_delay(event)
        existing = 0
    total = existing + minutes
    if total < 0:
        raise ClockError(f"Only {existing} minutes of delay can be taken back.")
    event.delay_minutes = total
    event.delay_after_round = after
    db.session.commit()
    return clock_state(event, now)


def _fold_delay(event: Event) -> None:
    """Make the current delay permanent so a new delay point can be set.

    A delay after round k is an extra break after round k, so it joins the event's breaks
    (every round keeps its time). A delay before round 1 moves the planned start.
    """
    minutes, after = event.delay_minutes or 0, event.delay_after_round or 0
    if not minutes:
        return
    if after <= 0:
        event.start = event.start + dt.timedelta(minutes=minutes)
    else:
        breaks = {int(b["after_round"]): int(b["minutes"]) for b in event.breaks or []}
        breaks[after] = breaks.get(after, 0) + minutes
        event.breaks = [{"after_round": r, "minutes": m} for r, m in sorted(breaks.items())]
    event.delay_minutes = 0
    event.delay_after_round = 0
