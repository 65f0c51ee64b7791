"""Re-plan API: ``POST /api/v1/events/<slug>/replan`` starts a re-plan job (202).

Organiser bearer tokens only (:mod:`web.api.auth`). The job is followed like a schedule job
and its draft is published like a schedule (``POST /api/v1/events/<slug>/schedule/publish``
publishes the latest draft).
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Dict, Integer, String
from apiflask.validators import Range
from flask import url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.events.models import Event
from web.extensions import csrf, db
from web.liveday.services import ReplanError, start_replan
from web.jobs import JobBusy, job_status_dict  # after web.schedules (import order)
from web.types import utcnow

api_bp = APIBlueprint("liveday_api", __name__, url_prefix="/api/v1", tag="Event day")
# Bearer tokens only, never the sign-in cookie: a forged cross-site request has nothing to use.
csrf.exempt(api_bp)


class ReplanRequest(Schema):
    from_round = Integer(load_default=None, allow_none=True, validate=Range(min=1), metadata={
        "description": "First round to change; default: the next round not yet started."})


class JobAccepted(Schema):
    job = Dict(metadata={"description": "The job, as the job status endpoint returns it."})
    job_url = String(metadata={"description": "Poll this until the job has finished."})
    from_round = Integer()


def _event(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        abort(404, message="no such event")
    return event


def job_url(event: Event, job_id: str) -> str:
    """Where to follow a job: the schedules API when it has a job endpoint, else the console."""
    from flask import current_app

    if "schedules_api.get_job" in current_app.view_functions:
        return url_for("schedules_api.get_job", slug=event.slug, job_id=job_id, _external=True)
    return url_for("liveday.replan_job", slug=event.slug, job_id=job_id, _external=True)


@api_bp.post("/events/<slug>/replan")
@api_bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)
@api_bp.input(ReplanRequest, location="json")
@api_bp.output(JobAccepted, status_code=202, description="Re-plan started; follow job_url.")
@api_bp.doc(responses={404: "No such event.", 409: "Another job of this event is running.",
                       422: "No published schedule, nobody checked in, or the round has started."})
def start(slug: str, json_data: dict) -> ResponseReturnValue:
    """Re-plan the remaining rounds for the attendees checked in"""
    event = _event(slug)
    try:
        job = start_replan(event, json_data.get("from_round"), utcnow())
    except ReplanError as exc:
        abort(422, message=str(exc))
    except JobBusy as exc:
        abort(409, message=str(exc), detail={"job": job_status_dict(exc.job)})
    url = job_url(event, job.id)
    return ({"job": job_status_dict(job), "job_url": url, "from_round": job.params["from_round"]},
            202, {"Location": url})
