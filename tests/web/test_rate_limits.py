"""Rate limits count per client. Behind SPEEDNET_TRUSTED_PROXIES proxies the client is the
forwarded address, so one kiosk's wrong passwords or one script opening personal pages do not
lock out everybody behind the same proxy; without a trusted proxy X-Forwarded-For is ignored
(anyone can send it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import ORGANISER_EMAIL, PASSWORD, csrf_token


@pytest.fixture
def app_config(request) -> dict[str, Any]:
    proxies = getattr(request, "param", 1)
    return {"TRUSTED_PROXIES": proxies, "RATELIMIT_ENABLED": True, "PUBLIC_RATE_LIMIT": "5/minute"}


def _logins(app, forwarded_for: str, times: int, password: str = "wrong password") -> list[int]:
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for}
    token = csrf_token(client, "/login")
    return [client.post("/login", data={"csrf_token": token, "email": ORGANISER_EMAIL,
                                        "password": password}, headers=headers).status_code
            for _ in range(times)]


@pytest.mark.parametrize("app_config", [1], indirect=True)
def test_behind_one_proxy_each_forwarded_client_has_its_own_login_limit(app, organiser_user):
    kiosk = _logins(app, "203.0.113.7", 11)
    assert kiosk[-1] == 429 and 429 not in kiosk[:10]
    assert _logins(app, "198.51.100.20", 1, PASSWORD) == [302]  # the organiser still signs in


@pytest.mark.parametrize("app_config", [0], indirect=True)
def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(app, organiser_user):
    first = _logins(app, "203.0.113.7", 10)
    assert 429 not in first
    # another claimed address does not get a fresh counter: the connection is the client
    assert _logins(app, "198.51.100.20", 1, PASSWORD) == [429]


@pytest.mark.parametrize("app_config", [1], indirect=True)
@pytest.mark.parametrize("page", ["/me/{token}", "/me/{token}/now.json", "/me/{token}/agenda.ics",
                                  "/display/{slug}/{key}/state.json"])
def test_public_pages_are_limited_per_forwarded_client(app, make_event, make_attendee, page):
    event = make_event(slug="limited")
    ana = make_attendee(event)
    url = page.format(token=ana.token, slug=event.slug, key=event.display_key)
    client = app.test_client()
    greedy = [client.get(url, headers={"X-Forwarded-For": "203.0.113.9"}).status_code
              for _ in range(7)]
    assert greedy[:5] == [200] * 5 and greedy[5:] == [429, 429]
    assert client.get(url, headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 200
