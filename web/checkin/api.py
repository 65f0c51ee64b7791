"""Check-in API for scanners and other kiosks: ``/api/v1/events/<slug>/checkins``.

Bearer tokens of organisers and check-in staff (:mod:`web.api.auth`). A kiosk sends a fresh
``nonce`` per scan and resends the same nonce when a request may have been lost: the answer
is the same and no second check-in is recorded.
"""

from __future__ import annotations

from typing import Any

from apiflask import abort

from web.api import SchemaAnswer, feature_blueprint
from web.api.auth import API_STAFF_ROLES, token_auth
from web.checkin.schemas import CheckInList, CheckInListOut, CheckInRequest, CheckInResultOut
from web.checkin.services import HTTP_STATUS, CheckInError, check_in, list_checkins, live_counts, scan_event
from web.events.access import Access
from web.events.api import event_or_404, no_such_event, token_may
from web.extensions import db

api_bp = feature_blueprint("checkin_api", __name__, tag="Check-in",
                           description="Scanners and other kiosks check attendees in.")


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


CHECKIN_RESPONSES: dict[int | str, Any] = {
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
}


@api_bp.post("/events/<slug>/checkins")
@api_bp.auth_required(token_auth, roles=API_STAFF_ROLES)
@api_bp.input(CheckInRequest, location="json")
@api_bp.output(CheckInResultOut, status_code=201, description="Welcome: checked in now.")
@api_bp.doc(responses=CHECKIN_RESPONSES)
def create_checkin(slug: str, json_data: dict[str, Any]) -> SchemaAnswer:
    """Check in the attendee whose badge code was scanned"""
    event = scan_event(slug)
    if event is None or not token_may(event.id, Access.CHECK_IN):
        no_such_event(slug)
    try:
        result = check_in(event, json_data["code"], nonce=json_data["nonce"],
                          device=json_data.get("device", ""), staff_user=token_auth.current_user)
    except CheckInError as exc:
        abort(409, message=str(exc))
    return result, HTTP_STATUS[result.status]


@api_bp.get("/events/<slug>/checkins")
@api_bp.auth_required(token_auth, roles=API_STAFF_ROLES)
@api_bp.output(CheckInListOut)
def get_checkins(slug: str) -> SchemaAnswer:
    """List every check-in of the event, undone ones marked with annulled_at"""
    event = event_or_404(slug, access=Access.CHECK_IN)
    return CheckInList(live_counts(event), list_checkins(event))
