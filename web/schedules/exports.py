"""Downloads of a version and of the attendee list (CSV or XLSX, formula-safe, re-importable)."""

from __future__ import annotations

import io

from scheduler.importer import write_attendee_file
from scheduler.schedule_io import schedule_rows, write_schedule_csv
from scheduler.spreadsheet import unescape_cell, write_table
from web.attendees.services import event_attendees
from web.downloads import SPREADSHEET_FORMATS
from web.events.models import Event
from web.schedules.models import ScheduleVersion
from web.schedules.versions import ScheduleError, version_schedule

EXPORT_FORMATS = SPREADSHEET_FORMATS


def export_schedule(event: Event, version: ScheduleVersion, fmt: str) -> bytes:
    """SCHEDULE.csv columns (round,table,a_id,a_name,a_company,b_id,b_name,b_company,score,
    reason,start,end) as CSV or XLSX; text that a spreadsheet would run is neutralised."""
    schedule, attendees = version_schedule(version)
    timetable = event.timetable()
    if fmt == "csv":
        text = io.StringIO()
        write_schedule_csv(schedule, attendees, text, timetable)
        # With a BOM, like every other CSV export: Excel otherwise reads UTF-8 as ANSI and
        # turns "Müller" into "MÃ¼ller".
        return text.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        header, rows = schedule_rows(schedule, attendees, timetable)
        numeric = {"round": int, "table": int, "score": float}
        typed: list[list[object]] = []
        for row in rows:
            cells: list[object] = []
            for name, cell in zip(header, row):
                plain = unescape_cell(cell)  # write_table escapes again, exactly once
                cells.append(numeric[name](plain) if name in numeric else plain)
            typed.append(cells)
        out = io.BytesIO()
        write_table(header, typed, out, "xlsx")
        return out.getvalue()
    raise ScheduleError(f"unknown format {fmt!r}; use csv or xlsx")


def export_attendees(event: Event, fmt: str) -> bytes:
    """The event's attendees in the attendee file format (re-importable)."""
    if fmt not in EXPORT_FORMATS:
        raise ScheduleError(f"unknown format {fmt!r}; use csv or xlsx")
    out = io.BytesIO()
    write_attendee_file([row.to_domain() for row in event_attendees(event)], out, fmt)
    return out.getvalue()
