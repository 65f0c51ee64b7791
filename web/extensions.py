"""Flask extension singletons, created unbound and attached to the app in :func:`web.create_app`.

Feature packages import these objects (never the app) so that models and routes can be
defined before any application exists, as in Flask's application-factory pattern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Deterministic constraint names: Alembic needs names to drop or alter constraints later, and
# SQLite (batch mode) and PostgreSQL must end up with the same names.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every speednet table (SQLAlchemy 2 typed mappings)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    if TYPE_CHECKING:
        __table__: ClassVar[Table]  # every model maps one table (for Core statements on it)


db = SQLAlchemy(model_class=Base)

# Models subclass ``Model``: at run time Flask-SQLAlchemy's ``db.Model`` (the base above plus
# its session binding), for the type checker the declarative base it is made from, which
# mypy understands (it cannot follow ``db.Model``, an attribute made at run time).
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def client_address() -> str:
    """The client a rate limit counts against: the connecting address, which
    ``werkzeug.middleware.proxy_fix.ProxyFix`` has already replaced by the forwarded one when
    ``SPEEDNET_TRUSTED_PROXIES`` says how many proxies stand in front (``web.create_app``).
    Without it every visitor behind the proxy would share one counter, and ten wrong passwords
    from one kiosk would lock every organiser out."""
    return request.remote_addr or "unknown"


# Storage comes from RATELIMIT_STORAGE_URI (default memory://, i.e. per process). Use a shared
# store such as redis:// when several gunicorn workers must count together.
limiter = Limiter(key_func=client_address)

DEFAULT_PUBLIC_RATE_LIMIT = "300/minute"


def public_rate_limit() -> str:
    """``SPEEDNET_PUBLIC_RATE_LIMIT`` (per client, over every public page together)."""
    return str(current_app.config.get("PUBLIC_RATE_LIMIT") or DEFAULT_PUBLIC_RATE_LIMIT)


# The pages anyone with a link may open (personal pages, their PDF and calendar, the room
# display) share one counter per client: a script opening them as fast as they are answered
# is slowed to this rate and gets 429s, while the check-in desk keeps its share of the server.
public_page_limit = limiter.shared_limit(
    public_rate_limit, scope="public-pages",
    error_message="Too many requests from your network. Wait a moment and try again.")


def signal_sender() -> Flask:
    """The application object itself (not the ``current_app`` proxy), as blinker senders must
    be: receivers connected for one app compare senders by identity."""
    return cast(Flask, cast(Any, current_app)._get_current_object())
