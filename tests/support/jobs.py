"""A job kind for tests that need a job doing something arbitrary (wait, fail, report).

Handlers must be named functions a worker can import, so tests cannot hand a closure to
``start_job``. :func:`start_test_job` registers the closure in this process under a fresh key
and starts a job of kind ``"test"`` whose params carry only that key; the in-process worker
the tests run (web.jobs.queue) takes it off the real queue and calls the closure with the
job's context. Jobs that must run in another process use the real kinds (plan, replan).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from flask import Flask

from web.events.models import Event
from web.jobs import Job, JobContext, job_handler, start_job


class SupportJob(StrEnum):
    """The tests' own job kinds (a feature registers members of its own enum)."""

    TEST = "test"


TEST_KIND = SupportJob.TEST
_calls: dict[str, Callable[[JobContext], Any]] = {}
_lock = threading.Lock()


@job_handler(TEST_KIND)
def run_test_job(context: JobContext, params: dict[str, Any]) -> Any:
    with _lock:
        work = _calls.pop(params["call"])
    return work(context)


def start_test_job(event: Event, work: Callable[[JobContext], Any]) -> Job:
    """Start a job whose worker runs ``work(context)``; its return value is the job's result."""
    key = uuid.uuid4().hex
    with _lock:
        _calls[key] = work
    try:
        return start_job(event, TEST_KIND, params={"call": key})
    except Exception:
        with _lock:
            _calls.pop(key, None)
        raise


# --------------------------------------------------------------------------- worker processes

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """``python -m web.jobs.worker`` for the app's database and queue, in its own process (as
    ``make worker`` runs it); its log goes to ``log_path``."""

    def __init__(self, app: Flask, log_path: Path, *, threads: int = 1) -> None:
        env = {**os.environ, "SPEEDNET_INSTANCE_PATH": app.instance_path,
               "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "SECRET_KEY": app.config["SECRET_KEY"],
               "SPEEDNET_QUEUE_URL": app.config.get("QUEUE_URL") or ""}
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 (the worker writes it until stop() closes it)
        self.proc = subprocess.Popen([sys.executable, "-m", "web.jobs.worker", "--threads", str(threads)],
                                     cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int | None:
        """The exit status, or None if it is still running after ``timeout`` seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


def seed_planning_event(n: int, *, rounds: int = 8, seed: int = 5) -> Event:
    """An event tomorrow with ``n`` generated attendees: a plan for it takes the solver its
    whole time limit, so a test can act while it runs."""
    from scheduler.generator import generate_event
    from web.attendees.models import Attendee
    from web.extensions import db
    from web.types import utcnow

    start = (utcnow() + dt.timedelta(days=1)).replace(tzinfo=None, second=0, microsecond=0)
    event = Event(slug=f"plan-{uuid.uuid4().hex[:8]}", name="Partner Summit", venue="Hall",
                  date=start.date(), timezone="UTC", start=start, rounds=rounds)
    db.session.add(event)
    db.session.flush()
    db.session.execute(db.insert(Attendee), [
        {"event_id": event.id, "ext_id": a.id, "name": a.name, "company": a.company, "region": a.region,
         "partner_type": a.partner_type, "offers": list(a.offers), "seeks": list(a.seeks),
         "badge_number": i + 1, "source": "import"}
        for i, a in enumerate(generate_event(n, rounds=rounds, seed=seed))])
    db.session.commit()
    return event
