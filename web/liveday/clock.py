"""The event clock: start, pause, resume, delay and reset, and where the session stands.

Every time shown anywhere (attendee pages, calendar files, printed agendas, the room display)
comes from :meth:`web.events.models.Event.timetable`, so the clock only changes the event's
clock fields and that one function turns them into round times:

* not started: rounds follow the planned ``start`` (the room runs on the timetable, and no-shows,
  re-plans and the display follow it without anyone pressing a button);
* started: round 1 began at ``clock_started_at``. Starting more than
  :data:`CONFIRM_BEFORE` ahead of the planned start re-times every page, calendar file and
  print to today, so it needs the organiser's confirmation, and :func:`reset_clock` puts the
  timetable back (with the same confirmation);
* delay by N minutes: every round not yet started moves by N minutes (``delay_minutes`` after
  ``delay_after_round``; an earlier delay point is folded into the break after that round so
  held rounds keep their times);
* paused: time stands still at ``clock_paused_at``; resuming moves ``clock_started_at`` by the
  pause, so the bell of the running round rings that much later.

All functions take ``now`` (aware) so tests control the clock.
"""

from __future__ import annotations

import datetime as dt

from web.events.clock import (
    PHASES,
    ClockState,
    Phase,
    clock_state,
    in_event_zone,
    planned_start,
    round_instants,
)
from web.events.models import Event
from web.extensions import db

__all__ = ["PHASES", "CONFIRM_BEFORE", "ClockConfirmationNeeded", "ClockError", "ClockState",
           "MAX_DELAY_MINUTES", "clock_state", "delay_clock", "pause_clock", "reset_clock",
           "resume_clock", "round_instants", "start_clock"]

MAX_DELAY_MINUTES = 240
# Starting the clock this long or more before the planned start re-times the whole event to an
# unplanned day: it asks first.
CONFIRM_BEFORE = dt.timedelta(hours=1)


class ClockError(ValueError):
    """An organiser action that does not fit the clock's state (e.g. pausing a finished session)."""


class ClockConfirmationNeeded(ClockError):
    """The action re-times the event's pages, calendar files and prints; ``str()`` says how.
    Repeat it with ``confirm=True`` to go ahead."""


def _when(event: Event, instant: dt.datetime) -> str:
    local = in_event_zone(event.timezone, instant)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}"


RETIMES = ("and every later round with it: attendees' pages, calendar files, printed agendas and "
           "the room display all change to the new times.")


def _set_clock(event: Event, started_at: dt.datetime | None, now: dt.datetime) -> ClockState:
    """The clock starts at ``started_at`` (None: it follows the timetable again), running, with
    no delay of its own."""
    event.clock_started_at = started_at
    event.clock_paused_at = None
    event.delay_minutes = 0
    event.delay_after_round = 0
    db.session.commit()
    return clock_state(event, now)


# -- organiser actions ---------------------------------------------------------------------

def start_clock(event: Event, now: dt.datetime, *, confirm: bool = False) -> ClockState:
    """Round 1 starts now. A delay set before the start is used up by starting. More than
    :data:`CONFIRM_BEFORE` before the planned start it needs ``confirm``."""
    if event.clock_started_at is not None:
        raise ClockError("The clock is already running; reset it to the timetable first.")
    planned = planned_start(event)
    if now < planned - CONFIRM_BEFORE and not confirm:
        raise ClockConfirmationNeeded(
            f"Round 1 is planned for {_when(event, planned)} ({event.timezone}). Starting now moves "
            f"round 1 to {_when(event, now)} {RETIMES}")
    started = clock_state(event, now).rounds_started
    if started >= 2 and not confirm:
        raise ClockConfirmationNeeded(
            f"By the timetable rounds 1 to {started} have started. Starting now makes round 1 begin "
            f"at {_when(event, now)} {RETIMES}")
    return _set_clock(event, now, now)


def reset_clock(event: Event, now: dt.datetime, *, confirm: bool = False) -> ClockState:
    """Back to the timetable as planned: the start, pause and delay are dropped (a delay already
    folded into a break stays, as the edit form shows it). Always asks first: every time shown
    moves back."""
    if event.clock_started_at is None and not event.delay_minutes:
        raise ClockError("The clock already follows the timetable.")
    if not confirm:
        raise ClockConfirmationNeeded(
            f"Resetting moves round 1 back to {_when(event, planned_start(event))} ({event.timezone}) "
            f"{RETIMES}")
    return _set_clock(event, None, now)


def _take_over(event: Event) -> None:
    """A clock that followed the timetable becomes the organiser's, started at the planned time."""
    if event.clock_started_at is None:
        event.clock_started_at = round_instants(event.timetable())[0][1]


def pause_clock(event: Event, now: dt.datetime) -> ClockState:
    if event.clock_paused_at is not None:
        raise ClockError("The clock is already paused.")
    phase = clock_state(event, now).phase
    if phase == Phase.FINISHED:
        raise ClockError("The session has finished.")
    if phase == Phase.BEFORE:
        raise ClockError("Round 1 has not started; delay it instead of pausing.")
    _take_over(event)
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
