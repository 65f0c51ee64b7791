"""Events API: ``/api/v1/events`` and ``/api/v1/events/<slug>`` (organiser tokens).

Also the lookup every API endpoint under ``/events/<slug>`` starts with,
:func:`event_or_404`, which answers the API's JSON 404 (the console's ``get_event_or_404``
answers an HTML page).
"""

from __future__ import annotations

from typing import Any, NoReturn

from apiflask import abort
from flask import url_for

from scheduler.taxonomy import TAXONOMY_KEYS
from web.api import SchemaAnswer, feature_blueprint, schema_answer
from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.events.forms import WEIGHT_FIELDS
from web.events.models import Event
from web.events.schemas import EventCreate, EventOut, EventPatch, SettingsConflictOut
from web.events.services import (
    EventDataError,
    EventInput,
    find_event,
    form_data_for,
    format_breaks,
    list_events,
    save_event,
    settings_conflicts,
)
from web.extensions import db

bp = feature_blueprint("events_api", __name__, tag="Events",
                       description="Create, read and change events.")
organiser_only = bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)


def event_or_404(slug: str) -> Event:
    """The event ``slug`` names, or the API's JSON 404."""
    event = find_event(slug)
    if event is None:
        no_such_event(slug)
    return event


def no_such_event(slug: str) -> NoReturn:
    abort(404, message=f"There is no event with the short name '{slug}'.")


def event_input(data: dict[str, Any], event: Event | None = None) -> EventInput:
    """The console's :class:`EventInput` from API fields; fields not sent keep the event's
    current values (or the console's defaults for a new event)."""
    current = form_data_for(event)
    start = data.get("start")
    date = start.date() if start is not None else current["date"]
    start_time = start.time().replace(microsecond=0) if start is not None else current["start_time"]
    if "table_labels" in data:
        labels = "\n".join(label.strip() for label in data["table_labels"])
    else:
        labels = current.get("table_labels") or ""
    breaks = format_breaks(data["breaks"]) if "breaks" in data else current.get("breaks") or ""
    return EventInput(
        slug=data.get("slug", current.get("slug") or "").strip(),
        name=data.get("name", current.get("name") or "").strip(),
        venue=data.get("venue", current.get("venue") or "").strip(),
        date=date,
        start_time=start_time,
        timezone=data.get("timezone", current["timezone"]).strip(),
        rounds=data.get("rounds", current["rounds"]),
        round_minutes=data.get("round_minutes", current["round_minutes"]),
        changeover_minutes=data.get("changeover_minutes", current["changeover_minutes"]),
        tables=data.get("tables", current["tables"]),
        table_labels=labels,
        breaks_text=breaks,
        prefer_same_region=data.get("prefer_same_region", bool(current.get("prefer_same_region"))),
        registration_open=data.get("registration_open", bool(current.get("registration_open"))),
        auto_revise=data.get("auto_revise", bool(current.get("auto_revise"))),
        meetings=data.get("meetings", current.get("meetings")),
        break_spread=data.get("break_spread", current.get("break_spread")),
        weights={name: current[f"weight_{name}"] for name in WEIGHT_FIELDS},
        taxonomy_lists={key: current.get(key) or "" for key in TAXONOMY_KEYS},
    )


def _save(data: dict[str, Any], event: Event | None = None) -> Event:
    """Create or update like the console; its refusal answers 422 naming the field."""
    try:
        return save_event(event_input(data, event), event)
    except EventDataError as exc:
        db.session.rollback()
        abort(422, str(exc), detail={"json": {exc.field: [str(exc)]}})


@bp.get("/events")
@organiser_only
@bp.output(EventOut(many=True))
@bp.doc(summary="List events", description="Newest first.")
def get_events() -> SchemaAnswer:
    return list_events()


@bp.post("/events")
@organiser_only
@bp.input(EventCreate, arg_name="data")
@bp.output(EventOut, status_code=201, description="The created event; Location is its URL.")
@bp.doc(summary="Create an event", responses={409: "The short name is taken", 422: "Invalid fields"})
def create_event(data: dict[str, Any]) -> SchemaAnswer:
    if find_event(data["slug"]) is not None:
        abort(409, f"Another event already uses '{data['slug']}'.")
    event = _save(data)
    return event, 201, {"Location": url_for("events_api.get_event", slug=event.slug)}


@bp.get("/events/<slug>")
@organiser_only
@bp.output(EventOut)
@bp.doc(summary="Get an event", responses={404: "Unknown event"})
def get_event(slug: str) -> SchemaAnswer:
    return event_or_404(slug)


PATCH_RESPONSES: dict[int | str, Any] = {
    404: "Unknown event", 422: "Invalid fields",
    409: {"description": "The change would break the published schedule",
          "content": {"application/json": {"schema": SettingsConflictOut}}},
}


@bp.patch("/events/<slug>")
@organiser_only
@bp.input(EventPatch, arg_name="data")
@bp.output(EventOut)
@bp.doc(summary="Change an event",
        description="Only the fields sent change. With a published schedule, a change that "
                    "cuts published meetings (fewer rounds or tables) or moves their times "
                    "answers 409 with the conflicts, unless the body has `\"confirm\": true`.",
        responses=PATCH_RESPONSES)
def patch_event(slug: str, data: dict[str, Any]) -> SchemaAnswer:
    event = event_or_404(slug)
    confirm = bool(data.pop("confirm", False))
    if not confirm:
        conflicts = settings_conflicts(event, event_input(data, event))
        if conflicts:
            message = ("This change would break the published schedule: "
                       + "; ".join(c.message for c in conflicts)
                       + '. Send "confirm": true to apply it anyway.')
            return schema_answer(SettingsConflictOut(),
                                 {"message": message, "conflicts": conflicts}, 409)
    return _save(data, event)
