"""Recording an action: one database row in the action's own transaction, and one structured
log line, from one call."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import func, insert, select

from web.audit.models import AuditAction, AuditEntry
from web.extensions import db
from web.logs import log_action
from web.types import utcnow

log = logging.getLogger(__name__)


class Actor(Protocol):
    """Who acted: a signed-in ``User`` or an API token's ``ApiUser`` (anything with these)."""

    @property
    def id(self) -> int: ...

    @property
    def email(self) -> str: ...


SYSTEM = "system"


def record(action: AuditAction, *, event_id: int | None = None, actor: Actor | None = None,
           target: str | None = None, now: dt.datetime | None = None, **details: Any) -> None:
    """Record ``action`` in the current transaction and write its log line.

    The row is an INSERT run now on the session's connection: it commits or rolls back with
    the action it describes (in autocommit, as the check-in API runs, it is stored at once).
    ``actor`` defaults to the signed-in user of the request, else the system (a job). The log
    line carries ``details`` (``None`` values left out) plus ``by`` (the actor's id), so the
    action is logged once, by this call.
    """
    who = actor if actor is not None else _signed_in()
    kept = {key: _plain(value) for key, value in details.items() if value is not None}
    db.session.execute(insert(AuditEntry.__table__).values(
        created_at=now or utcnow(), actor_id=getattr(who, "id", None),
        actor_label=(getattr(who, "email", None) or SYSTEM)[:254], event_id=event_id,
        action=str(action), target=target[:200] if target else None, details=kept))
    fields = dict(kept)
    if who is not None:
        fields.setdefault("by", who.id)
    log_action(log, str(action), **fields)


def _signed_in() -> Actor | None:
    """The request's user, if any (never during a job): an API token's account (Flask-HTTPAuth,
    under apiflask, keeps it in ``g``; the API never reads the sign-in cookie), else the
    signed-in user."""
    if not has_request_context():
        return None
    token_user: Actor | None = g.get("flask_httpauth_user")
    if token_user is not None and token_user is not True:
        return token_user
    if getattr(current_user, "is_authenticated", False):
        return current_user
    return None


def _plain(value: Any) -> Any:
    """A value JSON can hold (enums and dates as text)."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


@dataclass(frozen=True)
class AuditPage:
    """One page of an event's trail, newest first."""

    entries: list[AuditEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def audit_page(event_id: int, *, action: str | None = None, page: int = 1, per_page: int = 50) -> AuditPage:
    """The event's entries, newest first, optionally of one action."""
    query = select(AuditEntry).where(AuditEntry.event_id == event_id)
    if action:
        query = query.where(AuditEntry.action == action)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    rows = list(db.session.scalars(query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
                                   .offset((page - 1) * per_page).limit(per_page)))
    return AuditPage(rows, total, page, per_page)
