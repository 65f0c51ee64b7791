"""Schedule operations: plan (in a background job or synchronously), store, publish, compare,
show and export versions. Free of request handling so the API, the event-day re-plan, printing
and the tests use the same functions as the pages.

Domain conversion: stored meetings refer to attendee rows; :func:`version_schedule` turns a
version into ``scheduler.domain`` objects whose meeting ids are the attendees' ``ext_id``.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from sqlalchemy import bindparam, func, or_, select, union_all, update

from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Meeting, Schedule
from scheduler.importer import write_attendee_file
from scheduler.schedule_io import schedule_rows, write_schedule_csv
from scheduler.scoring import explain_for
from scheduler.solver import PlanRequest, PlanResult, Progress, plan
from scheduler.spreadsheet import unescape_cell, write_table
from web.attendees.models import Attendee
from web.events.models import Event
from web.downloads import SPREADSHEET_FORMATS
from web.extensions import db
from web.jobs import runner as jobs  # module access: web.jobs imports this package's models
from web.jobs.models import Job
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.types import utcnow

DEFAULT_TIME_LIMIT = 30.0
MAX_TIME_LIMIT = 600.0
SCHEDULE_JOB_KIND = "plan"
EXPORT_FORMATS = SPREADSHEET_FORMATS


class ScheduleError(ValueError):
    """A schedule operation that cannot be done as asked (message is for the organiser)."""


# --------------------------------------------------------------------------- planning


def domain_attendees(event: Event) -> list[DomainAttendee]:
    """The event's attendees as domain objects, in badge-number order."""
    rows = db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.badge_number)
    )
    return [row.to_domain() for row in rows]


def plan_request(event: Event, *, time_limit: float | None = None, seed: int = 0,
                 attendees: Sequence[DomainAttendee] | None = None) -> PlanRequest:
    """A full-event PlanRequest: every attendee, ``event.rounds``, ``event.tables`` (0 = as many
    as needed, i.e. one per two attendees), the event's scoring weights."""
    limit = DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit)
    return PlanRequest(
        attendees=list(domain_attendees(event) if attendees is None else attendees),
        rounds=event.rounds,
        tables=event.tables or None,
        weights=event.scoring_weights(),
        time_limit=max(0.1, min(limit, MAX_TIME_LIMIT)),
        seed=int(seed),
    )


def progress_reporter(report: Callable[..., None]) -> Callable[[Progress], None]:
    """Turn the solver's Progress into the job's progress JSON: phase, rounds placed, score so
    far, bound, % of bound, elapsed seconds. ``report(dict, force=...)`` stores it."""
    state = {"score": 0.0, "bound": None}

    def on_progress(p: Progress) -> None:
        if p.phase == "placing":
            state["score"] += float(p.score)
        elif p.phase == "done":
            state["score"] = float(p.score)
        if p.bound and math.isfinite(p.bound) and p.bound > 0:
            state["bound"] = float(p.bound)
        bound = state["bound"]
        percent = round(100.0 * state["score"] / bound, 1) if bound else None
        report({
            "phase": p.phase,
            "rounds_placed": int(p.rounds_placed),
            "rounds_total": int(p.rounds_total),
            "score": round(state["score"], 1),
            "bound": bound,
            "percent_of_bound": percent,
            "elapsed": round(float(p.elapsed), 1),
        }, force=p.phase == "done")

    return on_progress


def plan_event(event: Event, *, time_limit: float | None = None, seed: int = 0,
               progress: Callable[[Progress], None] | None = None,
               cancel: threading.Event | None = None) -> ScheduleVersion:
    """Plan the whole event now (in this thread) and store the result as a draft version."""
    request = plan_request(event, time_limit=time_limit, seed=seed)
    result = plan(request, progress, cancel)
    return store_plan_result(event, result, kind="plan",
                             params={"time_limit": request.time_limit, "seed": request.seed})


def start_schedule_job(event: Event, *, time_limit: float | None = None, seed: int = 0) -> Job:
    """Plan the event in a background job; the job's result is the new draft version's id.

    Cancelling keeps the best schedule found so far (stored as a draft like any other).
    Raises :class:`web.jobs.JobBusy` when the event already has a job running.
    """
    limit = DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit)
    event_id = event.id

    def work(context: jobs.JobContext) -> int:
        current = db.session.get(Event, event_id)
        if current is None:
            raise ScheduleError("the event was deleted")
        version = plan_event(current, time_limit=limit, seed=seed,
                             progress=progress_reporter(context.report), cancel=context.cancel_event)
        return version.id

    return jobs.start_job(event, SCHEDULE_JOB_KIND, work, params={"time_limit": limit, "seed": int(seed)})


# --------------------------------------------------------------------------- storing


def store_plan_result(event: Event, result: PlanResult, *, kind: str = "plan",
                      from_round: int | None = None,
                      params: dict[str, Any] | None = None) -> ScheduleVersion:
    """Store ``result`` as the event's next draft version (meetings and report) and commit.

    Meeting ids are attendee ``ext_id``s; an id no longer in the event raises ScheduleError.
    """
    rows = dict(db.session.execute(
        select(Attendee.ext_id, Attendee.id).where(Attendee.event_id == event.id)
    ).all())
    unknown = sorted({i for m in result.schedule.meetings for i in (m.a_id, m.b_id) if i not in rows})
    if unknown:
        raise ScheduleError("attendees removed while planning: " + ", ".join(unknown)
                            + "; plan again")
    report = result.report.to_dict()
    report["rounds"] = result.schedule.rounds
    report["tables"] = result.schedule.tables
    if params:
        report["params"] = dict(params)
    number = (db.session.scalar(
        select(func.max(ScheduleVersion.number)).where(ScheduleVersion.event_id == event.id)
    ) or 0) + 1
    version = ScheduleVersion(event_id=event.id, number=number, status="draft", kind=kind,
                              from_round=from_round, report=report)
    version.meetings = [
        ScheduleMeeting(round=m.round, table=m.table, a_id=rows[m.a_id], b_id=rows[m.b_id],
                        score=float(m.score), reason=m.reason)
        for m in sorted(result.schedule.meetings, key=lambda m: (m.round, m.table))
    ]
    db.session.add(version)
    db.session.commit()
    return version


def publish_version(version: ScheduleVersion, user: Any = None) -> ScheduleVersion:
    """Publish ``version``; the previously published one becomes superseded (one transaction)."""
    if version.status == "published":
        return version
    if version.status != "draft":
        raise ScheduleError(f"version {version.number} is {version.status}; only a draft can be "
                            "published")
    try:
        db.session.execute(
            update(ScheduleVersion)
            .where(ScheduleVersion.event_id == version.event_id,
                   ScheduleVersion.status == "published",
                   ScheduleVersion.id != version.id)
            .values(status="superseded")
            .execution_options(synchronize_session="fetch")
        )
        version.status = "published"
        version.published_at = utcnow()
        version.published_by_id = getattr(user, "id", None)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return version


def published_version(event: Event) -> ScheduleVersion | None:
    return db.session.scalar(select(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.status == "published"))


@dataclass(frozen=True)
class PersonalMeeting:
    """One of an attendee's meetings in the published schedule, partner resolved."""

    round: int
    table: int
    partner_name: str
    partner_company: str


def published_meetings_of(event_id: int, attendee_id: int, *, from_round: int = 1
                          ) -> list[PersonalMeeting]:
    """One attendee's meetings in the event's published schedule from ``from_round`` on, by
    round, in one query.

    A kiosk scan and a phone refreshing ``/me`` each need a handful of rows; loading the whole
    version (thousands of meetings) for them would cost more than the rest of the request.
    """
    rows = db.session.connection().execute(_personal_meetings_query(), {
        "event_id": event_id, "attendee_id": attendee_id, "from_round": from_round})
    return [PersonalMeeting(*row) for row in rows]


@functools.cache
def _personal_meetings_query() -> Any:
    """Built once: constructing this statement costs more than running it."""
    # Plain tables, not entities: rows come back as tuples without the ORM's per-row work.
    # Two halves (attendee on side a, then on side b) so each uses its own index
    # (ix_schedule_meetings_{a,b}_version_round); an OR would make the database walk the
    # whole version.
    partner_table = Attendee.__table__.alias("partner")
    partner, meeting, version = partner_table.c, ScheduleMeeting.__table__.c, ScheduleVersion.__table__.c
    event = Event.__table__.c

    def side(me: Any, other: Any) -> Any:
        # Meetings outside the event's current rounds or tables (cut after publishing) are
        # left out, as in version_schedule().
        return (
            select(meeting.round, meeting.table, partner.name, partner.company)
            .select_from(ScheduleMeeting.__table__
                         .join(ScheduleVersion.__table__, version.id == meeting.version_id)
                         .join(Event.__table__, event.id == version.event_id)
                         .join(partner_table, partner.id == other))
            .where(version.event_id == bindparam("event_id"), version.status == "published",
                   me == bindparam("attendee_id"), meeting.round >= bindparam("from_round"),
                   meeting.round <= event.rounds,
                   or_(event.tables == 0, meeting.table <= event.tables))
        )

    return union_all(side(meeting.a_id, meeting.b_id), side(meeting.b_id, meeting.a_id)
                     ).order_by(meeting.round)


def latest_draft(event: Event) -> ScheduleVersion | None:
    return db.session.scalar(
        select(ScheduleVersion)
        .where(ScheduleVersion.event_id == event.id, ScheduleVersion.status == "draft")
        .order_by(ScheduleVersion.number.desc()).limit(1)
    )


def list_versions(event: Event) -> list[ScheduleVersion]:
    """Every version of the event, newest first."""
    return list(db.session.scalars(
        select(ScheduleVersion).where(ScheduleVersion.event_id == event.id)
        .order_by(ScheduleVersion.number.desc())
    ))


def get_version(event: Event, number: int) -> ScheduleVersion | None:
    return db.session.scalar(select(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.number == number))


def schedule_jobs(event: Event, limit: int = 10) -> list[Job]:
    return list(db.session.scalars(
        select(Job).where(Job.event_id == event.id).order_by(Job.created_at.desc()).limit(limit)
    ))


# --------------------------------------------------------------------------- domain views


def version_schedule(version: ScheduleVersion) -> tuple[Schedule, list[DomainAttendee]]:
    """The version as domain objects: its Schedule (meeting ids = attendee ext_ids) and the
    event's attendees (badge order), for printing, calendars and display."""
    event = db.session.get(Event, version.event_id)
    rows = list(db.session.scalars(
        select(Attendee).where(Attendee.event_id == version.event_id).order_by(Attendee.badge_number)
    ))
    ext = {row.id: row.ext_id for row in rows}
    stored = db.session.execute(
        select(ScheduleMeeting.round, ScheduleMeeting.table, ScheduleMeeting.a_id,
               ScheduleMeeting.b_id, ScheduleMeeting.score, ScheduleMeeting.reason)
        .where(ScheduleMeeting.version_id == version.id)
        .order_by(ScheduleMeeting.round, ScheduleMeeting.table)
    ).all()
    meetings = tuple(Meeting(r, t, ext[a], ext[b], float(s or 0.0), reason or "")
                     for r, t, a, b, s, reason in stored
                     if event is None or in_event_range(event, r, t))
    report = version.report or {}
    rounds = int(report.get("rounds") or (event.rounds if event else 0))
    rounds = max([rounds, *(m.round for m in meetings)])
    tables = int(report.get("tables") or 0)
    tables = max([tables, *(m.table for m in meetings)])
    if event is not None:  # rounds or tables cut after this version was made
        rounds = min(rounds, event.rounds)
        tables = min(tables, event.tables) if event.tables else tables
    return Schedule(rounds, tables, meetings), [row.to_domain() for row in rows]


def in_event_range(event: Event, round_number: int, table: int) -> bool:
    """Whether a stored meeting fits the event's current rounds and tables. Settings changed
    after publishing (confirmed in the settings guard) leave meetings outside them: pages,
    exports and printouts leave those out until a revision replaces the version."""
    return round_number <= event.rounds and (not event.tables or table <= event.tables)


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
    percent_of_bound: float
    total_score: float
    upper_bound: float
    messages: list[str] = field(default_factory=list)


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

    report = version.report or {}
    pairs = [(people.get(m.a_id), people.get(m.b_id)) for m in schedule.meetings]
    known = [(a, b) for a, b in pairs if a is not None and b is not None]
    total = len(known)
    complementary = sum(1 for a, b in known if _complementary(a, b))
    cross = sum(1 for a, b in known if a.region.casefold() != b.region.casefold())
    sit_outs = report.get("sit_outs") or {}
    must = report.get("must_meet") or {}
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
        percent_of_bound=100.0 * float(report.get("ratio", 1.0 if upper <= 0 else score / upper)),
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
        return text.getvalue().encode("utf-8")
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
        select(func.count()).select_from(Attendee).where(Attendee.event_id == event.id))
    if exists or not has_people:
        return None
    version = plan_event(event, time_limit=time_limit, seed=seed)
    return publish_version(version)
