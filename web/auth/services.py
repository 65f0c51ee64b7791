"""Account and token operations, usable without a request (CLI, dev server, tests)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, event, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from web.audit import AuditAction, record
from web.auth.models import ROLE_ORGANISER, ROLES, ApiToken, PasswordReset, User, hash_token
from web.config import DEFAULT_PASSWORD_HASH_METHOD
from web.extensions import db
from web.lookup_cache import forget_after_commit, lookup_cache, stamp_across_workers
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


def create_user(email: str, password: str, role: str = ROLE_ORGANISER, *,
                is_admin: bool | None = None) -> User:
    """Create and commit an account. Raises :class:`AccountError` on bad input.

    ``is_admin=None``: the account is an admin when it is an organiser and no admin exists yet,
    so the first organiser of a new installation (``ensure_admin``, the first ``flask
    create-user``, the demo's account) can administer the others.
    """
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(f"{email!r} is not an e-mail address", "email")
    _check_role(role)
    check_new_password(password)
    if find_user(email) is not None:
        raise AccountError(f"an account for {email} already exists", "email")
    if is_admin is None:
        is_admin = role == ROLE_ORGANISER and not _admin_exists()
    elif is_admin and role != ROLE_ORGANISER:
        raise AccountError("only an organiser can be an admin", "role")
    user = User(email=email, role=role, is_admin=is_admin)
    user.password_hash = hash_password(password)
    db.session.add(user)
    record(AuditAction.ACCOUNT, target=email, change="created", role=role)
    db.session.commit()
    return user


def _admin_exists() -> bool:
    return db.session.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)) is not None


def _active_admins() -> int:
    return db.session.scalar(select(func.count()).select_from(User)
                             .where(User.is_admin.is_(True), User.active.is_(True))) or 0


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


def unusable_password() -> str:
    """A password nobody knows (256 random bits), for an account whose person sets theirs
    through a one-time link."""
    return secrets.token_urlsafe(32)


def list_accounts() -> list[User]:
    """Every account, organisers first, then by e-mail address."""
    return list(db.session.scalars(select(User).order_by(User.role, User.email)))


def tokens_revoked_by_reset(user: User) -> int:
    """How many API tokens a reset or deactivation of ``user`` would revoke (the confirmation
    page says so)."""
    return db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)) or 0


# Only admins administer accounts, and never their own (they use the Password page): besides
# saving them from locking themselves out, this keeps at least one active admin, the one acting.
# The count after each change is checked too (two admins demoting each other at once).


def _check_admin_acts_on_other(actor: User, user: User, own: str) -> None:
    if not actor.is_admin:
        raise AccountError("Only an admin administers accounts.")
    if user.id == actor.id:
        raise AccountError(own)


def _commit_keeping_an_admin() -> None:
    """Commit, unless the change leaves no active admin (then roll back and refuse)."""
    db.session.flush()
    if _active_admins() == 0:
        db.session.rollback()
        raise AccountError("The last admin cannot be removed: make another account admin first.")
    db.session.commit()


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (sign-in refused, open sessions end, API tokens revoked) or reactivate."""
    _check_admin_acts_on_other(actor, user, "You cannot deactivate your own account.")
    user.active = active
    record(AuditAction.ACCOUNT, actor=actor, target=user.email, change="reactivated" if active else "deactivated")
    if not active:
        _revoke_tokens_of(user)
    _commit_keeping_an_admin()


def set_role(actor: User, user: User, role: str) -> None:
    _check_role(role)
    _check_admin_acts_on_other(actor, user, "You cannot change your own role.")
    if user.is_admin and role != ROLE_ORGANISER:
        raise AccountError(f"{user.email} is an admin: remove the admin flag first.", "role")
    user.role = role
    record(AuditAction.ACCOUNT, actor=actor, target=user.email, change="role", role=role)
    _commit_keeping_an_admin()


def set_admin(actor: User, user: User, is_admin: bool) -> None:
    """Name an organiser admin, or take the flag away (never from the last active admin)."""
    _check_admin_acts_on_other(actor, user, "You cannot change your own admin flag.")
    if is_admin and user.role != ROLE_ORGANISER:
        raise AccountError("Only an organiser can be an admin: change the role first.")
    user.is_admin = is_admin
    record(AuditAction.ACCOUNT, actor=actor, target=user.email, change="admin" if is_admin else "not-admin")
    _commit_keeping_an_admin()


def make_admin(user: User) -> None:
    """The server's way to name an admin (``flask set-admin``): no actor, e.g. to recover an
    installation whose admins all left."""
    if user.role != ROLE_ORGANISER:
        raise AccountError("Only an organiser can be an admin.")
    user.is_admin = True
    user.active = True
    db.session.commit()


def set_password(user: User, password: str) -> None:
    """Store a new password; every session signed in with the old one ends (see
    :meth:`User.get_id`)."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    db.session.commit()


RESET_LINK_LIFETIME = dt.timedelta(hours=24)


def start_password_reset(actor: User, user: User, now: dt.datetime | None = None) -> str:
    """An admin resets ``user``'s password: returns the plain token of a one-time link.

    At once, in one transaction: the old password stops working and every session signed in
    with it ends (the password hash, and so the session fingerprint, changes to an unusable
    random one), every API token of the account is revoked, and earlier reset links are void.
    The admin never sees or chooses the new password: the person sets it through the link.
    """
    _check_admin_acts_on_other(actor, user, "Change your own password on the Password page.")
    now = now or utcnow()
    plain = secrets.token_urlsafe(32)
    user.password_hash = hash_password(unusable_password())  # until the link is used
    record(AuditAction.PASSWORD_RESET, actor=actor, target=user.email)
    _revoke_tokens_of(user)
    for old in db.session.scalars(select(PasswordReset).where(PasswordReset.user_id == user.id)):
        db.session.delete(old)
    db.session.add(PasswordReset(user_id=user.id, token_hash=hash_token(plain), created_by_id=actor.id,
                                 created_at=now, expires_at=now + RESET_LINK_LIFETIME))
    db.session.commit()
    return plain


def reset_for_link(plain: str, now: dt.datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired reset of an active account that ``plain`` names, else ``None``."""
    if not plain or len(plain) > 100:
        return None
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(plain)))
    now = now or utcnow()
    if reset is None or reset.used_at is not None or reset.expires_at <= now or not reset.user.active:
        return None
    return reset


def complete_password_reset(plain: str, password: str, now: dt.datetime | None = None) -> User:
    """Set the password chosen through a reset link; the link is spent (once only, even when
    two tabs send it at the same moment: the conditional update lets one through)."""
    now = now or utcnow()
    reset = reset_for_link(plain, now)
    if reset is None:
        raise AccountError("This reset link is not valid (any more): ask an admin for a new one.")
    check_new_password(password)
    spent = db.session.execute(
        update(PasswordReset).where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise AccountError("This reset link is not valid (any more): ask an admin for a new one.")
    user = reset.user
    user.password_hash = hash_password(password)
    record(AuditAction.PASSWORD_CHANGE, actor=user, target=user.email, through="reset-link")
    db.session.commit()
    return user


def _revoke_tokens_of(user: User) -> int:
    """Delete every API token of ``user`` in the current transaction (ORM deletes, so the
    token cache is forgotten when it commits); returns how many."""
    tokens = list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))
    for token in tokens:
        db.session.delete(token)
    return len(tokens)


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
    """Make sure an admin organiser account exists, for a first start with an empty database.

    ``ADMIN_EMAIL``/``ADMIN_PASSWORD`` from the environment create (or keep) that account;
    otherwise ``admin@speednet.local`` gets a random password, returned so it can be printed
    once. An existing organiser is left alone (its password is never reset), except that it is
    made admin when no active admin is left (an installation must have one).
    """
    email = normalise_email(os.environ.get("ADMIN_EMAIL", "") or DEFAULT_ADMIN_EMAIL)
    existing = find_user(email)
    if existing is not None:
        _admin_if_none_left(existing)
        return AdminAccount(email=existing.email, password=None, created=False)
    env_password = os.environ.get("ADMIN_PASSWORD", "")
    if not os.environ.get("ADMIN_EMAIL"):
        known = db.session.scalar(select(User).where(User.role == ROLE_ORGANISER)
                                  .order_by(User.is_admin.desc(), User.active.desc(), User.id))
        if known is not None:
            _admin_if_none_left(known)
            return AdminAccount(email=known.email, password=None, created=False)
    password = env_password or generate_password()
    create_user(email, password, ROLE_ORGANISER, is_admin=True)
    return AdminAccount(email=email, password=None if env_password else password, created=True)


def _admin_if_none_left(user: User) -> None:
    if user.role == ROLE_ORGANISER and user.active and not user.is_admin and _active_admins() == 0:
        make_admin(user)


def create_api_token(user: User, name: str = "", *, event_id: int | None = None,
                     read_only: bool = False) -> str:
    """Store a new token for ``user`` and return the plain token (shown once, never stored).

    ``event_id`` limits it to that event's API (404 for any other); ``read_only`` to GET.
    """
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, name=name[:100], token_hash=hash_token(plain),
                            event_id=event_id, read_only=read_only))
    db.session.commit()
    return plain


@dataclass(frozen=True)
class ApiUser:
    """The account behind an API token: what API views need of it (who, for check-ins and
    publishing; the role, for access), read without loading an ORM row on every request."""

    id: int
    email: str
    role: str
    event_id: int | None = None  # the token works for this event only (None: any of the account's)
    read_only: bool = False  # the token may only read (GET/HEAD/OPTIONS)


TOKEN_CACHE = "api-token-users"
stamp_across_workers(TOKEN_CACHE)


def user_for_api_token(plain: str) -> ApiUser | None:
    """The active account owning ``plain``; ``None`` for unknown tokens.

    Every kiosk scan sends its token, so each worker remembers a token's account for a couple
    of seconds (:mod:`web.lookup_cache`). Revoking a token, resetting, deactivating or
    demoting its account clears that memory when the change commits, in every worker of this
    host (the cache is stamped across workers, see :func:`web.lookup_cache.stamp_across_workers`),
    so a revoked token is refused from the next request on.
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
    return ApiUser(found.id, found.email, found.role, found.event_id, bool(found.read_only))


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
           _tokens.c.id.label("token_id"), _tokens.c.last_used_at, _tokens.c.event_id,
           _tokens.c.read_only)
    .join(_tokens, _tokens.c.user_id == _users.c.id)
    .where(_tokens.c.token_hash == bindparam("token_hash"))
)
_TOKEN_USED = (update(_tokens).where(_tokens.c.id == bindparam("token_id"))
               .values(last_used_at=bindparam("last_used_at")))
