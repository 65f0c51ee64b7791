"""Placing the chosen pairs into rounds: one small matching per round.

The LP decided *which* pairs meet; here each free round, in order, gets a maximum-weight
matching over the chosen pairs not yet placed whose two attendees are both present, at most
``tables`` meetings. Weights are tiered so the round first holds as many meetings as possible,
then serves attendees who cannot afford to sit out ("tight": as many chosen pairs left as rounds
left) and pairs whose last common round this is, then must-meet pairs, then score. Attendees
with no chosen pair open in the round are offered a few other partners. The matching is the
greedy one improved by local search (augmenting paths of up to three edges, swaps), then by
CP-SAT when its model is small enough for the round's budget. ``repair_fairness`` afterwards
seats anyone still over the fairness target.

A second matching per round seats whoever is still free with any allowed pair not met yet
(best score first), so a round never leaves a table empty that two free attendees could use.
When the time is up or the caller cancels, the remaining rounds are filled greedily, so the
schedule stays complete.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
from ortools.sat.python import cp_model

from scheduler.instance import Instance

MEETING = 1_000_000      # one more meeting in this round beats everything below
TIGHT = 100_000                   # per attendee who loses a planned meeting if they sit out now
LAST_CHANCE = 20_000     # the pair has no later common round
MUST_SIT_IN = 100_000    # per attendee who has used up the sit-outs the fairness target allows
SIT_IN_TURN = 10_000        # per attendee whose turn to sit out is another round
MUST_MEET = 10_000
CHOSEN = 5_000           # chosen by the LP rather than a fill-in pair
SAME_ROUND_AS_BEFORE = 1_000   # re-plan stability: keep the round the pair had
COMPANY_REPEAT = 6_000   # soft rule: a second person of a company already met; below fairness

BLOSSOM_LIMIT = 40       # attendees in a round up to which the matching is solved exactly (blossom)
LOCAL_SEARCH_LIMIT = 160  # ... and up to which local search alone places it (no CP-SAT)
FILL_CANDIDATES = 40     # partners per free attendee considered in the fill-in matching
ALTERNATIVES = 12        # partners outside the chosen pairs offered to an attendee at risk


@dataclass
class Placement:
    """Pairs (``u < v``) per free round, and how the placement ended."""

    rounds: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    greedy_rounds: list[int] = field(default_factory=list)
    cancelled: bool = False


@contextlib.contextmanager
def stop_when_cancelled(solver: cp_model.CpSolver, cancel: threading.Event | None) -> Iterator[None]:
    """Stop a running CP-SAT search as soon as ``cancel`` is set (checked every 50 ms)."""
    if cancel is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(0.05):
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def greedy_matching(u: np.ndarray, v: np.ndarray, weights: np.ndarray, limit: int) -> np.ndarray:
    """Heaviest edges first; used as the CP-SAT hint and when there is no time left."""
    chosen = np.zeros(len(u), dtype=bool)
    busy: set[int] = set()
    count = 0
    for e in np.argsort(-weights, kind="stable").tolist():
        if count >= limit:
            break
        a, b = int(u[e]), int(v[e])
        if a in busy or b in busy:
            continue
        busy.update((a, b))
        chosen[e] = True
        count += 1
    return chosen


def improve_matching(u: np.ndarray, v: np.ndarray, weights: np.ndarray, chosen: np.ndarray, limit: int,
                     deadline: float) -> np.ndarray:
    """Local search on a matching: augmenting paths of up to three edges and one-for-one swaps.

    An unmatched attendee ``x`` takes an edge ``(x, y)``; if ``y`` was matched to ``z``, that edge
    is dropped and ``z`` may take an edge to another unmatched attendee. A move is kept when the
    total weight rises, so the result is never worse than ``chosen``.
    """
    chosen = chosen.copy()
    if len(u) == 0:
        return chosen
    n = int(max(u.max(), v.max())) + 1
    incident: list[list[int]] = [[] for _ in range(n)]
    for e, (a, b) in enumerate(zip(u.tolist(), v.tolist())):
        incident[a].append(e)
        incident[b].append(e)
    w = weights.tolist()
    ul, vl = u.tolist(), v.tolist()
    mate_edge = [-1] * n
    for e in np.nonzero(chosen)[0].tolist():
        mate_edge[ul[e]] = e
        mate_edge[vl[e]] = e
    count = int(chosen.sum())
    for x in range(n):
        incident[x].sort(key=lambda e: -w[e])
    improved = True
    tried = 0
    while improved and time.monotonic() < deadline:
        improved = False
        for x in range(n):
            if mate_edge[x] >= 0 or not incident[x]:
                continue
            tried += 1
            if tried % 32 == 0 and time.monotonic() >= deadline:
                break
            best_gain, best_move = 0, None
            for e in incident[x]:
                y = ul[e] + vl[e] - x
                f = mate_edge[y]
                if f < 0:
                    if count < limit and w[e] > best_gain:
                        best_gain, best_move = w[e], (e, -1, -1)
                    continue
                z = ul[f] + vl[f] - y
                gain = w[e] - w[f]
                if gain > best_gain:
                    best_gain, best_move = gain, (e, f, -1)
                if count < limit:
                    for g in incident[z]:
                        t = ul[g] + vl[g] - z
                        if t != x and t != y and mate_edge[t] < 0:
                            if gain + w[g] > best_gain:
                                best_gain, best_move = gain + w[g], (e, f, g)
                            break
            if best_move is None:
                continue
            e, f, g = best_move
            if f >= 0:
                chosen[f] = False
                mate_edge[ul[f]] = mate_edge[vl[f]] = -1
                count -= 1
            chosen[e] = True
            mate_edge[ul[e]] = mate_edge[vl[e]] = e
            count += 1
            if g >= 0:
                chosen[g] = True
                mate_edge[ul[g]] = mate_edge[vl[g]] = g
                count += 1
            improved = True
    return chosen


def best_matching(u: np.ndarray, v: np.ndarray, weights: np.ndarray, limit: int, time_limit: float,
                  seed: int, cancel: threading.Event | None) -> np.ndarray:
    """Maximum-weight matching of at most ``limit`` edges (CP-SAT, single deterministic worker)."""
    started = time.monotonic()
    if 0 < len(u) and limit > 0:
        exact = _blossom_matching(u, v, weights, limit)
        if exact is not None:
            return exact
    hint = greedy_matching(u, v, weights, limit)
    if len(u) and limit > 0:
        hint = improve_matching(u, v, weights, hint, limit, started + max(0.0, time_limit))
        time_limit -= time.monotonic() - started
        # A small round's CP-SAT rarely proves more than local search found (an odd round never:
        # its relaxation lacks the odd-set cuts); the improvement search after placement, which
        # sees all rounds at once, makes better use of the time.
        if len(np.unique(np.concatenate([u, v]))) <= LOCAL_SEARCH_LIMIT:
            return hint
    # Building the model alone takes about 20 us per edge: not worth it when that eats the budget.
    if (len(u) == 0 or limit <= 0 or time_limit <= max(0.05, 4e-5 * len(u))
            or (cancel is not None and cancel.is_set())):
        return hint
    model = cp_model.CpModel()
    meets = [model.new_bool_var(f"meet_{e}") for e in range(len(u))]
    at_table: dict[int, list[cp_model.IntVar]] = {}
    for e, (a, b) in enumerate(zip(u.tolist(), v.tolist())):
        at_table.setdefault(a, []).append(meets[e])
        at_table.setdefault(b, []).append(meets[e])
    for edges in at_table.values():
        if len(edges) > 1:
            model.add_at_most_one(edges)
    if limit < len(at_table) // 2:
        model.add(sum(meets) <= limit)
    model.maximize(sum(int(w) * x for w, x in zip(weights.tolist(), meets)))
    for x, value in zip(meets, hint.tolist()):
        model.add_hint(x, value)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.cp_model_presolve = False
    with stop_when_cancelled(solver, cancel):
        status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return hint
    chosen = np.array([solver.boolean_value(x) for x in meets], dtype=bool)
    if weights[chosen].sum() < weights[hint].sum():
        return hint
    return chosen


def _blossom_matching(u: np.ndarray, v: np.ndarray, weights: np.ndarray, limit: int) -> np.ndarray | None:
    """Exact maximum-weight matching (Edmonds' blossom) of a small round whose tables do not bind.

    CP-SAT cannot prove such a matching optimal when the round has an odd number of attendees
    (its relaxation lacks the odd-set cuts) and would spend its whole budget; the blossom
    algorithm is exact and takes milliseconds at this size. None when it does not apply.
    """
    import networkx as nx

    people = np.unique(np.concatenate([u, v]))
    if len(people) > BLOSSOM_LIMIT or limit < len(people) // 2:
        return None
    graph = nx.Graph()
    for e, (a, b, w) in enumerate(zip(u.tolist(), v.tolist(), weights.tolist())):
        if not graph.has_edge(a, b) or graph[a][b]["weight"] < w:
            graph.add_edge(a, b, weight=int(w), edge=e)
    matching = nx.max_weight_matching(graph)
    chosen = np.zeros(len(u), dtype=bool)
    for a, b in matching:
        chosen[graph[a][b]["edge"]] = True
    return chosen


def company_repeat(inst: Instance, seen: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs in which one side has already met someone of the other's company."""
    if inst.company_rule == "off" or len(a) == 0:
        return np.zeros(len(a), dtype=bool)
    return (seen[a, inst.company[b]] > 0) | (seen[b, inst.company[a]] > 0)


def apply_company_rule(inst: Instance, seen: np.ndarray, a: np.ndarray, b: np.ndarray,
                       weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Soft rule: repeats weigh less (never enough to cost a meeting); hard rule: dropped."""
    repeat = company_repeat(inst, seen, a, b)
    if not repeat.any():
        return a, b, weights
    if inst.company_rule == "hard":
        keep = ~repeat
        return a[keep], b[keep], weights[keep]
    return a, b, weights - COMPANY_REPEAT * repeat


def plan_sit_outs(inst: Instance, fairness: int) -> np.ndarray:
    """Who should sit out which round, decided up front as a max flow.

    Each round must leave ``present - 2 * seats`` attendees out; each attendee may sit out at
    most their forced sit-outs plus ``fairness``. Deciding round by round would let the early
    rounds use up the quota of people who are still there at the end, while those who leave
    early or arrive late never take their turn; the flow spreads the turns over the whole
    day. Returns ``out[i, r]`` (bool).
    """
    import networkx as nx

    n = inst.n
    can_meet = inst.capacity > 0
    quota = (inst.free_degree - inst.capacity) + fairness
    graph = nx.DiGraph()
    for r in inst.free_rounds:
        present = int((inst.avail[:, r] & can_meet).sum())
        graph.add_edge(("round", r), "sink", capacity=max(0, present - 2 * inst.seats(r)))
    for i in range(n):
        if not can_meet[i] or quota[i] <= 0:
            continue
        graph.add_edge("source", ("person", i), capacity=int(quota[i]))
        for r in inst.free_rounds:
            if inst.avail[i, r]:
                graph.add_edge(("person", i), ("round", r), capacity=1)
    out = np.zeros((n, inst.rounds + 1), dtype=bool)
    if "source" not in graph:
        return out
    _, flow = nx.maximum_flow(graph, "source", "sink")
    for node, targets in flow.items():
        if isinstance(node, tuple) and node[0] == "person":
            for target, amount in targets.items():
                if amount > 0:
                    out[node[1], target[1]] = True
    return out


def place_rounds(inst: Instance, chosen: list[tuple[int, int]], deadline: float, seed: int, fairness: int,
                 cancel: threading.Event | None = None,
                 on_round: Callable[[int, list[tuple[int, int]]], None] | None = None) -> Placement:
    """Place ``chosen`` pairs round by round, then seat whoever is still free."""
    result = Placement()
    n = inst.n
    scores = inst.scores
    met = np.zeros((n, n), dtype=bool)
    pending_u = np.array([p[0] for p in chosen], dtype=np.int64)
    pending_v = np.array([p[1] for p in chosen], dtype=np.int64)
    pending = np.ones(len(chosen), dtype=bool)
    must = np.array([p in inst.must for p in chosen], dtype=bool)
    prev_round = np.array([inst.previous.get(p, (0, 0))[0] for p in chosen], dtype=np.int64)
    can_meet = inst.capacity > 0
    free_rounds = inst.free_rounds

    sat_out = np.zeros(n, dtype=np.int64)
    allowed_sit_outs = (inst.free_degree - inst.capacity) + fairness
    planned_out = plan_sit_outs(inst, fairness)
    seen = inst.contacts(())

    for position, r in enumerate(free_rounds):
        later = free_rounds[position:]
        left = inst.avail[:, later].sum(axis=1)
        rounds_left = len(free_rounds) - position
        stopped = cancel is not None and cancel.is_set()
        per_round = (deadline - time.monotonic()) / rounds_left
        use_greedy = stopped or per_round <= 0.05
        if use_greedy:
            result.greedy_rounds.append(r)
        result.cancelled = result.cancelled or stopped

        present = inst.avail[:, r]
        open_pairs = np.nonzero(pending & present[pending_u] & present[pending_v])[0]
        remaining = np.bincount(pending_u[pending], minlength=n) + np.bincount(pending_v[pending], minlength=n)
        tight = (left - remaining) <= 0
        # Sitting out once more would exceed the fairness target: seat them if at all possible.
        must_sit_in = present & can_meet & (sat_out >= allowed_sit_outs)
        # Not their turn to sit out: seat them (the flow's plan), unless fairness is already at stake.
        turn_to_sit_in = present & can_meet & ~planned_out[:, r] & ~must_sit_in
        a, b = pending_u[open_pairs], pending_v[open_pairs]
        common_later = (inst.avail[a][:, later] & inst.avail[b][:, later]).sum(axis=1)
        weights = (MEETING + CHOSEN + scores[a, b].astype(np.int64)
                   + TIGHT * (tight[a].astype(np.int64) + tight[b])
                   + MUST_SIT_IN * (must_sit_in[a].astype(np.int64) + must_sit_in[b])
                   + SIT_IN_TURN * (turn_to_sit_in[a].astype(np.int64) + turn_to_sit_in[b])
                   + LAST_CHANCE * (common_later <= 1) + MUST_MEET * must[open_pairs]
                   + SAME_ROUND_AS_BEFORE * (prev_round[open_pairs] == r))
        # Alternatives for whoever is at risk, in case their chosen partners are taken.
        # Only for attendees with no chosen pair open in this round: keeps the model small.
        has_open = np.zeros(n, dtype=bool)
        has_open[a] = True
        has_open[b] = True
        at_risk = np.nonzero(present & can_meet & ~has_open & (must_sit_in | turn_to_sit_in))[0]
        if len(at_risk):
            xu, xv = _alternatives(inst, at_risk, present, met, pending_u[open_pairs], pending_v[open_pairs])
            if len(xu):
                xw = (MEETING + scores[xu, xv].astype(np.int64) + MUST_MEET * inst.must_mask[xu, xv]
                      + MUST_SIT_IN * (must_sit_in[xu].astype(np.int64) + must_sit_in[xv])
                      + SIT_IN_TURN * (turn_to_sit_in[xu].astype(np.int64) + turn_to_sit_in[xv]))
                a, b = np.concatenate([a, xu]), np.concatenate([b, xv])
                weights = np.concatenate([weights, xw])
        budget = max(0.0, per_round * 0.7)
        index = np.arange(len(a))
        a, b, weights, index = _ruled(inst, seen, a, b, weights, index)
        picked = (greedy_matching(a, b, weights, inst.tables) if use_greedy
                  else best_matching(a, b, weights, inst.tables, budget, seed, cancel))
        pairs = [(int(x), int(y)) for x, y in zip(a[picked], b[picked])]
        taken = index[picked]
        chosen_picked = taken[taken < len(open_pairs)]
        pending[open_pairs[chosen_picked]] = False
        for x, y in pairs:
            met[x, y] = met[y, x] = True

        seated = np.zeros(n, dtype=bool)
        for x, y in pairs:
            seated[x] = seated[y] = True
        tables_left = inst.tables - len(pairs)
        free = np.nonzero(present & ~seated & can_meet)[0]
        if tables_left > 0 and len(free) > 1:
            fu, fv, fw = _fill_edges(inst, free, met, r, prev_round_of=inst.previous)
            fu, fv, fw = apply_company_rule(inst, seen, fu, fv, fw)
            if len(fu):
                budget = max(0.0, (deadline - time.monotonic()) / rounds_left * 0.5)
                extra = (greedy_matching(fu, fv, fw, tables_left) if use_greedy
                         else best_matching(fu, fv, fw, tables_left, budget, seed, cancel))
                pairs += [(int(x), int(y)) for x, y in zip(fu[extra], fv[extra])]
                for x, y in zip(fu[extra].tolist(), fv[extra].tolist()):
                    for k in np.nonzero(pending & (((pending_u == x) & (pending_v == y))))[0]:
                        pending[k] = False
        for x, y in pairs:
            met[x, y] = met[y, x] = True
            seen[x, inst.company[y]] += 1
            seen[y, inst.company[x]] += 1
        sat_out += present & can_meet & ~np.isin(np.arange(n), [i for p in pairs for i in p])
        result.rounds[r] = sorted(pairs)
        if on_round is not None:
            on_round(r, result.rounds[r])
    return result


def _ruled(inst: Instance, seen: np.ndarray, a: np.ndarray, b: np.ndarray, weights: np.ndarray,
           index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`apply_company_rule` that also carries each edge's original position."""
    repeat = company_repeat(inst, seen, a, b)
    if not repeat.any():
        return a, b, weights, index
    if inst.company_rule == "hard":
        keep = ~repeat
        return a[keep], b[keep], weights[keep], index[keep]
    return a, b, weights - COMPANY_REPEAT * repeat, index


def _fill_edges(inst: Instance, free: np.ndarray, met: np.ndarray, r: int,
                prev_round_of: dict[tuple[int, int], tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed, not yet met pairs among the still-free attendees, best partners first."""
    sub_allowed = inst.allowed[np.ix_(free, free)] & ~met[np.ix_(free, free)]
    sub_scores = inst.scores[np.ix_(free, free)].astype(np.int64)
    if len(free) > FILL_CANDIDATES:
        masked = np.where(sub_allowed, sub_scores, -1)
        cutoff = -np.partition(-masked, FILL_CANDIDATES - 1, axis=1)[:, FILL_CANDIDATES - 1]
        keep = masked >= cutoff[:, None]
        if inst.must:       # a must-meet partner is offered whatever the scores of the others
            keep |= inst.must_mask[np.ix_(free, free)]
        sub_allowed &= keep | keep.T
    iu, iv = np.nonzero(np.triu(sub_allowed, k=1))
    fu, fv = free[iu], free[iv]
    weights = MEETING + sub_scores[iu, iv]
    if inst.must:
        weights = weights + MUST_MEET * np.array([(x, y) in inst.must for x, y in zip(fu.tolist(), fv.tolist())],
                                                 dtype=np.int64)
    if prev_round_of:
        weights = weights + SAME_ROUND_AS_BEFORE * np.array(
            [prev_round_of.get((x, y), (0, 0))[0] == r for x, y in zip(fu.tolist(), fv.tolist())], dtype=np.int64)
    return fu, fv, weights


def _alternatives(inst: Instance, at_risk: np.ndarray, present: np.ndarray, met: np.ndarray,
                  open_u: np.ndarray, open_v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best-scoring present partners not met yet for each attendee at risk (pairs ``u < v``)."""
    candidates = inst.allowed[at_risk] & present[None, :] & ~met[at_risk]
    masked = np.where(candidates, inst.scores[at_risk].astype(np.int64), -1)
    if inst.must:           # must-meet partners first, whatever their scores
        masked = np.where(candidates & inst.must_mask[at_risk], np.iinfo(np.int32).max, masked)
    k = min(ALTERNATIVES, masked.shape[1])
    top = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    rows = np.repeat(at_risk, k)
    cols = top.ravel()
    keep = masked[np.repeat(np.arange(len(at_risk)), k), cols] >= 0
    u, v = np.minimum(rows, cols)[keep], np.maximum(rows, cols)[keep]
    pairs = set(zip(u.tolist(), v.tolist())) - set(zip(open_u.tolist(), open_v.tolist()))
    ordered = sorted(pairs)
    return (np.array([p[0] for p in ordered], dtype=np.int64), np.array([p[1] for p in ordered], dtype=np.int64))


def polish_rounds(inst: Instance, rounds: dict[int, list[tuple[int, int]]], fairness: int, deadline: float,
                  seed: int, cancel: threading.Event | None = None) -> dict[int, list[tuple[int, int]]]:
    """Re-solve one round at a time with every other round fixed (coordinate ascent).

    The forward pass commits early rounds without knowing which chosen pairs the last rounds
    will fail to place; re-opening a round lets those pairs in, replacing weaker fill-ins. Each
    re-solve starts from the round's current meetings, so no step makes the schedule worse:
    the number of meetings, the fairness target and kept must-meet pairs outrank the score.
    """
    n = inst.n
    result = {r: list(pairs) for r, pairs in rounds.items()}
    met = np.zeros((n, n), dtype=bool)
    seated_in = {r: np.zeros(n, dtype=bool) for r in result}
    for r, pairs in result.items():
        for x, y in pairs:
            met[x, y] = met[y, x] = True
            seated_in[r][x] = seated_in[r][y] = True
    can_meet = inst.capacity > 0
    allowed_sit_outs = (inst.free_degree - inst.capacity) + fairness
    sat_out = sum((inst.avail[:, r] & can_meet & ~seated_in[r]).astype(np.int64) for r in result) \
        if result else np.zeros(n, dtype=np.int64)
    order = [r for r in inst.free_rounds if r in result]
    for sweep in range(1):
        for position, r in enumerate(order):
            if time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                return result
            present = inst.avail[:, r]
            for x, y in result[r]:
                met[x, y] = met[y, x] = False
            sat_elsewhere = sat_out - (present & can_meet & ~seated_in[r])
            must_sit_in = present & can_meet & (sat_elsewhere >= allowed_sit_outs)
            everyone = np.nonzero(present & can_meet)[0]
            cu, cv = _alternatives(inst, everyone, present, met, np.zeros(0, dtype=np.int64),
                                   np.zeros(0, dtype=np.int64))
            current = set(result[r])
            extra = sorted(current - set(zip(cu.tolist(), cv.tolist())))
            a = np.concatenate([cu, np.array([p[0] for p in extra], dtype=np.int64)])
            b = np.concatenate([cv, np.array([p[1] for p in extra], dtype=np.int64)])
            weights = (MEETING + inst.scores[a, b].astype(np.int64)
                       + MUST_SIT_IN * (must_sit_in[a].astype(np.int64) + must_sit_in[b]))
            if inst.must:
                weights += MUST_MEET * np.array([(x, y) in inst.must for x, y in zip(a.tolist(), b.tolist())],
                                                dtype=np.int64)
            if inst.previous:
                weights += SAME_ROUND_AS_BEFORE * np.array(
                    [inst.previous.get((x, y), (0, 0))[0] == r for x, y in zip(a.tolist(), b.tolist())],
                    dtype=np.int64)
            others_seen = inst.contacts(p for q, ps in result.items() if q != r for p in ps)
            a, b, weights = apply_company_rule(inst, others_seen, a, b, weights)
            before = np.array([(x, y) in current for x, y in zip(a.tolist(), b.tolist())], dtype=bool)
            remaining = len(order) - position
            budget = (deadline - time.monotonic()) / max(1, remaining)
            picked = best_matching(a, b, weights, inst.tables, budget, seed + 1, cancel)
            if weights[picked].sum() < weights[before].sum():
                picked = before
            result[r] = sorted((int(x), int(y)) for x, y in zip(a[picked], b[picked]))
            seated_in[r][:] = False
            for x, y in result[r]:
                met[x, y] = met[y, x] = True
                seated_in[r][x] = seated_in[r][y] = True
            sat_out = sat_elsewhere + (present & can_meet & ~seated_in[r])
    return result


def repair_fairness(inst: Instance, rounds: dict[int, list[tuple[int, int]]],
                    fairness: int) -> dict[int, list[tuple[int, int]]]:
    """Seat attendees who sit out more avoidable rounds than ``fairness`` allows.

    In a round where such an attendee ``x`` sits out, ``x`` meets the best free partner not met
    yet; when every table is taken, the weakest meeting of two attendees who can afford one more
    sit-out makes room. The number of meetings never drops and nobody goes over the target.
    """
    n = inst.n
    result = {r: list(pairs) for r, pairs in rounds.items()}
    met = np.zeros((n, n), dtype=bool)
    seated = {r: np.zeros(n, dtype=bool) for r in result}
    count = np.zeros(n, dtype=np.int64)
    for r, pairs in result.items():
        for x, y in pairs:
            met[x, y] = met[y, x] = True
            seated[r][x] = seated[r][y] = True
            count[x] += 1
            count[y] += 1
    capacity = inst.capacity
    seen = inst.contacts(p for pairs in result.values() for p in pairs)

    def over(i: int) -> int:
        """Avoidable sit-outs of attendee ``i`` so far."""
        return int(capacity[i] - count[i])

    for x in np.argsort(-(capacity - count), kind="stable").tolist():
        for r in sorted(result):
            if over(x) <= fairness:
                break
            if not inst.avail[x, r] or seated[r][x]:
                continue
            free = inst.avail[:, r] & ~seated[r] & inst.allowed[x] & ~met[x]
            free[x] = False
            ys = np.nonzero(free)[0]
            repeat = company_repeat(inst, seen, np.full(len(ys), x), ys)
            if inst.company_rule == "hard":
                ys = ys[~repeat]
            elif repeat.any() and not repeat.all():
                ys = ys[~repeat]            # soft: a partner of a new company when there is one
            if len(ys) == 0:
                continue
            y = int(ys[np.argmax(inst.scores[x, ys])])
            if len(result[r]) >= inst.tables:
                spare = [(int(inst.scores[p]), p) for p in result[r]
                         if p not in inst.must and over(p[0]) + 1 <= fairness and over(p[1]) + 1 <= fairness]
                if not spare:
                    continue
                _, (p, q) = min(spare)
                result[r].remove((p, q))
                seen[p, inst.company[q]] -= 1
                seen[q, inst.company[p]] -= 1
                met[p, q] = met[q, p] = False
                seated[r][p] = seated[r][q] = False
                count[p] -= 1
                count[q] -= 1
            pair = (min(x, y), max(x, y))
            seen[x, inst.company[y]] += 1
            seen[y, inst.company[x]] += 1
            result[r].append(pair)
            met[x, y] = met[y, x] = True
            seated[r][x] = seated[r][y] = True
            count[x] += 1
            count[y] += 1
    return {r: sorted(pairs) for r, pairs in result.items()}
