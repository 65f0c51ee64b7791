"""The event clock: phases, pause/resume, delays, and the timetable every page reads."""

from __future__ import annotations

import datetime as dt

import pytest

from web.events.models import Event
from web.extensions import db
from web.liveday.clock import ClockError, clock_state, delay_clock, pause_clock, resume_clock, start_clock

UTC = dt.UTC
# Events in the fixtures start 14:00 Europe/Amsterdam on 2031-06-12 = 12:00 UTC.
T0 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def local(event: Event, round_number: int) -> str:
    return event.timetable().round_start(round_number).strftime("%H:%M:%S")


def test_before_the_clock_starts_the_countdown_aims_at_the_planned_start(make_event):
    event = make_event(rounds=4)
    early = clock_state(event, at(-5))
    assert (early.phase, early.current_round, early.next_round) == ("before", None, 1)
    assert early.seconds_to_next_bell == 300
    # Nobody pressed start: the clock follows the timetable, so round 3 is on at its time.
    later = clock_state(event, at(21))
    assert (later.phase, later.current_round, later.rounds_started, later.started) == ("in_round", 3, 3, False)
    assert later.first_open_round == 4


def test_rounds_changeovers_breaks_and_the_end(make_event):
    event = make_event(rounds=4, breaks=[{"after_round": 2, "minutes": 15}])
    start_clock(event, T0)
    state = clock_state(event, at(3))
    assert (state.phase, state.current_round, state.next_round) == ("in_round", 1, 2)
    assert state.seconds_to_next_bell == 5 * 60
    assert state.next_bell_at == at(8)
    state = clock_state(event, at(9))
    assert (state.phase, state.current_round, state.next_round, state.rounds_started) == ("changeover", None, 2, 1)
    assert state.seconds_to_next_bell == 60
    assert state.shown_round == 2
    # Round 2 ends at 18 min; round 3 starts after changeover + 15 min break = 35 min.
    state = clock_state(event, at(20))
    assert (state.phase, state.next_round, state.seconds_to_next_bell) == ("break", 3, 15 * 60)
    state = clock_state(event, at(36))
    assert (state.phase, state.current_round, state.first_open_round) == ("in_round", 3, 4)
    state = clock_state(event, at(60))
    assert (state.phase, state.current_round, state.next_round, state.seconds_to_next_bell) == (
        "finished", None, None, None)
    assert state.first_open_round is None


def test_starting_late_moves_every_round(make_event):
    event = make_event(rounds=3)
    start_clock(event, at(7))
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert [local(event, r) for r in (1, 2, 3)] == ["14:07:00", "14:17:00", "14:27:00"]
    assert clock_state(event, at(8)).current_round == 1
    with pytest.raises(ClockError):
        start_clock(event, at(9))


def test_pause_freezes_the_countdown_and_resume_moves_the_bell(make_event):
    event = make_event(rounds=3)
    start_clock(event, T0)
    pause_clock(event, at(5))
    state = clock_state(event, at(9))
    assert (state.phase, state.running_phase, state.current_round) == ("paused", "in_round", 1)
    assert state.seconds_to_next_bell == 3 * 60
    assert state.next_bell_at is None
    with pytest.raises(ClockError):
        pause_clock(event, at(9))
    resume_clock(event, at(9))  # paused for 4 minutes
    state = clock_state(event, at(9))
    assert (state.phase, state.current_round, state.seconds_to_next_bell) == ("in_round", 1, 3 * 60)
    assert state.next_bell_at == at(12)
    assert local(event, 2) == "14:14:00"
    with pytest.raises(ClockError):
        resume_clock(event, at(10))


def test_delay_shifts_rounds_not_yet_started_and_never_held_ones(make_event):
    event = make_event(rounds=5)
    start_clock(event, T0)
    before = [local(event, r) for r in range(1, 6)]
    # During round 2: rounds 1 and 2 have started and keep their times.
    delay_clock(event, 5, at(12))
    after = [local(event, r) for r in range(1, 6)]
    assert after[:2] == before[:2]
    assert after[2:] == ["14:25:00", "14:35:00", "14:45:00"]
    assert clock_state(event, at(12)).current_round == 2
    assert clock_state(event, at(21)).phase == "break"  # the extra 5 minutes after round 2
    # A second delay at the same point adds up; taking some back works too.
    delay_clock(event, 3, at(13))
    delay_clock(event, -1, at(13))
    assert local(event, 3) == "14:27:00"
    # A later delay point: rounds 1-3 keep their (delayed) times, later rounds move again.
    held = [local(event, r) for r in (1, 2, 3)]
    delay_clock(event, 10, at(28))
    assert [local(event, r) for r in (1, 2, 3)] == held
    assert local(event, 4) == "14:47:00"
    assert event.breaks == [{"after_round": 2, "minutes": 7}]


def test_delay_before_the_start_moves_the_planned_start(make_event):
    event = make_event(rounds=2)
    delay_clock(event, 10, at(-20))
    assert local(event, 1) == "14:10:00"
    assert clock_state(event, at(-20)).seconds_to_next_bell == 30 * 60
    with pytest.raises(ClockError):
        delay_clock(event, -11, at(-20))
    with pytest.raises(ClockError):
        delay_clock(event, 0, at(-20))


def test_nothing_to_delay_or_pause_when_finished(make_event):
    event = make_event(rounds=1)
    start_clock(event, T0)
    with pytest.raises(ClockError):
        delay_clock(event, 5, at(30))
    with pytest.raises(ClockError):
        pause_clock(event, at(30))


def test_state_serialises_for_json(make_event):
    event = make_event(rounds=2)
    start_clock(event, T0)
    data = clock_state(event, at(1)).to_dict()
    assert data["phase"] == "in_round" and data["shown_round"] == 1
    assert data["next_bell_at"] == at(8).isoformat()
