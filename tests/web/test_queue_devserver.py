"""`make run` (``python -m web.devserver``) is one command for the web server and a job worker:
a plan queued while it runs is solved by its worker, a worker that dies is started again, and
stopping the server stops the worker."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.reliability.server import free_port
from tests.support.jobs import ROOT, seed_planning_event
from web import create_app
from web.devserver import WorkerSupervisor
from web.extensions import db
from web.jobs import wait_for_job
from web.schedules.planning import start_schedule_job


def _children(pid: int) -> list[int]:
    """Child processes of ``pid``, whichever of its threads started them (a restarted worker
    is the supervisor thread's child)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.extend(int(p) for p in (task / "children").read_text().split())
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def _wait_for(condition, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_the_supervisor_starts_a_dead_worker_again_and_logs_it(caplog):
    supervisor = WorkerSupervisor(SLEEPER, dict(os.environ), first_delay=0.1, max_delay=0.4)
    first = supervisor.start()
    try:
        for restarts in (1, 2):
            dead = supervisor.process
            dead.kill()
            assert _wait_for(lambda dead=dead: supervisor.process is not dead and supervisor.process.poll() is None)
            assert supervisor.restarts == restarts
        assert first.poll() is not None and supervisor.process.pid != first.pid
        assert "exited with status -9" in caplog.text and "job worker restarted" in caplog.text
    finally:
        supervisor.stop(timeout=5)
    last = supervisor.process
    assert last.poll() is not None, "stop() left the worker running"
    assert supervisor.restarts == 2  # a stop is not a death: nothing started after it


def test_stopping_while_a_restart_waits_starts_nothing():
    supervisor = WorkerSupervisor(SLEEPER, dict(os.environ), first_delay=30)
    first = supervisor.start()
    first.kill()
    first.wait(10)
    supervisor.stop(timeout=5)
    assert supervisor.process is first and supervisor.restarts == 0


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_make_run_serves_and_solves_and_stops_both(tmp_path, stop):
    instance = tmp_path / "instance"
    port = free_port()
    env = {**os.environ, "SPEEDNET_INSTANCE_PATH": str(instance), "PORT": str(port),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}", "SECRET_KEY": "dev-test",
           "ADMIN_EMAIL": "admin@example.com", "ADMIN_PASSWORD": "a long dev password"}
    env.pop("SPEEDNET_QUEUE_URL", None)
    log = open(tmp_path / "devserver.log", "wb")  # noqa: SIM115 (the server writes it until the end)
    server = subprocess.Popen([sys.executable, "-m", "web.devserver"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail((tmp_path / "devserver.log").read_text())
        workers = _children(server.pid)
        assert len(workers) == 1, "make run should start exactly one job worker"

        app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
                          "SECRET_KEY": "dev-test", "QUEUE_IN_PROCESS_WORKER": False})
        with app.app_context():
            event = seed_planning_event(30, rounds=3)
            job = start_schedule_job(event, time_limit=5)
            done = wait_for_job(job.id, 120)
            assert done.status == "done", (done.status, (tmp_path / "devserver.log").read_text()[-3000:])

            # The worker dies (OOM killer, crash): make run starts another, which takes the next job.
            os.kill(workers[0], signal.SIGKILL)
            assert _wait_for(lambda: _children(server.pid) not in ([], workers), 60), \
                (tmp_path / "devserver.log").read_text()[-3000:]
            replacements = _children(server.pid)
            assert len(replacements) == 1 and replacements != workers
            job = start_schedule_job(event, time_limit=2)
            done = wait_for_job(job.id, 120)
            assert done.status == "done", (done.status, (tmp_path / "devserver.log").read_text()[-3000:])
            assert "job worker restarted" in (tmp_path / "devserver.log").read_text()
            db.session.remove()
            db.engine.dispose()

        server.send_signal(stop)  # Ctrl-C: the terminal signals the server; its worker has a group of its own
        assert server.wait(60) == 0
        for worker in replacements:
            assert _wait_for(lambda worker=worker: not _alive(worker), 30), "the worker outlived the server"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
