"""Rate limits on a shared Redis store (``RATELIMIT_STORAGE_URI=redis://``), as production runs
them with several web workers: the workers count one client together, so the tenth wrong
password is the tenth whichever worker answers it, and other clients keep their own counters.

The second worker is a real second process (its own limiter, as a gunicorn worker has): two
apps in one process would share the limiter's storage object and prove nothing."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from tests.web.conftest import ORGANISER_EMAIL, PASSWORD, IsolatedClient, csrf_token

pytestmark = pytest.mark.redis

SHARED_KEYS = ("TESTING", "INSTANCE_PATH", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "WTF_CSRF_ENABLED",
               "PASSWORD_HASH_METHOD", "TRUSTED_PROXIES", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI",
               "PUBLIC_RATE_LIMIT")


@pytest.fixture
def app_config(redis_url: str) -> dict[str, Any]:
    return {"TRUSTED_PROXIES": 1, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url,
            "PUBLIC_RATE_LIMIT": "4/minute"}


def _login(app, forwarded_for: str, password: str = "wrong password") -> int:
    client = app.test_client()
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": ORGANISER_EMAIL,
                                       "password": password},
                       headers={"X-Forwarded-For": forwarded_for}).status_code


def _in_other_worker(config: dict[str, Any], calls: list[tuple[str, str, str]]) -> list[int]:
    """Run in a fresh process: answer ``calls`` (kind, address, argument) with its own app."""
    from web import create_app

    app = create_app(config)
    app.test_client_class = IsolatedClient  # each request in its own app context, as in production
    return [_login(app, address, argument) if kind == "login"
            else app.test_client().get(argument, headers={"X-Forwarded-For": address}).status_code
            for kind, address, argument in calls]


def other_worker(app, calls: list[tuple[str, str, str]]) -> list[int]:
    config = {key: app.config[key] for key in SHARED_KEYS}
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_in_other_worker, (config, calls))


def test_two_web_workers_count_one_client_together(app, organiser_user):
    here = [_login(app, "203.0.113.7") for _ in range(5)]
    there = other_worker(app, [("login", "203.0.113.7", "wrong password")] * 6
                         + [("login", "198.51.100.20", PASSWORD)])
    assert 429 not in here + there[:5]
    assert there[5] == 429  # the eleventh wrong password, on the other worker
    assert there[6] == 302  # another client (the organiser) still signs in there
    assert _login(app, "203.0.113.7", PASSWORD) == 429  # and the kiosk waits here too


def test_public_pages_share_one_count_across_workers(app, make_event, make_attendee):
    event = make_event(slug="shared-limit")
    url = f"/me/{make_attendee(event).token}"
    greedy = "203.0.113.9"
    here = [app.test_client().get(url, headers={"X-Forwarded-For": greedy}).status_code for _ in range(2)]
    there = other_worker(app, [("get", greedy, url)] * 3 + [("get", "198.51.100.1", url)])
    assert here == [200, 200] and there == [200, 200, 429, 200]
