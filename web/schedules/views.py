"""What the pages show of a schedule: the grid of rounds and tables, one attendee's agenda and
the quality summary (score against the bound, sit-outs, must-meets, company repeats)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from scheduler.checker import company_repeats
from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Meeting, MeetingsMode, Schedule
from scheduler.scoring import WishTier, explain_for
from scheduler.solver import PlanReport
from scheduler.wishes import WishSummary
from web.events.models import Event
from web.schedules.models import ScheduleVersion
from web.schedules.reports import StoredReport
from web.schedules.versions import version_schedule


@dataclass(frozen=True)
class GridRow:
    table: int
    label: str
    cells: list[Meeting | None]


def schedule_grid(event: Event, schedule: Schedule) -> list[GridRow]:
    """Tables down, rounds across; empty cells are None."""
    info = event.event_info()
    cells = {(m.table, m.round): m for m in schedule.meetings}
    tables = max([schedule.tables, *(m.table for m in schedule.meetings)]) if schedule.meetings else 0
    return [GridRow(t, info.table_label(t), [cells.get((t, r)) for r in range(1, schedule.rounds + 1)])
            for t in range(1, tables + 1)
            if any((t, r) in cells for r in range(1, schedule.rounds + 1))]


@dataclass(frozen=True)
class AgendaSlot:
    round: int
    start: dt.datetime
    end: dt.datetime
    table: int | None
    table_label: str
    partner: DomainAttendee | None
    reason: str
    score: float
    available: bool


def attendee_agenda(event: Event, schedule: Schedule, attendees: Sequence[DomainAttendee],
                    ext_id: str) -> list[AgendaSlot]:
    """One attendee's rounds: partner, table and the reason from their point of view."""
    people = {a.id: a for a in attendees}
    me = people[ext_id]
    info = event.event_info()
    timetable = info.timetable
    weights = event.scoring_weights()
    by_round = {m.round: m for m in schedule.for_attendee(ext_id)}
    slots = []
    for r in range(1, schedule.rounds + 1):
        m = by_round.get(r)
        start = timetable.round_start(r) if r <= timetable.rounds else timetable.end
        end = timetable.round_end(r) if r <= timetable.rounds else timetable.end
        partner = people.get(m.partner_of(ext_id)) if m else None
        slots.append(AgendaSlot(
            round=r, start=start, end=end, table=m.table if m else None,
            table_label=info.table_label(m.table) if m else "",
            partner=partner,
            reason=explain_for(me, partner, weights) if partner else "",
            score=m.score if m else 0.0, available=me.is_available(r),
        ))
    return slots


@dataclass(frozen=True)
class UnkeptMustMeet:
    a: str
    b: str
    reason: str


@dataclass(frozen=True)
class QualitySummary:
    status: str
    message: str
    meetings: int
    sit_outs_total: int
    sit_outs_worst: int
    sit_outs_worst_attendee: str | None
    must_meet_requested: int
    must_meet_kept: int
    must_meet_unkept: list[UnkeptMustMeet]
    complementary_share: float
    cross_region_share: float
    percent_of_bound: float | None     # None: no bound computed (a revision)
    total_score: float
    upper_bound: float
    messages: list[str] = field(default_factory=list)
    company_repeat_attendees: int = 0    # attendees meeting two or more people of one other company
    company_repeat_meetings: int = 0     # such second (third, ...) meetings, summed per attendee
    breaks: Breaks | None = None         # idle runs between a person's meetings (None: an older report)
    requests: Requests | None = None     # requested-only mode: the requests scheduled and why not
    wishes: list[WishLine] = field(default_factory=list)  # attendees' wishes granted, by tier
    no_pairs_met: int = 0                # pairs with a No that meet (a valid plan: 0)


# The quality summary's words for each tier of wished pairs (REPORT.json's keys).
WISH_TIER_LABELS = {WishTier.MUST_MUTUAL: "Mutual Musts", WishTier.MUST: "One-sided Musts",
                    WishTier.WANT_MUTUAL: "Mutual Wants", WishTier.WANT: "One-sided Wants"}


@dataclass(frozen=True)
class WishLine:
    """One tier of wished pairs: how many were asked for, could meet at all, and meet."""

    label: str
    requested: int
    possible: int
    granted: int

    @classmethod
    def lines_of(cls, summary: WishSummary) -> list[WishLine]:
        """The tiers somebody asked for, strongest first."""
        return [cls(WISH_TIER_LABELS[tier], count.requested, count.possible, count.granted)
                for tier, count in summary.tiers.items() if count.requested]


@dataclass(frozen=True)
class Breaks:
    """Idle runs between two of a person's meetings (REPORT.json's ``breaks``)."""

    total: int
    worst: int
    spread: int
    bound: int
    optimal: bool

    @classmethod
    def of(cls, report: StoredReport) -> Breaks | None:
        """The report's breaks; None for a report stored before breaks were counted."""
        if not report.breaks_counted:
            return None
        plan = report.plan
        return cls(plan.breaks_total, plan.breaks_worst, plan.breaks_spread, plan.breaks_bound,
                   plan.breaks_optimal)


@dataclass(frozen=True)
class Requests:
    """A requested-only plan's requests (REPORT.json's ``requests``), people named."""

    requested: int
    scheduled: int
    unscheduled: list[UnkeptMustMeet]


def _complementary(a: DomainAttendee, b: DomainAttendee) -> bool:
    def fold(items: Sequence[str]) -> set[str]:
        return {x.casefold() for x in items}
    return bool(fold(a.offers) & fold(b.seeks) or fold(b.offers) & fold(a.seeks))


def quality_summary(version: ScheduleVersion, schedule: Schedule | None = None,
                    attendees: Sequence[DomainAttendee] | None = None) -> QualitySummary:
    """How good a version is: the solver's report plus shares computed from the meetings."""
    if schedule is None or attendees is None:
        schedule, attendees = version_schedule(version)
    people = {a.id: a for a in attendees}

    def label(ident: str | None) -> str | None:
        if ident is None:
            return None
        person = people.get(ident)
        return f"{person.name} ({ident})" if person else ident

    report = version.plan_report
    plan = report.plan
    pairs = [(people.get(m.a_id), people.get(m.b_id)) for m in schedule.meetings]
    known = [(a, b) for a, b in pairs if a is not None and b is not None]
    total = len(known)
    complementary = sum(1 for a, b in known if _complementary(a, b))
    cross = sum(1 for a, b in known if a.region.casefold() != b.region.casefold())
    repeats = company_repeats(schedule, attendees)
    # No bound (a revision): no share of it. No report at all: the bound is 0, the share 100 %.
    ratio = plan.ratio
    return QualitySummary(
        status=plan.status,
        message=plan.message,
        meetings=len(schedule.meetings),
        sit_outs_total=plan.sit_outs_total,
        sit_outs_worst=plan.sit_outs_worst,
        sit_outs_worst_attendee=label(plan.sit_outs_worst_attendee),
        must_meet_requested=plan.must_meet_requested,
        must_meet_kept=plan.must_meet_kept,
        must_meet_unkept=[UnkeptMustMeet(label(a) or "", label(b) or "", reason)
                          for a, b, reason in plan.must_meet_unkept],
        complementary_share=complementary / total if total else 0.0,
        cross_region_share=cross / total if total else 0.0,
        percent_of_bound=None if ratio is None else 100.0 * ratio,
        company_repeat_attendees=repeats[0], company_repeat_meetings=repeats[1],
        total_score=plan.total_score or schedule.total_score,
        upper_bound=plan.upper_bound or 0.0,
        messages=list(plan.messages),
        breaks=Breaks.of(report),
        requests=_requests(plan, label),
        wishes=WishLine.lines_of(plan.wishes),
        no_pairs_met=plan.wishes.no_pairs_met,
    )


def _requests(plan: PlanReport, label: Callable[[str | None], str | None]) -> Requests | None:
    """A requested-only plan's requests, people named; None in fill mode."""
    if plan.meetings_mode != MeetingsMode.REQUESTED:
        return None
    unscheduled = [UnkeptMustMeet(label(a) or "", label(b) or "", reason)
                   for a, b, _cause, reason in plan.requests_unscheduled]
    return Requests(plan.requests_requested, plan.requests_scheduled, unscheduled)
