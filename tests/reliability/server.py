"""Run the real app under gunicorn and drive check-ins at it (used by the reliability tests and
``bench/bench_checkin_load.py``: one piece of code for one job).

* :func:`seed` prepares a database (migrations, one event with ``n`` attendees, a check-in
  staff account and its API token) without any server running.
* :class:`Server` starts ``gunicorn -k gthread`` on 127.0.0.1 on a free port in its own process
  group, waits for ``/healthz``, and can be stopped gently or killed with SIGKILL.
* :func:`drive_checkins` posts ``POST /api/v1/events/<slug>/checkins`` from many kiosk threads
  (one :class:`Kiosk` connection each), back to back or at a fixed pace, with repeated scans
  and nonce replays, and records what the server acknowledged and how long each request took.
* :func:`stored_checkins` reads what the database holds, straight from SQL.
* :func:`scratch_postgres` creates (and drops) a database of its own on a PostgreSQL server.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parents[2]
SLUG = "load-test"
STAFF_EMAIL = "kiosk@example.com"
ROUNDS = 8


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


def _round_pairs(ids: list[int], round_number: int) -> list[tuple[int, int]]:
    """Round ``round_number`` of a round-robin (circle method): everyone meets somebody new."""
    ring = ids[:1] + ids[1:][round_number:] + ids[1:][:round_number] if len(ids) > 1 else ids
    half = len(ring) // 2
    return list(zip(ring[:half], reversed(ring[half:2 * half])))


def seed(database_url: str, instance: Path, n: int) -> Seeded:
    """Migrate ``database_url`` and store one event with ``n`` attendees and a staff API token."""
    import datetime as dt

    from web import create_app
    from web.attendees.models import Attendee, CodePurpose, code_hash, derive_code, new_nonce
    from web.auth.services import create_api_token, create_user
    from web.events.members import MemberRole, ensure_member
    from web.events.models import Event
    from web.extensions import db
    from web.schedules.models import ScheduleMeeting, ScheduleVersion
    from web.types import utcnow

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "load-test-secret"})
    with app.app_context():
        # As at the door on the day: the session starts within the hour and a schedule is
        # published, so every welcome names the person's first table.
        start = (utcnow() + dt.timedelta(hours=1)).replace(tzinfo=None, second=0, microsecond=0)
        event = Event(slug=SLUG, name="Load test", venue="Hall", date=start.date(), timezone="UTC",
                      start=start, rounds=ROUNDS)
        db.session.add(event)
        db.session.flush()
        nonces = [new_nonce() for _ in range(n)]
        codes = [derive_code(CodePurpose.CHECKIN, nonce) for nonce in nonces]
        _PLAIN_CODES.update((code_hash(code), code) for code in codes)
        db.session.execute(db.insert(Attendee), [
            {"event_id": event.id, "ext_id": f"L{i:05d}", "name": f"Load Person {i}", "company": f"Co {i % 97}",
             "region": "EMEA", "partner_type": "ISV", "offers": ["Hosting"], "seeks": ["DevOps"],
             "checkin_nonce": nonce, "badge_number": i + 1, "source": "import"}
            for i, nonce in enumerate(nonces)])
        version = ScheduleVersion(event_id=event.id, number=1, status="published", kind="plan",
                                  published_at=utcnow())
        db.session.add(version)
        db.session.flush()
        ids = list(db.session.scalars(db.select(Attendee.id).where(Attendee.event_id == event.id)
                                      .order_by(Attendee.badge_number)))
        db.session.execute(db.insert(ScheduleMeeting), [
            {"version_id": version.id, "round": r, "table": t + 1, "a_id": a, "b_id": b, "reason": ""}
            for r in range(1, ROUNDS + 1)
            for t, (a, b) in enumerate(_round_pairs(ids, r))])
        db.session.commit()
        user = create_user(STAFF_EMAIL, "kiosk password 1", "staff")
        ensure_member(event, user, MemberRole.STAFF)  # the door's team: the only event it reaches
        token = create_api_token(user, "load test")
        db.session.remove()
        db.engine.dispose()
    return Seeded(database_url, instance, SLUG, token, codes)


# Plain check-in codes of the seeded attendees by their stored hash (the database keeps only the
# hash; the codes are derived under the app's SECRET_KEY, which this process knew when seeding).
_PLAIN_CODES: dict[str, str] = {}


def stored_checkins(database_url: str, slug: str = SLUG) -> tuple[int, int, set[str]]:
    """(rows, active rows, check-in codes of the attendees with an active check-in)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT c.annulled_at, a.checkin_code_hash FROM checkins c JOIN attendees a ON a.id = c.attendee_id "
                "JOIN events e ON e.id = c.event_id WHERE e.slug = :slug"), {"slug": slug}).all()
    finally:
        engine.dispose()
    active = [_PLAIN_CODES.get(hashed, hashed) for annulled, hashed in rows if annulled is None]
    return len(rows), len(active), set(active)


def _sqlalchemy_url(url: str) -> str:
    from web.config import normalise_database_url

    return normalise_database_url(url)


class Server:
    """gunicorn serving ``web:create_app()`` against ``database_url``; with ``job_worker``, also
    the job worker (``python -m web.jobs.worker``, as ``make run`` and production run it), so
    plans started from the console run beside the door as they do on event day."""

    def __init__(self, seeded: Seeded, *, workers: int = 4, threads: int = 4, port: int | None = None,
                 job_worker: bool = False) -> None:
        self.seeded = seeded
        self.workers, self.threads = workers, threads
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.job_worker = job_worker
        self.worker: subprocess.Popen | None = None
        self.log = seeded.instance / f"gunicorn-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        env = dict(os.environ, DATABASE_URL=self.seeded.database_url, SECRET_KEY="load-test-secret",
                   SPEEDNET_INSTANCE_PATH=str(self.seeded.instance), PYTHONPATH=str(ROOT))
        env.pop("SPEEDNET_AUTO_MIGRATE", None)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--worker-class", "gthread",
                 "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5",
                 # One connection per request, as behind the reverse proxy production runs
                 # (nginx speaks HTTP/1.0 to its upstream by default): the kernel hands each
                 # request to a free worker, where a kept-alive connection would tie a kiosk
                 # to one worker however busy it is.
                 "--keep-alive", "0", "web:create_app()"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            if self.job_worker:
                self.worker = subprocess.Popen([sys.executable, "-m", "web.jobs.worker", "--threads", "1"],
                                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True)
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
        for process in (self.process, self.worker):
            if process is not None and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def stop(self) -> None:
        for process in (self.worker, self.process):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(35)
                except subprocess.TimeoutExpired:
                    self.kill()

    def __enter__(self) -> Server:
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

    def merge(self, other: LoadResult) -> None:
        self.sent += other.sent
        self.latencies += other.latencies
        self.acknowledged |= other.acknowledged
        self.welcomes += other.welcomes
        self.already += other.already
        self.replays += other.replays
        self.errors += other.errors
        self.dropped += other.dropped


class Kiosk:
    """One kiosk's HTTP connection: ``http.client`` rather than ``requests``, because the load
    generator shares the machine's cores with the server and should spend as little as it can."""

    def __init__(self, base_url: str, seeded: Seeded, name: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = f"/api/v1/events/{seeded.slug}/checkins"
        self.headers = {"Authorization": f"Bearer {seeded.token}", "Content-Type": "application/json"}
        self.name = name
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.last_headers: dict[str, str] = {}

    def scan(self, code: str, nonce: str) -> tuple[int, dict]:
        """POST one scan; (status, JSON body). Raises ``OSError`` when no answer came back."""
        body = json.dumps({"code": code, "nonce": nonce, "device": self.name}).encode()
        try:
            self.connection.request("POST", self.path, body, self.headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            raise OSError(str(exc)) from exc
        self.last_headers = dict(response.getheaders())
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(data)
        return response.status, {"text": data[:200].decode(errors="replace")}


def drive_checkins(base_url: str, seeded: Seeded, codes: list[str], *, threads: int = 16,
                   repeat_share: float = 0.1, replay_share: float = 0.1, seed: int = 1,
                   rate: float | None = None, stop: threading.Event | None = None) -> LoadResult:
    """Scan every code once from ``threads`` kiosks; some codes are scanned twice (a fresh nonce:
    "already") and some requests are resent with the same nonce (a retry: same answer, nothing new).

    Without ``rate`` each kiosk sends its next scan as soon as the last one is answered (a
    closed loop: the server's saturation throughput; latency is then mostly queueing). With
    ``rate`` scans are due at a fixed pace, ``rate`` per second over all kiosks, as people
    arrive at a door, and latency is counted from when a scan was due, so a slow answer
    delays (and is charged to) the scans behind it.
    """
    work: queue.Queue[str] = queue.Queue()
    for code in codes:
        work.put(code)
    result = LoadResult()
    lock = threading.Lock()
    tickets = itertools.count()
    started = time.perf_counter()

    def due() -> float:
        """When the next scan should leave (now, in a closed loop)."""
        if rate is None:
            return time.perf_counter()
        with lock:
            at = started + next(tickets) / rate
        pause = at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        return at

    def kiosk(number: int) -> None:
        rng = random.Random(seed * 1000 + number)
        client = Kiosk(base_url, seeded, f"kiosk-{number}")
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
                sent_at = due()
                try:
                    status, body = client.scan(code, nonce)
                except OSError:
                    local.dropped += 1
                    continue
                local.latencies.append(time.perf_counter() - sent_at)
                local.sent += 1
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
                    local.errors.append(f"{code[:8]} scan {i}: {status} {str(body)[:200]}")
                elif status == 201 and not body.get("first_meeting"):
                    local.errors.append(f"{code[:8]} welcomed without a first table: {body.get('message')}")
                if status == 201 and not body.get("replayed"):
                    local.welcomes += 1
                elif status == 200 and not body.get("replayed"):
                    local.already += 1
                if nonce == scans[0] and first_status is None:
                    first_status = status
        with lock:
            result.merge(local)

    run_kiosks(kiosk, threads)
    result.seconds = time.perf_counter() - started
    return result


def run_kiosks(kiosk: Callable[[int], None], threads: int) -> None:
    """Run ``kiosk(number)`` for numbers 0 to ``threads - 1`` at once, each in its own thread,
    and wait for all of them."""
    pool = [threading.Thread(target=kiosk, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


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
