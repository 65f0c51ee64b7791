"""The few seconds' memory of token and event lookups that kiosk scans repeat."""

from __future__ import annotations

from flask import Flask

from web.checkin.services import scan_event
from web.extensions import db
from web.lookup_cache import LOOKUP_SECONDS, LookupCache, lookup_cache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_found_value_is_remembered_until_it_expires():
    clock, loads = Clock(), []
    cache = LookupCache(seconds=LOOKUP_SECONDS, timer=clock)

    def load(key: str) -> str:
        loads.append(key)
        return f"row {key} #{len(loads)}"

    assert cache.get("a", load) == "row a #1"
    clock.now = LOOKUP_SECONDS - 0.1
    assert cache.get("a", load) == "row a #1" and loads == ["a"]
    clock.now = LOOKUP_SECONDS + 0.1
    assert cache.get("a", load) == "row a #2"
    cache.clear()
    assert cache.get("a", load) == "row a #3"


def test_nothing_is_remembered_for_a_key_that_was_not_found():
    """A token created a moment after a failed try works at once; guessing fills nothing."""
    cache, answers = LookupCache(timer=Clock()), iter([None, "created"])
    assert cache.get("sn_new", lambda _key: next(answers)) is None
    assert cache.get("sn_new", lambda _key: next(answers)) == "created"


def test_each_app_has_its_own_caches():
    """Apps with different databases in one process (as in tests) never answer for each other."""
    first, second = Flask("first"), Flask("second")
    with first.app_context():
        lookup_cache("events").get("summit", lambda _slug: "event of the first database")
    with second.app_context():
        assert lookup_cache("events").get("summit", lambda _slug: "second") == "second"
    with first.app_context():
        assert lookup_cache("events").get("summit", lambda _slug: "again") == "event of the first database"


def test_an_event_change_reaches_scans_when_it_commits(make_event):
    event = make_event(rounds=8)
    assert scan_event(event.slug).info.timetable.rounds == 8
    event.rounds = 6
    db.session.flush()
    # Not committed: other requests still read 8 rounds, and so does the remembered snapshot.
    assert scan_event(event.slug).info.timetable.rounds == 8
    db.session.commit()
    assert scan_event(event.slug).info.timetable.rounds == 6

    event.rounds = 4
    db.session.flush()
    db.session.rollback()
    assert scan_event(event.slug).info.timetable.rounds == 6
