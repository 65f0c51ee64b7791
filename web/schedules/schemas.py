"""Request and response schemas of the schedules API (they are its OpenAPI documentation too).

:class:`JobOut` dumps a :class:`web.jobs.models.Job` row: the schedule job's, and the event
day's re-plan (``web.liveday.api``), which answers the same way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Float, Integer, String
from apiflask.validators import OneOf, Range
from flask import url_for

from web.api.fields import derived
from web.jobs import FINISHED_STATUSES
from web.jobs.models import Job
from web.schedules.models import ScheduleVersion
from web.schedules.planning import job_version


class ScheduleRequest(Schema):
    time_limit = Float(validate=Range(min=1, max=3600), metadata={"description": "Seconds the solver may use."})
    seed = Integer(load_default=0, validate=Range(min=0, max=2**31 - 1))
    mode = String(validate=OneOf(["revise", "regenerate"]), metadata={
        "description": "Once a version is published: 'revise' (the default) keeps every published meeting "
                       "the rules still allow and places the people who changed; 'regenerate' plans the "
                       "open rounds again from scratch. Before that, a full plan either way."})


class PublishRequest(Schema):
    force = Boolean(load_default=False, metadata={
        "description": "Publish although people checked in, registered or changed since the draft was "
                       "computed (the answer 409 lists them). A draft whose base version is no longer "
                       "published, or whose first re-planned round has started, is never published."})


def _attr(version: ScheduleVersion | None, name: str) -> int | None:
    return getattr(version, name) if version is not None else None


def _progress(job: Job) -> dict[str, Any]:
    return dict(job.progress or {})


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def job_url(job_id: str) -> str:
    """Where a job's status is read (``GET /api/v1/jobs/<id>``)."""
    return url_for("schedules_api.get_job", job_id=job_id)


class JobOut(Schema):
    """Dumps a :class:`Job`."""

    id = String()
    event_id = Integer()
    kind = String()
    status = String(metadata={"description": "queued, running, done, failed or cancelled"})
    finished = derived(Boolean, lambda j: j.status in FINISHED_STATUSES)
    cancel_requested = derived(Boolean, lambda j: bool(j.cancel_requested))
    progress = derived(Dict, _progress, metadata={"description": "The solver's latest figures."})
    error = derived(String, lambda j: j.error or "")
    result_version_id = derived(Integer, lambda j: _attr(job_version(j), "id"), allow_none=True)
    result_version = derived(
        Integer, lambda j: _attr(job_version(j), "number"),
        allow_none=True, metadata={"description": "Number of the draft the job stored."})
    mode = derived(String, lambda j: _progress(j).get("mode") or (j.params or {}).get("mode"),
                   allow_none=True, metadata={"description": "plan, revise or regenerate"})
    agendas_changed = derived(Integer, lambda j: _progress(j).get("agendas_changed"), allow_none=True, metadata={
        "description": "Attendees whose agenda from the first planned round differs from the published version."})
    meetings_moved = derived(Integer, lambda j: _progress(j).get("meetings_moved"), allow_none=True, metadata={
        "description": "Published meetings from the first planned round that the draft moves or drops."})
    created_at = derived(String, lambda j: _iso(j.created_at), allow_none=True)
    started_at = derived(String, lambda j: _iso(j.started_at), allow_none=True)
    finished_at = derived(String, lambda j: _iso(j.finished_at), allow_none=True)
    url = derived(String, lambda j: job_url(j.id))


class VersionOut(Schema):
    """Dumps a :class:`web.schedules.models.ScheduleVersion`."""

    number = Integer()
    status = String()
    kind = String()
    created_at = DateTime()
    published_at = DateTime(allow_none=True)
    meetings = derived(Integer, lambda v: len(v.meetings))
