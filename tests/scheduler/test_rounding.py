"""Rounding the selection LP to whole pairs: the limits hold, and it beats taking the pairs above 1/2."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from scheduler.bounds import company_penalty, degree_limits, fairness_target, solve_selection
from scheduler.generator import generate_event
from scheduler.instance import build_instance
from scheduler.rounding import round_selection
from scheduler.taxonomy import load_weights
from tests.support.marks import slow_if


def _value(inst, pairs: list[tuple[int, int]]) -> float:
    """What the selection LP maximises, for whole pairs: weights less the repeat charges."""
    u = np.array([a for a, _ in pairs], dtype=np.int64)
    v = np.array([b for _, b in pairs], dtype=np.int64)
    weights = inst.objective_weights(u, v)
    repeats = inst.repeats(pairs)[1] if inst.company_rule == "soft" else 0
    return float(weights.sum()) - company_penalty(inst) * repeats


@pytest.mark.parametrize("rule", ["off", "soft", "hard"])
@pytest.mark.parametrize(("n", "rounds"), [(40, 6), (90, 8), slow_if(True, 240, 10)])
@pytest.mark.parametrize("seed", [1, 2])
def test_whole_pairs_keep_every_limit_and_beat_the_halves(n: int, rounds: int, seed: int, rule: str) -> None:
    people = generate_event(n, rounds=rounds, seed=seed)
    weights = dataclasses.replace(load_weights(), company_repeats=rule)
    inst = build_instance(people, rounds, int(n * 0.45), weights, (), frozenset(), None, 0)
    u, v = inst.edges()
    objective = inst.objective_weights(u, v)
    target = fairness_target(inst)
    lp = solve_selection(inst, u, v, objective, target, 30.0, company_rule=inst.company_rule)
    assert lp.feasible

    rounded = round_selection(inst, u, v, objective, lp, target, 10.0, seed)
    pairs = rounded.pairs
    assert len(set(pairs)) == len(pairs)
    assert all(a < b and inst.allowed[a, b] for a, b in pairs)
    degree = np.zeros(inst.n, dtype=np.int64)
    for a, b in pairs:
        degree[a] += 1
        degree[b] += 1
    lo, hi = degree_limits(inst, target)
    assert (degree <= hi).all()
    assert (degree >= np.ceil(lo - 1e-9)).all(), "an attendee is left short of the fairness target"
    assert len(pairs) <= sum(inst.seats(r) for r in inst.free_rounds)
    assert all(p in set(pairs) for p in inst.must), "a must-meet pair was rounded away"
    if rule == "hard":
        assert inst.repeats(pairs) == (0, 0)

    halves = [(int(u[e]), int(v[e])) for e in lp.candidates[lp.values > 0.5]]
    assert _value(inst, pairs) >= _value(inst, halves)
    assert _value(inst, pairs) <= lp.bound + 1e-6


def test_no_time_gives_the_lps_own_rounding() -> None:
    people = generate_event(60, rounds=6, seed=3)
    inst = build_instance(people, 6, 27, load_weights(), (), frozenset(), None, 0)
    u, v = inst.edges()
    objective = inst.objective_weights(u, v)
    lp = solve_selection(inst, u, v, objective, fairness_target(inst), 30.0, company_rule=inst.company_rule)
    rounded = round_selection(inst, u, v, objective, lp, fairness_target(inst), 0.0, 1)
    assert rounded.status == "LP"
    assert rounded.pairs == sorted((int(u[e]), int(v[e])) for e in lp.candidates[lp.values > 0.5])
