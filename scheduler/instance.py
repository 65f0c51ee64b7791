"""The planning problem in array form, shared by the exact model, the LP and the placement.

Everything the algorithms need is computed once here: who can be seated in which free round,
which pairs may still meet (allowed by scoring, not met in a fixed round, sharing a free round),
their scores, the must-meet requests (with the mutual Musts, planned in the same tier) and the
previous plan used for stability.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from scheduler.domain import Attendee, Meeting, Schedule, ScoringWeights
from scheduler.scoring import WishTier, score_matrix, why_not_allowed, wish_pairs

# Extra objective weight per kept must-meet pair in the LP and the placement, as a multiple of
# the largest pair score: enough to outweigh the two ordinary meetings it can displace.
MUST_MEET_FACTOR = 4


@dataclass
class Instance:
    """Array view of a :class:`~scheduler.solver.PlanRequest` (indices follow ``people``)."""

    people: tuple[Attendee, ...]
    rounds: int
    tables: int
    free_rounds: list[int]
    fixed: tuple[Meeting, ...]
    avail: np.ndarray            # bool (n, rounds + 1): can be seated in free round r
    allowed: np.ndarray          # bool (n, n): may still meet in a free round
    scores: np.ndarray           # int32 (n, n)
    must: set[tuple[int, int]]   # must-meet and mutual-Must pairs that can still be planned (i < j)
    must_requested: list[tuple[str, str]]
    must_static_unkept: list[tuple[str, str, str]]
    previous: dict[tuple[int, int], tuple[int, int]]  # pair -> (round, table) in the old plan
    stability_bonus: int
    index: dict[str, int] = field(default_factory=dict)
    company: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # company code per attendee
    company_rule: str = "off"    # ScoringWeights.company_repeats: soft, hard or off
    # Pairs in ``must`` only because both marked each other Must (no must_meet): planned in the
    # must-meet tier, above company repeats, but reported with the wishes, not as must-meets.
    wish_must: set[tuple[int, int]] = field(default_factory=set)

    @property
    def n(self) -> int:
        return len(self.people)

    def contacts(self, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
        """``seen[i, c]``: how many people of company ``c`` attendee ``i`` meets in ``pairs``."""
        seen = np.zeros((self.n, int(self.company.max(initial=-1)) + 1), dtype=np.int16)
        for a, b in pairs:
            seen[a, self.company[b]] += 1
            seen[b, self.company[a]] += 1
        return seen

    def repeats(self, pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
        """(attendees meeting two or more people of one other company, such extra meetings)."""
        if not len(self.company):
            return 0, 0
        seen = self.contacts(pairs).astype(np.int64)
        extra = np.maximum(0, seen - 1)
        return int((extra.sum(axis=1) > 0).sum()), int(extra.sum())

    @cached_property
    def must_mask(self) -> np.ndarray:
        """Symmetric boolean matrix of the plannable must-meet pairs."""
        return pair_mask(self.n, self.must)

    @cached_property
    def free_degree(self) -> np.ndarray:
        """Free rounds each attendee can be seated in."""
        degree: np.ndarray = self.avail.sum(axis=1).astype(np.int64)
        return degree

    @cached_property
    def capacity(self) -> np.ndarray:
        """Most meetings each attendee can have: free rounds, or allowed partners if fewer.

        Cached: ``avail`` and ``allowed`` are final once :func:`build_instance` returns, and
        summing the n x n ``allowed`` matrix on every ``seats()`` call was measurable at 2,000
        attendees."""
        most: np.ndarray = np.minimum(self.free_degree, self.allowed.sum(axis=1))
        return most

    def seats(self, round_number: int) -> int:
        """Meetings round ``round_number`` can hold: tables, or half of those who can meet."""
        present = int((self.avail[:, round_number] & (self.capacity > 0)).sum())
        return min(self.tables, present // 2)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """All pairs that may still meet, ``(u, v)`` with ``u < v``."""
        u, v = np.nonzero(np.triu(self.allowed, k=1))
        return u, v

    @property
    def must_bonus(self) -> int:
        """What a must-meet pair adds to its weight in the selection LP: more than any trade of
        partners' scores can make up."""
        return MUST_MEET_FACTOR * max(1, int(self.scores.max(initial=0))) + 1

    def objective_weights(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Score plus the must-meet and stability preferences, for LP selection."""
        weights: np.ndarray = self.scores[u, v].astype(np.float64)
        if self.must:
            weights += self.must_bonus * pair_mask(self.n, self.must)[u, v]
        if self.previous and self.stability_bonus:
            weights += self.stability_bonus * pair_mask(self.n, self.previous)[u, v]
        return weights


def pair_mask(n: int, pairs: Iterable[tuple[int, int]]) -> np.ndarray:
    """Symmetric boolean matrix marking ``pairs``: a vectorised membership test for edge arrays."""
    mask = np.zeros((n, n), dtype=bool)
    listed = list(pairs)
    if listed:
        rows, cols = zip(*listed)
        mask[list(rows), list(cols)] = True
        mask[list(cols), list(rows)] = True
    return mask


def build_instance(attendees: Sequence[Attendee], rounds: int, tables: int, weights: ScoringWeights,
                   fixed: Sequence[Meeting], fixed_rounds: frozenset[int],
                   previous: Schedule | None, stability_bonus: int) -> Instance:
    people = tuple(attendees)
    index = {a.id: k for k, a in enumerate(people)}
    n = len(people)
    all_fixed_rounds = set(fixed_rounds) | {m.round for m in fixed}
    free_rounds = [r for r in range(1, rounds + 1) if r not in all_fixed_rounds]

    avail = np.zeros((n, rounds + 1), dtype=bool)
    for k, person in enumerate(people):
        for r in free_rounds:
            avail[k, r] = person.is_available(r)

    matrix = score_matrix(people, weights)
    allowed = matrix.allowed.copy()
    met: set[frozenset[str]] = set()
    for m in fixed:
        met.add(m.pair)
        if m.a_id in index and m.b_id in index:
            allowed[index[m.a_id], index[m.b_id]] = allowed[index[m.b_id], index[m.a_id]] = False
    seats = avail.astype(np.float32)
    allowed &= (seats @ seats.T) > 0

    must: set[tuple[int, int]] = set()
    requested: set[tuple[str, str]] = set()
    for person in people:
        for other in person.must_meet:
            if other != person.id:
                requested.add((min(person.id, other), max(person.id, other)))
    static_unkept: list[tuple[str, str, str]] = []
    for a_id, b_id in sorted(requested):
        if frozenset((a_id, b_id)) in met:
            continue
        if a_id not in index or b_id not in index:
            missing = a_id if a_id not in index else b_id
            static_unkept.append((a_id, b_id, f"{missing} is not attending"))
            continue
        i, j = sorted((index[a_id], index[b_id]))
        reason = why_not_allowed(people[i], people[j])
        if reason is None and not allowed[i, j]:
            reason = "no common round"
        if reason is not None:
            static_unkept.append((a_id, b_id, reason))
        else:
            must.add((i, j))

    wish_must: set[tuple[int, int]] = set()
    if weights.wish_must_mutual > 0:     # zero: the organiser chose to ignore the wishes
        wish_must = {pair for pair, tier in wish_pairs(people, index).items()
                     if tier is WishTier.MUST_MUTUAL and pair not in must and allowed[pair]}
    must |= wish_must

    prev: dict[tuple[int, int], tuple[int, int]] = {}
    if previous is not None:
        for m in previous.meetings:
            if m.a_id in index and m.b_id in index and m.round in free_rounds:
                i, j = sorted((index[m.a_id], index[m.b_id]))
                if allowed[i, j]:
                    prev[(i, j)] = (m.round, m.table)
    return Instance(people=people, rounds=rounds, tables=tables, free_rounds=free_rounds,
                    fixed=tuple(fixed), avail=avail, allowed=allowed, scores=matrix.scores,
                    must=must, must_requested=sorted(requested),
                    must_static_unkept=static_unkept, previous=prev,
                    stability_bonus=stability_bonus, index=index,
                    company=_company_codes(people), company_rule=weights.company_repeats,
                    wish_must=wish_must)


def _company_codes(people: Sequence[Attendee]) -> np.ndarray:
    """Attendees of one company share a code (companies compared as colleagues are)."""
    codes: dict[str, int] = {}
    return np.array([codes.setdefault(p.company_key, len(codes)) for p in people], dtype=np.int64)
