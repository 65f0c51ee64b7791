"""Schedule operations: plan (in a background job or synchronously), compare, show and export
versions. Free of request handling so the API, the event-day re-plan, printing and the tests
use the same functions as the pages.

Storing and reading versions live in :mod:`web.schedules.versions`, publishing in
:mod:`web.schedules.publishing`, revising in :mod:`web.schedules.revisions`; their public names
are imported here too, so callers have one place to import from.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from scheduler.checker import company_repeats
from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Meeting, Schedule
from scheduler.importer import write_attendee_file
from scheduler.schedule_io import schedule_rows, write_schedule_csv
from scheduler.scoring import explain_for
from scheduler.solver import Progress
from scheduler.spreadsheet import unescape_cell, write_table
from web.attendees.models import Attendee, attendees_of
from web.downloads import SPREADSHEET_FORMATS
from web.events.clock import first_open_round
from web.events.models import Event
from web.extensions import db
from web.jobs import runner as jobs
from web.jobs.models import Job
from web.schedules.models import ScheduleVersion
from web.schedules.publishing import PublishCheck, StalePublish, publish_checks, publish_version
from web.schedules.revisions import (
    PlanMode,
    PlanningError,
    RegenerateReach,
    default_mode,
    regenerate_reach,
    run_planning,
)
from web.schedules.versions import (
    PersonalMeeting,
    ScheduleError,
    get_version,
    latest_draft,
    list_versions,
    published_meetings_of,
    published_version,
    store_plan_result,
    version_schedule,
)
from web.types import utcnow

__all__ = [
    "PersonalMeeting", "PlanMode", "PlanningError", "RegenerateReach", "regenerate_reach", "PublishCheck", "ScheduleError", "StalePublish",
    "get_version", "latest_draft", "list_versions", "publish_checks", "publish_version",
    "published_meetings_of", "published_version", "store_plan_result", "version_schedule",
]

DEFAULT_TIME_LIMIT = 30.0
MAX_TIME_LIMIT = 600.0
SCHEDULE_JOB_KIND = "plan"
EXPORT_FORMATS = SPREADSHEET_FORMATS


# --------------------------------------------------------------------------- planning


def domain_attendees(event: Event) -> list[DomainAttendee]:
    """The event's attendees as domain objects, in badge-number order."""
    rows = db.session.scalars(
        attendees_of(event.id).order_by(Attendee.badge_number)
    )
    return [row.to_domain() for row in rows]


def progress_reporter(report: Callable[..., None]) -> Callable[[Progress], None]:
    """Turn the solver's Progress into the job's progress JSON: phase, rounds placed, score so
    far, bound, % of bound, elapsed seconds. ``report(dict, force=...)`` stores it."""
    state: dict[str, float | None] = {"score": 0.0, "bound": None}

    def on_progress(p: Progress) -> None:
        if p.phase == "placing":
            state["score"] = (state["score"] or 0.0) + float(p.score)
        elif p.phase in ("improving", "done"):  # the whole schedule's score so far
            state["score"] = float(p.score)
        if p.bound and math.isfinite(p.bound) and p.bound > 0:
            state["bound"] = float(p.bound)
        bound = state["bound"]
        score = state["score"] or 0.0
        percent = round(100.0 * score / bound, 1) if bound else None
        report({
            "phase": p.phase,
            "rounds_placed": int(p.rounds_placed),
            "rounds_total": int(p.rounds_total),
            "score": round(score, 1),
            "bound": bound,
            "percent_of_bound": percent,
            "elapsed": round(float(p.elapsed), 1),
        }, force=p.phase == "done")

    return on_progress


def plan_event(event: Event, *, time_limit: float | None = None, seed: int = 0,
               mode: PlanMode | str | None = PlanMode.REGENERATE,
               progress: Callable[[Progress], None] | None = None,
               cancel: threading.Event | None = None) -> ScheduleVersion:
    """Plan the event now (in this thread) and store the result as a draft version.

    Plans for the people expected (not withdrawn, not reported absent), holding rounds that
    have started. ``mode``: a full plan by default; ``"revise"`` changes the published version
    as little as possible (see :mod:`web.schedules.revisions`)."""
    limit = DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit)
    version, _figures = run_planning(event, mode, time_limit=max(0.1, min(limit, MAX_TIME_LIMIT)),
                                     seed=seed, progress=progress, cancel=cancel)
    return version


def start_schedule_job(event: Event, *, time_limit: float | None = None, seed: int = 0,
                       mode: PlanMode | str | None = None) -> Job:
    """Plan the event in a background job; the job's result is the new draft version's id.

    ``mode`` defaults to revising the published version once one exists (a full plan before).
    Cancelling keeps the best schedule found so far (stored as a draft like any other).
    Raises :class:`web.jobs.JobBusy` when the event already has a job running, and
    :class:`PlanningError` when every round has started.
    """
    limit = max(0.1, min(DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit), MAX_TIME_LIMIT))
    chosen = PlanMode(mode) if mode else default_mode(published_version(event))
    run_planning_check(event)
    return jobs.start_job(event, SCHEDULE_JOB_KIND,
                          params={"time_limit": limit, "seed": int(seed), "mode": str(chosen)})


@jobs.job_handler(SCHEDULE_JOB_KIND)
def run_schedule_job(context: jobs.JobContext, params: dict) -> int:
    """The 'plan' job in a worker: plan with the params :func:`start_schedule_job` stored and
    return the new draft version's id (cancelled: the best schedule found so far)."""
    current = db.session.get(Event, context.event_id)
    if current is None:
        raise ScheduleError("the event was deleted")
    report = progress_reporter(context.report)
    version, figures = run_planning(current, PlanMode(params["mode"]), time_limit=float(params["time_limit"]),
                                    seed=int(params.get("seed", 0)), progress=report,
                                    cancel=context.cancel_event)
    context.report({**dict(context.last_progress), **figures, "phase": "done"}, force=True)
    return version.id


def run_planning_check(event: Event) -> None:
    """Refuse at once (not in the job) what the job would refuse: every round started."""
    if first_open_round(event, utcnow()) is None:
        raise PlanningError("Every round has started; there is nothing left to plan.")


def schedule_jobs(event: Event, limit: int = 10) -> list[Job]:
    return list(db.session.scalars(
        select(Job).where(Job.event_id == event.id).order_by(Job.created_at.desc()).limit(limit)
    ))


# --------------------------------------------------------------------------- domain views


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
    )


# --------------------------------------------------------------------------- comparing


@dataclass(frozen=True)
class MeetingChange:
    """One change of one attendee's agenda: ``kind`` is added, removed or moved;
    ``before``/``after`` are (round, table) or None."""

    kind: str
    partner_id: str
    partner_name: str
    before: tuple[int, int] | None
    after: tuple[int, int] | None


@dataclass(frozen=True)
class AttendeeChanges:
    attendee_id: str
    name: str
    changes: list[MeetingChange]

    def of_kind(self, kind: str) -> list[MeetingChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def added(self) -> list[MeetingChange]:
        return self.of_kind("added")

    @property
    def removed(self) -> list[MeetingChange]:
        return self.of_kind("removed")

    @property
    def moved(self) -> list[MeetingChange]:
        return self.of_kind("moved")


@dataclass(frozen=True)
class VersionDiff:
    """Differences between two versions (``old`` may be None: everything is added), from
    ``from_round`` on. Counts are per meeting; ``attendees`` lists everyone whose agenda
    changed, by name."""

    old_number: int | None
    new_number: int
    from_round: int
    added: int
    removed: int
    moved: int
    unchanged: int
    attendees: list[AttendeeChanges]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.moved)

    @property
    def attendees_changed(self) -> int:
        return len(self.attendees)

    def for_attendee(self, ext_id: str) -> AttendeeChanges | None:
        return next((a for a in self.attendees if a.attendee_id == ext_id), None)


def diff_schedules(old: Schedule | None, new: Schedule, attendees: Sequence[DomainAttendee],
                   *, from_round: int = 1, old_number: int | None = None,
                   new_number: int = 0) -> VersionDiff:
    """Per-attendee meetings added, removed and moved (round or table) between two schedules."""
    names = {a.id: a.name for a in attendees}
    before = {m.pair: m for m in (old.meetings if old else ()) if m.round >= from_round}
    after = {m.pair: m for m in new.meetings if m.round >= from_round}
    per: dict[str, list[MeetingChange]] = {}
    counts = {"added": 0, "removed": 0, "moved": 0, "unchanged": 0}

    def note(kind: str, m: Meeting, was: tuple[int, int] | None, now: tuple[int, int] | None) -> None:
        for me in (m.a_id, m.b_id):
            partner = m.partner_of(me)
            per.setdefault(me, []).append(
                MeetingChange(kind, partner, names.get(partner, partner), was, now))

    for pair, m in before.items():
        n = after.get(pair)
        if n is None:
            counts["removed"] += 1
            note("removed", m, (m.round, m.table), None)
        elif (n.round, n.table) != (m.round, m.table):
            counts["moved"] += 1
            note("moved", m, (m.round, m.table), (n.round, n.table))
        else:
            counts["unchanged"] += 1
    for pair, m in after.items():
        if pair not in before:
            counts["added"] += 1
            note("added", m, None, (m.round, m.table))
    order = {"removed": 0, "moved": 1, "added": 2}
    people = [
        AttendeeChanges(ident, names.get(ident, ident),
                        sorted(changes, key=lambda c: ((c.before or c.after or (0, 0))[0],
                                                       order[c.kind], c.partner_id)))
        for ident, changes in per.items()
    ]
    people.sort(key=lambda a: (a.name.casefold(), a.attendee_id))
    return VersionDiff(old_number, new_number, from_round, counts["added"], counts["removed"],
                       counts["moved"], counts["unchanged"], people)


def diff_versions(old: ScheduleVersion | None, new: ScheduleVersion, *,
                  from_round: int = 1) -> VersionDiff:
    """What changes for each attendee when ``new`` replaces ``old`` (None = nothing before)."""
    new_schedule, attendees = version_schedule(new)
    old_schedule = version_schedule(old)[0] if old is not None else None
    return diff_schedules(old_schedule, new_schedule, attendees, from_round=from_round,
                          old_number=old.number if old is not None else None,
                          new_number=new.number)


# --------------------------------------------------------------------------- exports


def export_schedule(event: Event, version: ScheduleVersion, fmt: str) -> bytes:
    """SCHEDULE.csv columns (round,table,a_id,a_name,a_company,b_id,b_name,b_company,score,
    reason,start,end) as CSV or XLSX; text that a spreadsheet would run is neutralised."""
    schedule, attendees = version_schedule(version)
    timetable = event.timetable()
    if fmt == "csv":
        text = io.StringIO()
        write_schedule_csv(schedule, attendees, text, timetable)
        # With a BOM, like every other CSV export: Excel otherwise reads UTF-8 as ANSI and
        # turns "Müller" into "MÃ¼ller".
        return text.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        header, rows = schedule_rows(schedule, attendees, timetable)
        numeric = {"round": int, "table": int, "score": float}
        typed: list[list[object]] = []
        for row in rows:
            cells: list[object] = []
            for name, cell in zip(header, row):
                plain = unescape_cell(cell)  # write_table escapes again, exactly once
                cells.append(numeric[name](plain) if name in numeric else plain)
            typed.append(cells)
        out = io.BytesIO()
        write_table(header, typed, out, "xlsx")
        return out.getvalue()
    raise ScheduleError(f"unknown format {fmt!r}; use csv or xlsx")


def export_attendees(event: Event, fmt: str) -> bytes:
    """The event's attendees in the attendee file format (re-importable)."""
    if fmt not in EXPORT_FORMATS:
        raise ScheduleError(f"unknown format {fmt!r}; use csv or xlsx")
    out = io.BytesIO()
    write_attendee_file(domain_attendees(event), out, fmt)
    return out.getvalue()


# --------------------------------------------------------------------------- demo


def ensure_published_schedule(event: Event, *, time_limit: float = 5.0, seed: int = 0) -> ScheduleVersion | None:
    """Plan and publish synchronously when the event has attendees but no version yet (demo)."""
    exists = db.session.scalar(
        select(func.count()).select_from(ScheduleVersion).where(ScheduleVersion.event_id == event.id))
    has_people = db.session.scalar(
        attendees_of(event.id, func.count()))
    if exists or not has_people:
        return None
    version = plan_event(event, time_limit=time_limit, seed=seed)
    return publish_version(version)
