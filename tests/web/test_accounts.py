"""Accounts in the console: adding staff, resetting passwords, deactivating, roles, and each
user's own password change. What a desk volunteer or an admin notices: who can sign in,
who is signed out, and what the page shows once (a one-time link, never a password)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from tests.support.text import field_errors, missing_facts, text_of
from tests.web.conftest import ORGANISER_EMAIL, PASSWORD, STAFF_EMAIL, login, submit
from web.auth.models import ApiToken, User
from web.auth.services import PASSWORD_ALPHABET, create_api_token, generate_password, user_for_api_token
from web.extensions import db

ACCOUNTS = "/console/accounts"
SHOWN_LINK = re.compile(r'id="reset-link" type="text" readonly value="http://localhost(/account/reset/[^"]+)"')


def _account(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _shown_link(response) -> str:
    found = SHOWN_LINK.search(response.get_data(as_text=True))
    assert found, "the page shows no one-time link to hand over"
    return found.group(1)


def confirmed(client, url: str, data: dict | None = None, **kwargs):
    """Send an account change, check that it is asked to be confirmed first, then confirm it."""
    asked = submit(client, url, data, form_url=ACCOUNTS)
    assert asked.status_code == 200 and "Confirm" in asked.get_data(as_text=True), asked.status_code
    return submit(client, url, {**(data or {}), "confirmed": "yes"}, form_url=ACCOUNTS, **kwargs)


def set_password_by_link(app, link: str, password: str):
    return submit(app.test_client(), link, {"new": password, "confirm": password})


def _signed_in(client) -> bool:
    """Whether ``client`` still reaches a page that needs a signed-in user."""
    response = client.get("/account/password")
    return response.status_code == 200


def test_generated_passwords_are_long_random_and_easy_to_read_out():
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(PASSWORD_ALPHABET)
    assert not set("l1o0") & set(PASSWORD_ALPHABET)


def test_admin_adds_staff_who_set_their_own_password_through_a_link_shown_once(organiser, app):
    response = submit(organiser, ACCOUNTS, {"email": "Desk@Example.com", "role": "staff", "password": ""})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert not missing_facts(text_of(body, class_="flashes"), "desk@example.com", "Check-in staff")
    link = _shown_link(response)

    # Shown once: the list does not show it again.
    assert link not in organiser.get(ACCOUNTS).get_data(as_text=True)

    assert set_password_by_link(app, link, "the volunteer's own").status_code == 302
    volunteer = app.test_client()
    signed_in = login(volunteer, "desk@example.com", "the volunteer's own")
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/checkin/")
    assert volunteer.get("/console/").status_code == 403  # staff: check-in pages only


def test_a_typed_password_is_used_and_not_echoed(organiser, app):
    response = submit(organiser, ACCOUNTS, {"email": "second@example.com", "role": "organiser",
                                            "password": "typed password 42"})
    assert response.status_code == 200
    assert "typed password 42" not in response.get_data(as_text=True)
    assert 'id="reset-link"' not in response.get_data(as_text=True)
    assert login(app.test_client(), "second@example.com", "typed password 42").status_code == 302
    assert _account("second@example.com").role == "organiser"


def test_bad_new_accounts_are_refused_beside_the_field(organiser, organiser_user):
    duplicate = submit(organiser, ACCOUNTS, {"email": ORGANISER_EMAIL.upper(), "role": "staff", "password": ""})
    assert duplicate.status_code == 422
    assert not missing_facts(field_errors(duplicate.get_data(as_text=True), "email"), ORGANISER_EMAIL, "exists")

    short = submit(organiser, ACCOUNTS, {"email": "x@example.com", "role": "staff", "password": "short"})
    assert short.status_code == 422
    assert not missing_facts(field_errors(short.get_data(as_text=True), "password"), "10 characters")
    assert 'id="reset-link"' not in short.get_data(as_text=True)

    bad_role = submit(organiser, ACCOUNTS, {"email": "y@example.com", "role": "admin", "password": ""})
    assert bad_role.status_code == 422
    assert _account("x@example.com") is None and _account("y@example.com") is None


def test_deactivating_signs_staff_out_everywhere_and_stops_their_tokens(organiser, staff, app):
    member = _account(STAFF_EMAIL)
    token = create_api_token(member, "door scanner")
    assert _signed_in(staff) and user_for_api_token(token) is not None

    response = confirmed(organiser, f"{ACCOUNTS}/{member.id}/deactivate", follow_redirects=True)
    assert f"{STAFF_EMAIL} is deactivated" in response.get_data(as_text=True)
    assert not _signed_in(staff)  # the session open on the volunteer's phone ends
    assert login(app.test_client(), STAFF_EMAIL).status_code == 401
    assert user_for_api_token(token) is None

    confirmed(organiser, f"{ACCOUNTS}/{member.id}/reactivate")
    assert login(app.test_client(), STAFF_EMAIL).status_code == 302
    assert user_for_api_token(token) is None  # revoked, not paused: reactivating brings none back


def test_resetting_a_password_signs_out_the_old_sessions_and_revokes_the_tokens(organiser, staff, app, client):
    member = _account(STAFF_EMAIL)
    token = create_api_token(member, "door scanner")
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    response = confirmed(organiser, f"{ACCOUNTS}/{member.id}/reset-password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    link = _shown_link(response)

    assert not _signed_in(staff)
    assert user_for_api_token(token) is None
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(app.test_client(), STAFF_EMAIL, PASSWORD).status_code == 401
    assert set_password_by_link(app, link, "chosen by the volunteer").status_code == 302
    assert login(app.test_client(), STAFF_EMAIL, "chosen by the volunteer").status_code == 302


def test_an_admin_cannot_lock_themselves_out(organiser, organiser_user):
    me = organiser_user.id
    for action in ("deactivate", "reset-password"):
        response = confirmed(organiser, f"{ACCOUNTS}/{me}/{action}", follow_redirects=True)
        assert response.status_code == 200
    demote = confirmed(organiser, f"{ACCOUNTS}/{me}/role", {"role": "staff"}, follow_redirects=True)
    body = demote.get_data(as_text=True)
    assert "You cannot change your own role." in body
    account = _account(ORGANISER_EMAIL)
    assert account.active and account.role == "organiser" and account.check_password(PASSWORD)
    assert _signed_in(organiser)


def test_changing_a_role_takes_effect_on_the_next_request(organiser, staff):
    member = _account(STAFF_EMAIL)
    assert staff.get("/console/").status_code == 403
    confirmed(organiser, f"{ACCOUNTS}/{member.id}/role", {"role": "organiser"})
    assert staff.get("/console/").status_code == 200


def test_staff_cannot_manage_accounts(staff, organiser_user):
    assert staff.get(ACCOUNTS).status_code == 404
    response = submit(staff, f"{ACCOUNTS}/{organiser_user.id}/deactivate", {"confirmed": "yes"},
                      form_url="/account/password")
    assert response.status_code == 404
    assert _account(ORGANISER_EMAIL).active


def test_unknown_account_is_404(organiser):
    assert submit(organiser, f"{ACCOUNTS}/999/deactivate", form_url=ACCOUNTS).status_code == 404


def test_everyone_changes_their_own_password_and_other_devices_sign_out(staff, app):
    other_device = app.test_client()
    assert login(other_device, STAFF_EMAIL).status_code == 302

    wrong = submit(staff, "/account/password", {"current": "not it at all", "new": "brand new secret",
                                                "confirm": "brand new secret"})
    assert wrong.status_code == 422 and field_errors(wrong.get_data(as_text=True), "current")
    differ = submit(staff, "/account/password", {"current": PASSWORD, "new": "brand new secret",
                                                 "confirm": "brand new secreT"})
    assert differ.status_code == 422 and field_errors(differ.get_data(as_text=True), "confirm")
    short = submit(staff, "/account/password", {"current": PASSWORD, "new": "short", "confirm": "short"})
    assert short.status_code == 422 and not missing_facts(field_errors(short.get_data(as_text=True), "new"),
                                                          "10 characters")
    assert _account(STAFF_EMAIL).check_password(PASSWORD)

    done = submit(staff, "/account/password", {"current": PASSWORD, "new": "brand new secret",
                                               "confirm": "brand new secret"})
    assert done.status_code == 302
    assert _signed_in(staff)  # this browser stays signed in
    assert not _signed_in(other_device)
    assert login(app.test_client(), STAFF_EMAIL, "brand new secret").status_code == 302


def test_remember_me_cookie_stops_working_after_a_password_change(organiser_user, app):
    laptop = app.test_client()
    submit(laptop, "/login", {"email": ORGANISER_EMAIL, "password": PASSWORD, "remember": "y"})
    remembered = laptop.get_cookie("remember_token")
    assert remembered is not None

    phone = app.test_client()
    assert login(phone, ORGANISER_EMAIL).status_code == 302
    submit(phone, "/account/password", {"current": PASSWORD, "new": "another long secret",
                                        "confirm": "another long secret"})

    # The laptop's browser was closed: only the remember-me cookie is left.
    returning = app.test_client()
    returning.set_cookie("remember_token", remembered.value)
    assert returning.get("/console/").status_code == 302


def test_a_scanner_gets_a_token_of_a_staff_account_that_can_only_check_people_in(
        organiser, staff, client, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, name="Ana Silva")
    member = _account(STAFF_EMAIL)
    page = organiser.get("/console/api-tokens").get_data(as_text=True)
    assert f'<option value="{member.id}">{STAFF_EMAIL} (staff)</option>' in page

    asked = submit(organiser, "/console/api-tokens", {"name": "Door scanner 2", "account": member.id})
    assert "Confirm" in asked.get_data(as_text=True) and 'id="new-token"' not in asked.get_data(as_text=True)
    response = submit(organiser, "/console/api-tokens", {"name": "Door scanner 2", "account": member.id,
                                                         "event": 0, "confirmed": "yes"})
    plain = re.search(r'id="new-token" type="text" readonly value="([^"]+)"', response.get_data(as_text=True)).group(1)
    bearer = {"Authorization": f"Bearer {plain}"}
    scan = client.post(f"/api/v1/events/{event.slug}/checkins", headers=bearer,
                       json={"code": ana.checkin_code, "nonce": uuid.uuid4().hex, "device": "Door 2"})
    assert scan.status_code == 201 and scan.get_json()["checkin"]["staff"] == STAFF_EMAIL
    assert client.get("/api/v1/events", headers=bearer).status_code == 403  # nothing else

    listing = organiser.get("/console/api-tokens").get_data(as_text=True)
    assert "Door scanner 2" in listing and STAFF_EMAIL in listing and plain not in listing

    # Deactivated accounts are not offered; a forged choice is refused.
    confirmed(organiser, f"{ACCOUNTS}/{member.id}/deactivate")
    assert f'<option value="{member.id}">' not in organiser.get("/console/api-tokens").get_data(as_text=True)
    forged = submit(organiser, "/console/api-tokens", {"name": "Sneaky", "account": member.id,
                                                       "confirmed": "yes"})
    assert forged.status_code == 422
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "Sneaky")) is None


def test_an_organiser_revokes_a_token_of_another_account(organiser, staff, client):
    token = create_api_token(_account(STAFF_EMAIL), "old kiosk")
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "old kiosk"))
    asked = submit(organiser, f"/console/api-tokens/{row.id}/revoke", form_url="/console/api-tokens")
    assert "Confirm" in asked.get_data(as_text=True) and user_for_api_token(token) is not None
    submit(organiser, f"/console/api-tokens/{row.id}/revoke", {"confirmed": "yes"}, form_url="/console/api-tokens")
    assert user_for_api_token(token) is None
    assert "old kiosk" not in organiser.get("/console/api-tokens").get_data(as_text=True)
