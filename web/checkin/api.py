"""Check-in API for scanners and other kiosks: ``/api/v1/events/<slug>/checkins``.

Bearer tokens of organisers and check-in staff (:mod:`web.api.auth`). A kiosk sends a fresh
``nonce`` per scan and resends the same nonce when a request may have been lost: the answer
is the same and no second check-in is recorded.
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, Regexp
from flask.typing import ResponseReturnValue

from web.api.auth import API_STAFF_ROLES, token_auth
from web.api.lookup import event_or_404, no_such_event
from web.checkin.services import (
    HTTP_STATUS,
    NONCE_RE,
    CheckInError,
    check_in,
    checkin_payload,
    list_checkins,
    live_counts,
    result_payload,
    scan_event,
)
from web.extensions import csrf, db

api_bp = APIBlueprint("checkin_api", __name__, url_prefix="/api/v1", tag="Check-in")
# Bearer tokens only, never the sign-in cookie: a forged cross-site request has nothing to use.
csrf.exempt(api_bp)

@api_bp.before_request
def one_statement_at_a_time() -> None:
    """Run this blueprint's requests in autocommit mode.

    A scan's reads need no common snapshot and its write is a single ``INSERT``, so a
    transaction around them would only add a ``BEGIN`` and a ``COMMIT`` round trip to every
    scan. It must be chosen before the first statement (the token check), hence here; a
    session that is already in a transaction (a test holding the app context) keeps it.
    """
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


class CheckInRequest(Schema):
    code = String(required=True, validate=Length(max=2000),
                  metadata={"description": "The badge QR code as scanned (surrounding whitespace is ignored)."})
    nonce = String(required=True, validate=Regexp(NONCE_RE),
                   metadata={"description": "Unique per scan (e.g. a UUID); resend it unchanged when retrying."})
    device = String(load_default="", validate=Length(max=100),
                    metadata={"description": "Name of the kiosk, shown on a later 'already checked in' answer."})


class AttendeeBrief(Schema):
    id = Integer()
    ext_id = String()
    name = String()
    company = String()
    badge_number = Integer()


class CheckInOut(Schema):
    id = Integer()
    attendee_id = Integer()
    attendee_name = String()
    checked_in_at = DateTime(metadata={"description": "UTC instant of the check-in."})
    local_time = String(metadata={"description": "HH:MM in the event's time zone."})
    device = String()
    staff = String(allow_none=True)
    annulled_at = DateTime(allow_none=True, metadata={"description": "Set when the check-in was undone."})
    annulled_by = String(allow_none=True)


class FirstMeetingOut(Schema):
    round = Integer()
    table = Integer()
    table_label = String()
    start = String(metadata={"description": "Local start, ISO 8601 without zone."})
    time = String()
    partner = String()


class CheckInResultOut(Schema):
    status = String(metadata={"description": "welcome (201), already (200), unknown (404) or "
                                             "withdrawn (409: cancelled, nothing recorded; "
                                             "restore them in the console or at the kiosk)."})
    message = String()
    announcement = String(metadata={"description": "The answer as a screen reader says it "
                                                   "(outcome first, e.g. 'Checked in. Welcome, Ana ...')."})
    other_event = String(allow_none=True, metadata={
        "description": "For 'unknown': the name of the other event this badge is for (null: no event's)."})
    replayed = Boolean(metadata={"description": "True when this nonce had already been answered."})
    attendee = Nested(AttendeeBrief, allow_none=True)
    checkin = Nested(CheckInOut, allow_none=True,
                     metadata={"description": "The new check-in, or the first one for 'already'."})
    first_meeting = Nested(FirstMeetingOut, allow_none=True)
    unplaced = Boolean(metadata={"description": "Checked in now with no meeting in the rounds "
                                                "to come of the published schedule."})
    next_round = Integer(allow_none=True, metadata={
        "description": "For an unplaced arrival: the first round that starts after now (null: "
                       "no rounds left)."})


class CheckInListOut(Schema):
    checked_in = Integer()
    expected = Integer()
    checkins = List(Nested(CheckInOut))


@api_bp.post("/events/<slug>/checkins")
@api_bp.auth_required(token_auth, roles=API_STAFF_ROLES)
@api_bp.input(CheckInRequest, location="json")
@api_bp.output(CheckInResultOut, status_code=201, description="Welcome: checked in now.")
@api_bp.doc(responses={
    200: {"description": "Already checked in (the first check-in's time and device).",
          "content": {"application/json": {"schema": CheckInResultOut}}},
    404: {"description": "Unknown code (a result with status 'unknown'), or no such event "
                         "(an error message).",
          "content": {"application/json": {"schema": {"anyOf": [
              {"$ref": "#/components/schemas/CheckInResultOut"},
              {"$ref": "#/components/schemas/HTTPError"}]}}}},
    409: {"description": "The attendee is withdrawn (a result with status 'withdrawn'), or the "
                         "nonce was already used for another attendee (an error message).",
          "content": {"application/json": {"schema": {"anyOf": [
              {"$ref": "#/components/schemas/CheckInResultOut"},
              {"$ref": "#/components/schemas/HTTPError"}]}}}},
})
def create_checkin(slug: str, json_data: dict) -> ResponseReturnValue:
    """Check in the attendee whose badge code was scanned"""
    event = scan_event(slug)
    if event is None:
        no_such_event(slug)
    try:
        result = check_in(event, json_data["code"], nonce=json_data["nonce"],
                          device=json_data.get("device", ""), staff_user=token_auth.current_user)
    except CheckInError as exc:
        abort(409, message=str(exc))
    return result_payload(result), HTTP_STATUS[result.status]


@api_bp.get("/events/<slug>/checkins")
@api_bp.auth_required(token_auth, roles=API_STAFF_ROLES)
@api_bp.output(CheckInListOut)
def get_checkins(slug: str) -> ResponseReturnValue:
    """List every check-in of the event, undone ones marked with annulled_at"""
    event = event_or_404(slug)
    counts = live_counts(event)
    return {"checked_in": counts.checked_in, "expected": counts.expected,
            "checkins": [checkin_payload(c) for c in list_checkins(event)]}
