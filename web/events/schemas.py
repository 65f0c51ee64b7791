"""Request and response schemas of the events API (they are its OpenAPI documentation too).

Input is checked like the console's event form (the same slug and time-zone validators);
:class:`EventFields` dumps an :class:`Event`; the endpoints, which answer with the schedule's
figures and refuse a change that breaks the published schedule, are the schedules feature's
(:mod:`web.schedules.event_api`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError, validates
from wtforms.validators import ValidationError as FormValidationError

from web.api.fields import derived
from web.events.forms import validate_slug, validate_timezone
from web.urls import public_url


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
    registration_confirm = Boolean(metadata={
        "description": "Double opt-in: a registration counts once its confirmation link is used."})
    privacy_notice = String(validate=Length(max=4000), metadata={
        "description": "The organiser's privacy text on the registration form (retention, who)."})
    privacy_contact = String(validate=Length(max=254), metadata={
        "description": "An address or page for questions about personal data."})
    prefer_same_region = Boolean()
    auto_revise = Boolean(metadata={
        "description": "Revise and publish by itself at each changeover for the people who "
                       "arrived since."})
    meetings = String(validate=OneOf(["fill", "requested"]), metadata={
        "description": "fill (every round, the best pairs) or requested (only the must-meet pairs, "
                       "each person's day as compact as possible)."})
    break_spread = Integer(validate=Range(min=0, max=20), metadata={
        "description": "Requested meetings: the most one person's breaks may exceed another's (default 2)."})
    retention_days = Integer(validate=Range(min=1, max=3650), metadata={
        "description": "Days after the event's date that the attendees' personal data is kept "
                       "(default 180); then it is erased."})
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


class EventFields(Schema):
    """The event's own fields as the API answers them; the answer of the event endpoints
    (:class:`web.schedules.event_api.EventOut`) adds the schedule's figures."""

    id = Integer()
    slug = String()
    name = String()
    venue = derived(String, lambda e: e.venue or "")
    timezone = String()
    start = derived(String, lambda e: e.start.isoformat(), metadata={
        "description": "Local date and time of round 1 (ISO 8601, no offset)."})
    end = derived(String, lambda e: e.timetable().end.isoformat(), metadata={
        "description": "Local end of the last round, breaks and delay included."})
    round_minutes = Integer()
    changeover_minutes = Integer()
    rounds = Integer()
    tables = Integer()
    table_labels = derived(List, lambda e: list(e.table_label_list()), String())
    breaks = derived(List, lambda e: list(e.breaks or []), Nested(BreakSchema))
    registration_open = derived(Boolean, lambda e: bool(e.registration_open))
    registration_confirm = derived(Boolean, lambda e: bool(e.registration_confirm))
    privacy_notice = derived(String, lambda e: e.privacy_notice or "")
    privacy_contact = derived(String, lambda e: e.privacy_contact or "")
    prefer_same_region = derived(Boolean, lambda e: bool(e.prefer_same_region))
    auto_revise = derived(Boolean, lambda e: bool(e.auto_revise))
    meetings = String()
    break_spread = Integer()
    retention_days = Integer()
    retention_date = derived(String, lambda e: e.retention_date.isoformat(), metadata={
        "description": "The day after which the attendees' personal data is erased."})
    registration_url = derived(String, lambda e: public_url("public.register_page", slug=e.slug))
