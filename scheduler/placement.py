"""Placing the chosen pairs into rounds: one small matching per round.

The LP decided *which* pairs meet; here each free round, in order, gets a maximum-weight
matching over the chosen pairs not yet placed whose two attendees are both present, at most
``tables`` meetings. Weights are tiered so the round first holds as many meetings as possible,
then serves attendees who cannot afford to sit out ("tight": as many chosen pairs left as rounds
left) and pairs whose last common round this is, then must-meet pairs, then score (one
:func:`pair_weights` for every matching). Attendees with no chosen pair open in the round are
offered a few other partners. The matching itself is :func:`scheduler.matching.best_matching`.
``repair_fairness`` afterwards seats anyone still over the fairness target.

A second matching per round seats whoever is still free with any allowed pair not met yet
(best score first), so a round never leaves a table empty that two free attendees could use.
When the time is up or the caller cancels, the remaining rounds are filled greedily, so the
schedule stays complete.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from scheduler.instance import Instance
from scheduler.matching import best_matching, greedy_matching

MEETING = 1_000_000      # one more meeting in this round beats everything below
TIGHT = 100_000                   # per attendee who loses a planned meeting if they sit out now
LAST_CHANCE = 20_000     # the pair has no later common round
MUST_SIT_IN = 100_000    # per attendee who has used up the sit-outs the fairness target allows
SIT_IN_TURN = 10_000        # per attendee whose turn to sit out is another round
MUST_MEET = 10_000
CHOSEN = 5_000           # chosen by the LP rather than a fill-in pair
SAME_ROUND_AS_BEFORE = 1_000   # re-plan stability: keep the round the pair had
COMPANY_REPEAT = 6_000   # soft rule: a second person of a company already met; below fairness

FILL_CANDIDATES = 40     # partners per free attendee considered in the fill-in matching
ALTERNATIVES = 12        # partners outside the chosen pairs offered to an attendee at risk


@dataclass
class Placement:
    """Pairs (``u < v``) per free round, and how the placement ended."""

    rounds: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    greedy_rounds: list[int] = field(default_factory=list)
    cancelled: bool = False


def company_repeat(inst: Instance, seen: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairs in which one side has already met someone of the other's company."""
    if inst.company_rule == "off" or len(a) == 0:
        return np.zeros(len(a), dtype=bool)
    repeat: np.ndarray = (seen[a, inst.company[b]] > 0) | (seen[b, inst.company[a]] > 0)
    return repeat


def apply_company_rule(inst: Instance, seen: np.ndarray, a: np.ndarray, b: np.ndarray, weights: np.ndarray,
                       index: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Soft rule: repeats weigh less (never enough to cost a meeting); hard rule: dropped.

    ``index`` (default: each edge's position) travels with the edges, so a caller can tell
    which of its edges survived the hard rule.
    """
    if index is None:
        index = np.arange(len(a))
    repeat = company_repeat(inst, seen, a, b)
    if not repeat.any():
        return a, b, weights, index
    if inst.company_rule == "hard":
        keep = ~repeat
        return a[keep], b[keep], weights[keep], index[keep]
    return a, b, weights - COMPANY_REPEAT * repeat, index


def pair_weights(inst: Instance, a: np.ndarray, b: np.ndarray, r: int | None,
                 must_sit_in: np.ndarray | None = None, sit_in_turn: np.ndarray | None = None) -> np.ndarray:
    """Matching weight of the pairs ``(a[k], b[k])`` in round ``r``, from the tiers above.

    Every pair counts one meeting plus its score and, for a must-meet pair, ``MUST_MEET``; a
    pair that had round ``r`` in the previous plan gets ``SAME_ROUND_AS_BEFORE`` (``r`` None:
    no stability term). ``must_sit_in`` and ``sit_in_turn`` (bool per attendee) add their tier
    once per side. One function for every matching keeps the tiers consistent between them.
    """
    weights: np.ndarray = MEETING + inst.scores[a, b].astype(np.int64)
    if inst.must:
        weights = weights + MUST_MEET * inst.must_mask[a, b]
    if r is not None and inst.previous:
        weights = weights + SAME_ROUND_AS_BEFORE * np.array(
            [inst.previous.get((x, y), (0, 0))[0] == r for x, y in zip(a.tolist(), b.tolist())], dtype=np.int64)
    if must_sit_in is not None:
        weights = weights + MUST_SIT_IN * (must_sit_in[a].astype(np.int64) + must_sit_in[b])
    if sit_in_turn is not None:
        weights = weights + SIT_IN_TURN * (sit_in_turn[a].astype(np.int64) + sit_in_turn[b])
    return weights


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
    # Nodes are integers (attendee i is i, round r is n + r): with string labels the flow found
    # depended on the process's hash seed, so one request gave different schedules in two runs.
    source, sink = -1, -2
    graph = nx.DiGraph()
    for r in inst.free_rounds:
        present = int((inst.avail[:, r] & can_meet).sum())
        graph.add_edge(n + r, sink, capacity=max(0, present - 2 * inst.seats(r)))
    for i in range(n):
        if not can_meet[i] or quota[i] <= 0:
            continue
        graph.add_edge(source, i, capacity=int(quota[i]))
        for r in inst.free_rounds:
            if inst.avail[i, r]:
                graph.add_edge(i, n + r, capacity=1)
    out = np.zeros((n, inst.rounds + 1), dtype=bool)
    if source not in graph:
        return out
    _, flow = nx.maximum_flow(graph, source, sink)
    for i in range(n):
        for target, amount in flow.get(i, {}).items():
            if amount > 0:
                out[i, target - n] = True
    return out


def place_rounds(inst: Instance, chosen: list[tuple[int, int]], deadline: float, seed: int, fairness: int,
                 cancel: threading.Event | None = None,
                 on_round: Callable[[int, list[tuple[int, int]]], None] | None = None) -> Placement:
    """Place ``chosen`` pairs round by round, then seat whoever is still free."""
    result = Placement()
    n = inst.n
    met = np.zeros((n, n), dtype=bool)
    pending_u = np.array([p[0] for p in chosen], dtype=np.int64)
    pending_v = np.array([p[1] for p in chosen], dtype=np.int64)
    pending = np.ones(len(chosen), dtype=bool)
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
        weights = (pair_weights(inst, a, b, r, must_sit_in, turn_to_sit_in) + CHOSEN
                   + TIGHT * (tight[a].astype(np.int64) + tight[b]) + LAST_CHANCE * (common_later <= 1))
        # Alternatives for whoever is at risk, in case their chosen partners are taken.
        # Only for attendees with no chosen pair open in this round: keeps the model small.
        has_open = np.zeros(n, dtype=bool)
        has_open[a] = True
        has_open[b] = True
        at_risk = np.nonzero(present & can_meet & ~has_open & (must_sit_in | turn_to_sit_in))[0]
        if len(at_risk):
            xu, xv = _alternatives(inst, at_risk, present, met, a, b)
            if len(xu):
                xw = pair_weights(inst, xu, xv, None, must_sit_in, turn_to_sit_in)
                a, b = np.concatenate([a, xu]), np.concatenate([b, xv])
                weights = np.concatenate([weights, xw])
        budget = max(0.0, per_round * 0.7)
        a, b, weights, index = apply_company_rule(inst, seen, a, b, weights)
        picked = (greedy_matching(a, b, weights, inst.tables) if use_greedy
                  else best_matching(a, b, weights, inst.tables, budget, seed, cancel))
        pairs = [(int(x), int(y)) for x, y in zip(a[picked], b[picked])]
        taken = index[picked]
        pending[open_pairs[taken[taken < len(open_pairs)]]] = False
        for x, y in pairs:
            met[x, y] = met[y, x] = True

        budget = max(0.0, (deadline - time.monotonic()) / rounds_left * 0.5)
        for x, y in _fill_round(inst, r, pairs, met, seen, None if use_greedy else budget, seed, cancel):
            pairs.append((x, y))
            met[x, y] = met[y, x] = True
            pending[pending & (pending_u == x) & (pending_v == y)] = False
        for x, y in pairs:
            seen[x, inst.company[y]] += 1
            seen[y, inst.company[x]] += 1
        sat_out += present & can_meet & ~_seated(n, pairs)
        result.rounds[r] = sorted(pairs)
        if on_round is not None:
            on_round(r, result.rounds[r])
    return result


def _fill_round(inst: Instance, r: int, pairs: list[tuple[int, int]], met: np.ndarray, seen: np.ndarray,
                budget: float | None, seed: int, cancel: threading.Event | None) -> list[tuple[int, int]]:
    """Extra meetings for round ``r``'s free tables among the attendees still free in it
    (``budget`` None: greedy), best partners first and within the company rule."""
    tables_left = inst.tables - len(pairs)
    free = np.nonzero(inst.avail[:, r] & ~_seated(inst.n, pairs) & (inst.capacity > 0))[0]
    if tables_left <= 0 or len(free) < 2:
        return []
    fu, fv, fw = _fill_edges(inst, free, met, r)
    fu, fv, fw, _ = apply_company_rule(inst, seen, fu, fv, fw)
    if len(fu) == 0:
        return []
    extra = (greedy_matching(fu, fv, fw, tables_left) if budget is None
             else best_matching(fu, fv, fw, tables_left, budget, seed, cancel))
    return list(zip(fu[extra].tolist(), fv[extra].tolist()))


def fill_free_seats(inst: Instance, rounds: dict[int, list[tuple[int, int]]], deadline: float, seed: int,
                    cancel: threading.Event | None = None) -> dict[int, list[tuple[int, int]]]:
    """Seat attendees who are free in a round with a free table, with partners not met yet.

    After meetings are taken out to make room for better ones, some tables stand empty; the
    number of meetings outranks the score, so they are filled again.
    """
    result = {r: list(pairs) for r, pairs in rounds.items()}
    met = np.zeros((inst.n, inst.n), dtype=bool)
    for pairs in result.values():
        for x, y in pairs:
            met[x, y] = met[y, x] = True
    seen = inst.contacts(p for pairs in result.values() for p in pairs)
    order = sorted(result)
    for position, r in enumerate(order):
        stopped = cancel is not None and cancel.is_set()
        budget = (deadline - time.monotonic()) / (len(order) - position)
        for x, y in _fill_round(inst, r, result[r], met, seen, None if stopped or budget <= 0.01 else budget,
                                seed, cancel):
            result[r].append((x, y))
            met[x, y] = met[y, x] = True
            seen[x, inst.company[y]] += 1
            seen[y, inst.company[x]] += 1
    return {r: sorted(pairs) for r, pairs in result.items()}


def _seated(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Bool per attendee: at a table in ``pairs``."""
    seated = np.zeros(n, dtype=bool)
    for x, y in pairs:
        seated[x] = seated[y] = True
    return seated


def _fill_edges(inst: Instance, free: np.ndarray, met: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allowed, not yet met pairs among the still-free attendees, best partners first."""
    sub_allowed = inst.allowed[np.ix_(free, free)] & ~met[np.ix_(free, free)]
    if len(free) > FILL_CANDIDATES:
        masked = np.where(sub_allowed, inst.scores[np.ix_(free, free)].astype(np.int64), -1)
        cutoff = -np.partition(-masked, FILL_CANDIDATES - 1, axis=1)[:, FILL_CANDIDATES - 1]
        keep = masked >= cutoff[:, None]
        if inst.must:       # a must-meet partner is offered whatever the scores of the others
            keep |= inst.must_mask[np.ix_(free, free)]
        sub_allowed &= keep | keep.T
    iu, iv = np.nonzero(np.triu(sub_allowed, k=1))
    fu, fv = free[iu], free[iv]
    return fu, fv, pair_weights(inst, fu, fv, r)


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
    seated_in = {r: _seated(n, pairs) for r, pairs in result.items()}
    for pairs in result.values():
        for x, y in pairs:
            met[x, y] = met[y, x] = True
    can_meet = inst.capacity > 0
    allowed_sit_outs = (inst.free_degree - inst.capacity) + fairness
    sat_out = sum((inst.avail[:, r] & can_meet & ~seated_in[r]).astype(np.int64) for r in result) \
        if result else np.zeros(n, dtype=np.int64)
    order = [r for r in inst.free_rounds if r in result]
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
        weights = pair_weights(inst, a, b, r, must_sit_in)
        others_seen = inst.contacts(p for q, ps in result.items() if q != r for p in ps)
        a, b, weights, _ = apply_company_rule(inst, others_seen, a, b, weights)
        before = np.array([(x, y) in current for x, y in zip(a.tolist(), b.tolist())], dtype=bool)
        remaining = len(order) - position
        budget = (deadline - time.monotonic()) / max(1, remaining)
        picked = best_matching(a, b, weights, inst.tables, budget, seed + 1, cancel)
        if weights[picked].sum() < weights[before].sum():
            picked = before
        result[r] = sorted((int(x), int(y)) for x, y in zip(a[picked], b[picked]))
        seated_in[r] = _seated(n, result[r])
        for x, y in result[r]:
            met[x, y] = met[y, x] = True
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
