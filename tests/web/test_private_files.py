"""The files that hold personal data are readable by their owner only (0600): the SQLite
database with its -wal/-shm files, the job queue's SQLite file and the secret key."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import TEST_PASSWORD_HASH_METHOD
from web import create_app
from web.extensions import db
from web.jobs.queue import queue_of


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most machines start with, which would leave new files 0644."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def fresh_app(folder: Path):
    return create_app({
        "TESTING": True, "INSTANCE_PATH": str(folder / "instance"),
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'speednet.db'}",
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
    })


def test_a_new_database_queue_and_secret_key_are_private(tmp_path, usual_umask):
    app = fresh_app(tmp_path)
    with app.app_context():
        db.session.execute(text("INSERT INTO users (email, password_hash, role, active, created_at) "
                                "VALUES ('a@example.com', 'x', 'organiser', 1, '2026-01-01')"))
        db.session.commit()
        database = tmp_path / "speednet.db"
        files = [database, Path(f"{database}-wal"), Path(f"{database}-shm"),
                 Path(app.instance_path) / "secret_key"]
        queue_file = Path(queue_of(app).storage.filename)
        files.append(queue_file)
        assert all(path.exists() for path in files), [p for p in files if not p.exists()]
        assert {path.name: mode(path) for path in files} == {path.name: 0o600 for path in files}
        db.session.remove()
        db.engine.dispose()


def test_files_left_readable_by_an_older_version_are_tightened(tmp_path, usual_umask):
    instance = tmp_path / "instance"
    instance.mkdir()
    database = tmp_path / "speednet.db"
    for path in (database, instance / "queue.db", instance / "secret_key"):
        path.touch()
        path.chmod(0o644)
    (instance / "secret_key").write_text("an-old-key")
    app = fresh_app(tmp_path)
    with app.app_context():
        assert mode(database) == 0o600
        assert mode(instance / "queue.db") == 0o600
        assert mode(instance / "secret_key") == 0o600
        assert app.config["SECRET_KEY"] == "an-old-key"
        db.session.remove()
        db.engine.dispose()
