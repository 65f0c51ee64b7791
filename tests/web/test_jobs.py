"""The job runner on the queue: status, progress, cancel, one job per event, the lost-worker
rule and a queue that cannot be reached. Jobs go through the real (SQLite) queue to the
in-process worker the tests run; tests/web/test_queue_worker.py runs real worker processes."""

from __future__ import annotations

import datetime as dt
import threading
import time
from enum import StrEnum

import pytest
from sqlalchemy import update

from tests.reliability.server import free_port
from tests.support.jobs import start_test_job
from web import create_app
from web.config import queue_config
from web.extensions import db
from web.jobs import (
    LOST,
    Job,
    JobBusy,
    job_handler,
    job_status_dict,
    recover_interrupted_jobs,
    request_cancel,
    start_job,
    wait_for_job,
)
from web.jobs.queue import enqueue_task, queue_of, queue_settings
from web.jobs.runner import LEASE_SECONDS, MAX_ATTEMPTS
from web.types import utcnow


def _wait_status(job_id: str, wanted: set[str], timeout: float = 10) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        row = db.session.get(Job, job_id)
        if row.status in wanted or time.monotonic() > deadline:
            return row
        time.sleep(0.02)


def test_job_runs_in_a_worker_and_stores_result(app, make_event):
    event = make_event()
    release = threading.Event()
    ran_in: list[str] = []

    def work(context):
        ran_in.append(threading.current_thread().name)
        context.report({"step": 1}, force=True)
        assert release.wait(5)
        return None

    job = start_test_job(event, work)
    assert job.status == "queued"
    row = _wait_status(job.id, {"running"})
    assert row.status == "running" and row.started_at is not None and row.attempts == 1
    assert row.lease_until is not None
    release.set()
    done = wait_for_job(job.id, 10)
    assert done.status == "done" and done.finished_at is not None and done.error == ""
    assert done.progress["step"] == 1 and "updated_at" in done.progress
    assert done.lease_until is None
    assert ran_in and ran_in[0].startswith("Worker-")  # a queue consumer ran it, not the caller


def test_failure_is_recorded_with_the_error_text(app, make_event):
    event = make_event()

    def work(context):
        raise RuntimeError("the solver fell over")

    done = wait_for_job(start_test_job(event, work).id, 10)
    assert done.status == "failed"
    assert "the solver fell over" in done.error
    status = job_status_dict(done)
    assert status["finished"] is True and status["status"] == "failed"


def test_cancel_request_reaches_the_work_and_keeps_its_result(app, make_event):
    event = make_event()
    seen = threading.Event()
    running = threading.Event()

    def work(context):
        running.set()
        assert context.cancel_event.wait(5), "cancel never arrived"
        seen.set()
        return None

    job = start_test_job(event, work)
    assert running.wait(10)
    request_cancel(db.session.get(Job, job.id))
    done = wait_for_job(job.id, 10)
    assert seen.is_set()
    assert done.status == "cancelled" and done.cancel_requested


def test_a_queued_job_cancelled_before_any_worker_takes_it_ends_at_once(app, make_event):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False  # no worker running
    event = make_event()
    ran = threading.Event()
    job = start_test_job(event, lambda context: ran.set())
    assert queue_of(app).pending_count() == 1
    request_cancel(job)
    assert job.status == "cancelled" and job.finished_at is not None
    # A worker that starts later takes the task off the queue and leaves the job alone.
    app.config["QUEUE_IN_PROCESS_WORKER"] = True
    again = start_test_job(make_event(), lambda context: None)
    assert wait_for_job(again.id, 10).status == "done"
    assert not ran.is_set()
    assert db.session.get(Job, job.id).status == "cancelled"


def test_only_one_active_job_per_event(app, make_event):
    event = make_event()
    other = make_event()
    release = threading.Event()
    first = start_test_job(event, lambda ctx: release.wait(5) and None)
    try:
        with pytest.raises(JobBusy) as busy:
            start_test_job(event, lambda ctx: None)
        assert busy.value.job.id == first.id
        second = start_test_job(other, lambda ctx: None)  # other events are independent
        assert wait_for_job(second.id, 10).status == "done"
    finally:
        release.set()
        wait_for_job(first.id, 10)
    again = start_test_job(event, lambda ctx: None)
    assert wait_for_job(again.id, 10).status == "done"


class _Unregistered(StrEnum):
    NOBODY = "no-such-kind"


def test_a_kind_nobody_registered_is_refused(app, make_event):
    with pytest.raises(ValueError, match="no job handler"):
        start_job(make_event(), _Unregistered.NOBODY)
    assert db.session.query(Job).count() == 0


def test_a_kind_is_a_feature_enum_member_and_one_feature_owns_each_text(app, make_event):
    with pytest.raises(TypeError):
        job_handler("plan")  # type: ignore[arg-type]

    class Other(StrEnum):
        PLAN = "plan"

    with pytest.raises(ValueError, match="PlanningJob"):
        job_handler(Other.PLAN)
    assert db.session.query(Job).count() == 0


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

    done = wait_for_job(start_test_job(event, work).id, 10)
    assert done.status == "done", done.error


# --------------------------------------------------------------------------- lost workers


def _orphan(event_id: int, *, attempts: int, lease_age: float | None, started_age: float = 60) -> Job:
    """A job row as a worker killed mid-run leaves it: running, its lease lapsed (or, for a
    row from before leases, none at all)."""
    now = utcnow()
    job = Job(event_id=event_id, kind="test", status="running", params={"call": "gone"},
              attempts=attempts, owner="dead-worker", started_at=now - dt.timedelta(seconds=started_age),
              lease_until=None if lease_age is None else now - dt.timedelta(seconds=lease_age))
    db.session.add(job)
    db.session.commit()
    return job


@pytest.mark.parametrize("attempts, lease_age, expected", [
    (1, 1, "queued"),             # first attempt lost: tried again
    (1, 300, "queued"),
    (1, None, "queued"),          # a row from before leases, started a minute ago
    (MAX_ATTEMPTS, 1, "failed"),  # second attempt lost: failed, with a reason
    (MAX_ATTEMPTS, None, "failed"),
])
def test_a_job_whose_worker_died_is_retried_once_then_failed(app, make_event, attempts, lease_age, expected):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False  # look at the rule, not at a retry's run
    job = _orphan(make_event().id, attempts=attempts, lease_age=lease_age)
    assert recover_interrupted_jobs() == 1
    db.session.expire_all()
    row = db.session.get(Job, job.id)
    assert row.status == expected
    if expected == "queued":
        assert row.owner is None and queue_of(app).pending_count() == 1
    else:
        assert row.error == LOST and row.finished_at is not None
        assert queue_of(app).pending_count() == 0
    assert recover_interrupted_jobs() == 0  # applied once


def test_live_jobs_are_left_alone(app, make_event):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False
    now = utcnow()
    fresh = Job(event_id=make_event().id, kind="test", status="running", attempts=1, owner="alive",
                started_at=now - dt.timedelta(hours=1), lease_until=now + dt.timedelta(seconds=LEASE_SECONDS))
    just_started = Job(event_id=make_event().id, kind="test", status="running", attempts=1, owner="new",
                       started_at=now)
    queued = Job(event_id=make_event().id, kind="test", status="queued")
    db.session.add_all([fresh, just_started, queued])
    db.session.commit()
    assert recover_interrupted_jobs() == 0
    db.session.expire_all()
    assert [db.session.get(Job, j.id).status for j in (fresh, just_started, queued)] == ["running"] * 2 + ["queued"]


def test_a_retried_job_runs_again_on_a_worker(app, make_event):
    event = make_event()
    job = _orphan(event.id, attempts=1, lease_age=1)
    from tests.support import jobs as test_jobs

    test_jobs._calls["gone"] = lambda context: None  # the retry finds its work again
    recover_interrupted_jobs()
    done = wait_for_job(job.id, 10)
    assert done.status == "done" and done.attempts == 2


def test_the_job_page_never_shows_running_for_a_job_nobody_runs(app, make_event, organiser):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False
    event = make_event()
    job = _orphan(event.id, attempts=MAX_ATTEMPTS, lease_age=1)
    status = organiser.get(f"/console/{event.slug}/jobs/{job.id}.json").get_json()
    assert status["status"] == "failed" and status["finished"] is True
    assert "stopped unexpectedly" in status["error"]


def _run_ends(app):
    """A hook on the queue's worker: the returned ``wait(job_id, timeout)`` blocks until the
    worker has finished its run of that job (every write of the run done) and gives the run's
    (return value, exception), or None if it did not end in time. Observing the end itself
    means a check that the run wrote nothing cannot pass by looking too early."""
    huey = queue_of(app)
    ends: dict[str, tuple[object, BaseException | None]] = {}
    ended = threading.Condition()
    name = f"test-run-ends-{id(ends)}"

    def record(task, value, exception):
        if task.args:
            with ended:
                ends[task.args[0]] = (value, exception)
                ended.notify_all()

    huey.post_execute(name)(record)

    def wait(job_id: str, timeout: float):
        with ended:
            ended.wait_for(lambda: job_id in ends, timeout)
        huey.unregister_post_execute(name)
        return ends.get(job_id)

    return wait


def test_a_run_whose_job_was_handed_to_another_worker_stops_and_writes_nothing(app, make_event):
    event = make_event()
    running = threading.Event()
    stopped = threading.Event()

    def work(context):
        running.set()
        if context.cancel_event.wait(10):
            stopped.set()
        return None

    ended = _run_ends(app)
    job = start_test_job(event, work)
    assert running.wait(10)
    # As if its lease had lapsed and another worker had claimed the job meanwhile.
    db.session.execute(update(Job).where(Job.id == job.id).values(owner="another-worker"))
    db.session.commit()
    assert stopped.wait(10), "the run did not notice it lost the job"
    outcome = ended(job.id, 10)
    assert outcome is not None, "the worker's run of the job never ended"
    assert outcome == (None, None), "the run claimed an outcome for a job it no longer holds"
    db.session.expire_all()
    row = db.session.get(Job, job.id)
    assert row.status == "running" and row.owner == "another-worker"


# --------------------------------------------------------------------------- configuration


def test_a_queue_that_cannot_be_reached_fails_the_job_with_a_clear_message(tmp_path, make_event, app):
    event = make_event()
    broken = create_app({**app.config, "QUEUE_URL": f"redis://127.0.0.1:{free_port()}/0",
                         "QUEUE_IN_PROCESS_WORKER": False})
    with broken.app_context():
        job = start_test_job(db.session.merge(event), lambda context: None)
        row = db.session.get(Job, job.id)
        assert row.status == "failed" and "job queue could not be reached" in row.error
        db.session.remove()


def test_the_queue_carries_the_tasks_the_features_registered(app):
    """The queue knows no feature: the runner and mail register their tasks on it, and each
    app's queue has them (jobs, mail on commit, mail retries and the sweep that seats waiting
    arrivals in every worker each minute, and the quarter-hourly purge of unconfirmed
    registrations)."""
    huey = queue_of(app)
    assert {"run_job", "deliver_mail"} <= set(huey.speednet_tasks)
    for minute in (0, 17, 59):
        due = huey.read_periodic(dt.datetime(2026, 6, 1, 9, minute))
        expired_registrations = ["purge_pending_registrations"] if minute % 15 == 0 else []
        assert sorted(task.name for task in due) == sorted(
            ["deliver_mail_due", "seat_waiting_arrivals", *expired_registrations])


def test_a_task_nobody_registered_is_refused_by_name(app):
    with pytest.raises(ValueError, match="'send_fax'"):
        enqueue_task(app, "send_fax")


@pytest.mark.parametrize("env, words", [
    ({"SPEEDNET_QUEUE_URL": "amqp://rabbit"}, "SPEEDNET_QUEUE_URL"),
    ({"SPEEDNET_QUEUE_URL": "sqlite:///"}, "SPEEDNET_QUEUE_URL"),
    ({"SPEEDNET_WORKER_THREADS": "0"}, "SPEEDNET_WORKER_THREADS"),
    ({"SPEEDNET_WORKER_THREADS": "many"}, "SPEEDNET_WORKER_THREADS"),
    ({"SPEEDNET_WORKER_THREADS": "65"}, "SPEEDNET_WORKER_THREADS"),
])
def test_bad_queue_settings_name_the_variable(env, words):
    with pytest.raises(ValueError, match=words):
        queue_config(env)
        queue_settings(env.get("SPEEDNET_QUEUE_URL"), "/tmp")


def test_queue_settings_pick_the_storage(tmp_path):
    assert queue_config({}) == {"QUEUE_URL": None, "QUEUE_WORKER_THREADS": 2}
    kind, options = queue_settings(None, str(tmp_path))
    assert kind == "sqlite" and options["filename"] == str(tmp_path / "queue.db")
    assert queue_settings("redis://cache:6380/2", str(tmp_path))[0] == "redis"
    assert queue_settings("sqlite:////var/lib/speednet/queue.db", str(tmp_path)) == (
        "sqlite", {"filename": "/var/lib/speednet/queue.db"})


CANCEL_REACHES_SOLVER_WITHIN = 2.0


@pytest.mark.parametrize("phase", ["queued-then-running", "running"])
def test_cancel_reaches_the_solver_within_two_seconds_and_keeps_its_schedule(app, make_event, make_attendee,
                                                                             monkeypatch, phase):
    """The organiser's cancel sets the solver's cancel signal within 2 s (a bounded wait on the
    signal itself), and the plan it was making is kept as the job's result."""
    import web.schedules.revisions as planning
    from web.schedules.models import ScheduleVersion
    from web.schedules.planning import start_schedule_job

    event = make_event(rounds=3)
    for i in range(6):
        make_attendee(event, company=f"Firm {i}")
    in_solver = threading.Event()
    reached: list[bool] = []
    real_plan = planning.plan

    def watched_plan(request, progress=None, cancel=None):
        in_solver.set()
        reached.append(gate.wait(10) and cancel.wait(CANCEL_REACHES_SOLVER_WITHIN))
        return real_plan(request, progress, cancel)

    gate = threading.Event()
    monkeypatch.setattr(planning, "plan", watched_plan)
    job = start_schedule_job(event, time_limit=5)
    if phase == "running":
        assert in_solver.wait(10)
    request_cancel(db.session.get(Job, job.id))
    gate.set()
    done = wait_for_job(job.id, 30)
    if phase == "running":
        assert reached == [True], "the cancel did not reach the solver in time"
        assert done.status == "cancelled" and done.result["version_id"] is not None
        version = db.session.get(ScheduleVersion, done.result["version_id"])
        assert version.report["status"] == "CANCELLED"
    else:  # cancelled before a worker took it, or as it did: it ends cancelled either way
        assert done.status == "cancelled"


# --------------------------------------------------------------------------- the job API


@pytest.fixture
def api(client, organiser_user):
    """Call the API with an organiser's bearer token."""
    from web.auth.services import create_api_token

    headers = {"Authorization": f"Bearer {create_api_token(organiser_user, 'tests')}"}

    def call(method, url, **kwargs):
        return client.open(url, method=method, headers=headers, **kwargs)
    return call


@pytest.mark.parametrize("attempts, expected", [(1, "queued"), (MAX_ATTEMPTS, "failed")])
def test_the_api_never_says_running_for_a_job_nobody_runs(app, make_event, api, attempts, expected):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False
    job = _orphan(make_event().id, attempts=attempts, lease_age=1)
    answer = api("GET", f"/api/v1/jobs/{job.id}")
    assert answer.status_code == 200
    assert answer.json["status"] == expected
    if expected == "failed":
        assert answer.json["finished"] is True and "stopped unexpectedly" in answer.json["error"]


def test_the_api_cancels_a_queued_job_at_once_and_refuses_a_finished_one(app, make_event, api):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False
    job = start_test_job(make_event(), lambda context: None)
    answer = api("POST", f"/api/v1/jobs/{job.id}/cancel")
    assert answer.status_code == 202, answer.json
    assert answer.json["status"] == "cancelled" and answer.json["finished"] is True
    assert answer.json["cancel_requested"] is True
    assert answer.headers["Location"] == f"/api/v1/jobs/{job.id}"
    again = api("POST", f"/api/v1/jobs/{job.id}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json["message"]
    assert api("POST", "/api/v1/jobs/no-such-job/cancel").status_code == 404


def test_the_api_cancel_stops_a_running_job_which_keeps_its_result(app, make_event, api):
    running = threading.Event()

    def work(context):
        running.set()
        assert context.cancel_event.wait(10), "cancel never arrived"
        return None

    job = start_test_job(make_event(), work)
    assert running.wait(10)
    answer = api("POST", f"/api/v1/jobs/{job.id}/cancel")
    assert answer.status_code == 202
    assert answer.json["cancel_requested"] is True and answer.json["finished"] is False
    assert wait_for_job(job.id, 10).status == "cancelled"
    assert api("GET", f"/api/v1/jobs/{job.id}").json["status"] == "cancelled"


def test_the_api_cancel_of_a_job_whose_worker_died_says_it_has_finished(app, make_event, api):
    app.config["QUEUE_IN_PROCESS_WORKER"] = False
    job = _orphan(make_event().id, attempts=MAX_ATTEMPTS, lease_age=1)
    answer = api("POST", f"/api/v1/jobs/{job.id}/cancel")
    assert answer.status_code == 409 and "failed" in answer.json["message"]


def test_only_organisers_cancel_jobs(app, client, make_event, staff):
    from web.auth.services import create_api_token, find_user

    app.config["QUEUE_IN_PROCESS_WORKER"] = False
    job = start_test_job(make_event(), lambda context: None)
    staff_token = create_api_token(find_user("staff@example.com"))
    answer = client.post(f"/api/v1/jobs/{job.id}/cancel", headers={"Authorization": f"Bearer {staff_token}"})
    assert answer.status_code == 404
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "queued"


def test_a_job_keeps_what_its_handler_returned_as_its_result(app, make_event):
    done = wait_for_job(start_test_job(make_event(), lambda ctx: {"answer": 42, "note": "kept"}).id, 10)
    assert done.status == "done" and done.result == {"answer": 42, "note": "kept"}
    assert job_status_dict(done)["result"] == {"answer": 42, "note": "kept"}
