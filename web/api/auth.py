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

from collections.abc import Callable
from typing import Any

from apiflask import HTTPError, HTTPTokenAuth
from apiflask.types import ResponseReturnValueType
from flask import current_app, request

from web.auth.decorators import in_event_route
from web.auth.models import ROLE_ORGANISER, ROLE_STAFF
from web.auth.services import ApiUser, user_for_api_token

RoleCheck = Callable[[ApiUser, list[str]], None]
_AUTHORIZED_CHECKS: list[RoleCheck] = []


def after_authorization(check: RoleCheck) -> RoleCheck:
    """Register ``check(user, roles)``, run once a token passed a route's role check and before
    the view (and before its input is validated): a feature's refusal that must come first.
    The events feature checks the event in the URL here, so an outsider's request answers 404
    whatever its body. A check refuses by aborting."""
    _AUTHORIZED_CHECKS.append(check)
    return check


class _TokenAuth(HTTPTokenAuth):
    def authorize(self, role: Any, user: Any, auth: Any) -> Any:
        allowed = super().authorize(role, user, auth)
        if allowed:
            roles = list(role) if isinstance(role, (list, tuple)) else [role] if role else []
            for check in _AUTHORIZED_CHECKS:
                check(user, roles)
        return allowed


token_auth = _TokenAuth(
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
    """JSON errors for API clients (the app keeps HTML errors elsewhere). A token without the
    role for a route under an event reads 404, like an event it is not a member of."""
    if error.status_code == 403 and in_event_route():
        return current_app.error_callback(HTTPError(404, message=not_found_message()))  # type: ignore[attr-defined]
    return current_app.error_callback(  # type: ignore[attr-defined]
        HTTPError(error.status_code, message=AUTH_MESSAGES.get(error.status_code, error.message))
    )


def not_found_message() -> str:
    """The 404 message under an event: the same whether it does not exist or is not yours."""
    args = request.view_args or {}
    if "slug" in args:
        return f"There is no event with the short name '{args['slug']}'."
    return (f"There is no job '{str(args.get('job_id', ''))[:36]}'; use the job URL from the Location "
            "header of the request that started it.")
