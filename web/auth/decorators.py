"""Access control for views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, request
from flask_login import current_user

from web.auth.models import ROLES, Role
from web.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])

# URL arguments that name an event (or something of exactly one event, a job): a route with one
# of them is "under an event", where every refusal is a 404 (see refusal_status).
EVENT_ROUTE_ARGUMENTS = frozenset({"slug", "job_id"})


def in_event_route() -> bool:
    """Whether the request's route is under an event (its rule has an event's argument)."""
    rule = request.url_rule
    return rule is not None and not EVENT_ROUTE_ARGUMENTS.isdisjoint(rule.arguments)


def refusal_status() -> int:
    """403 where signing in again would not help; 404 under an event, so that a refusal there
    reads like a slug that does not exist (web.events.access decides who may see an event)."""
    return 404 if in_event_route() else 403


def role_required(*roles: str) -> Callable[[F], F]:
    """Let only signed-in users with one of ``roles`` through.

    Anonymous visitors are sent to the sign-in page (they may simply have been logged out);
    signed-in users without the role get 403, because signing in again would not help (404
    under an event: :func:`refusal_status`). Organisers pass every check: they can do anything
    staff can.
    """
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles and not current_user.is_organiser:
                abort(refusal_status())
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


organiser_required = role_required(Role.ORGANISER)


def admin_required(view: F) -> F:
    """Only admins administer accounts. Anyone else signed in gets 404, as if the page did not
    exist (an organiser without the flag learns nothing about other accounts); anonymous
    visitors are sent to sign in like on every console page."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
