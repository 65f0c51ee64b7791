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

In the code, ``plan`` reads as these steps: a ``Budget`` made once from the time limit gives
each step its share (the LP's, the rounding's, the placement's, the exact model's, and the
reserve kept for the final bound and the write-out); ``_select_pairs`` (LP and rounding),
``_place`` (placement, fairness repair, polish), ``_improve`` (ejection chains, re-solves, the
exact model) and, in ``_finish``, ``_decide_status`` (OPTIMAL only when proven or at every
tier's best). ``_finish`` writes the tables and the report from one ``_Outcome``.

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
from scheduler.placement import Placement, fill_free_seats, place_rounds, polish_rounds, repair_fairness
from scheduler.requests import DEFAULT_BREAK_SPREAD, RequestsOutcome, collect_requests, schedule_requests
from scheduler.rounding import round_selection
from scheduler.scoring import pair_terms, reason_for
from scheduler.wishes import WishSummary, count_wishes

EXACT_LIMIT = 6_000          # booleans; about 35 attendees x 10 rounds
DEFAULT_STABILITY_BONUS = 30
CANCELLED_BOUND_SECONDS = 1.0
FINISH_SHARE = 0.03          # of the time limit, kept for writing the schedule and its report
LP_SHARE = 0.5               # of the time limit, for the selection LP (its column generation)
BOUND_CLOSE_ENOUGH = 2e-4    # the selection LP's bound within this share of the score: no second LP
ROUNDING_SHARE = 0.15         # of the time left after the LP, for rounding its answer to whole pairs
ROUNDING_MAX_SECONDS = 10.0
RELAXED_LP_SHARE = 0.3       # of the time left, for each LP after the fairness target was relaxed
BOUND_RESERVE_SHARE = 0.4    # of the time left after the LP, the most kept back for the final bound
PLACE_SHARE = 0.6            # of the working time left, for the round-by-round placement
PLACE_SHARE_EXACT = 0.3      # the same when the exact model follows (it needs the time more)
POLISH_SHARE = 0.3           # of the working time left after placing, for polishing (small events)
EXACT_SHARE = 0.95           # of the working time left, for the exact model


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
    wishes: WishSummary = field(default_factory=WishSummary)   # attendees' wishes asked and granted

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
            "wishes": self.wishes.to_dict(),
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
            wishes=WishSummary.from_dict(cls._part(data, "wishes")),
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


@dataclass(frozen=True)
class Budget:
    """The time limit, made once when planning starts, and every step's share of it.

    Each share is of the time left when its step starts (the finish reserve is of the whole
    limit), so a step that ends early leaves its time to the next ones.
    """

    started: float
    limit: float

    @classmethod
    def start(cls, time_limit: float) -> Budget:
        return cls(time.monotonic(), time_limit)

    @property
    def deadline(self) -> float:
        return self.started + max(0.0, self.limit)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        """Seconds to the deadline (negative past it)."""
        return self.deadline - time.monotonic()

    def lp(self) -> float:
        """The selection LP's share (its column generation)."""
        return max(0.5, LP_SHARE * self.remaining())

    def relaxed_lp(self) -> float:
        """One more LP after the fairness target was relaxed."""
        return max(0.5, RELAXED_LP_SHARE * self.remaining())

    def rounding(self) -> float:
        """Rounding the LP's answer to whole pairs."""
        return min(ROUNDING_SHARE * self.remaining(), ROUNDING_MAX_SECONDS)

    def work_deadline(self, lp_seconds: float, needs_bound_lp: bool) -> float:
        """When placing and improving must stop, keeping time for the final bound and the write-out.

        The selection LP's own bound serves when the schedule is as fair as its target (see
        ``_score_bound``); a previous plan's stability bonus makes that one loose, so a re-plan
        keeps time for one more LP. Writing the schedule out (tables, a reason per meeting)
        takes time too: 6 s at 10,000 attendees.
        """
        reserve = min(2.0 * lp_seconds if needs_bound_lp else 0.2 * lp_seconds,
                      BOUND_RESERVE_SHARE * self.remaining())
        reserve = max(reserve, FINISH_SHARE * self.limit)
        return self.deadline - max(0.0, reserve)

    def bound_time(self, cancelled: bool) -> float:
        """What is left for the final bound; an LP stopped early still yields a valid (looser) one.

        A cancelled plan was asked to stop now: a second at most, so the organiser (or a worker
        shutting down) gets the schedule at once.
        """
        left = max(0.05, self.started + self.limit - time.monotonic())
        return min(left, CANCELLED_BOUND_SECONDS) if cancelled else left

    def requested(self) -> float:
        """The requested-only solve's time: what is left, less the finish share."""
        return max(0.1, self.limit - self.elapsed()) * (1 - FINISH_SHARE)


def _until(deadline: float, share: float) -> float:
    """A step's own deadline: ``share`` of the time left until ``deadline``."""
    return time.monotonic() + (deadline - time.monotonic()) * share


@dataclass(frozen=True)
class _Reporter:
    """Sends ``Progress`` to the caller's callback, if any, with the time since the start."""

    progress: ProgressCallback | None
    budget: Budget

    def __call__(self, phase: str, placed: int, total: int, score: float = 0.0, bound: float = 0.0) -> None:
        if self.progress is not None:
            self.progress(Progress(phase, placed, total, score, bound, self.budget.elapsed()))


@dataclass(frozen=True)
class _Shape:
    """The request's attendees, rounds, tables and fixed meetings, read once and clamped."""

    attendees: list[Attendee]
    rounds: int
    tables: int
    fixed: tuple[Meeting, ...]

    @classmethod
    def of(cls, request: PlanRequest) -> _Shape:
        attendees = list(request.attendees)
        tables = len(attendees) // 2 if request.tables is None else max(0, int(request.tables))
        return cls(attendees, max(0, int(request.rounds)), tables, tuple(request.fixed))


@dataclass(frozen=True)
class _Selected:
    """Which pairs meet: the selection LP's answer rounded to whole pairs, and what it cost."""

    pairs: list[tuple[int, int]]
    target: int
    answered: bool          # False: no LP answer in time, pairs chosen round by round
    bound: float            # the selection LP's bound; inf when it found no feasible answer
    lp_seconds: float


@dataclass(frozen=True)
class _Outcome:
    """What planning found, handed to ``_finish`` to be written out with its report."""

    rounds: dict[int, list[tuple[int, int]]]
    status: str
    messages: list[str]
    target: int
    message: str = ""
    selection_bound: float = 0.0
    selection: tuple[np.ndarray, np.ndarray] | None = None  # the LP's pair arrays, for the final bound
    proven: bool = False
    ran_out: bool = False
    lp_seconds: float = 0.0


def plan(request: PlanRequest, progress: ProgressCallback | None = None,
         cancel: threading.Event | None = None) -> PlanResult:
    """Plan the free rounds of ``request``; never raises on degenerate input (see the report)."""
    budget = Budget.start(request.time_limit)
    tell = _Reporter(progress, budget)
    shape = _Shape.of(request)
    try:
        workers = _workers(request.workers)
    except ValueError as error:
        return _empty(shape, "INVALID", str(error), budget.elapsed())
    refused = _refuse(shape, budget)
    if refused is not None:
        return refused
    if request.meetings == MeetingsMode.REQUESTED:
        tell("requests", 0, shape.rounds)
        result = _plan_requested(request, shape, workers, budget, cancel)
        tell("done", shape.rounds, shape.rounds, result.report.total_score, result.report.upper_bound or 0.0)
        return result
    return _plan_fill(request, shape, workers, budget, tell, cancel)


def _refuse(shape: _Shape, budget: Budget) -> PlanResult | None:
    """An empty result for input with nothing to plan or that cannot be planned, else None."""
    duplicates = sorted(ident for ident, count in Counter(a.id for a in shape.attendees).items() if count > 1)
    if duplicates:
        return _empty(shape, "INVALID", f"attendee ids must be unique; repeated: {', '.join(duplicates)}",
                      budget.elapsed())
    if shape.rounds == 0:
        return _empty(shape, "EMPTY", "the event has no rounds", budget.elapsed())
    return None


def _plan_fill(request: PlanRequest, shape: _Shape, workers: int, budget: Budget, tell: _Reporter,
               cancel: threading.Event | None) -> PlanResult:
    """Fill every round: select the pairs, place them, improve the placement, decide the status."""
    tell("scoring", 0, shape.rounds)
    inst = build_instance(shape.attendees, shape.rounds, shape.tables, request.weights, shape.fixed,
                          request.fixed_rounds, request.previous, request.stability_bonus)
    messages: list[str] = []
    unknown = sorted({i for m in shape.fixed for i in (m.a_id, m.b_id) if i not in inst.index})
    if unknown:
        messages.append(f"fixed meetings kept as held with attendees not in this plan: {', '.join(unknown)}")
    u, v = inst.edges()
    if shape.tables == 0 or len(u) == 0 or not inst.free_rounds:
        return _nothing_to_plan(inst, request, shape, len(u) > 0, messages, budget, tell)
    total = len(inst.free_rounds)
    tell("selecting", 0, total)
    selected = _select_pairs(inst, u, v, request.seed, budget, messages, tell, cancel)
    # Every pair shares a free round, so there are at least as many booleans as pairs (and
    # counting them all takes seconds at 10,000 attendees).
    exact = len(u) <= EXACT_LIMIT and model_size(inst) <= EXACT_LIMIT
    work_deadline = budget.work_deadline(selected.lp_seconds, bool(inst.previous and inst.stability_bonus))
    rounds_plan, placement = _place(inst, selected, exact, work_deadline, request.seed, tell, cancel)
    status = _placement_status(placement, selected)
    if not selected.answered:
        messages.append("time limit reached before the selection LP's first answer: "
                        "pairs were chosen round by round")
    rounds_plan, proven, stopped = _improve(inst, rounds_plan, selected, len(u), exact and status == "FEASIBLE",
                                            work_deadline, request.seed, workers, tell, cancel)
    status = "CANCELLED" if stopped else status
    messages.extend(_status_messages(status, placement))
    if not inst.previous:
        rounds_plan = compact_rounds(rounds_plan, inst.avail, _fixed_busy(inst))
    tell("bounding", total, total)
    ran_out = status in ("TIME_LIMIT", "CANCELLED") or (time.monotonic() >= work_deadline and not proven)
    result = _finish(inst, request, _Outcome(rounds_plan, status, messages, selected.target,
                                             selection_bound=selected.bound, selection=(u, v), proven=proven,
                                             ran_out=ran_out, lp_seconds=selected.lp_seconds), budget)
    result.report.path = "lp" if selected.answered else "greedy"
    tell("done", total, total, result.report.total_score, result.report.upper_bound or 0.0)
    return result


def _nothing_to_plan(inst: Instance, request: PlanRequest, shape: _Shape, any_pairs: bool, messages: list[str],
                     budget: Budget, tell: _Reporter) -> PlanResult:
    """The fixed meetings alone, with why nothing else could be planned."""
    why = ("fewer than two attendees" if len(shape.attendees) < 2 else
           "there are no tables" if shape.tables == 0 else
           "every round is fixed" if not inst.free_rounds else
           "no two attendees may meet (colleagues, avoided or never present together)")
    status = "EMPTY" if not shape.fixed else "FEASIBLE"
    result = _finish(inst, request, _Outcome({}, status, messages, fairness_target(inst) if any_pairs else 0,
                                             message=f"nothing to plan: {why}"), budget)
    tell("done", len(inst.free_rounds), len(inst.free_rounds), result.report.total_score,
         result.report.upper_bound or 0.0)
    return result


def _select_pairs(inst: Instance, u: np.ndarray, v: np.ndarray, seed: int, budget: Budget, messages: list[str],
                  tell: _Reporter, cancel: threading.Event | None) -> _Selected:
    """Which pairs meet: the selection LP at the fairness target (relaxed while it has no
    answer), rounded to whole pairs."""
    target = fairness_target(inst)
    weights = inst.objective_weights(u, v)
    lp_started = time.monotonic()
    selection = solve_selection(inst, u, v, weights, target, budget.lp(), company_rule=inst.company_rule)
    lp_seconds = time.monotonic() - lp_started
    while not selection.feasible and target < inst.rounds and time.monotonic() < budget.deadline:
        target += 1
        messages.append(f"fairness target relaxed to {target} avoidable sit-outs per attendee")
        selection = solve_selection(inst, u, v, weights, target, budget.relaxed_lp(),
                                    company_rule=inst.company_rule)
    tell("rounding", 0, len(inst.free_rounds))
    chosen = round_selection(inst, u, v, weights, selection, target, budget.rounding(), seed, cancel).pairs
    if not selection.answered:
        # No LP answer to choose pairs from: the must-meet pairs (few) are chosen first, so the
        # round-by-round placement seats them before anyone else (it weighs chosen pairs, then
        # must-meet ones, above every score), and the company rule filters them like any pair.
        chosen = sorted(set(chosen) | inst.must)
    bound = selection.bound if selection.feasible else math.inf
    return _Selected(chosen, target, selection.answered, bound, lp_seconds)


def _place(inst: Instance, selected: _Selected, exact: bool, work_deadline: float, seed: int, tell: _Reporter,
           cancel: threading.Event | None) -> tuple[dict[int, list[tuple[int, int]]], Placement]:
    """Seat the chosen pairs round by round, repair the fairness, and (small events) polish."""
    total = len(inst.free_rounds)
    placed = 0

    def on_round(r: int, pairs: list[tuple[int, int]]) -> None:
        nonlocal placed
        placed += 1
        tell("placing", placed, total, float(sum(int(inst.scores[p]) for p in pairs)), selected.bound)

    place_deadline = _until(work_deadline, PLACE_SHARE_EXACT if exact else PLACE_SHARE)
    placement = place_rounds(inst, selected.pairs, place_deadline, seed, selected.target, cancel, on_round)
    tell("polishing", total, total)
    polish_deadline = time.monotonic() + max(0.0, work_deadline - time.monotonic()) * POLISH_SHARE
    rounds_plan = repair_fairness(inst, placement.rounds, selected.target)
    # Re-opening rounds pays on small events; on large ones the per-round rebuild costs more than
    # it gains (measured: it lowered the score at 1,000 attendees), so it is skipped there.
    if exact:
        polished = polish_rounds(inst, rounds_plan, selected.target, polish_deadline, seed, cancel)
        if lexicographic_key(inst, polished) >= lexicographic_key(inst, rounds_plan):
            rounds_plan = polished
    return rounds_plan, placement


def _placement_status(placement: Placement, selected: _Selected) -> str:
    """The status as the placement leaves it: cancelled, cut short by the time, or a full plan."""
    if placement.cancelled:
        return "CANCELLED"
    return "TIME_LIMIT" if placement.greedy_rounds or not selected.answered else "FEASIBLE"


def _improve(inst: Instance, rounds_plan: dict[int, list[tuple[int, int]]], selected: _Selected, pair_count: int,
             try_exact: bool, work_deadline: float, seed: int, workers: int, tell: _Reporter,
             cancel: threading.Event | None) -> tuple[dict[int, list[tuple[int, int]]], bool, bool]:
    """Seat the chosen pairs still without a round, then (small events) solve the full model.

    Returns the rounds, whether they are proven best, and whether the exact solve saw a cancel.
    """
    total = len(inst.free_rounds)
    rounds_plan = _seat_the_rest(inst, rounds_plan, selected.pairs, selected.target, work_deadline, seed, cancel,
                                 lambda score: tell("improving", total, total, score, selected.bound))
    at_bound = _reaches_bound(inst, rounds_plan, selected.bound, pair_count)
    if not try_exact or at_bound or time.monotonic() >= work_deadline:
        return rounds_plan, at_bound, False
    tell("exact", total, total, 0.0, selected.bound)
    outcome = solve_exact(inst, rounds_plan, EXACT_SHARE * (work_deadline - time.monotonic()), seed, cancel,
                          lambda objective: tell("exact", total, total, objective, selected.bound),
                          workers=workers)
    proven = False
    if lexicographic_key(inst, outcome.rounds) >= lexicographic_key(inst, rounds_plan):
        rounds_plan = outcome.rounds
        proven = outcome.proven
    return rounds_plan, proven, cancel is not None and cancel.is_set()


def _status_messages(status: str, placement: Placement) -> list[str]:
    """What the report says about a plan cut short."""
    if status == "TIME_LIMIT" and placement.greedy_rounds:
        return [f"time limit reached: rounds {', '.join(map(str, placement.greedy_rounds))} were placed greedily"]
    if status == "CANCELLED":
        return ["cancelled: the best schedule found so far is returned"]
    return []


def _fixed_busy(inst: Instance) -> np.ndarray:
    """Who is busy in which round through a fixed meeting (people x rounds+1)."""
    busy = np.zeros((inst.n, inst.rounds + 1), dtype=bool)
    for m in inst.fixed:
        for ident in (m.a_id, m.b_id):
            if ident in inst.index and 1 <= m.round <= inst.rounds:
                busy[inst.index[ident], m.round] = True
    return busy


def _plan_requested(request: PlanRequest, shape: _Shape, workers: int, budget: Budget,
                    cancel: threading.Event | None) -> PlanResult:
    """Requested meetings only (``scheduler.requests``), written out as a plan and its report.

    The score of such a plan is not optimised (the meetings are the requested ones); its bound
    is the score of every request the data allows, so the ratio says how much of it was placed.
    """
    requests = collect_requests(shape.attendees, request.requests)
    outcome = schedule_requests(shape.attendees, shape.rounds, shape.tables, requests, fixed=request.fixed,
                                fixed_rounds=request.fixed_rounds, break_spread=request.break_spread,
                                time_limit=budget.requested(), seed=request.seed, workers=workers,
                                cancel=cancel)
    people = {a.id: a for a in shape.attendees}
    meetings: list[Meeting] = list(request.fixed)
    for r in sorted(outcome.rounds):
        for table, (a_id, b_id) in enumerate(outcome.rounds[r], start=1):
            a, b = people[a_id], people[b_id]
            meetings.append(Meeting(r, table, a_id, b_id, float(pair_terms(a, b, request.weights).score),
                                    reason_for(a, b, request.weights)))
    schedule = Schedule(shape.rounds, shape.tables, tuple(sorted(meetings, key=lambda m: (m.round, m.table))))
    cancelled = cancel is not None and cancel.is_set()
    report = _requested_report(request, shape, outcome, meetings, _requested_status(outcome, cancelled))
    if cancelled:
        report.messages.append("cancelled: the best schedule found so far is returned")
    report.solve_seconds = budget.elapsed()
    return PlanResult(schedule, report)


def _requested_status(outcome: RequestsOutcome, cancelled: bool) -> str:
    """A requested-only plan's status: cancelled, proven best, cut short by the time, or found."""
    return ("CANCELLED" if cancelled else "OPTIMAL" if outcome.optimal else
            "TIME_LIMIT" if outcome.timed_out else "FEASIBLE")


def _requested_report(request: PlanRequest, shape: _Shape, outcome: RequestsOutcome, meetings: list[Meeting],
                      status: str) -> PlanReport:
    """The report of a requested-only plan: requests and must-meets kept, breaks, sit-outs."""
    people = {a.id: a for a in shape.attendees}
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
    must = {frozenset((p.id, other)) for p in shape.attendees for other in p.must_meet if other != p.id}
    report.must_meet_requested = len(must)
    report.must_meet_unkept = sorted((u.a_id, u.b_id, u.reason) for u in outcome.unscheduled
                                     if frozenset((u.a_id, u.b_id)) in must)
    report.must_meet_kept = report.must_meet_requested - len(report.must_meet_unkept)
    count_sit_outs(report, meetings, shape.attendees, shape.rounds)
    report.wishes = count_wishes(meetings, shape.attendees, shape.rounds)
    proof = "optimal" if outcome.optimal else f"at least {outcome.bound} possible"
    report.message = (f"{'optimal' if outcome.optimal else status.lower().replace('_', ' ')}: "
                      f"{report.requests_scheduled} of {report.requests_requested} requested meetings in "
                      f"{shape.rounds} rounds at up to {shape.tables} tables; breaks {outcome.breaks.total} "
                      f"({proof}), worst participant {outcome.breaks.worst}")
    return report


def count_sit_outs(report: PlanReport, meetings: Sequence[Meeting], people: Sequence[Attendee],
                   rounds: int) -> None:
    """Sit-outs in the report: rounds each attendee is present without a meeting, total and
    worst (plans and revisions report them alike)."""
    counts = {a.id: 0 for a in people}
    for m in meetings:
        for ident in (m.a_id, m.b_id):
            if ident in counts:
                counts[ident] += 1
    idle = {a.id: len(a.rounds_present(rounds)) - counts[a.id] for a in people}
    report.sit_outs_total = sum(max(0, s) for s in idle.values())
    if idle:
        worst_id = min(idle, key=lambda ident: (-idle[ident], ident))
        report.sit_outs_worst = max(0, idle[worst_id])
        report.sit_outs_worst_attendee = worst_id if report.sit_outs_worst > 0 else None


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


def _finish(inst: Instance, request: PlanRequest, outcome: _Outcome, budget: Budget) -> PlanResult:
    """The schedule with numbered tables and reasons, and its report: counts, bound, final status."""
    meetings = _write_meetings(inst, request, outcome.rounds)
    schedule = Schedule(inst.rounds, inst.tables, tuple(sorted(meetings, key=lambda m: (m.round, m.table))))
    report = PlanReport(status=outcome.status, message=outcome.message, messages=outcome.messages,
                        fairness_target=outcome.target)
    report.meetings = len(meetings)
    report.total_score = float(sum(m.score for m in meetings))
    count_sit_outs(report, meetings, inst.people, inst.rounds)
    report.wishes = count_wishes(meetings, inst.people, inst.rounds)
    breaks = schedule_breaks(meetings, inst.people)
    report.breaks_total, report.breaks_worst, report.breaks_spread = breaks.total, breaks.worst, breaks.spread
    report.breaks_optimal = breaks.total == 0   # fill mode: the plan's meetings come first, no bound beyond 0
    report.must_meet_requested = len(inst.must_requested)
    report.must_meet_unkept = _must_meet_unkept(inst, outcome, {m.pair for m in meetings})
    report.must_meet_kept = report.must_meet_requested - len(report.must_meet_unkept)
    planned_pairs = [p for pairs in outcome.rounds.values() for p in pairs]
    known = [(inst.index[m.a_id], inst.index[m.b_id]) for m in inst.fixed
             if m.a_id in inst.index and m.b_id in inst.index]
    report.company_rule = inst.company_rule
    report.company_repeat_attendees, report.company_repeat_meetings = inst.repeats(planned_pairs + known)
    fixed_score = float(sum(m.score for m in inst.fixed))
    bound = _score_bound(inst, outcome.rounds, outcome.selection_bound, outcome.target, outcome.selection,
                         budget.bound_time(outcome.status == "CANCELLED"), outcome.lp_seconds)
    _set_upper_bound(report, inst, outcome, fixed_score, bound)
    report.status = _decide_status(inst, outcome, report.total_score - fixed_score, bound)
    if not report.message:
        report.message = _explain(report, inst)
    report.solve_seconds = budget.elapsed()
    return PlanResult(schedule, report)


def _write_meetings(inst: Instance, request: PlanRequest,
                    rounds_plan: dict[int, list[tuple[int, int]]]) -> list[Meeting]:
    """The fixed meetings and the planned ones, at numbered tables with their reasons."""
    meetings: list[Meeting] = list(inst.fixed)
    people = inst.people
    for r in sorted(rounds_plan):
        for table, a, b in _assign_tables(inst, r, rounds_plan[r]):
            first, second = sorted((people[a], people[b]), key=lambda p: p.id)
            meetings.append(Meeting(r, table, first.id, second.id, float(inst.scores[a, b]),
                                    reason_for(first, second, request.weights)))
    return meetings


def _must_meet_unkept(inst: Instance, outcome: _Outcome, pairs_met: set[frozenset[str]]) -> list[tuple[str, str, str]]:
    """Must-meet pairs without a meeting, each with why, sorted."""
    people = inst.people
    unkept = list(inst.must_static_unkept)
    for i, j in sorted(inst.must - inst.wish_must):      # mutual Musts are counted with the wishes
        if frozenset((people[i].id, people[j].id)) not in pairs_met:
            unkept.append((people[i].id, people[j].id, _unkept_reason(inst, outcome.rounds, i, j, outcome.ran_out)))
    unkept.sort()
    return unkept


def _set_upper_bound(report: PlanReport, inst: Instance, outcome: _Outcome, fixed_score: float,
                     bound: float) -> None:
    """The report's upper bound: the fixed score plus the free rounds' bound, never below the score."""
    if math.isfinite(bound):
        report.upper_bound = max(float(math.floor(fixed_score + bound + 1e-6)), report.total_score)
    else:
        report.upper_bound = None
        report.messages.append("no upper bound could be computed within the time limit")
    if outcome.proven and not inst.must and not (inst.previous and inst.stability_bonus):
        report.upper_bound = report.total_score


def _decide_status(inst: Instance, outcome: _Outcome, planned_score: float, bound: float) -> str:
    """The final status: a full plan is OPTIMAL when proven or at every tier's best, else as found."""
    if outcome.status == "FEASIBLE" and (
            outcome.proven or _at_every_tiers_best(inst, outcome.rounds, planned_score, bound)):
        return "OPTIMAL"
    return outcome.status


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


def _empty(shape: _Shape, status: str, message: str, seconds: float) -> PlanResult:
    """The fixed meetings alone, for input that cannot be planned."""
    schedule = Schedule(shape.rounds, shape.tables, shape.fixed)
    report = PlanReport(status=status, message=message, meetings=len(shape.fixed),
                        total_score=float(sum(m.score for m in shape.fixed)), solve_seconds=seconds)
    report.upper_bound = report.total_score
    return PlanResult(schedule, report)
