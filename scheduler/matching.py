"""Maximum-weight matchings of at most ``limit`` edges, on edge lists ``u``, ``v``, ``weights``.

General graph matching, knowing nothing of rounds or attendees: the placement builds one
weighted edge list per round and asks for the heaviest set of disjoint edges that fits its
tables. Small graphs whose limit does not bind are solved exactly (Edmonds' blossom); others
get the greedy matching improved by local search, then CP-SAT when the graph is large enough
for it to pay and the budget allows.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from ortools.sat.python import cp_model

from scheduler.cpsat import single_worker_solver, stop_when_cancelled

BLOSSOM_LIMIT = 40       # vertices up to which the matching is solved exactly (blossom)
LOCAL_SEARCH_LIMIT = 160  # ... and up to which local search alone decides it (no CP-SAT)


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


# One local-search move: (edge taken, matched edge dropped or -1, second edge taken or -1).
_Move = tuple[int, int, int]


def improve_matching(u: np.ndarray, v: np.ndarray, weights: np.ndarray, chosen: np.ndarray, limit: int,
                     deadline: float) -> np.ndarray:
    """Local search on a matching: augmenting paths of up to three edges and one-for-one swaps.

    An unmatched vertex ``x`` takes an edge ``(x, y)``; if ``y`` was matched to ``z``, that edge
    is dropped and ``z`` may take an edge to another unmatched vertex. A move is kept when the
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
    w: list[int] = weights.tolist()
    ul: list[int] = u.tolist()
    vl: list[int] = v.tolist()
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
            move = _best_move(x, incident, ul, vl, w, mate_edge, count < limit)
            if move is None:
                continue
            e, f, g = move
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


def _best_move(x: int, incident: list[list[int]], ul: list[int], vl: list[int], w: list[int],
               mate_edge: list[int], room: bool) -> _Move | None:
    """The move from unmatched ``x`` that raises the weight most, or None (``room``: a free table)."""
    best_gain, best_move = 0, None
    for e in incident[x]:
        y = ul[e] + vl[e] - x
        f = mate_edge[y]
        if f < 0:
            if room and w[e] > best_gain:
                best_gain, best_move = w[e], (e, -1, -1)
            continue
        z = ul[f] + vl[f] - y
        gain = w[e] - w[f]
        if gain > best_gain:
            best_gain, best_move = gain, (e, f, -1)
        if room:
            for g in incident[z]:
                t = ul[g] + vl[g] - z
                if t != x and t != y and mate_edge[t] < 0:
                    if gain + w[g] > best_gain:
                        best_gain, best_move = gain + w[g], (e, f, g)
                    break
    return best_move


def best_matching(u: np.ndarray, v: np.ndarray, weights: np.ndarray, limit: int, time_limit: float,
                  seed: int, cancel: threading.Event | None) -> np.ndarray:
    """Maximum-weight matching of at most ``limit`` edges (CP-SAT, single deterministic worker)."""
    started = time.monotonic()
    if len(u) > 0 and limit > 0:
        exact = _blossom_matching(u, v, weights, limit)
        if exact is not None:
            return exact
    hint = greedy_matching(u, v, weights, limit)
    if len(u) and limit > 0:
        hint = improve_matching(u, v, weights, hint, limit, started + max(0.0, time_limit))
        time_limit -= time.monotonic() - started
        # A small graph's CP-SAT rarely proves more than local search found (an odd one never:
        # its relaxation lacks the odd-set cuts); the improvement search after placement, which
        # sees all rounds at once, makes better use of the time.
        if len(np.unique(np.concatenate([u, v]))) <= LOCAL_SEARCH_LIMIT:
            return hint
    # Building the model alone takes about 20 us per edge: not worth it when that eats the budget.
    if (len(u) == 0 or limit <= 0 or time_limit <= max(0.05, 4e-5 * len(u))
            or (cancel is not None and cancel.is_set())):
        return hint
    return _cpsat_matching(u, v, weights, limit, hint, time_limit, seed, cancel)


def _cpsat_matching(u: np.ndarray, v: np.ndarray, weights: np.ndarray, limit: int, hint: np.ndarray,
                    time_limit: float, seed: int, cancel: threading.Event | None) -> np.ndarray:
    """CP-SAT from ``hint``; the hint itself when the search finds nothing heavier."""
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
    solver = single_worker_solver(seed, time_limit)
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
    """Exact maximum-weight matching (Edmonds' blossom) of a small graph whose limit does not bind.

    CP-SAT cannot prove such a matching optimal when the graph has an odd number of vertices
    (its relaxation lacks the odd-set cuts) and would spend its whole budget; the blossom
    algorithm is exact and takes milliseconds at this size. None when it does not apply.
    """
    import networkx as nx

    vertices = np.unique(np.concatenate([u, v]))
    if len(vertices) > BLOSSOM_LIMIT or limit < len(vertices) // 2:
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
