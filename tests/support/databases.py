"""An app on SQLite or on PostgreSQL, for tests whose point is what the database enforces
(concurrent requests, locks, unique indexes): parametrise them over :data:`DATABASES`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import TEST_PASSWORD_HASH_METHOD, copy_database
from tests.reliability.server import scratch_postgres
from web import create_app
from web.extensions import db

# SQLite always; PostgreSQL where SPEEDNET_TEST_POSTGRES_URL names a server (mark ``postgres``).
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def app_on(database: str, tmp_path: Path, template: Path | None, **config: Any) -> Iterator[Flask]:
    """A test app (CSRF on, as the ``app`` fixture) on a fresh SQLite copy of ``template`` or
    on a new PostgreSQL database (migrated by ``create_app``, dropped afterwards), inside an
    app context; ``config`` overrides settings."""
    from tests.web.conftest import IsolatedClient

    with contextlib.ExitStack() as stack:
        if database == "sqlite":
            uri = copy_database(template, tmp_path / "test.db")
        else:
            uri = {"SQLALCHEMY_DATABASE_URI": stack.enter_context(
                scratch_postgres(os.environ["SPEEDNET_TEST_POSTGRES_URL"]))}
        application = create_app({
            "TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": True, "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD, **uri, **config})
        application.test_client_class = IsolatedClient
        with application.app_context():
            try:
                yield application
            finally:
                db.session.remove()
                db.engine.dispose()
