from __future__ import annotations

from dataclasses import replace

import pytest

from scheduler.checker import check_schedule
from scheduler.replan import replan
from scheduler.solver import PlanRequest, plan
from tests.scheduler._events import WEIGHTS, person, random_event


@pytest.mark.slow
def test_replan_keeps_held_rounds_drops_no_shows_and_admits_late_arrivals() -> None:
    people = random_event(40, seed=31, rounds=6, partial=0.0)
    first = plan(PlanRequest(people, 6, weights=WEIGHTS, time_limit=2)).schedule
    no_shows = {people[0].id, people[1].id}
    late = person("late", "Latecomer Ltd", rounds=frozenset(range(3, 7)))
    present = [p for p in people if p.id not in no_shows] + [late]
    result, changes = replan(first, present, 3, WEIGHTS, time_limit=4, registered=people)
    schedule = result.schedule
    held = [m for m in first.meetings if m.round < 3]
    assert check_schedule(schedule, present + [p for p in people if p.id in no_shows], held) == []
    later = [m for m in schedule.meetings if m.round >= 3]
    assert not any(m.involves(i) for m in later for i in no_shows)
    assert any(m.involves("late") for m in later)
    removed = [c for c in changes if c.kind == "removed"]
    assert removed and all("not checked in" in c.note for c in removed if c.note)
    assert {c.kind for c in changes} <= {"removed", "added", "moved"}
    kept = {m.pair for m in later} & {m.pair for m in first.meetings if m.round >= 3}
    # Most of the old plan survives: only the no-shows' partners need new meetings.
    assert len(kept) >= 0.6 * sum(1 for m in first.meetings if m.round >= 3)


@pytest.mark.slow
def test_replan_with_nothing_changed_changes_nothing() -> None:
    people = random_event(12, seed=32, rounds=4, partial=0.0, colleagues=False)
    first = plan(PlanRequest(people, 4, weights=WEIGHTS, time_limit=5)).schedule
    result, changes = replan(first, people, 2, WEIGHTS, time_limit=5)
    assert check_schedule(result.schedule, people, [m for m in first.meetings if m.round < 2]) == []
    assert [c for c in changes if c.kind == "removed"] == []
    assert {m.pair for m in result.schedule.meetings} == {m.pair for m in first.meetings}


def test_replan_from_beyond_the_last_round_keeps_everything() -> None:
    people = random_event(8, seed=33, rounds=3, partial=0.0, colleagues=False)
    first = plan(PlanRequest(people, 3, weights=WEIGHTS, time_limit=5)).schedule
    result, changes = replan(first, [replace(p) for p in people], 4, WEIGHTS, time_limit=2)
    assert set(result.schedule.meetings) == set(first.meetings) and changes == []
