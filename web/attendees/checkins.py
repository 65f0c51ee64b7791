"""Check-ins recorded at the door: the attendees feature owns them, because whether someone is
here is part of where they stand (:mod:`web.attendees.presence`), and the planner below the door
needs that answer directly.

Kiosks may retry a request after a network hiccup, so each check-in carries the client's
``nonce`` (unique per event): a retry finds the existing row instead of making a second one.
A mistaken check-in is annulled, not deleted, to keep the audit trail; a partial unique index
allows at most one non-annulled check-in per attendee.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.extensions import Model
from web.types import UTCDateTime, utcnow

if TYPE_CHECKING:  # names for the checker; the mapper resolves them by name at run time
    from web.attendees.models import Attendee
    from web.auth.models import User


class CheckIn(Model):
    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("event_id", "nonce"),
        Index(
            "uq_checkins_one_active",
            "event_id",
            "attendee_id",
            unique=True,
            sqlite_where=text("annulled_at IS NULL"),
            postgresql_where=text("annulled_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("attendees.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    device: Mapped[str] = mapped_column(String(100), default="")
    nonce: Mapped[str] = mapped_column(String(64))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    annulled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    annulled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    attendee: Mapped[Attendee] = relationship()
    staff_user: Mapped[User | None] = relationship(foreign_keys=[staff_user_id])
    annulled_by: Mapped[User | None] = relationship(foreign_keys=[annulled_by_id])

    @hybrid_property
    def active(self) -> bool:
        """Not annulled: the one definition of a check-in that counts (the person is here),
        on a row (``checkin.active``) and in a query (``where(CheckIn.active)``)."""
        return self.annulled_at is None

    @active.inplace.expression
    @classmethod
    def _active_expression(cls) -> ColumnElement[bool]:
        return cls.annulled_at.is_(None)
