"""The worker process: ``python -m web.jobs.worker`` (what ``make worker`` starts).

It builds the app like the web server does (same environment: ``DATABASE_URL``,
``SPEEDNET_INSTANCE_PATH``, ``SPEEDNET_QUEUE_URL``), then runs a Huey consumer that takes
plans, re-plans and e-mail deliveries off the queue. Run as many as you like, on as many
hosts as share the queue (Redis) and the database.

Stopping: SIGTERM (or SIGINT) cancels the solves that run here; each stores the best
schedule it found, is recorded as interrupted, and the process exits. A second signal exits
at once. SIGKILL leaves the job's lease to lapse; any worker or page that looks at the job
then retries it once or marks it failed (:func:`web.jobs.runner.recover_interrupted_jobs`).
The consumer's main loop also runs that rule every :data:`REAP_SECONDS`.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import time

from flask import Flask
from flask.cli import locate_app
from huey.consumer import Consumer

from web.extensions import db
from web.jobs.queue import consumer_options, queue_of
from web.jobs.runner import begin_shutdown, recover_interrupted_jobs
from web.logs import configure_logging

log = logging.getLogger("speednet.worker")

REAP_SECONDS = 2.0
SHUTDOWN_SECONDS = 30.0
DEFAULT_NICE = 10
# The worker runs the same app as the web server, named the way gunicorn and ``flask --app``
# name it: the job infrastructure knows no feature, the app factory composes them all.
DEFAULT_APP = "web:create_app()"


def load_app(spec: str) -> Flask:
    """The app named by ``spec`` (``module:name`` or ``module:factory()``), built once."""
    module, _, name = spec.partition(":")
    app = locate_app(module, name or None)
    if not isinstance(app, Flask):
        raise SystemExit(f"--app {spec!r} does not name a Flask app")
    return app


class WorkerConsumer(Consumer):
    """Huey's consumer plus speednet's shutdown (cancel first, so solves keep their best
    schedule) and the lost-worker rule in its main loop."""

    def __init__(self, app: Flask, **options) -> None:
        super().__init__(queue_of(app), graceful_signal="TERM",
                         shutdown_timeout=SHUTDOWN_SECONDS, **options)
        self.app = app
        self._next_reap = 0.0

    def _set_signal_handlers(self) -> None:
        super()._set_signal_handlers()
        # SIGINT (Ctrl-C, or `make run` stopping) is graceful too: same as SIGTERM.
        signal.signal(signal.SIGINT, self._handle_signal)
        self._signal_actions[signal.SIGINT] = (False, True)

    def stop(self, graceful: bool = False) -> None:
        stopping = begin_shutdown()
        if stopping:
            log.info("stopping: %d running job(s) cancelled, keeping their best schedules", stopping)
        super().stop(graceful=True)

    def loop(self, health_check_ts=None):
        now = time.monotonic()
        if now >= self._next_reap:
            self._next_reap = now + REAP_SECONDS
            self.reap()
        return super().loop(health_check_ts)

    def reap(self) -> None:
        try:
            with self.app.app_context():
                recover_interrupted_jobs()
                db.session.remove()
        except Exception:  # the database may be restarting; try again next time
            log.warning("could not check for lost jobs", exc_info=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m web.jobs.worker",
                                     description="Run a speednet worker (plans, re-plans, e-mail).")
    parser.add_argument("--threads", type=int, default=None,
                        help="jobs run at once by this process (default QUEUE_WORKER_THREADS, 2)")
    parser.add_argument("--nice", type=int, default=DEFAULT_NICE,
                        help=f"CPU priority below the web server's (0-19, default {DEFAULT_NICE}): on a host "
                             "it shares with the web server, the door answers first and the solver takes the rest")
    parser.add_argument("--app", default=DEFAULT_APP,
                        help=f"the app to serve, as gunicorn and flask --app name it (default {DEFAULT_APP})")
    args = parser.parse_args(argv)
    if args.threads is not None and not 1 <= args.threads <= 64:
        parser.error("--threads must be between 1 and 64")
    if not 0 <= args.nice <= 19:
        parser.error("--nice must be between 0 and 19")
    if args.nice and hasattr(os, "nice"):
        os.nice(args.nice)
    configure_logging()  # SPEEDNET_LOG_FORMAT / SPEEDNET_LOG_LEVEL
    app = load_app(args.app)
    consumer = WorkerConsumer(app, **consumer_options(app, args.threads))
    log.info("speednet worker: %s queue, %d thread(s)", app.config.get("QUEUE_URL") or "embedded SQLite",
             consumer.workers)
    consumer.run()


if __name__ == "__main__":
    main()
