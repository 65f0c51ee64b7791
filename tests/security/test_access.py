"""Who may open what, checked on every route of the URL map (not a hand-written list).

Public routes are an explicit allow-list in ``conftest.PUBLIC_*``: a route added tomorrow is
expected to refuse anonymous visitors until someone decides otherwise. CSRF tokens are sent
here (as the X-CSRFToken header) so that what refuses a request is the access check, not CSRF.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.security._csrf import token_of
from tests.security.conftest import (
    ACCOUNT_ADMIN_ENDPOINTS,
    API_ENDPOINTS,
    STAFF_PAGE_ENDPOINTS,
    XSS_SCRIPT,
    api_headers,
    expected_rules,
    is_public,
    routes,
    url_for_rule,
)
from tests.web.conftest import STAFF_EMAIL
from web.auth.decorators import EVENT_ROUTE_ARGUMENTS
from web.auth.models import User
from web.checkin.desk import register_walk_in
from web.events.members import MemberRole, add_member
from web.events.models import Event
from web.extensions import db

# Check-in staff may use the check-in pages and their own account page (password).
STAFF_PREFIXES = ("/checkin", "/account")


def in_event(rule) -> bool:
    """Under an event every refusal is a 404 (web.events.access)."""
    return not EVENT_ROUTE_ARGUMENTS.isdisjoint(rule.arguments)


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _call(client, method, url, headers=None):
    kwargs = {"headers": headers or {}}
    if method != "GET":
        if url.startswith("/api/"):
            kwargs["json"] = {}
        else:
            kwargs["data"] = {}
    return client.open(url, method=method, **kwargs)


def _refused_anonymous(response, api: bool) -> bool:
    if response.status_code in (401, 403):
        return True
    if api:
        return False
    return response.status_code in (302, 303) and "/login" in response.headers.get("Location", "")


def test_every_route_is_public_on_purpose_or_refuses_anonymous_visitors(world):
    app, anonymous = world.app, world.anonymous
    csrf = {"X-CSRFToken": token_of(anonymous)}
    failures, checked = [], 0
    for rule in routes(app):
        if is_public(rule):
            continue
        url = url_for_rule(rule, world)
        api = rule.rule.startswith("/api/")
        for method in _methods(rule):
            response = _call(anonymous, method, url, None if api else csrf)
            checked += 1
            if not _refused_anonymous(response, api):
                failures.append(f"{method} {url} -> {response.status_code} {response.headers.get('Location', '')}")
    assert checked >= 10, "the URL map should have organiser routes to check"
    assert not failures, "reachable without signing in:\n" + "\n".join(failures)


def test_api_refuses_missing_and_wrong_bearer_tokens(world):
    api_rules = expected_rules(world.app, API_ENDPOINTS,
                               [r for r in routes(world.app) if r.rule.startswith("/api/") and not is_public(r)])
    failures = []
    for rule in api_rules:
        url = url_for_rule(rule, world)
        for method in _methods(rule):
            for headers in ({"Authorization": "Bearer sn_" + "A" * 43}, {"Authorization": "Basic b3JnOng="},
                            {"Authorization": f"Bearer {world.organiser_token}x"}):
                response = _call(world.anonymous, method, url, headers)
                if response.status_code not in (401, 403):
                    failures.append(f"{method} {url} {headers['Authorization'][:12]}... -> {response.status_code}")
                elif not response.is_json:
                    failures.append(f"{method} {url} -> {response.status_code} answered {response.content_type}, not JSON")
    assert not failures, "\n".join(failures)


def test_signed_in_session_alone_does_not_open_the_api(world):
    """The API takes bearer tokens only; a browser session cookie (CSRF-free JSON) must not work."""
    failures = []
    for rule in routes(world.app):
        if not rule.rule.startswith("/api/") or is_public(rule):
            continue
        url = url_for_rule(rule, world)
        for method in _methods(rule):
            if method == "GET":
                continue  # reads leak nothing an organiser could not see anyway; writes matter
            response = _call(world.organiser, method, url)
            if response.status_code not in (401, 403):
                failures.append(f"{method} {url} -> {response.status_code} with only a session cookie")
    assert not failures, "\n".join(failures)


def test_staff_cannot_reach_organiser_pages(world):
    staff = world.staff
    csrf = {"X-CSRFToken": token_of(staff)}
    failures, checked = [], 0
    expected_rules(world.app, ACCOUNT_ADMIN_ENDPOINTS)  # all still on the URL map
    for rule in routes(world.app):
        if is_public(rule) or rule.rule.startswith(STAFF_PREFIXES) or rule.rule.startswith("/api/"):
            continue
        url = url_for_rule(rule, world)
        refused = 404 if rule.endpoint in ACCOUNT_ADMIN_ENDPOINTS or in_event(rule) else 403
        for method in _methods(rule):
            response = _call(staff, method, url, csrf)
            checked += 1
            if response.status_code != refused:
                failures.append(f"{method} {url} -> {response.status_code}")
    assert checked >= 10
    assert not failures, "check-in staff reached organiser pages:\n" + "\n".join(failures)


def test_staff_api_token_reaches_only_check_in_endpoints(world):
    failures = []
    for rule in routes(world.app):
        if not rule.rule.startswith("/api/") or is_public(rule) or "checkin" in rule.rule:
            continue
        url = url_for_rule(rule, world)
        for method in _methods(rule):
            response = _call(world.anonymous, method, url, api_headers(world.staff_token))
            if response.status_code != (404 if in_event(rule) else 403):
                failures.append(f"{method} {url} -> {response.status_code}")
    assert not failures, "a check-in staff token reached organiser API endpoints:\n" + "\n".join(failures)


def test_staff_routes_let_staff_in_and_keep_anonymous_out(world):
    staff_rules = expected_rules(world.app, STAFF_PAGE_ENDPOINTS, [
        r for r in routes(world.app)
        if r.rule.startswith(STAFF_PREFIXES) and "GET" in r.methods and not is_public(r)])
    for rule in staff_rules:
        own = _own_walk_in(world) if rule.endpoint == "checkin.correct_walk_in_page" else {}
        url = url_for_rule(rule, world, **own)
        response = world.staff.get(url)
        assert response.status_code == 200 or (
            response.status_code == 302 and "/login" not in response.headers["Location"]), url
        anonymous = world.anonymous.get(url)
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"], url


def _own_walk_in(world) -> dict:
    """The desk's correction page opens only for a walk-in the staff account registered: one
    in an event of its own (the world's event stays as seeded), with a name that is markup."""
    event = Event(slug="desk-walk-ins", name="Desk", date=dt.date(2031, 6, 12), timezone="Europe/Amsterdam",
                  start=dt.datetime(2031, 6, 12, 14, 0), round_minutes=8, changeover_minutes=2, rounds=8,
                  tables=0, breaks=[], weights={})
    db.session.add(event)
    db.session.commit()
    staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL))
    add_member(event, staff, MemberRole.STAFF)
    row = register_walk_in(event, {"name": XSS_SCRIPT, "company": "Late Co", "region": "EMEA",
                                   "partner_type": "ISV", "offers": "Hosting"},
                           nonce="desk-walk-in-1", staff_user=staff).attendee
    return {"slug": event.slug, "attendee_id": row.id}


def test_public_allow_list_only_names_routes_that_are_meant_to_be_public(world):
    """Nothing under /console/, /checkin/ or /api/v1/events may slip into the allow-list."""
    for rule in routes(world.app):
        if is_public(rule):
            assert not rule.rule.startswith(("/console", "/checkin", "/api/v1/events")), rule.rule
