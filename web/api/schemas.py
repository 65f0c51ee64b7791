"""Request and response schemas of the JSON API (they are the OpenAPI documentation too)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError, validates
from wtforms.validators import ValidationError as FormValidationError

from web.events.forms import validate_slug, validate_timezone


def _form_check(check: Any, value: Any) -> None:
    """Run one of the console form's field validators on an API value."""
    try:
        check(None, SimpleNamespace(data=value))
    except FormValidationError as exc:
        raise ValidationError(str(exc)) from None


class BreakSchema(Schema):
    after_round = Integer(required=True, validate=Range(min=1),
                          metadata={"description": "The break follows this round."})
    minutes = Integer(required=True, validate=Range(min=1, max=480))


SLUG_DOC = {"description": "Short name used in links: lower-case letters, digits, hyphens."}
TIMEZONE_DOC = {"description": "IANA time zone of the venue, e.g. Europe/Amsterdam."}
START_DOC = {"description": "Local date and time of round 1 in `timezone`, ISO 8601 without offset, "
                            "e.g. 2025-06-12T14:00:00."}


class EventPatch(Schema):
    """Every field optional: only what is sent changes. Checked like the console form."""

    name = String(validate=Length(min=1, max=200))
    slug = String(metadata=SLUG_DOC)
    venue = String(validate=Length(max=200))
    timezone = String(metadata=TIMEZONE_DOC)
    start = DateTime(metadata=START_DOC)
    round_minutes = Integer(validate=Range(min=1, max=240))
    changeover_minutes = Integer(validate=Range(min=0, max=120))
    rounds = Integer(validate=Range(min=1, max=100))
    tables = Integer(validate=Range(min=0, max=2000),
                     metadata={"description": "0 = as many as needed."})
    table_labels = List(String(validate=Length(max=100)), validate=Length(max=2000),
                        metadata={"description": "Optional display labels, table 1 first."})
    breaks = List(Nested(BreakSchema), validate=Length(max=100))
    registration_open = Boolean()
    prefer_same_region = Boolean()
    no_show_minutes = Integer(validate=Range(min=0, max=240), metadata={
        "description": "Minutes after an attendee's first round starts before someone not "
                       "checked in counts as a no-show."})
    auto_revise = Boolean(metadata={
        "description": "Revise and publish by itself at each changeover for the people who "
                       "arrived since."})
    confirm = Boolean(load_default=False, metadata={
        "description": "Apply a change that breaks the published schedule (fewer rounds or "
                       "tables, moved times); without it such a change answers 409 with the "
                       "conflicts."})

    @validates("slug")
    def _slug(self, value: str, **_: Any) -> None:
        _form_check(validate_slug, value)

    @validates("timezone")
    def _timezone(self, value: str, **_: Any) -> None:
        _form_check(validate_timezone, value)

    @validates("start")
    def _start(self, value: Any, **_: Any) -> None:
        if value.tzinfo is not None:
            raise ValidationError("Give the local time of the venue without a UTC offset "
                                  "(the event's time zone applies).")


class EventCreate(EventPatch):
    name = String(required=True, validate=Length(min=1, max=200))
    slug = String(required=True, metadata=SLUG_DOC)
    timezone = String(required=True, metadata=TIMEZONE_DOC)
    start = DateTime(required=True, metadata=START_DOC)


class EventOut(Schema):
    id = Integer()
    slug = String()
    name = String()
    venue = String()
    timezone = String()
    start = String(metadata={"description": "Local date and time of round 1 (ISO 8601, no offset)."})
    end = String(metadata={"description": "Local end of the last round, breaks and delay included."})
    round_minutes = Integer()
    changeover_minutes = Integer()
    rounds = Integer()
    tables = Integer()
    table_labels = List(String())
    breaks = List(Nested(BreakSchema))
    registration_open = Boolean()
    prefer_same_region = Boolean()
    no_show_minutes = Integer()
    auto_revise = Boolean()
    registration_url = String()
    schedule_status = String(metadata={"description": "none, draft or published"})
    published_version = Integer(allow_none=True)


class AttendeeOut(Schema):
    id = String(metadata={"description": "The attendee file's id."})
    name = String()
    company = String()
    region = String()
    partner_type = String()
    checked_in = Boolean()
    state = String(metadata={"description": "registered, withdrawn, checked-in, left or no-show"})
    withdrawn_at = DateTime(allow_none=True)
    left_at = DateTime(allow_none=True)


class ConflictOut(Schema):
    kind = String(metadata={"description": "rounds, tables or times"})
    message = String()


class SettingsConflictOut(Schema):
    message = String()
    conflicts = List(Nested(ConflictOut))


class ImportQuery(Schema):
    remove_missing = Boolean(load_default=False, metadata={
        "description": "Remove attendees missing from the file (those checked in or in a stored "
                       "schedule are always kept)."})


class ImportSummaryOut(Schema):
    added = Integer()
    updated = Integer()
    unchanged = Integer()
    removed = Integer()
    kept = Integer(metadata={"description": "Missing from the file but kept (checked in or scheduled)."})
    warnings = List(Nested(lambda: RowErrorOut()))


class RowErrorOut(Schema):
    line = Integer(allow_none=True, metadata={"description": "Spreadsheet line (1 = header); null for the whole file."})
    field = String(allow_none=True)
    message = String()


class ImportErrorOut(Schema):
    message = String()
    errors = List(Nested(RowErrorOut))


class ScheduleRequest(Schema):
    time_limit = Float(validate=Range(min=1, max=3600), metadata={"description": "Seconds the solver may use."})
    seed = Integer(load_default=0, validate=Range(min=0, max=2**31 - 1))
    mode = String(validate=OneOf(["revise", "regenerate"]), metadata={
        "description": "Once a version is published: 'revise' (the default) keeps every published meeting "
                       "the rules still allow and places the people who changed; 'regenerate' plans the "
                       "open rounds again from scratch. Before that, a full plan either way."})


class PublishRequest(Schema):
    force = Boolean(load_default=False, metadata={
        "description": "Publish although people checked in, registered or changed since the draft was "
                       "computed (the answer 409 lists them). A draft whose base version is no longer "
                       "published, or whose first re-planned round has started, is never published."})


class JobOut(Schema):
    id = String()
    event_id = Integer()
    kind = String()
    status = String(metadata={"description": "queued, running, done, failed or cancelled"})
    finished = Boolean()
    cancel_requested = Boolean()
    progress = Dict(metadata={"description": "The solver's latest figures."})
    error = String()
    result_version_id = Integer(allow_none=True)
    result_version = Integer(allow_none=True, metadata={"description": "Number of the draft the job stored."})
    mode = String(allow_none=True, metadata={"description": "plan, revise or regenerate"})
    agendas_changed = Integer(allow_none=True, metadata={
        "description": "Attendees whose agenda from the first planned round differs from the published version."})
    meetings_moved = Integer(allow_none=True, metadata={
        "description": "Published meetings from the first planned round that the draft moves or drops."})
    created_at = String(allow_none=True)
    started_at = String(allow_none=True)
    finished_at = String(allow_none=True)
    url = String()


class VersionOut(Schema):
    number = Integer()
    status = String()
    kind = String()
    created_at = DateTime()
    published_at = DateTime(allow_none=True)
    meetings = Integer()
