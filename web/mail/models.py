"""The outbox: one row per e-mail message, from the moment a feature asks for it until the
SMTP server has accepted it (or the organiser can read why it could not be sent).

Features never talk to SMTP themselves: they add a row (``web.mail.services.enqueue``) in
their own transaction, so a message exists exactly when what it announces was committed.
``dedupe_key`` is unique, so asking twice for the same message (a retried request, a second
publish signal) queues it once.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import Model
from web.types import UTCDateTime, utcnow

KINDS = ("registration", "link-recovery", "personal-link", "agenda-change")
class MailState(StrEnum):
    """An outbox message's state (see :class:`OutboxMessage`)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"


STATES = tuple(MailState)


class OutboxMessage(Model):
    """One message to one address.

    ``state``: queued (due at ``next_attempt_at``) -> sending (claimed by one process) -> sent;
    back to queued with a later ``next_attempt_at`` when the server refused; failed after
    ``MAX_ATTEMPTS``; held when no SMTP server is configured (kept for the console).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"state IN ({', '.join(repr(str(s)) for s in MailState)})", name="state"),
        CheckConstraint(
            "kind IN ('registration', 'link-recovery', 'personal-link', 'agenda-change')",
            name="kind"),
        Index("ix_outbox_messages_state_due", "state", "next_attempt_at"),
        Index("ix_outbox_messages_event_created", "event_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Deleting an event (data protection) deletes its messages: they hold addresses.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    attendee_id: Mapped[int | None] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=MailState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.state}>"
