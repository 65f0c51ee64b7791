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

from web.events.clock import PHASES, ClockState, clock_state, round_instants
from web.events.models import Event
from web.extensions import db

__all__ = ["PHASES", "ClockError", "ClockState", "MAX_DELAY_MINUTES", "clock_state", "delay_clock",
           "pause_clock", "resume_clock", "round_instants", "start_clock"]

MAX_DELAY_MINUTES = 240


class ClockError(ValueError):
    """An organiser action that does not fit the clock's state (e.g. pausing a stopped clock)."""


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
