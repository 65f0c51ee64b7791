"""Who may see an event: the one decision every route under an event goes through.

Every route with an event in its URL (``<slug>``, or a job's id) looks the event up with
:func:`web.events.services.get_event_or_404` (console, kiosk, public pages) or
:func:`web.events.api.event_or_404` (the API), each taking an :class:`Access`; both default to
:attr:`Access.ORGANISE`, so a route that forgets to say lets only the event's organisers in.
An account outside the event gets 404, never 403: an answer must not confirm that an event
exists. :func:`require_decision` (an ``after_request`` hook) fails a request that answered
under an event without asking, so a new route that skips the lookup fails its first test.
"""

from __future__ import annotations

from enum import StrEnum

from flask import Response, g, request, url_for
from flask_login import current_user

from web.auth.decorators import in_event_route
from web.auth.models import Role
from web.events.members import MemberRole, member_role

_DECIDED = "speednet_event_access"


class Access(StrEnum):
    """What a route needs of the account in the event it names."""

    ORGANISE = "organise"  # the console, exports, prints, mail, results, the API's event routes
    CHECK_IN = "check-in"  # the kiosk and desk (and the check-in API)
    PUBLIC = "public"      # anyone: registration, the display (no account asked)


_ROLES_FOR = {
    Access.ORGANISE: frozenset({MemberRole.ORGANISER}),
    Access.CHECK_IN: frozenset({MemberRole.ORGANISER, MemberRole.STAFF}),
}


def roles_for(access: Access) -> frozenset[MemberRole]:
    """The member roles that grant ``access`` (PUBLIC needs none)."""
    return _ROLES_FOR.get(access, frozenset(MemberRole))


def allows(role: MemberRole | None, access: Access, account_role: str) -> bool:
    """Whether a member with ``role`` (None: not a member) and an account of ``account_role``
    has ``access``. Organising also needs an organiser account: a staff account demoted from
    organiser keeps no console through an old membership."""
    if access == Access.PUBLIC:
        return True
    if role is None or role not in roles_for(access):
        return False
    return access != Access.ORGANISE or account_role == Role.ORGANISER


def decided(event_id: int | None, access: Access) -> None:
    """Note that this request asked who may see its event (what :func:`require_decision`
    checks); a lookup that answers 404 counts too."""
    g.setdefault(_DECIDED, []).append((event_id, access))


def session_may(event_id: int, access: Access) -> bool:
    """Whether the signed-in account (if any) has ``access`` to the event, read now."""
    decided(event_id, access)
    if access == Access.PUBLIC:
        return True
    if not current_user.is_authenticated:
        return False
    return allows(member_role(current_user.id, event_id), access, current_user.role)


class EventAccessNotDecided(RuntimeError):
    """A route under an event answered without asking who may see the event."""


def require_decision(response: Response) -> Response:
    """After a request under an event: it must have asked :mod:`web.events.access`. Refusals
    (4xx) and the sign-in redirect of an anonymous visitor pass; anything else that never asked
    is a programming error (a 500 in production, a failed test before that)."""
    if not in_event_route() or g.get(_DECIDED) or response.status_code >= 400:
        return response
    if response.status_code in (301, 302, 303, 307, 308) and _to_sign_in(response):
        return response
    raise EventAccessNotDecided(
        f"{request.endpoint} answered {response.status_code} under an event without deciding who may "
        "see it: look the event up with get_event_or_404(slug, access=...) or, in the API, "
        "event_or_404(slug, access=...)")


def _to_sign_in(response: Response) -> bool:
    location = response.headers.get("Location", "")
    return location.split("?", 1)[0].endswith(url_for("auth.login"))
