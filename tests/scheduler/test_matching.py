"""General matching (scheduler.matching) against a brute-force optimum on whole families of graphs."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from scheduler.matching import BLOSSOM_LIMIT, best_matching, greedy_matching, improve_matching


def _graph(vertices: int, density: float, seed: int, heavy_ties: bool = False) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    pairs = [(a, b) for a, b in itertools.combinations(range(vertices), 2) if rng.random() < density] or [(0, 1)]
    u = np.array([p[0] for p in pairs], dtype=np.int64)
    v = np.array([p[1] for p in pairs], dtype=np.int64)
    high = 3 if heavy_ties else 1000
    weights = rng.integers(1, high + 1, len(pairs)).astype(np.int64)
    return u, v, weights


def _optimum(u: np.ndarray, v: np.ndarray, weights: np.ndarray, limit: int) -> int:
    """Heaviest matching of at most ``limit`` edges, by trying every edge subset that fits."""
    best = 0
    edges = list(zip(u.tolist(), v.tolist(), weights.tolist()))
    for size in range(1, min(limit, len(edges)) + 1):
        for subset in itertools.combinations(edges, size):
            ends = [x for a, b, _ in subset for x in (a, b)]
            if len(ends) == len(set(ends)):
                best = max(best, sum(w for _, _, w in subset))
    return best


def _assert_matching(u: np.ndarray, v: np.ndarray, chosen: np.ndarray, limit: int) -> None:
    ends = np.concatenate([u[chosen], v[chosen]]).tolist()
    assert len(ends) == len(set(ends)), "a vertex is in two chosen edges"
    assert int(chosen.sum()) <= limit


FAMILY = [(vertices, density, seed) for vertices in (2, 3, 5, 7, 8) for density in (0.3, 0.7, 1.0)
          for seed in range(3)]


@pytest.mark.parametrize(("vertices", "density", "seed"), FAMILY)
def test_small_graphs_get_the_maximum_weight_matching(vertices: int, density: float, seed: int) -> None:
    u, v, weights = _graph(vertices, density, seed)
    limit = vertices // 2                  # the limit does not bind: solved exactly
    chosen = best_matching(u, v, weights, limit, 5.0, seed, None)
    _assert_matching(u, v, chosen, limit)
    assert int(weights[chosen].sum()) == _optimum(u, v, weights, limit)


@pytest.mark.parametrize(("vertices", "density", "seed"), FAMILY)
@pytest.mark.parametrize("limit", [1, 2])
def test_a_binding_limit_is_respected_and_local_search_never_loses(vertices: int, density: float, seed: int,
                                                                     limit: int) -> None:
    u, v, weights = _graph(vertices, density, seed, heavy_ties=seed == 2)
    greedy = greedy_matching(u, v, weights, limit)
    improved = improve_matching(u, v, weights, greedy, limit, time.monotonic() + 60)
    best = best_matching(u, v, weights, limit, 5.0, seed, None)
    for chosen in (greedy, improved, best):
        _assert_matching(u, v, chosen, limit)
    assert weights[greedy].sum() <= weights[improved].sum() <= _optimum(u, v, weights, limit)
    assert weights[best].sum() >= weights[greedy].sum()


@pytest.mark.parametrize("vertices", [BLOSSOM_LIMIT + 1, 120, 200])
def test_larger_graphs_get_a_valid_matching_no_lighter_than_greedy(vertices: int) -> None:
    u, v, weights = _graph(vertices, 0.2, vertices)
    for limit in (vertices // 4, vertices // 2):
        greedy = greedy_matching(u, v, weights, limit)
        best = best_matching(u, v, weights, limit, 2.0, 1, None)
        _assert_matching(u, v, best, limit)
        assert weights[best].sum() >= weights[greedy].sum()


def test_no_edges_or_no_room_give_an_empty_matching() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert best_matching(empty, empty, empty, 3, 1.0, 0, None).tolist() == []
    u, v, weights = _graph(6, 1.0, 0)
    assert not best_matching(u, v, weights, 0, 1.0, 0, None).any()
