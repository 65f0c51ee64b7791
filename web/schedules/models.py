"""Stored schedules and the background jobs that compute them.

Every plan or re-plan creates a new :class:`ScheduleVersion`; publishing one supersedes the
previous published version, so what attendees saw at any moment can be reconstructed. At most
one version per event is ``published`` (enforced by a partial unique index).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.domain import Meeting, Schedule
from web.attendees.models import REMOVAL_REFUSED
from web.extensions import Model
from web.schedules.reports import StoredReport
from web.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # names for the checker; the mapper resolves them by name at run time
    from web.attendees.models import Attendee
    from web.auth.models import User

IN_A_STORED_SCHEDULE = "in a stored schedule"


class VersionStatus(StrEnum):
    """A version is drafted, published (at most one per event) and superseded by the next."""

    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class VersionKind(StrEnum):
    """How a version was made: a plan from scratch, an event-day re-plan, or a revision (derived
    from the planning request, :attr:`web.schedules.revisions.PlanningRequest.version_kind`)."""

    PLAN = "plan"
    REPLAN = "replan"
    REVISION = "revision"


VERSION_STATUSES = tuple(VersionStatus)
VERSION_KINDS = tuple(VersionKind)


def _one_of(column: str, values: tuple[StrEnum, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class ScheduleVersion(Model):
    """One complete schedule for an event. ``from_round`` is the first round a re-plan changed.

    A revision (kind ``revision`` or ``replan``) records the published version it revised
    (``base_version_id``) and when it read the attendee list (``inputs_at``), so publishing it
    can tell whether the room changed in the meantime.
    """

    __tablename__ = "schedule_versions"
    __table_args__ = (
        UniqueConstraint("event_id", "number"),
        CheckConstraint(_one_of("status", VERSION_STATUSES), name="status"),
        CheckConstraint(_one_of("kind", VERSION_KINDS), name="kind"),
        Index(
            "uq_schedule_versions_one_published",
            "event_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT)
    kind: Mapped[str] = mapped_column(String(16), default=VersionKind.PLAN)
    from_round: Mapped[int | None]
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("schedule_versions.id", ondelete="SET NULL"))
    inputs_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    published_by: Mapped[User | None] = relationship()
    base_version: Mapped[ScheduleVersion | None] = relationship(remote_side="ScheduleVersion.id")
    meetings: Mapped[list[ScheduleMeeting]] = relationship(
        back_populates="version", cascade="all, delete-orphan", passive_deletes=True,
        order_by="(ScheduleMeeting.round, ScheduleMeeting.table)",
    )

    def to_domain(self, rounds: int, tables: int) -> Schedule:
        """Domain schedule; meetings refer to attendees by their external ids."""
        return Schedule(
            rounds=rounds,
            tables=tables,
            meetings=tuple(
                Meeting(round=m.round, table=m.table, a_id=m.a.ext_id, b_id=m.b.ext_id,
                        score=m.score, reason=m.reason)
                for m in self.meetings
            ),
        )

    @property
    def plan_report(self) -> StoredReport:
        """The stored ``report``, typed: the solver's report and the web's figures beside it."""
        return StoredReport.from_dict(self.report)

    @property
    def revises(self) -> bool:
        """A revision of a published version (console or event day), not a plan from scratch."""
        return self.kind in (VersionKind.REVISION, VersionKind.REPLAN)


class ScheduleMeeting(Model):
    """Two attendees at one table in one round of one schedule version."""

    __tablename__ = "schedule_meetings"
    __table_args__ = (
        UniqueConstraint("version_id", "round", "table"),
        CheckConstraint("a_id <> b_id", name="distinct_attendees"),
        # One person's meetings in one version (kiosk welcome, /me "now and next"): without
        # these the database walks every meeting of the version for each scan.
        Index("ix_schedule_meetings_a_version_round", "a_id", "version_id", "round"),
        Index("ix_schedule_meetings_b_version_round", "b_id", "version_id", "round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("schedule_versions.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[int]
    table: Mapped[int]
    # An attendee in a stored schedule must not vanish: the database refuses the delete, and
    # the attendees feature lists the reason before it tries (web.attendees.models).
    a_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="RESTRICT",
                                                 info={REMOVAL_REFUSED: IN_A_STORED_SCHEDULE}))
    b_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="RESTRICT",
                                                 info={REMOVAL_REFUSED: IN_A_STORED_SCHEDULE}))
    score: Mapped[float] = mapped_column(default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[ScheduleVersion] = relationship(back_populates="meetings")
    a: Mapped[Attendee] = relationship(foreign_keys=[a_id])
    b: Mapped[Attendee] = relationship(foreign_keys=[b_id])

