"""Revising a published schedule: place the people who changed, move only what must move.

Printed and mailed agendas are only worth something if a late registration, a cancellation or
a changed availability leaves everyone else's agenda alone. A full re-plan, even with a bonus
for the old meetings, trades a few points of score for hundreds of changed agendas, so a
revision is a repair instead:

1. keep every published meeting (same round, same table) that the hard rules still allow;
   rounds before ``from_round`` are held and kept exactly;
2. pair, round by round, the people left without a meeting with each other (the partners of
   someone who withdrew, newcomers, people who sit out), where a table is free;
3. lift whoever still sits out more than the fairness target by short swaps: in a round where
   ``p`` has no meeting, meeting ``(x, y)`` becomes ``(p, x)`` at the same table and ``y`` meets
   someone free or sits out, when that spreads the sit-outs more evenly.

The objective, in order: the hard rules; meetings and fair sit-outs for the people expected;
published meetings kept (as few attendees' agendas changed as possible); score. Each move is
chosen by that order, preferring people whose agenda changes anyway.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Sequence

import networkx as nx
import numpy as np

from scheduler.changes import Change, changed_agendas, diff_schedules, moved_meetings
from scheduler.domain import Attendee, Meeting, Schedule, ScoringWeights
from scheduler.scoring import reason_for, score_matrix, why_not_allowed
from scheduler.solver import PlanReport, PlanResult, Progress

# Largest set of people without a meeting in one round matched exactly (blossom); larger sets
# (a round added after publishing) are matched greedily by weight.
EXACT_MATCHING_LIMIT = 240
# Weights of a new pair when choosing among equally many meetings: spread sit-outs first,
# then prefer people whose agenda changes anyway, then score.
_FAIRNESS_WEIGHT = 10_000
_CHANGED_WEIGHT = 1_000
_MUST_MEET_WEIGHT = 5_000
_REPEAT_PENALTY = 200


@dataclass(frozen=True)
class RevisionRequest:
    """What to revise. ``attendees`` are the people expected from ``from_round`` on (with their
    current availability, avoid lists and companies); ``registered`` may add everyone else, who
    keep only their meetings in the held rounds before ``from_round``."""

    previous: Schedule
    attendees: Sequence[Attendee]
    rounds: int
    tables: int
    weights: ScoringWeights = field(default_factory=ScoringWeights)
    from_round: int = 1
    registered: Sequence[Attendee] = ()
    time_limit: float = 10.0


@dataclass(frozen=True)
class RevisionResult:
    """The revised plan and what it changes against ``previous`` from ``from_round`` on."""

    result: PlanResult
    changes: list[Change]
    agendas_changed: frozenset[str]
    meetings_moved: int
    meetings_added: int
    from_round: int

    @property
    def schedule(self) -> Schedule:
        return self.result.schedule

    @property
    def report(self) -> PlanReport:
        return self.result.report


class _Room:
    """The revision's working state: who meets whom in each open round, at which table."""

    def __init__(self, n: int, open_rounds: list[int], tables: int, allowed: np.ndarray) -> None:
        self.open_rounds = open_rounds
        self.allowed = allowed
        self.met = np.zeros((n, n), dtype=bool)  # pairs meeting in an open round
        self.tables = tables
        self.partner: dict[int, dict[int, int]] = {r: {} for r in open_rounds}
        self.table_of: dict[int, dict[frozenset[int], int]] = {r: {} for r in open_rounds}
        self.round_of_pair: dict[frozenset[int], int] = {}
        self.meetings = np.zeros(n, dtype=np.int64)

    def allowed_pair(self, i: int, j: int) -> bool:
        """May still meet: allowed by the rules and not meeting in another open round."""
        return bool(self.allowed[i, j]) and not self.met[i, j]

    def free_table(self, r: int) -> int | None:
        taken = set(self.table_of[r].values())
        for table in range(1, self.tables + 1):
            if table not in taken:
                return table
        return None

    def add(self, r: int, i: int, j: int, table: int) -> None:
        pair = frozenset((i, j))
        self.partner[r][i] = j
        self.partner[r][j] = i
        self.table_of[r][pair] = table
        self.round_of_pair[pair] = r
        self.met[i, j] = self.met[j, i] = True
        self.meetings[i] += 1
        self.meetings[j] += 1

    def remove(self, r: int, i: int, j: int) -> int:
        pair = frozenset((i, j))
        del self.partner[r][i]
        del self.partner[r][j]
        table = self.table_of[r].pop(pair)
        del self.round_of_pair[pair]
        self.met[i, j] = self.met[j, i] = False
        self.meetings[i] -= 1
        self.meetings[j] -= 1
        return table

    def pairs(self, r: int) -> list[tuple[int, int, int]]:
        return [(*sorted(pair), table) for pair, table in self.table_of[r].items()]  # type: ignore[misc]


def revise(request: RevisionRequest, progress: Callable[[Progress], None] | None = None,
           cancel: threading.Event | None = None) -> RevisionResult:
    """Revise ``request.previous`` for the people expected; never raises on degenerate input."""
    started = time.monotonic()
    deadline = started + max(0.5, request.time_limit)
    previous = request.previous
    rounds = max(0, int(request.rounds))
    tables = max(0, int(request.tables))
    first = max(1, int(request.from_round))
    people = list(request.attendees)
    index = {a.id: k for k, a in enumerate(people)}
    n = len(people)
    open_rounds = list(range(first, rounds + 1))
    weights = request.weights

    def tell(phase: str, done: int) -> None:
        if progress is not None:
            progress(Progress(phase, done, len(open_rounds), 0.0, 0.0, time.monotonic() - started))

    def stopped() -> bool:
        return (cancel is not None and cancel.is_set()) or time.monotonic() > deadline

    tell("scoring", 0)
    held = [m for m in previous.meetings if m.round < first and m.round <= rounds]
    matrix = score_matrix(people, weights)
    allowed = matrix.allowed.copy()
    scores = matrix.scores
    np.fill_diagonal(allowed, False)
    for m in held:
        i, j = index.get(m.a_id), index.get(m.b_id)
        if i is not None and j is not None:
            allowed[i, j] = allowed[j, i] = False
    avail = np.zeros((n, rounds + 2), dtype=bool)
    for k, person in enumerate(people):
        for r in open_rounds:
            avail[k, r] = person.is_available(r)

    must = _must_pairs(people, index)
    company = [a.company_key for a in people]
    met_companies: list[dict[str, int]] = [defaultdict(int) for _ in range(n)]
    for m in held:
        i, j = index.get(m.a_id), index.get(m.b_id)
        if i is not None and j is not None:
            met_companies[i][company[j]] += 1
            met_companies[j][company[i]] += 1

    room = _Room(n, open_rounds, tables, allowed)
    previously: dict[str, dict[int, tuple[str, int]]] = defaultdict(dict)
    for m in previous.meetings:
        if first <= m.round <= rounds:  # rounds cut by the organiser are not a change to repair
            previously[m.a_id][m.round] = (m.b_id, m.table)
            previously[m.b_id][m.round] = (m.a_id, m.table)

    # 1. keep what the rules still allow, at its table where the table still exists.
    overflow: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for m in sorted(previous.meetings, key=lambda m: (m.round, m.table)):
        if not first <= m.round <= rounds:
            continue
        i, j = index.get(m.a_id), index.get(m.b_id)
        if i is None or j is None or not (avail[i, m.round] and avail[j, m.round] and allowed[i, j]):
            continue
        r = m.round
        if frozenset((i, j)) in room.round_of_pair or i in room.partner[r] or j in room.partner[r]:
            continue
        if 1 <= m.table <= tables and m.table not in room.table_of[r].values():
            room.add(r, i, j, m.table)
        else:
            overflow[r].append((i, j))
    for r, pairs in overflow.items():
        for i, j in sorted(pairs, key=lambda p: -int(scores[p])):
            table = room.free_table(r)
            if table is not None and i not in room.partner[r] and j not in room.partner[r]:
                room.add(r, i, j, table)
    for r in open_rounds:
        for pair in room.table_of[r]:
            i, j = tuple(pair)
            met_companies[i][company[j]] += 1
            met_companies[j][company[i]] += 1

    def unchanged(k: int) -> bool:
        """Whether ``k``'s agenda is still exactly the published one."""
        ident = people[k].id
        now = {r: (people[room.partner[r][k]].id, room.table_of[r][frozenset((k, room.partner[r][k]))])
               for r in open_rounds if k in room.partner[r]}
        return now == previously.get(ident, {})

    changed = np.array([not unchanged(k) for k in range(n)], dtype=bool)
    # The published meetings kept in step 1: the polish below re-pairs only meetings this
    # revision made, so no published meeting moves for score alone.
    published_pairs = {(r, pair) for r in open_rounds for pair in room.table_of[r]}

    # Fairness target over the open rounds: fewest avoidable sit-outs the worst-off must accept.
    degree = avail[:, first:rounds + 1].sum(axis=1).astype(np.int64) if open_rounds else np.zeros(n, np.int64)
    shares = (avail[:, first:rounds + 1].astype(np.float32) @ avail[:, first:rounds + 1].T.astype(np.float32)) > 0 \
        if open_rounds and n else np.zeros((n, n), dtype=bool)
    partners_possible = (allowed & shares).sum(axis=1)
    capacity = np.minimum(degree, partners_possible)
    target = _fairness_target(degree, capacity, avail, open_rounds, tables)
    forced = degree - capacity

    # Rounds someone already sat out in the held rounds count against them too: a late arrival
    # who missed rounds 2-3 is served before someone who sat out nothing yet.
    held_sit_outs = np.zeros(n, dtype=np.int64)
    seated_held = {(m.round, ident) for m in held for ident in (m.a_id, m.b_id)}
    for k, person in enumerate(people):
        held_sit_outs[k] = sum(1 for r in range(1, first) if r <= rounds and person.is_available(r)
                               and (r, person.id) not in seated_held)
    held_sit_outs = np.minimum(held_sit_outs, np.maximum(0, capacity))

    # Who may be lifted, and how far: people the change touched (they lost a meeting, moved
    # table or are new) down to the target; everyone else only back to where the published
    # plan had them, so a revision does not reshuffle the room to polish what nobody changed.
    def raw_excess() -> np.ndarray:
        return degree - room.meetings - forced - target + held_sit_outs

    untouched = ~changed & np.array([people[k].id in previously for k in range(n)], dtype=bool)
    floor = np.where(untouched, np.maximum(0, raw_excess()), 0)

    def excess_all() -> np.ndarray:
        """Sit-outs beyond what this attendee may be left with (<= 0 is fine), per attendee."""
        return raw_excess() - floor

    def excess(k: int) -> int:
        return int(degree[k] - room.meetings[k] - forced[k] - target + held_sit_outs[k] - floor[k])

    def can_meet(i: int, j: int) -> bool:
        return bool(allowed[i, j]) and not room.met[i, j]

    def pair_value(i: int, j: int) -> float:
        value = float(scores[i, j])
        if (min(i, j), max(i, j)) in must:
            value += _MUST_MEET_WEIGHT
        if met_companies[i].get(company[j]) or met_companies[j].get(company[i]):
            value -= _REPEAT_PENALTY
        return value

    def seat(r: int, i: int, j: int, table: int) -> None:
        room.add(r, i, j, table)
        met_companies[i][company[j]] += 1
        met_companies[j][company[i]] += 1
        changed[i] = changed[j] = True

    def unseat(r: int, i: int, j: int) -> int:
        met_companies[i][company[j]] -= 1
        met_companies[j][company[i]] -= 1
        changed[i] = changed[j] = True
        return room.remove(r, i, j)

    # 2. + 3. match the free, then swap for fairness, until nothing improves.
    tell("revising", 0)
    for _sweep in range(3):
        for r in open_rounds:
            _match_free(r, room, avail, capacity, can_meet, pair_value, excess, changed, seat)
            if stopped():
                break
        if stopped():
            break
        swaps = _lift_sit_outs(open_rounds, room, avail, allowed, scores, excess_all, changed,
                               pair_value, seat, unseat, stopped, n)
        if swaps == 0:
            break
    tell("polishing", len(open_rounds))
    for r in open_rounds:
        if stopped():
            break
        _polish_round(r, room, published_pairs, pair_value, seat, unseat)
    tell("revising", len(open_rounds))

    schedule = _schedule(people, previous, held, room, rounds, tables, scores, weights)
    report = _report(people, schedule, rounds, must, index, target, started, cancel, stopped)
    present = frozenset(index)
    changes = diff_schedules(previous, schedule, first, set(present))
    result = RevisionResult(
        result=PlanResult(schedule, report),
        changes=changes,
        agendas_changed=frozenset(changed_agendas(previous, schedule, first)),
        meetings_moved=moved_meetings(previous, schedule, first),
        meetings_added=sum(1 for c in changes if c.kind == "added"),
        from_round=first,
    )
    report.message = (f"revised from round {first}: {len(result.agendas_changed)} agendas change, "
                      f"{result.meetings_moved} published meetings moved or dropped, "
                      f"{result.meetings_added} meetings added")
    tell("done", len(open_rounds))
    return result


def _must_pairs(people: Sequence[Attendee], index: dict[str, int]) -> set[tuple[int, int]]:
    must: set[tuple[int, int]] = set()
    for person in people:
        for other in person.must_meet:
            if other in index and other != person.id:
                i, j = index[person.id], index[other]
                must.add((min(i, j), max(i, j)))
    return must


def _fairness_target(degree: np.ndarray, capacity: np.ndarray, avail: np.ndarray,
                     open_rounds: list[int], tables: int) -> int:
    """Fewest avoidable sit-outs for the worst-off, by counting seats (as the planner does)."""
    if not open_rounds or len(degree) == 0:
        return 0
    forced = degree - capacity
    seats = 0
    for r in open_rounds:
        present = int((avail[:, r] & (capacity > 0)).sum())
        seats += min(tables, present // 2)
    must_absorb = int(degree.sum()) - 2 * seats
    for k in range(0, len(open_rounds) + 1):
        if int(np.minimum(degree, forced + k).sum()) >= must_absorb:
            return k
    return len(open_rounds)


def _match_free(r: int, room: _Room, avail: np.ndarray, capacity: np.ndarray,
                can_meet: Callable[[int, int], bool], pair_value: Callable[[int, int], float],
                excess: Callable[[int], int], changed: np.ndarray,
                seat: Callable[[int, int, int, int], None]) -> int:
    """Seat as many of round ``r``'s free people with each other as free tables allow."""
    free_tables = room.tables - len(room.table_of[r])
    if free_tables <= 0:
        return 0
    free = [k for k in np.flatnonzero(avail[:, r] & (capacity > 0)).tolist() if k not in room.partner[r]]
    if len(free) < 2:
        return 0

    def weight(i: int, j: int) -> float:
        fairness = max(0, excess(i) + 1) + max(0, excess(j) + 1)
        return (_FAIRNESS_WEIGHT * fairness + _CHANGED_WEIGHT * (int(changed[i]) + int(changed[j]))
                + pair_value(i, j) + _FAIRNESS_WEIGHT)

    edges = [(i, j, weight(i, j)) for a, i in enumerate(free) for j in free[a + 1:] if can_meet(i, j)]
    if not edges:
        return 0
    if len(free) <= EXACT_MATCHING_LIMIT:
        graph = nx.Graph()
        graph.add_weighted_edges_from(edges)
        matching = [(i, j, graph[i][j]["weight"]) for i, j in nx.max_weight_matching(graph, maxcardinality=True)]
    else:
        matching = []
        used: set[int] = set()
        for i, j, w in sorted(edges, key=lambda e: -e[2]):
            if i not in used and j not in used:
                used.update((i, j))
                matching.append((i, j, w))
    seated = 0
    for i, j, _w in sorted(matching, key=lambda e: -e[2])[:free_tables]:
        table = room.free_table(r)
        if table is None:
            break
        seat(r, i, j, table)
        seated += 1
    return seated


def _lift_sit_outs(open_rounds: list[int], room: _Room, avail: np.ndarray, allowed: np.ndarray,
                   scores: np.ndarray, ex: Callable[[], np.ndarray], changed: np.ndarray,
                   pair_value: Callable[[int, int], float],
                   seat: Callable[[int, int, int, int], None], unseat: Callable[[int, int, int], int],
                   stopped: Callable[[], bool], n: int) -> int:
    """Give a meeting to whoever sits out most beyond the target, by one swap at a time.

    In a round where ``p`` is free, meeting ``(x, y)`` becomes ``(p, x)`` at its table and ``y``
    meets a free ``z`` at a spare table (one meeting more) or sits out, if ``y`` then still sits
    out fewer rounds beyond the target than ``p`` did. Returns the number of swaps made.
    """
    swaps = 0
    stuck: set[int] = set()
    for _ in range(20 * max(1, n)):
        if stopped():
            break
        excess = ex()
        order = [k for k in np.flatnonzero(excess > 0).tolist() if k not in stuck]
        if not order:
            break
        p = max(order, key=lambda k: (int(excess[k]), -k))
        best: tuple[tuple[float, ...], tuple[int, int, int, int | None]] | None = None
        for r in open_rounds:
            if not avail[p, r] or p in room.partner[r] or not room.partner[r]:
                continue
            seated = np.fromiter(room.partner[r].keys(), dtype=np.int64)
            partners = np.fromiter(room.partner[r].values(), dtype=np.int64)
            ok = allowed[p, seated] & ~room.met[p, seated]
            if not ok.any():
                continue
            xs, ys = seated[ok], partners[ok]
            spare = room.tables > len(room.table_of[r])
            free = np.flatnonzero(avail[:, r])
            free = np.array([k for k in free.tolist() if k not in room.partner[r] and k != p], dtype=np.int64)
            if spare and len(free):
                with_z = (allowed[np.ix_(ys, free)] & ~room.met[np.ix_(ys, free)]).any(axis=1)
            else:
                with_z = np.zeros(len(ys), dtype=bool)
            fair = with_z | (excess[ys] + 1 < excess[p])
            if not fair.any():
                continue
            xs, ys, with_z = xs[fair], ys[fair], with_z[fair]
            newly = (~changed[xs]).astype(np.int64) + (~changed[ys]).astype(np.int64)
            gain = scores[p, xs].astype(np.float64) - scores[xs, ys]
            # Best by: one meeting more, fewest agendas newly changed, y with most room, score.
            pick = int(np.lexsort((gain, -excess[ys], -newly, with_z.astype(np.int64)))[-1])
            key = (float(with_z[pick]), -float(newly[pick]), -float(excess[ys[pick]]), float(gain[pick]))
            if best is None or key > best[0]:
                z = None
                if with_z[pick]:
                    y = int(ys[pick])
                    options = free[allowed[y, free] & ~room.met[y, free]]
                    z = max(options.tolist(), key=lambda k: (max(0, int(excess[k]) + 1), int(changed[k]),
                                                             pair_value(y, k)))
                best = (key, (r, int(xs[pick]), int(ys[pick]), z))
        if best is None:
            stuck.add(p)
            continue
        r, x, y, z = best[1]
        table = unseat(r, x, y)
        seat(r, p, x, table)
        if z is not None:
            spare_table = room.free_table(r)
            if spare_table is not None:
                seat(r, y, z, spare_table)
        swaps += 1
    return swaps


def _polish_round(r: int, room: _Room, published: set[tuple[int, frozenset[int]]],
                  pair_value: Callable[[int, int], float],
                  seat: Callable[[int, int, int, int], None], unseat: Callable[[int, int, int], int]) -> int:
    """Raise the score among the meetings this revision made in round ``r``.

    Two of them, ``(a, b)`` and ``(c, d)``, become ``(a, c)`` and ``(b, d)`` (or ``(a, d)`` and
    ``(b, c)``) when that scores more: those four agendas change anyway, nobody else's does,
    nobody loses a meeting, and no published meeting moves.
    """
    improved = 0
    for _ in range(50):
        pairs = [tuple(sorted(pair)) for pair in room.table_of[r] if (r, pair) not in published]
        best: tuple[float, tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]] | None = None
        for x, (a, b) in enumerate(pairs):
            base_ab = pair_value(a, b)
            for c, d in pairs[x + 1:]:
                base = base_ab + pair_value(c, d)
                for first, second in (((a, c), (b, d)), ((a, d), (b, c))):
                    if not all(room.allowed_pair(*p) for p in (first, second)):
                        continue
                    gain = pair_value(*first) + pair_value(*second) - base
                    if gain > 1e-9 and (best is None or gain > best[0]):
                        best = (gain, (a, b), (c, d), first, second)
        if best is None:
            break
        _gain, old1, old2, new1, new2 = best
        t1 = unseat(r, *old1)
        t2 = unseat(r, *old2)
        seat(r, *new1, t1)
        seat(r, *new2, t2)
        improved += 1
    return improved


def _schedule(people: Sequence[Attendee], previous: Schedule, held: list[Meeting], room: _Room,
              rounds: int, tables: int, scores: np.ndarray, weights: ScoringWeights) -> Schedule:
    """Held meetings as they were; open meetings with scores and reasons of today's data."""
    before = {(m.round, m.table, m.pair): m for m in previous.meetings}
    meetings = list(held)
    for r in room.open_rounds:
        for i, j, table in room.pairs(r):
            first, second = sorted((people[i], people[j]), key=lambda p: p.id)
            score = float(scores[i, j])
            old = before.get((r, table, frozenset((first.id, second.id))))
            reason = old.reason if old is not None and old.score == score else reason_for(first, second, weights)
            meetings.append(Meeting(r, table, first.id, second.id, score, reason))
    meetings.sort(key=lambda m: (m.round, m.table))
    return Schedule(rounds, max(tables, max((m.table for m in held), default=0)), tuple(meetings))


def _report(people: Sequence[Attendee], schedule: Schedule, rounds: int, must: set[tuple[int, int]],
            index: dict[str, int], target: int, started: float, cancel: threading.Event | None,
            stopped: Callable[[], bool]) -> PlanReport:
    cancelled = cancel is not None and cancel.is_set()
    report = PlanReport(status="CANCELLED" if cancelled else "TIME_LIMIT" if stopped() else "FEASIBLE",
                        message="", upper_bound=None, fairness_target=target)
    report.meetings = len(schedule.meetings)
    report.total_score = float(sum(m.score for m in schedule.meetings))
    met = defaultdict(int)
    pairs = set()
    for m in schedule.meetings:
        met[m.a_id] += 1
        met[m.b_id] += 1
        pairs.add(m.pair)
    sit_outs = {a.id: len(a.rounds_present(rounds)) - met[a.id] for a in people}
    report.sit_outs_total = sum(max(0, s) for s in sit_outs.values())
    if sit_outs:
        worst = min(sit_outs, key=lambda ident: (-sit_outs[ident], ident))
        report.sit_outs_worst = max(0, sit_outs[worst])
        report.sit_outs_worst_attendee = worst if report.sit_outs_worst > 0 else None
    requested: set[tuple[str, str]] = set()
    for person in people:
        for other in person.must_meet:
            if other != person.id:
                requested.add(tuple(sorted((person.id, other))))  # type: ignore[arg-type]
    report.must_meet_requested = len(requested)
    unkept: list[tuple[str, str, str]] = []
    for a_id, b_id in sorted(requested):
        if frozenset((a_id, b_id)) in pairs:
            continue
        if a_id not in index or b_id not in index:
            unkept.append((a_id, b_id, f"{a_id if a_id not in index else b_id} is not expected"))
            continue
        why = why_not_allowed(people[index[a_id]], people[index[b_id]])
        unkept.append((a_id, b_id, why or "no free round for both without moving published meetings"))
    report.must_meet_unkept = unkept
    report.must_meet_kept = report.must_meet_requested - len(unkept)
    report.messages = ["a revision keeps the published plan; no upper bound is computed"]
    report.solve_seconds = time.monotonic() - started
    if cancelled:
        report.messages.append("cancelled: the revision so far is returned")
    if not math.isfinite(report.total_score):
        report.total_score = 0.0
    return report
