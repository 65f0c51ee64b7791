"""Application factory: configuration, security headers, error pages, limits."""

from __future__ import annotations

import os
import stat

import pytest
from sqlalchemy import text

from web import create_app
from web.config import config_from_env, load_or_create_secret_key, normalise_database_url
from web.extensions import db


def test_security_headers_on_every_response(client):
    for url in ("/login", "/static/speednet.css", "/does-not-exist"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]


def test_session_cookie_is_httponly_and_samesite(client):
    response = client.get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_secure_cookies_from_environment(tmp_path):
    config = config_from_env(str(tmp_path), {"SPEEDNET_SECURE_COOKIES": "1"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True


def test_html_pages_get_html_errors_and_api_gets_json(client):
    page = client.get("/console/nope/")
    assert page.status_code in (302, 404)  # anonymous: sent to sign-in first
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert missing.content_type.startswith("text/html")
    assert "Not Found" in missing.get_data(as_text=True)
    api = client.get("/api/v1/no-such-endpoint")
    assert api.status_code == 404
    assert api.is_json and api.get_json()["message"] == "Not Found"


def test_openapi_spec_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["info"]["title"] == "speednet API"


def test_oversized_upload_is_refused_with_413(app, organiser, make_event):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    event = make_event()
    response = organiser.post(f"/console/{event.slug}/attendees/import",
                              data={"file": (__import__("io").BytesIO(b"x" * 4096), "big.csv")},
                              content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.content_type.startswith("text/html")


def test_default_upload_limit_is_ten_megabytes(tmp_path):
    assert config_from_env(str(tmp_path), {})["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024


@pytest.mark.parametrize("given, expected", [
    ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_normalisation(given, expected):
    assert normalise_database_url(given) == expected


def test_database_url_and_storage_from_environment(tmp_path):
    config = config_from_env(str(tmp_path), {"DATABASE_URL": "postgres://a@b/c",
                                             "RATELIMIT_STORAGE_URI": "redis://r:6379"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://a@b/c"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://r:6379"
    default = config_from_env(str(tmp_path), {})
    assert default["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'speednet.db'}"


def test_secret_key_is_generated_once_with_private_permissions(tmp_path):
    first = load_or_create_secret_key(tmp_path)
    second = load_or_create_secret_key(tmp_path)
    assert first == second and len(first) >= 32
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_app_without_secret_key_uses_instance_file(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    assert app.config["SECRET_KEY"] == (tmp_path / "inst" / "secret_key").read_text().strip()


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}"})
    assert app.config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "inst" / "secret_key").exists()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_csrf_is_enforced(client):
    response = client.post("/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
