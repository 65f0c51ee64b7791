"""Suite-wide rules for optional suites.

Browser tests need Debian's Chromium, PostgreSQL tests a server named by
``SPEEDNET_TEST_POSTGRES_URL``, Redis tests (mark ``redis``) a server named by
``SPEEDNET_TEST_REDIS_URL``. On a developer machine without them those suites are skipped
with the reason printed in the summary; under CI (``CI=true``) nothing may be skipped for that
reason, so a missing tool fails loudly instead of hiding a whole suite.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
POSTGRES_URL = os.environ.get("SPEEDNET_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("SPEEDNET_TEST_REDIS_URL", "")
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


MISSING = {
    "browser": None if CHROMIUM else "Debian's chromium is not installed (apt-get install chromium)",
    "postgres": None if POSTGRES_URL else "SPEEDNET_TEST_POSTGRES_URL is not set (.ci/run starts a server)",
    "redis": None if REDIS_URL else "SPEEDNET_TEST_REDIS_URL is not set (.ci/run starts a server)",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker, reason in MISSING.items():
        if not reason or not any(marker in item.keywords for item in items):
            continue
        if UNDER_CI:
            if hasattr(config, "workerinput"):
                continue  # under pytest-xdist an exit only crashes the worker: each test fails below
            pytest.exit(f"CI must run the {marker} suite, but {reason}", returncode=3)
        for item in items:
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"{marker} suite skipped: {reason}"))


@pytest.fixture(autouse=True)
def _stop_queue_workers():
    """Stop the job-queue consumers a test started in this process (web.jobs.queue), so no
    worker thread outlives its test's app and database."""
    yield
    from web.jobs.queue import stop_in_process_workers

    stop_in_process_workers()


REDIS_DATABASES = 64  # .ci/run starts its server with --databases 64


@pytest.fixture
def redis_url(worker_id: str) -> str:
    """A Redis database of this test process's own on the test server, emptied first.

    pytest-xdist runs Redis tests in several processes at once: on one shared database, one
    test's flush would drop another's queued tasks and one test's worker would take another's
    jobs (and find no such job in its own SQLite file). Each xdist worker gets its own number.
    """
    import redis

    number = 0 if worker_id == "master" else int(worker_id.removeprefix("gw")) + 1
    if number >= REDIS_DATABASES:
        pytest.fail(f"xdist worker {worker_id} has no Redis database of its own "
                    f"(the test server has {REDIS_DATABASES}); run with fewer workers")
    parts = urlsplit(REDIS_URL)
    url = urlunsplit(parts._replace(path=f"/{number}"))
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if UNDER_CI:
        for marker, reason in MISSING.items():
            if reason and marker in item.keywords:
                pytest.fail(f"CI must run the {marker} suite, but {reason}", pytrace=False)


# ------------------------------------------------------------------ fixtures: a fast database
# Running Alembic for every test cost about a third of the suite, so the schema is built once per
# session (once per xdist worker) by the real migrations and each test gets a copy of that file.
# tests/web/test_migrations.py overrides ``database_template`` to keep migrating for real.

# Cheap on purpose: the suite signs in hundreds of times; production keeps scrypt
# (tests/web/test_password_hashing.py checks that).
TEST_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """A SQLite file brought to the newest revision by ``create_app`` exactly as in production.

    Yields its path; fixtures copy it with :func:`copy_database` instead of migrating. A module
    that overrides this fixture to return ``None`` gets an empty file migrated per test.
    """
    from web import create_app
    from web.extensions import db

    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    application = create_app({"TESTING": True, "INSTANCE_PATH": str(folder / "instance"),
                              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "template"})
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    with sqlite3.connect(path) as conn:  # fold any WAL pages into the file before it is copied
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    yield path


def copy_database(template: Path | None, target: Path) -> dict[str, object]:
    """Config for an app on a fresh SQLite file at ``target``: a copy of ``template`` with
    migrations switched off, or (``template`` is ``None``) an empty file that ``create_app``
    migrates."""
    if template is None:
        return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}"}
    shutil.copyfile(template, target)
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}", "SPEEDNET_AUTO_MIGRATE": False}
