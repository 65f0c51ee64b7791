"""Bearer-token authentication for the JSON API (``Authorization: Bearer sn_...``).

Tokens are created with ``flask --app web api-token EMAIL`` or on the console's API token
page; only their SHA-256 is stored (:class:`web.auth.models.ApiToken`). The API never looks at
the sign-in cookie: a browser session without a token gets 401 like anyone else, which is why
the API blueprints can be exempt from CSRF.

Usage in a view::

    @bp.post("/thing")
    @bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)  # organisers only
    def view(): user = token_auth.current_user

    @bp.auth_required(token_auth, roles=API_STAFF_ROLES)      # check-in staff and organisers

Always pass ``roles``: without it any valid token (staff included) is accepted.

A token's scope is enforced here for every endpoint: a read-only token gets 403 on anything
but GET/HEAD/OPTIONS, whatever the endpoint. The event a token is limited to
(:attr:`ApiUser.event_id`) is enforced where an endpoint looks its event up.
"""

from __future__ import annotations

from apiflask import HTTPError, HTTPTokenAuth
from apiflask.types import ResponseReturnValueType
from flask import current_app, request

from web.auth.models import ROLE_ORGANISER, ROLE_STAFF
from web.auth.services import ApiUser, user_for_api_token

token_auth = HTTPTokenAuth(
    scheme="Bearer",
    description="An API token (sn_...) from `flask --app web api-token EMAIL` or the console's "
                "API tokens page, sent as `Authorization: Bearer <token>`.",
)

# Roles a route passes to ``auth_required(token_auth, roles=...)``.
API_ORGANISER_ROLES = [ROLE_ORGANISER]
API_STAFF_ROLES = [ROLE_STAFF]  # organisers hold the staff role too (see user_roles)


@token_auth.verify_token
def verify_token(token: str) -> ApiUser | None:
    """The active account owning ``token`` (its ``last_used_at`` is updated), else ``None``."""
    if not token:
        return None
    user = user_for_api_token(token.strip())
    if user is not None and user.read_only and request.method not in READ_METHODS:
        raise HTTPError(403, message="This API token is read-only.")
    return user


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@token_auth.get_user_roles
def user_roles(user: ApiUser) -> list[str]:
    """Organisers may do everything staff may do, as in the console."""
    if user.role == ROLE_ORGANISER:
        return [ROLE_ORGANISER, ROLE_STAFF]
    return [user.role]


AUTH_MESSAGES = {
    401: "Send a valid API token as 'Authorization: Bearer <token>'.",
    403: "This API token's account may not do this.",
}


@token_auth.error_processor
def auth_error(error: HTTPError) -> ResponseReturnValueType:
    """JSON errors for API clients (the app keeps HTML errors elsewhere)."""
    return current_app.error_callback(  # type: ignore[attr-defined]
        HTTPError(error.status_code, message=AUTH_MESSAGES.get(error.status_code, error.message))
    )
