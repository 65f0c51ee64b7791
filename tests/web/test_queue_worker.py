"""Plans in real worker processes (``python -m web.jobs.worker``) on the embedded SQLite queue:
the web process never solves; a worker stopped (SIGTERM) or killed (SIGKILL) mid-solve leaves
the job with its best schedule or tried again, never "running"; cancel keeps the best schedule.

Each test waits a bounded time for what an organiser would see on the job page; none measures
how long anything took. The event is large enough (1,500 people) that the solver is still
placing rounds when the test acts.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from scheduler.checker import check_schedule
from tests.support.jobs import WorkerProcess, seed_planning_event
from tests.web.conftest import submit
from web.extensions import db
from web.jobs import INTERRUPTED, LOST, Job, wait_for_job
from web.jobs.queue import queue_of
from web.schedules.models import ScheduleVersion
from web.schedules.planning import start_schedule_job
from web.schedules.versions import version_schedule

pytestmark = pytest.mark.slow

PEOPLE = 1500
STARTS_WITHIN = 120.0   # a worker process starting and the solver reaching its placing phase
ENDS_WITHIN = 90.0      # a stopped or cancelled solve storing its best schedule
NOTICED_WITHIN = 30.0   # a killed worker's job no longer shown as running


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"QUEUE_IN_PROCESS_WORKER": False}  # only worker processes take jobs here


@pytest.fixture
def workers(app, tmp_path):
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        worker = WorkerProcess(app, tmp_path / f"worker-{len(started) + 1}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _status(organiser, event, job_id: str) -> dict[str, Any]:
    response = organiser.get(f"/console/{event.slug}/jobs/{job_id}.json")
    assert response.status_code == 200
    return response.get_json()


def _wait_for_placing(organiser, event, job_id: str, worker: WorkerProcess, attempt: int = 1) -> None:
    """Until the job page shows the solver placing rounds on attempt ``attempt``."""
    deadline = time.monotonic() + STARTS_WITHIN
    while time.monotonic() < deadline:
        status = _status(organiser, event, job_id)
        if (status["status"] == "running" and status["attempts"] == attempt
                and status["progress"].get("phase") == "placing"):
            return
        assert status["status"] in ("queued", "running"), (status, worker.log())
        time.sleep(0.1)
    pytest.fail(f"the solve never reached its placing phase: {status}\n{worker.log()}")


def _wait_not_running(organiser, event, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + NOTICED_WITHIN
    while True:
        status = _status(organiser, event, job_id)
        if status["status"] != "running" or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def _assert_valid_draft(version_id: int | None) -> ScheduleVersion:
    assert version_id is not None, "no schedule was kept"
    db.session.expire_all()
    version = db.session.get(ScheduleVersion, version_id)
    assert version.status == "draft"
    schedule, attendees = version_schedule(version)
    assert schedule.meetings, "the kept schedule seats nobody"
    assert check_schedule(schedule, attendees) == []
    return version


def test_the_web_process_never_solves(app, organiser):
    event = seed_planning_event(20, rounds=3)
    job = start_schedule_job(event, time_limit=5)
    assert wait_for_job(job.id, 1.0).status == "queued"  # nobody but a worker takes it
    assert queue_of(app).pending_count() == 1
    assert _status(organiser, event, job.id)["status"] == "queued"


def test_sigterm_mid_solve_stops_it_and_keeps_the_best_schedule(app, organiser, workers):
    event = seed_planning_event(PEOPLE)
    job = start_schedule_job(event, time_limit=30)
    worker = workers()
    _wait_for_placing(organiser, event, job.id, worker)
    worker.signal(signal.SIGTERM)
    assert worker.wait(ENDS_WITHIN) == 0, worker.log()
    status = _status(organiser, event, job.id)
    assert status["status"] == "failed" and status["error"] == INTERRUPTED, status
    assert status["finished"] is True and status["version_number"] is not None
    version = _assert_valid_draft(status["result_version_id"])
    assert version.report["status"] == "CANCELLED"  # the solver was stopped, not left to finish


def test_sigkill_mid_solve_the_job_is_tried_again_by_another_worker(app, organiser, workers):
    event = seed_planning_event(PEOPLE)
    job = start_schedule_job(event, time_limit=30)
    first = workers()
    _wait_for_placing(organiser, event, job.id, first)
    first.signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    status = _wait_not_running(organiser, event, job.id)
    assert status["status"] == "queued" and status["attempts"] == 1, status  # waiting for a worker
    second = workers()
    done = wait_for_job(job.id, STARTS_WITHIN + ENDS_WITHIN)
    assert done.status == "done", (done.status, done.error, second.log())
    assert done.attempts == 2
    _assert_valid_draft(done.result["version_id"])


def test_a_job_whose_worker_is_killed_twice_is_marked_failed(app, organiser, workers):
    event = seed_planning_event(PEOPLE)
    job = start_schedule_job(event, time_limit=30)
    for attempt in (1, 2):
        worker = workers()
        _wait_for_placing(organiser, event, job.id, worker, attempt)
        worker.signal(signal.SIGKILL)
        assert worker.wait(10) == -signal.SIGKILL
        status = _wait_not_running(organiser, event, job.id)
    assert status["status"] == "failed" and status["error"] == LOST, status
    assert status["finished"] is True
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "failed"
    # The event is free again: a new plan can start.
    assert start_schedule_job(event, time_limit=5).status == "queued"


def test_cancel_from_the_job_page_stops_the_solve_and_keeps_the_best_schedule(app, organiser, workers):
    event = seed_planning_event(PEOPLE)
    job = start_schedule_job(event, time_limit=30)
    worker = workers()
    _wait_for_placing(organiser, event, job.id, worker)
    page = f"/console/{event.slug}/jobs/{job.id}"
    assert submit(organiser, f"{page}/cancel", {}, form_url=page).status_code == 302
    done = wait_for_job(job.id, ENDS_WITHIN)
    assert done.status == "cancelled", (done.status, done.error, worker.log())
    version = _assert_valid_draft(done.result["version_id"])
    assert version.report["status"] == "CANCELLED"
    assert worker.proc.poll() is None  # the worker carries on with the next job
