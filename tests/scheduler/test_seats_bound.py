"""Bounds for rooms the LP cannot finish in time: never below what a schedule reaches or the LP's value."""

from __future__ import annotations

import numpy as np
import pytest

from scheduler.bounds import (
    degree_limits,
    fairness_target,
    lagrangian_bound,
    raised_duals_bound,
    reduced_costs,
    seats_bound,
    solve_selection,
)
from scheduler.generator import generate_event
from scheduler.instance import build_instance
from scheduler.solver import PlanRequest, plan
from scheduler.taxonomy import load_weights

WEIGHTS = load_weights()


@pytest.mark.parametrize("seed", range(8))
def test_it_is_the_seats_worth_of_the_heaviest_pairs_or_more(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pairs = int(rng.integers(1, 400))
    weights = rng.integers(-20, 100, pairs).astype(np.float64)
    seats = float(rng.integers(0, 500))
    best = np.sort(np.maximum(weights, 0.0))[::-1][: int(seats)].sum()
    assert best <= seats_bound(weights, seats) <= best * (1 + 1e-5) + 1e-5
    u = rng.integers(0, 30, pairs)
    v = (u + 1 + rng.integers(0, 29, pairs)) % 30
    lo, hi = np.zeros(30), np.full(30, 50.0)
    forced = rng.random(pairs) < 0.1
    # The closed form is the Lagrangian at zero attendee duals and mu = the seats-th heaviest
    # weight (so a valid bound), forced pairs counted whatever they cost.
    count = min(int(seats), pairs)
    mu = max(0.0, float(np.sort(weights)[::-1][count - 1])) if 0 < count < pairs else 0.0
    at_mu = lagrangian_bound(weights, u, v, lo, hi, seats, np.zeros(30), mu, forced)
    assert seats_bound(weights, seats, forced) == pytest.approx(at_mu, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize(("n", "rounds"), [(12, 4), (30, 6), (61, 8)])
def test_no_schedule_scores_above_it(n: int, rounds: int) -> None:
    people = generate_event(n, rounds=rounds, seed=n)
    result = plan(PlanRequest(people, rounds, n // 2 - 1, WEIGHTS, time_limit=2, seed=1))
    inst = build_instance(people, rounds, n // 2 - 1, WEIGHTS, (), frozenset(), None, 0)
    u, v = inst.edges()
    scores = inst.scores[u, v].astype(np.float64)
    seats = float(sum(inst.seats(r) for r in inst.free_rounds))
    assert result.report.total_score <= seats_bound(scores, seats)


def test_an_lp_with_no_time_still_gives_a_bound_above_the_schedule() -> None:
    people = generate_event(40, rounds=6, seed=4)
    inst = build_instance(people, 6, 18, WEIGHTS, (), frozenset(), None, 0)
    u, v = inst.edges()
    weights = inst.scores[u, v].astype(np.float64)
    outcome = solve_selection(inst, u, v, weights, fairness_target(inst), time_limit=0.0)
    result = plan(PlanRequest(people, 6, 18, WEIGHTS, time_limit=2, seed=1))
    assert np.isfinite(outcome.bound) and outcome.bound >= result.report.total_score
    assert outcome.bound <= seats_bound(weights, float(sum(inst.seats(r) for r in inst.free_rounds))) + 1e-6


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_raised_duals_give_the_bound_they_claim_and_a_tighter_one(seed: int) -> None:
    """Whatever the starting duals, the raised ones are checked over every pair: the bound the
    helper reports is the weak-duality bound at the duals it returns, and no looser than at the
    start."""
    people = generate_event(80, rounds=6, seed=seed)
    inst = build_instance(people, 6, 36, WEIGHTS, (), frozenset(), None, 0)
    u, v = inst.edges()
    weights = inst.scores[u, v].astype(np.float64)
    lo, hi = degree_limits(inst, fairness_target(inst))
    seats = float(sum(inst.seats(r) for r in inst.free_rounds))
    rng = np.random.default_rng(seed)
    for duals in (np.zeros(inst.n), rng.uniform(-2.0, 8.0, inst.n)):
        start = lagrangian_bound(weights, u, v, lo, hi, seats, duals, 0.0)
        reduced = reduced_costs(weights, u, v, duals, 0.0)
        bound, raised, mu = raised_duals_bound(reduced, u, v, duals, 0.0, lo, hi, seats)
        assert bound == pytest.approx(lagrangian_bound(weights, u, v, lo, hi, seats, raised, mu), rel=1e-9)
        assert bound <= start + 1e-6
    assert bound < 0.9 * start


@pytest.mark.parametrize("rule", ["soft", "hard", "off"])
def test_a_selection_cut_short_still_bounds_the_whole_lp(rule: str) -> None:
    people = generate_event(120, rounds=8, seed=7)
    inst = build_instance(people, 8, 54, WEIGHTS, (), frozenset(), None, 0)
    u, v = inst.edges()
    weights = inst.objective_weights(u, v)
    target = fairness_target(inst)
    whole = solve_selection(inst, u, v, weights, target, 30.0, company_rule=rule)
    cut = solve_selection(inst, u, v, weights, target, 30.0, per_attendee=2, max_iterations=1, company_rule=rule)
    assert whole.bound - whole.objective <= 1e-3 * whole.objective
    assert cut.bound >= whole.objective - 1e-6


def test_a_plan_whose_lp_gets_no_answer_in_time_says_so() -> None:
    people = generate_event(1000, rounds=12, seed=1)
    report = plan(PlanRequest(people, 12, 450, WEIGHTS, time_limit=1.0, seed=1)).report
    assert report.status == "TIME_LIMIT"
    assert any("selection LP's first answer" in line for line in report.messages)
    assert report.upper_bound is not None and report.upper_bound >= report.total_score
    assert all("time limit" in why for _, _, why in report.must_meet_unkept)
