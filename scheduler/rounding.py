"""From the selection LP's fractional answer to a whole set of pairs, with CP-SAT.

The LP (``scheduler.bounds``) is almost integral, but not quite: a few odd cycles at one half
and, with the soft company rule, rows at their limit. Taking the pairs above one half leaves
some attendees a meeting short; the placement then seats them with whoever is free in their
sit-out rounds, which costs more than the LP's half-pairs were worth (measured at 200 and
1,000 attendees: most of the gap between the schedule and the bound).

So the rounding is an integer program: the same degree limits, seats and company rows as the
LP, over the LP's candidate pairs. Pairs the LP is sure about (value 0 or 1 with a reduced
cost far from zero) are fixed; only the pairs in doubt (fractional, or with a reduced cost
near zero) are free, which keeps the model small enough for one CP-SAT worker to solve in a
fraction of a second (one worker: a solve that finishes in its budget depends on the seed only).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from scheduler.bounds import LpOutcome, company_penalty, degree_limits
from scheduler.cpsat import single_worker_solver, stop_when_cancelled
from scheduler.instance import Instance

FREE_PER_ATTENDEE = (1.5, 4.0, 10.0)  # pairs left free per attendee, level by level
FREE_MIN = 600
FREE_FIRST_MAX = 6_000       # the first level's cap: at 10,000 attendees 15,000 free pairs found
                             # nothing in 10 s, while the pairs that matter are a few hundred


@dataclass(frozen=True)
class Rounding:
    pairs: list[tuple[int, int]]
    status: str               # CP-SAT's status name at the last level, or "LP" (the LP's own rounding)
    free: int                 # pairs left to the integer program at the last level solved


def round_selection(inst: Instance, u: np.ndarray, v: np.ndarray, weights: np.ndarray, lp: LpOutcome,
                    fairness: int, time_limit: float, seed: int,
                    cancel: threading.Event | None = None) -> Rounding:
    """A whole set of pairs that keeps the LP's limits, as good as CP-SAT finds in ``time_limit``.

    Level by level, more pairs in doubt are freed, each level starting from the last one's
    answer; it stops when a level gains nothing, at the time limit or on cancel. Falls back to
    the LP's pairs above one half when CP-SAT finds nothing, so the caller always gets a
    selection.
    """
    deadline = time.monotonic() + time_limit
    candidates, values = lp.candidates, lp.values
    best = Rounding(sorted((int(u[e]), int(v[e])) for e in candidates[values > 0.5]), "LP", 0)
    if len(candidates) == 0:
        return best
    order = _doubt_order(values, lp.reduced)
    held = values > 0.5
    best_value: float | None = None
    freed = 0
    for level, per_attendee in enumerate(FREE_PER_ATTENDEE):
        size = max(FREE_MIN, int(per_attendee * inst.n))
        size = min(len(order), min(size, FREE_FIRST_MAX) if level == 0 else size)
        left = deadline - time.monotonic()
        if size <= freed or left <= 0.05 or (cancel is not None and cancel.is_set()):
            break
        free = np.zeros(len(candidates), dtype=bool)
        free[order[:size]] = True
        solved = _solve_level(inst, u, v, weights, candidates, free, held, fairness, deadline, seed, cancel)
        if solved is None:
            break
        taken, value, status = solved
        freed = size
        if best_value is not None and value <= best_value + 1e-9:
            break
        best_value, held = value, taken
        best = Rounding(sorted((int(u[e]), int(v[e])) for e in candidates[taken]), status, size)
        if status != "OPTIMAL" or value >= lp.objective - 0.5:
            break               # out of time at this level, or as good as the LP itself
    return best


def _doubt_order(values: np.ndarray, reduced: np.ndarray) -> np.ndarray:
    """Candidates from most to least in doubt: fractional ones first, then by how near zero the
    reduced cost is (a pair the LP takes with a large reduced cost, or leaves out with a very
    negative one, would only move if many others did)."""
    fractional = (values > 1e-6) & (values < 1 - 1e-6)
    return np.lexsort((np.abs(reduced), ~fractional))


def _solve_level(inst: Instance, u: np.ndarray, v: np.ndarray, weights: np.ndarray, candidates: np.ndarray,
                 free_mask: np.ndarray, hint: np.ndarray, fairness: int, deadline: float, seed: int,
                 cancel: threading.Event | None) -> tuple[np.ndarray, float, str] | None:
    """The integer program with the ``free_mask`` candidates open and the others held as in
    ``hint``: (candidates taken, their value, status), or None when CP-SAT finds nothing."""
    fixed = ~free_mask & hint
    free = np.nonzero(free_mask)[0]
    a_fixed, b_fixed = u[candidates[fixed]], v[candidates[fixed]]
    a_free, b_free = u[candidates[free]], v[candidates[free]]
    fixed_degree = np.bincount(a_fixed, minlength=inst.n) + np.bincount(b_fixed, minlength=inst.n)
    lo, hi = degree_limits(inst, fairness)
    seats = sum(inst.seats(r) for r in inst.free_rounds)
    gains = np.rint(weights[candidates[free]]).astype(np.int64)

    model = cp_model.CpModel()
    take = [model.new_bool_var(f"take_{a}_{b}") for a, b in zip(a_free.tolist(), b_free.tolist())]
    at_person: dict[int, list[cp_model.IntVar]] = {}
    for x, a, b in zip(take, a_free.tolist(), b_free.tolist()):
        at_person.setdefault(a, []).append(x)
        at_person.setdefault(b, []).append(x)
    # As in the LP: a meeting short of the fairness target costs more than any pair's weight
    # and any repeat charge, so a whole answer never trades a meeting for them.
    short_penalty = 10 * (int(np.ceil(weights.max(initial=0.0))) + 1)
    shortfalls = []
    for person, xs in at_person.items():
        room = int(hi[person]) - int(fixed_degree[person])
        need = int(np.ceil(lo[person] - 1e-9)) - int(fixed_degree[person])
        model.add(sum(xs) <= max(0, room))
        if need > 0:
            short = model.new_int_var(0, need, f"short_{person}")
            model.add(sum(xs) + short >= need)
            shortfalls.append(short)
    model.add(sum(take) <= max(0, seats - len(a_fixed)))
    repeats = _company_rows(model, inst, take, a_free, b_free, a_fixed, b_fixed)
    repeat_penalty = int(np.ceil(company_penalty(inst)))
    model.maximize(sum(int(g) * x for g, x in zip(gains.tolist(), take))
                   - repeat_penalty * sum(repeats) - short_penalty * sum(shortfalls))
    for x, start in zip(take, hint[free].tolist()):
        model.add_hint(x, 1 if start else 0)

    left = deadline - time.monotonic()      # building the model counts against the budget
    if left <= 0.05:
        return None
    solver = single_worker_solver(seed, left)
    # The LP relaxation at every node: without it one worker wanders (measured at 200
    # attendees: below the LP's own rounding after 2 s; with it, optimal in 0.2 s).
    solver.parameters.linearization_level = 2
    with stop_when_cancelled(solver, cancel):
        status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    taken = fixed.copy()
    taken[free] = [solver.boolean_value(x) for x in take]
    # The value of the whole selection (the objective leaves out what the held pairs add).
    a, b = u[candidates[taken]], v[candidates[taken]]
    degree = np.bincount(a, minlength=inst.n) + np.bincount(b, minlength=inst.n)
    short = np.maximum(0, np.ceil(lo - 1e-9) - degree).sum()
    repeated = inst.repeats(zip(a.tolist(), b.tolist()))[1] if inst.company_rule == "soft" else 0
    value = float(np.rint(weights[candidates[taken]]).sum()) - repeat_penalty * repeated - short_penalty * short
    return taken, value, solver.status_name(status)


def _company_rows(model: cp_model.CpModel, inst: Instance, take: list[cp_model.IntVar],
                  a_free: np.ndarray, b_free: np.ndarray, a_fixed: np.ndarray,
                  b_fixed: np.ndarray) -> list[cp_model.IntVar]:
    """One partner per other company: hard rows, or (soft) counters of the extra ones."""
    if inst.company_rule == "off":
        return []
    company = inst.company
    held: dict[tuple[int, int], int] = {}
    for a, b in zip(a_fixed.tolist(), b_fixed.tolist()):
        held[(a, int(company[b]))] = held.get((a, int(company[b])), 0) + 1
        held[(b, int(company[a]))] = held.get((b, int(company[a])), 0) + 1
    groups: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    for x, a, b in zip(take, a_free.tolist(), b_free.tolist()):
        groups.setdefault((a, int(company[b])), []).append(x)
        groups.setdefault((b, int(company[a])), []).append(x)
    extra: list[cp_model.IntVar] = []
    for key, xs in groups.items():
        already = held.get(key, 0)
        if len(xs) + already < 2:
            continue
        if inst.company_rule == "hard":
            model.add(sum(xs) <= max(0, 1 - already))
        else:
            more = model.new_int_var(0, len(xs) + already, "")
            model.add(more >= sum(xs) + already - 1)
            extra.append(more)
    return extra
