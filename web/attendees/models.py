"""Attendees of an event, as stored by the web app.

A row keeps the attendee file's fields plus what only the web app knows: the personal-page
token, the check-in code printed in the badge QR, the badge number and where the row came
from. Re-importing a file updates rows by ``ext_id`` and never touches those four.
"""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.domain import Attendee as DomainAttendee
from web.attendees.convert import WishLists, row_to_domain
from web.extensions import Model
from web.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from scheduler.domain import Taxonomy
    from web.events.models import Event

class AttendeeSource(StrEnum):
    """How someone came in: the organiser's file, the registration form, or the door."""

    IMPORT = "import"
    REGISTRATION = "registration"
    WALK_IN = "walk-in"


SOURCES = tuple(AttendeeSource)

#: Longest "what I am looking for" line an attendee may write for the directory.
LOOKING_FOR_MAX = 140


def new_token() -> str:
    """Personal page token (256 bits): the attendee's only credential, in their /me/ link."""
    return secrets.token_urlsafe(32)


def new_checkin_code() -> str:
    """Check-in code printed in the badge QR (192 bits). Separate from ``token`` so a photo of
    a badge does not open the attendee's personal page (and vice versa)."""
    return secrets.token_urlsafe(24)


class Attendee(Model):
    """One person registered for one event."""

    __tablename__ = "attendees"
    __table_args__ = (
        UniqueConstraint("event_id", "ext_id"),
        UniqueConstraint("event_id", "badge_number"),
        CheckConstraint(f"source IN ({', '.join(repr(str(s)) for s in AttendeeSource)})", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    ext_id: Mapped[str] = mapped_column(String(64))  # the attendee file's `id` column
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    company: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(64), default="")
    country: Mapped[str] = mapped_column(String(100), default="")
    partner_type: Mapped[str] = mapped_column(String(100), default="")
    offers: Mapped[list[str]] = mapped_column(JSON, default=list)
    seeks: Mapped[list[str]] = mapped_column(JSON, default=list)
    available_rounds: Mapped[str | None] = mapped_column(String(200))  # "1-4;7-10"; null = all
    must_meet: Mapped[str] = mapped_column(Text, default="")  # ext ids separated by ";"
    avoid: Mapped[str] = mapped_column(Text, default="")
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    checkin_code: Mapped[str] = mapped_column(String(64), unique=True, default=new_checkin_code)
    badge_number: Mapped[int]
    source: Mapped[str] = mapped_column(String(16), default=AttendeeSource.IMPORT)
    # The account that registered a walk-in at the desk: staff may correct their own walk-ins.
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Attendee states (see web/attendees/states.py): withdrawn = cancelled, kept for the record
    # and out of every future round until restored; left = went home during the event, so
    # later rounds are free. Checked in comes from check-ins, no-show is derived from the clock.
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the person's data was erased (at their request, by the organiser, or past the
    # event's retention date): the row keeps only what the counts need (web.schedules.privacy).
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When a published version last changed this attendee's agenda (the personal page shows it).
    agenda_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The event's directory (web.wishes): listed only from when the attendee opted in on their
    # personal page (null = not listed), with the one line they wrote about what they look for.
    directory_listed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    looking_for: Mapped[str] = mapped_column(String(LOOKING_FOR_MAX), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()

    def to_domain(self, wishes: WishLists | None = None) -> DomainAttendee:
        """The domain attendee; ``wishes`` only where a plan is made (see ``row_to_domain``)."""
        return row_to_domain(self, wishes)

    def unlisted(self, taxonomy: Taxonomy) -> dict[str, list[str]]:
        """This row's values that are not in the event's vocabulary, by column (``offers``,
        ``seeks``, ``region``, ``partner_type``; only columns with such values).

        The importer keeps an unknown name with a warning (a typo should not block the door),
        so the desk and the organiser's page ask this afterwards to show what needs a look.
        """
        known = {"offers": set(taxonomy.competencies), "seeks": set(taxonomy.competencies),
                 "region": set(taxonomy.regions), "partner_type": set(taxonomy.partner_types)}
        values = {"offers": list(self.offers or ()), "seeks": list(self.seeks or ()),
                  "region": [self.region] if self.region else [],
                  "partner_type": [self.partner_type] if self.partner_type else []}
        found = {column: [v for v in values[column] if v not in known[column]] for column in known}
        return {column: names for column, names in found.items() if names}

    def __repr__(self) -> str:
        return f"<Attendee {self.ext_id} {self.name!r}>"


attendee_import_rows = Table(
    "attendee_import_rows",
    Model.metadata,
    Column("id", Integer, primary_key=True),
    Column("import_key", String(32), nullable=False, index=True),
    Column("position", Integer, nullable=False),       # order among the rows to add (badge numbers)
    Column("attendee_id", Integer),                    # the row it updates; null = a row to add
    *(Column(column.name, Integer() if column.foreign_keys else column.type)  # a key's type comes late
      for column in Attendee.__table__.columns if column.name != "id"),
)
"""An import's rows on their way in: written in short batches (each its own commit, so a
check-in waits for one batch at most), invisible to every query of ``attendees``, then moved
into ``attendees`` by two set statements in one short transaction and deleted
(``web.attendees.services.commit_import``). Its columns are the attendees' own, without their
constraints, so a column added to ``Attendee`` is staged too."""
class ConsentKind(StrEnum):
    """What a person agreed to."""

    REGISTRATION_PRIVACY = "registration-privacy"  # the privacy notice on the registration form


class Consent(Model):
    """One consent an attendee gave: the exact text they were shown and when they agreed
    (and, once withdrawn, when). Kept with the attendee and erased with them."""

    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(str(k)) for k in ConsentKind)})", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    given_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Consent {self.kind} attendee={self.attendee_id}>"


REMOVAL_REFUSED = "removal_refused"
"""Key of a ``ForeignKey(..., info={REMOVAL_REFUSED: reason})`` to ``attendees.id``.

A table that must keep the attendees it refers to (schedules' meetings: removing someone in a
stored schedule would rewrite it) declares ``ondelete="RESTRICT"``: the database refuses the
delete, whoever asks. ``reason`` (e.g. "in a stored schedule") lets this feature say who is
held, and why, before it tries: see :func:`refusing_references`."""


def refusing_references() -> list[tuple[Column[Any], str]]:
    """Every column (of any table in the models) whose foreign key to ``attendees.id`` refuses a
    delete, with the reason its declaration gives. Read from the schema, not asked of the
    features that own the tables: the database enforces the same declarations, so a table
    missing here (its models not imported) cannot let a removal through, only leave it
    unexplained until the delete is refused."""
    found: list[tuple[Column[Any], str]] = []
    for table in Attendee.__table__.metadata.tables.values():
        for key in table.foreign_keys:
            if key.target_fullname == "attendees.id" and (key.ondelete or "").upper() == "RESTRICT":
                found.append((key.parent, str(key.info.get(REMOVAL_REFUSED, f"in {table.name}"))))
    return found


def attendees_of(event_id: int, *columns: Any) -> Select[Any]:
    """``SELECT`` of the event's attendees (whole rows, or just ``columns``): the one
    "attendees of this event" query; callers add their filters and order."""
    return select(*(columns or (Attendee,))).where(Attendee.event_id == event_id)
