"""Every pair of state transitions (check in, undo, left, back, withdraw, restore) leaves the
state, the counts and what the kiosk says in step: a scan after any of them answers what the
state says, and moves the state the way the answer says."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import select

from web.attendees.checkins import CheckIn
from web.attendees.lifecycle import StateChangeRefused, mark_back, mark_left, restore_attendee, withdraw_attendee
from web.attendees.models import Attendee
from web.attendees.presence import state_of
from web.attendees.states import AttendeeState
from web.checkin.services import annul, check_in, live_counts
from web.extensions import db

S = AttendeeState
BEFORE = dt.datetime(2031, 6, 12, 11, 0, tzinfo=dt.UTC)   # an hour before round 1


def active_checkin(attendee: Attendee) -> CheckIn | None:
    return db.session.scalar(select(CheckIn).where(CheckIn.attendee_id == attendee.id, CheckIn.active))


class Door:
    """The person and the nonces the kiosk used for them."""

    def __init__(self, event, attendee: Attendee) -> None:
        self.event, self.attendee, self.nonces = event, attendee, []

    def scan(self, nonce: str | None = None):
        nonce = nonce or uuid.uuid4().hex
        self.nonces.append(nonce)
        return check_in(self.event, self.attendee.checkin_code, nonce=nonce, now=BEFORE)


def _undo(door: Door) -> None:
    row = active_checkin(door.attendee)
    if row is None:
        raise StateChangeRefused("nothing to undo")
    annul(row, None)


TRANSITIONS: dict[str, Callable[[Door], object]] = {
    "check in": lambda door: door.scan(),
    "undo": _undo,
    "left": lambda door: mark_left(door.attendee),
    "back": lambda door: mark_back(door.attendee),
    "withdraw": lambda door: withdraw_attendee(door.attendee),
    "restore": lambda door: restore_attendee(door.attendee),
}


def state(door: Door) -> AttendeeState:
    db.session.expire_all()
    return state_of(db.session.get_one(Attendee, door.attendee.id), BEFORE)


@pytest.mark.parametrize(("first", "second"), list(itertools.product(TRANSITIONS, repeat=2)),
                         ids=lambda name: name.replace(" ", "-"))
def test_a_scan_after_any_two_transitions_says_what_the_state_is(make_event, make_attendee, first, second):
    event = make_event()
    door = Door(event, make_attendee(event, name="Ana Lima"))
    for name in (first, second):
        with contextlib.suppress(StateChangeRefused):   # refused: nothing changed (checked below)
            TRANSITIONS[name](door)
        db.session.expire_all()
    before = state(door)
    assert live_counts(event).checked_in == (1 if before is S.CHECKED_IN else 0)
    answer = door.scan()
    after = state(door)
    expected = {
        S.REGISTERED: ("welcome", S.CHECKED_IN),
        S.CHECKED_IN: ("already", S.CHECKED_IN),
        S.LEFT: ("welcome", S.CHECKED_IN),           # "Welcome back": here again
        S.WITHDRAWN: ("withdrawn", S.WITHDRAWN),     # nothing recorded; restore offered
    }[before]
    assert (answer.status, after) == expected, (first, second, before)
    assert answer.back == (before is S.LEFT)
    assert live_counts(event).checked_in == (1 if after is S.CHECKED_IN else 0)
    if answer.status == "withdrawn":
        assert answer.checkin is None


def test_a_resent_scan_whose_check_in_was_undone_says_so_and_records_nothing(make_event, make_attendee):
    event = make_event()
    door = Door(event, make_attendee(event, name="Ana Lima"))
    first = door.scan()
    assert first.status == "welcome"
    _undo(door)
    replay = door.scan(door.nonces[0])
    assert replay.status == "undone" and state(door) is S.REGISTERED
    assert active_checkin(door.attendee) is None
    again = door.scan()
    assert again.status == "welcome" and state(door) is S.CHECKED_IN


def test_someone_who_left_and_whose_check_in_is_undone_is_simply_registered(make_event, make_attendee):
    event = make_event()
    door = Door(event, make_attendee(event, name="Ana Lima"))
    door.scan()
    mark_left(door.attendee)
    _undo(door)
    assert state(door) is S.REGISTERED
    answer = door.scan()
    assert (answer.status, answer.back, state(door)) == ("welcome", False, S.CHECKED_IN)


def test_a_withdrawn_person_who_was_checked_in_is_not_counted_until_restored(make_event, make_attendee):
    event = make_event()
    door = Door(event, make_attendee(event, name="Ana Lima"))
    door.scan()
    withdraw_attendee(door.attendee)
    assert (live_counts(event).checked_in, live_counts(event).expected) == (0, 0)
    restore_attendee(door.attendee)
    assert (live_counts(event).checked_in, state(door)) == (1, S.CHECKED_IN)
