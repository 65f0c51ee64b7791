"""Development server: ``python -m web.devserver`` (what ``make run`` starts).

Creates the app (which upgrades the database), makes sure an organiser account and the demo
event exist, starts one job worker (``python -m web.jobs.worker``) as a child process on the
same instance folder and queue, prints where to sign in, and serves on 127.0.0.1:$PORT
(default 5000). Stopping the server (Ctrl-C, SIGTERM) stops the worker too, which first lets
a running plan store its best schedule. For production use gunicorn plus ``make worker``
processes (README, "Running the web app in production").
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from web import create_app
from web.auth.services import ensure_admin
from web.demo import sample_attendee_tokens, seed_demo
from web.logs import configure_logging

WORKER_STOP_SECONDS = 40.0  # the worker's own shutdown allows a solve 30 s to store its best


@contextmanager
def job_worker(app: Flask) -> Iterator[subprocess.Popen]:
    """Run one job worker beside the dev server, on the app's instance folder and queue."""
    env = {**os.environ, "SPEEDNET_INSTANCE_PATH": app.instance_path}
    worker = subprocess.Popen([sys.executable, "-m", "web.jobs.worker"], env=env)
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def _exit_on_sigterm(signum: int, frame: object) -> None:  # noqa: ARG001
    raise SystemExit(0)  # unwinds through job_worker(), which stops the worker


def main() -> None:
    port = int(os.environ.get("PORT", "5000"))
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    configure_logging()
    app = create_app()
    with app.app_context():
        admin = ensure_admin()
    demo = seed_demo(app)
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
    with job_worker(app) as worker:
        print(f"  Job worker: process {worker.pid} (plans, re-plans, e-mail)")
        print()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop the worker too, quietly
            app.run(host="127.0.0.1", port=port, debug=os.environ.get("FLASK_DEBUG") == "1",
                    use_reloader=False)


if __name__ == "__main__":
    main()
