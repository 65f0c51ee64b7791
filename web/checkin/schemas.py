"""Schemas of check-in's JSON: the API's (``web.checkin.api``, they are its OpenAPI
documentation too) and the kiosk script's (``scan.json``), which answers like the API.

The answers dump the services' results as they are (:class:`CheckInResult`, :class:`Entry`),
so the API and the kiosk cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, Regexp
from marshmallow import EXCLUDE

from web.api.fields import derived
from web.checkin.messages import announcement, result_message
from web.checkin.services import NONCE_RE, CheckInResult, Entry, LiveCounts


class CheckInRequest(Schema):
    code = String(required=True, validate=Length(max=2000),
                  metadata={"description": "The badge QR code as scanned (surrounding whitespace is ignored)."})
    nonce = String(required=True, validate=Regexp(NONCE_RE),
                   metadata={"description": "Unique per scan (e.g. a UUID); resend it unchanged when retrying."})
    device = String(load_default="", validate=Length(max=100),
                    metadata={"description": "Name of the kiosk, shown on a later 'already checked in' answer."})


class KioskScanRequest(CheckInRequest):
    """The kiosk script's scan: the API's fields, or a desk search result's ``attendee_id``
    instead of the code. The nonce is checked by the check-in itself, which refuses a bad one
    with 409 like a nonce used for someone else (the kiosk shows the message); the device
    defaults to the kiosk's cookie. Other keys are ignored."""

    class Meta:
        unknown = EXCLUDE

    code = String(load_default="", allow_none=True, validate=Length(max=2000))
    attendee_id = Integer(load_default=None, allow_none=True)
    nonce = String(load_default="", allow_none=True)
    device = String(load_default="", allow_none=True, validate=Length(max=100))


class AttendeeBrief(Schema):
    """Dumps a :class:`web.checkin.services.Person`."""

    id = Integer()
    ext_id = String()
    name = String()
    company = String()
    badge_number = Integer()


class CheckInOut(Schema):
    """Dumps an :class:`Entry`."""

    id = Integer()
    attendee_id = Integer()
    attendee_name = String()
    checked_in_at = DateTime(attribute="created_at", metadata={"description": "UTC instant of the check-in."})
    local_time = String(metadata={"description": "HH:MM in the event's time zone."})
    device = String()
    staff = String(allow_none=True)
    annulled_at = DateTime(allow_none=True, metadata={"description": "Set when the check-in was undone."})
    annulled_by = String(allow_none=True)


class FirstMeetingOut(Schema):
    """Dumps a :class:`web.checkin.services.FirstMeeting`."""

    round = Integer()
    table = Integer()
    table_label = String()
    start = derived(String, lambda m: m.start.isoformat(timespec="minutes"),
                    metadata={"description": "Local start, ISO 8601 without zone."})
    time = derived(String, lambda m: m.start.strftime("%H:%M"))
    partner = String()


class CheckInResultOut(Schema):
    """Dumps a :class:`CheckInResult`."""

    status = String(metadata={"description": "welcome (201), already (200), unknown (404), "
                                             "withdrawn (409: cancelled, nothing recorded; "
                                             "restore them in the console or at the kiosk) or "
                                             "undone (409: a resent request whose check-in was "
                                             "undone since; nothing recorded, scan again)."})
    message = derived(String, result_message)
    announcement = derived(String, announcement, metadata={
        "description": "The answer as a screen reader says it "
                       "(outcome first, e.g. 'Checked in. Welcome, Ana ...')."})
    other_event = String(allow_none=True, metadata={
        "description": "For 'unknown': the name of the other event this badge is for (null: no event's)."})
    replayed = Boolean(metadata={"description": "True when this nonce had already been answered."})
    attendee = Nested(AttendeeBrief, allow_none=True)
    checkin = Nested(CheckInOut, allow_none=True,
                     metadata={"description": "The new check-in, or the first one for 'already'."})
    first_meeting = Nested(FirstMeetingOut, allow_none=True)
    seating = String(allow_none=True, metadata={
        "description": "For a welcome: table (a published meeting to come, in first_meeting), "
                       "organiser (automatic revision will seat them from seated_from_round), "
                       "desk (no table yet; the organiser seats them by hand), no-rounds (every "
                       "round has started) or unplanned (nothing published yet)."})
    seated_from_round = Integer(allow_none=True, metadata={
        "description": "With seating 'organiser': the round from which they will have a table."})
    back = Boolean(metadata={"description": "True when someone marked as left was scanned again."})


@dataclass(frozen=True)
class CheckInList:
    """The event's check-ins with its live counts."""

    counts: LiveCounts
    checkins: Sequence[Entry]


class CheckInListOut(Schema):
    """Dumps a :class:`CheckInList`."""

    checked_in = Integer(attribute="counts.checked_in")
    expected = Integer(attribute="counts.expected")
    checkins = List(Nested(CheckInOut))


@dataclass(frozen=True)
class KioskAction:
    """A button the kiosk draws under an answer (a form posted to ``url``)."""

    url: str
    label: str
    nonce: str | None = None


@dataclass(frozen=True)
class KioskAnswer:
    """A check-in result as the kiosk script shows it: the API's answer, the undo link of a
    new check-in and the buttons for the person."""

    result: CheckInResult
    annul_url: str | None
    actions: Sequence[KioskAction]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)


class KioskActionOut(Schema):
    url = String()
    label = String()
    nonce = String(allow_none=True)


class KioskAnswerOut(CheckInResultOut):
    """Dumps a :class:`KioskAnswer`."""

    annul_url = String(allow_none=True)
    actions = List(Nested(KioskActionOut))


class KioskErrorOut(Schema):
    """A scan the kiosk could not check (a malformed body, a refused nonce)."""

    status = String()
    message = String()


@dataclass(frozen=True)
class KioskCounts:
    """The live counts the kiosk and the console overview poll, with a fresh CSRF token so a
    kiosk left open all day keeps working."""

    counts: LiveCounts
    csrf_token: str


class KioskCountsOut(Schema):
    """Dumps a :class:`KioskCounts`."""

    checked_in = Integer(attribute="counts.checked_in")
    expected = Integer(attribute="counts.expected")
    csrf_token = String()
