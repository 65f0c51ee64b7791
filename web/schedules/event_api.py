"""The event endpoints of the API: ``/api/v1/events`` and ``/api/v1/events/<slug>`` (organiser
tokens), on the events feature's blueprint (tag "Events", endpoints ``events_api.*``).

Each answer carries the event's schedule figures (``schedule_status``, ``published_version``)
and a PATCH that would cut or move published meetings answers 409 unless confirmed: answers
read from the stored versions, so the endpoints live here, above the data, and compute them
with plain calls (:func:`schedule_figures`, :func:`web.schedules.settings_guard.settings_conflicts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apiflask import Schema, abort
from apiflask.fields import Integer, List, Nested, String
from flask import url_for
from marshmallow import pre_dump
from sqlalchemy import func, select

from web.api import SchemaAnswer, schema_answer
from web.events.api import api_user, bp, event_input, event_or_404, organiser_only, refuse_event_limited
from web.events.models import Event
from web.events.schemas import EventCreate, EventFields, EventPatch
from web.events.services import EventDataError, find_event, list_events, save_event
from web.extensions import db
from web.schedules.models import ScheduleVersion, VersionStatus
from web.schedules.settings_guard import settings_conflicts


class ScheduleState(StrEnum):
    NONE = "none"                    # no version stored
    DRAFT = "draft"                  # drafts only
    PUBLISHED = "published"


@dataclass(frozen=True)
class ScheduleFigures:
    status: ScheduleState
    published_version: int | None


def schedule_figures(event: Event) -> ScheduleFigures:
    """The schedule's state as the API reports it: published (with the version's number),
    only drafts, or none stored."""
    by_status = dict(db.session.execute(
        select(ScheduleVersion.status, func.max(ScheduleVersion.number))
        .where(ScheduleVersion.event_id == event.id).group_by(ScheduleVersion.status)).all())
    if VersionStatus.PUBLISHED in by_status:
        return ScheduleFigures(ScheduleState.PUBLISHED, by_status[VersionStatus.PUBLISHED])
    return ScheduleFigures(ScheduleState.DRAFT if VersionStatus.DRAFT in by_status else ScheduleState.NONE, None)


@dataclass(frozen=True)
class _FiguredEvent:
    """An event with its schedule figures, read once per dumped event."""

    event: Event
    schedule: ScheduleFigures

    def __getattr__(self, name: str) -> Any:
        return getattr(self.event, name)


class EventOut(EventFields):
    """Dumps an :class:`Event` with its schedule figures."""

    schedule_status = String(attribute="schedule.status",
                             metadata={"description": "none, draft or published"})
    published_version = Integer(attribute="schedule.published_version", allow_none=True)

    @pre_dump
    def _with_figures(self, event: Event, **_: Any) -> _FiguredEvent:
        return _FiguredEvent(event, schedule_figures(event))


class ConflictOut(Schema):
    kind = String(metadata={"description": "rounds, tables or times"})
    message = String()


class SettingsConflictOut(Schema):
    message = String()
    conflicts = List(Nested(ConflictOut))


def _save(data: dict[str, Any], event: Event | None = None, creator_id: int | None = None) -> Event:
    """Create or update like the console (the creator becomes the new event's first
    organiser); its refusal answers 422 naming the field."""
    try:
        return save_event(event_input(data, event), event, creator_id=creator_id)
    except EventDataError as exc:
        db.session.rollback()
        abort(422, str(exc), detail={"json": {exc.field: [str(exc)]}})


@bp.get("/events")
@organiser_only
@bp.output(EventOut(many=True))
@bp.doc(summary="List events", description="Newest first.")
def get_events() -> SchemaAnswer:
    user = api_user()
    return list_events(user.id, only_event_id=user.event_id)


@bp.post("/events")
@organiser_only
@bp.input(EventCreate, arg_name="data")
@bp.output(EventOut, status_code=201, description="The created event; Location is its URL.")
@bp.doc(summary="Create an event", responses={409: "The short name is taken", 422: "Invalid fields"})
def create_event(data: dict[str, Any]) -> SchemaAnswer:
    refuse_event_limited(api_user())
    if find_event(data["slug"]) is not None:
        abort(409, f"Another event already uses '{data['slug']}'.")
    event = _save(data, creator_id=api_user().id)
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
