"""Every route under an event answers only the event's team, walked over the whole URL map.

The routes are not listed by hand: each rule of ``app.url_map`` is classified. A rule with an
event in its URL (``<slug>``, or a job's id: ``EVENT_ROUTE_ARGUMENTS``) is the organisers' unless
it is named in ``KIOSK_ENDPOINTS`` (check-in staff too) or ``PUBLIC_EVENT_ENDPOINTS`` (anyone);
a rule without one must be named in ``OUTSIDE_EVENT_ENDPOINTS``. A rule in none of them, or a
named endpoint that is gone, fails the test (never a skip): a new route is classified on purpose.

Filled from the seeded world's event (real slug, attendee, check-in, version and job), every
route is asked, GET and POST alike (CSRF tokens sent, so CSRF does not answer first; the API
with the account's own bearer token), by:
(a) an organiser of another event, (b) check-in staff of another event: 404 everywhere;
(c) check-in staff of this event (a staff account, and an organiser account that is only staff
here): the kiosk and desk answer, everything else 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.conftest import TEST_PASSWORD_HASH_METHOD, copy_database
from tests.security._csrf import token_of
from tests.security.conftest import api_headers, routes, rule_id, url_for_rule
from tests.web.conftest import PASSWORD, STAFF_EMAIL, login
from web import create_app
from web.auth.decorators import EVENT_ROUTE_ARGUMENTS
from web.auth.services import create_api_token, create_user, find_user
from web.checkin.desk import register_walk_in
from web.events.access import EventAccessNotDecided
from web.events.members import MemberRole, add_member
from web.events.models import Event
from web.extensions import db

# Under an event, open to the event's check-in staff as well as its organisers.
KIOSK_ENDPOINTS = frozenset({
    "checkin.kiosk", "checkin.scan_json", "checkin.check_in_person", "checkin.restore_person",
    "checkin.leave_person", "checkin.annul_checkin", "checkin.device", "checkin.walk_in",
    "checkin.correct_walk_in_page", "checkin.counts", "printing.desk_badge",
    "checkin_api.create_checkin", "checkin_api.get_checkins",
})
# Under an event, open to anyone on purpose (no account asked).
PUBLIC_EVENT_ENDPOINTS = frozenset({
    "public.register_page", "public.link_recovery", "display.display", "display.state_json",
    "public.registration_sent", "public.confirm_registration_page",
})
# Not under any event: the account's own pages, sign-in, lists of the account's events,
# creating an event, an attendee's personal pages (their token names them), static files.
OUTSIDE_EVENT_ENDPOINTS = frozenset({
    "index", "healthz", "static", "openapi.spec", "auth.login", "auth.logout", "auth.password",
    "auth.accounts", "auth.deactivate_account", "auth.reactivate_account",
    "auth.reset_account_password", "auth.change_account_role", "auth.api_tokens",
    "auth.revoke_api_token", "auth.change_account_admin", "auth.reset_with_link", "events.list_events", "events.create_event", "checkin.index",
    "events_api.get_events", "events_api.create_event",
    "public.me", "public.calendar", "public.now_json", "public.qr_code", "public.registered",
    "printing.personal_agenda", "public.my_data", "public.my_data_json", "public.erase_me",
    "wishes.directory", "wishes.wish", "wishes.listing",
    "wishes_api.get_directory", "wishes_api.get_wishes", "wishes_api.put_wishes",
})


def under_event(rule: Rule) -> bool:
    return not EVENT_ROUTE_ARGUMENTS.isdisjoint(rule.arguments)


def event_rules(app: Flask) -> list[Rule]:
    """Every rule under an event that needs an account, after checking the classification:
    each rule is in exactly one class and each named endpoint is on the URL map."""
    present = {rule.endpoint for rule in routes(app)}
    named = KIOSK_ENDPOINTS | PUBLIC_EVENT_ENDPOINTS | OUTSIDE_EVENT_ENDPOINTS
    missing = sorted(named - present)
    assert not missing, ("endpoints this test classifies are not on the URL map (renamed or gone? "
                         f"update tests/security/test_event_scoping.py): {', '.join(missing)}")
    unclassified = sorted(rule_id(rule) for rule in routes(app)
                          if not under_event(rule) and rule.endpoint not in OUTSIDE_EVENT_ENDPOINTS)
    assert not unclassified, ("routes outside any event that nobody classified: is the route really "
                              "about no event? name it in OUTSIDE_EVENT_ENDPOINTS, or put the event "
                              "in its URL:\n" + "\n".join(unclassified))
    misplaced = sorted(rule_id(rule) for rule in routes(app)
                       if under_event(rule) and rule.endpoint in OUTSIDE_EVENT_ENDPOINTS)
    assert not misplaced, "routes under an event listed as outside any event:\n" + "\n".join(misplaced)
    chosen = [rule for rule in routes(app) if under_event(rule) and rule.endpoint not in PUBLIC_EVENT_ENDPOINTS]
    assert {rule.endpoint for rule in chosen} >= KIOSK_ENDPOINTS
    assert len(chosen) >= 60, "the URL map should have the console, kiosk, exports, prints and API"
    return chosen


@dataclass
class Account:
    """A signed-in client with its own API token."""

    name: str
    client: FlaskClient
    token: str
    csrf: str


@pytest.fixture(scope="module")
def accounts(world) -> dict[str, Account]:
    """Accounts around the world's event: the team of another event, and two kinds of check-in
    staff of the world's event (its staff account, and an organiser account that is only
    check-in staff there)."""
    other = Event(slug="other-summit", name="Other Summit", date=dt.date(2031, 7, 1), timezone="UTC",
                  start=dt.datetime(2031, 7, 1, 14, 0), round_minutes=8, changeover_minutes=2, rounds=4,
                  tables=0, breaks=[], weights={})
    db.session.add(other)
    db.session.commit()
    summit = db.session.get(Event, world.event_id)
    found: dict[str, Account] = {}
    for name, email, kind, memberships in (
        ("organiser of another event", "elsewhere@example.com", "organiser", [(other, MemberRole.ORGANISER)]),
        ("staff of another event", "elsewhere-door@example.com", "staff", [(other, MemberRole.STAFF)]),
        ("organiser account, staff here", "helper@example.com", "organiser",
         [(other, MemberRole.ORGANISER), (summit, MemberRole.STAFF)]),
    ):
        user = create_user(email, PASSWORD, kind)
        for event, role in memberships:
            add_member(event, user, role)
        found[name] = _account(world.app, name, email, create_api_token(user, "scoping"))
    found["staff here"] = Account("staff here", world.staff, world.staff_token, token_of(world.staff))
    return found


def _account(app: Flask, name: str, email: str, token: str) -> Account:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return Account(name, client, token, token_of(client))


def _ask(account: Account, method: str, url: str):
    if url.startswith("/api/"):
        return account.client.open(url, method=method, headers=api_headers(account.token),
                                   **({} if method == "GET" else {"json": {}}))
    return account.client.open(url, method=method, headers={"X-CSRFToken": account.csrf},
                               **({} if method == "GET" else {"data": {}}))


def _walk(world, rules: list[Rule], account: Account, expect: Callable[[Rule, int], bool],
          **overrides: object) -> list[str]:
    failures = []
    for rule in rules:
        url = url_for_rule(rule, world, **overrides.get(rule.endpoint, {}))  # type: ignore[arg-type]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            status = _ask(account, method, url).status_code
            if not expect(rule, status):
                failures.append(f"{account.name}: {method} {url} ({rule.endpoint}) -> {status}")
    return failures


@pytest.mark.parametrize("who", ["organiser of another event", "staff of another event"])
def test_outside_the_team_every_route_under_the_event_answers_404(world, accounts, who):
    rules = event_rules(world.app)
    failures = _walk(world, rules, accounts[who], lambda _rule, status: status == 404)
    assert not failures, "reached an event of someone else's team:\n" + "\n".join(failures)


@pytest.mark.parametrize("who", ["staff here", "organiser account, staff here"])
def test_check_in_staff_reach_the_kiosk_and_nothing_else_of_their_event(world, accounts, walk_in, who):
    rules = event_rules(world.app)

    def expect(rule: Rule, status: int) -> bool:
        if rule.endpoint in KIOSK_ENDPOINTS:
            return status not in (403, 404) and status < 500
        return status == 404

    overrides = {"checkin.correct_walk_in_page": {"attendee_id": walk_in}}
    failures = _walk(world, rules, accounts[who], expect, **overrides)
    assert not failures, "check-in staff answered wrongly:\n" + "\n".join(failures)


@pytest.fixture(scope="module")
def walk_in(world) -> int:
    """A walk-in the world's staff account registered (the desk's correction page is theirs)."""
    event = db.session.get(Event, world.event_id)
    row = register_walk_in(event, {"name": "Walker Scope", "company": "Late Co", "region": "EMEA",
                                   "partner_type": "ISV", "offers": "Hosting"},
                           nonce="scoping-walk-in", staff_user=find_user(STAFF_EMAIL)).attendee
    return row.id


def test_lists_show_only_the_accounts_events(world, accounts):
    elsewhere = accounts["organiser of another event"]
    page = elsewhere.client.get("/console/").get_data(as_text=True)
    assert "/console/other-summit/" in page and f"/console/{world.slug}/" not in page
    listed = elsewhere.client.get("/api/v1/events", headers=api_headers(elsewhere.token)).json
    assert [event["slug"] for event in listed] == ["other-summit"]
    helper = accounts["organiser account, staff here"]
    page = helper.client.get("/console/").get_data(as_text=True)
    assert f"/checkin/{world.slug}" in page and f"/console/{world.slug}/" not in page
    door = accounts["staff of another event"].client.get("/checkin/")
    assert door.headers["Location"].endswith("/checkin/other-summit")


def test_a_route_under_an_event_that_never_asks_fails(tmp_path, database_template):
    """The guard: a view under ``<slug>`` that answers without the event's access check."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                      **copy_database(database_template, tmp_path / "test.db"), "SECRET_KEY": "x",
                      "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD})
    app.add_url_rule("/console/<slug>/forgotten", "forgotten", lambda slug: f"everything about {slug}")
    app.add_url_rule("/console/<slug>/asked", "asked", _asks)
    with app.app_context():
        client = app.test_client()
        with pytest.raises(EventAccessNotDecided, match="forgotten"):
            client.get("/console/anything/forgotten")
        assert client.get("/console/anything/asked").status_code == 404
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _asks(slug: str) -> str:
    from web.events.services import get_event_or_404

    return get_event_or_404(slug).name
