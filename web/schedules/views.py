"""What the pages show of a schedule: the grid of rounds and tables, one attendee's agenda and
the quality summary (score against the bound, sit-outs, must-meets, company repeats)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scheduler.checker import company_repeats
from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Meeting, Schedule
from scheduler.scoring import explain_for
from web.events.models import Event
from web.schedules.models import ScheduleVersion
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


@dataclass(frozen=True)
class Breaks:
    """Idle runs between two of a person's meetings (REPORT.json's ``breaks``)."""

    total: int
    worst: int
    spread: int
    bound: int
    optimal: bool

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Breaks | None:
        if not data:
            return None
        return cls(int(data.get("total") or 0), int(data.get("worst") or 0), int(data.get("spread") or 0),
                   int(data.get("bound") or 0), bool(data.get("optimal")))


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


def _percent_of_bound(report: dict, score: float, upper: float) -> float | None:
    if "ratio" in report:
        return None if report["ratio"] is None else 100.0 * float(report["ratio"])
    return 100.0 if upper <= 0 else 100.0 * score / upper


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

    report = version.report or {}
    pairs = [(people.get(m.a_id), people.get(m.b_id)) for m in schedule.meetings]
    known = [(a, b) for a, b in pairs if a is not None and b is not None]
    total = len(known)
    complementary = sum(1 for a, b in known if _complementary(a, b))
    cross = sum(1 for a, b in known if a.region.casefold() != b.region.casefold())
    sit_outs = report.get("sit_outs") or {}
    must = report.get("must_meet") or {}
    repeats = company_repeats(schedule, attendees)
    upper = float(report.get("upper_bound") or 0.0)
    score = float(report.get("total_score") or schedule.total_score)
    return QualitySummary(
        status=str(report.get("status", "")),
        message=str(report.get("message", "")),
        meetings=len(schedule.meetings),
        sit_outs_total=int(sit_outs.get("total") or 0),
        sit_outs_worst=int(sit_outs.get("worst") or 0),
        sit_outs_worst_attendee=label(sit_outs.get("worst_attendee")),
        must_meet_requested=int(must.get("requested") or 0),
        must_meet_kept=int(must.get("kept") or 0),
        must_meet_unkept=[UnkeptMustMeet(label(u["a_id"]) or "", label(u["b_id"]) or "", u.get("reason", ""))
                          for u in must.get("unkept") or []],
        complementary_share=complementary / total if total else 0.0,
        cross_region_share=cross / total if total else 0.0,
        percent_of_bound=_percent_of_bound(report, score, upper),
        company_repeat_attendees=repeats[0], company_repeat_meetings=repeats[1],
        total_score=score,
        upper_bound=upper,
        messages=[str(m) for m in report.get("messages") or []],
        breaks=Breaks.of(report.get("breaks")),
        requests=_requests(report.get("requests"), label),
    )


def _requests(data: dict[str, Any] | None, label: Callable[[str | None], str | None]) -> Requests | None:
    if not data:
        return None
    unscheduled = [UnkeptMustMeet(label(u.get("a_id")) or "", label(u.get("b_id")) or "", str(u.get("reason", "")))
                   for u in data.get("unscheduled") or []]
    return Requests(int(data.get("requested") or 0), int(data.get("scheduled") or 0), unscheduled)
