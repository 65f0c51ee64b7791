from __future__ import annotations

from scheduler.checker import check_schedule
from scheduler.domain import Meeting, Schedule
from tests.scheduler._events import person

PEOPLE = [person("a", "Contoso"), person("b", "contoso "), person("c", avoid=("d",)), person("d"),
          person("e", rounds=frozenset({2})), person("f")]


def test_valid_schedule_has_no_violations() -> None:
    schedule = Schedule(2, 2, (Meeting(1, 1, "a", "c"), Meeting(1, 2, "b", "d"),
                               Meeting(2, 1, "a", "e"), Meeting(2, 2, "c", "f")))
    assert check_schedule(schedule, PEOPLE) == []


def test_every_rule_is_reported() -> None:
    schedule = Schedule(2, 2, (
        Meeting(1, 1, "a", "b"),          # colleagues
        Meeting(1, 1, "c", "d"),          # table reused, avoided
        Meeting(1, 2, "a", "e"),          # a twice in round 1, e not available
        Meeting(2, 3, "c", "f"),          # table outside
        Meeting(3, 1, "c", "f"),          # round outside, pair twice
        Meeting(2, 1, "x", "f"),          # unknown, f twice in round 2
        Meeting(2, 2, "d", "d"),          # self
    ))
    text = "\n".join(check_schedule(schedule, PEOPLE))
    for expected in ("colleagues from 'Contoso'", "table 1 is used twice in round 1", "asked not to meet",
                     "a already meets at table 1 in round 1", "e is not available in round 1",
                     "table outside 1..2", "round outside 1..2", "c and f meet 2 times",
                     "unknown attendee x", "f already meets", "cannot meet themselves",
                     "round 1: 3 meetings for 2 tables"):
        assert expected in text, expected


def test_fixed_meetings_must_be_kept_exactly() -> None:
    fixed = [Meeting(1, 1, "a", "c")]
    moved = Schedule(2, 2, (Meeting(1, 2, "a", "c"),))
    assert any("missing or moved" in p for p in check_schedule(moved, PEOPLE, fixed))
    added = Schedule(2, 2, (Meeting(1, 1, "c", "a"), Meeting(1, 2, "b", "d")))
    problems = check_schedule(added, PEOPLE, fixed)
    assert problems == ["round 1 table 2 (b + d): added to fixed round 1"]
