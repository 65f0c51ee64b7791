"""Stored schedule versions: store a plan result, find the published one, read one back.

Every plan or revision is stored as a new draft; publishing (``web.schedules.publishing``)
supersedes the previous published version. Domain conversion: stored meetings refer to attendee
rows; :func:`version_schedule` turns a version into ``scheduler.domain`` objects whose meeting
ids are the attendees' ``ext_id``.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, or_, select, union_all

from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Meeting, Schedule
from scheduler.solver import PlanResult
from web.attendees.models import Attendee, attendees_of
from web.audit import AuditAction, record
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion, VersionKind, VersionStatus
from web.schedules.reports import PlanParams, StoredReport


class ScheduleError(ValueError):
    """A schedule operation that cannot be done as asked (message is for the organiser)."""


def store_plan_result(event: Event, result: PlanResult, *, kind: VersionKind = VersionKind.PLAN,
                      from_round: int | None = None,
                      params: PlanParams | None = None,
                      base_version: ScheduleVersion | None = None,
                      inputs_at: dt.datetime | None = None,
                      revision: dict[str, Any] | None = None) -> ScheduleVersion:
    """Store ``result`` as the event's next draft version (meetings and report) and commit.

    Meeting ids are attendee ``ext_id``s; an id no longer in the event raises ScheduleError.
    ``base_version`` and ``inputs_at`` say which published version a revision revised and when
    it read the attendees (the publish checks use both); ``revision`` holds its figures
    against that version (agendas changed, meetings moved), kept in the report.
    """
    rows: dict[str, int] = dict(db.session.execute(
        attendees_of(event.id, Attendee.ext_id, Attendee.id)
    ).all())
    unknown = sorted({i for m in result.schedule.meetings for i in (m.a_id, m.b_id) if i not in rows})
    if unknown:
        raise ScheduleError("attendees removed while planning: " + ", ".join(unknown)
                            + "; plan again")
    report = StoredReport(result.report, rounds=result.schedule.rounds, tables=result.schedule.tables,
                          params=params, revision=dict(revision or {})).to_dict()
    number = (db.session.scalar(
        select(func.max(ScheduleVersion.number)).where(ScheduleVersion.event_id == event.id)
    ) or 0) + 1
    version = ScheduleVersion(event_id=event.id, number=number, status=VersionStatus.DRAFT, kind=kind,
                              from_round=from_round, report=report,
                              base_version_id=base_version.id if base_version is not None else None,
                              inputs_at=inputs_at)
    version.meetings = [
        ScheduleMeeting(round=m.round, table=m.table, a_id=rows[m.a_id], b_id=rows[m.b_id],
                        score=float(m.score), reason=m.reason)
        for m in sorted(result.schedule.meetings, key=lambda m: (m.round, m.table))
    ]
    db.session.add(version)
    figures = dict(revision or {})
    record(AuditAction.PLAN_STORED, event_id=event.id, target=f"version {number}", event=event.slug,
           version=number, kind=kind, mode=params.mode if params is not None else None,
           base=figures.get("base_version"), from_round=figures.get("from_round"), expected=figures.get("expected"),
           meetings=result.report.meetings, solver=result.report.status,
           agendas_changed=figures.get("agendas_changed"), meetings_moved=figures.get("meetings_moved"))
    db.session.commit()
    return version


def is_published(event_id: Any) -> ColumnElement[bool]:
    """The one rule for "the event's published version" as a query condition (``event_id``:
    an id or a column): the version of the event whose status is published, at most one
    (``uq_schedule_versions_one_published``)."""
    return and_(ScheduleVersion.event_id == event_id, ScheduleVersion.status == VersionStatus.PUBLISHED)


def published_version(event: Event | int) -> ScheduleVersion | None:
    """The event's published version (an event or its id), None before the first publish."""
    return db.session.scalar(select(ScheduleVersion).where(is_published(_event_id(event))))


def has_published_version(event: Event | int) -> bool:
    """Whether the event has a published version, without loading it."""
    return db.session.scalar(select(ScheduleVersion.id).where(is_published(_event_id(event)))) is not None


def _event_id(event: Event | int) -> int:
    return event if isinstance(event, int) else event.id


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
            .where(version.event_id == bindparam("event_id"), version.status == VersionStatus.PUBLISHED,
                   me == bindparam("attendee_id"), meeting.round >= bindparam("from_round"),
                   in_rounds_and_tables_sql(event.rounds, event.tables, meeting.round, meeting.table))
        )

    return union_all(side(meeting.a_id, meeting.b_id), side(meeting.b_id, meeting.a_id)
                     ).order_by(meeting.round)


def latest_draft(event: Event) -> ScheduleVersion | None:
    return db.session.scalar(
        select(ScheduleVersion)
        .where(ScheduleVersion.event_id == event.id, ScheduleVersion.status == VersionStatus.DRAFT)
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


def version_schedule(version: ScheduleVersion) -> tuple[Schedule, list[DomainAttendee]]:
    """The version as domain objects: its Schedule (meeting ids = attendee ext_ids) and the
    event's attendees (badge order), for printing, calendars and display."""
    event = db.session.get(Event, version.event_id)
    rows = list(db.session.scalars(
        attendees_of(version.event_id).order_by(Attendee.badge_number)
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
    report = version.plan_report
    rounds = report.rounds or (event.rounds if event else 0)
    rounds = max([rounds, *(m.round for m in meetings)])
    tables = max([report.tables, *(m.table for m in meetings)])
    if event is not None:  # rounds or tables cut after this version was made
        rounds = min(rounds, event.rounds)
        tables = min(tables, event.tables) if event.tables else tables
    return Schedule(rounds, tables, meetings), [row.to_domain() for row in rows]


def in_rounds_and_tables(rounds: int, tables: int | None, round_number: int, table: int) -> bool:
    """Whether a stored meeting fits ``rounds`` and ``tables`` (0: as many tables as needed).
    Settings changed after publishing (confirmed in the settings guard) leave meetings outside
    the event's current ones: pages, exports, printouts and the kiosk leave those out until a
    revision replaces the version. :func:`in_rounds_and_tables_sql` is the same rule in SQL."""
    return round_number <= rounds and (not tables or table <= tables)


def in_rounds_and_tables_sql(rounds: Any, tables: Any, round_column: Any = None,
                             table_column: Any = None) -> ColumnElement[bool]:
    """:func:`in_rounds_and_tables` as a query condition (``rounds``, ``tables``: values or the
    event's columns; the columns default to ``ScheduleMeeting``'s)."""
    round_column = ScheduleMeeting.round if round_column is None else round_column
    table_column = ScheduleMeeting.table if table_column is None else table_column
    return and_(round_column <= rounds, or_(tables == 0, table_column <= tables))


def in_event_range(event: Event, round_number: int, table: int) -> bool:
    """Whether a stored meeting fits the event's current rounds and tables."""
    return in_rounds_and_tables(event.rounds, event.tables, round_number, table)


