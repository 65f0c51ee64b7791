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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from scheduler.changes import Change, changed_agendas, diff_schedules, moved_meetings
from scheduler.checker import company_repeats
from scheduler.domain import Attendee, Meeting, Schedule, ScoringWeights
from scheduler.scoring import reason_for, score_matrix, why_not_allowed
from scheduler.solver import PlanReport, PlanResult, Progress, count_sit_outs
from scheduler.wishes import count_wishes

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
    current availability, avoid lists and companies). Meetings in the held rounds before
    ``from_round`` are kept exactly, whoever they name."""

    previous: Schedule
    attendees: Sequence[Attendee]
    rounds: int
    tables: int
    weights: ScoringWeights = field(default_factory=ScoringWeights)
    from_round: int = 1
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
    """Who meets whom in each open round, at which table."""

    def __init__(self, n: int, open_rounds: list[int], tables: int, allowed: np.ndarray) -> None:
        self.open_rounds = open_rounds
        self.tables = tables
        self.allowed = allowed
        self.met = np.zeros((n, n), dtype=bool)  # pairs meeting in an open round
        self.partner: dict[int, dict[int, int]] = {r: {} for r in open_rounds}
        self.table_of: dict[int, dict[frozenset[int], int]] = {r: {} for r in open_rounds}
        self.meetings = np.zeros(n, dtype=np.int64)

    def may_meet(self, i: int, j: int) -> bool:
        """Allowed by the rules and not meeting in another open round."""
        return bool(self.allowed[i, j]) and not self.met[i, j]

    def free_table(self, r: int) -> int | None:
        taken = set(self.table_of[r].values())
        return next((t for t in range(1, self.tables + 1) if t not in taken), None)

    def spare_tables(self, r: int) -> int:
        return self.tables - len(self.table_of[r])

    def add(self, r: int, i: int, j: int, table: int) -> None:
        self.partner[r][i], self.partner[r][j] = j, i
        self.table_of[r][frozenset((i, j))] = table
        self.met[i, j] = self.met[j, i] = True
        self.meetings[i] += 1
        self.meetings[j] += 1

    def remove(self, r: int, i: int, j: int) -> int:
        del self.partner[r][i], self.partner[r][j]
        table = self.table_of[r].pop(frozenset((i, j)))
        self.met[i, j] = self.met[j, i] = False
        self.meetings[i] -= 1
        self.meetings[j] -= 1
        return table

    def agenda(self, k: int) -> dict[int, tuple[int, int]]:
        """``k``'s open rounds: round -> (partner, table)."""
        out = {}
        for r in self.open_rounds:
            other = self.partner[r].get(k)
            if other is not None:
                out[r] = (other, self.table_of[r][frozenset((k, other))])
        return out


class _Revision:
    """One revision's state: the people expected, what they may do, the room and who changed.

    ``excess()`` is the heart of the fairness rule: sit-outs (held rounds included) beyond the
    fairness target, less a ``floor`` for people the change did not touch, so they are only
    ever held to what the published plan gave them.
    """

    def __init__(self, request: RevisionRequest) -> None:
        self.request = request
        self.people = list(request.attendees)
        self.index = {a.id: k for k, a in enumerate(self.people)}
        self.n = len(self.people)
        self.rounds = max(0, int(request.rounds))
        self.tables = max(0, int(request.tables))
        self.first = max(1, int(request.from_round))
        self.open_rounds = list(range(self.first, self.rounds + 1))
        self.held = [m for m in request.previous.meetings if m.round < self.first and m.round <= self.rounds]

        matrix = score_matrix(self.people, request.weights)
        self.scores = matrix.scores
        self.allowed = matrix.allowed.copy()
        np.fill_diagonal(self.allowed, False)
        for i, j in self._held_pairs():
            self.allowed[i, j] = self.allowed[j, i] = False
        self.avail = np.zeros((self.n, self.rounds + 2), dtype=bool)
        for k, person in enumerate(self.people):
            for r in self.open_rounds:
                self.avail[k, r] = person.is_available(r)
        self.must = _must_pairs(self.people, self.index)
        self.company = [a.company_key for a in self.people]
        self.met_companies: list[dict[str, int]] = [defaultdict(int) for _ in range(self.n)]
        for i, j in self._held_pairs():
            self._count_companies(i, j, +1)
        self.room = _Room(self.n, self.open_rounds, self.tables, self.allowed)
        self.changed = np.zeros(self.n, dtype=bool)
        self.floor = np.zeros(self.n, dtype=np.int64)
        self.published: set[tuple[int, frozenset[int]]] = set()
        self._fairness_levels()

    # -- set-up -----------------------------------------------------------------------------

    def _held_pairs(self) -> list[tuple[int, int]]:
        pairs = [(self.index.get(m.a_id), self.index.get(m.b_id)) for m in self.held]
        return [(i, j) for i, j in pairs if i is not None and j is not None]

    def _count_companies(self, i: int, j: int, step: int) -> None:
        self.met_companies[i][self.company[j]] += step
        self.met_companies[j][self.company[i]] += step

    def _fairness_levels(self) -> None:
        """Target, forced sit-outs and sit-outs already taken in the held rounds."""
        window = self.avail[:, self.first:self.rounds + 1]
        self.degree = window.sum(axis=1).astype(np.int64)
        shares = (window.astype(np.float32) @ window.T.astype(np.float32)) > 0 if self.n and self.open_rounds \
            else np.zeros((self.n, self.n), dtype=bool)
        self.capacity = np.minimum(self.degree, (self.allowed & shares).sum(axis=1))
        self.forced = self.degree - self.capacity
        self.target = _fairness_target(self.degree, self.capacity, self.avail, self.open_rounds, self.tables)
        # A late arrival who missed rounds 2-3 is served before someone who sat out nothing yet.
        seated = {(m.round, ident) for m in self.held for ident in (m.a_id, m.b_id)}
        held_sit_outs = [sum(1 for r in range(1, min(self.first, self.rounds + 1))
                             if person.is_available(r) and (r, person.id) not in seated)
                         for person in self.people]
        self.held_sit_outs = np.minimum(np.array(held_sit_outs, dtype=np.int64), np.maximum(0, self.capacity))

    def excess(self) -> np.ndarray:
        """Sit-outs beyond what each attendee may be left with (<= 0 is fine)."""
        excess: np.ndarray = (self.degree - self.room.meetings - self.forced - self.target + self.held_sit_outs
                              - self.floor)
        return excess

    def pair_value(self, i: int, j: int) -> float:
        """Score, with must-meet pairs first and a second person of the same company last."""
        value = float(self.scores[i, j])
        if (min(i, j), max(i, j)) in self.must:
            value += _MUST_MEET_WEIGHT
        if self.met_companies[i].get(self.company[j]) or self.met_companies[j].get(self.company[i]):
            value -= _REPEAT_PENALTY
        return value

    def seat(self, r: int, i: int, j: int, table: int) -> None:
        self.room.add(r, i, j, table)
        self._count_companies(i, j, +1)
        self.changed[i] = self.changed[j] = True

    def unseat(self, r: int, i: int, j: int) -> int:
        self._count_companies(i, j, -1)
        self.changed[i] = self.changed[j] = True
        return self.room.remove(r, i, j)

    def score_so_far(self) -> float:
        """The schedule's score as it stands (held meetings and those seated now), for progress."""
        held = sum(float(m.score) for m in self.held)
        seated = sum(float(self.scores[tuple(sorted(pair))]) for r in self.open_rounds for pair in self.room.table_of[r])
        return held + seated

    # -- the steps --------------------------------------------------------------------------

    def keep_published(self) -> None:
        """Step 1: every published meeting the rules still allow, at its table if it exists."""
        overflow: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for m in sorted(self.request.previous.meetings, key=lambda m: (m.round, m.table)):
            if not self.first <= m.round <= self.rounds:
                continue
            i, j, r = self.index.get(m.a_id), self.index.get(m.b_id), m.round
            if i is None or j is None or not (self.avail[i, r] and self.avail[j, r] and self.allowed[i, j]):
                continue
            if self.room.met[i, j] or i in self.room.partner[r] or j in self.room.partner[r]:
                continue
            if 1 <= m.table <= self.tables and m.table not in self.room.table_of[r].values():
                self.room.add(r, i, j, m.table)
            else:
                overflow[r].append((i, j))
        for r, pairs in overflow.items():  # tables that no longer exist: another table, same round
            for i, j in sorted(pairs, key=lambda p: -int(self.scores[p])):
                table = self.room.free_table(r)
                if table is not None and i not in self.room.partner[r] and j not in self.room.partner[r]:
                    self.room.add(r, i, j, table)
        for r in self.open_rounds:
            for pair in self.room.table_of[r]:
                i, j = sorted(pair)
                self._count_companies(i, j, +1)
                self.published.add((r, pair))
        self._mark_changed()

    def _mark_changed(self) -> None:
        """Who the change touched, and how far everyone else may be lifted (see ``excess``)."""
        before: dict[str, dict[int, tuple[str, int]]] = defaultdict(dict)
        for m in self.request.previous.meetings:
            if self.first <= m.round <= self.rounds:  # rounds cut by the organiser are no change to repair
                before[m.a_id][m.round] = (m.b_id, m.table)
                before[m.b_id][m.round] = (m.a_id, m.table)
        for k, person in enumerate(self.people):
            now = {r: (self.people[other].id, table) for r, (other, table) in self.room.agenda(k).items()}
            self.changed[k] = now != before.get(person.id, {})
        # Everyone in the published plan is owed no more than it gave them: a partner who lost
        # a meeting is lifted back by that meeting, not further, so a sit-out they already had
        # (or one a lower target now counts) does not move other people's published meetings.
        # Only people new to the plan are lifted all the way to the target.
        published = np.array([len(before.get(p.id, {})) for p in self.people], dtype=np.int64)
        was_there = np.array([p.id in before for p in self.people], dtype=bool)
        self.floor = np.zeros(self.n, dtype=np.int64)
        self.floor = np.where(was_there, np.maximum(0, self.excess() + self.room.meetings - published), 0)

    def match_free(self, r: int) -> int:
        """Step 2: seat as many of round ``r``'s free people with each other as tables allow."""
        room = self.room
        spare = room.spare_tables(r)
        free = [k for k in np.flatnonzero(self.avail[:, r] & (self.capacity > 0)).tolist() if k not in room.partner[r]]
        if spare <= 0 or len(free) < 2:
            return 0
        excess = self.excess()

        def weight(i: int, j: int) -> float:
            fairness = max(0, int(excess[i]) + 1) + max(0, int(excess[j]) + 1)
            return (_FAIRNESS_WEIGHT * (fairness + 1) + _CHANGED_WEIGHT * (int(self.changed[i]) + int(self.changed[j]))
                    + self.pair_value(i, j))

        edges = [(i, j, weight(i, j)) for a, i in enumerate(free) for j in free[a + 1:] if room.may_meet(i, j)]
        matching = _max_matching(edges, exact=len(free) <= EXACT_MATCHING_LIMIT)
        seated = 0
        for i, j, _w in sorted(matching, key=lambda e: -e[2])[:spare]:
            table = room.free_table(r)
            if table is None:
                break
            self.seat(r, i, j, table)
            seated += 1
        return seated

    def lift_sit_outs(self, stopped: Callable[[], bool]) -> int:
        """Step 3: give a meeting to whoever sits out most beyond the target, one swap at a time.

        In a round where ``p`` is free, meeting ``(x, y)`` becomes ``(p, x)`` at its table and
        ``y`` meets a free ``z`` at a spare table (one meeting more) or sits out, if ``y`` then
        still sits out fewer rounds beyond the target than ``p`` did. Returns the swaps made.
        """
        swaps = 0
        stuck: set[int] = set()
        for _ in range(20 * max(1, self.n)):
            if stopped():
                break
            excess = self.excess()
            waiting = [k for k in np.flatnonzero(excess > 0).tolist() if k not in stuck]
            if not waiting:
                break
            p = max(waiting, key=lambda k: (int(excess[k]), -k))
            move = self._best_swap(p, excess)
            if move is None:
                stuck.add(p)
                continue
            r, x, y, z = move
            self.seat(r, p, x, self.unseat(r, x, y))
            spare = self.room.free_table(r) if z is not None else None
            if z is not None and spare is not None:
                self.seat(r, y, z, spare)
            swaps += 1
        return swaps

    def _best_swap(self, p: int, excess: np.ndarray) -> tuple[int, int, int, int | None] | None:
        """The best ``(round, x, y, z)`` for ``p``: one meeting more first, then fewest agendas
        newly changed, then ``y`` with most room, then score."""
        room = self.room
        best: tuple[tuple[float, ...], tuple[int, int, int, int | None]] | None = None
        for r in self.open_rounds:
            if not self.avail[p, r] or p in room.partner[r] or not room.partner[r]:
                continue
            seated = np.fromiter(room.partner[r].keys(), dtype=np.int64)
            partners = np.fromiter(room.partner[r].values(), dtype=np.int64)
            ok = self.allowed[p, seated] & ~room.met[p, seated]
            if not ok.any():
                continue
            xs, ys = seated[ok], partners[ok]
            free = np.array([k for k in np.flatnonzero(self.avail[:, r]).tolist()
                             if k not in room.partner[r] and k != p], dtype=np.int64)
            if room.spare_tables(r) > 0 and len(free):
                with_z = (self.allowed[np.ix_(ys, free)] & ~room.met[np.ix_(ys, free)]).any(axis=1)
            else:
                with_z = np.zeros(len(ys), dtype=bool)
            fair = with_z | (excess[ys] + 1 < excess[p])
            if not fair.any():
                continue
            xs, ys, with_z = xs[fair], ys[fair], with_z[fair]
            newly = (~self.changed[xs]).astype(np.int64) + (~self.changed[ys]).astype(np.int64)
            gain = self.scores[p, xs].astype(np.float64) - self.scores[xs, ys]
            pick = int(np.lexsort((gain, -excess[ys], -newly, with_z.astype(np.int64)))[-1])
            key = (float(with_z[pick]), -float(newly[pick]), -float(excess[ys[pick]]), float(gain[pick]))
            if best is not None and key <= best[0]:
                continue
            y, z = int(ys[pick]), None
            if with_z[pick]:
                options = free[self.allowed[y, free] & ~room.met[y, free]].tolist()
                z = max(options, key=lambda k: (max(0, int(excess[k]) + 1), int(self.changed[k]), self.pair_value(y, k)))
            best = (key, (r, int(xs[pick]), y, z))
        return best[1] if best is not None else None

    def polish(self, r: int) -> int:
        """Step 4: raise the score among the meetings this revision made in round ``r``.

        Two of them, ``(a, b)`` and ``(c, d)``, become ``(a, c)`` and ``(b, d)`` (or ``(a, d)``
        and ``(b, c)``) when that scores more: those four agendas change anyway, nobody else's
        does, nobody loses a meeting, and no published meeting moves.
        """
        improved = 0
        for _ in range(50):
            made = [tuple(sorted(pair)) for pair in self.room.table_of[r] if (r, pair) not in self.published]
            best: tuple[float, tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]] | None = None
            for x, (a, b) in enumerate(made):
                for c, d in made[x + 1:]:
                    base = self.pair_value(a, b) + self.pair_value(c, d)
                    for one, two in (((a, c), (b, d)), ((a, d), (b, c))):
                        if not (self.room.may_meet(*one) and self.room.may_meet(*two)):
                            continue
                        gain = self.pair_value(*one) + self.pair_value(*two) - base
                        if gain > 1e-9 and (best is None or gain > best[0]):
                            best = (gain, (a, b), (c, d), one, two)
            if best is None:
                break
            _gain, old1, old2, new1, new2 = best
            t1, t2 = self.unseat(r, *old1), self.unseat(r, *old2)
            self.seat(r, *new1, t1)
            self.seat(r, *new2, t2)
            improved += 1
        return improved


def revise(request: RevisionRequest, progress: Callable[[Progress], None] | None = None,
           cancel: threading.Event | None = None) -> RevisionResult:
    """Revise ``request.previous`` for the people expected; never raises on degenerate input."""
    started = time.monotonic()
    deadline = started + max(0.5, request.time_limit)

    def stopped() -> bool:
        return (cancel is not None and cancel.is_set()) or time.monotonic() > deadline

    def tell(phase: str, done: int) -> None:
        # A revision computes no bound (0.0: none); the score is the whole schedule's so far.
        if progress is not None:
            progress(Progress(phase, done, len(work.open_rounds), work.score_so_far(), 0.0,
                              time.monotonic() - started))

    work = _Revision(request)
    tell("revising", 0)
    work.keep_published()
    for _sweep in range(3):  # match the free, then swap for fairness, until nothing improves
        for done, r in enumerate(work.open_rounds, start=1):
            work.match_free(r)
            tell("revising", done)
            if stopped():
                break
        if stopped() or work.lift_sit_outs(stopped) == 0:
            break
    tell("polishing", len(work.open_rounds))
    for r in work.open_rounds:
        if stopped():
            break
        work.polish(r)

    previous, first = request.previous, work.first
    schedule = _schedule(work.people, previous, work.held, work.room, work.rounds, work.tables, work.scores,
                         request.weights)
    report = _report(work.people, schedule, work.rounds, work.index, work.target, started, cancel, stopped)
    report.company_rule = request.weights.company_repeats
    report.company_repeat_attendees, report.company_repeat_meetings = company_repeats(schedule, work.people)
    report.wishes = count_wishes(schedule.meetings, work.people, work.rounds)
    changes = diff_schedules(previous, schedule, first, set(work.index))
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
    tell("done", len(work.open_rounds))
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
    seats = sum(min(tables, int((avail[:, r] & (capacity > 0)).sum()) // 2) for r in open_rounds)
    must_absorb = int(degree.sum()) - 2 * seats
    for k in range(0, len(open_rounds) + 1):
        if int(np.minimum(degree, forced + k).sum()) >= must_absorb:
            return k
    return len(open_rounds)


def _max_matching(edges: list[tuple[int, int, float]], *, exact: bool) -> list[tuple[int, int, float]]:
    """Most pairs, then most weight (blossom); greedy by weight when ``exact`` is False."""
    if not edges:
        return []
    if exact:
        graph = nx.Graph()
        graph.add_weighted_edges_from(edges)
        return [(i, j, graph[i][j]["weight"]) for i, j in nx.max_weight_matching(graph, maxcardinality=True)]
    matching: list[tuple[int, int, float]] = []
    used: set[int] = set()
    for i, j, w in sorted(edges, key=lambda e: -e[2]):
        if i not in used and j not in used:
            used.update((i, j))
            matching.append((i, j, w))
    return matching


def _schedule(people: Sequence[Attendee], previous: Schedule, held: list[Meeting], room: _Room,
              rounds: int, tables: int, scores: np.ndarray, weights: ScoringWeights) -> Schedule:
    """Held meetings as they were; open meetings with scores and reasons of today's data."""
    before = {(m.round, m.table, m.pair): m for m in previous.meetings}
    meetings = list(held)
    for r in room.open_rounds:
        for pair, table in room.table_of[r].items():
            i, j = sorted(pair)
            first, second = sorted((people[i], people[j]), key=lambda p: p.id)
            score = float(scores[i, j])
            old = before.get((r, table, frozenset((first.id, second.id))))
            reason = old.reason if old is not None and old.score == score else reason_for(first, second, weights)
            meetings.append(Meeting(r, table, first.id, second.id, score, reason))
    meetings.sort(key=lambda m: (m.round, m.table))
    return Schedule(rounds, max(tables, max((m.table for m in held), default=0)), tuple(meetings))


def _report(people: Sequence[Attendee], schedule: Schedule, rounds: int, index: dict[str, int], target: int,
            started: float, cancel: threading.Event | None, stopped: Callable[[], bool]) -> PlanReport:
    """The same report as a plan's, so every page and export reads a revision alike."""
    cancelled = cancel is not None and cancel.is_set()
    report = PlanReport(status="CANCELLED" if cancelled else "TIME_LIMIT" if stopped() else "FEASIBLE",
                        message="", upper_bound=None, fairness_target=target)
    report.meetings = len(schedule.meetings)
    report.total_score = float(sum(m.score for m in schedule.meetings))
    count_sit_outs(report, schedule.meetings, people, rounds)
    pairs = {m.pair for m in schedule.meetings}
    requested: set[tuple[str, str]] = set()
    for person in people:
        for other in person.must_meet:
            if other != person.id:
                low, high = sorted((person.id, other))
                requested.add((low, high))
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
