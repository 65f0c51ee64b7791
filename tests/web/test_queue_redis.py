"""The job queue on a real Redis server (``SPEEDNET_TEST_REDIS_URL``; .ci/run starts one):
jobs reach in-process and out-of-process workers, several workers share one queue, mail
delivery is a task there too, and a killed worker's job is tried again by another."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest

from tests.support.jobs import WorkerProcess, seed_planning_event, start_test_job
from web.extensions import db
from web.jobs import Job, request_cancel, wait_for_job
from web.jobs.queue import queue_of
from web.schedules.planning import start_schedule_job

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(redis_url: str) -> dict[str, Any]:
    return {"QUEUE_URL": redis_url}


def test_a_job_goes_through_redis_to_a_worker(app, make_event):
    assert type(queue_of(app).storage).__name__ == "RedisStorage"
    event = make_event()
    running = threading.Event()

    def work(context):
        running.set()
        context.report({"step": "half"}, force=True)
        assert context.cancel_event.wait(10)
        return None

    job = start_test_job(event, work)
    assert running.wait(10)
    request_cancel(db.session.get(Job, job.id))
    done = wait_for_job(job.id, 10)
    assert done.status == "cancelled" and done.progress["step"] == "half"


def test_mail_delivery_is_a_task_on_redis(app, make_event):
    from web.mail.services import enqueue

    app.config.update(MAIL_DELIVERY_TASK=True, QUEUE_IN_PROCESS_WORKER=False,  # no worker: it waits
                      SMTP_HOST="127.0.0.1", MAIL_FROM="Summit <networking@example.com>")
    assert enqueue(to="a@example.com", subject="Hello", body="Body\n", kind="registration", dedupe_key="r:1")
    db.session.commit()
    assert queue_of(app).pending_count() == 1  # the commit queued one delivery


@pytest.mark.slow
def test_several_worker_processes_share_the_queue(app, tmp_path):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False
    events = [seed_planning_event(60, rounds=4, seed=s) for s in range(4)]
    jobs = [start_schedule_job(event, time_limit=5).id for event in events]
    workers = [WorkerProcess(app, tmp_path / f"w{i}.log") for i in range(2)]
    try:
        done = [wait_for_job(job_id, 180) for job_id in jobs]
        assert [j.status for j in done] == ["done"] * 4, [w.log() for w in workers]
        assert all(j.attempts == 1 and j.result["version_id"] for j in done)  # each run once
        assert queue_of(app).pending_count() == 0
    finally:
        for worker in workers:
            worker.stop()


@pytest.mark.slow
def test_a_killed_workers_job_is_taken_by_another_worker_on_redis(app, tmp_path):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False
    event = seed_planning_event(1500)
    job = start_schedule_job(event, time_limit=30)
    first = WorkerProcess(app, tmp_path / "first.log")
    second = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            db.session.expire_all()
            row = db.session.get(Job, job.id)
            if row.status == "running" and (row.progress or {}).get("phase") == "placing":
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"the solve never started: {first.log()}")
        second = WorkerProcess(app, tmp_path / "second.log")  # idle, waiting on the queue
        first.signal(signal.SIGKILL)
        done = wait_for_job(job.id, 240)
        assert done.status == "done" and done.attempts == 2, (done.status, done.error, second.log())
    finally:
        first.stop()
        if second is not None:
            second.stop()
