"""The events API's blueprint (``/api/v1``, tag "Events") and what every endpoint under
``/events/<slug>`` shares: :func:`event_or_404` (the API's JSON 404; the console's
``get_event_or_404`` answers an HTML page) and :func:`event_input` (API fields -> the console's
:class:`EventInput`).

The endpoints ``/api/v1/events`` and ``/api/v1/events/<slug>`` answer with the schedule's
figures and refuse a change that breaks the published schedule, which this feature (the
lowest) may not ask about: they are defined in :mod:`web.schedules.event_api`, on this
blueprint.
"""

from __future__ import annotations

from typing import Any, NoReturn

from apiflask import abort

from scheduler.addresses import single_line
from scheduler.taxonomy import TAXONOMY_KEYS
from web.api import feature_blueprint
from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.events.forms import WEIGHT_FIELDS
from web.events.models import Event
from web.events.services import (
    EventInput,
    find_event,
    form_data_for,
    format_breaks,
)

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
        registration_confirm=data.get("registration_confirm"),
        privacy_notice=data["privacy_notice"].strip() if "privacy_notice" in data else None,
        privacy_contact=single_line(data["privacy_contact"]) if "privacy_contact" in data else None,
        auto_revise=data.get("auto_revise", bool(current.get("auto_revise"))),
        meetings=data.get("meetings", current.get("meetings")),
        break_spread=data.get("break_spread", current.get("break_spread")),
        retention_days=data.get("retention_days", current.get("retention_days")),
        weights={name: current[f"weight_{name}"] for name in WEIGHT_FIELDS},
        taxonomy_lists={key: current.get(key) or "" for key in TAXONOMY_KEYS},
    )
