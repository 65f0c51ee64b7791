"""Request and response schemas of the attendees API (they are its OpenAPI documentation too)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String

from web.attendees.models import Attendee
from web.attendees.services import ImportSummary
from web.attendees.states import AttendeeState


@dataclass(frozen=True)
class AttendeeStanding:
    """An attendee with what the API tells about them beside their row: their state now and
    whether a check-in (not annulled) exists, also for someone withdrawn or gone since."""

    attendee: Attendee
    state: AttendeeState
    checked_in: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.attendee, name)


class AttendeeOut(Schema):
    """Dumps an :class:`AttendeeStanding`."""

    id = String(attribute="ext_id", metadata={"description": "The attendee file's id."})
    name = String()
    company = String()
    region = String()
    partner_type = String()
    checked_in = Boolean()
    state = String(attribute="state.value",
                   metadata={"description": "registered, withdrawn, checked-in, left or no-show"})
    withdrawn_at = DateTime(allow_none=True)
    left_at = DateTime(allow_none=True)


class ImportQuery(Schema):
    remove_missing = Boolean(load_default=False, metadata={
        "description": "Remove attendees missing from the file (those checked in or in a stored "
                       "schedule are always kept)."})


@dataclass(frozen=True)
class ImportAnswer:
    """What an import did, and the rows it took with a warning."""

    summary: ImportSummary
    warnings: Sequence[Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.summary, name)


class ImportSummaryOut(Schema):
    """Dumps an :class:`ImportAnswer`."""

    added = Integer()
    updated = Integer()
    unchanged = Integer()
    removed = Integer()
    kept = Integer(metadata={"description": "Missing from the file but kept (checked in or scheduled)."})
    warnings = List(Nested(lambda: RowErrorOut()))


class RowErrorOut(Schema):
    """Dumps the importer's ``RowError`` (a problem or a warning on one line)."""

    line = Integer(allow_none=True, metadata={"description": "Spreadsheet line (1 = header); null for the whole file."})
    field = String(allow_none=True)
    message = String()


class ImportErrorOut(Schema):
    message = String()
    errors = List(Nested(RowErrorOut))
