"""Event-day API: the clock (``/api/v1/events/<slug>/clock``) and the re-plan
(``/api/v1/events/<slug>/replan``: GET previews who it plans for, POST starts it, 202).

Organiser bearer tokens only (:mod:`web.api.auth`). A re-plan's answer is the job as the
schedule job gives it (``GET /api/v1/jobs/<id>``, also in Location) and its draft is published
like a schedule (``POST /api/v1/events/<slug>/schedule/publish`` publishes the latest draft).
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema, abort
from apiflask.fields import Boolean, DateTime, Float, Integer, List, Nested, String
from apiflask.validators import OneOf, Range

from web.api import SchemaAnswer, feature_blueprint
from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.api.fields import derived
from web.events.api import event_or_404
from web.events.models import Event
from web.extensions import db
from web.jobs import JobBusy
from web.liveday.clock import (
    MAX_DELAY_MINUTES,
    ClockConfirmationNeeded,
    ClockError,
    ClockState,
    clock_state,
    delay_clock,
    pause_clock,
    reset_clock,
    resume_clock,
    start_clock,
)
from web.liveday.services import ReplanError, replan_preview, start_replan
from web.schedules.schemas import JobOut, job_url
from web.types import utcnow

api_bp = feature_blueprint("liveday_api", __name__, tag="Event day",
                           description="The event clock, and re-plans of the remaining rounds during the event.")
organiser_only = api_bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)

CLOCK_ACTIONS = ("start", "pause", "resume", "delay", "reset")


class ClockOut(Schema):
    """Dumps a :class:`web.events.clock.ClockState`."""

    phase = String(metadata={"description": "before, in_round, changeover, break, paused or finished"})
    current_round = Integer(allow_none=True)
    next_round = Integer(allow_none=True)
    first_open_round = Integer(allow_none=True, metadata={
        "description": "The first round not started: where re-plans begin (null: all started)."})
    rounds_started = Integer()
    rounds = Integer()
    seconds_to_next_bell = Float(allow_none=True)
    next_bell_at = DateTime(allow_none=True)
    started = Boolean(metadata={"description": "An organiser started the clock; false: it follows the timetable."})
    paused = Boolean()
    delay_minutes = Integer()


class ClockAction(Schema):
    action = String(required=True, validate=OneOf(CLOCK_ACTIONS), metadata={
        "description": "start (round 1 now), pause, resume, delay (by `minutes`) or reset "
                       "(back to the timetable)."})
    minutes = Integer(load_default=None, allow_none=True,
                      validate=Range(min=-MAX_DELAY_MINUTES, max=MAX_DELAY_MINUTES))
    confirm = Boolean(load_default=False, metadata={
        "description": "Needed to reset, and to start more than an hour before the planned "
                       "start: without it the answer is 409 saying what would be re-timed."})


class ReplanRequest(Schema):
    from_round = Integer(load_default=None, allow_none=True, validate=Range(min=1), metadata={
        "description": "First round to change; default: the next round not yet started."})
    leave_out_not_checked_in = Boolean(load_default=False, metadata={
        "description": "Also leave out people registered for rounds still to come who have not "
                       "checked in (default: they keep their meetings until their first round starts)."})


class ReplanJobOut(JobOut):
    """Dumps a re-plan's :class:`web.jobs.models.Job`."""

    from_round = derived(Integer, lambda j: (j.params or {}).get("from_round"),
                         metadata={"description": "First round the re-plan changes."})


class GroupOut(Schema):
    key = String(metadata={"description": "checked-in, registered (planned for); no-show, left, "
                                          "withdrawn (left out)"})
    label = String()
    count = derived(Integer, lambda g: len(g.people))
    ids = derived(List, lambda g: [a.ext_id for a in g.people], String())


class ReplanPreviewOut(Schema):
    from_round = Integer(allow_none=True)
    published_version = derived(Integer, lambda p: p.published.number if p.published else None, allow_none=True)
    planned_for = List(Nested(GroupOut))
    left_out = List(Nested(GroupOut))
    waiting = derived(List, lambda p: [a.ext_id for a in p.waiting], String(), metadata={
        "description": "Checked in, with no table in the published schedule's rounds to come."})
    unplaced = derived(List, lambda p: [a.ext_id for a in p.unplaced], String(), metadata={
        "description": "Registered and expected, not placed yet."})


def _apply(event: Event, data: dict[str, Any]) -> ClockState:
    now, confirm, action = utcnow(), bool(data.get("confirm")), data["action"]
    if action == "start":
        return start_clock(event, now, confirm=confirm)
    if action == "reset":
        return reset_clock(event, now, confirm=confirm)
    if action == "pause":
        return pause_clock(event, now)
    if action == "resume":
        return resume_clock(event, now)
    if not data.get("minutes"):
        raise ClockError(f"Delay by 1 to {MAX_DELAY_MINUTES} minutes: send `minutes`.")
    return delay_clock(event, int(data["minutes"]), now)


@api_bp.get("/events/<slug>/clock")
@organiser_only
@api_bp.output(ClockOut)
@api_bp.doc(summary="Where the session stands", responses={404: "No such event."})
def get_clock(slug: str) -> SchemaAnswer:
    return clock_state(event_or_404(slug), utcnow())


@api_bp.post("/events/<slug>/clock")
@organiser_only
@api_bp.input(ClockAction, location="json")
@api_bp.output(ClockOut)
@api_bp.doc(summary="Start, pause, resume, delay or reset the clock",
            responses={404: "No such event.",
                       409: "The action needs `confirm: true` (the message says what it re-times), "
                            "or does not fit the clock's state."})
def clock_action(slug: str, json_data: dict[str, Any]) -> SchemaAnswer:
    event = event_or_404(slug)
    try:
        return _apply(event, json_data)
    except ClockConfirmationNeeded as exc:
        db.session.rollback()
        abort(409, message=str(exc), detail={"confirm_required": True})
    except ClockError as exc:
        db.session.rollback()
        abort(409, message=str(exc))


@api_bp.get("/events/<slug>/replan")
@organiser_only
@api_bp.output(ReplanPreviewOut)
@api_bp.doc(summary="Who a re-plan would plan for and leave out", responses={404: "No such event."})
def preview(slug: str) -> SchemaAnswer:
    return replan_preview(event_or_404(slug), utcnow())


@api_bp.post("/events/<slug>/replan")
@organiser_only
@api_bp.input(ReplanRequest, location="json")
@api_bp.output(ReplanJobOut, status_code=202, description="Re-plan started; poll Location.")
@api_bp.doc(responses={404: "No such event.", 409: "Another job of this event is running.",
                       422: "No published schedule, nobody checked in, or the round has started."})
def start(slug: str, json_data: dict[str, Any]) -> SchemaAnswer:
    """Re-plan the remaining rounds for the people expected"""
    event = event_or_404(slug)
    try:
        job = start_replan(event, json_data.get("from_round"), utcnow(),
                           leave_out_not_checked_in=bool(json_data.get("leave_out_not_checked_in")))
    except ReplanError as exc:
        abort(422, message=str(exc))
    except JobBusy as exc:
        abort(409, message=str(exc), detail={"job": job_url(exc.job.id)})
    return job, 202, {"Location": job_url(job.id)}
