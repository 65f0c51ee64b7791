"""`make run` (``python -m web.devserver``) is one command for the web server and a job worker:
a plan queued while it runs is solved by its worker, and stopping the server stops the worker."""

from __future__ import annotations

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
from web.extensions import db
from web.jobs import wait_for_job
from web.schedules.planning import start_schedule_job

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


def test_make_run_serves_and_solves_and_stops_both(tmp_path):
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
            job = start_schedule_job(seed_planning_event(30, rounds=3), time_limit=5)
            done = wait_for_job(job.id, 120)
            assert done.status == "done", (done.status, (tmp_path / "devserver.log").read_text()[-3000:])
            db.session.remove()
            db.engine.dispose()

        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
        deadline = time.monotonic() + 30
        while _alive(workers[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(workers[0]), "the worker outlived the server"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
