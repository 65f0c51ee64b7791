"""API views (thin; see services). Every view needs an organiser's bearer token."""

from __future__ import annotations

from apiflask import abort
from apiflask.schemas import FileSchema
from apiflask.scaffold import _annotate
from flask import Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from scheduler.importer import AttendeeFileError
from web.api import bp
from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.api.lookup import event_or_404
from web.api.schemas import (
    AttendeeOut,
    EventCreate,
    EventOut,
    EventPatch,
    ImportErrorOut,
    ImportQuery,
    ImportSummaryOut,
    JobOut,
    PublishRequest,
    ScheduleRequest,
    SettingsConflictOut,
    VersionOut,
)
from web.api.services import (
    XLSX_TYPE,
    attendee_by_ext_id,
    attendee_dicts,
    event_dict,
    event_input,
    one_attendee_dict,
    file_format,
    import_attendee_file,
    save_event_from_api,
    schedule_csv,
)
from web.events.models import Event
from web.attendees.lifecycle import StateChangeRefused, restore_attendee, withdraw_attendee
from web.events.services import EventDataError, find_event, list_events, settings_conflicts
from web.extensions import db
from web.jobs.models import Job
from web.public.links import public_url

organiser_only = bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)


def _error(status: int, message: str, **extra: object) -> Response:
    response = jsonify({"message": message, **extra})
    response.status_code = status
    return response


def _event_json(event: Event) -> dict:
    return event_dict(event, public_url("public.register_page", slug=event.slug))


def _save(data: dict, event: Event | None = None) -> Event:
    try:
        return save_event_from_api(data, event)
    except EventDataError as exc:
        db.session.rollback()
        abort(422, str(exc), detail={"json": {exc.field: [str(exc)]}})


@bp.get("/events")
@organiser_only
@bp.output(EventOut(many=True))
@bp.doc(summary="List events", description="Newest first.")
def get_events() -> ResponseReturnValue:
    return [_event_json(e) for e in list_events()]


@bp.post("/events")
@organiser_only
@bp.input(EventCreate, arg_name="data")
@bp.output(EventOut, status_code=201, description="The created event; Location is its URL.")
@bp.doc(summary="Create an event", responses={409: "The short name is taken", 422: "Invalid fields"})
def create_event(data: dict) -> ResponseReturnValue:
    if find_event(data["slug"]) is not None:
        abort(409, f"Another event already uses '{data['slug']}'.")
    event = _save(data)
    return _event_json(event), 201, {"Location": url_for("api.get_event", slug=event.slug)}


@bp.get("/events/<slug>")
@organiser_only
@bp.output(EventOut)
@bp.doc(summary="Get an event", responses={404: "Unknown event"})
def get_event(slug: str) -> ResponseReturnValue:
    return _event_json(event_or_404(slug))


@bp.patch("/events/<slug>")
@organiser_only
@bp.input(EventPatch, arg_name="data")
@bp.output(EventOut)
@bp.doc(summary="Change an event",
        description="Only the fields sent change. With a published schedule, a change that "
                    "cuts published meetings (fewer rounds or tables) or moves their times "
                    "answers 409 with the conflicts, unless the body has `\"confirm\": true`.",
        responses={404: "Unknown event", 422: "Invalid fields",
                   409: {"description": "The change would break the published schedule",
                         "content": {"application/json": {"schema": SettingsConflictOut}}}})
def patch_event(slug: str, data: dict) -> ResponseReturnValue:
    event = event_or_404(slug)
    confirm = bool(data.pop("confirm", False))
    if not confirm:
        conflicts = settings_conflicts(event, event_input(data, event))
        if conflicts:
            return _error(409, "This change would break the published schedule: "
                               + "; ".join(c.message for c in conflicts)
                               + '. Send "confirm": true to apply it anyway.',
                          conflicts=[{"kind": c.kind, "message": c.message} for c in conflicts])
    return _event_json(_save(data, event))


@bp.get("/events/<slug>/attendees")
@organiser_only
@bp.output(AttendeeOut(many=True))
@bp.doc(summary="List attendees",
        description="In badge order, with their state (registered, withdrawn, checked-in, "
                    "left or no-show) and whether they have a check-in.",
        responses={404: "Unknown event"})
def get_attendees(slug: str) -> ResponseReturnValue:
    return attendee_dicts(event_or_404(slug))


def _attendee_or_404(slug: str, attendee_id: str):  # type: ignore[no-untyped-def]
    event = event_or_404(slug)
    attendee = attendee_by_ext_id(event, attendee_id)
    if attendee is None:
        abort(404, f"Event '{event.slug}' has no attendee with id '{attendee_id[:64]}'.")
    return attendee


@bp.post("/events/<slug>/attendees/<attendee_id>/withdraw")
@organiser_only
@bp.output(AttendeeOut)
@bp.doc(summary="Withdraw an attendee",
        description="Cancelled: kept for the record, out of every future round and re-plan, "
                    "until restored. `attendee_id` is the attendee file's id.",
        responses={404: "Unknown event or attendee", 409: "Already withdrawn"})
def withdraw(slug: str, attendee_id: str) -> ResponseReturnValue:
    attendee = _attendee_or_404(slug, attendee_id)
    try:
        withdraw_attendee(attendee, token_auth.current_user)
    except StateChangeRefused as exc:
        abort(409, str(exc))
    return one_attendee_dict(attendee)


@bp.post("/events/<slug>/attendees/<attendee_id>/restore")
@organiser_only
@bp.output(AttendeeOut)
@bp.doc(summary="Restore a withdrawn attendee",
        description="Planned for again from the next revision.",
        responses={404: "Unknown event or attendee", 409: "Not withdrawn"})
def restore(slug: str, attendee_id: str) -> ResponseReturnValue:
    attendee = _attendee_or_404(slug, attendee_id)
    try:
        restore_attendee(attendee, token_auth.current_user)
    except StateChangeRefused as exc:
        abort(409, str(exc))
    return one_attendee_dict(attendee)


def _attendee_file_body(view):  # type: ignore[no-untyped-def]
    """Document the raw file body (APIFlask's input() only knows structured bodies)."""
    _annotate(view, body={"type": "string", "format": "binary"},
              content_type=["text/csv", XLSX_TYPE, "multipart/form-data"])
    return view


@bp.put("/events/<slug>/attendees")
@organiser_only
@_attendee_file_body
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.output(ImportSummaryOut)
@bp.doc(summary="Import the attendee file",
        description="Send the file (the importer's columns) as the body with `Content-Type: "
                    "text/csv` or the XLSX type, or as multipart field `file`. Rows are matched "
                    "by `id`: known attendees are updated (personal links, check-in codes and "
                    "badge numbers stay), new ones added. On any error nothing is stored and "
                    "the 422 answer lists every problem.",
        responses={404: "Unknown event", 415: "Not a CSV or XLSX file",
                   422: {"description": "The file has errors; nothing was stored",
                         "content": {"application/json": {"schema": ImportErrorOut}}}})
def put_attendees(slug: str, query: dict) -> ResponseReturnValue:
    event = event_or_404(slug)
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, "Send the attendee file in the multipart field 'file'.")
        fmt = file_format(upload.mimetype, upload.filename)
        data = upload.read()
    else:
        fmt = file_format(request.mimetype)
        data = request.get_data()
    if fmt is None:
        abort(415, f"Send the attendee file as a text/csv or {XLSX_TYPE} body, or as a .csv or "
                   ".xlsx file in the multipart field 'file'.")
    try:
        summary, warnings = import_attendee_file(event, data, fmt, query["remove_missing"])
    except AttendeeFileError as exc:
        errors = [{"line": e.line, "field": e.field, "message": e.message} for e in exc.errors]
        more = f" (the first {len(errors)} are listed)" if exc.more else ""
        return _error(422, f"The attendee file has {exc.total} problem"
                           f"{'' if exc.total == 1 else 's'}{more}; nothing was stored.", errors=errors)
    return {**vars(summary),
            "warnings": [{"line": w.line, "field": w.field, "message": w.message} for w in warnings]}


def _job_json(job: Job) -> dict:
    from web.jobs import job_status_dict

    data = job_status_dict(job)
    data["result_version"] = data["version_number"]
    progress = data.get("progress") or {}
    data["mode"] = progress.get("mode") or (job.params or {}).get("mode")
    data["agendas_changed"] = progress.get("agendas_changed")
    data["meetings_moved"] = progress.get("meetings_moved")
    data["url"] = url_for("api.get_job", job_id=job.id)
    return data


@bp.post("/events/<slug>/schedule")
@organiser_only
@bp.input(ScheduleRequest, arg_name="data")
@bp.output(JobOut, status_code=202, description="The job started; poll Location.")
@bp.doc(summary="Compute a schedule",
        description="Starts a background job that stores a new draft version. Once a version is "
                    "published this revises it by default; the finished job reports agendas_changed "
                    "and meetings_moved against the published version.",
        responses={404: "Unknown event", 409: "A job is already running for this event"})
def start_schedule(slug: str, data: dict) -> ResponseReturnValue:
    from web.jobs import JobBusy
    from web.schedules.services import PlanningError, ScheduleError, start_schedule_job

    event = event_or_404(slug)
    try:
        job = start_schedule_job(event, time_limit=data.get("time_limit"), seed=data.get("seed", 0),
                                 mode=data.get("mode"))
    except PlanningError as exc:
        abort(409, str(exc))
    except JobBusy as exc:
        abort(409, str(exc), detail={"job": url_for("api.get_job", job_id=exc.job.id)})
    except ScheduleError as exc:
        abort(409, str(exc))
    return _job_json(job), 202, {"Location": url_for("api.get_job", job_id=job.id)}


@bp.get("/jobs/<job_id>")
@organiser_only
@bp.output(JobOut)
@bp.doc(summary="Job status and progress", responses={404: "Unknown job"})
def get_job(job_id: str) -> ResponseReturnValue:
    job = db.session.get(Job, job_id[:36])
    if job is None:
        abort(404, f"There is no job '{job_id[:36]}'; use the job URL from the Location header "
                   "of the schedule request that started it.")
    return _job_json(job)


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
def publish_schedule(slug: str, data: dict) -> ResponseReturnValue:
    from web.schedules.services import ScheduleError, StalePublish, latest_draft, publish_version

    event = event_or_404(slug)
    draft = latest_draft(event)
    if draft is None:
        abort(409, "There is no draft schedule to publish; compute one first.")
    try:
        version = publish_version(draft, token_auth.current_user, force=bool(data.get("force")))
    except StalePublish as exc:
        abort(409, str(exc), detail={"blocking": exc.check.blocking, "warnings": exc.check.warnings,
                                     "version": draft.number})
    except ScheduleError as exc:
        abort(409, str(exc))
    return {"number": version.number, "status": version.status, "kind": version.kind,
            "created_at": version.created_at, "published_at": version.published_at,
            "meetings": len(version.meetings)}


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
