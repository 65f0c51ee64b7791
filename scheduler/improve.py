"""Seating the meetings that found no round: an ejection-chain walk over the round assignment.

Once the pairs are chosen, putting them into rounds is an edge colouring: rounds are colours,
and an attendee meets at most one partner per round. The forward placement colours greedily
and usually leaves a few pairs without a round even when a complete colouring exists (every
pair of a round robin, every cross pair of two companies). Here such a pair ``(x, y)`` goes into
a round both attend where one of them is free; the partner it displaces there, ``(y, z)``,
becomes the next pair to seat. A chain ends when a pair finds a round where both are free, and
the schedule then holds one meeting more. Chains of two rounds are Kempe chains, which colour a
bipartite graph with as many rounds as the busiest attendee needs (König). An even round robin
cannot be finished by two-round chains (the missing pair's two sit-out rounds form a path from
one of them to the other), so what the walk leaves goes to :func:`reopen_rounds`, which
re-solves a few rounds at a time exactly with CP-SAT.

The walk's state (each attendee's partner per round, the queue, the parked pairs, the tabu
list, the moves since the last gain) lives in ``_ChainWalk``, one method per move: seat at a
free table, eject a partner, park, undo back to the last gain.

Neither step ever makes the schedule worse: the walk undoes the moves after its last gain, and
a re-solve is kept only when the whole schedule is better in the solver's order. Both stop when
every wanted pair is seated, at the deadline, on cancel, or after a long run without a gain,
counted in steps and re-solves so that the result does not depend on machine speed.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model
from ortools.sat.python.cp_model import CpModel, IntVar

from scheduler.cpsat import single_worker_solver
from scheduler.instance import Instance

TABU_STEPS = 7             # a pair just seated is not displaced again for this many steps
STALL_STEPS_PER_PAIR = 60  # steps without a gain before giving up, per pair waiting for a round
STALL_STEPS_MIN = 20_000
CHECK_EVERY = 256          # steps between clock and cancel checks


@dataclass
class WalkOutcome:
    rounds: dict[int, list[tuple[int, int]]]
    seated: int            # pairs that found a round
    steps: int
    complete: bool         # every wanted pair has a round


Move = tuple[int, tuple[int, int] | None]   # (round, pair to evict; None: any pair of a full round)


def seat_waiting_pairs(inst: Instance, rounds: dict[int, list[tuple[int, int]]],
                       waiting: Iterable[tuple[int, int]], deadline: float, seed: int,
                       cancel: threading.Event | None = None,
                       on_gain: Callable[[int], None] | None = None) -> WalkOutcome:
    """Seat ``waiting`` pairs (``u < v``, not met in ``rounds``) by ejection chains.

    Meetings never drop: each gain seats one pair more, and moves after the last gain are
    undone. ``on_gain`` hears the change of the total score so far.
    """
    walk = _ChainWalk(inst, rounds, waiting, seed, on_gain)
    while walk.queue and walk.since_gain < walk.stall_limit:
        walk.steps += 1
        walk.since_gain += 1
        if walk.steps % CHECK_EVERY == 0 and (time.monotonic() >= deadline
                                              or (cancel is not None and cancel.is_set())):
            break
        if not walk.step():
            break
    return walk.outcome()


class _ChainWalk:
    """The walk's state: each attendee's partner per round, the queue of pairs to seat, the
    pairs parked for want of any move, the tabu list and the moves since the last gain."""

    def __init__(self, inst: Instance, rounds: dict[int, list[tuple[int, int]]],
                 waiting: Iterable[tuple[int, int]], seed: int, on_gain: Callable[[int], None] | None) -> None:
        self.inst = inst
        self.rng = random.Random(seed)
        self.on_gain = on_gain
        self.free_rounds = [r for r in inst.free_rounds if r in rounds]
        self.partner: dict[int, list[int]] = {r: [-1] * inst.n for r in self.free_rounds}
        self.count = {r: len(rounds[r]) for r in self.free_rounds}
        for r in self.free_rounds:
            for a, b in rounds[r]:
                self.partner[r][a] = b
                self.partner[r][b] = a
        placed = {p for r in self.free_rounds for p in rounds[r]}
        self.queue = [p for p in sorted(set(waiting)) if p not in placed]
        self.parked: list[tuple[int, int]] = []
        self.common: dict[tuple[int, int], list[int]] = {}
        self.tabu: dict[tuple[int, int], int] = {}
        self.stall_limit = max(STALL_STEPS_MIN,
                               STALL_STEPS_PER_PAIR * max(1, len(self.queue)) * max(1, len(self.free_rounds)))
        self.steps = self.since_gain = self.seated = 0
        self.gain = 0              # score change so far (the last gain's is what the walk keeps)
        # Moves since the last gain: undone at the end, so the result is the state right after the
        # last pair found a free round (the walk's best: every gain is one meeting more).
        self.journal: list[tuple[int, tuple[int, int], tuple[int, int]]] = []

    def step(self) -> bool:
        """Take one waiting pair at random and seat it, displace someone for it, or park it.
        False when nothing is left to try."""
        rng, queue = self.rng, self.queue
        k = rng.randrange(len(queue))
        queue[k], queue[-1] = queue[-1], queue[k]
        x, y = queue.pop()
        direct, moves = self._options(x, y)
        if direct:
            self._seat(x, y, direct[rng.randrange(len(direct))])
            return True
        if not moves:
            self.parked.append((x, y))
            return bool(self.queue)
        self._eject(x, y, *moves[rng.randrange(len(moves))])
        return True

    def _common_rounds(self, a: int, b: int) -> list[int]:
        found = self.common.get((a, b))
        if found is None:
            avail = self.inst.avail
            found = [r for r in self.free_rounds if avail[a, r] and avail[b, r]]
            self.common[(a, b)] = found
        return found

    def _options(self, x: int, y: int) -> tuple[list[int], list[Move]]:
        """Rounds where both are free at a free table, and the moves that displace someone."""
        direct: list[int] = []
        moves: list[Move] = []
        tabu_moves: list[Move] = []
        for r in self._common_rounds(x, y):
            px, py = self.partner[r][x], self.partner[r][y]
            if px < 0 and py < 0:
                if self.count[r] < self.inst.tables:
                    direct.append(r)
                elif self.count[r]:
                    moves.append((r, None))
            elif px < 0 or py < 0:
                other = (y, py) if px < 0 else (x, px)
                displaced = (min(other), max(other))
                (moves if self.tabu.get(displaced, -1) < self.steps else tabu_moves).append((r, displaced))
        # Every move undoes a recent one: take one anyway rather than stall (the walk is random).
        return direct, moves or tabu_moves

    def _seat(self, x: int, y: int, r: int) -> None:
        """A free table in round ``r``: one meeting more, and the walk's new best."""
        self.partner[r][x], self.partner[r][y] = y, x
        self.count[r] += 1
        self.seated += 1
        self.gain += int(self.inst.scores[x, y])
        self.since_gain = 0
        self.journal.clear()
        if self.on_gain is not None:
            self.on_gain(self.gain)
        if not self.queue and self.parked:
            self.queue, self.parked = self.parked, []

    def _eject(self, x: int, y: int, r: int, evicted: tuple[int, int] | None) -> None:
        """Seat ``(x, y)`` in round ``r`` in place of ``evicted`` (any pair there when None),
        which waits in its turn."""
        rng, partner = self.rng, self.partner[r]
        if evicted is None:
            others = [(a, b) for a, b in enumerate(partner) if a < b and self.tabu.get((a, b), -1) < self.steps]
            others = others or [(a, b) for a, b in enumerate(partner) if a < b]
            evicted = others[rng.randrange(len(others))]
        a, b = evicted
        partner[a] = partner[b] = -1
        partner[x], partner[y] = y, x
        self.journal.append((r, (x, y), evicted))
        self.gain += int(self.inst.scores[x, y]) - int(self.inst.scores[a, b])
        self.tabu[(x, y)] = self.steps + TABU_STEPS
        self.queue.append(evicted)
        if self.parked and rng.random() < 0.05:
            self.queue.append(self.parked.pop())

    def outcome(self) -> WalkOutcome:
        """The rounds as they were right after the last gain."""
        complete = not self.queue and not self.parked
        for r, (x, y), (a, b) in reversed(self.journal):
            self.partner[r][x] = self.partner[r][y] = -1
            self.partner[r][a], self.partner[r][b] = b, a
        result = {r: sorted((a, b) for a, b in enumerate(self.partner[r]) if 0 <= a < b) for r in self.free_rounds}
        return WalkOutcome(result, self.seated, self.steps, complete)


LNS_ROUNDS = 4             # rounds re-solved together, to start with; grows while nothing gains
LNS_MAX_ROUNDS = 10
LNS_STALL = 60             # re-solves without a gain before giving up
LNS_SOLVE_SECONDS = 2.0    # deterministic-time cap of one re-solve


def reopen_rounds(inst: Instance, rounds: dict[int, list[tuple[int, int]]], waiting: Iterable[tuple[int, int]],
                  deadline: float, seed: int, cancel: threading.Event | None = None,
                  on_gain: Callable[[int], None] | None = None,
                  key: Callable[[dict[int, list[tuple[int, int]]]], tuple[int, ...]] | None = None) -> WalkOutcome:
    """Large-neighbourhood search: re-solve a few rounds exactly with CP-SAT, the others fixed.

    Each step takes the rounds where a waiting pair's two attendees sit out, plus random others,
    and asks CP-SAT for a better assignment of the pairs of those rounds and the waiting pairs
    (more meetings, then must-meet pairs, then score), with nobody losing a meeting and every
    kept must-meet pair kept; ``key``, when given, must rise too (the solver's whole order).
    ``on_gain`` hears the change of the total score so far. Chains of two rounds cannot
    finish a round robin of an even number of people (the two sit-out rounds of the missing pair
    form a path from one to the other); three or more rounds re-solved together can.
    """
    rng = random.Random(seed)
    free_rounds = [r for r in inst.free_rounds if r in rounds]
    current = {r: sorted(rounds[r]) for r in free_rounds}
    placed = {p for r in free_rounds for p in current[r]}
    wanted = set(waiting) | placed
    queue = sorted(wanted - placed)
    size = min(LNS_ROUNDS, len(free_rounds))
    seated = steps = stall = score_gain = 0
    while queue and stall < LNS_STALL and time.monotonic() < deadline and not (cancel is not None and cancel.is_set()):
        steps += 1
        x, y = queue[rng.randrange(len(queue))]
        chosen = _rounds_around(inst, current, (x, y), free_rounds, size, rng)
        if not chosen:
            queue.remove((x, y))
            continue
        budget = min(LNS_SOLVE_SECONDS, max(0.05, deadline - time.monotonic()))
        better = _resolve(inst, current, chosen, queue, budget, seed + steps)
        if better is None:
            stall += 1
            if stall % 10 == 0:
                size = min(len(free_rounds), size + 1, LNS_MAX_ROUNDS)
            continue
        gained = sum(len(better[r]) for r in chosen) - sum(len(current[r]) for r in chosen)
        trial = {**current, **better}
        if key is not None and key(trial) <= key(current):
            stall += 1
            continue
        score_gain += sum(int(inst.scores[p]) for r in chosen for p in better[r]) \
            - sum(int(inst.scores[p]) for r in chosen for p in current[r])
        current = trial
        placed = {p for r in free_rounds for p in current[r]}
        queue = sorted(wanted - placed)     # a re-solve may swap a held pair for a waiting one
        seated += gained
        stall = 0
        if on_gain is not None:
            on_gain(score_gain)
    return WalkOutcome(current, seated, steps, not queue)


def _rounds_around(inst: Instance, current: dict[int, list[tuple[int, int]]], pair: tuple[int, int],
                   free_rounds: list[int], size: int, rng: random.Random) -> list[int]:
    """The rounds where either side of ``pair`` sits out (both present), topped up at random."""
    x, y = pair
    both = [r for r in free_rounds if inst.avail[x, r] and inst.avail[y, r]]
    if not both:
        return []
    busy = {r: {i for p in current[r] for i in p} for r in both}
    open_rounds = [r for r in both if x not in busy[r] or y not in busy[r]]
    rng.shuffle(open_rounds)
    chosen = open_rounds[: max(2, size // 2)]
    others = [r for r in free_rounds if r not in chosen]
    rng.shuffle(others)
    chosen += others[: max(0, size - len(chosen))]
    return sorted(chosen)


def _resolve(inst: Instance, current: dict[int, list[tuple[int, int]]], chosen: list[int],
             queue: list[tuple[int, int]], time_limit: float, seed: int) -> dict[int, list[tuple[int, int]]] | None:
    """Best re-assignment of ``chosen`` rounds, or None when it seats no more than now."""
    pairs = sorted({p for r in chosen for p in current[r]} | set(queue))
    model = cp_model.CpModel()
    x = {(a, b, r): model.new_bool_var("") for a, b in pairs for r in chosen
         if inst.avail[a, r] and inst.avail[b, r]}
    by_pair = _add_seat_rules(model, inst, x, chosen)
    _add_keep_rules(model, inst, current, chosen, x, by_pair)
    _add_better_objective(model, inst, current, chosen, pairs, x)
    for r in chosen:
        for a, b in current[r]:
            model.add_hint(x[(a, b, r)], 1)
    solver = single_worker_solver(seed, time_limit)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    result: dict[int, list[tuple[int, int]]] = {r: [] for r in chosen}
    for (a, b, r), var in x.items():
        if solver.boolean_value(var):
            result[r].append((a, b))
    return {r: sorted(ps) for r, ps in result.items()}


def _add_seat_rules(model: CpModel, inst: Instance, x: dict[tuple[int, int, int], IntVar],
                    chosen: list[int]) -> dict[tuple[int, int], list[IntVar]]:
    """No pair twice, one table per attendee per round, the tables of each round; the variables
    by pair are returned for the rules that keep meetings."""
    by_pair: dict[tuple[int, int], list[IntVar]] = {}
    by_person_round: dict[tuple[int, int], list[IntVar]] = {}
    by_round: dict[int, list[IntVar]] = {r: [] for r in chosen}
    for (a, b, r), var in x.items():
        by_pair.setdefault((a, b), []).append(var)
        by_person_round.setdefault((a, r), []).append(var)
        by_person_round.setdefault((b, r), []).append(var)
        by_round[r].append(var)
    for vars_ in list(by_pair.values()) + list(by_person_round.values()):
        if len(vars_) > 1:
            model.add_at_most_one(vars_)
    for vars_ in by_round.values():
        if len(vars_) > inst.tables:
            model.add(sum(vars_) <= inst.tables)
    return by_pair


def _add_keep_rules(model: CpModel, inst: Instance, current: dict[int, list[tuple[int, int]]], chosen: list[int],
                    x: dict[tuple[int, int, int], IntVar], by_pair: dict[tuple[int, int], list[IntVar]]) -> None:
    """Nobody loses a meeting, every kept must-meet pair stays, and there are no fewer meetings."""
    by_person: dict[int, list[IntVar]] = {}
    for (a, b, _r), var in x.items():
        by_person.setdefault(a, []).append(var)
        by_person.setdefault(b, []).append(var)
    held: dict[int, int] = {}
    for r in chosen:
        for a, b in current[r]:
            held[a] = held.get(a, 0) + 1
            held[b] = held.get(b, 0) + 1
            if (a, b) in inst.must:
                model.add(sum(by_pair[(a, b)]) == 1)
    for person, count in held.items():
        model.add(sum(by_person.get(person, [])) >= count)
    model.add(sum(x.values()) >= sum(len(current[r]) for r in chosen))


def _add_better_objective(model: CpModel, inst: Instance, current: dict[int, list[tuple[int, int]]],
                          chosen: list[int], pairs: list[tuple[int, int]],
                          x: dict[tuple[int, int, int], IntVar]) -> None:
    """Meetings, then must-meet pairs, then score, as one weighted sum that must beat now's."""
    weight = {p: int(inst.scores[p]) for p in pairs}
    score_unit = 1
    must_unit = score_unit * (sum(max(0, w) for w in weight.values()) + 1)
    meeting_unit = must_unit * (sum(1 for p in pairs if p in inst.must) + 1)
    objective = sum((meeting_unit + (must_unit if (a, b) in inst.must else 0) + weight[(a, b)]) * var
                    for (a, b, r), var in x.items())
    now = sum(meeting_unit + (must_unit if p in inst.must else 0) + weight[p] for r in chosen for p in current[r])
    model.add(objective >= now + 1)                 # strictly better, or nothing
    model.maximize(objective)
