"""E-mail delivery as a queue task: the web process never talks to SMTP.

A transaction that queued a message puts one "deliver mail" task on the job queue as soon as
it commits (so a registration confirmation leaves within a second), and every worker runs the
same task once a minute for retries (a periodic task). The task only calls
:func:`web.mail.services.deliver_due`, which is safe to run in several processes at once, so
any number of workers may deliver. Both are registered here on :mod:`web.jobs.queue`, which
knows no feature.

``MAIL_DELIVERY_TASK`` false (the default under TESTING) queues nothing on commit; the
tests then call ``deliver_due`` themselves, or turn it on to test the task.
"""

from __future__ import annotations

import logging

from flask import Flask, has_app_context
from huey import crontab
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from web.extensions import db, signal_sender
from web.jobs.queue import enqueue_task, periodic_task, queue_task
from web.mail.services import deliver_due, sender_address

log = logging.getLogger(__name__)

DELIVER_TASK = "deliver_mail"
MAIL_POLL = crontab(minute="*")  # retries of mail that failed: every minute


@queue_task(DELIVER_TASK)
def deliver_mail(app: Flask) -> None:
    """Send what the outbox has due, batch after batch until a batch is not full."""
    with app.app_context():
        while deliver_due().sent:
            pass  # a full batch went out: more may be due


@periodic_task("deliver_mail_due", MAIL_POLL)
def deliver_mail_due(app: Flask) -> None:
    """The once-a-minute run in every worker: retries of mail that failed."""
    deliver_mail(app)


def wake_delivery(app: Flask) -> None:
    """Queue a delivery of what is due (a failure to reach the queue is logged: the outbox
    keeps the message and the periodic task sends it)."""
    if not app.config.get("MAIL_DELIVERY_TASK", not app.testing):
        return
    try:
        enqueue_task(app, DELIVER_TASK)
    except Exception:
        log.warning("could not queue mail delivery; the outbox keeps the message", exc_info=True)


def _after_commit(session: Session) -> None:
    if session.info.pop("mail_wake", False) and has_app_context():
        wake_delivery(signal_sender())


def _after_rollback(session: Session) -> None:
    session.info.pop("mail_wake", None)


class MailSettingsError(RuntimeError):
    """The mail settings cannot work together; raised at start-up, naming the variable."""


def check_mail_settings(app: Flask) -> None:
    """Refuse to start a web or worker process that would send mail with links it cannot
    write safely: with ``SMTP_HOST`` set, ``SPEEDNET_PUBLIC_URL`` must be set too (mailed links
    are never built from a request's Host header, which the client chooses), and ``MAIL_FROM``
    must hold one plain sender address."""
    if not app.config.get("SMTP_HOST"):
        return
    if not app.config.get("PUBLIC_URL"):
        raise MailSettingsError(
            "SPEEDNET_PUBLIC_URL must be set when SMTP_HOST is set: every link in a message "
            "starts with it (e.g. SPEEDNET_PUBLIC_URL=https://networking.example.com)")
    try:
        sender_address(app.config.get("MAIL_FROM") or "")
    except ValueError as exc:
        raise MailSettingsError(f"MAIL_FROM must be one sender address such as "
                                f"'Partner Summit <networking@example.com>': {exc}") from exc


def install(app: Flask) -> None:
    """Check the mail settings (:func:`check_mail_settings`); queue a delivery after each
    commit that queued mail (one listener serves every app)."""
    check_mail_settings(app)
    if not sa_event.contains(db.session, "after_commit", _after_commit):
        sa_event.listen(db.session, "after_commit", _after_commit)
        sa_event.listen(db.session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
