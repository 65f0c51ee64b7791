"""Who administers accounts (admins only; anyone else finds nothing there), the one-time reset
link that replaces a shown password, and API tokens that stop the moment they should or are
narrowed to one event or to reading."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.web.conftest import ORGANISER_EMAIL, PASSWORD, STAFF_EMAIL, login, submit
from tests.web.test_accounts import ACCOUNTS, _account, _shown_link, confirmed, set_password_by_link
from web import create_app
from web.auth.models import ApiToken, PasswordReset, User
from web.auth.services import (
    AccountError,
    create_api_token,
    create_user,
    ensure_admin,
    reset_for_link,
    set_admin,
    start_password_reset,
    user_for_api_token,
)
from web.extensions import db

SECOND = "second@example.com"
TOKENS = "/console/api-tokens"
NEW_TOKEN = re.compile(r'id="new-token" type="text" readonly value="([^"]+)"')


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def second(app, organiser_user):
    """A second organiser who is not an admin, signed in."""
    create_user(SECOND, PASSWORD, "organiser")
    client = app.test_client()
    assert login(client, SECOND).status_code == 302
    return client


def test_the_first_organiser_is_admin_and_later_ones_are_not(app, organiser_user):
    assert organiser_user.is_admin
    assert not create_user(SECOND, PASSWORD, "organiser").is_admin
    assert not create_user("desk@example.com", PASSWORD, "staff").is_admin
    assert ensure_admin().email == ORGANISER_EMAIL


def test_ensure_admin_names_an_admin_when_none_is_left(app):
    user = create_user(SECOND, PASSWORD, "organiser", is_admin=False)
    ensure_admin()
    assert _account(SECOND).is_admin and user.id == _account(SECOND).id


def test_a_second_organiser_finds_no_account_administration(second, organiser_user, organiser):
    """The probe of the issue: one click let a second organiser reset, deactivate or demote the
    first. Now every account-admin route is 404 to them, whatever they send."""
    target = organiser_user.id
    assert second.get(ACCOUNTS).status_code == 404
    assert "/console/accounts" not in second.get("/console/").get_data(as_text=True)
    attempts = {
        ACCOUNTS: {"email": "mine@example.com", "role": "organiser", "password": ""},
        f"{ACCOUNTS}/{target}/reset-password": {},
        f"{ACCOUNTS}/{target}/deactivate": {},
        f"{ACCOUNTS}/{target}/reactivate": {},
        f"{ACCOUNTS}/{target}/role": {"role": "staff"},
        f"{ACCOUNTS}/{target}/admin": {"admin": "no"},
        f"{ACCOUNTS}/999/deactivate": {},
    }
    for url, data in attempts.items():
        for extra in ({}, {"confirmed": "yes"}):
            response = submit(second, url, {**data, **extra}, form_url="/account/password")
            assert response.status_code == 404, url
    first = _account(ORGANISER_EMAIL)
    assert first.active and first.role == "organiser" and first.is_admin and first.check_password(PASSWORD)
    assert _account("mine@example.com") is None
    assert db.session.scalar(select(PasswordReset)) is None
    assert organiser.get(ACCOUNTS).status_code == 200  # the admin still gets in


def test_a_non_admin_sees_and_revokes_only_their_own_tokens(second, organiser_user, app, client):
    theirs = create_api_token(organiser_user, "admin's sync")
    theirs_row = db.session.scalar(select(ApiToken).where(ApiToken.name == "admin's sync"))

    page = second.get(TOKENS).get_data(as_text=True)
    assert "admin's sync" not in page and ORGANISER_EMAIL not in page
    assert 'name="account"' not in page

    mine = submit(second, TOKENS, {"name": "my laptop", "event": 0})
    plain = NEW_TOKEN.search(mine.get_data(as_text=True)).group(1)
    assert user_for_api_token(plain).email == SECOND

    for extra in ({}, {"confirmed": "yes"}):
        forged = submit(second, TOKENS, {"name": "as the admin", "account": organiser_user.id, "event": 0, **extra})
        assert forged.status_code == 404
        revoke = submit(second, f"{TOKENS}/{theirs_row.id}/revoke", extra, form_url=TOKENS)
        assert revoke.status_code == 404
    assert user_for_api_token(theirs) is not None
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "as the admin")) is None

    own = db.session.scalar(select(ApiToken).where(ApiToken.name == "my laptop"))
    submit(second, f"{TOKENS}/{own.id}/revoke", form_url=TOKENS)
    assert user_for_api_token(plain) is None


def test_an_admin_names_another_admin_who_can_then_administer(organiser, organiser_user, app):
    other = create_user(SECOND, PASSWORD, "organiser")
    confirmed(organiser, f"{ACCOUNTS}/{other.id}/admin", {"admin": "yes"})
    assert _account(SECOND).is_admin
    client = app.test_client()
    login(client, SECOND)
    assert client.get(ACCOUNTS).status_code == 200

    # An admin cannot be demoted to staff while the flag is on; the flag comes off first.
    response = confirmed(organiser, f"{ACCOUNTS}/{other.id}/role", {"role": "staff"}, follow_redirects=True)
    assert "admin flag first" in response.get_data(as_text=True) and _account(SECOND).role == "organiser"
    confirmed(organiser, f"{ACCOUNTS}/{other.id}/admin", {"admin": "no"})
    assert not _account(SECOND).is_admin
    assert client.get(ACCOUNTS).status_code == 404


def test_the_last_admin_cannot_be_removed(organiser, organiser_user):
    own = confirmed(organiser, f"{ACCOUNTS}/{organiser_user.id}/admin", {"admin": "no"}, follow_redirects=True)
    assert "own admin flag" in own.get_data(as_text=True)
    # An admin acting on a stale view (another admin removed meanwhile) is refused by the count.
    former = create_user("former-admin@example.com", "a long enough password", "organiser", is_admin=False)
    stale_actor = SimpleNamespace(id=former.id, email=former.email, is_admin=True)
    with pytest.raises(AccountError, match="last admin"):
        set_admin(stale_actor, organiser_user, False)
    assert _account(ORGANISER_EMAIL).is_admin


def test_the_reset_link_works_once_and_the_admin_never_sees_a_password(organiser, staff, app):
    member = _account(STAFF_EMAIL)
    response = confirmed(organiser, f"{ACCOUNTS}/{member.id}/reset-password")
    link = _shown_link(response)
    assert "handed-over-password" not in response.get_data(as_text=True)
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalar(select(PasswordReset))
    assert token not in (stored.token_hash,)  # only its hash is stored

    page = app.test_client().get(link)
    assert page.status_code == 200 and STAFF_EMAIL in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    short = set_password_by_link(app, link, "short")
    assert short.status_code == 422
    assert set_password_by_link(app, link, "my very own secret").status_code == 302
    assert login(app.test_client(), STAFF_EMAIL, "my very own secret").status_code == 302

    assert app.test_client().get(link).status_code == 404  # spent
    late = app.test_client()
    spent = submit(late, link, {"new": "someone else's try", "confirm": "someone else's try"}, form_url="/login")
    assert spent.status_code == 404
    assert login(app.test_client(), STAFF_EMAIL, "someone else's try").status_code == 401


def test_the_reset_link_expires_and_a_newer_one_voids_the_older(app, organiser_user):
    member = create_user(STAFF_EMAIL, PASSWORD, "staff")
    now = dt.datetime(2031, 6, 12, 9, 0, tzinfo=dt.UTC)
    first = start_password_reset(organiser_user, member, now)
    assert reset_for_link(first, now + dt.timedelta(hours=23)) is not None
    assert reset_for_link(first, now + dt.timedelta(hours=24)) is None
    second = start_password_reset(organiser_user, member, now)
    assert reset_for_link(first, now) is None and reset_for_link(second, now) is not None
    assert app.test_client().get("/account/reset/not-a-token").status_code == 404


def test_a_revocation_reaches_another_worker_at_once(app, organiser, staff):
    """Each worker remembers token users for 2 s; a reset made through one must not be served
    from the other's memory."""
    member = _account(STAFF_EMAIL)
    token = create_api_token(member, "kiosk")
    other_worker = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "PASSWORD_HASH_METHOD")} | {
        "INSTANCE_PATH": app.instance_path})
    with other_worker.app_context():
        assert other_worker.test_client().get("/api/v1/events", headers=bearer(token)).status_code == 403

    confirmed(organiser, f"{ACCOUNTS}/{member.id}/deactivate")

    with other_worker.app_context():
        assert other_worker.test_client().get("/api/v1/events", headers=bearer(token)).status_code == 401
        db.session.remove()
        db.engine.dispose()


def test_a_read_only_token_reads_but_writes_nothing(app, organiser_user, client, make_event):
    make_event(slug="summit")
    token = create_api_token(organiser_user, "dashboard", read_only=True)
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/events/summit", headers=bearer(token)).status_code == 200
    created = client.post("/api/v1/events", headers=bearer(token), json={"slug": "new", "name": "New"})
    assert created.status_code == 403 and "read-only" in created.get_json()["message"]
    changed = client.patch("/api/v1/events/summit", headers=bearer(token), json={"name": "Renamed"})
    assert changed.status_code == 403


def test_the_token_page_limits_a_token_to_one_event_and_to_reading(organiser, organiser_user, make_event):
    event = make_event(slug="summit", name="Partner Summit")
    page = organiser.get(TOKENS).get_data(as_text=True)
    assert f'<option value="{event.id}">Partner Summit (summit)</option>' in page

    response = submit(organiser, TOKENS, {"name": "summit screen", "account": organiser_user.id,
                                          "event": event.id, "read_only": "y"})
    plain = NEW_TOKEN.search(response.get_data(as_text=True)).group(1)
    seen = user_for_api_token(plain)
    assert (seen.event_id, seen.read_only) == (event.id, True)
    listing = organiser.get(TOKENS).get_data(as_text=True)
    assert "Partner Summit" in listing and "read only" in listing

    unscoped = user_for_api_token(create_api_token(organiser_user, "all"))
    assert (unscoped.event_id, unscoped.read_only) == (None, False)


def test_a_token_limited_to_an_event_goes_with_it(app, organiser_user, make_event):
    event = make_event(slug="summit")
    create_api_token(organiser_user, "summit only", event_id=event.id)
    db.session.delete(event)
    db.session.commit()
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "summit only")) is None


def test_the_cli_names_an_admin(app):
    create_user("first@example.com", PASSWORD, "organiser")
    create_user(SECOND, PASSWORD, "organiser")
    result = app.test_cli_runner().invoke(args=["set-admin", SECOND])
    assert result.exit_code == 0 and _account(SECOND).is_admin
    assert db.session.scalar(select(User).where(User.email == "first@example.com")).is_admin
