"""Requested meetings only: the schedule of B2B matchmaking and hosted-buyer events.

Brokerage events do not fill every round: the meetings are the ones that were asked for, and a
good schedule gives each person a compact day. This is the business-to-business meeting
scheduling problem (Bofill et al., JAIR 74, 2022): requested pairs, rounds (slots), tables,
rounds a person cannot attend, optionally a session (a range of rounds) or a round fixed in
advance per request. Objective, in lexicographic order:

1. as many requests scheduled as the rules allow (every one, unless a cause below prevents it);
2. the breaks of any two participants differ by at most ``break_spread`` (relaxed only when no
   schedule of tier 1 allows it, and then said so);
3. fewest breaks in total (``scheduler.breaks``: a run of idle rounds between two meetings).

How: one CP-SAT model with a boolean per request and allowed round, and per participant and
round a "busy" literal, a "meets at or after this round" literal (a suffix OR) and a "break
starts here" literal (busy before, idle now, busy later), each defined exactly, so a break
count cannot be inflated to meet the spread limit from below. Solved twice on the same model:
first the number of requests placed (skipped when the first-free-round baseline already places
every one), then, holding that number, spread excess and breaks. ``scheduler.compact``'s
local search runs before the break phase (a better start), after it, and alone beyond
``CPSAT_LIMIT`` booleans. Measured (README, 2 cores, 30 s): events of a few dozen requests are
proven optimal; dense generated events of 40-80 participants and 120-300 requests are not (the
bound stays near 0), which is short of the MaxSAT proofs published for real events of that size.

Causes of an unscheduled request are found before the model where the data decides them (not
attending, colleagues, avoided, no round both may attend in the request's session) and after
it where the schedule does (a participant with more requests than available rounds, table
capacity, a clash with the pair's other meetings, or the time limit).

Determinism: unlike the fill-every-round plan, a requested-only plan is the same for a seed
only when it is proven optimal (same breaks) or has no breaks: the local search stops at a
deadline and the break phase uses CP-SAT's parallel workers.

The company rule does not apply here: a request was asked for, and meeting two people of one
company is then what the participant wants.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ortools.sat.python import cp_model

from scheduler.breaks import BreakSummary, breaks_by_attendee, summarise
from scheduler.compact import improve, placement_key
from scheduler.cpsat import stop_when_cancelled
from scheduler.domain import Attendee, Meeting, MeetingRequest
from scheduler.scoring import why_not_allowed

DEFAULT_BREAK_SPREAD = 2
FIRST_PHASE_SHARE = 0.3     # of the time limit, for placing as many requests as possible
# Of the time left, for the local search before CP-SAT, and for CP-SAT (the rest polishes its
# answer). Measured at 60 x 200 x 12 (seed 1, 29 s, 2 cores): the local search alone 17 breaks,
# 10% of the time for it then CP-SAT 27; CP-SAT's use is its proofs on smaller events.
LOCAL_SHARE = 0.4
CPSAT_SHARE = 0.85
CPSAT_LIMIT = 12_000        # request-round booleans; beyond, the local search alone (500 x 2,000: 30,000)
_SESSION_RANGE = re.compile(r"^(\d+)\s*(?:-|–|\.\.)\s*(\d+)$")


class UnscheduledCause(StrEnum):
    """Why a requested meeting is not in the schedule."""

    NOT_ATTENDING = "not attending"
    NOT_ALLOWED = "not allowed"                 # colleagues, or one asked not to meet the other
    NO_SHARED_ROUND = "no shared round"         # unavailable in every round the request allows
    OVERBOOKED = "more requests than rounds"    # a participant asked for more than they can attend
    TABLES = "table capacity"                   # every round both could use has every table taken
    CLASH = "clash"                             # their other meetings take every round both could use
    TIME_LIMIT = "time limit"


@dataclass(frozen=True)
class Unscheduled:
    a_id: str
    b_id: str
    cause: UnscheduledCause
    detail: str

    @property
    def reason(self) -> str:
        return f"{self.cause}: {self.detail}"


@dataclass(frozen=True)
class RequestsOutcome:
    """The requested-only plan of the free rounds, before tables are numbered."""

    rounds: dict[int, list[tuple[str, str]]]      # free round -> pairs (ids sorted)
    requested: int
    held: int                                     # requests already met in a fixed meeting
    unscheduled: tuple[Unscheduled, ...]
    breaks: BreakSummary
    bound: int                                    # fewest total breaks any such schedule can have
    optimal: bool
    break_spread: int                             # the limit that held (the setting, or relaxed)
    timed_out: bool
    messages: tuple[str, ...] = ()

    @property
    def scheduled(self) -> int:
        return self.held + sum(len(pairs) for pairs in self.rounds.values())


# --------------------------------------------------------------------------- requests


def session_rounds(text: str, rounds: int) -> frozenset[int] | None:
    """Rounds a session allows: ``morning`` (first half, the middle round when odd),
    ``afternoon`` (the rest), ``A-B`` (a range), empty (any). Raises ``ValueError``."""
    value = text.strip().casefold()
    if not value:
        return None
    middle = (rounds + 1) // 2
    if value == "morning":
        return frozenset(range(1, middle + 1))
    if value == "afternoon":
        if middle >= rounds:
            raise ValueError(f"an event of {rounds} round{'s' if rounds != 1 else ''} has no afternoon")
        return frozenset(range(middle + 1, rounds + 1))
    found = _SESSION_RANGE.match(value)
    if found is None:
        raise ValueError(f"{text.strip()!r} is not a session: write morning, afternoon or a round range like 3-6")
    first, last = int(found.group(1)), int(found.group(2))
    if not 1 <= first <= last <= rounds:
        raise ValueError(f"rounds {first}-{last} do not lie within 1..{rounds}")
    return frozenset(range(first, last + 1))


def requested_pairs(attendees: Sequence[Attendee]) -> set[tuple[str, str]]:
    """Pairs (ids sorted) the attendee data itself requests: ``must_meet`` from either side,
    and mutual Musts (a one-sided Must is a wish the plan weighs, not a request)."""
    pairs: set[tuple[str, str]] = set()
    musts = {(person.id, other) for person in attendees for other in person.wish_must}
    for person in attendees:
        for other in person.must_meet:
            if other != person.id:
                pairs.add((min(person.id, other), max(person.id, other)))
        for other in person.wish_must:
            if other != person.id and (other, person.id) in musts:
                pairs.add((min(person.id, other), max(person.id, other)))
    return pairs


def collect_requests(attendees: Sequence[Attendee], extra: Sequence[MeetingRequest] = ()) -> list[MeetingRequest]:
    """The event's requests: every ``must_meet`` pair (either side asking is enough), every
    mutual Must wish (both named each other in ``wish_must``) and every one of ``extra``; an
    ``extra`` entry for a pair gives that request its session and round. One request per pair,
    ids sorted, in id order."""
    found: dict[tuple[str, str], MeetingRequest] = {}
    for a, b in sorted(requested_pairs(attendees)):
        found[(a, b)] = MeetingRequest(a, b)
    for request in extra:
        a, b = sorted((request.a_id, request.b_id))
        if a != b:
            found[(a, b)] = MeetingRequest(a, b, request.rounds, request.fixed_round)
    return [found[key] for key in sorted(found)]


@dataclass(frozen=True)
class _Candidate:
    """A request the data allows, with the free rounds it may take."""

    a: int
    b: int
    slots: tuple[int, ...]


@dataclass
class _Sorted:
    candidates: list[_Candidate] = field(default_factory=list)
    unscheduled: list[Unscheduled] = field(default_factory=list)
    held: int = 0


def _sort_requests(requests: Sequence[MeetingRequest], people: Sequence[Attendee], index: dict[str, int],
                   free_rounds: Sequence[int], met: set[frozenset[str]]) -> _Sorted:
    """Requests the model places, those already held, and those the data alone rules out."""
    out = _Sorted()
    for request in requests:
        a_id, b_id = sorted((request.a_id, request.b_id))
        if request.pair in met:
            out.held += 1
            continue
        missing = [ident for ident in (a_id, b_id) if ident not in index]
        if missing:
            out.unscheduled.append(Unscheduled(a_id, b_id, UnscheduledCause.NOT_ATTENDING,
                                               f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                                               "not attending"))
            continue
        a, b = people[index[a_id]], people[index[b_id]]
        why = why_not_allowed(a, b)
        if why is not None and why != "no common round":
            out.unscheduled.append(Unscheduled(a_id, b_id, UnscheduledCause.NOT_ALLOWED, why))
            continue
        slots = tuple(r for r in free_rounds if request.allows(r) and a.is_available(r) and b.is_available(r))
        if not slots:
            out.unscheduled.append(Unscheduled(a_id, b_id, UnscheduledCause.NO_SHARED_ROUND,
                                               _no_round_detail(request, a, b, free_rounds)))
            continue
        out.candidates.append(_Candidate(index[a_id], index[b_id], slots))
    return out


def _no_round_detail(request: MeetingRequest, a: Attendee, b: Attendee, free_rounds: Sequence[int]) -> str:
    if request.fixed_round is not None:
        if request.fixed_round not in free_rounds:
            return f"its fixed round {request.fixed_round} is not open for planning"
        absent = [p.id for p in (a, b) if not p.is_available(request.fixed_round)]
        return f"{' and '.join(absent)} cannot attend its fixed round {request.fixed_round}"
    allowed = [r for r in free_rounds if request.allows(r)]
    if not allowed:
        return "no open round lies in its session"
    where = " in its session" if request.rounds is not None else ""
    return f"{a.id} and {b.id} are never available in the same round{where}"


# --------------------------------------------------------------------------- the model


@dataclass
class _Model:
    model: cp_model.CpModel
    meets: dict[tuple[int, int], cp_model.IntVar]          # (candidate, round) -> placed there
    placed: list[cp_model.LinearExpr]                      # per candidate: placed at all (0/1)
    total_breaks: cp_model.LinearExpr
    breaks_unit: int                                       # more than any total of breaks
    excess: cp_model.IntVar                                # spread beyond the limit


_Lit = cp_model.IntVar | bool


def _any(model: cp_model.CpModel, literals: list[_Lit]) -> _Lit:
    """A literal equal to the disjunction of ``literals`` (constants folded)."""
    if any(lit is True for lit in literals):
        return True
    open_literals = [lit for lit in literals if not isinstance(lit, bool)]
    if not open_literals:
        return False
    if len(open_literals) == 1:
        return open_literals[0]
    either = model.new_bool_var("")
    for lit in open_literals:
        model.add_implication(lit, either)
    model.add_bool_or(open_literals + [either.Not()])
    return either


def _break_start(model: cp_model.CpModel, before: _Lit, now: _Lit, after: _Lit) -> _Lit:
    """A literal equal to ``before and not now and after``: busy, then idle, then busy again."""
    if before is False or now is True or after is False:
        return False
    terms = [t for t in (before, after) if not isinstance(t, bool)]
    negated = [] if isinstance(now, bool) else [now]
    if not terms and not negated:
        return True
    if len(terms) == 1 and not negated:
        return terms[0]
    start = model.new_bool_var("")
    for term in terms:
        model.add_implication(start, term)
    for term in negated:
        model.add_implication(start, term.Not())
    model.add_bool_or([t.Not() for t in terms] + negated + [start])
    return start


def _build_model(candidates: Sequence[_Candidate], people_in: Sequence[int], rounds: int, tables: int,
                 fixed_busy: dict[int, set[int]], break_spread: int) -> _Model:
    """Requests to rounds with each participant's breaks counted exactly (see the module)."""
    model = cp_model.CpModel()
    meets: dict[tuple[int, int], cp_model.IntVar] = {}
    by_person_round: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    by_round: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    placed: list[cp_model.LinearExpr] = []
    for k, cand in enumerate(candidates):
        options: list[cp_model.IntVar] = []
        for r in cand.slots:
            x = model.new_bool_var(f"request{k}_round{r}")
            meets[(k, r)] = x
            options.append(x)
            by_person_round[(cand.a, r)].append(x)
            by_person_round[(cand.b, r)].append(x)
            by_round[r].append(x)
        model.add_at_most_one(options)                  # each request at most once
        placed.append(cp_model.LinearExpr.sum(options))
    for xs in by_round.values():
        if len(xs) > tables:
            model.add(sum(xs) <= tables)                # table capacity
    # Implied by one meeting per person per round, but stated, it lets the bound of the first
    # solve see at once that someone with more requests than rounds loses some.
    mine: dict[int, list[int]] = defaultdict(list)
    for k, cand in enumerate(candidates):
        mine[cand.a].append(k)
        mine[cand.b].append(k)
    for ks in mine.values():
        usable = set().union(*(candidates[k].slots for k in ks))
        if len(ks) > len(usable):
            model.add(cp_model.LinearExpr.sum([placed[k] for k in ks]) <= len(usable))

    breaks_of: list[cp_model.LinearExpr] = []
    for p in people_in:
        busy: list[_Lit] = [False] * (rounds + 2)
        for r in range(1, rounds + 1):
            xs = by_person_round.get((p, r), [])
            if r in fixed_busy.get(p, ()):
                busy[r] = True                           # a fixed round: nothing else is placed there
            elif len(xs) == 1:
                busy[r] = xs[0]
            elif xs:
                busy_here = model.new_bool_var(f"busy_{p}_r{r}")
                model.add(busy_here == sum(xs))         # one meeting per person per round
                busy[r] = busy_here
        # A break starts in round r when the person meets in r - 1, not in r, and in some round
        # after r: a plain sum of literals, which core-based search bounds well.
        later: list[_Lit] = [False] * (rounds + 2)
        for r in range(rounds, 0, -1):
            later[r] = _any(model, [busy[r], later[r + 1]])
        starts = [_break_start(model, busy[r - 1], busy[r], later[r + 1]) for r in range(2, rounds)]
        constant = sum(1 for s in starts if s is True)
        breaks_of.append(cp_model.LinearExpr.sum([s for s in starts if not isinstance(s, bool)]) + constant)

    most = max(1, rounds // 2)
    worst = model.new_int_var(0, most, "worst_breaks")
    least = model.new_int_var(0, most, "least_breaks")
    excess = model.new_int_var(0, most, "spread_excess")
    for count in breaks_of:
        model.add(worst >= count)
        model.add(least <= count)
    model.add(worst - least <= break_spread + excess)
    return _Model(model, meets, placed, cp_model.LinearExpr.sum(breaks_of), len(people_in) * most + 1, excess)


def _solver(time_limit: float, seed: int, workers: int) -> cp_model.CpSolver:
    """The solver of the break phase: CP-SAT's own portfolio on ``workers`` workers.

    Measured on a generated event of 60 participants, 200 requests and 12 rounds (2 cores, 20 s):
    a worker on the strongest LP, core-based search or eight workers found no better schedules
    than the default pair and no better bound (it stayed at 0 on that event); the results vary
    more between runs than between these settings. Parallel workers make a run cut short by the
    time limit differ between runs; a proven optimum has the same number of breaks.
    """
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    return solver


def _count_solver(time_limit: float, seed: int) -> cp_model.CpSolver:
    """The solver of the count phase: one worker with its LP proved the most requests placeable
    in 2.5 s where two workers did not in 10 s (same events as above)."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = max(0.1, time_limit)
    return solver


def _hint(built: _Model, choice: dict[int, int]) -> None:
    built.model.clear_hints()  # type: ignore[no-untyped-call]
    for (k, r), x in built.meets.items():
        built.model.add_hint(x, 1 if choice.get(k) == r else 0)


def _read(solver: cp_model.CpSolver, built: _Model) -> dict[int, int]:
    return {k: r for (k, r), x in built.meets.items() if solver.boolean_value(x)}


def first_free_round(candidates: Sequence[tuple[int, int, Sequence[int]]], tables: int,
                     fixed_busy: dict[int, set[int]]) -> dict[int, int]:
    """The simple baseline: each request, in order, in the first round where both are free and
    a table is. Returns request index -> round."""
    taken: dict[int, set[int]] = defaultdict(set)
    for person, busy_rounds in fixed_busy.items():
        taken[person] |= busy_rounds
    used: dict[int, int] = defaultdict(int)
    choice: dict[int, int] = {}
    for k, (a, b, slots) in enumerate(candidates):
        for r in slots:
            if r not in taken[a] and r not in taken[b] and used[r] < tables:
                choice[k] = r
                taken[a].add(r)
                taken[b].add(r)
                used[r] += 1
                break
    return choice


def schedule_requests(attendees: Sequence[Attendee], rounds: int, tables: int, requests: Sequence[MeetingRequest],
                      *, fixed: Sequence[Meeting] = (), fixed_rounds: frozenset[int] = frozenset(),
                      break_spread: int = DEFAULT_BREAK_SPREAD, time_limit: float = 30.0, seed: int = 0,
                      workers: int = 1, cancel: threading.Event | None = None) -> RequestsOutcome:
    """Place ``requests`` in the free rounds (not fixed, holding no fixed meeting): see the module."""
    started = time.monotonic()
    deadline = started + max(0.0, time_limit)
    people = list(attendees)
    index = {p.id: k for k, p in enumerate(people)}
    closed = set(fixed_rounds) | {m.round for m in fixed}
    free_rounds = [r for r in range(1, rounds + 1) if r not in closed]
    met = {m.pair for m in fixed}
    fixed_busy: dict[int, set[int]] = defaultdict(set)
    for m in fixed:
        for ident in (m.a_id, m.b_id):
            if ident in index:
                fixed_busy[index[ident]].add(m.round)
    sorted_requests = _sort_requests(requests, people, index, free_rounds, met)
    candidates = sorted_requests.candidates
    participants = sorted({index[i] for req in requests for i in (req.a_id, req.b_id) if i in index})
    messages: list[str] = []

    if tables <= 0:
        candidates_left = candidates
        candidates = []
    else:
        candidates_left = []
    baseline = first_free_round([(c.a, c.b, c.slots) for c in candidates], tables, fixed_busy)
    choice = dict(baseline)
    first_proven = len(baseline) == len(candidates)
    optimal = False
    bound = 0
    limit = max(0, break_spread)
    timed_out = False
    triples = [(c.a, c.b, c.slots) for c in candidates]

    def key_of(placement: dict[int, int]) -> tuple[int, int, int]:
        return placement_key(triples, placement, tables, fixed_busy, participants, limit)

    def polish(placement: dict[int, int], share: float) -> dict[int, int]:
        budget = share * max(0.0, deadline - time.monotonic())
        return improve(triples, placement, tables, fixed_busy, participants, limit,
                       time.monotonic() + budget, seed, cancel)

    if candidates:
        built = _build_model(candidates, participants, rounds, tables, fixed_busy, limit)
        if not first_proven:
            solver = _count_solver(FIRST_PHASE_SHARE * (deadline - time.monotonic()), seed)
            built.model.maximize(sum(built.placed))
            _hint(built, choice)
            with stop_when_cancelled(solver, cancel):
                status = solver.solve(built.model)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = _read(solver, built)
                if len(found) >= len(choice):
                    choice = found
                first_proven = status == cp_model.OPTIMAL
        choice = polish(choice, LOCAL_SHARE if len(built.meets) <= CPSAT_LIMIT else 1.0)
        first_proven = first_proven or len(choice) == len(candidates)
        timed_out = not first_proven
        if len(built.meets) <= CPSAT_LIMIT and time.monotonic() < deadline:
            model = built.model
            model.add(sum(built.placed) >= len(choice))
            model.minimize(built.breaks_unit * built.excess + built.total_breaks)
            _hint(built, choice)
            solver = _solver(CPSAT_SHARE * (deadline - time.monotonic()), seed, workers)
            with stop_when_cancelled(solver, cancel):
                status = solver.solve(model)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = _read(solver, built)
                excess = int(solver.value(built.excess))
                objective_bound = solver.best_objective_bound - built.breaks_unit * excess
                bound = max(0, math.ceil(objective_bound - 1e-6))
                optimal = status == cp_model.OPTIMAL and first_proven
                if key_of(found) <= key_of(choice):
                    choice = found
            timed_out = status not in (cp_model.OPTIMAL, cp_model.INFEASIBLE) or not first_proven
        else:
            timed_out = True
            messages.append(f"{len(built.meets)} request-round choices: beyond the exact model's "
                            f"{CPSAT_LIMIT}, the schedule comes from the local search alone")
        if not optimal:
            choice = polish(choice, 1.0)
        excess = key_of(choice)[1]
        if excess:
            limit += excess
            proof = "no schedule" if optimal else "no schedule found in time"
            messages.append(f"{proof} of these requests keeps every participant's breaks within "
                            f"{break_spread} of each other; this one's differ by up to {limit}")
        if cancel is not None and cancel.is_set():
            messages.append("cancelled: the best schedule found so far is returned")

    plan_rounds: dict[int, list[tuple[str, str]]] = {r: [] for r in free_rounds}
    for k, r in sorted(choice.items()):
        cand = candidates[k]
        plan_rounds[r].append(tuple(sorted((people[cand.a].id, people[cand.b].id))))  # type: ignore[arg-type]
    for pairs in plan_rounds.values():
        pairs.sort()
    unscheduled = list(sorted_requests.unscheduled)
    dropped = [candidates[k] for k in range(len(candidates)) if k not in choice] + candidates_left
    unscheduled += _explain_dropped(dropped, candidates + candidates_left, choice, people, tables,
                                    timed_out and not first_proven)
    unscheduled.sort(key=lambda u: (u.a_id, u.b_id))
    busy_meetings = [Meeting(r, 0, a, b) for r, pairs in plan_rounds.items() for a, b in pairs] + list(fixed)
    summary = summarise(breaks_by_attendee(busy_meetings, (people[p].id for p in participants)))
    bound = min(bound, summary.total)
    if first_proven and summary.total <= bound and summary.spread <= max(0, break_spread):
        optimal = True          # the most requests, and breaks at CP-SAT's bound (or none at all)
    return RequestsOutcome(rounds=plan_rounds, requested=len(requests), held=sorted_requests.held,
                           unscheduled=tuple(unscheduled), breaks=summary, bound=bound, optimal=optimal,
                           break_spread=limit, timed_out=timed_out, messages=tuple(messages))


def _explain_dropped(dropped: Sequence[_Candidate], every: Sequence[_Candidate], choice: dict[int, int],
                     people: Sequence[Attendee], tables: int, unproven: bool) -> list[Unscheduled]:
    """The cause of each request the schedule leaves out, as specifically as the data shows."""
    if not dropped:
        return []
    used: dict[int, int] = defaultdict(int)
    for r in choice.values():
        used[r] += 1
    overbooked = _overbooked(every, people)
    found = []
    for cand in dropped:
        a_id, b_id = sorted((people[cand.a].id, people[cand.b].id))
        if tables <= 0:
            found.append(Unscheduled(a_id, b_id, UnscheduledCause.TABLES, "the event has no tables"))
            continue
        heavy = [overbooked[p] for p in (cand.a, cand.b) if p in overbooked]
        if heavy:
            found.append(Unscheduled(a_id, b_id, UnscheduledCause.OVERBOOKED, "; ".join(heavy)))
        elif unproven:
            found.append(Unscheduled(a_id, b_id, UnscheduledCause.TIME_LIMIT,
                                     "the time limit was reached before a round was found for it"))
        elif all(used[r] >= tables for r in cand.slots):
            found.append(Unscheduled(a_id, b_id, UnscheduledCause.TABLES,
                                     f"every table ({tables}) is taken in every round both can attend "
                                     f"({_rounds_text(cand.slots)})"))
        else:
            found.append(Unscheduled(a_id, b_id, UnscheduledCause.CLASH,
                                     f"every round both can attend ({_rounds_text(cand.slots)}) is taken "
                                     "by another of their meetings or has no free table"))
    return found


def _overbooked(every: Sequence[_Candidate], people: Sequence[Attendee]) -> dict[int, str]:
    """Participants who asked for more meetings than the rounds they can attend hold: over all
    their requests, or within one session (the requests confined to some request's rounds)."""
    mine: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    for cand in every:
        mine[cand.a].append(cand.slots)
        mine[cand.b].append(cand.slots)
    found: dict[int, str] = {}
    for person, windows in mine.items():
        union = set().union(*map(set, windows))
        if len(windows) > len(union):
            found[person] = (f"{people[person].id} has {len(windows)} requests for the "
                             f"{len(union)} rounds they can meet in")
            continue
        for window in sorted(set(windows), key=len, reverse=True):
            inside = sum(1 for w in windows if set(w) <= set(window))
            if inside > len(window):
                found[person] = (f"{people[person].id} has {inside} requests that fit only in rounds "
                                 f"{_rounds_text(window)}")
                break
    return found


def _rounds_text(rounds: Sequence[int]) -> str:
    """1-3, 5 style."""
    ordered = sorted(rounds)
    parts: list[str] = []
    start = prev = ordered[0]
    for r in ordered[1:] + [-1]:
        if r == prev + 1:
            prev = r
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = r
    return ", ".join(parts)
