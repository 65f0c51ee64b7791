"""Password hashing: production stores scrypt hashes; the test fixtures' cheap method is a test
setting only, and a hash made with one method still signs in after the method changes."""

from __future__ import annotations

import pytest

from tests.conftest import copy_database
from web import create_app
from web.auth.services import authenticate, create_user, set_password
from web.config import DEFAULT_PASSWORD_HASH_METHOD, config_from_env
from web.extensions import db

PASSWORD = "correct horse battery"


def test_the_environment_cannot_weaken_the_production_hash(tmp_path) -> None:
    config = config_from_env(str(tmp_path), {"PASSWORD_HASH_METHOD": "plain"})
    assert config["PASSWORD_HASH_METHOD"] == DEFAULT_PASSWORD_HASH_METHOD == "scrypt"


@pytest.fixture
def production_app(tmp_path, database_template):
    """An app configured as ``make run`` configures it (no test hash method)."""
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "k",
                      **copy_database(database_template, tmp_path / "prod.db")})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
def test_production_accounts_are_hashed_with_scrypt(production_app) -> None:
    user = create_user("admin@example.com", PASSWORD, "organiser")
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert authenticate("admin@example.com", PASSWORD) == user
    assert authenticate("admin@example.com", PASSWORD + "x") is None
    assert authenticate("nobody@example.com", PASSWORD) is None
    set_password(user, "another long password")
    assert user.password_hash.startswith("scrypt:")
    assert authenticate("admin@example.com", "another long password") == user


@pytest.mark.slow
@pytest.mark.parametrize("stored, current", [("scrypt", "pbkdf2:sha256:1"), ("pbkdf2:sha256:1", "scrypt")])
def test_a_hash_made_with_another_method_still_signs_in(app, stored: str, current: str) -> None:
    app.config["PASSWORD_HASH_METHOD"] = stored
    user = create_user("org@example.com", PASSWORD, "organiser")
    app.config["PASSWORD_HASH_METHOD"] = current
    assert authenticate("org@example.com", PASSWORD) == user
    assert authenticate("org@example.com", "wrong password here") is None
    assert authenticate("nobody@example.com", PASSWORD) is None
    set_password(user, "another long password")
    assert user.password_hash.startswith(current.split(":")[0] + ":")
    assert authenticate("org@example.com", "another long password") == user
