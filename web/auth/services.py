"""Account and token operations, usable without a request (CLI, dev server, tests)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, event, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from web.audit import AuditAction, record
from web.auth.models import ROLE_ORGANISER, ROLES, ApiToken, User, hash_token
from web.config import DEFAULT_PASSWORD_HASH_METHOD
from web.extensions import db
from web.lookup_cache import forget_after_commit, lookup_cache
from web.types import utcnow

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

DEFAULT_ADMIN_EMAIL = "admin@speednet.local"
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "sn_"


def _hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD") or DEFAULT_PASSWORD_HASH_METHOD


def hash_password(password: str) -> str:
    """werkzeug's salted hash of ``password`` with the app's ``PASSWORD_HASH_METHOD``.

    Production keeps scrypt; the test fixtures choose a cheap method so a suite that signs in
    hundreds of times stays fast. The method is stored in the hash, so checking works either way.
    """
    return generate_password_hash(password, method=_hash_method())


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


class AccountError(ValueError):
    """A user-facing problem with account data (shown by the CLI and next to a form's field).

    ``field`` names what was wrong (``email``, ``role``, ``password``, ``current_password``)
    so a form can put the message beside that input; ``None`` for the request as a whole.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """The user if the e-mail and password match an active account, else ``None``."""
    user = find_user(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal which
        # e-mail addresses have accounts.
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def create_user(email: str, password: str, role: str = ROLE_ORGANISER) -> User:
    """Create and commit an account. Raises :class:`AccountError` on bad input."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address", "email")
    _check_role(role)
    check_new_password(password)
    if find_user(email) is not None:
        raise AccountError(f"an account for {email} already exists", "email")
    user = User(email=email, role=role)
    user.password_hash = hash_password(password)
    db.session.add(user)
    record(AuditAction.ACCOUNT, target=email, change="created", role=role)
    db.session.commit()
    return user


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters", "password")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}", "role")


# Read out at a desk or copied from a screen: no look-alikes (l/1, o/0), groups of four.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def generate_password() -> str:
    """A new account's or a reset password: 16 random characters (about 78 bits)."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))


def list_accounts() -> list[User]:
    """Every account, organisers first, then by e-mail address."""
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


# The acting organiser may not deactivate, demote or reset themselves. Besides saving them from
# locking themselves out, this keeps at least one active organiser: the one acting.


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (sign-in refused, open sessions and API tokens stop working) or reactivate."""
    if not active and user.id == actor.id:
        raise AccountError("You cannot deactivate your own account.")
    user.active = active
    record(AuditAction.ACCOUNT, actor=actor, target=user.email, change="reactivated" if active else "deactivated")
    db.session.commit()


def set_role(actor: User, user: User, role: str) -> None:
    _check_role(role)
    if user.id == actor.id and role != user.role:
        raise AccountError("You cannot change your own role.")
    user.role = role
    record(AuditAction.ACCOUNT, actor=actor, target=user.email, change="role", role=role)
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """Store a new password; every session signed in with the old one ends (see
    :meth:`User.get_id`)."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    db.session.commit()


def reset_password(actor: User, user: User) -> str:
    """Give ``user`` a new generated password (returned, to be handed over once)."""
    if user.id == actor.id:
        raise AccountError("Change your own password on the Password page.")
    password = generate_password()
    record(AuditAction.PASSWORD_RESET, actor=actor, target=user.email)
    set_password(user, password)
    return password


def change_password(user: User, current: str, new: str) -> None:
    """A signed-in user's own change: the current password proves it is them at the keyboard."""
    if not user.check_password(current):
        raise AccountError("Your current password is not correct.", "current_password")
    if new == current:
        raise AccountError("The new password must differ from the current one.", "password")
    check_new_password(new)  # before the entry: a refused password records nothing
    record(AuditAction.PASSWORD_CHANGE, actor=user, target=user.email)
    set_password(user, new)


@dataclass(frozen=True)
class AdminAccount:
    email: str
    password: str | None  # the generated password when just created, else None
    created: bool


def ensure_admin() -> AdminAccount:
    """Make sure an organiser account exists, for a first start with an empty database.

    ``ADMIN_EMAIL``/``ADMIN_PASSWORD`` from the environment create (or keep) that account;
    otherwise ``admin@speednet.local`` gets a random password, returned so it can be printed
    once. An existing organiser is left alone (its password is never reset).
    """
    email = normalise_email(os.environ.get("ADMIN_EMAIL", "") or DEFAULT_ADMIN_EMAIL)
    existing = find_user(email)
    if existing is not None:
        return AdminAccount(email=existing.email, password=None, created=False)
    env_password = os.environ.get("ADMIN_PASSWORD", "")
    if not os.environ.get("ADMIN_EMAIL"):
        any_organiser = db.session.scalar(select(User).where(User.role == ROLE_ORGANISER))
        if any_organiser is not None:
            return AdminAccount(email=any_organiser.email, password=None, created=False)
    password = env_password or generate_password()
    create_user(email, password, ROLE_ORGANISER)
    return AdminAccount(email=email, password=None if env_password else password, created=True)


def create_api_token(user: User, name: str = "") -> str:
    """Store a new token for ``user`` and return the plain token (shown once, never stored)."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name[:100], token_hash=hash_token(plain)))
    db.session.commit()
    return plain


@dataclass(frozen=True)
class ApiUser:
    """The account behind an API token: what API views need of it (who, for check-ins and
    publishing; the role, for access), read without loading an ORM row on every request."""

    id: int
    email: str
    role: str
    event_id: int | None = None  # a token limited to one event reaches no other
    read_only: bool = False      # a read-only token may only GET (and HEAD)


TOKEN_CACHE = "api-token-users"


def user_for_api_token(plain: str) -> ApiUser | None:
    """The active account owning ``plain``; ``None`` for unknown tokens.

    Every kiosk scan sends its token, so each worker remembers a token's account for a couple
    of seconds (:mod:`web.lookup_cache`): revoking a token, or deactivating or demoting its
    account, takes effect at once in the worker that made the change and within
    :data:`~web.lookup_cache.LOOKUP_SECONDS` in the others.
    """
    if not plain.startswith(TOKEN_PREFIX):
        return None
    return lookup_cache(TOKEN_CACHE).get(hash_token(plain), _load_api_user)


def _load_api_user(token_hash: str) -> ApiUser | None:
    """Read a token's account, recording the use.

    ``last_used_at`` is written at most once per :data:`LAST_USED_RESOLUTION`: a write per
    request would double the write transactions that the check-ins themselves queue behind.
    """
    found = db.session.connection().execute(_USER_BY_TOKEN_HASH, {"token_hash": token_hash}).first()
    if found is None or not found.active:
        return None
    now = utcnow()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(_TOKEN_USED, {"token_id": found.token_id, "last_used_at": now})
        db.session.commit()
    return ApiUser(found.id, found.email, found.role)


@event.listens_for(User, "after_update")
@event.listens_for(User, "after_delete")
@event.listens_for(ApiToken, "after_update")
@event.listens_for(ApiToken, "after_delete")
def _forget_token_users(_mapper: object, _connection: object, row: object) -> None:
    """An account or token changed: this worker stops trusting what it remembered."""
    forget_after_commit(TOKEN_CACHE, row)


# Every API request runs these: built once (see web.checkin.services).
_tokens, _users = ApiToken.__table__, User.__table__
_USER_BY_TOKEN_HASH = (
    select(_users.c.id, _users.c.email, _users.c.role, _users.c.active,
           _tokens.c.id.label("token_id"), _tokens.c.last_used_at)
    .join(_tokens, _tokens.c.user_id == _users.c.id)
    .where(_tokens.c.token_hash == bindparam("token_hash"))
)
_TOKEN_USED = (update(_tokens).where(_tokens.c.id == bindparam("token_id"))
               .values(last_used_at=bindparam("last_used_at")))
