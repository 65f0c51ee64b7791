"""Generated events of several sizes and shapes: the plan is fair, keeps every keepable request,
repeats no company it need not, and scores within 0.1% of its own upper bound.

The bound is for schedules as fair as the plan that keep its must-meet pairs and repeat no more
companies, so the last figure says how much score any other plan with the same first tiers
could add. No duration is asserted: the plan runs under the default limit and stops when done.
"""

from __future__ import annotations

import dataclasses

import pytest

from scheduler.bounds import fairness_target
from scheduler.checker import check_schedule
from scheduler.generator import generate_event
from scheduler.instance import build_instance
from scheduler.solver import PlanRequest, plan
from scheduler.taxonomy import load_weights
from tests.support.marks import slow_if

SHAPES = [(n, rounds, share, seed)
          for n, rounds in ((120, 8), (200, 10), (450, 12), (1000, 12))
          for share, seed in ((0.45, 1), (0.5, 2), (0.35, 3))]


@pytest.mark.parametrize(("n", "rounds", "share", "seed"),
                         [slow_if(n > 200, n, rounds, share, seed) for n, rounds, share, seed in SHAPES])
def test_generated_events_score_within_a_thousandth_of_the_bound(n: int, rounds: int, share: float,
                                                                  seed: int) -> None:
    people = generate_event(n, rounds=rounds, seed=seed)
    tables = int(n * share)
    weights = load_weights()
    result = plan(PlanRequest(people, rounds, tables, weights, seed=seed))
    report = result.report
    assert check_schedule(result.schedule, people) == []
    inst = build_instance(people, rounds, tables, weights, (), frozenset(), None, 0)
    assert report.meetings == sum(inst.seats(r) for r in inst.free_rounds), "a table stands empty"
    assert report.sit_outs_worst <= max(1, fairness_target(inst))
    assert report.must_meet_kept == report.must_meet_requested
    assert report.company_repeat_meetings == 0
    assert report.upper_bound is not None and report.ratio is not None
    assert report.ratio >= 0.999, f"{100 * report.ratio:.3f}% of the bound"


@pytest.mark.parametrize("rule", ["off", "hard"])
def test_the_other_company_rules_reach_the_same_quality(rule: str) -> None:
    people = generate_event(200, rounds=10, seed=4)
    weights = dataclasses.replace(load_weights(), company_repeats=rule)
    report = plan(PlanRequest(people, 10, 90, weights, seed=4)).report
    assert report.meetings == 900 and report.must_meet_kept == report.must_meet_requested
    assert report.ratio is not None and report.ratio >= 0.999, f"{100 * report.ratio:.3f}% of the bound"
