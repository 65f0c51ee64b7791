"""Fixtures for the security tests: the web fixtures plus a seeded "world".

``world`` is one event with attendees whose names and companies carry XSS and spreadsheet
formula payloads, a published schedule in which they meet, a check-in, a running job, API
tokens for an organiser and a staff account, and signed-in clients. ``url_for_rule(rule,
world)`` fills a URL rule's arguments from it, so tests can walk ``app.url_map`` and reach
routes nobody listed by hand.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from tests.conftest import TEST_PASSWORD_HASH_METHOD, copy_database
from tests.web.conftest import ORGANISER_EMAIL, PASSWORD, STAFF_EMAIL, IsolatedClient, login
from web import create_app
from web.attendees.models import Attendee
from web.auth.services import create_api_token, create_user
from web.events.members import MemberRole, add_member
from web.events.models import Event
from web.extensions import db

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
MARKUP = "<b>Smith & Sons</b>"
PAYLOADS = (XSS_SCRIPT, XSS_IMG, MARKUP)
FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)")

# Paths anyone may open without signing in. Everything else must be protected: a new route is
# refused to anonymous visitors unless it is added here on purpose.
PUBLIC_PREFIXES = ("/static/", "/me/", "/display/", "/e/", "/api/v1/me/")
PUBLIC_PATHS = {"/", "/login", "/logout", "/healthz", "/api/v1/openapi.json", "/api/v1/docs",
                "/docs/oauth2-redirect"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture(scope="module")
def world_app(tmp_path_factory, database_template) -> Iterator[Flask]:
    """One app per test module (building the world takes seconds). Crashes become 500 pages,
    as in production, so a walk over the URL map reports them instead of stopping."""
    folder = tmp_path_factory.mktemp("world")
    application = create_app({
        "TESTING": True, "INSTANCE_PATH": str(folder / "instance"),
        **copy_database(database_template, folder / "test.db"), "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": True, "PROPAGATE_EXCEPTIONS": False,
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
    })
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def is_public(rule: Rule) -> bool:
    path = rule.rule
    if path in PUBLIC_PATHS:
        return True
    if path.startswith("/e/") and ("register" in path or path in ("/e/<slug>/link", "/e/<slug>/confirm/<token>")):
        return True  # self-registration, its confirmation and "send me my link again"
    if path == "/account/reset/<token>":
        return True  # the one-time link an admin hands over: the link is the credential
    return path.startswith(PUBLIC_PREFIXES) and not path.startswith("/e/")


@dataclass
class World:
    app: Flask
    slug: str
    event_id: int
    attendees: list[Any]
    organiser: FlaskClient
    staff: FlaskClient
    anonymous: FlaskClient
    organiser_token: str
    staff_token: str
    checkin_id: int | None = None
    version_id: int | None = None
    version_number: int | None = None
    job_id: str | None = None
    meeting_ids: list[int] = field(default_factory=list)
    display_key: str | None = None

    @property
    def xss(self) -> Any:
        return self.attendees[0]


def url_for_rule(rule: Rule, world: World, **overrides: Any) -> str:
    """A concrete URL for ``rule`` with arguments taken from the seeded world."""
    attendee = world.xss
    values: dict[str, Any] = {
        "slug": world.slug, "event_slug": world.slug,
        "attendee_id": attendee.id, "id": attendee.id, "person_id": attendee.id,
        "token": attendee.token, "code": attendee.checkin_code, "checkin_code": attendee.checkin_code,
        "ext_id": attendee.ext_id, "badge_number": attendee.badge_number, "number": world.version_number or 1,
        "checkin_id": world.checkin_id or 1, "version_id": world.version_id or 1,
        "version": world.version_number or 1, "job_id": world.job_id or str(uuid.uuid4()),
        "round": 1, "round_number": 1, "from_round": 1, "table": 1,
        "filename": "speednet.css", "fmt": "csv", "format": "csv", "key": world.display_key,
    }
    values.update(overrides)
    arguments: dict[str, Any] = {}
    for name in rule.arguments:
        if name in values:
            arguments[name] = values[name]
        else:
            converter = rule._converters.get(name)  # noqa: SLF001 (werkzeug keeps them here)
            arguments[name] = 1 if converter is not None and "Integer" in type(converter).__name__ else "x"
    with world.app.test_request_context():
        adapter = world.app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, arguments, method=next(iter(rule.methods - {"HEAD", "OPTIONS"}), None))


def api_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _seed_schedule(world: World) -> None:
    try:
        from web.jobs.models import Job
        from web.schedules.models import ScheduleMeeting, ScheduleVersion
    except ImportError:  # pragma: no cover - schedules feature not there
        return
    a = world.attendees
    from scheduler.solver import PlanReport
    from web.types import utcnow

    report = PlanReport(status="FEASIBLE", message=f"seeded {MARKUP}", meetings=4, total_score=40.0,
                        upper_bound=50.0)
    version = ScheduleVersion(event_id=world.event_id, number=1, status="published", kind="plan",
                              report=report.to_dict(), published_at=utcnow())
    db.session.add(version)
    db.session.flush()
    pairs = [(a[0], a[1]), (a[2], a[3]), (a[0], a[2]), (a[1], a[3])]
    for i, (x, y) in enumerate(pairs):
        rnd, table = i // 2 + 1, i % 2 + 1
        db.session.add(ScheduleMeeting(version_id=version.id, round=rnd, table=table, a_id=x.id,
                                       b_id=y.id, score=10.0, reason=f"{MARKUP} offers {XSS_SCRIPT}"))
    job = Job(event_id=world.event_id, kind="plan", status="done", params={})
    db.session.add(job)
    db.session.commit()
    world.version_id, world.version_number, world.job_id = version.id, version.number, job.id


def _seed_checkin(world: World) -> None:
    from web.attendees.checkins import CheckIn

    row = CheckIn(event_id=world.event_id, attendee_id=world.attendees[1].id, device="door-1",
                  nonce=uuid.uuid4().hex)
    db.session.add(row)
    db.session.commit()
    world.checkin_id = row.id


def _attendee(event: Event, number: int, **fields: Any) -> Attendee:
    values: dict[str, Any] = {"region": "EMEA", "partner_type": "ISV", "offers": ["Hosting"],
                              "seeks": ["DevOps"], "source": "import", "badge_number": number}
    values.update(fields)
    row = Attendee(event_id=event.id, **values)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture(scope="module")
def world(world_app: Flask) -> World:
    app = world_app
    event = Event(slug="summit", name=f"Summit {MARKUP}", venue=XSS_IMG, date=dt.date(2031, 6, 12),
                  timezone="Europe/Amsterdam", start=dt.datetime(2031, 6, 12, 14, 0), round_minutes=8,
                  changeover_minutes=2, rounds=8, tables=0, breaks=[], weights={})
    db.session.add(event)
    db.session.commit()
    people = [
        _attendee(event, 1, ext_id="X1", name=XSS_SCRIPT, company=MARKUP, title=XSS_IMG),
        _attendee(event, 2, ext_id="X2", name=XSS_IMG, company=XSS_SCRIPT),
        _attendee(event, 3, ext_id="X3", name=MARKUP, company=XSS_IMG),
        _attendee(event, 4, ext_id="F1", name=FORMULAS[0], company=FORMULAS[1], title=FORMULAS[2],
                  country=FORMULAS[3], email="f1@example.com"),
        _attendee(event, 5, ext_id="N1", name="Ada Lovelace", company="Analytical Engines"),
    ]
    organiser_user = create_user(ORGANISER_EMAIL, PASSWORD, "organiser")
    staff_user = create_user(STAFF_EMAIL, PASSWORD, "staff")
    # The event's team: its organiser and its check-in staff (everyone else gets 404 there).
    add_member(event, organiser_user, MemberRole.ORGANISER)
    add_member(event, staff_user, MemberRole.STAFF)
    clients = []
    for email in (ORGANISER_EMAIL, STAFF_EMAIL):
        signed_in = app.test_client()
        assert login(signed_in, email).status_code == 302
        clients.append(signed_in)
    w = World(app=app, slug=event.slug, event_id=event.id, attendees=people,
              organiser=clients[0], staff=clients[1], anonymous=app.test_client(),
              organiser_token=create_api_token(organiser_user, "tests"),
              staff_token=create_api_token(staff_user, "kiosk"), display_key=event.display_key)
    _seed_checkin(w)
    _seed_schedule(w)
    return w


def routes(app: Flask) -> list[Rule]:
    """Every rule of the app except HEAD/OPTIONS-only ones, in a stable order."""
    return sorted((r for r in app.url_map.iter_rules() if r.methods - {"HEAD", "OPTIONS"}),
                  key=lambda r: (r.rule, r.endpoint))


# The routes each targeted check must find by name. A check walks the URL map for routes of its
# kind (so a route added tomorrow is checked without anyone listing it) and also requires these:
# renaming or dropping one fails the check instead of quietly checking nothing.
API_ENDPOINTS = (
    "events_api.get_events", "events_api.create_event", "events_api.get_event", "events_api.patch_event",
    "attendees_api.get_attendees", "attendees_api.put_attendees", "attendees_api.restore",
    "attendees_api.withdraw", "checkin_api.create_checkin", "checkin_api.get_checkins",
    "liveday_api.get_clock", "liveday_api.clock_action", "liveday_api.preview", "liveday_api.start",
    "schedules_api.start_schedule", "schedules_api.get_schedule_csv", "schedules_api.publish_schedule",
    "schedules_api.get_job", "schedules_api.cancel_job",
)
# Account administration answers 404 (not 403) to anyone signed in who is not an admin: it does
# not reveal that the page exists.
ACCOUNT_ADMIN_ENDPOINTS = (
    "auth.accounts", "auth.reset_account_password", "auth.deactivate_account", "auth.reactivate_account",
    "auth.change_account_role", "auth.change_account_admin",
)
STAFF_PAGE_ENDPOINTS = (
    "checkin.index", "checkin.kiosk", "checkin.device", "checkin.walk_in", "checkin.correct_walk_in_page",
    "checkin.counts", "printing.desk_badge",
)
PERSONAL_PAGE_ENDPOINT = "public.me"
DISPLAY_ENDPOINTS = ("display.display", "display.state_json")
EXPORT_ENDPOINTS = (
    "attendees.personal_links_export", "results.attendance", "results.meetings",
    "schedules.export_attendee_file", "schedules.export_version",
)


def expected_rules(app: Flask, endpoints: Iterable[str], found: Iterable[Rule] = ()) -> list[Rule]:
    """The rules a check must cover: those its own walk ``found`` plus every rule of the named
    ``endpoints``. Fails (never skips) when a named endpoint is not on the URL map, so a
    renamed route cannot turn a security check off without anyone noticing."""
    by_endpoint: dict[str, list[Rule]] = {}
    for rule in routes(app):
        by_endpoint.setdefault(rule.endpoint, []).append(rule)
    missing = [name for name in endpoints if name not in by_endpoint]
    if missing:
        pytest.fail("routes this check must cover are not on the URL map (renamed? update the "
                    f"list in tests/security/conftest.py): {', '.join(missing)}")
    chosen = {id(rule): rule for rule in found}
    for name in endpoints:
        chosen.update((id(rule), rule) for rule in by_endpoint[name])
    return sorted(chosen.values(), key=lambda r: (r.rule, r.endpoint))


def rule_id(rule: Rule) -> str:
    return f"{','.join(sorted(rule.methods - {'HEAD', 'OPTIONS'}))} {rule.rule}"


