"""Several kiosks at once against a real server: gunicorn with several worker processes and
threads, a fresh database, and at least 16 client threads sending duplicate scans of the same
people and nonce replays (a kiosk resending after a lost answer).

Afterwards every scanned attendee has exactly one non-annulled check-in, and every check-in a
kiosk was told about (201) is stored: none lost, none doubled. Runs on SQLite always and on
PostgreSQL when ``SPEEDNET_TEST_POSTGRES_URL`` is set (a new database per test).
"""

from __future__ import annotations

import os
import random
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from web import create_app
from web.attendees.models import Attendee
from web.auth.services import create_api_token, create_user
from web.checkin.models import CheckIn
from web.events.models import Event
from web.extensions import db

ROOT = Path(__file__).resolve().parents[2]
ATTENDEES = 30          # scanned people
SCANS_PER_PERSON = 3    # different kiosks scanning the same badge
REPLAYS = 2             # each request is sent this many times with the same nonce
CLIENT_THREADS = 24

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database_url: str, instance: Path) -> tuple[str, str, list[str], int]:
    """Migrate the database and create a staff token, an event and its attendees."""
    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "concurrency",
                      "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        import datetime as dt

        event = Event(slug="rush", name="Rush hour", date=dt.date(2025, 6, 12), timezone="Europe/Amsterdam",
                      start=dt.datetime(2025, 6, 12, 14, 0))
        db.session.add(event)
        db.session.commit()
        rows = [Attendee(event_id=event.id, ext_id=f"P{i:03d}", name=f"Person {i}", company=f"Co {i}",
                         region="EMEA", partner_type="ISV", offers=["Hosting"], seeks=["DevOps"],
                         badge_number=i + 1)
                for i in range(ATTENDEES + 5)]  # five people never show up
        db.session.add_all(rows)
        db.session.commit()
        token = create_api_token(create_user("kiosk@example.com", "correct horse battery", "staff"))
        codes = [row.checkin_code for row in rows[:ATTENDEES]]
        event_id = event.id
        db.session.remove()
        db.engine.dispose()
    return token, "rush", codes, event_id


def serve(database_url: str, instance: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "concurrency",
           "SPEEDNET_INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--threads", "6",
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "web:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("gunicorn exited:\n" + process.stdout.read().decode(errors="replace"))
        try:
            if requests.get(base + "/healthz", timeout=5).status_code == 200:
                return process, base
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("gunicorn did not start in 60 s")


def rush(base: str, token: str, slug: str, codes: list[str]) -> list[tuple[str, str, int, dict]]:
    """Fire every scan (and its replays) from many threads in random order."""
    requests_to_send = []
    for code in codes:
        for kiosk in range(SCANS_PER_PERSON):
            nonce = str(uuid.uuid4())
            # Scanners add whitespace; the server must not care.
            body = {"code": code if kiosk else f" {code}\n", "nonce": nonce, "device": f"Kiosk {kiosk + 1}"}
            requests_to_send.extend([body] * REPLAYS)
    random.Random(7).shuffle(requests_to_send)
    url = f"{base}/api/v1/events/{slug}/checkins"
    local = __import__("threading").local()

    def send(body: dict) -> tuple[str, str, int, dict]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
        response = session.post(url, json=body, timeout=60)
        return body["code"].strip(), body["nonce"], response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        return list(pool.map(send, requests_to_send))


def check_outcome(base: str, token: str, slug: str, codes: list[str],
                  results: list[tuple[str, str, int, dict]]) -> None:
    assert {status for _, _, status, _ in results} <= {200, 201}, \
        sorted({(status, str(body)) for _, _, status, body in results if status not in (200, 201)})[:5]
    acknowledged: dict[str, set[int]] = defaultdict(set)   # code -> check-in ids told "welcome"
    referenced: dict[str, set[int]] = defaultdict(set)     # code -> every check-in id answered
    by_nonce: dict[str, set[int]] = defaultdict(set)
    for code, nonce, status, body in results:
        assert body["status"] == ("welcome" if status == 201 else "already")
        referenced[code].add(body["checkin"]["id"])
        by_nonce[nonce].add(body["checkin"]["id"])
        if status == 201:
            acknowledged[code].add(body["checkin"]["id"])
    for code in codes:
        assert len(acknowledged[code]) == 1, f"{code}: welcomed {len(acknowledged[code])} times"
        assert referenced[code] == acknowledged[code], "'already' must name the first check-in"
    assert all(len(ids) == 1 for ids in by_nonce.values()), "a replayed nonce got a different answer"

    listing = requests.get(f"{base}/api/v1/events/{slug}/checkins",
                           headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    stored = {row["id"]: row for row in listing["checkins"]}
    assert listing["checked_in"] == len(codes)
    assert len(stored) == len(codes), "exactly one row per scanned person, no extras"
    for code in codes:
        (checkin_id,) = acknowledged[code]
        assert checkin_id in stored and stored[checkin_id]["annulled_at"] is None


def assert_database(database_url: str, instance: Path, event_id: int, scanned: int) -> None:
    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": "concurrency",
                      "SQLALCHEMY_DATABASE_URI": database_url, "SPEEDNET_AUTO_MIGRATE": False})
    with app.app_context():
        per_person = db.session.execute(
            select(CheckIn.attendee_id, func.count())
            .where(CheckIn.event_id == event_id, CheckIn.annulled_at.is_(None))
            .group_by(CheckIn.attendee_id)
        ).all()
        assert len(per_person) == scanned and all(n == 1 for _, n in per_person)
        db.session.remove()
        db.engine.dispose()


def run_rush(database_url: str, instance: Path) -> None:
    token, slug, codes, event_id = prepare(database_url, instance)
    process, base = serve(database_url, instance)
    try:
        results = rush(base, token, slug, codes)
        assert len(results) == len(codes) * SCANS_PER_PERSON * REPLAYS
        check_outcome(base, token, slug, codes, results)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert_database(database_url, instance, event_id, len(codes))


def test_many_kiosks_at_once_on_sqlite(tmp_path):
    run_rush(f"sqlite:///{tmp_path / 'rush.db'}", tmp_path / "instance")


@pytest.mark.postgres
def test_many_kiosks_at_once_on_postgresql(tmp_path):
    import psycopg
    from sqlalchemy.engine import make_url

    admin_url = make_url(os.environ["SPEEDNET_TEST_POSTGRES_URL"])
    name = "speednet_rush_" + secrets.token_hex(4)
    conninfo = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = admin_url.set(drivername="postgresql+psycopg", database=name)
        run_rush(url.render_as_string(hide_password=False), tmp_path / "instance")
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
