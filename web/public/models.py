"""Registrations waiting for their address to confirm them (double opt-in).

Until the person follows the link in the confirmation mail, the registration is only a row
here: no attendee exists, so nothing (lists, counts, plans, the desk, the display) can show
them. A pending row holds the form as typed and the consent given, and expires after
:data:`web.public.registration.PENDING_LIFETIME`; its confirmation token is stored hashed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from web.extensions import Model
from web.types import UTCDateTime, utcnow


class PendingRegistration(Model):
    """One registration awaiting confirmation by its address."""

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # the plain address (scheduler.addresses)
    cells: Mapped[dict[str, Any]] = mapped_column(JSON)  # the importer's row cells, id left empty
    consent_text: Mapped[str] = mapped_column(Text)
    consent_given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the link's token
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    def __repr__(self) -> str:
        return f"<PendingRegistration {self.id} event={self.event_id}>"
