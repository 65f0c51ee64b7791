"""Accounts of the people who run an event (organisers and check-in staff) and their API tokens.

Attendees never log in: they reach their page through an unguessable personal link
(:attr:`web.attendees.models.Attendee.token`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from web.extensions import Model
from web.types import UTCDateTime, utcnow


class Role(StrEnum):
    """What an account may do: organisers run their events, staff only check people in."""

    ORGANISER = "organiser"
    STAFF = "staff"


ROLE_ORGANISER = Role.ORGANISER
ROLE_STAFF = Role.STAFF
ROLES = tuple(Role)


class User(UserMixin, Model):
    """A person who signs in. ``organiser`` runs events; ``staff`` may only check people in.

    ``is_admin`` (organisers only) administers accounts: adds them, resets passwords, changes
    roles, deactivates, and makes or revokes other people's API tokens. The first account is an
    admin; admins name others; the last active admin cannot be removed. Without the flag an
    organiser can still run events but sees and changes only their own password and tokens.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(str(r)) for r in Role)})", name="role"),
        CheckConstraint(f"NOT is_admin OR role = '{Role.ORGANISER}'", name="admin_is_organiser"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_ORGANISER)
    active: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the id plus a
        fingerprint of the password hash. A new password (changed, or reset by an organiser)
        changes the fingerprint, so every session signed in with the old one ends on its next
        request: a lost phone or a departed volunteer keeps no access."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        # The hash carries its own random salt, so this reveals nothing about the password.
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    @property
    def is_organiser(self) -> bool:
        return self.role == ROLE_ORGANISER

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def hash_token(plain: str) -> str:
    """SHA-256 of an API token. Tokens are long random strings, so a fast hash is enough and
    lets us look a token up by its hash (unlike passwords, which need a slow salted hash)."""
    return hashlib.sha256(plain.encode()).hexdigest()


class ApiToken(Model):
    """A bearer token for the JSON API. Only the hash is stored; the plain token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Scope: one event only (the auth layer names the table, it does not import Event; the
    # token goes with its event) and/or reads only. NULL / False = everything the account may do.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    read_only: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="api_tokens")


class PasswordReset(Model):
    """A one-time link an admin makes so that a person sets a new password themselves.

    The admin never sees a password: they hand over (or mail) the link, the person chooses the
    password at ``/account/reset/<token>``. Only the SHA-256 of the link's token is stored; the
    link works once and until ``expires_at``. Making it already ended the account's sessions and
    revoked its API tokens (see :func:`web.auth.services.start_password_reset`).
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
