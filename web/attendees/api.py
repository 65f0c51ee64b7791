"""Attendees API: the attendee file, the list with states, withdraw and restore
(``/api/v1/events/<slug>/attendees...``, organiser tokens).

Who is checked in comes from the check-in feature through ``checked_in_lookup``
(:mod:`web.attendees.lifecycle`), as on the console's pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apiflask import abort
from apiflask.scaffold import _annotate
from flask import request
from sqlalchemy import select

from scheduler.importer import AttendeeFileError
from web.api import SchemaAnswer, feature_blueprint, schema_answer
from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.attendees.lifecycle import StateChangeRefused, restore_attendee, withdraw_attendee
from web.attendees.models import Attendee
from web.attendees.presence import checked_in_ids, presence, state_of
from web.attendees.schemas import (
    AttendeeOut,
    AttendeeStanding,
    ImportAnswer,
    ImportErrorOut,
    ImportQuery,
    ImportSummaryOut,
)
from web.attendees.services import commit_import, parse_upload
from web.events.api import event_or_404
from web.events.models import Event
from web.extensions import db
from web.types import utcnow

bp = feature_blueprint("attendees_api", __name__, tag="Attendees",
                       description="The attendee file, attendees' states, withdraw and restore.")
organiser_only = bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_TYPES = {"text/csv": "csv", "application/csv": "csv", XLSX_TYPE: "xlsx"}


def file_format(content_type: str | None, filename: str | None = None) -> str | None:
    """``csv``/``xlsx`` from a file name's extension or a content type; ``None`` if neither fits."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    return FILE_TYPES.get((content_type or "").split(";")[0].strip().lower())


def standings(event: Event) -> list[AttendeeStanding]:
    """Attendees in badge order with their state (one question for who is checked in)."""
    rows = list(db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.badge_number)))
    checked = checked_in_ids(event.id)
    states = presence(event, utcnow(), rows).states
    return [AttendeeStanding(a, states[a.id], a.id in checked) for a in rows]


def standing(attendee: Attendee) -> AttendeeStanding:
    checked = attendee.id in checked_in_ids(attendee.event_id, [attendee.id])
    return AttendeeStanding(attendee, state_of(attendee), checked)


def _attendee_or_404(slug: str, attendee_id: str) -> Attendee:
    event = event_or_404(slug)
    attendee = db.session.scalar(select(Attendee).where(Attendee.event_id == event.id,
                                                        Attendee.ext_id == attendee_id[:64]))
    if attendee is None:
        abort(404, f"Event '{event.slug}' has no attendee with id '{attendee_id[:64]}'.")
    return attendee


@bp.get("/events/<slug>/attendees")
@organiser_only
@bp.output(AttendeeOut(many=True))
@bp.doc(summary="List attendees",
        description="In badge order, with their state (registered, withdrawn, checked-in, "
                    "left or no-show) and whether they have a check-in.",
        responses={404: "Unknown event"})
def get_attendees(slug: str) -> SchemaAnswer:
    return standings(event_or_404(slug))


@bp.post("/events/<slug>/attendees/<attendee_id>/withdraw")
@organiser_only
@bp.output(AttendeeOut)
@bp.doc(summary="Withdraw an attendee",
        description="Cancelled: kept for the record, out of every future round and re-plan, "
                    "until restored. `attendee_id` is the attendee file's id.",
        responses={404: "Unknown event or attendee", 409: "Already withdrawn"})
def withdraw(slug: str, attendee_id: str) -> SchemaAnswer:
    return _change_state(slug, attendee_id, withdraw_attendee)


@bp.post("/events/<slug>/attendees/<attendee_id>/restore")
@organiser_only
@bp.output(AttendeeOut)
@bp.doc(summary="Restore a withdrawn attendee",
        description="Planned for again from the next revision.",
        responses={404: "Unknown event or attendee", 409: "Not withdrawn"})
def restore(slug: str, attendee_id: str) -> SchemaAnswer:
    return _change_state(slug, attendee_id, restore_attendee)


def _change_state(slug: str, attendee_id: str, change: Callable[[Attendee, Any], Any]) -> SchemaAnswer:
    """Apply a state change as the token's account; a change the rules refuse answers 409."""
    attendee = _attendee_or_404(slug, attendee_id)
    try:
        change(attendee, token_auth.current_user)
    except StateChangeRefused as exc:
        abort(409, str(exc))
    return standing(attendee)


def _attendee_file_body(view: Any) -> Any:
    """Document the raw file body (APIFlask's input() only knows structured bodies)."""
    _annotate(view, body={"type": "string", "format": "binary"},
              content_type=["text/csv", XLSX_TYPE, "multipart/form-data"])
    return view


def _uploaded_file() -> tuple[str | None, bytes]:
    """The file's format (``None``: neither CSV nor XLSX) and bytes, from the raw body or
    the multipart field ``file``."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, "Send the attendee file in the multipart field 'file'.")
        return file_format(upload.mimetype, upload.filename), upload.read()
    return file_format(request.mimetype), request.get_data()


IMPORT_RESPONSES: dict[int | str, Any] = {
    404: "Unknown event", 415: "Not a CSV or XLSX file",
    422: {"description": "The file has errors; nothing was stored",
          "content": {"application/json": {"schema": ImportErrorOut}}},
}


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
        responses=IMPORT_RESPONSES)
def put_attendees(slug: str, query: dict[str, Any]) -> SchemaAnswer:
    event = event_or_404(slug)
    fmt, data = _uploaded_file()
    if fmt is None:
        abort(415, f"Send the attendee file as a text/csv or {XLSX_TYPE} body, or as a .csv or "
                   ".xlsx file in the multipart field 'file'.")
    try:
        attendees, warnings = parse_upload(event, data, f"attendees.{fmt}")
        summary = commit_import(event, attendees, query["remove_missing"])
    except AttendeeFileError as exc:
        more = f" (the first {len(exc.errors)} are listed)" if exc.more else ""
        message = (f"The attendee file has {exc.total} problem{'' if exc.total == 1 else 's'}"
                   f"{more}; nothing was stored.")
        return schema_answer(ImportErrorOut(), {"message": message, "errors": exc.errors}, 422)
    return ImportAnswer(summary, warnings)
