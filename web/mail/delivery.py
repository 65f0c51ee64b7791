"""The delivery thread: one per app per process, sending what the outbox has due.

It wakes right after a transaction that queued a message commits (so a registration
confirmation leaves within a second) and every :data:`POLL_SECONDS` for retries. It only
calls :func:`web.mail.services.deliver_due`, which is safe to run in several processes at
once, so every gunicorn worker may run its own thread. Started on a worker's first request
(not at import or in the CLI, and after gunicorn has forked); tests start it explicitly.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from web.extensions import db

log = logging.getLogger(__name__)

POLL_SECONDS = 30.0
EXTENSION = "mail_delivery"


class DeliveryThread:
    """Runs ``deliver_due`` whenever woken, and at least every ``poll_seconds``."""

    def __init__(self, app: Flask, poll_seconds: float = POLL_SECONDS) -> None:
        self.app = app
        self.poll_seconds = poll_seconds
        self.pid = os.getpid()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="mail-delivery", daemon=True)

    def start(self) -> "DeliveryThread":
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        from web.mail.services import deliver_due

        while not self._stop.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                with self.app.app_context():
                    while deliver_due().sent and not self._stop.is_set():
                        pass  # a full batch went out: more may be due
            except Exception:  # keep the thread alive; the outbox keeps the messages
                log.exception("mail delivery failed; trying again in %s s", self.poll_seconds)


def start_delivery_thread(app: Flask, poll_seconds: float = POLL_SECONDS) -> DeliveryThread:
    """Start (once per process) the app's delivery thread and return it."""
    current = app.extensions.get(EXTENSION)
    if current is not None and current.pid == os.getpid() and current.alive:
        return current
    thread = DeliveryThread(app, poll_seconds).start()
    app.extensions[EXTENSION] = thread
    atexit.register(thread.stop)
    return thread


def stop_delivery_thread(app: Flask) -> None:
    thread = app.extensions.pop(EXTENSION, None)
    if thread is not None:
        thread.stop()


def wake_delivery(app: Flask) -> None:
    thread = app.extensions.get(EXTENSION)
    if thread is not None and thread.pid == os.getpid():
        thread.wake()


def _after_commit(session: Session) -> None:
    if session.info.pop("mail_wake", False) and has_app_context():
        wake_delivery(current_app._get_current_object())  # type: ignore[attr-defined]


def _after_rollback(session: Session) -> None:
    session.info.pop("mail_wake", None)


def install(app: Flask) -> None:
    """Wake the thread after commits that queued mail; start it on the first request unless
    ``MAIL_DELIVERY_THREAD`` is false (the default under TESTING)."""
    if not sa_event.contains(db.session, "after_commit", _after_commit):
        sa_event.listen(db.session, "after_commit", _after_commit)
        sa_event.listen(db.session, "after_soft_rollback", lambda s, _t: _after_rollback(s))

    if not app.config.get("MAIL_DELIVERY_THREAD", not app.testing):
        return

    @app.before_request
    def _ensure_delivery_thread() -> None:
        start_delivery_thread(app)
