"""Local search for compact days in requested-only events (``scheduler.requests``).

CP-SAT proves small events optimal, but on dense ones (80 participants, 300 requests, 16
rounds, measured on 2 cores) its search in 30 s ended with more breaks than the first-free-round
baseline it was started from, and at 500 participants it did not improve on it at all. This
search is cheap and never makes a schedule worse in the order the model uses, so it runs
before CP-SAT (a better start) and after it (a last polish). Moves, each kept only when it
lowers (requests left out, breaks beyond the spread limit, total breaks):

- insert: a request left out goes to a round where both are free and a table is;
- move: a placed request goes to another round it allows where both are free and a table is;
- swap: two requests of one participant exchange rounds (their own day is unchanged; their
  partners' days change), when each partner is free in the other round.

Everything is counted incrementally: a move touches two or three people, whose breaks are
recounted, and a histogram of break counts gives the spread at once.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Sequence

from scheduler.breaks import count_breaks

PERTURBED_PEOPLE = 3          # whose requests are taken out to leave a local optimum


class _State:
    """A placement of requests and the counts the moves are judged by."""

    def __init__(self, requests: Sequence[tuple[int, int, Sequence[int]]], choice: dict[int, int], tables: int,
                 fixed_busy: dict[int, set[int]], participants: Sequence[int], spread: int) -> None:
        self.requests = requests
        self.choice = dict(choice)
        self.tables = tables
        self.spread = spread
        self.busy: dict[int, dict[int, int]] = {p: {} for p in participants}   # person -> round -> request (-1 fixed)
        for person, rounds_held in fixed_busy.items():
            if person in self.busy:
                for r in rounds_held:
                    self.busy[person][r] = -1
        self.used: Counter[int] = Counter()
        for k, r in self.choice.items():
            a, b, _ = requests[k]
            self.busy[a][r] = self.busy[b][r] = k
            self.used[r] += 1
        self.breaks = {p: count_breaks(days) for p, days in self.busy.items()}
        self.histogram: Counter[int] = Counter(self.breaks.values())
        self.total = sum(self.breaks.values())

    def key(self) -> tuple[int, int, int]:
        return (len(self.requests) - len(self.choice), self._excess(self.histogram), self.total)

    def _excess(self, histogram: Counter[int]) -> int:
        present = [count for count, people in histogram.items() if people > 0]
        return max(0, max(present, default=0) - min(present, default=0) - self.spread)

    def free(self, person: int, r: int) -> bool:
        return r not in self.busy[person]

    def trial(self, changes: dict[int, tuple[set[int], set[int]]], placed_delta: int) -> tuple[int, int, int]:
        """The key after adding and removing rounds of some people's days (not applied)."""
        histogram = self.histogram.copy()
        total = self.total
        for person, (added, removed) in changes.items():
            days = (set(self.busy[person]) - removed) | added
            before, after = self.breaks[person], count_breaks(days)
            histogram[before] -= 1
            histogram[after] += 1
            total += after - before
        return (len(self.requests) - len(self.choice) - placed_delta, self._excess(histogram), total)

    def place(self, k: int, r: int | None) -> None:
        """Put request ``k`` in round ``r`` (``None``: leave it out), updating every count."""
        a, b, _ = self.requests[k]
        old = self.choice.pop(k, None)
        if old is not None:
            del self.busy[a][old], self.busy[b][old]
            self.used[old] -= 1
        if r is not None:
            self.choice[k] = r
            self.busy[a][r] = self.busy[b][r] = k
            self.used[r] += 1
        for person in (a, b):
            before, after = self.breaks[person], count_breaks(self.busy[person])
            self.histogram[before] -= 1
            self.histogram[after] += 1
            self.breaks[person] = after
            self.total += after - before


def placement_key(requests: Sequence[tuple[int, int, Sequence[int]]], choice: dict[int, int], tables: int,
                  fixed_busy: dict[int, set[int]], participants: Sequence[int], spread: int) -> tuple[int, int, int]:
    """(requests left out, breaks beyond the spread limit, total breaks) of a placement: lower is
    better, in this order."""
    return _State(requests, choice, tables, fixed_busy, participants, spread).key()


def improve(requests: Sequence[tuple[int, int, Sequence[int]]], choice: dict[int, int], tables: int,
            fixed_busy: dict[int, set[int]], participants: Sequence[int], spread: int, deadline: float,
            seed: int = 0, cancel: threading.Event | None = None) -> dict[int, int]:
    """A placement at least as good as ``choice`` (request -> round), by the moves above, then
    from the best local optimum with a few people's requests taken out and put back (iterated
    local search), until the deadline, a cancel, or no breaks at all."""
    state = _State(requests, choice, tables, fixed_busy, participants, spread)
    rng = random.Random(seed)
    order = list(range(len(requests)))
    best_key, best = state.key(), dict(state.choice)

    def stopped() -> bool:
        return time.monotonic() >= deadline or (cancel is not None and cancel.is_set())

    while not stopped():
        gained = True
        while gained and not stopped():
            gained = False
            rng.shuffle(order)
            for k in order:
                if stopped():
                    break
                gained |= _move(state, k)
            for person in sorted(state.busy):
                if stopped():
                    break
                gained |= _swap(state, person)
        if state.key() < best_key:
            best_key, best = state.key(), dict(state.choice)
        if best_key[1:] == (0, 0) or stopped():
            break
        # A local optimum: start again from the best one with a few of its requests taken out
        # (those of a handful of people), which the insert moves then put back elsewhere.
        state = _State(requests, best, tables, fixed_busy, participants, spread)
        people = rng.sample(sorted(state.busy), min(len(state.busy), PERTURBED_PEOPLE))
        for person in people:
            for k in [k for k in state.busy[person].values() if k >= 0]:
                if k in state.choice:
                    state.place(k, None)
    return best


def _move(state: _State, k: int) -> bool:
    """Insert or move request ``k`` to its best round, if that gains."""
    a, b, slots = state.requests[k]
    current = state.choice.get(k)
    best_key = state.key()
    best_round: int | None = None
    for r in slots:
        if r == current or state.used[r] >= state.tables or not (state.free(a, r) and state.free(b, r)):
            continue
        removed = set() if current is None else {current}
        trial = state.trial({a: ({r}, removed), b: ({r}, removed)}, 1 if current is None else 0)
        if trial < best_key:
            best_key, best_round = trial, r
    if best_round is None:
        return False
    state.place(k, best_round)
    return True


def _swap(state: _State, person: int) -> bool:
    """Exchange the rounds of two of ``person``'s requests when both partners can, if that gains."""
    mine = [(r, k) for r, k in state.busy[person].items() if k >= 0]
    for i, (r1, k1) in enumerate(mine):
        for r2, k2 in mine[i + 1:]:
            a1, b1, slots1 = state.requests[k1]
            a2, b2, slots2 = state.requests[k2]
            if r2 not in slots1 or r1 not in slots2:
                continue
            q1 = b1 if a1 == person else a1
            q2 = b2 if a2 == person else a2
            if not (state.free(q1, r2) and state.free(q2, r1)):
                continue
            trial = state.trial({q1: ({r2}, {r1}), q2: ({r1}, {r2})}, 0)
            if trial < state.key():
                state.place(k1, None)
                state.place(k2, r1)
                state.place(k1, r2)
                return True
    return False
