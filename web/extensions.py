"""Flask extension singletons, created unbound and attached to the app in :func:`web.create_app`.

Feature packages import these objects (never the app) so that models and routes can be
defined before any application exists, as in Flask's application-factory pattern.
"""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
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


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (default memory://, i.e. per process). Use a shared
# store such as redis:// when several gunicorn workers must count together.
limiter = Limiter(key_func=get_remote_address)
