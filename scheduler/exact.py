"""Exact CP-SAT model for small events: one boolean per pair per free round.

For a few dozen attendees this model is small enough to prove optimality, so small events get
the exact answer instead of the decomposition's very good one. The objective is lexicographic,
written as one weighted sum whose tiers cannot trade against each other:

1. number of meetings, then the worst-off attendee's avoidable sit-outs (fewest);
2. must-meet pairs kept;
3. total score (plus the stability bonus of a re-plan).

``solve_exact`` builds it in steps: the booleans, the seat rules, the objective, the hint.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from scheduler.cpsat import stop_when_cancelled
from scheduler.instance import Instance

MAX_WORKERS = 256


@dataclass(frozen=True)
class ExactOutcome:
    rounds: dict[int, list[tuple[int, int]]]
    status: str          # "OPTIMAL", "FEASIBLE", "UNKNOWN"
    proven: bool


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution and stops the search when the caller cancels."""

    def __init__(self, on_solution: Callable[[float], None] | None, cancel: threading.Event | None) -> None:
        super().__init__()
        self._on_solution = on_solution
        self._cancel = cancel

    def on_solution_callback(self) -> None:
        if self._on_solution is not None:
            self._on_solution(self.objective_value)
        if self._cancel is not None and self._cancel.is_set():
            self.stop_search()


def model_size(inst: Instance) -> int:
    """Booleans the exact model would need."""
    u, v = inst.edges()
    return int((inst.avail[u] & inst.avail[v]).sum())


def default_workers() -> int:
    """CP-SAT workers: ``SPEEDNET_SOLVER_WORKERS`` when set, else every core this process may use."""
    configured = os.environ.get("SPEEDNET_SOLVER_WORKERS", "").strip()
    if configured:
        try:
            value = int(configured)
        except ValueError:
            raise ValueError(f"SPEEDNET_SOLVER_WORKERS must be a whole number, not {configured!r}") from None
        if not 1 <= value <= MAX_WORKERS:
            raise ValueError(f"SPEEDNET_SOLVER_WORKERS must be between 1 and {MAX_WORKERS}, not {value}")
        return value
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


Booleans = dict[tuple[int, int, int], cp_model.IntVar]    # (a, b, round) -> "a meets b in that round"


def solve_exact(inst: Instance, hint: dict[int, list[tuple[int, int]]], time_limit: float, seed: int,
                cancel: threading.Event | None = None,
                on_solution: Callable[[float], None] | None = None, workers: int | None = None) -> ExactOutcome:
    """Best schedule of the free rounds; starts from ``hint`` so it is never worse than it."""
    model = cp_model.CpModel()
    pair_weight = _pair_weights(inst)
    meets: Booleans = {}
    for (a, b) in pair_weight:
        for r in inst.free_rounds:
            if inst.avail[a, r] and inst.avail[b, r]:
                meets[(a, b, r)] = model.new_bool_var(f"meet_{a}_{b}_r{r}")
    by_pair, by_person = _add_seat_rules(model, inst, meets)
    _add_objective(model, inst, meets, by_pair, by_person, pair_weight)
    _add_hints(model, meets, hint)

    solver = cp_model.CpSolver()
    # One worker per core; interleaved search keeps them deterministic for a seed.
    solver.parameters.num_workers = workers or default_workers()
    solver.parameters.interleave_search = True
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    with stop_when_cancelled(solver, cancel):
        status = solver.solve(model, _Progress(on_solution, cancel))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactOutcome(dict(hint), "UNKNOWN", False)
    rounds: dict[int, list[tuple[int, int]]] = {r: [] for r in inst.free_rounds}
    for (a, b, r), x in meets.items():
        if solver.boolean_value(x):
            rounds[r].append((a, b))
    for r in rounds:
        rounds[r].sort()
    return ExactOutcome(rounds, solver.status_name(status), status == cp_model.OPTIMAL)


def _pair_weights(inst: Instance) -> dict[tuple[int, int], int]:
    """Every pair that may meet, with its score plus (a re-plan) the stability bonus."""
    u_all, v_all = inst.edges()
    pair_weight = {(int(a), int(b)): int(inst.scores[a, b]) for a, b in zip(u_all, v_all)}
    if inst.stability_bonus:
        for pair in inst.previous:
            pair_weight[pair] += inst.stability_bonus
    return pair_weight


def _add_seat_rules(model: cp_model.CpModel, inst: Instance, meets: Booleans
                    ) -> tuple[dict[tuple[int, int], list[cp_model.IntVar]], dict[int, list[cp_model.IntVar]]]:
    """No pair twice, one table per attendee per round, the tables of each round. Returns the
    booleans by pair and by attendee, which the objective counts."""
    by_pair: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    by_person_round: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    by_round: dict[int, list[cp_model.IntVar]] = {r: [] for r in inst.free_rounds}
    by_person: dict[int, list[cp_model.IntVar]] = {i: [] for i in range(inst.n)}
    for (a, b, r), x in meets.items():
        by_pair.setdefault((a, b), []).append(x)
        by_person_round.setdefault((a, r), []).append(x)
        by_person_round.setdefault((b, r), []).append(x)
        by_round[r].append(x)
        by_person[a].append(x)
        by_person[b].append(x)
    for xs in by_pair.values():
        model.add_at_most_one(xs)                       # no pair meets twice
    for xs in by_person_round.values():
        model.add_at_most_one(xs)                       # one table per attendee per round
    for xs in by_round.values():
        if len(xs) > inst.tables:
            model.add(sum(xs) <= inst.tables)           # table capacity
    return by_pair, by_person


def _add_objective(model: cp_model.CpModel, inst: Instance, meets: Booleans,
                   by_pair: dict[tuple[int, int], list[cp_model.IntVar]],
                   by_person: dict[int, list[cp_model.IntVar]], pair_weight: dict[tuple[int, int], int]) -> None:
    """The lexicographic objective as one weighted sum, each tier's unit above the whole range
    of the tiers below it."""
    degree = inst.free_degree
    forced = degree - inst.capacity
    worst_avoidable = model.new_int_var(0, max(1, inst.rounds), "worst_avoidable_sit_outs")
    for i in range(inst.n):
        if degree[i] > 0:
            model.add(int(degree[i] - forced[i]) - sum(by_person[i]) <= worst_avoidable)
    must_kept = [sum(by_pair[p]) for p in sorted(inst.must) if p in by_pair]
    repeats = _company_repeats(model, inst, by_pair)
    meetings = sum(meets.values())
    score = sum(pair_weight[(a, b)] * x for (a, b, r), x in meets.items())
    seats = sum(min(inst.tables, int(inst.avail[:, r].sum()) // 2) for r in inst.free_rounds)
    score_unit = 1
    repeat_unit = seats * int(max(pair_weight.values(), default=0)) + 1
    must_unit = repeat_unit * (2 * seats + 1)
    fairness_unit = must_unit * (len(must_kept) + 1)
    meeting_unit = fairness_unit * (inst.rounds + 1)
    model.maximize(meeting_unit * meetings - fairness_unit * worst_avoidable
                   + must_unit * sum(must_kept) - repeat_unit * sum(repeats) + score_unit * score)


def _add_hints(model: cp_model.CpModel, meets: Booleans, hint: dict[int, list[tuple[int, int]]]) -> None:
    """Start from ``hint``: its meetings on, every other boolean off."""
    for r, pairs in hint.items():
        for (a, b) in pairs:
            if (a, b, r) in meets:
                model.add_hint(meets[(a, b, r)], 1)
    hinted = {(a, b, r) for r, pairs in hint.items() for (a, b) in pairs}
    for key, x in meets.items():
        if key not in hinted:
            model.add_hint(x, 0)


def _company_repeats(model: cp_model.CpModel, inst: Instance,
                     by_pair: dict[tuple[int, int], list[cp_model.IntVar]]) -> list[cp_model.IntVar]:
    """One meeting per other company: a hard limit, or (soft) counters of the extra meetings."""
    if inst.company_rule == "off":
        return []
    groups: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    for (a, b), xs in by_pair.items():
        groups.setdefault((a, int(inst.company[b])), []).extend(xs)
        groups.setdefault((b, int(inst.company[a])), []).extend(xs)
    extra: list[cp_model.IntVar] = []
    for xs in groups.values():
        if len(xs) < 2:
            continue
        if inst.company_rule == "hard":
            model.add(sum(xs) <= 1)
        else:
            more = model.new_int_var(0, len(xs) - 1, "")
            model.add(more >= sum(xs) - 1)
            extra.append(more)
    return extra


def lexicographic_key(inst: Instance, rounds: dict[int, list[tuple[int, int]]]) -> tuple[int, int, int, int, int]:
    """(meetings, -worst avoidable sit-outs, must-meet kept, -company repeats, score) of a placement.

    Repeats count only where the event's rule weighs them (soft); a hard rule never has any."""
    met = np.zeros(inst.n, dtype=np.int64)
    pairs = [p for ps in rounds.values() for p in ps]
    for a, b in pairs:
        met[a] += 1
        met[b] += 1
    degree = inst.free_degree
    avoidable = (inst.capacity - met)[degree > 0]
    worst = int(avoidable.max(initial=0))
    kept = sum(1 for p in pairs if p in inst.must)
    score = sum(int(inst.scores[p]) + (inst.stability_bonus if p in inst.previous else 0) for p in pairs)
    repeats = inst.repeats(pairs)[1] if inst.company_rule == "soft" else 0
    return len(pairs), -worst, kept, -repeats, score
