"""Fixtures for the web app tests.

* ``app``: a fresh app per test, with its own instance folder and SQLite file under
  ``tmp_path``: a copy of the session's ``database_template``, which ``create_app`` migrated
  exactly as in production. CSRF is ON; passwords use a cheap hash (production: scrypt).
  Override the ``app_config`` fixture in a test module to change settings, e.g.
  ``{"WTF_CSRF_ENABLED": False}`` for tests that are not about forms.
* ``client``: anonymous test client. ``organiser`` / ``staff``: clients signed in through the
  real sign-in form (CSRF included).
* ``csrf_token(client, url)`` and ``submit(client, url, data, ...)``: read the CSRF token from
  the page that holds the form and post it, so tests go through CSRF for real.
* ``make_event(**fields)``, ``make_attendee(event, **fields)``: rows with sensible defaults.
* ``attendee_file(rows, fmt="csv")``: bytes of an attendee file (rows are dicts keyed by the
  importer's columns; values are written as given, so tests can include bad data).
* Teams: an account reaches only the events whose team it is in. So that the suites about
  something else need not say so, every account a test makes joins every event of the test,
  however either is made (``make_event``, a bare ``Event``, the console, the API, the demo)
  and whichever comes first: an organiser account as organiser, a staff account as check-in
  staff (:func:`accounts_join_every_event`). A module about teams and access overrides the
  ``fixture_accounts_join_events`` fixture with ``False`` and builds its teams itself.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select

from scheduler.importer import COLUMNS
from tests.conftest import TEST_PASSWORD_HASH_METHOD, copy_database
from tests.support.browser import serve_in_thread
from tests.support.smtp import smtp, smtp_port  # noqa: F401 (fixtures of the mail suites)
from web import create_app
from web.attendees.models import Attendee
from web.attendees.services import next_badge_number
from web.auth.models import User
from web.auth.services import create_user
from web.database import insert_or_skip
from web.events.members import EventMember, MemberRole
from web.events.models import Event
from web.extensions import db
from web.types import utcnow

PASSWORD = "correct horse battery"
ORGANISER_EMAIL = "org@example.com"
STAFF_EMAIL = "staff@example.com"

_CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


class IsolatedClient(FlaskClient):
    """Runs every request in its own app context, as in production.

    The ``app`` fixture keeps an app context open so tests can use ``db.session`` directly;
    without this, requests would reuse that context, share ``g`` (Flask-Login caches the user
    there) and share the test's database session. After a request, re-query rows (or call
    ``db.session.expire_all()``) to see what the request changed.
    """

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        with self.application.app_context():
            return super().open(*args, **kwargs)


MEMBER_ROLES = {str(role) for role in MemberRole}


@contextmanager
def accounts_join_every_event() -> Iterator[None]:
    """While open, every new event gets every account as a member (its kind's role), and a new
    account joins every existing event (in the transaction that inserts the row)."""
    members = EventMember.__table__

    def join(connection: Any, pairs: Any) -> None:
        for event_id, user_id, role in pairs:
            if role not in MEMBER_ROLES:
                continue  # an account kind that is no team role (an administrator) joins nothing
            insert_or_skip(connection, members, {"event_id": event_id, "user_id": user_id, "role": role,
                                                 "created_at": utcnow()}, ("event_id", "user_id"))

    def event_made(_mapper: Any, connection: Any, event: Event) -> None:
        join(connection, [(event.id, uid, role) for uid, role in connection.execute(select(User.id, User.role))])

    def account_made(_mapper: Any, connection: Any, user: User) -> None:
        join(connection, [(eid, user.id, user.role) for eid in connection.execute(select(Event.id)).scalars()])

    sqlalchemy_event.listen(Event, "after_insert", event_made)
    sqlalchemy_event.listen(User, "after_insert", account_made)
    try:
        yield
    finally:
        sqlalchemy_event.remove(Event, "after_insert", event_made)
        sqlalchemy_event.remove(User, "after_insert", account_made)


@pytest.fixture
def fixture_accounts_join_events() -> bool:
    """Override with ``False`` in a module whose tests build their events' teams themselves."""
    return True


@pytest.fixture(autouse=True)
def _accounts_join_events(fixture_accounts_join_events: bool) -> Iterator[None]:
    """Every app a test builds (the ``app`` fixture or its own): accounts join every event."""
    if not fixture_accounts_join_events:
        yield
        return
    with accounts_join_every_event():
        yield


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Per-module overrides of the app config (override this fixture)."""
    return {}


@pytest.fixture
def app(tmp_path, app_config: dict[str, Any], database_template: Path | None) -> Iterator[Flask]:
    database = {} if "SQLALCHEMY_DATABASE_URI" in app_config else copy_database(database_template, tmp_path / "test.db")
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        **database,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": True,
        "PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD,
        # Mailed links start with this (never with the request's Host header).
        "PUBLIC_URL": "http://localhost",
        **app_config,
    }
    application = create_app(config)
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app on a real socket, for browser tests: yields its base URL."""
    with serve_in_thread(app) as base:
        yield base


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on ``url`` (fails the test if the page has none)."""
    response = client.get(url)
    assert response.status_code == 200, f"GET {url} -> {response.status_code}"
    found = _CSRF_RE.search(response.get_data(as_text=True))
    assert found, f"no csrf_token field on {url}"
    return found.group(1)


def submit(client: FlaskClient, url: str, data: dict[str, Any] | None = None, *,
           form_url: str | None = None, **kwargs: Any):
    """POST ``data`` to ``url`` with the CSRF token read from ``form_url`` (default ``url``)."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, form_url or url)
    return client.post(url, data=payload, **kwargs)


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    return submit(client, "/login", {"email": email, "password": password})


@pytest.fixture
def organiser_user(app: Flask):
    return create_user(ORGANISER_EMAIL, PASSWORD, "organiser")


@pytest.fixture
def organiser(app: Flask, organiser_user) -> FlaskClient:
    client = app.test_client()
    response = login(client, ORGANISER_EMAIL)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


@pytest.fixture
def api(app: Flask, organiser_user) -> Callable[..., Any]:
    """``api(method, url, **kwargs)``: a request with an organiser's bearer token (a module
    may define its own ``api`` to change that)."""
    from web.auth.services import create_api_token

    token = create_api_token(organiser_user, "tests")
    client = app.test_client()

    def call(method: str, url: str, **kwargs: Any):
        headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {token}"}
        return client.open(url, method=method, headers=headers, **kwargs)
    return call


@pytest.fixture
def staff(app: Flask) -> FlaskClient:
    create_user(STAFF_EMAIL, PASSWORD, "staff")
    client = app.test_client()
    assert login(client, STAFF_EMAIL).status_code == 302
    return client


@pytest.fixture
def make_event(app: Flask) -> Callable[..., Event]:
    counter = iter(range(1, 10_000))

    def factory(**fields: Any) -> Event:
        n = next(counter)
        values: dict[str, Any] = {
            "slug": f"event-{n}", "name": f"Partner Summit {n}", "venue": "Hall A",
            "date": dt.date(2031, 6, 12), "timezone": "Europe/Amsterdam",
            "start": dt.datetime(2031, 6, 12, 14, 0), "round_minutes": 8,
            "changeover_minutes": 2, "rounds": 8, "tables": 0, "breaks": [], "weights": {},
        }
        values.update(fields)
        event = Event(**values)
        db.session.add(event)
        db.session.commit()
        return event

    return factory


@pytest.fixture
def make_attendee(app: Flask) -> Callable[..., Attendee]:
    counter = iter(range(1, 10_000))

    def factory(event: Event, **fields: Any) -> Attendee:
        n = next(counter)
        values: dict[str, Any] = {
            "ext_id": f"P{n:03d}", "name": f"Person {n}", "company": f"Company {n}",
            "region": "EMEA", "partner_type": "ISV", "offers": ["Hosting"], "seeks": ["DevOps"],
            "source": "import",
        }
        values.update(fields)
        values.setdefault("badge_number", next_badge_number(event))
        attendee = Attendee(event_id=event.id, **values)
        db.session.add(attendee)
        db.session.commit()
        return attendee

    return factory


def person(ext_id: str, name: str | None = None, **cells: str) -> dict[str, str]:
    """One valid attendee-file row; override any column with keyword arguments."""
    row = {
        "id": ext_id, "name": f"Person {ext_id}" if name is None else name, "company": f"Company {ext_id}",
        "region": "EMEA", "partner_type": "ISV", "offers": "Hosting; DevOps",
        "seeks": "Data Platform", "email": f"{ext_id.lower()}@example.com",
    }
    row.update(cells)
    return row


def attendee_file(rows: list[dict[str, str]], fmt: str = "csv") -> bytes:
    """An attendee file with the importer's columns; cells are written verbatim."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append([row.get(c, "") for c in COLUMNS])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in COLUMNS})
    return text.getvalue().encode("utf-8")
