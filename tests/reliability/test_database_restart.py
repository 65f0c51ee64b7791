"""The database going away under a running server (a restart, a failover), and other database errors.

* PostgreSQL drops every connection of the app: the next scan is welcomed as if nothing
  happened (connections are checked before use), and nothing is lost or doubled.
* A connection that dies in the middle of a request answers 503 with Retry-After (never a
  500, never half a check-in), and the resend with the same nonce gets in exactly once.
* Any other database error stays an ordinary 500: a retry would not help.
"""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from tests.reliability.server import Kiosk, Server, scratch_postgres, seed, stored_checkins
from web.attendees.checkins import CheckIn
from web.auth.services import create_api_token
from web.checkin import services as checkin_services
from web.extensions import db

pytestmark = pytest.mark.load


def _drop_app_connections(database_url: str) -> int:
    """Terminate every server process connected to the app's database, as a restart would."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]


@pytest.mark.postgres
def test_scans_carry_on_after_postgresql_drops_every_connection(tmp_path):
    with scratch_postgres(os.environ["SPEEDNET_TEST_POSTGRES_URL"]) as url:
        seeded = seed(url, tmp_path / "instance", 3)
        first, second, third = seeded.codes
        with Server(seeded, workers=1, threads=1) as server:
            kiosk = Kiosk(server.url, seeded, "Gate A")
            assert kiosk.scan(first, uuid.uuid4().hex)[0] == 201  # the worker now holds a connection
            assert _drop_app_connections(url) >= 1
            status, body = kiosk.scan(second, uuid.uuid4().hex)
            assert (status, body["status"]) == (201, "welcome"), body
            assert kiosk.scan(third, uuid.uuid4().hex)[0] == 201
        rows, active, codes = stored_checkins(url)
        assert (rows, active, codes) == (3, 3, set(seeded.codes))


def _lost_connection(*args, **kwargs):
    raise OperationalError("SELECT ...", {}, Exception("server closed the connection unexpectedly"),
                           connection_invalidated=True)


def test_a_connection_lost_mid_scan_answers_503_and_the_resend_gets_in_once(
        client, organiser_user, make_event, make_attendee, monkeypatch):
    event = make_event()
    ana = make_attendee(event, name="Ana Lima")
    token = create_api_token(organiser_user, "gate")
    url = f"/api/v1/events/{event.slug}/checkins"
    scan = {"code": ana.checkin_code, "nonce": uuid.uuid4().hex, "device": "Gate A"}
    headers = {"Authorization": f"Bearer {token}"}

    with monkeypatch.context() as patch:
        patch.setattr(checkin_services, "first_meeting", _lost_connection)
        lost = client.post(url, json=scan, headers=headers)
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "1"
    assert lost.is_json  # the API keeps answering JSON
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 0

    again = client.post(url, json=scan, headers=headers)
    assert again.status_code == 201 and again.json["replayed"] is False
    assert client.post(url, json=scan, headers=headers).json["replayed"] is True
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 1


def test_any_other_database_error_is_an_ordinary_500(app, client, organiser_user, make_event,
                                                       make_attendee, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: errors become responses
    event = make_event()
    ana = make_attendee(event, name="Ana Lima")
    token = create_api_token(organiser_user, "gate")

    def broken_query(*args, **kwargs):
        raise OperationalError("SELECT ...", {}, Exception("disk I/O error"))

    monkeypatch.setattr(checkin_services, "first_meeting", broken_query)
    answer = client.post(f"/api/v1/events/{event.slug}/checkins", headers={"Authorization": f"Bearer {token}"},
                         json={"code": ana.checkin_code, "nonce": uuid.uuid4().hex})
    assert answer.status_code == 500 and "Retry-After" not in answer.headers
