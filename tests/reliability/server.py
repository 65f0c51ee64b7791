"""Run the real app under gunicorn and drive check-ins at it (used by the reliability tests and
``bench/bench_checkin_load.py``: one piece of code for one job).

* :func:`seed` prepares a database (migrations, one event with ``n`` attendees, a check-in
  staff account and its API token) without any server running.
* :class:`Server` starts ``gunicorn -k gthread`` on 127.0.0.1 on a free port in its own process
  group, waits for ``/healthz``, and can be stopped gently or killed with SIGKILL.
* :func:`drive_checkins` posts ``POST /api/v1/events/<slug>/checkins`` from many threads (one
  keep-alive ``requests.Session`` each), with repeated scans and nonce replays, and records
  what the server acknowledged and how long each request took.
* :func:`stored_checkins` reads what the database holds, straight from SQL.
* :func:`scratch_postgres` creates (and drops) a database of its own on a PostgreSQL server.
"""

from __future__ import annotations

import contextlib
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
SLUG = "load-test"
STAFF_EMAIL = "kiosk@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Seeded:
    database_url: str
    instance: Path
    slug: str
    token: str
    codes: list[str]


def seed(database_url: str, instance: Path, n: int) -> Seeded:
    """Migrate ``database_url`` and store one event with ``n`` attendees and a staff API token."""
    import datetime as dt

    from web import create_app
    from web.attendees.models import Attendee, new_checkin_code, new_token
    from web.auth.services import create_api_token, create_user
    from web.events.models import Event
    from web.extensions import db

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "load-test-secret"})
    with app.app_context():
        event = Event(slug=SLUG, name="Load test", venue="Hall", date=dt.date(2025, 6, 12),
                      timezone="UTC", start=dt.datetime(2025, 6, 12, 9, 0), rounds=8)
        db.session.add(event)
        db.session.flush()
        codes = [new_checkin_code() for _ in range(n)]
        db.session.execute(db.insert(Attendee), [
            {"event_id": event.id, "ext_id": f"L{i:05d}", "name": f"Load Person {i}", "company": f"Co {i % 97}",
             "region": "EMEA", "partner_type": "ISV", "offers": ["Hosting"], "seeks": ["DevOps"],
             "token": new_token(), "checkin_code": code, "badge_number": i + 1, "source": "import"}
            for i, code in enumerate(codes)])
        db.session.commit()
        user = create_user(STAFF_EMAIL, "kiosk password 1", "staff")
        token = create_api_token(user, "load test")
        db.session.remove()
        db.engine.dispose()
    return Seeded(database_url, instance, SLUG, token, codes)


def stored_checkins(database_url: str, slug: str = SLUG) -> tuple[int, int, set[str]]:
    """(rows, active rows, check-in codes of the attendees with an active check-in)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.annulled_at, a.checkin_code FROM checkins c JOIN attendees a ON a.id = c.attendee_id "
                "JOIN events e ON e.id = c.event_id WHERE e.slug = :slug"), {"slug": slug}).all()
    finally:
        engine.dispose()
    active = [code for annulled, code in rows if annulled is None]
    return len(rows), len(active), set(active)


def _sqlalchemy_url(url: str) -> str:
    from web.config import normalise_database_url

    return normalise_database_url(url)


class Server:
    """gunicorn serving ``web:create_app()`` against ``database_url``."""

    def __init__(self, seeded: Seeded, *, workers: int = 4, threads: int = 4, port: int | None = None) -> None:
        self.seeded = seeded
        self.workers, self.threads = workers, threads
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.log = seeded.instance / f"gunicorn-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "Server":
        env = dict(os.environ, DATABASE_URL=self.seeded.database_url, SECRET_KEY="load-test-secret",
                   SPEEDNET_INSTANCE_PATH=str(self.seeded.instance), PYTHONPATH=str(ROOT))
        env.pop("SPEEDNET_AUTO_MIGRATE", None)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "gthread",
                 "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5",
                 "--keep-alive", "30", "web:create_app()"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (a power cut, as far as the app knows)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class LoadResult:
    sent: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, every answered request
    acknowledged: set[str] = field(default_factory=set)  # codes answered 201 welcome or 200 already
    welcomes: int = 0
    already: int = 0
    replays: int = 0
    errors: list[str] = field(default_factory=list)  # answers that were wrong (not connection drops)
    dropped: int = 0  # requests with no answer (connection refused/reset)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def drive_checkins(base_url: str, seeded: Seeded, codes: list[str], *, threads: int = 16,
                   repeat_share: float = 0.1, replay_share: float = 0.1, seed: int = 1,
                   stop: threading.Event | None = None) -> LoadResult:
    """Scan every code once from ``threads`` kiosks; some codes are scanned twice (a fresh nonce:
    "already") and some requests are resent with the same nonce (a retry: same answer, nothing new)."""
    work: queue.Queue[str] = queue.Queue()
    for code in codes:
        work.put(code)
    result = LoadResult()
    lock = threading.Lock()
    url = f"{base_url}/api/v1/events/{seeded.slug}/checkins"
    headers = {"Authorization": f"Bearer {seeded.token}"}

    def kiosk(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        session = requests.Session()
        session.headers.update(headers)
        local = LoadResult()
        while not (stop is not None and stop.is_set()):
            try:
                code = work.get_nowait()
            except queue.Empty:
                break
            scans = [uuid.uuid4().hex]
            if rng.random() < replay_share:
                scans.append(scans[0])  # retry after a lost answer
            if rng.random() < repeat_share:
                scans.append(uuid.uuid4().hex)  # the same badge scanned again
            first_status = None
            for i, nonce in enumerate(scans):
                started = time.perf_counter()
                try:
                    response = session.post(url, json={"code": code, "nonce": nonce, "device": f"kiosk-{number}"},
                                            timeout=30)
                except requests.RequestException:
                    local.dropped += 1
                    session = requests.Session()
                    session.headers.update(headers)
                    continue
                local.latencies.append(time.perf_counter() - started)
                local.sent += 1
                status = response.status_code
                body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
                if status in (200, 201) and body.get("status") in ("welcome", "already"):
                    local.acknowledged.add(code)
                if i == 0 or (nonce == scans[0] and first_status is None):
                    expected = {201, 200}
                elif nonce == scans[0]:
                    expected = {first_status}  # a replay answers like the original
                    local.replays += 1
                    if not body.get("replayed"):
                        local.errors.append(f"replay of {code[:8]} not marked replayed: {body}")
                else:
                    expected = {200}
                if status not in expected:
                    local.errors.append(f"{code[:8]} scan {i}: {status} {response.text[:200]}")
                if status == 201 and not body.get("replayed"):
                    local.welcomes += 1
                elif status == 200 and not body.get("replayed"):
                    local.already += 1
                if nonce == scans[0] and first_status is None:
                    first_status = status
        with lock:
            result.sent += local.sent
            result.latencies += local.latencies
            result.acknowledged |= local.acknowledged
            result.welcomes += local.welcomes
            result.already += local.already
            result.replays += local.replays
            result.errors += local.errors
            result.dropped += local.dropped

    started = time.perf_counter()
    pool = [threading.Thread(target=kiosk, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


@contextlib.contextmanager
def scratch_postgres(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``server_url``; dropped afterwards."""
    import psycopg

    parts = urlsplit(server_url.replace("postgresql+psycopg://", "postgresql://", 1))
    name = f"speednet_load_{uuid.uuid4().hex[:10]}"
    admin = urlunsplit(parts._replace(path="/postgres" if parts.path in ("", "/") else parts.path))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(scheme="postgresql+psycopg", path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
