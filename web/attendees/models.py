"""Attendees of an event, as stored by the web app.

A row keeps the attendee file's fields plus what only the web app knows: the personal-page
token, the check-in code printed in the badge QR, the badge number and where the row came
from. Re-importing a file updates rows by ``ext_id`` and never touches those four.

The personal token and the check-in code are credentials (the /me/ link opens a person's
page; the badge code checks them in), so the database holds neither in plain: a row keeps a
random nonce per code and the SHA-256 of the code, and the code itself is derived when it is
needed (a badge, a mail, a link export) as ``base64url(HMAC-SHA256(key, "<purpose>:<nonce>"))``,
the key being derived from the app's ``SECRET_KEY`` (HMAC with a fixed label). A copy of the
database alone gives no working link or badge; ``SECRET_KEY`` alone gives none either. Lookups
go by the hash (a unique index, so the kiosk's scan stays one index probe). Changing
``SECRET_KEY`` changes every personal link and badge code; a new nonce renews one person's.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask import current_app
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


class CodePurpose(StrEnum):
    """What a derived code opens: the personal page (its link) or the door (the badge QR).
    Separate codes, so a photo of a badge does not open the attendee's page (and vice versa)."""

    PERSONAL_LINK = "personal-link"
    CHECKIN = "checkin"


# Bytes of HMAC kept: 256 bits for the personal link (43 characters), 192 bits for the badge
# code (32 characters; the QR stays small enough to scan from a phone screen).
CODE_BYTES = {CodePurpose.PERSONAL_LINK: 32, CodePurpose.CHECKIN: 24}
CODES_KEY_LABEL = b"speednet attendee codes v1"


def _codes_key() -> bytes:
    """The key the codes are derived under: HMAC of a fixed label under ``SECRET_KEY``, so the
    secret key alone (from the environment or instance/secret_key) gives it."""
    secret = current_app.secret_key
    if not secret:
        raise RuntimeError("SECRET_KEY is not set: attendee codes cannot be derived")
    raw = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(raw, CODES_KEY_LABEL, hashlib.sha256).digest()


def derive_code(purpose: CodePurpose, nonce: str) -> str:
    """The plain code of ``purpose`` for a row's ``nonce`` (URL-safe base64, no padding)."""
    digest = hmac.new(_codes_key(), f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:CODE_BYTES[purpose]]).rstrip(b"=").decode()


def code_hash(plain: str) -> str:
    """What is stored and looked up: SHA-256 of the plain code (long random codes need no
    slow hash, and a fast one keeps lookups by index)."""
    return hashlib.sha256(plain.encode()).hexdigest()


def new_nonce() -> str:
    """A fresh nonce (128 random bits): a new one renews the code derived from it."""
    return secrets.token_urlsafe(16)


def _hash_default(purpose: CodePurpose, nonce_column: str) -> Any:
    """Column default: the hash of the code derived from the row's nonce (given or defaulted
    just before: the nonce column comes first in the table), so every insert, ORM or bulk,
    stores a matching pair without the caller knowing about codes."""
    def default(context: Any) -> str:
        return code_hash(derive_code(purpose, context.get_current_parameters()[nonce_column]))
    return default


def new_codes() -> dict[str, str]:
    """Nonces and hashes for a new row, for an insert that wants to know them up front."""
    token_nonce, checkin_nonce = new_nonce(), new_nonce()
    return {"token_nonce": token_nonce,
            "token_hash": code_hash(derive_code(CodePurpose.PERSONAL_LINK, token_nonce)),
            "checkin_nonce": checkin_nonce,
            "checkin_code_hash": code_hash(derive_code(CodePurpose.CHECKIN, checkin_nonce))}


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
    # The personal token and check-in code, stored as nonce + hash (see the module's doc):
    # ``token`` and ``checkin_code`` below derive the plain values.
    token_nonce: Mapped[str] = mapped_column(String(32), default=new_nonce)
    token_hash: Mapped[str] = mapped_column(
        String(64), unique=True, default=_hash_default(CodePurpose.PERSONAL_LINK, "token_nonce"))
    checkin_nonce: Mapped[str] = mapped_column(String(32), default=new_nonce)
    checkin_code_hash: Mapped[str] = mapped_column(
        String(64), unique=True, default=_hash_default(CodePurpose.CHECKIN, "checkin_nonce"))
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

    @property
    def token(self) -> str:
        """The personal-page token (in the /me/ link), derived; never stored."""
        return derive_code(CodePurpose.PERSONAL_LINK, self.token_nonce)

    @property
    def checkin_code(self) -> str:
        """The check-in code printed in the badge QR, derived; never stored."""
        return derive_code(CodePurpose.CHECKIN, self.checkin_nonce)

    def renew_personal_link(self) -> None:
        """A new personal token (the old link stops working); the badge code stays."""
        self.token_nonce = new_nonce()
        self.token_hash = code_hash(self.token)

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
