"""Planning once a schedule is out: revise the published version, or re-generate on purpose.

Once a version is published, people hold it on paper, in their mail and in their calendars,
so planning again *revises* it by default (``scheduler.revise``: published meetings stay where
the rules allow, the people who changed are placed). A full re-generate stays available for an
organiser who wants it. Both plan for the people *expected* in the rounds to come, as
:func:`web.attendees.presence.presence` tells them (not withdrawn, not gone home, not a no-show),
so the console, the API and the event-day re-plan share one rule. Rounds that have started are
held exactly.

One vocabulary for planning (used by the console, the API and the event day alike):

* :class:`PlanMode` is *what* the solver does (plan everything, revise the published version,
  re-generate the open rounds);
* :class:`PlanningJob` is *who asked* and names the background job (the console's plan, the
  live page's re-plan, the automatic revision); each kind's handler is registered by the
  feature that runs it;
* :class:`~web.schedules.models.VersionKind` is *what the stored draft is*, derived from the two
  (:attr:`PlanningRequest.version_kind`).

A :class:`PlanningRequest` is built once where a request enters (:func:`planning_request`):
the mode resolved against the published version, the time limit clamped, the first round
checked. The job stores it as its params and the worker plans from it as it is.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from scheduler.changes import changed_agendas, moved_meetings
from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import MeetingsMode
from scheduler.revise import RevisionRequest, revise
from scheduler.solver import PlanRequest, PlanResult, Progress, plan
from web.attendees.models import Attendee
from web.attendees.presence import Presence, presence
from web.attendees.states import AttendeeState
from web.attendees.wishes import wish_lists_of
from web.events.clock import first_open_round
from web.events.models import Event
from web.schedules.models import ScheduleVersion, VersionKind
from web.schedules.reports import DEFAULT_TIME_LIMIT, PlanParams
from web.schedules.versions import published_version, store_plan_result, version_schedule
from web.types import utcnow

MIN_TIME_LIMIT = 0.1
MAX_TIME_LIMIT = 600.0


class PlanMode(StrEnum):
    """What the solver does."""

    PLAN = "plan"              # nothing published yet: plan everything
    REVISE = "revise"          # change the published version as little as possible
    REGENERATE = "regenerate"  # plan the open rounds from scratch


class PlanningJob(StrEnum):
    """Who asked for a plan, and the kind of the background job that computes it (stored as
    ``jobs.kind``). Schedules registers :attr:`PLAN`; the event day (:mod:`web.liveday`)
    registers :attr:`REPLAN` and :attr:`AUTO_REVISE`."""

    PLAN = "plan"                # the console's or the API's "compute" (any mode)
    REPLAN = "replan"            # the live page's re-plan from a round, on the event day
    AUTO_REVISE = "auto-revise"  # revise and publish for the people waiting for a table


@dataclass(frozen=True)
class PlanningRequest:
    """One plan as asked, resolved once at the entry point (:func:`planning_request`).

    ``from_round`` None means "the first open round when the plan runs" (the console's
    default: a round that starts while the job waits is held, not refused)."""

    mode: PlanMode
    time_limit: float
    job: PlanningJob = PlanningJob.PLAN
    from_round: int | None = None
    leave_out_not_checked_in: bool = False
    seed: int = 0

    @property
    def version_kind(self) -> VersionKind:
        """The kind of the draft this request stores: a plan unless it revises; a revision on
        the event day is a re-plan."""
        if self.mode is not PlanMode.REVISE:
            return VersionKind.PLAN
        return VersionKind.REVISION if self.job is PlanningJob.PLAN else VersionKind.REPLAN

    def to_params(self) -> dict[str, Any]:
        """The request as a job's JSON params (:meth:`from_params` reads them back)."""
        return {**asdict(self), "mode": str(self.mode), "job": str(self.job)}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> PlanningRequest:
        return cls(mode=PlanMode(params["mode"]), time_limit=float(params["time_limit"]),
                   job=PlanningJob(params.get("job", PlanningJob.PLAN)),
                   from_round=int(params["from_round"]) if params.get("from_round") is not None else None,
                   leave_out_not_checked_in=bool(params.get("leave_out_not_checked_in")),
                   seed=int(params.get("seed", 0)))


class PlanningError(ValueError):
    """Planning cannot start as asked (message for the organiser)."""


class LeftOut(StrEnum):
    """Why someone expected is left out anyway, on the organiser's request. Everyone else not
    planned for is left out for their :class:`~web.attendees.states.AttendeeState` (withdrawn,
    left, no-show: the states that are not ``expected``), named by the state itself."""

    NOT_CHECKED_IN = "not checked in"


Reason = AttendeeState | LeftOut


@dataclass(frozen=True)
class PlanningInputs:
    """Who a plan is for, read at ``inputs_at``."""

    expected: list[Attendee]
    excluded: dict[int, Reason]        # attendee row id -> why they are not planned for
    everyone: list[Attendee]
    from_round: int
    published: ScheduleVersion | None
    inputs_at: dt.datetime


def resolve_mode(mode: PlanMode | str | None, published: ScheduleVersion | None,
                 meetings: MeetingsMode = MeetingsMode.FILL) -> PlanMode:
    """The mode asked for, or revising once a version is published (a full plan before);
    without a published version there is nothing to revise or re-generate: a plan. Requested
    meetings are planned from the requests themselves: a revision solves the open rounds again
    for the fewest breaks (the rounds that have started stay as held)."""
    if published is None:
        return PlanMode.PLAN
    chosen = PlanMode(mode) if mode else PlanMode.REVISE
    if chosen is PlanMode.REVISE and meetings is MeetingsMode.REQUESTED:
        return PlanMode.REGENERATE
    return chosen


def clamp_time_limit(time_limit: float | None, default: float = DEFAULT_TIME_LIMIT) -> float:
    """The solver's time limit in seconds, ``default`` when not given, within the bounds."""
    limit = default if time_limit is None else float(time_limit)
    return max(MIN_TIME_LIMIT, min(limit, MAX_TIME_LIMIT))


def planning_request(event: Event, now: dt.datetime, *, mode: PlanMode | str | None = None,
                     time_limit: float | None = None, default_time_limit: float = DEFAULT_TIME_LIMIT,
                     from_round: int | None = None, pin_from_round: bool = False,
                     job: PlanningJob = PlanningJob.PLAN,
                     leave_out_not_checked_in: bool = False, seed: int = 0) -> PlanningRequest:
    """Build the request once where it enters: the mode against the published version, the time
    limit clamped, ``from_round`` checked (:func:`check_from_round`). Without ``from_round`` the
    plan starts at the first open round when it runs, or, with ``pin_from_round`` (the event
    day re-plans from the round it previewed), at the first open round now. Raises
    :class:`PlanningError` (every round started, ``from_round`` started or out of range)."""
    checked = check_from_round(event, now, from_round)
    return PlanningRequest(mode=resolve_mode(mode, published_version(event), MeetingsMode(event.meetings or "fill")),
                           time_limit=clamp_time_limit(time_limit, default_time_limit), job=job,
                           from_round=checked if from_round is not None or pin_from_round else None,
                           leave_out_not_checked_in=leave_out_not_checked_in, seed=int(seed))


def check_from_round(event: Event, now: dt.datetime, from_round: int | None = None) -> int:
    """``from_round``, or the first round not started by default; refused when that round has
    started or is out of range."""
    first = first_open_round(event, now)
    if first is None:
        raise PlanningError("Every round has started; there is nothing left to plan.")
    if from_round is None:
        return first
    if from_round < first:
        raise PlanningError(f"Round {from_round} has already started; plan from round {first} or later.")
    if from_round > event.rounds:
        raise PlanningError(f"The event has {event.rounds} rounds.")
    return from_round


def left_out(here: Presence, *, leave_out_not_checked_in: bool = False) -> dict[int, Reason]:
    """Attendee row id -> why they are not planned for: withdrawn, gone home, no-show, and (when
    the organiser asks for a plan for the people in the room only) registered people who have
    not checked in yet although their first round is still to come."""
    reasons: dict[int, Reason] = {a.id: state for a in here.people if not (state := here.state(a)).expected}
    if leave_out_not_checked_in:
        reasons.update((a.id, LeftOut.NOT_CHECKED_IN) for a in here.with_state(AttendeeState.REGISTERED))
    return reasons


def planning_inputs(event: Event, now: dt.datetime, from_round: int | None = None, *,
                    leave_out_not_checked_in: bool = False) -> PlanningInputs:
    """The expected attendees and the first round to plan (the first not started by default)."""
    first = check_from_round(event, now, from_round)
    here = presence(event, now)
    excluded = left_out(here, leave_out_not_checked_in=leave_out_not_checked_in)
    everyone = list(here.people)
    expected = [row for row in everyone if row.id not in excluded]
    # inputs_at is the real time of the read (rows carry real timestamps), whatever ``now`` is.
    return PlanningInputs(expected, dict(excluded), everyone, first, published_version(event), utcnow())


def table_count(event: Event, expected: int, previous_tables: int = 0) -> int:
    """``event.tables``, or as many as needed (half the people expected) when it is 0; a
    revision never has fewer tables than the version it revises, so meetings keep theirs."""
    if event.tables:
        return int(event.tables)
    return max(expected // 2, previous_tables, 1)


def plan_for(event: Event, inputs: PlanningInputs, request: PlanningRequest,
             progress: Callable[[Progress], None] | None = None,
             cancel: threading.Event | None = None) -> tuple[PlanResult, dict[str, Any]]:
    """Plan or revise for ``inputs``; returns the result and the figures against the published
    version (``agendas_changed``, ``meetings_moved``, ...) that the job and the console show."""
    mode, time_limit = request.mode, request.time_limit
    if mode is not PlanMode.PLAN and inputs.published is None:
        raise PlanningError("The published version this plan was to revise is gone; plan again.")
    meetings = MeetingsMode(event.meetings or MeetingsMode.FILL)
    expected_ids = {row.id for row in inputs.expected}
    wishes = wish_lists_of(event.id)  # the attendees' own wishes weigh in the plan
    expected = [row.to_domain(wishes.get(row.id)) for row in inputs.expected]
    others = [row.to_domain(wishes.get(row.id)) for row in inputs.everyone if row.id not in expected_ids]
    previous = version_schedule(inputs.published)[0] if inputs.published is not None else None
    tables = table_count(event, len(expected), previous.tables if previous is not None else 0)
    weights = event.scoring_weights()
    first = inputs.from_round
    if mode is PlanMode.REVISE:
        assert previous is not None
        revision = revise(RevisionRequest(previous, expected, event.rounds, tables, weights, from_round=first,
                                          time_limit=time_limit), progress, cancel)
        result = revision.result
    else:
        held = [m for m in previous.meetings if m.round < first] if previous is not None else []
        # People not expected keep only their meetings in the held rounds.
        people = expected + [replace(p, available_rounds=frozenset(r for r in range(1, first) if p.is_available(r)),
                                     must_meet=()) for p in others] if held else expected
        solver_request = PlanRequest(people, event.rounds, tables, weights, fixed=held,
                                     fixed_rounds=frozenset(range(1, first)), time_limit=time_limit,
                                     seed=request.seed, meetings=meetings,
                                     break_spread=int(event.break_spread or 0))
        result = plan(solver_request, progress, cancel)
    figures: dict[str, Any] = {
        "mode": str(mode), "from_round": first, "expected": len(expected),
        "excluded": _count_reasons(inputs.excluded),
        "base_version": inputs.published.number if inputs.published is not None else None,
    }
    if previous is not None:
        figures["agendas_changed"] = len(changed_agendas(previous, result.schedule, first))
        figures["meetings_moved"] = moved_meetings(previous, result.schedule, first)
    return result, figures


def _count_reasons(excluded: dict[int, Reason]) -> dict[str, int]:
    return {str(reason): count for reason, count in Counter(excluded.values()).items()}


def run_planning(event: Event, request: PlanningRequest, *, now: dt.datetime | None = None,
                 progress: Callable[[Progress], None] | None = None,
                 cancel: threading.Event | None = None) -> tuple[ScheduleVersion, dict[str, Any]]:
    """Plan ``request`` (in this thread) and store the result as a draft; returns it and its
    figures. The request is taken as resolved (:func:`planning_request`); only the rounds are
    checked again, since one may have started while the job waited."""
    now = now or utcnow()
    inputs = planning_inputs(event, now, request.from_round,
                             leave_out_not_checked_in=request.leave_out_not_checked_in)
    chosen = request.mode
    result, figures = plan_for(event, inputs, request, progress=progress, cancel=cancel)
    base = inputs.published
    version = store_plan_result(
        event, result, kind=request.version_kind,
        from_round=inputs.from_round if base is not None else None,
        params=PlanParams(time_limit=request.time_limit, seed=request.seed, mode=str(chosen)),
        base_version=base, inputs_at=inputs.inputs_at, revision=figures)
    return version, figures


def expected_without_meeting(event: Event, version: ScheduleVersion, now: dt.datetime) -> list[Attendee]:
    """Expected attendees with no meeting in ``version`` from the first round not started."""
    inputs = planning_inputs(event, now)
    seated = {i for m in version.meetings if m.round >= inputs.from_round for i in (m.a_id, m.b_id)}
    return [row for row in inputs.expected if row.id not in seated and _attends_from(row, inputs.from_round, event)]


def _attends_from(row: Attendee, first: int, event: Event) -> bool:
    domain: DomainAttendee = row.to_domain()
    return any(domain.is_available(r) for r in range(first, event.rounds + 1))


@dataclass(frozen=True)
class RegenerateReach:
    """What a full re-generate may change, said before it runs: everyone who holds a published
    meeting in the rounds it would plan again."""

    from_round: int
    agendas: int


def regenerate_reach(event: Event, published: ScheduleVersion, now: dt.datetime) -> RegenerateReach | None:
    first = first_open_round(event, now)
    if first is None:
        return None
    holders = {i for m in published.meetings if m.round >= first for i in (m.a_id, m.b_id)}
    return RegenerateReach(first, len(holders))
