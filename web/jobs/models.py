"""The background job model: one row per long computation a feature runs off the web process.

It depends on no feature package: a job refers to its event by ``event_id``, names its kind as
text (a member of the owning feature's ``StrEnum``, see :func:`web.jobs.runner.job_handler`) and
keeps what its handler returned as neutral JSON (``result``); the feature that owns the kind
reads that JSON (schedules: the id of the draft version a plan stored).
"""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import Model
from web.types import UTCDateTime, utcnow


class JobStatus(StrEnum):
    """queued -> running -> done, failed or cancelled (a lost worker's job goes back to queued
    once, see :mod:`web.jobs.runner`)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


# The statuses of a job still to finish: at most one such job per event (see ``Job``).
ACTIVE_SQL = "status IN ('queued', 'running')"


def new_job_id() -> str:
    return str(uuid.uuid4())


class Job(Model):
    """A background computation (a plan, a re-plan) an organiser can watch and cancel.

    The row is the truth for pages and the API; the task queue only carries the job's id to a
    worker process. The worker polls ``cancel_requested`` and writes ``progress`` (the solver's
    latest figures) so the page can show them without a second channel. ``owner`` names the
    worker run holding the job and ``lease_until`` is when that claim lapses unless renewed,
    so a job whose worker was killed is noticed within seconds; ``attempts`` counts claims
    (a lost job is tried again once).

    At most one job per event is queued or running: a partial unique index
    (``uq_jobs_one_active``) says so in the database itself, so two web workers that start a
    job for one event at the same moment (two check-ins starting an automatic revision, two
    organisers pressing *Compute*) cannot both succeed, whatever transaction mode each runs in;
    :func:`web.jobs.runner.start_job` turns the refusal into :class:`~web.jobs.runner.JobBusy`.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(str(s)) for s in JobStatus)})", name="status"),
        Index("uq_jobs_one_active", "event_id", unique=True,
              sqlite_where=text(ACTIVE_SQL), postgresql_where=text(ACTIVE_SQL)),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_job_id)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what the kind's handler returned
    error: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
