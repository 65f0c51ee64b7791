"""Planning once a schedule is out: revise the published version, or re-generate on purpose.

Once a version is published, people hold it on paper, in their mail and in their calendars,
so planning again *revises* it by default (``scheduler.revise``: published meetings stay where
the rules allow, the people who changed are placed). A full re-generate stays available for an
organiser who wants it. Both plan for the people *expected* in the rounds to come, as
:func:`web.attendees.presence.presence` tells them (not withdrawn, not gone home, not a no-show),
so the console, the API and the event-day re-plan share one rule. Rounds that have started are
held exactly.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
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
from web.events.clock import first_open_round
from web.events.models import Event
from web.logs import log_action
from web.schedules.models import ScheduleVersion
from web.schedules.versions import published_version, store_plan_result, version_schedule
from web.types import utcnow

log = logging.getLogger(__name__)


class PlanMode(StrEnum):
    PLAN = "plan"              # nothing published yet: plan everything
    REVISE = "revise"          # change the published version as little as possible
    REGENERATE = "regenerate"  # plan the open rounds from scratch


class PlanningError(ValueError):
    """Planning cannot start as asked (message for the organiser)."""


class LeftOut(StrEnum):
    """Why someone is not planned for in the rounds to come."""

    WITHDRAWN = "withdrawn"
    LEFT = "left"
    NO_SHOW = "no-show"
    NOT_CHECKED_IN = "not checked in"


_LEFT_OUT_BY_STATE = {AttendeeState.WITHDRAWN: LeftOut.WITHDRAWN, AttendeeState.LEFT: LeftOut.LEFT,
                      AttendeeState.NO_SHOW: LeftOut.NO_SHOW}


@dataclass(frozen=True)
class PlanningInputs:
    """Who a plan is for, read at ``inputs_at``."""

    expected: list[Attendee]
    excluded: dict[int, LeftOut]       # attendee row id -> why they are not planned for
    everyone: list[Attendee]
    from_round: int
    published: ScheduleVersion | None
    inputs_at: dt.datetime


def default_mode(published: ScheduleVersion | None) -> PlanMode:
    return PlanMode.REVISE if published is not None else PlanMode.PLAN


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


def left_out(here: Presence, *, leave_out_not_checked_in: bool = False) -> dict[int, LeftOut]:
    """Attendee row id -> why they are not planned for: withdrawn, gone home, no-show, and (when
    the organiser asks for a plan for the people in the room only) registered people who have
    not checked in yet although their first round is still to come."""
    reasons = {a.id: _LEFT_OUT_BY_STATE[state] for a in here.people
               if (state := here.state(a)) in _LEFT_OUT_BY_STATE}
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


def plan_for(event: Event, inputs: PlanningInputs, mode: PlanMode, *, time_limit: float, seed: int = 0,
             progress: Callable[[Progress], None] | None = None,
             cancel: threading.Event | None = None) -> tuple[PlanResult, dict[str, Any]]:
    """Plan or revise for ``inputs``; returns the result and the figures against the published
    version (``agendas_changed``, ``meetings_moved``, ...) that the job and the console show."""
    if mode is PlanMode.REVISE and inputs.published is None:
        mode = PlanMode.PLAN
    meetings = MeetingsMode(event.meetings or MeetingsMode.FILL)
    if mode is PlanMode.REVISE and meetings is MeetingsMode.REQUESTED:
        # Requested meetings are planned from the requests themselves: the open rounds are
        # solved again for the fewest breaks, the rounds that have started stay as held.
        mode = PlanMode.REGENERATE
    expected_ids = {row.id for row in inputs.expected}
    expected = [row.to_domain() for row in inputs.expected]
    others = [row.to_domain() for row in inputs.everyone if row.id not in expected_ids]
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
        request = PlanRequest(people, event.rounds, tables, weights, fixed=held,
                              fixed_rounds=frozenset(range(1, first)), time_limit=time_limit, seed=seed,
                              meetings=meetings, break_spread=int(event.break_spread or 0))
        result = plan(request, progress, cancel)
    figures: dict[str, Any] = {
        "mode": str(mode), "from_round": first, "expected": len(expected),
        "excluded": _count_reasons(inputs.excluded),
        "base_version": inputs.published.number if inputs.published is not None else None,
    }
    if previous is not None:
        figures["agendas_changed"] = len(changed_agendas(previous, result.schedule, first))
        figures["meetings_moved"] = moved_meetings(previous, result.schedule, first)
    return result, figures


def _count_reasons(excluded: dict[int, LeftOut]) -> dict[str, int]:
    return {str(reason): count for reason, count in Counter(excluded.values()).items()}


def run_planning(event: Event, mode: PlanMode | str | None = None, *, now: dt.datetime | None = None,
                 from_round: int | None = None, time_limit: float, seed: int = 0, kind: str | None = None,
                 progress: Callable[[Progress], None] | None = None,
                 cancel: threading.Event | None = None,
                 leave_out_not_checked_in: bool = False) -> tuple[ScheduleVersion, dict[str, Any]]:
    """Plan (in this thread) and store the result as a draft; returns it and its figures."""
    now = now or utcnow()
    inputs = planning_inputs(event, now, from_round, leave_out_not_checked_in=leave_out_not_checked_in)
    chosen = PlanMode(mode) if mode else default_mode(inputs.published)
    if chosen is PlanMode.REGENERATE and inputs.published is None:
        chosen = PlanMode.PLAN
    result, figures = plan_for(event, inputs, chosen, time_limit=time_limit, seed=seed,
                               progress=progress, cancel=cancel)
    base = inputs.published
    version = store_plan_result(
        event, result,
        kind=kind or ("revision" if chosen is PlanMode.REVISE else "plan"),
        from_round=inputs.from_round if base is not None else None,
        params={"time_limit": time_limit, "seed": int(seed), "mode": str(chosen)},
        base_version=base, inputs_at=inputs.inputs_at, revision=figures)
    report = version.report or {}
    log_action(log, "plan-stored", event=event.slug, version=version.number, kind=version.kind,
               mode=str(chosen), base=figures["base_version"], from_round=figures["from_round"],
               expected=figures["expected"], meetings=report.get("meetings"),
               solver=report.get("status"), agendas_changed=figures.get("agendas_changed"),
               meetings_moved=figures.get("meetings_moved"))
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
