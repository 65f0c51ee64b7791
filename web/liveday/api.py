"""Re-plan API: ``POST /api/v1/events/<slug>/replan`` starts a re-plan job (202).

Organiser bearer tokens only (:mod:`web.api.auth`). The answer is the job as the schedule job
gives it (``GET /api/v1/jobs/<id>``, also in Location) and its draft is published like a
schedule (``POST /api/v1/events/<slug>/schedule/publish`` publishes the latest draft).
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema, abort
from apiflask.fields import Integer
from apiflask.validators import Range

from web.api import SchemaAnswer, feature_blueprint
from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.api.fields import derived
from web.events.api import event_or_404
from web.jobs import JobBusy
from web.liveday.services import ReplanError, start_replan
from web.schedules.schemas import JobOut, job_url
from web.types import utcnow

api_bp = feature_blueprint("liveday_api", __name__, tag="Event day",
                           description="Re-plan the remaining rounds during the event.")


class ReplanRequest(Schema):
    from_round = Integer(load_default=None, allow_none=True, validate=Range(min=1), metadata={
        "description": "First round to change; default: the next round not yet started."})


class ReplanJobOut(JobOut):
    """Dumps a re-plan's :class:`web.jobs.models.Job`."""

    from_round = derived(Integer, lambda j: (j.params or {}).get("from_round"),
                         metadata={"description": "First round the re-plan changes."})


@api_bp.post("/events/<slug>/replan")
@api_bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)
@api_bp.input(ReplanRequest, location="json")
@api_bp.output(ReplanJobOut, status_code=202, description="Re-plan started; poll Location.")
@api_bp.doc(responses={404: "No such event.", 409: "Another job of this event is running.",
                       422: "No published schedule, nobody checked in, or the round has started."})
def start(slug: str, json_data: dict[str, Any]) -> SchemaAnswer:
    """Re-plan the remaining rounds for the attendees checked in"""
    event = event_or_404(slug)
    try:
        job = start_replan(event, json_data.get("from_round"), utcnow())
    except ReplanError as exc:
        abort(422, message=str(exc))
    except JobBusy as exc:
        abort(409, message=str(exc), detail={"job": job_url(exc.job.id)})
    return job, 202, {"Location": job_url(job.id)}
