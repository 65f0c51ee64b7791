"""One row per action worth answering for later: who checked whom in, who published, who
exported personal data, who changed an account."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import Model
from web.types import UTCDateTime, utcnow


class AuditAction(StrEnum):
    """What was done. The value is also the structured log line's action, so the trail in the
    database and the one in the logs use the same words."""

    CHECK_IN = "checkin"
    CHECK_IN_UNDONE = "checkin-annulled"
    PLAN_STORED = "plan-stored"          # a plan, revision or re-plan stored as a draft (kind in details)
    PUBLISH = "publish"
    IMPORT = "import"
    EVENT_SETTINGS = "event-settings"
    EXPORT = "export"                    # personal data leaving the app (what: in details)
    ACCOUNT = "account"                  # role, active, created (change: in details)
    PASSWORD_RESET = "password-reset"
    PASSWORD_CHANGE = "password-change"
    TEAM = "team"                        # event membership changes
    ERASURE = "attendee-erased"          # one attendee's personal data erased (reason: in details)
    DISPLAY_LINK = "display-link-renewed"  # the room display's secret address replaced


class AuditEntry(Model):
    """One action. ``actor_id`` is null for the system (jobs, the worker) or a deleted account;
    ``actor_label`` keeps who it was in words either way."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint(f"action IN ({', '.join(repr(str(a)) for a in AuditAction)})", name="action"),
        Index("ix_audit_entries_event_time", "event_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(254), default="system")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} by {self.actor_label}>"
