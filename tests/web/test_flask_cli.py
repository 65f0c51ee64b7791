"""``flask --app web`` as a real process, configured only through the environment as a deploy
configures it. The commands themselves are tested in-process with ``app.test_cli_runner()``
(tests/web/test_auth.py, test_printing.py, test_mail.py); this is the one smoke test of the
entry point: app discovery, migrations on an empty database and the production password hash."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.cli import run_module
from tests.support.text import missing_facts


@pytest.mark.slow
def test_flask_cli_creates_an_account_in_a_fresh_database(tmp_path) -> None:
    database = tmp_path / "speednet.db"
    env = {"SPEEDNET_INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": f"sqlite:///{database}",
           "SECRET_KEY": "smoke-test-key", "SPEEDNET_AUTO_MIGRATE": None, "FLASK_APP": None}
    done = run_module("flask", "--app", "web", "create-user", "Desk@Example.com", "--role", "staff",
                      "--password", "a long password", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not missing_facts(done.stdout, "staff", "desk@example.com")  # the role and the address, lower-cased
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT email, role, password_hash FROM users").fetchall()
    conn.close()
    assert [(email, role) for email, role, _ in rows] == [("desk@example.com", "staff")]
    assert rows[0][2].startswith("scrypt:"), "production accounts are hashed with scrypt"
