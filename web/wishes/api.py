"""Directory and wishes API: an attendee's directory and wish list under
``/api/v1/me/<token>/...`` (the personal token is the credential, as on /me pages; no bearer
token), and the organisers' demand figures under ``/api/v1/events/<slug>/wishes``."""

from __future__ import annotations

from typing import Any

from apiflask import abort

from web.api import SchemaAnswer, feature_blueprint
from web.api.auth import API_ORGANISER_ROLES, token_auth
from web.attendees.models import Attendee
from web.attendees.services import get_attendee_for_token_or_404
from web.attendees.wishes import WishLevel, wishes_given
from web.events.api import event_or_404
from web.extensions import public_page_limit
from web.types import utcnow
from web.wishes.demand import demand_of
from web.wishes.schemas import DemandOut, DirectoryOut, DirectoryQuery, WishesIn, WishesOut
from web.wishes.services import (
    Filters,
    WishRefused,
    allowances,
    directory_for,
    my_wishes,
    replace_wishes,
    wishes_closed,
)

bp = feature_blueprint("wishes_api", __name__, tag="Wishes",
                       description="The event's directory, an attendee's wishes, the organisers' demand figures.")
organiser_only = bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@bp.after_request
def _private(response: Any) -> Any:
    """Answers about one attendee are theirs alone: never kept by a shared cache."""
    response.headers.update(PRIVATE)
    return response


@bp.get("/me/<token>/directory")
@public_page_limit
@bp.input(DirectoryQuery, location="query", arg_name="query")
@bp.output(DirectoryOut)
@bp.doc(summary="The directory", security=[],
        description="Everyone of your event who opted in to the directory, with your own wish on each, "
                    "and suggestions for you. `token` is your personal link's token.",
        responses={404: "Unknown token"})
def get_directory(token: str, query: dict[str, Any]) -> SchemaAnswer:
    attendee = get_attendee_for_token_or_404(token)
    return directory_for(attendee, Filters(**query))


def _wishes_answer(attendee: Attendee) -> dict[str, Any]:
    event = attendee.event
    return {"wishes": my_wishes(attendee), "allowances": allowances(event, wishes_given(attendee.id)),
            "closes_at": event.wishes_close_at, "closed": wishes_closed(event, utcnow())}


@bp.get("/me/<token>/wishes")
@public_page_limit
@bp.output(WishesOut)
@bp.doc(summary="Your wishes", security=[], description="The wishes you gave and how many you have left.",
        responses={404: "Unknown token"})
def get_wishes(token: str) -> SchemaAnswer:
    return _wishes_answer(get_attendee_for_token_or_404(token))


@bp.put("/me/<token>/wishes")
@public_page_limit
@bp.input(WishesIn, arg_name="body")
@bp.output(WishesOut)
@bp.doc(summary="Replace your wishes", security=[],
        description="Send your whole list: `{\"wishes\": [{\"id\": \"A0002\", \"level\": \"must\"}]}`. "
                    "Each id must be someone in the directory (or already on your list). Refused with 422 "
                    "and a message naming the limit or the closing time; nothing is changed then.",
        responses={404: "Unknown token", 422: "Over a limit, wishes closed, or someone not in the directory"})
def put_wishes(token: str, body: dict[str, Any]) -> SchemaAnswer:
    attendee = get_attendee_for_token_or_404(token)
    try:
        replace_wishes(attendee, [(w["id"], WishLevel(w["level"])) for w in body["wishes"]], utcnow())
    except WishRefused as exc:
        abort(422, str(exc))
    return _wishes_answer(attendee)


@bp.get("/events/<slug>/wishes")
@organiser_only
@bp.output(DemandOut)
@bp.doc(summary="Wishes summary",
        description="Wishes given and granted by the published version (Must, Want, mutual pairs), the "
                    "most wished-for people, who got none of their wishes, competencies sought but "
                    "offered by nobody coming.",
        responses={404: "Unknown event"})
def get_demand(slug: str) -> SchemaAnswer:
    return demand_of(event_or_404(slug)).as_dict()
