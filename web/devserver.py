"""Development server: ``python -m web.devserver`` (what ``make run`` starts).

Creates the app (which upgrades the database), makes sure an organiser account and the demo
event exist, starts one job worker (``python -m web.jobs.worker``) as a child process on the
same instance folder and queue (started again, after a growing pause, whenever it dies), prints
where to sign in, and serves on 127.0.0.1:$PORT (default 5000). Stopping the server (Ctrl-C,
SIGTERM) stops the worker too, which first lets a running plan store its best schedule. For production use gunicorn plus ``make worker``
processes (README, "Running the web app in production").
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from web import create_app
from web.auth.services import ensure_admin
from web.demo import sample_attendee_tokens, seed_demo
from web.logs import configure_logging

WORKER_STOP_SECONDS = 40.0  # the worker's own shutdown allows a solve 30 s to store its best
RESTART_FIRST_DELAY = 1.0   # seconds before the first restart of a worker that died
RESTART_MAX_DELAY = 30.0    # the delay doubles while the worker keeps dying, up to this
STEADY_SECONDS = 60.0       # a worker that ran this long before dying restarts after the first delay again

log = logging.getLogger("speednet.devserver")


class WorkerSupervisor:
    """Runs one job worker as a child process and starts it again whenever it dies.

    Without it, a worker killed by the OOM killer or a crash left ``make run`` serving pages
    whose jobs nobody runs: queued jobs waited forever, a running one was failed by the
    lost-worker rule. Each death is logged with its exit status; restarts wait
    :data:`RESTART_FIRST_DELAY` seconds, doubling up to :data:`RESTART_MAX_DELAY` while the
    worker keeps dying within :data:`STEADY_SECONDS`, so a worker that cannot start (a broken
    setting) does not spin. :meth:`stop` ends the watching first, then the worker (SIGTERM,
    which lets a running plan store its best schedule), so a stop is never mistaken for a death.
    """

    def __init__(self, command: list[str], env: dict[str, str], *,
                 first_delay: float = RESTART_FIRST_DELAY, max_delay: float = RESTART_MAX_DELAY,
                 steady_seconds: float = STEADY_SECONDS) -> None:
        self.command, self.env = command, env
        self.first_delay, self.max_delay, self.steady_seconds = first_delay, max_delay, steady_seconds
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._watcher: threading.Thread | None = None

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The worker process now (a new one after each restart)."""
        with self._lock:
            return self._process

    def start(self) -> subprocess.Popen[bytes]:
        """Start the worker and the thread that watches it."""
        with self._lock:
            process = self._spawn()
        self._watcher = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._watcher.start()
        return process

    def _spawn(self) -> subprocess.Popen[bytes]:
        """A worker in a process group of its own: a Ctrl-C in the terminal reaches the dev
        server alone, which then stops the worker itself (:meth:`stop`), so the watcher never
        sees the worker end before it knows a stop is under way. Called holding the lock."""
        self._process = subprocess.Popen(self.command, env=self.env, process_group=0)
        return self._process

    def _watch(self) -> None:
        delay = self.first_delay
        while not self._stopping.is_set():
            process = self.process
            assert process is not None
            started = time.monotonic()
            status = process.wait()
            if self._stopping.is_set():
                return
            if time.monotonic() - started >= self.steady_seconds:
                delay = self.first_delay
            log.warning("job worker (process %d) exited with status %s; starting it again in %.0f s",
                        process.pid, status, delay)
            if self._stopping.wait(delay):
                return
            with self._lock:  # stop() either sees the new process or it is never started
                if self._stopping.is_set():
                    return
                process = self._spawn()
                self.restarts += 1
            log.warning("job worker restarted: process %d (restart %d)", process.pid, self.restarts)
            delay = min(delay * 2, self.max_delay)

    def stop(self, timeout: float = WORKER_STOP_SECONDS) -> None:
        """Stop watching, then stop the worker (SIGTERM; SIGKILL after ``timeout`` seconds)."""
        with self._lock:
            self._stopping.set()
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):  # too slow, or a second Ctrl-C
                process.kill()
                process.wait()
        if self._watcher is not None:
            self._watcher.join(5)


@contextmanager
def job_worker(app: Flask) -> Iterator[WorkerSupervisor]:
    """Run one job worker beside the dev server, on the app's instance folder and queue,
    restarted whenever it dies (:class:`WorkerSupervisor`); stopped when the block ends."""
    env = {**os.environ, "SPEEDNET_INSTANCE_PATH": app.instance_path}
    supervisor = WorkerSupervisor([sys.executable, "-m", "web.jobs.worker"], env)
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()


def _exit_on_sigterm(signum: int, frame: object) -> None:  # noqa: ARG001
    raise SystemExit(0)  # unwinds through job_worker(), which stops the worker


def main() -> None:
    port = int(os.environ.get("PORT", "5000"))
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    configure_logging()
    app = create_app()
    with app.app_context():
        admin = ensure_admin()
    demo = seed_demo(app, organisers=[admin.email])
    base = f"http://127.0.0.1:{port}"
    print("\n  speednet is running")
    print(f"  Organiser sign-in: {base}/login")
    if admin.password:
        print(f"    email:    {admin.email}")
        print(f"    password: {admin.password}   (shown once; set ADMIN_EMAIL/ADMIN_PASSWORD to choose)")
    elif admin.created:
        print(f"    email:    {admin.email}   (password from ADMIN_PASSWORD)")
    else:
        print(f"    email:    {admin.email}   (existing account; password unchanged: "
              f".venv/bin/flask --app web set-password {admin.email} sets a new one)")
    print(f"  Demo event: {base}/console/{demo.event_slug}/  ({demo.attendees} attendees)")
    for note in demo.notes:
        print(f"  Note: {note}")
    for name, token in sample_attendee_tokens(app):
        print(f"  Attendee page for {name}: {base}/me/{token}")
    # Planning the demo in this process ran CP-SAT, which handles SIGINT during a solve and
    # leaves it at the default action (die at once) afterwards: restore Python's handler so
    # Ctrl-C unwinds through job_worker() and stops the worker too.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with job_worker(app) as worker:
        process = worker.process
        assert process is not None
        print(f"  Job worker: process {process.pid} (plans, re-plans, e-mail; restarted if it dies)")
        print()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop the worker too, quietly
            app.run(host="127.0.0.1", port=port, debug=os.environ.get("FLASK_DEBUG") == "1",
                    use_reloader=False)


if __name__ == "__main__":
    main()
