"""E-mail through the outbox: a real SMTP server in-process (aiosmtpd), sent exactly once,
retried when the server fails, held without a server, shown to organisers only."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.smtp import SmtpServer, smtp_config
from tests.support.text import missing_facts, plain
from tests.web.conftest import submit
from web.config import config_from_env
from web.extensions import db
from web.jobs.queue import queue_of
from web.mail.models import OutboxMessage
from web.mail.services import (
    MAX_ATTEMPTS,
    SENDING_TIMEOUT,
    MailError,
    deliver_due,
    enqueue,
    retry_delay,
)
from web.types import utcnow


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    return smtp_config(smtp_port)


def queue(n: int, *, event=None, prefix: str = "m", kind: str = "registration") -> None:
    for i in range(n):
        assert enqueue(to=f"person{i}@example.com", subject=f"{prefix} {i}", body=f"Body {i}\n",
                       kind=kind, dedupe_key=f"{prefix}:{i}",
                       event_id=event.id if event else None)
    db.session.commit()


def states() -> dict[str, int]:
    db.session.expire_all()
    result: dict[str, int] = {}
    for message in db.session.scalars(select(OutboxMessage)):
        result[message.state] = result.get(message.state, 0) + 1
    return result


def only_message() -> OutboxMessage:
    db.session.expire_all()
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    return message


# --------------------------------------------------------------------------- sent once


@pytest.mark.parametrize("count", [1, 7, 30])
def test_every_message_is_sent_exactly_once(app, smtp, count):
    queue(count)
    report = deliver_due(limit=100)
    assert report.sent == count
    assert sorted(smtp.inbox.subjects()) == sorted(f"m {i}" for i in range(count))
    assert deliver_due().sent == 0  # nothing is sent twice
    assert len(smtp.inbox.messages) == count
    assert states() == {"sent": count}
    first = smtp.inbox.messages[0]
    assert first["From"] == "Partner Summit <networking@example.com>"
    assert first["Message-ID"].endswith("@example.com>")
    assert smtp.inbox.envelopes[0][0] == "networking@example.com"


def test_limit_bounds_one_run_and_the_rest_follows(app, smtp):
    queue(5)
    assert deliver_due(limit=2).sent == 2
    assert deliver_due(limit=2).sent == 2
    assert deliver_due(limit=2).sent == 1
    assert len(smtp.inbox.messages) == 5


@pytest.mark.parametrize("workers", [2, 4])
def test_racing_deliveries_send_each_message_once(app, smtp, workers):
    queue(40)
    barrier = threading.Barrier(workers)
    reports = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait()
                reports.append(deliver_due(limit=100))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sum(r.sent for r in reports) == 40
    assert sorted(smtp.inbox.subjects()) == sorted(f"m {i}" for i in range(40))
    assert states() == {"sent": 40}


def test_the_same_dedupe_key_is_queued_once(app, smtp):
    assert enqueue(to="ana@example.com", subject="Hello", body="one", kind="registration",
                   dedupe_key="registration:1") is True
    db.session.commit()
    assert enqueue(to="ana@example.com", subject="Hello again", body="two", kind="registration",
                   dedupe_key="registration:1") is False
    db.session.commit()
    deliver_due()
    assert smtp.inbox.subjects() == ["Hello"]


@pytest.mark.parametrize("field, kwargs", [
    ("to", {"to": "not an address"}),
    ("to", {"to": "a@example.com, b@example.com"}),
    ("to", {"to": ""}),
    ("kind", {"kind": "newsletter"}),
    ("dedupe_key", {"dedupe_key": ""}),
    ("subject", {"subject": "  "}),
    ("body", {"body": "x" * 100_001}),
])
def test_bad_messages_are_refused_naming_the_field(app, field, kwargs):
    values = {"to": "ana@example.com", "subject": "Hi", "body": "b", "kind": "registration",
              "dedupe_key": "k", **kwargs}
    with pytest.raises(MailError, match=f"^{field}:"):
        enqueue(**values)


def test_a_subject_cannot_inject_headers(app, smtp):
    enqueue(to="ana@example.com", subject="Hi\r\nBcc: evil@example.com", body="b",
            kind="registration", dedupe_key="k")
    db.session.commit()
    deliver_due()
    (message,) = smtp.inbox.messages
    assert message["Bcc"] is None and smtp.inbox.envelopes[0][1] == ["ana@example.com"]


# --------------------------------------------------------------------------- retries


def test_refused_connection_is_retried_once_the_server_is_up(app, smtp_port):
    queue(3)
    start = utcnow()
    report = deliver_due(now=start)
    assert (report.sent, report.retrying) == (0, 1)  # the batch stops at the first refusal
    first = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    assert first.state == "queued" and first.attempts == 1
    assert "connection refused" in first.last_error
    assert first.next_attempt_at == start + retry_delay(1)

    server = SmtpServer(smtp_port)
    server.start()
    try:
        # Not due yet: the refused message waits for its backoff, the others go now.
        assert deliver_due(now=start + dt.timedelta(seconds=1)).sent == 2
        assert deliver_due(now=start + retry_delay(1)).sent == 1
        assert sorted(server.inbox.subjects()) == ["m 0", "m 1", "m 2"]
        db.session.expire_all()
        first = db.session.get(OutboxMessage, first.id)
        assert first.state == "sent" and first.attempts == 2 and first.last_error is None
    finally:
        server.stop()


def test_a_server_that_stays_down_fails_the_message_after_bounded_attempts(app, smtp_port):
    queue(1)
    now = utcnow()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deliver_due(now=now)
        message = only_message()
        assert message.attempts == attempt
        now = now + retry_delay(attempt)
    assert message.state == "failed"
    assert message.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert deliver_due(now=now + dt.timedelta(days=1)).sent == 0
    assert retry_delay(1) < retry_delay(2) < retry_delay(3)


def test_a_temporary_4xx_is_retried_and_a_5xx_fails_at_once(app, smtp):
    queue(1, prefix="soft")
    smtp.inbox.reply = "451 4.3.0 Mailbox temporarily unavailable"
    now = utcnow()
    assert deliver_due(now=now).retrying == 1
    message = only_message()
    assert message.state == "queued" and "451" in message.last_error
    smtp.inbox.reply = None
    assert deliver_due(now=now + retry_delay(1)).sent == 1

    queue(1, prefix="hard")
    smtp.inbox.reply = "550 5.1.1 No such user"
    report = deliver_due(now=now + retry_delay(1))
    assert report.failed == 1
    hard = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "hard:0"))
    assert hard.state == "failed" and "550" in hard.last_error and hard.attempts == 1
    assert smtp.inbox.subjects() == ["soft 0"]


def test_a_message_stuck_in_sending_is_sent_again_after_the_timeout(app, smtp):
    queue(2)
    stuck = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    stuck.state, stuck.attempts = "sending", 1
    stuck.claimed_at = utcnow() - SENDING_TIMEOUT / 2
    db.session.commit()
    assert deliver_due().sent == 1  # still owned by a live process
    stuck = db.session.get(OutboxMessage, stuck.id)
    stuck.claimed_at = utcnow() - SENDING_TIMEOUT - dt.timedelta(seconds=1)
    db.session.commit()
    assert deliver_due().sent == 1
    assert sorted(smtp.inbox.subjects()) == ["m 0", "m 1"]
    assert states() == {"sent": 2}


def test_a_commit_that_queued_mail_puts_a_delivery_task_on_the_queue(app, smtp):
    """Delivery is a queue task (run here by the tests' in-process worker), queued by the
    commit: the web process itself never talks to SMTP."""
    app.config["MAIL_DELIVERY_TASK"] = True
    before = queue_of(app).pending_count()
    queue(3)
    for _ in range(200):
        if len(smtp.inbox.messages) == 3:
            break
        threading.Event().wait(0.05)
    assert sorted(smtp.inbox.subjects()) == ["m 0", "m 1", "m 2"]
    assert states() == {"sent": 3}
    assert queue_of(app).pending_count() <= before  # the task was taken off the queue


def test_without_the_delivery_task_a_commit_queues_nothing(app, smtp):
    queue(2)
    assert queue_of(app).pending_count() == 0
    assert states() == {"queued": 2} and smtp.inbox.messages == []


def test_cli_delivers(app, smtp):
    queue(2)
    result = app.test_cli_runner().invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output
    assert len(smtp.inbox.messages) == 2


# --------------------------------------------------------------------------- settings


def test_smtp_settings_come_from_the_environment():
    config = config_from_env("/tmp", {"SMTP_HOST": "smtp.example.com", "SMTP_USERNAME": "u",
                                      "SMTP_PASSWORD": "p", "MAIL_FROM": "a@example.com"})
    assert (config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_SECURITY"]) == (
        "smtp.example.com", 587, "starttls")
    assert config_from_env("/tmp", {"SMTP_SECURITY": "ssl"})["SMTP_PORT"] == 465
    assert config_from_env("/tmp", {})["SMTP_HOST"] is None


@pytest.mark.parametrize("env, name", [
    ({"SMTP_HOST": "smtp.example.com"}, "MAIL_FROM"),
    ({"SMTP_PORT": "abc"}, "SMTP_PORT"),
    ({"SMTP_PORT": "70000"}, "SMTP_PORT"),
    ({"SMTP_SECURITY": "tls13"}, "SMTP_SECURITY"),
    ({"SMTP_TIMEOUT": "-1"}, "SMTP_TIMEOUT"),
    ({"SMTP_TIMEOUT": "soon"}, "SMTP_TIMEOUT"),
])
def test_bad_smtp_settings_fail_at_start_naming_the_variable(env, name):
    with pytest.raises(ValueError, match=name):
        config_from_env("/tmp", env)


def test_held_and_failed_messages_can_be_sent_again_once_a_server_is_there(app, smtp, organiser,
                                                                          make_event):
    event, other = make_event(), make_event()
    app.config["SMTP_HOST"] = None
    queue(2, event=event, prefix="held")
    queue(1, event=other, prefix="other")
    app.config["SMTP_HOST"] = "127.0.0.1"
    queue(1, event=event, prefix="bad")
    smtp.inbox.reply = "550 no such user"
    deliver_due()
    smtp.inbox.reply = None
    assert states() == {"held": 3, "failed": 1}
    page = organiser.get(f"/console/{event.slug}/mail/").get_data(as_text=True)
    assert not missing_facts(plain(page), "3 messages", "held or failed")
    response = submit(organiser, f"/console/{event.slug}/mail/resend",
                      form_url=f"/console/{event.slug}/mail/", follow_redirects=True)
    assert "Queued 3 messages again." in response.get_data(as_text=True)
    assert deliver_due().sent == 3
    assert sorted(smtp.inbox.subjects()) == ["bad 0", "held 0", "held 1"]
    assert states() == {"sent": 3, "held": 1}  # the other event's message is untouched


def test_sending_again_needs_a_server(app, organiser, make_event):
    event = make_event()
    app.config["SMTP_HOST"] = None
    queue(1, event=event)
    assert "held or failed" not in organiser.get(f"/console/{event.slug}/mail/").get_data(as_text=True)
    response = submit(organiser, f"/console/{event.slug}/mail/resend",
                      form_url=f"/console/{event.slug}/attendees/")
    assert response.status_code == 409
    assert states() == {"held": 1}


def test_a_4xx_for_one_message_does_not_hold_up_the_others(app, smtp):
    queue(4)
    smtp.inbox.replies["person1@example.com"] = "452 4.2.2 Mailbox full"
    now = utcnow()
    report = deliver_due(now=now)
    assert (report.sent, report.retrying) == (3, 1)
    assert sorted(smtp.inbox.to()) == ["person0@example.com", "person2@example.com",
                                       "person3@example.com"]
    del smtp.inbox.replies["person1@example.com"]
    assert deliver_due(now=now + retry_delay(1)).sent == 1
    assert states() == {"sent": 4}


@pytest.mark.postgres
def test_sent_once_and_queued_once_on_postgresql(tmp_path, smtp, smtp_port):
    """The claim and the dedupe insert rely on the database, so they are checked there too."""
    import os

    from tests.reliability.server import scratch_postgres
    from web import create_app

    with scratch_postgres(os.environ["SPEEDNET_TEST_POSTGRES_URL"]) as url:
        app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                          "SQLALCHEMY_DATABASE_URI": url, "SMTP_HOST": "127.0.0.1",
                          "SMTP_PORT": smtp_port, "SMTP_SECURITY": "none",
                          "MAIL_FROM": "networking@example.com",
                          "PUBLIC_URL": "https://networking.example.com"})
        with app.app_context():
            try:
                queue(30)
                assert enqueue(to="x@example.com", subject="again", body="b", kind="registration",
                               dedupe_key="m:0") is False
                db.session.commit()
                barrier = threading.Barrier(3)
                sent: list[int] = []

                def run() -> None:
                    with app.app_context():
                        barrier.wait()
                        sent.append(deliver_due(limit=100).sent)

                threads = [threading.Thread(target=run) for _ in range(3)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(60)
                assert sum(sent) == 30
                assert sorted(smtp.inbox.subjects()) == sorted(f"m {i}" for i in range(30))
            finally:
                db.session.remove()
                db.engine.dispose()
