"""Planning a schedule: who meets whom, in which round, at which table.

Hard rules: one meeting per attendee per round, at most ``tables`` meetings per round (numbered
1..tables), no pair twice, no colleagues, no avoided pairs, availability respected, fixed rounds
kept exactly; with ``company_repeats: hard``, at most one person of each other company per
attendee. Objective, in lexicographic order:

1. as many meetings as possible, with unavoidable sit-outs spread evenly (the worst-off
   attendee sits out as few avoidable rounds as possible; "forced" sit-outs, rounds beyond the
   number of people someone may meet at all, are not held against the plan);
2. must-meet requests kept (the others are reported with the reason);
3. (``company_repeats: soft``, the default) as few meetings as possible with a company the
   attendee has already met;
4. total pair score.

How (measured on 2 cores): one CP-SAT boolean per pair per round does not scale past a few
dozen attendees, so the plan is found in steps. An LP (OR-Tools' GLOP) over each attendee's
best candidates chooses *which* pairs meet, a relaxed b-matching whose degree limits encode
the fairness target. ``scheduler.rounding`` turns its almost integral answer into whole pairs
with CP-SAT over the pairs in doubt (taking the pairs above one half left a few attendees a
meeting short, and their fill-ins cost most of the gap to the bound). ``scheduler.placement``
then seats them round by round: a greedy matching that serves first the attendees who would
otherwise lose a chosen meeting, improved by a local search and, where the round is small
enough, a CP-SAT matching; a last repair pass seats anyone still over the fairness target.
Chosen pairs still without a round are then seated by ``scheduler.improve`` (ejection chains,
then CP-SAT re-solves of a few rounds at a time), with the placement's fill-ins set aside so
the chains have free tables to end on, until all are seated, the time is up or the search
stops gaining; free tables are filled again after. The same LP gives the upper bound reported
as ``upper_bound``; a schedule that meets it, or in which every pair that may meet does, is
reported OPTIMAL and the search stops there. Events small enough for the full pair-by-round
model (``EXACT_LIMIT`` booleans) are then solved exactly by ``scheduler.exact``, starting from
that schedule, with one CP-SAT worker per core (``PlanRequest.workers`` or
``SPEEDNET_SOLVER_WORKERS``).

Determinism: the same request and seed give the same schedule. The LP is deterministic;
per-round CP-SAT, the rounding and the re-solves use one worker with a deterministic-time
budget; the improvement search counts its budget in steps; the exact model uses interleaved
search. Only a solve cut short by the wall-clock limit or a cancellation can differ between runs.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scheduler.bounds import company_penalty, fairness_target, solve_selection
from scheduler.breaks import compact_rounds, schedule_breaks
from scheduler.domain import Attendee, Meeting, MeetingRequest, MeetingsMode, Schedule, ScoringWeights
from scheduler.exact import MAX_WORKERS, default_workers, lexicographic_key, model_size, solve_exact
from scheduler.improve import reopen_rounds, seat_waiting_pairs
from scheduler.instance import Instance, build_instance, pair_mask
from scheduler.placement import fill_free_seats, place_rounds, polish_rounds, repair_fairness
from scheduler.requests import DEFAULT_BREAK_SPREAD, collect_requests, schedule_requests
from scheduler.rounding import round_selection
from scheduler.scoring import pair_terms, reason_for

EXACT_LIMIT = 6_000          # booleans; about 35 attendees x 10 rounds
DEFAULT_STABILITY_BONUS = 30
CANCELLED_BOUND_SECONDS = 1.0
FINISH_SHARE = 0.03          # of the time limit, kept for writing the schedule and its report
LP_SHARE = 0.5               # of the time limit, for the selection LP (its column generation)
BOUND_CLOSE_ENOUGH = 2e-4    # the selection LP's bound within this share of the score: no second LP
ROUNDING_SHARE = 0.15         # of the time left after the LP, for rounding its answer to whole pairs
ROUNDING_MAX_SECONDS = 10.0


@dataclass(frozen=True)
class PlanRequest:
    """What to plan. ``tables`` defaults to half the attendees (rounded down).

    ``fixed`` meetings (rounds already held or announced) are kept exactly; their rounds, plus
    ``fixed_rounds``, get nothing else. ``previous`` is the plan being revised: its meetings
    between attendees still present earn ``stability_bonus`` so a re-plan changes little.

    ``meetings`` chooses between filling every round (the default) and placing only the
    requested pairs (``scheduler.requests``): the attendees' ``must_meet`` pairs and
    ``requests``, which may also give a request its session or fixed round. ``break_spread``
    is the most two participants' breaks may differ by in that mode.
    """

    attendees: Sequence[Attendee]
    rounds: int
    tables: int | None = None
    weights: ScoringWeights = field(default_factory=ScoringWeights)
    fixed: Sequence[Meeting] = ()
    fixed_rounds: frozenset[int] = frozenset()
    time_limit: float = 30.0
    seed: int = 0
    previous: Schedule | None = None
    stability_bonus: int = DEFAULT_STABILITY_BONUS
    workers: int | None = None      # CP-SAT workers; None: SPEEDNET_SOLVER_WORKERS or all cores
    meetings: MeetingsMode = MeetingsMode.FILL
    break_spread: int = DEFAULT_BREAK_SPREAD
    requests: Sequence[MeetingRequest] = ()


@dataclass(frozen=True)
class Progress:
    """What the progress callback receives."""

    phase: str
    rounds_placed: int
    rounds_total: int
    score: float
    bound: float
    elapsed: float


@dataclass
class PlanReport:
    """How good the schedule is, honestly: ``ratio`` is score / upper bound."""

    status: str
    message: str
    total_score: float = 0.0
    upper_bound: float | None = 0.0     # None when no bound could be computed in time
    meetings: int = 0
    sit_outs_total: int = 0
    sit_outs_worst: int = 0
    sit_outs_worst_attendee: str | None = None
    must_meet_requested: int = 0
    must_meet_kept: int = 0
    must_meet_unkept: list[tuple[str, str, str]] = field(default_factory=list)
    solve_seconds: float = 0.0
    fairness_target: int = 0
    messages: list[str] = field(default_factory=list)
    company_rule: str = "off"
    company_repeat_attendees: int = 0   # attendees who meet two or more people of one other company
    company_repeat_meetings: int = 0    # per attendee, meetings with a company already met; summed
    meetings_mode: str = MeetingsMode.FILL.value
    # How the pairs were chosen: "lp" (the selection LP), "greedy" (round by round: the LP had no
    # answer in its share of the time), "exact" (the full model improved on them), "requests".
    path: str = ""
    breaks_total: int = 0               # runs of idle rounds between two of someone's meetings
    breaks_worst: int = 0
    breaks_spread: int = 0
    breaks_bound: int = 0               # fewest total breaks possible for this plan's meetings
    breaks_optimal: bool = False
    requests_requested: int = 0         # requested-only mode
    requests_scheduled: int = 0
    requests_unscheduled: list[tuple[str, str, str, str]] = field(default_factory=list)  # a, b, cause, reason

    @property
    def ratio(self) -> float | None:
        if self.upper_bound is None:
            return None
        if self.upper_bound <= 0:
            return 1.0
        return self.total_score / self.upper_bound

    def to_dict(self) -> dict[str, object]:
        """The REPORT.json content."""
        return {
            "status": self.status,
            "message": self.message,
            "total_score": self.total_score,
            "upper_bound": self.upper_bound,
            "ratio": None if self.ratio is None else round(self.ratio, 6),
            "meetings": self.meetings,
            "sit_outs": {"total": self.sit_outs_total, "worst": self.sit_outs_worst,
                         "worst_attendee": self.sit_outs_worst_attendee},
            "must_meet": {"requested": self.must_meet_requested, "kept": self.must_meet_kept,
                          "unkept": [{"a_id": a, "b_id": b, "reason": why}
                                     for a, b, why in self.must_meet_unkept]},
            "fairness_target": self.fairness_target,
            "company_repeats": {"rule": self.company_rule, "attendees": self.company_repeat_attendees,
                                "meetings": self.company_repeat_meetings},
            "solve_seconds": round(self.solve_seconds, 3),
            "messages": list(self.messages),
            "meetings_mode": self.meetings_mode,
            "path": self.path,
            "breaks": {"total": self.breaks_total, "worst": self.breaks_worst, "spread": self.breaks_spread,
                       "bound": self.breaks_bound, "optimal": self.breaks_optimal},
        } | ({} if self.meetings_mode != MeetingsMode.REQUESTED else {
            "requests": {"requested": self.requests_requested, "scheduled": self.requests_scheduled,
                         "unscheduled": [{"a_id": a, "b_id": b, "cause": cause, "reason": why}
                                         for a, b, cause, why in self.requests_unscheduled]},
        })

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanReport:
        """The report :meth:`to_dict` wrote, read back typed (the web stores it with a version).

        Tolerant of reports stored by older versions, and of keys it does not know (the web's
        own figures beside it): a missing key takes the field's default, so an old report reads
        as one that counted nothing it did not know of. ``ratio`` is not read: it follows from
        the score and the bound. ``to_dict`` rounds ``solve_seconds`` to the millisecond, so a
        round trip is exact but for that."""
        sit_outs = cls._part(data, "sit_outs")
        must = cls._part(data, "must_meet")
        repeats = cls._part(data, "company_repeats")
        breaks = cls._part(data, "breaks")
        requests = cls._part(data, "requests")
        upper = data.get("upper_bound", 0.0)
        worst_attendee = sit_outs.get("worst_attendee")
        return cls(
            status=str(data.get("status") or ""),
            message=str(data.get("message") or ""),
            total_score=float(data.get("total_score") or 0.0),
            upper_bound=None if upper is None else float(upper),
            meetings=int(data.get("meetings") or 0),
            sit_outs_total=int(sit_outs.get("total") or 0),
            sit_outs_worst=int(sit_outs.get("worst") or 0),
            sit_outs_worst_attendee=None if worst_attendee is None else str(worst_attendee),
            must_meet_requested=int(must.get("requested") or 0),
            must_meet_kept=int(must.get("kept") or 0),
            must_meet_unkept=[(str(u.get("a_id", "")), str(u.get("b_id", "")), str(u.get("reason", "")))
                              for u in must.get("unkept") or []],
            solve_seconds=float(data.get("solve_seconds") or 0.0),
            fairness_target=int(data.get("fairness_target") or 0),
            messages=[str(m) for m in data.get("messages") or []],
            company_rule=str(repeats.get("rule") or "off"),
            company_repeat_attendees=int(repeats.get("attendees") or 0),
            company_repeat_meetings=int(repeats.get("meetings") or 0),
            meetings_mode=str(data.get("meetings_mode") or MeetingsMode.FILL.value),
            path=str(data.get("path") or ""),
            breaks_total=int(breaks.get("total") or 0),
            breaks_worst=int(breaks.get("worst") or 0),
            breaks_spread=int(breaks.get("spread") or 0),
            breaks_bound=int(breaks.get("bound") or 0),
            breaks_optimal=bool(breaks.get("optimal")),
            requests_requested=int(requests.get("requested") or 0),
            requests_scheduled=int(requests.get("scheduled") or 0),
            requests_unscheduled=[(str(u.get("a_id", "")), str(u.get("b_id", "")), str(u.get("cause", "")),
                                   str(u.get("reason", ""))) for u in requests.get("unscheduled") or []],
        )

    @staticmethod
    def _part(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        """One nested part of a stored report, empty when an older report has none."""
        part = data.get(key)
        return part if isinstance(part, Mapping) else {}


@dataclass(frozen=True)
class PlanResult:
    schedule: Schedule
    report: PlanReport


ProgressCallback = Callable[[Progress], None]


def plan(request: PlanRequest, progress: ProgressCallback | None = None,
         cancel: threading.Event | None = None) -> PlanResult:
    """Plan the free rounds of ``request``; never raises on degenerate input (see the report)."""
    started = time.monotonic()
    deadline = started + max(0.0, request.time_limit)
    attendees = list(request.attendees)
    rounds = max(0, int(request.rounds))
    tables = len(attendees) // 2 if request.tables is None else max(0, int(request.tables))
    fixed = tuple(request.fixed)

    def elapsed() -> float:
        return time.monotonic() - started

    def tell(phase: str, placed: int, total: int, score: float = 0.0, bound: float = 0.0) -> None:
        if progress is not None:
            progress(Progress(phase, placed, total, score, bound, elapsed()))

    try:
        workers = _workers(request.workers)
    except ValueError as error:
        return _empty(rounds, tables, fixed, attendees, "INVALID", str(error), elapsed())
    duplicates = sorted(ident for ident, count in Counter(a.id for a in attendees).items() if count > 1)
    if duplicates:
        return _empty(rounds, tables, fixed, attendees, "INVALID",
                      f"attendee ids must be unique; repeated: {', '.join(duplicates)}", elapsed())
    if rounds == 0:
        return _empty(rounds, tables, fixed, attendees, "EMPTY", "the event has no rounds", elapsed())
    if request.meetings == MeetingsMode.REQUESTED:
        tell("requests", 0, rounds)
        result = _plan_requested(request, attendees, rounds, tables, workers, started, cancel)
        tell("done", rounds, rounds, result.report.total_score, result.report.upper_bound or 0.0)
        return result

    tell("scoring", 0, rounds)
    inst = build_instance(attendees, rounds, tables, request.weights, fixed, request.fixed_rounds,
                          request.previous, request.stability_bonus)
    messages: list[str] = []
    unknown = sorted({i for m in fixed for i in (m.a_id, m.b_id) if i not in inst.index})
    if unknown:
        messages.append(f"fixed meetings kept as held with attendees not in this plan: {', '.join(unknown)}")
    u, v = inst.edges()
    if tables == 0 or len(u) == 0 or not inst.free_rounds:
        why = ("fewer than two attendees" if len(attendees) < 2 else
               "there are no tables" if tables == 0 else
               "every round is fixed" if not inst.free_rounds else
               "no two attendees may meet (colleagues, avoided or never present together)")
        status = "EMPTY" if not fixed else "FEASIBLE"
        result = _finish(inst, request, {}, status, f"nothing to plan: {why}", messages, 0.0,
                         fairness_target(inst) if len(u) else 0, started)
        tell("done", len(inst.free_rounds), len(inst.free_rounds), result.report.total_score,
             result.report.upper_bound or 0.0)
        return result

    tell("selecting", 0, len(inst.free_rounds))
    target = fairness_target(inst)
    weights = inst.objective_weights(u, v)
    lp_budget = max(0.5, LP_SHARE * (deadline - time.monotonic()))
    lp_started = time.monotonic()
    selection = solve_selection(inst, u, v, weights, target, lp_budget, company_rule=inst.company_rule)
    lp_seconds = time.monotonic() - lp_started
    while not selection.feasible and target < rounds and time.monotonic() < deadline:
        target += 1
        messages.append(f"fairness target relaxed to {target} avoidable sit-outs per attendee")
        selection = solve_selection(inst, u, v, weights, target, max(0.5, 0.3 * (deadline - time.monotonic())),
                                    company_rule=inst.company_rule)
    selection_bound = selection.bound if selection.feasible else math.inf
    tell("rounding", 0, len(inst.free_rounds))
    rounding_budget = min(ROUNDING_SHARE * (deadline - time.monotonic()), ROUNDING_MAX_SECONDS)
    chosen = round_selection(inst, u, v, weights, selection, target, rounding_budget, request.seed, cancel).pairs
    if not selection.answered:
        # No LP answer to choose pairs from: the must-meet pairs (few) are chosen first, so the
        # round-by-round placement seats them before anyone else (it weighs chosen pairs, then
        # must-meet ones, above every score), and the company rule filters them like any pair.
        chosen = sorted(set(chosen) | inst.must)

    placed = 0
    total_rounds = len(inst.free_rounds)

    def on_round(r: int, pairs: list[tuple[int, int]]) -> None:
        nonlocal placed
        placed += 1
        tell("placing", placed, total_rounds, float(sum(int(inst.scores[p]) for p in pairs)), selection_bound)

    # Every pair shares a free round, so there are at least as many booleans as pairs (and
    # counting them all takes seconds at 10,000 attendees).
    exact = len(u) <= EXACT_LIMIT and model_size(inst) <= EXACT_LIMIT
    # Keep time for the final bound. The selection LP's own bound serves when the schedule is as
    # fair as its target (see _score_bound); a previous plan's stability bonus makes that one
    # loose, so a re-plan keeps time for one more LP.
    needs_bound_lp = bool(inst.previous and inst.stability_bonus)
    reserve = min(2.0 * lp_seconds if needs_bound_lp else 0.2 * lp_seconds, 0.4 * (deadline - time.monotonic()))
    # Writing the schedule out (tables, a reason per meeting) takes time too: 6 s at 10,000.
    reserve = max(reserve, FINISH_SHARE * request.time_limit)
    work_deadline = deadline - max(0.0, reserve)
    remaining = work_deadline - time.monotonic()
    place_deadline = time.monotonic() + remaining * (0.3 if exact else 0.6)
    placement = place_rounds(inst, chosen, place_deadline, request.seed, target, cancel, on_round)
    tell("polishing", total_rounds, total_rounds)
    polish_deadline = time.monotonic() + max(0.0, work_deadline - time.monotonic()) * 0.3
    rounds_plan = repair_fairness(inst, placement.rounds, target)
    # Re-opening rounds pays on small events; on large ones the per-round rebuild costs more than
    # it gains (measured: it lowered the score at 1,000 attendees), so it is skipped there.
    if exact:
        polished = polish_rounds(inst, rounds_plan, target, polish_deadline, request.seed, cancel)
        if lexicographic_key(inst, polished) >= lexicographic_key(inst, rounds_plan):
            rounds_plan = polished
    status = ("CANCELLED" if placement.cancelled else
              "TIME_LIMIT" if placement.greedy_rounds or not selection.answered else "FEASIBLE")
    if not selection.answered:
        messages.append("time limit reached before the selection LP's first answer: "
                        "pairs were chosen round by round")
    rounds_plan = _seat_the_rest(inst, rounds_plan, chosen, target, work_deadline, request.seed, cancel,
                                 lambda score: tell("improving", total_rounds, total_rounds, score, selection_bound))
    at_bound = _reaches_bound(inst, rounds_plan, selection_bound, len(u))
    proven = at_bound
    if exact and status == "FEASIBLE" and not at_bound and time.monotonic() < work_deadline:
        tell("exact", total_rounds, total_rounds, 0.0, selection_bound)
        outcome = solve_exact(inst, rounds_plan, 0.95 * (work_deadline - time.monotonic()), request.seed, cancel,
                              lambda objective: tell("exact", total_rounds, total_rounds, objective, selection_bound),
                              workers=workers)
        if lexicographic_key(inst, outcome.rounds) >= lexicographic_key(inst, rounds_plan):
            rounds_plan = outcome.rounds
            proven = outcome.proven
        if cancel is not None and cancel.is_set():
            status = "CANCELLED"
    if status == "TIME_LIMIT" and placement.greedy_rounds:
        messages.append(f"time limit reached: rounds {', '.join(map(str, placement.greedy_rounds))} "
                        "were placed greedily")
    if status == "CANCELLED":
        messages.append("cancelled: the best schedule found so far is returned")
    if not inst.previous:
        rounds_plan = compact_rounds(rounds_plan, inst.avail, _fixed_busy(inst))
    tell("bounding", total_rounds, total_rounds)
    ran_out = status in ("TIME_LIMIT", "CANCELLED") or (time.monotonic() >= work_deadline and not proven)
    result = _finish(inst, request, rounds_plan, status, "", messages, selection_bound, target, started,
                     proven=proven, selection=(u, v), ran_out=ran_out, lp_seconds=lp_seconds)
    result.report.path = "lp" if selection.answered else "greedy"
    tell("done", total_rounds, total_rounds, result.report.total_score, result.report.upper_bound or 0.0)
    return result


def _fixed_busy(inst: Instance) -> np.ndarray:
    """Who is busy in which round through a fixed meeting (people x rounds+1)."""
    busy = np.zeros((inst.n, inst.rounds + 1), dtype=bool)
    for m in inst.fixed:
        for ident in (m.a_id, m.b_id):
            if ident in inst.index and 1 <= m.round <= inst.rounds:
                busy[inst.index[ident], m.round] = True
    return busy


def _plan_requested(request: PlanRequest, attendees: list[Attendee], rounds: int, tables: int, workers: int,
                    started: float, cancel: threading.Event | None) -> PlanResult:
    """Requested meetings only (``scheduler.requests``), written out as a plan and its report.

    The score of such a plan is not optimised (the meetings are the requested ones); its bound
    is the score of every request the data allows, so the ratio says how much of it was placed.
    """
    requests = collect_requests(attendees, request.requests)
    remaining = max(0.1, request.time_limit - (time.monotonic() - started))
    outcome = schedule_requests(attendees, rounds, tables, requests, fixed=request.fixed,
                                fixed_rounds=request.fixed_rounds, break_spread=request.break_spread,
                                time_limit=remaining * (1 - FINISH_SHARE), seed=request.seed, workers=workers,
                                cancel=cancel)
    people = {a.id: a for a in attendees}
    meetings: list[Meeting] = list(request.fixed)
    for r in sorted(outcome.rounds):
        for table, (a_id, b_id) in enumerate(outcome.rounds[r], start=1):
            a, b = people[a_id], people[b_id]
            meetings.append(Meeting(r, table, a_id, b_id, float(pair_terms(a, b, request.weights).score),
                                    reason_for(a, b, request.weights)))
    schedule = Schedule(rounds, tables, tuple(sorted(meetings, key=lambda m: (m.round, m.table))))
    cancelled = cancel is not None and cancel.is_set()
    status = ("CANCELLED" if cancelled else "OPTIMAL" if outcome.optimal else
              "TIME_LIMIT" if outcome.timed_out else "FEASIBLE")
    report = PlanReport(status=status, message="", messages=list(outcome.messages),
                        meetings_mode=MeetingsMode.REQUESTED.value, path="requests")
    report.meetings = len(meetings)
    report.total_score = float(sum(m.score for m in meetings))
    report.upper_bound = report.total_score + float(sum(
        pair_terms(people[u.a_id], people[u.b_id], request.weights).score
        for u in outcome.unscheduled if u.a_id in people and u.b_id in people
        and u.cause not in ("not attending", "not allowed", "no shared round")))
    report.breaks_total, report.breaks_worst = outcome.breaks.total, outcome.breaks.worst
    report.breaks_spread, report.breaks_bound = outcome.breaks.spread, outcome.bound
    report.breaks_optimal = outcome.optimal
    report.requests_requested, report.requests_scheduled = outcome.requested, outcome.scheduled
    report.requests_unscheduled = [(u.a_id, u.b_id, u.cause.value, u.reason) for u in outcome.unscheduled]
    must = {frozenset((p.id, other)) for p in attendees for other in p.must_meet if other != p.id}
    report.must_meet_requested = len(must)
    report.must_meet_unkept = sorted((u.a_id, u.b_id, u.reason) for u in outcome.unscheduled
                                     if frozenset((u.a_id, u.b_id)) in must)
    report.must_meet_kept = report.must_meet_requested - len(report.must_meet_unkept)
    counts = {a.id: 0 for a in attendees}
    for m in meetings:
        for ident in (m.a_id, m.b_id):
            if ident in counts:
                counts[ident] += 1
    idle = {a.id: len(a.rounds_present(rounds)) - counts[a.id] for a in attendees}
    report.sit_outs_total = sum(max(0, v) for v in idle.values())
    if idle:
        worst_id = min(idle, key=lambda ident: (-idle[ident], ident))
        report.sit_outs_worst = max(0, idle[worst_id])
        report.sit_outs_worst_attendee = worst_id if report.sit_outs_worst > 0 else None
    if cancelled:
        report.messages.append("cancelled: the best schedule found so far is returned")
    proof = "optimal" if outcome.optimal else f"at least {outcome.bound} possible"
    report.message = (f"{'optimal' if outcome.optimal else status.lower().replace('_', ' ')}: "
                      f"{report.requests_scheduled} of {report.requests_requested} requested meetings in "
                      f"{rounds} rounds at up to {tables} tables; breaks {outcome.breaks.total} ({proof}), "
                      f"worst participant {outcome.breaks.worst}")
    report.solve_seconds = time.monotonic() - started
    return PlanResult(schedule, report)


def _workers(requested: int | None) -> int:
    """CP-SAT workers for this plan: the request's, else the environment's or the machine's."""
    if requested is None:
        return default_workers()
    if isinstance(requested, bool) or not isinstance(requested, int) or not 1 <= requested <= MAX_WORKERS:
        raise ValueError(f"workers must be a whole number from 1 to {MAX_WORKERS}, not {requested!r}")
    return requested


def _seat_the_rest(inst: Instance, rounds_plan: dict[int, list[tuple[int, int]]], chosen: list[tuple[int, int]],
                   target: int, deadline: float, seed: int, cancel: threading.Event | None,
                   on_score: Callable[[float], None]) -> dict[int, list[tuple[int, int]]]:
    """Chosen pairs the forward placement left without a round get one by ejection chains.

    The placement's fill-ins (pairs it seated that were not chosen) are taken out first: they
    hold the tables the chains need to end on, and a complete colouring of the chosen pairs is
    worth more than they are. The walk never lowers the number of meetings; the fairness repair
    and the fill of free tables then run once more, and the result is kept only when it is
    better in the solver's order.
    """
    wanted = set(chosen) | inst.must
    stripped = {r: [p for p in pairs if p in wanted] for r, pairs in rounds_plan.items()}
    placed = {p for pairs in stripped.values() for p in pairs}
    waiting = [p for p in chosen if p not in placed]
    if inst.company_rule == "hard":
        waiting = _without_repeats(inst, placed, waiting)
    if not waiting or time.monotonic() >= deadline:
        return rounds_plan
    base = float(sum(int(inst.scores[p]) for pairs in stripped.values() for p in pairs))

    def gained(delta: int) -> None:
        on_score(base + delta)

    walk = seat_waiting_pairs(inst, stripped, waiting, deadline, seed, cancel, gained)
    improved = walk.rounds
    if not walk.complete:
        seated = {p for pairs in walk.rounds.values() for p in pairs}
        rest = [p for p in chosen if p not in seated]
        if inst.company_rule == "hard":
            rest = _without_repeats(inst, seated, rest)
        base = float(sum(int(inst.scores[p]) for pairs in walk.rounds.values() for p in pairs))
        lns = reopen_rounds(inst, walk.rounds, rest, deadline, seed, cancel, gained,
                            key=lambda trial: lexicographic_key(inst, trial))
        improved = lns.rounds
    improved = repair_fairness(inst, improved, target)
    improved = fill_free_seats(inst, improved, deadline, seed, cancel)
    if lexicographic_key(inst, improved) > lexicographic_key(inst, rounds_plan):
        return improved
    return rounds_plan


def _without_repeats(inst: Instance, placed: set[tuple[int, int]],
                     waiting: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Waiting pairs that keep the hard one-per-company rule with the placed ones and each other."""
    seen = inst.contacts(placed)
    kept = []
    for a, b in waiting:
        if seen[a, inst.company[b]] == 0 and seen[b, inst.company[a]] == 0:
            seen[a, inst.company[b]] += 1
            seen[b, inst.company[a]] += 1
            kept.append((a, b))
    return kept


def _reaches_bound(inst: Instance, rounds_plan: dict[int, list[tuple[int, int]]], selection_bound: float,
                   pair_count: int) -> bool:
    """No search can do better: every pair that may meet does (each tier at its maximum), or, for
    the plain objective, every seat is used and the LP's bound is met."""
    pairs = [p for ps in rounds_plan.values() for p in ps]
    if len(pairs) == pair_count and not (inst.previous and inst.stability_bonus):
        return True
    if inst.must or (inst.previous and inst.stability_bonus) or not math.isfinite(selection_bound):
        return False
    if inst.company_rule == "soft" and inst.repeats(pairs)[1]:
        return False            # fewer repeats outrank score: the exact model may still find them
    seats = sum(inst.seats(r) for r in inst.free_rounds)
    return len(pairs) == seats and sum(int(inst.scores[p]) for p in pairs) >= selection_bound - 1e-6


def _assign_tables(inst: Instance, r: int, pairs: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Numbered tables: a pair keeps its previous table in the same round when possible."""
    taken: set[int] = set()
    placed: list[tuple[int, int, int]] = []
    rest: list[tuple[int, int]] = []
    for pair in pairs:
        before = inst.previous.get(pair)
        if before is not None and before[0] == r and 1 <= before[1] <= inst.tables and before[1] not in taken:
            taken.add(before[1])
            placed.append((before[1], *pair))
        else:
            rest.append(pair)
    rest.sort(key=lambda p: (-int(inst.scores[p]), inst.people[p[0]].id, inst.people[p[1]].id))
    free_tables = (t for t in range(1, inst.tables + 1) if t not in taken)
    for pair, table in zip(rest, free_tables):
        placed.append((table, *pair))
    return placed


def _finish(inst: Instance, request: PlanRequest, rounds_plan: dict[int, list[tuple[int, int]]], status: str,
            message: str, messages: list[str], selection_bound: float, target: int, started: float,
            proven: bool = False, selection: tuple[np.ndarray, np.ndarray] | None = None,
            ran_out: bool = False, lp_seconds: float = 0.0) -> PlanResult:
    meetings: list[Meeting] = list(inst.fixed)
    people = inst.people
    for r in sorted(rounds_plan):
        for table, a, b in _assign_tables(inst, r, rounds_plan[r]):
            first, second = sorted((people[a], people[b]), key=lambda p: p.id)
            meetings.append(Meeting(r, table, first.id, second.id, float(inst.scores[a, b]),
                                    reason_for(first, second, request.weights)))
    schedule = Schedule(inst.rounds, inst.tables, tuple(sorted(meetings, key=lambda m: (m.round, m.table))))
    report = PlanReport(status=status, message=message, messages=messages, fairness_target=target)
    report.meetings = len(meetings)
    report.total_score = float(sum(m.score for m in meetings))

    met_count: dict[str, int] = {a.id: 0 for a in people}
    pairs_met: set[frozenset[str]] = set()
    for m in meetings:
        pairs_met.add(m.pair)
        for ident in (m.a_id, m.b_id):
            if ident in met_count:
                met_count[ident] += 1
    sit_outs = {a.id: len(a.rounds_present(inst.rounds)) - met_count[a.id] for a in people}
    report.sit_outs_total = sum(max(0, s) for s in sit_outs.values())
    if sit_outs:
        worst_id = min(sit_outs, key=lambda ident: (-sit_outs[ident], ident))
        report.sit_outs_worst = max(0, sit_outs[worst_id])
        report.sit_outs_worst_attendee = worst_id if report.sit_outs_worst > 0 else None

    breaks = schedule_breaks(meetings, people)
    report.breaks_total, report.breaks_worst, report.breaks_spread = breaks.total, breaks.worst, breaks.spread
    report.breaks_optimal = breaks.total == 0   # fill mode: the plan's meetings come first, no bound beyond 0

    report.must_meet_requested = len(inst.must_requested)
    unkept = list(inst.must_static_unkept)
    planned_pairs = [p for pairs in rounds_plan.values() for p in pairs]
    for i, j in sorted(inst.must):
        if frozenset((people[i].id, people[j].id)) not in pairs_met:
            unkept.append((people[i].id, people[j].id, _unkept_reason(inst, rounds_plan, i, j, ran_out)))
    unkept.sort()
    report.must_meet_unkept = unkept
    report.must_meet_kept = report.must_meet_requested - len(unkept)

    known = [(inst.index[m.a_id], inst.index[m.b_id]) for m in inst.fixed
             if m.a_id in inst.index and m.b_id in inst.index]
    report.company_rule = inst.company_rule
    report.company_repeat_attendees, report.company_repeat_meetings = inst.repeats(planned_pairs + known)

    fixed_score = float(sum(m.score for m in inst.fixed))
    planned_score = report.total_score - fixed_score
    # What is left of the time limit; an LP stopped early still yields a valid (looser) bound.
    # A cancelled plan was asked to stop now: a second at most, so the organiser (or a worker
    # shutting down) gets the schedule at once.
    bound_time = max(0.05, started + request.time_limit - time.monotonic())
    if status == "CANCELLED":
        bound_time = min(bound_time, CANCELLED_BOUND_SECONDS)
    bound = _score_bound(inst, rounds_plan, selection_bound, target, selection, bound_time, lp_seconds)
    if math.isfinite(bound):
        report.upper_bound = max(float(math.floor(fixed_score + bound + 1e-6)), report.total_score)
    else:
        report.upper_bound = None
        messages.append("no upper bound could be computed within the time limit")
    if proven and not inst.must and not (inst.previous and inst.stability_bonus):
        report.upper_bound = report.total_score
    if status == "FEASIBLE" and (proven or _at_every_tiers_best(inst, rounds_plan, planned_score, bound)):
        status = "OPTIMAL"
    report.status = status
    if not report.message:
        report.message = _explain(report, inst)
    report.solve_seconds = time.monotonic() - started
    return PlanResult(schedule, report)


def _at_every_tiers_best(inst: Instance, rounds_plan: dict[int, list[tuple[int, int]]], planned_score: float,
                         bound: float) -> bool:
    """Optimal without a proof from the exact model: every seat used, the worst sit-outs at the
    counting minimum, every plannable must-meet kept, no company repeat (soft rule), and the
    score at the bound for such schedules (scores are whole numbers, so its floor counts)."""
    if not math.isfinite(bound) or inst.previous and inst.stability_bonus:
        return False
    meetings, worst, kept, repeats, _ = lexicographic_key(inst, rounds_plan)
    return (meetings == sum(inst.seats(r) for r in inst.free_rounds) and -worst <= fairness_target(inst)
            and kept == len(inst.must) and repeats == 0 and planned_score >= math.floor(bound + 1e-6) - 1e-9)


def _unkept_reason(inst: Instance, rounds_plan: dict[int, list[tuple[int, int]]], i: int, j: int,
                   ran_out: bool) -> str:
    """Why a plannable must-meet pair has no meeting, as specifically as the schedule shows."""
    if ran_out:
        return "the time limit was reached before a round was found for this pair"
    shared = [r for r in rounds_plan if inst.avail[i, r] and inst.avail[j, r]]
    if inst.company_rule == "hard":
        seen = inst.contacts(p for pairs in rounds_plan.values() for p in pairs)
        if seen[i, inst.company[j]] or seen[j, inst.company[i]]:
            return "one of them already meets someone of the other's company (one meeting per company)"
    if not shared:
        return "no common round"
    return ("no room at the fairness target: every shared round is full or seating them "
            "would make another attendee sit out more often")


def _score_bound(inst: Instance, rounds_plan: dict[int, list[tuple[int, int]]], selection_bound: float,
                 target: int, selection: tuple[np.ndarray, np.ndarray] | None, time_limit: float,
                 lp_seconds: float = 0.0) -> float:
    """Upper bound on the free rounds' score for schedules as fair as this one that keep the same
    must-meet pairs and (soft company rule) have no more company repeats: each of these
    outranks score, so that is the fair comparison.

    The selection LP's bound serves directly when it used plain scores and the same fairness,
    and, less our bonuses plus our repeats' charge, whenever the schedule is as fair as its
    target; the LP is solved again (with the schedule's own worst avoidable sit-outs, its
    must-meet pairs held and its repeats as the budget) only when that leaves a gap and there
    is time for it.
    """
    if selection is None:
        return 0.0 if not rounds_plan else math.inf
    met = np.zeros(inst.n, dtype=np.int64)
    for pairs in rounds_plan.values():
        for a, b in pairs:
            met[a] += 1
            met[b] += 1
    present = inst.free_degree > 0
    achieved = int((inst.capacity - met)[present].max(initial=0))
    # A soft company rule penalises the selection LP, so its bound is not one on the score alone.
    plain = not inst.must and not (inst.previous and inst.stability_bonus) and inst.company_rule != "soft"
    if plain and achieved == target and math.isfinite(selection_bound):
        return selection_bound
    u, v = selection
    kept = {p for pairs in rounds_plan.values() for p in pairs if p in inst.must}
    forced = pair_mask(inst.n, kept)[u, v] if kept else None
    rule, budget = inst.company_rule, 0
    if rule == "soft":          # schedules with no more company repeats than this one
        rule, budget = "budget", inst.repeats(p for pairs in rounds_plan.values() for p in pairs)[1]
    if achieved <= target and math.isfinite(selection_bound):
        # The selection LP also bounds every schedule as fair as its target: it adds a
        # must-meet bonus per pair (a schedule keeping ours earns at least our count of them),
        # a stability bonus that is never negative, and (soft rule) charges each repeat at
        # company_penalty, so score <= its bound - our bonuses + that charge per repeat of ours.
        derived = selection_bound - inst.must_bonus * len(kept) + company_penalty(inst) * budget
        planned = float(sum(int(inst.scores[p]) for pairs in rounds_plan.values() for p in pairs))
        if derived - planned <= BOUND_CLOSE_ENOUGH * max(1.0, abs(planned)):
            return derived          # another LP could not say much more; its time is saved
        if time_limit < lp_seconds:
            return derived          # it would not finish either: building it alone overruns the limit
    else:
        derived = math.inf
    outcome = solve_selection(inst, u, v, inst.scores[u, v].astype(np.float64), max(achieved, 0), time_limit,
                              forced=forced, company_rule=rule, repeat_budget=budget)
    # When this LP had no time to solve, its bound is the loose seats bound: take the tighter.
    return min(outcome.bound, derived)


def _explain(report: PlanReport, inst: Instance) -> str:
    words = {"OPTIMAL": "optimal", "FEASIBLE": "feasible", "TIME_LIMIT": "stopped at the time limit",
             "CANCELLED": "cancelled", "EMPTY": "empty", "INVALID": "invalid input"}
    text = (f"{words.get(report.status, report.status)}: {report.meetings} meetings in {inst.rounds} rounds "
            f"at up to {inst.tables} tables, score {report.total_score:g}")
    if report.upper_bound is not None and report.ratio is not None:
        text += f" of at most {report.upper_bound:g} ({100 * report.ratio:.1f}%)"
    else:
        text += " (no bound computed in time)"
    if report.sit_outs_worst:
        text += f"; worst sit-outs {report.sit_outs_worst} ({report.sit_outs_worst_attendee})"
    if report.must_meet_requested:
        text += f"; must-meet kept {report.must_meet_kept} of {report.must_meet_requested}"
    return text


def _empty(rounds: int, tables: int, fixed: tuple[Meeting, ...], attendees: list[Attendee], status: str,
           message: str, seconds: float) -> PlanResult:
    schedule = Schedule(rounds, tables, tuple(fixed))
    report = PlanReport(status=status, message=message, meetings=len(fixed),
                        total_score=float(sum(m.score for m in fixed)), solve_seconds=seconds)
    report.upper_bound = report.total_score
    return PlanResult(schedule, report)
