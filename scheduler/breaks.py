"""Breaks: runs of idle rounds between two of a person's meetings.

A compact day (no idle rounds between someone's first and last meeting) is what B2B
matchmaking events are judged by (Bofill et al., JAIR 74, 2022), and it is a fair measure of
sit-outs in a filled event too: a sit-out at the edge of someone's day lets them arrive late or
leave early, one in the middle is a wait. A round in which someone is not available counts as
idle like any other: the measure is of the person's day, not of the plan's freedom.

This module counts breaks of a finished schedule (both meeting modes report them) and, for
filled events, moves sit-outs to the edges of people's days by reordering whole rounds: a
round's meetings all stay together, so no pair, table count or score changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.domain import Attendee, Meeting


@dataclass(frozen=True)
class BreakSummary:
    """Breaks of a schedule: ``total`` over everyone, the ``worst`` person's count (and who),
    and ``spread``, the largest difference between two people's counts."""

    total: int
    worst: int
    spread: int
    worst_attendee: str | None


def count_breaks(busy_rounds: Iterable[int]) -> int:
    """Runs of idle rounds between the first and the last of ``busy_rounds``."""
    ordered = sorted(set(busy_rounds))
    return sum(1 for before, after in zip(ordered, ordered[1:]) if after - before > 1)


def breaks_by_attendee(meetings: Iterable[Meeting], attendee_ids: Iterable[str]) -> dict[str, int]:
    """Breaks of each of ``attendee_ids`` (0 for those without meetings)."""
    busy: dict[str, list[int]] = {ident: [] for ident in attendee_ids}
    for m in meetings:
        for ident in (m.a_id, m.b_id):
            if ident in busy:
                busy[ident].append(m.round)
    return {ident: count_breaks(rounds) for ident, rounds in busy.items()}


def summarise(per_attendee: Mapping[str, int]) -> BreakSummary:
    """Total, worst and spread of per-attendee break counts (everyone listed counts, so the
    spread of an event where someone has one meeting is the worst count)."""
    if not per_attendee:
        return BreakSummary(0, 0, 0, None)
    worst_id = min(per_attendee, key=lambda ident: (-per_attendee[ident], ident))
    worst = per_attendee[worst_id]
    return BreakSummary(total=sum(per_attendee.values()), worst=worst,
                        spread=worst - min(per_attendee.values()),
                        worst_attendee=worst_id if worst > 0 else None)


def schedule_breaks(meetings: Iterable[Meeting], attendees: Sequence[Attendee]) -> BreakSummary:
    return summarise(breaks_by_attendee(meetings, (a.id for a in attendees)))


def _breaks_of(busy: np.ndarray) -> np.ndarray:
    """Breaks per row of a boolean (people x rounds) matrix, vectorised."""
    if busy.shape[1] < 3:
        return np.zeros(busy.shape[0], dtype=np.int64)
    starts = busy[:, :-1] & ~busy[:, 1:]                    # idle right after a busy round
    later = np.flip(np.logical_or.accumulate(np.flip(busy, axis=1), axis=1), axis=1)
    counted: np.ndarray = (starts[:, :-1] & later[:, 2:]).sum(axis=1)
    return counted


def compact_rounds(plan: Mapping[int, list[tuple[int, int]]], avail: np.ndarray,
                   fixed_busy: np.ndarray) -> dict[int, list[tuple[int, int]]]:
    """The same rounds in an order with fewer breaks (total, then worst), by swapping two rounds'
    meetings while any swap gains.

    A swap is taken only when every pair of each round may meet in the other (``avail``: bool
    people x rounds+1), so availability and every other rule still hold; rounds not in ``plan``
    (fixed ones) never move. ``fixed_busy`` marks who is busy in fixed rounds. A swap is a swap
    of two columns of the people x rounds busy matrix, so each pass costs rounds^2 vectorised
    counts (well under a second at 10,000 attendees).
    """
    rounds = sorted(plan)
    if len(rounds) < 2:
        return {r: list(pairs) for r, pairs in plan.items()}
    busy = fixed_busy.copy()
    fits = np.ones((avail.shape[1], avail.shape[1]), dtype=bool)   # fits[r, s]: round r's pairs may take s
    for r in rounds:
        pairs = np.array(plan[r], dtype=np.int64).reshape(-1, 2)
        busy[pairs[:, 0], r] = busy[pairs[:, 1], r] = True
        fits[r] = (avail[pairs[:, 0]] & avail[pairs[:, 1]]).all(axis=0)
    source = {r: r for r in rounds}        # round r now holds the meetings first planned for source[r]

    def cost() -> tuple[int, int]:
        counts = _breaks_of(busy[:, 1:])
        return int(counts.sum()), int(counts.max(initial=0))

    best = cost()
    improved = True
    while improved and best[0] > 0:
        improved = False
        for i, r in enumerate(rounds):
            for s in rounds[i + 1:]:
                if not (fits[source[r], s] and fits[source[s], r]):
                    continue
                busy[:, [r, s]] = busy[:, [s, r]]
                value = cost()
                if value < best:
                    source[r], source[s] = source[s], source[r]
                    best, improved = value, True
                else:
                    busy[:, [r, s]] = busy[:, [s, r]]
    return {r: list(plan[source[r]]) for r in rounds}
