"""Sign-in, sign-out, roles, rate limit, CLI and the first organiser account."""

from __future__ import annotations

import html

from sqlalchemy import select

from tests.web.conftest import ORGANISER_EMAIL, PASSWORD, login, submit
from web.auth.models import ApiToken, User, hash_token
from web.auth.routes import LOGIN_FAILED
from web.auth.services import ensure_admin, user_for_api_token
from web.extensions import db


def test_login_and_logout(client, organiser_user):
    response = login(client, ORGANISER_EMAIL)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/")
    page = client.get("/console/")
    assert page.status_code == 200 and ORGANISER_EMAIL in page.get_data(as_text=True)
    assert client.get("/logout").status_code == 405  # sign-out is POST only
    response = submit(client, "/logout", form_url="/console/")
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302


def test_email_is_case_insensitive(client, organiser_user):
    assert login(client, ORGANISER_EMAIL.upper()).status_code == 302


def test_bad_password_and_unknown_email_get_the_same_generic_message(client, organiser_user):
    wrong = login(client, ORGANISER_EMAIL, "not the password")
    unknown = login(client, "nobody@example.com", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert html.escape(LOGIN_FAILED) in response.get_data(as_text=True)  # one answer for both
    assert client.get("/console/").status_code == 302


def test_login_is_rate_limited_per_client(client, organiser_user):
    responses = [login(client, ORGANISER_EMAIL, "wrong") for _ in range(11)]
    assert [r.status_code for r in responses[:10]] == [401] * 10
    assert responses[10].status_code == 429
    assert "Too many sign-in attempts" in responses[10].get_data(as_text=True)
    # Even the right password is refused until the window has passed.
    assert login(client, ORGANISER_EMAIL).status_code == 429
    # Reading the sign-in page is not limited.
    assert client.get("/login").status_code == 200


def test_next_parameter_is_followed_only_within_the_site(client, organiser_user):
    ok = submit(client, "/login?next=/console/new", {"email": ORGANISER_EMAIL, "password": PASSWORD},
                form_url="/login")
    assert ok.headers["Location"].endswith("/console/new")
    client.post("/logout")
    other = client.application.test_client()
    evil = submit(other, "/login?next=https://evil.example/", {"email": ORGANISER_EMAIL, "password": PASSWORD},
                  form_url="/login")
    assert "evil.example" not in evil.headers["Location"]


def test_organiser_pages_send_anonymous_visitors_to_sign_in(client, make_event):
    event = make_event()
    for url in ("/console/", "/console/new", f"/console/{event.slug}/", f"/console/{event.slug}/edit",
                f"/console/{event.slug}/attendees/", f"/console/{event.slug}/attendees/import",
                f"/console/{event.slug}/attendees/new"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login?next=" in response.headers["Location"], url


def test_staff_cannot_reach_organiser_pages(staff, make_event):
    event = make_event()
    assert staff.get("/console/").status_code == 403
    assert staff.get(f"/console/{event.slug}/attendees/").status_code == 404


def test_passwords_are_stored_hashed(organiser_user):
    assert PASSWORD not in organiser_user.password_hash
    assert organiser_user.check_password(PASSWORD)


def test_cli_create_user_and_api_token(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "Desk@Example.com", "--role", "staff",
                                 "--password", "a long password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "desk@example.com"))
    assert user.role == "staff"
    duplicate = runner.invoke(args=["create-user", "desk@example.com", "--password", "a long password"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    short = runner.invoke(args=["create-user", "x@example.com", "--password", "short"])
    assert short.exit_code != 0

    result = runner.invoke(args=["api-token", "desk@example.com", "--name", "kiosk"])
    assert result.exit_code == 0, result.output
    plain = result.output.strip()
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == hash_token(plain) and plain not in stored.token_hash
    assert user_for_api_token(plain).email == "desk@example.com"
    assert stored.last_used_at is not None
    assert user_for_api_token(plain + "x") is None
    assert runner.invoke(args=["api-token", "nobody@example.com"]).exit_code != 0


def test_cli_set_password_lets_a_locked_out_organiser_back_in(app, organiser_user):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["set-password", ORGANISER_EMAIL.upper(), "--password", "a fresh password"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert organiser_user.check_password("a fresh password")
    short = runner.invoke(args=["set-password", ORGANISER_EMAIL, "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert runner.invoke(args=["set-password", "nobody@example.com", "--password", "a fresh password"]).exit_code != 0
    db.session.expire_all()
    assert organiser_user.check_password("a fresh password")


def test_ensure_admin_generates_a_password_once(app, monkeypatch):
    monkeypatch.delenv("ADMIN_EMAIL", raising=False)
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    first = ensure_admin()
    assert first.created and first.email == "admin@speednet.local" and first.password
    user = db.session.scalar(select(User).where(User.email == first.email))
    assert user.role == "organiser" and user.check_password(first.password)
    again = ensure_admin()
    assert not again.created and again.password is None


def test_ensure_admin_from_environment(app, monkeypatch, client):
    monkeypatch.setenv("ADMIN_EMAIL", "Boss@Example.com")
    monkeypatch.setenv("ADMIN_PASSWORD", "boss password 123")
    account = ensure_admin()
    assert account.created and account.email == "boss@example.com" and account.password is None
    assert login(client, "boss@example.com", "boss password 123").status_code == 302
