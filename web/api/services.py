"""What the API does, without a request: event input from JSON, listings, imports, exports."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from scheduler.schedule_io import write_schedule_csv
from scheduler.taxonomy import TAXONOMY_KEYS
from web.attendees.lifecycle import state_of
from web.attendees.models import Attendee
from web.attendees.states import AttendeeState
from web.attendees.services import ImportSummary, commit_import, parse_upload
from web.events.forms import WEIGHT_FIELDS
from web.events.models import Event
from web.events.services import EventInput, event_counts, form_data_for, format_breaks, save_event
from web.extensions import db

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILE_TYPES = {"text/csv": "csv", "application/csv": "csv", XLSX_TYPE: "xlsx"}


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
    rounds = data.get("rounds", current["rounds"])
    breaks = format_breaks(data["breaks"]) if "breaks" in data else current.get("breaks") or ""
    return EventInput(
        slug=data.get("slug", current.get("slug") or "").strip(),
        name=data.get("name", current.get("name") or "").strip(),
        venue=data.get("venue", current.get("venue") or "").strip(),
        date=date,
        start_time=start_time,
        timezone=data.get("timezone", current["timezone"]).strip(),
        rounds=rounds,
        round_minutes=data.get("round_minutes", current["round_minutes"]),
        changeover_minutes=data.get("changeover_minutes", current["changeover_minutes"]),
        tables=data.get("tables", current["tables"]),
        table_labels=labels,
        breaks_text=breaks,
        prefer_same_region=data.get("prefer_same_region", bool(current.get("prefer_same_region"))),
        registration_open=data.get("registration_open", bool(current.get("registration_open"))),
        no_show_minutes=data.get("no_show_minutes", current["no_show_minutes"]),
        auto_revise=data.get("auto_revise", bool(current.get("auto_revise"))),
        weights={name: current[f"weight_{name}"] for name in WEIGHT_FIELDS},
        taxonomy_lists={key: current.get(key) or "" for key in TAXONOMY_KEYS},
    )


def save_event_from_api(data: dict[str, Any], event: Event | None = None) -> Event:
    """Create or update; raises :class:`web.events.services.EventDataError` like the console."""
    return save_event(event_input(data, event), event)


def event_dict(event: Event, registration_url: str = "") -> dict[str, Any]:
    counts = event_counts(event)
    timetable = event.timetable()
    return {
        "id": event.id, "slug": event.slug, "name": event.name, "venue": event.venue or "",
        "timezone": event.timezone, "start": event.start.isoformat(),
        "end": timetable.end.isoformat(),
        "round_minutes": event.round_minutes, "changeover_minutes": event.changeover_minutes,
        "rounds": event.rounds, "tables": event.tables,
        "table_labels": list(event.table_label_list()), "breaks": list(event.breaks or []),
        "registration_open": bool(event.registration_open),
        "prefer_same_region": bool(event.prefer_same_region),
        "no_show_minutes": event.no_show_minutes, "auto_revise": bool(event.auto_revise),
        "registration_url": registration_url,
        "schedule_status": counts.schedule_status, "published_version": counts.published_version,
    }


def attendee_dict(attendee: Attendee, state: AttendeeState, checked_in: bool) -> dict[str, Any]:
    return {"id": attendee.ext_id, "name": attendee.name, "company": attendee.company,
            "region": attendee.region, "partner_type": attendee.partner_type,
            "checked_in": checked_in, "state": state.value,
            "withdrawn_at": attendee.withdrawn_at, "left_at": attendee.left_at}


def attendee_dicts(event: Event) -> list[dict[str, Any]]:
    """Attendees in badge order with their state; checked in = a check-in that was not
    annulled exists (also for someone withdrawn or gone since)."""
    from web.checkin.states import active_checkin_ids, states_for_event

    rows = list(db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.badge_number)))
    checked = active_checkin_ids(event.id)
    states = states_for_event(event, attendees=rows)
    return [attendee_dict(a, states[a.id], a.id in checked) for a in rows]


def attendee_by_ext_id(event: Event, ext_id: str) -> Attendee | None:
    return db.session.scalar(select(Attendee).where(Attendee.event_id == event.id,
                                                    Attendee.ext_id == ext_id[:64]))


def one_attendee_dict(attendee: Attendee) -> dict[str, Any]:
    from web.checkin.states import active_checkin_ids

    checked = attendee.id in active_checkin_ids(attendee.event_id, [attendee.id])
    return attendee_dict(attendee, state_of(attendee, checked_in=checked), checked)


def file_format(content_type: str | None, filename: str | None = None) -> str | None:
    """``csv``/``xlsx`` from a file name's extension or a content type; ``None`` if neither fits."""
    name = (filename or "").lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    return FILE_TYPES.get((content_type or "").split(";")[0].strip().lower())


def import_attendee_file(event: Event, data: bytes, fmt: str, remove_missing: bool = False
                         ) -> tuple[ImportSummary, list[Any]]:
    """Validate the whole file, then apply it like the console's import (update by id; tokens,
    check-in codes and badge numbers stay). Raises ``AttendeeFileError``; nothing is stored then."""
    attendees, warnings = parse_upload(event, data, f"attendees.{fmt}")
    return commit_import(event, attendees, remove_missing), warnings


def schedule_csv(event: Event) -> bytes | None:
    """The published schedule in the CLI's SCHEDULE.csv columns plus local start and end."""
    from web.schedules.services import published_version, version_schedule

    version = published_version(event)
    if version is None:
        return None
    schedule, attendees = version_schedule(version)
    out = io.StringIO()
    write_schedule_csv(schedule, attendees, out, timetable=event.timetable())
    return out.getvalue().encode("utf-8")
