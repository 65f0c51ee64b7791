"""The published per-round matching baseline that the benchmark compares the solver with."""

from __future__ import annotations

import pytest

from scheduler.baseline import baseline_schedule
from scheduler.checker import check_schedule
from scheduler.generator import generate_event
from scheduler.taxonomy import load_weights

ROUNDS, TABLES = 6, 25


@pytest.fixture(scope="module")
def event():
    return generate_event(60, rounds=ROUNDS, seed=3)


def worst_sit_outs(schedule, attendees) -> int:
    return max(len(a.rounds_present(ROUNDS)) - len(schedule.for_attendee(a.id)) for a in attendees)


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["lightest", "rotate"])
def test_both_sit_out_rules_keep_the_hard_rules_and_fill_the_tables(event, rule):
    schedule = baseline_schedule(event, ROUNDS, TABLES, load_weights(), sit_outs=rule)
    assert check_schedule(schedule, event) == []
    assert len(schedule.meetings) == ROUNDS * TABLES
    assert baseline_schedule(event, ROUNDS, TABLES, load_weights(), sit_outs=rule) == schedule


@pytest.mark.slow
def test_rotating_sit_outs_spreads_them_where_dropping_the_lightest_does_not(event):
    """60 people, 25 tables: somebody sits out every round; nobody has to more than once."""
    lightest = baseline_schedule(event, ROUNDS, TABLES, load_weights(), sit_outs="lightest")
    rotate = baseline_schedule(event, ROUNDS, TABLES, load_weights(), sit_outs="rotate")
    assert worst_sit_outs(rotate, event) == 1
    assert worst_sit_outs(lightest, event) > 1
    assert rotate.total_score < lightest.total_score  # fairness costs score
