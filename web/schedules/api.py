"""Schedules API: compute, publish and download the schedule, read a job's status and cancel
it (``/api/v1/events/<slug>/schedule...``, ``/api/v1/jobs/<id>[/cancel]``; organiser tokens).

The job endpoint lives here, not in ``web.jobs``: jobs is the lowest layer, below the API's
token auth, and the jobs an API client starts are this feature's (and the event day's re-plans,
which answer with :class:`JobOut` too).
"""

from __future__ import annotations

import io
from typing import Any

from apiflask import abort
from apiflask.schemas import FileSchema
from flask import Response
from flask.typing import ResponseReturnValue

from scheduler.schedule_io import write_schedule_csv
from web.api import SchemaAnswer, feature_blueprint
from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.events.access import Access
from web.events.api import event_or_404, token_may
from web.events.models import Event
from web.jobs import FINISHED_STATUSES, JobBusy, current_job, request_cancel
from web.jobs.models import Job
from web.schedules.planning import start_schedule_job
from web.schedules.publishing import StalePublish, publish_version
from web.schedules.revisions import PlanningError
from web.schedules.schemas import JobOut, PublishRequest, ScheduleRequest, VersionOut, job_url
from web.schedules.versions import ScheduleError, latest_draft, published_version, version_schedule

bp = feature_blueprint("schedules_api", __name__, tag="Schedules",
                       description="Compute, publish and download schedules; job status and cancel.")
organiser_only = bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)


def schedule_csv(event: Event) -> bytes | None:
    """The published schedule in the CLI's SCHEDULE.csv columns plus local start and end."""
    version = published_version(event)
    if version is None:
        return None
    schedule, attendees = version_schedule(version)
    out = io.StringIO()
    write_schedule_csv(schedule, attendees, out, timetable=event.timetable())
    return out.getvalue().encode("utf-8")


@bp.post("/events/<slug>/schedule")
@organiser_only
@bp.input(ScheduleRequest, arg_name="data")
@bp.output(JobOut, status_code=202, description="The job started; poll Location.")
@bp.doc(summary="Compute a schedule",
        description="Starts a background job that stores a new draft version. Once a version is "
                    "published this revises it by default; the finished job reports agendas_changed "
                    "and meetings_moved against the published version.",
        responses={404: "Unknown event", 409: "A job is already running for this event"})
def start_schedule(slug: str, data: dict[str, Any]) -> SchemaAnswer:
    event = event_or_404(slug)
    try:
        job = start_schedule_job(event, time_limit=data.get("time_limit"), seed=data.get("seed", 0),
                                 mode=data.get("mode"))
    except JobBusy as exc:
        abort(409, str(exc), detail={"job": job_url(exc.job.id)})
    except (PlanningError, ScheduleError) as exc:
        abort(409, str(exc))
    return job, 202, {"Location": job_url(job.id)}


def _job_or_404(job_id: str) -> Job:
    """The job as it stands (the lost-worker rule applied first, so a job whose worker died
    never reads "running"), else a 404 that says where job URLs come from."""
    job = current_job(job_id[:36])
    if job is None or not token_may(job.event_id, Access.ORGANISE):
        abort(404, f"There is no job '{job_id[:36]}'; use the job URL from the Location header "
                   "of the request that started it.")
    return job


@bp.get("/jobs/<job_id>")
@organiser_only
@bp.output(JobOut)
@bp.doc(summary="Job status and progress", responses={404: "Unknown job"})
def get_job(job_id: str) -> SchemaAnswer:
    return _job_or_404(job_id)


@bp.post("/jobs/<job_id>/cancel")
@organiser_only
@bp.output(JobOut, status_code=202,
           description="Cancel requested: a queued job is cancelled at once, a running one stops "
                       "within a second or so and keeps the best schedule found as a draft; poll "
                       "the job until `finished`.")
@bp.doc(summary="Cancel a job",
        responses={404: "Unknown job", 409: "The job has already finished (done, failed or cancelled)"})
def cancel_job(job_id: str) -> SchemaAnswer:
    job = _job_or_404(job_id)
    if job.status in FINISHED_STATUSES:
        abort(409, f"The job has already finished ({job.status}); there is nothing to cancel.",
              detail={"job": job_url(job.id), "status": job.status})
    job = request_cancel(job)
    if job.status in FINISHED_STATUSES and not job.cancel_requested:  # it ended as we asked
        abort(409, f"The job has already finished ({job.status}); there is nothing to cancel.",
              detail={"job": job_url(job.id), "status": job.status})
    return job, 202, {"Location": job_url(job.id)}


@bp.post("/events/<slug>/schedule/publish")
@organiser_only
@bp.input(PublishRequest, arg_name="data")
@bp.output(VersionOut)
@bp.doc(summary="Publish the latest draft",
        description="Attendees see it on their pages and calendars; the previously published "
                    "version is superseded.",
        responses={404: "Unknown event",
                   409: "There is no draft to publish, or the draft is stale: `blocking` and "
                        "`warnings` say why (send force=true to accept the warnings)"})
def publish_schedule(slug: str, data: dict[str, Any]) -> SchemaAnswer:
    event = event_or_404(slug)
    draft = latest_draft(event)
    if draft is None:
        abort(409, "There is no draft schedule to publish; compute one first.")
    try:
        return publish_version(draft, token_auth.current_user, force=bool(data.get("force")))
    except StalePublish as exc:
        abort(409, str(exc), detail={"blocking": exc.check.blocking, "warnings": exc.check.warnings,
                                     "version": draft.number})
    except ScheduleError as exc:
        abort(409, str(exc))


@bp.get("/events/<slug>/schedule.csv")
@organiser_only
@bp.output(FileSchema(type="string", format="binary"), content_type="text/csv",
           description="The published schedule: the CLI's SCHEDULE.csv columns plus local start and end.")
@bp.doc(summary="Download the published schedule",
        responses={404: "Unknown event, or nothing published yet"})
def get_schedule_csv(slug: str) -> ResponseReturnValue:
    event = event_or_404(slug)
    data = schedule_csv(event)
    if data is None:
        abort(404, "No schedule has been published for this event yet.")
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}-schedule.csv"'
    return response
