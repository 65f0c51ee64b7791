"""Re-plan API: ``POST /api/v1/events/<slug>/replan`` starts a re-plan job (202).

Organiser bearer tokens only (:mod:`web.api.auth`). The answer is the job as the schedule job
gives it (``GET /api/v1/jobs/<id>``, also in Location) and its draft is published like a schedule (``POST /api/v1/events/<slug>/schedule/publish``
publishes the latest draft).
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Integer
from apiflask.validators import Range
from flask import url_for
from flask.typing import ResponseReturnValue

from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.api.lookup import event_or_404
from web.api.schemas import JobOut
from web.extensions import csrf
from web.liveday.services import ReplanError, start_replan
from web.jobs.models import Job
from web.jobs import JobBusy, job_status_dict  # after web.schedules (import order)
from web.types import utcnow

api_bp = APIBlueprint("liveday_api", __name__, url_prefix="/api/v1", tag="Event day")
# Bearer tokens only, never the sign-in cookie: a forged cross-site request has nothing to use.
csrf.exempt(api_bp)


class ReplanRequest(Schema):
    from_round = Integer(load_default=None, allow_none=True, validate=Range(min=1), metadata={
        "description": "First round to change; default: the next round not yet started."})


class ReplanJobOut(JobOut):
    from_round = Integer(metadata={"description": "First round the re-plan changes."})


def job_payload(job: Job) -> dict:
    """The job as the schedule job answers it (``GET /api/v1/jobs/<id>`` follows it)."""
    data = job_status_dict(job)
    data["result_version"] = job.result_version.number if job.result_version is not None else None
    data["url"] = url_for("api.get_job", job_id=job.id)
    data["from_round"] = (job.params or {}).get("from_round")
    return data


@api_bp.post("/events/<slug>/replan")
@api_bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)
@api_bp.input(ReplanRequest, location="json")
@api_bp.output(ReplanJobOut, status_code=202, description="Re-plan started; poll Location.")
@api_bp.doc(responses={404: "No such event.", 409: "Another job of this event is running.",
                       422: "No published schedule, nobody checked in, or the round has started."})
def start(slug: str, json_data: dict) -> ResponseReturnValue:
    """Re-plan the remaining rounds for the attendees checked in"""
    event = event_or_404(slug)
    try:
        job = start_replan(event, json_data.get("from_round"), utcnow())
    except ReplanError as exc:
        abort(422, message=str(exc))
    except JobBusy as exc:
        abort(409, message=str(exc), detail={"job": url_for("api.get_job", job_id=exc.job.id)})
    return job_payload(job), 202, {"Location": url_for("api.get_job", job_id=job.id)}
