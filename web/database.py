"""Engine set-up and schema upgrades at start-up.

Kept apart from :mod:`web.extensions` because it needs an application (config, instance
folder) while the extension objects must not.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from flask import Flask
from sqlalchemy import Table, event, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, CursorResult, Engine, Result, make_url

from web.extensions import db

MIGRATIONS_DIR = str(Path(__file__).resolve().parent / "migrations")
# Any constant 64-bit number works; derive it from the product name so it is recognisable.
ADVISORY_LOCK_KEY = zlib.crc32(b"speednet-migrations")
SQLITE_BUSY_TIMEOUT_MS = 15_000


def engine_options(database_uri: str, lock_timeout_s: float = SQLITE_BUSY_TIMEOUT_MS / 1000
                   ) -> dict[str, Any]:
    """Per-dialect engine options. SQLite needs a generous lock timeout for concurrent kiosks
    (``lock_timeout_s``, ``SPEEDNET_DB_LOCK_TIMEOUT``); a lock held longer than that answers
    503 with Retry-After (``web.create_app``), which the kiosk resends.

    PostgreSQL connections are pinged when checked out, so a database restart costs no request
    an error. The ping is a round trip per request; measured under the check-in load it made no
    difference to throughput beyond the run-to-run noise (about 0.3 ms of database CPU per
    scan). A connection that dies during a request still answers 503 (``web.create_app``).
    """
    url = make_url(database_uri)
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": lock_timeout_s}}
    return {"pool_pre_ping": True}


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers work while one kiosk writes; foreign keys are off by default in SQLite.
    The busy timeout comes from the driver's ``timeout`` connect argument (engine_options)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


PRIVATE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_sqlite_file(path: str | os.PathLike[str]) -> None:
    """Make the SQLite file at ``path`` readable by its owner only (0600), creating it empty
    when missing: it holds password hashes, e-mail addresses, personal tokens and check-in
    codes, and the usual umask would leave it readable to every account on the machine.

    SQLite gives its ``-wal``/``-shm``/``-journal`` files the database file's mode, so creating
    the file first covers them; files left by an older start (0644) are tightened here too.
    An empty file is a valid, empty SQLite database."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
    for suffix in SQLITE_COMPANIONS:
        companion = Path(f"{target}{suffix}")
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if companion.stat().st_mode & 0o777 != PRIVATE_MODE:
                companion.chmod(PRIVATE_MODE)


def sqlite_file_of(engine: Engine) -> str | None:
    """The file behind a SQLite engine; None for another database or an in-memory one."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    return database


def install_sqlite_pragmas(engine: Engine) -> None:
    """Register the connect hook once per engine (no-op for other databases)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_on_connect):
        event.listen(engine, "connect", _sqlite_on_connect)


@contextlib.contextmanager
def migration_lock(app: Flask) -> Iterator[None]:
    """Serialise schema upgrades between processes starting at the same moment.

    gunicorn starts its workers together and each runs ``create_app()``; without a lock two of
    them would try to create the same tables. SQLite gets an ``flock`` on a file next to the
    instance folder, PostgreSQL a session-level advisory lock held on a dedicated connection.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
        return
    os.makedirs(app.instance_path, exist_ok=True)
    database = engine.url.database or "memory"
    lock_name = "migrate-" + format(zlib.crc32(database.encode()), "08x") + ".lock"
    with open(os.path.join(app.instance_path, lock_name), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_lock_timeout(error: BaseException) -> bool:
    """Whether a database error means another transaction held its lock past our timeout
    (SQLite "database is locked"/"busy", PostgreSQL lock_timeout): the request may simply be
    sent again, unlike a real fault."""
    original = getattr(error, "orig", error)
    if isinstance(original, sqlite3.OperationalError):
        text_ = str(original).lower()
        return "database is locked" in text_ or "database is busy" in text_ or "database table is locked" in text_
    return getattr(original, "sqlstate", None) in {"55P03", "40P01"}  # lock_not_available, deadlock


def upgrade_database(app: Flask) -> None:
    """Bring the schema to the newest Alembic revision (idempotent, safe to call concurrently)."""
    from flask_migrate import upgrade

    with app.app_context(), migration_lock(app):
        upgrade(directory=MIGRATIONS_DIR)


def changed_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (``execute`` is typed as returning any
    result; for those statements it is a cursor result, which counts them)."""
    return cast(CursorResult[Any], result).rowcount


def lock_row(session: Any, table: Table, row_id: Any) -> None:
    """Hold ``table``'s row ``row_id`` until ``session``'s transaction ends, so that two
    transactions that both begin with it run one after the other (a read-check-write that
    must not interleave, such as publishing on a base that must still be current).

    PostgreSQL: ``SELECT ... FOR NO KEY UPDATE``, a row lock that two such transactions
    cannot share, while plain readers and the foreign-key checks of inserts that refer to the
    row (a check-in naming its event) are not held up, as they would be by ``FOR UPDATE``.
    SQLite has no row locks: an UPDATE that leaves the row as it was (a plain column and every
    column with an ``onupdate`` set to themselves; not the key, whose change would send SQLite
    through the children's foreign keys) takes the database's write lock at once, where a deferred
    transaction would take it only at its first write, after its reads. Call it before the
    reads it protects and before any write, and never under AUTOCOMMIT (the lock would end
    with the statement).
    """
    key = next(iter(table.primary_key.columns))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(key).where(key == row_id).with_for_update(key_share=True))
        return
    plain = next(column for column in table.c if not column.primary_key)
    unchanged = {column.name: column for column in table.c
                 if column is plain or column.onupdate is not None}
    session.execute(update(table).where(key == row_id).values(unchanged))


@functools.cache
def _insert_or_skip_statement(table: Table, dialect: str, index_elements: tuple[str, ...] | None) -> Any:
    """Built once per table and dialect: constructing the statement costs more than running it
    on the check-in path."""
    target = list(index_elements) if index_elements else None
    if dialect == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing(index_elements=target).returning(table.c.id)
    return sqlite_insert(table).on_conflict_do_nothing(index_elements=target)


def insert_or_skip(connection: Connection, table: Table, values: dict[str, Any],
                   index_elements: tuple[str, ...] | None = None) -> int | None:
    """``INSERT ... ON CONFLICT DO NOTHING`` in the connection's dialect: the new row's id, or
    None when a unique rule refused the row (``index_elements``: that rule's columns; without
    them any unique rule counts).

    SQLite reports the new row through the cursor (its RETURNING needs 3.35, newer than the
    SQLite some Linux distributions build Python 3.11 against); PostgreSQL returns it (psycopg
    reports no rowcount for this statement)."""
    dialect = connection.dialect.name
    result = connection.execute(_insert_or_skip_statement(table, dialect, index_elements), values)
    if dialect == "postgresql":
        return result.scalar()
    return result.lastrowid if result.rowcount == 1 else None
