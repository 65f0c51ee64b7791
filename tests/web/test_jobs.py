"""The generic job runner: status, progress, cancel, one job per event, restart recovery."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from web import create_app
from web.extensions import db
from web.jobs import (
    INTERRUPTED,
    Job,
    JobBusy,
    job_status_dict,
    recover_interrupted_jobs,
    request_cancel,
    start_job,
    wait_for_job,
)


def test_job_runs_in_background_and_stores_result(app, make_event):
    event = make_event()
    release = threading.Event()

    def work(context):
        context.report({"step": 1}, force=True)
        assert release.wait(5)
        return None

    job = start_job(event, "plan", work)
    job_id = job.id
    deadline = time.monotonic() + 5
    while db.session.get(Job, job_id).status != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
        db.session.expire_all()
    row = db.session.get(Job, job_id)
    assert row.status == "running" and row.started_at is not None
    release.set()
    done = wait_for_job(job_id, 5)
    assert done.status == "done" and done.finished_at is not None and done.error == ""
    assert done.progress["step"] == 1 and "updated_at" in done.progress


def test_failure_is_recorded_with_the_error_text(app, make_event):
    event = make_event()

    def work(context):
        raise RuntimeError("the solver fell over")

    job = start_job(event, "plan", work)
    done = wait_for_job(job.id, 5)
    assert done.status == "failed"
    assert "the solver fell over" in done.error
    status = job_status_dict(done)
    assert status["finished"] is True and status["status"] == "failed"


def test_cancel_request_reaches_the_work_and_keeps_its_result(app, make_event):
    event = make_event()
    seen = threading.Event()

    def work(context):
        assert context.cancel_event.wait(5), "cancel never arrived"
        seen.set()
        return None

    job = start_job(event, "plan", work)
    request_cancel(db.session.get(Job, job.id))
    done = wait_for_job(job.id, 5)
    assert seen.is_set()
    assert done.status == "cancelled" and done.cancel_requested


def test_only_one_active_job_per_event(app, make_event):
    event = make_event()
    other = make_event()
    release = threading.Event()
    first = start_job(event, "plan", lambda ctx: release.wait(5) and None)
    try:
        with pytest.raises(JobBusy) as busy:
            start_job(event, "plan", lambda ctx: None)
        assert busy.value.job.id == first.id
        second = start_job(other, "plan", lambda ctx: None)  # other events are independent
        assert wait_for_job(second.id, 5).status == "done"
    finally:
        release.set()
        wait_for_job(first.id, 5)
    again = start_job(event, "plan", lambda ctx: None)
    assert wait_for_job(again.id, 5).status == "done"


def test_report_is_throttled_but_forced_reports_are_written(app, make_event):
    event = make_event()

    def work(context):
        context.report_seconds = 60
        context.report({"n": 1})          # first one is written
        context.report({"n": 2})          # throttled
        stored = db.session.get(Job, context.job_id)
        db.session.refresh(stored)
        assert stored.progress["n"] == 1
        context.report({"n": 3, "bad": float("inf")}, force=True)
        db.session.refresh(stored)
        assert stored.progress["n"] == 3 and stored.progress["bad"] is None
        return None

    job = start_job(event, "plan", work)
    done = wait_for_job(job.id, 5)
    assert done.status == "done", done.error


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_job_of_a_dead_server_is_marked_failed_on_startup(app, make_event, tmp_path):
    import socket

    event = make_event()
    job = Job(event_id=event.id, kind="plan", status="running",
              params={"runner": {"host": socket.gethostname(), "pid": _dead_pid()}})
    remote_fresh = Job(event_id=make_event().id, kind="plan", status="running",
                       params={"runner": {"host": "elsewhere", "pid": 1}},
                       progress={"updated_at": "2999-01-01T00:00:00+00:00"})
    remote_stale = Job(event_id=make_event().id, kind="plan", status="queued",
                       params={"runner": {"host": "elsewhere", "pid": 1}},
                       progress={"updated_at": "2000-01-01T00:00:00+00:00"})
    db.session.add_all([job, remote_fresh, remote_stale])
    db.session.commit()
    ids = job.id, remote_fresh.id, remote_stale.id

    # A new server process starting on the same database.
    restarted = create_app({**app.config, "TESTING": True})
    with restarted.app_context():
        rows = [db.session.get(Job, i) for i in ids]
        assert (rows[0].status, rows[0].error) == ("failed", INTERRUPTED)
        assert rows[0].finished_at is not None
        assert rows[1].status == "running"          # another host, heartbeat fresh
        assert (rows[2].status, rows[2].error) == ("failed", INTERRUPTED)
        db.session.remove()
    assert recover_interrupted_jobs() == 0


_EXITING_SERVER = """
import sys, threading
from web import create_app
from web.events.models import Event
from web.extensions import db
from web.jobs import start_job

app = create_app({"INSTANCE_PATH": sys.argv[1], "SQLALCHEMY_DATABASE_URI": sys.argv[2],
                  "SECRET_KEY": "k"})
started = threading.Event()

def work(context):
    started.set()
    while not context.cancel_event.wait(0.05):  # a long computation that honours cancel
        pass
    return None

with app.app_context():
    event = db.session.scalar(db.select(Event))
    print(start_job(event, "plan", work).id, flush=True)
    assert started.wait(10)
sys.exit(0)  # as a gunicorn worker exits after SIGTERM
"""


def test_a_server_that_stops_records_its_running_job_as_interrupted(app, make_event, tmp_path):
    """A restart during a computation: the process stops the job and exits cleanly, and the
    organiser sees at once that it was interrupted (not a job stuck 'running')."""
    make_event()
    db.session.remove()
    result = subprocess.run(
        [sys.executable, "-c", _EXITING_SERVER, app.config["INSTANCE_PATH"],
         app.config["SQLALCHEMY_DATABASE_URI"]],
        capture_output=True, text=True, timeout=60, cwd=str(Path(__file__).resolve().parents[2]))
    assert result.returncode == 0, result.stderr[-2000:]
    job = db.session.get(Job, result.stdout.strip())
    assert (job.status, job.error) == ("failed", INTERRUPTED)
    assert job.finished_at is not None
