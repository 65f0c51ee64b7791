"""Outbox and SMTP delivery.

A feature calls :func:`enqueue` inside its own transaction; the message is a row in
``outbox_messages`` from then on, so a crash, a refused connection or a missing SMTP server
loses nothing. :func:`deliver_due` sends what is due. It is the only function that talks to
SMTP; the job queue's delivery task in a worker process calls it (web.mail.delivery).

Sent once: a process claims a message with ``UPDATE ... SET state='sending' WHERE id=? AND
state='queued'`` and sends only when that changed one row, so two processes (or threads)
never send the same message. A message left in 'sending' by a process that died becomes due
again after :data:`SENDING_TIMEOUT`; its Message-ID stays the same, so a mail client that
got it already shows it once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, getaddresses, parseaddr
from typing import Any

from flask import current_app, render_template
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from scheduler.addresses import AddressError, MailAddress, parse_address, single_line
from web.database import changed_rows, insert_or_skip
from web.extensions import db
from web.mail.models import KINDS, MailState, OutboxMessage
from web.types import utcnow
from web.urls import public_url_anywhere

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_BASE = dt.timedelta(seconds=30)     # 30 s, 1 min, 2 min, 4 min, 8 min between attempts
RETRY_CAP = dt.timedelta(hours=1)
SENDING_TIMEOUT = dt.timedelta(minutes=5)  # a claim older than this belongs to a dead process
NO_SERVER = "not sent: no SMTP server configured"
SECURITY_MODES = ("starttls", "ssl", "none")
MAX_SUBJECT = 300
MAX_BODY = 100_000


class MailError(ValueError):
    """A message cannot be queued; the message names the field."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send, from the app config (see ``web.config.config_from_env``)."""

    host: str
    port: int
    username: str
    password: str
    security: str
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: Any) -> SmtpSettings | None:
        """None when ``SMTP_HOST`` is unset: messages are then held in the outbox."""
        host = (config.get("SMTP_HOST") or "").strip()
        if not host:
            return None
        return cls(host=host, port=int(config.get("SMTP_PORT") or 587),
                   username=config.get("SMTP_USERNAME") or "",
                   password=config.get("SMTP_PASSWORD") or "",
                   security=config.get("SMTP_SECURITY") or "starttls",
                   sender=config.get("MAIL_FROM") or "",
                   timeout=float(config.get("SMTP_TIMEOUT") or 10))


def smtp_settings() -> SmtpSettings | None:
    return SmtpSettings.from_config(current_app.config)


# --------------------------------------------------------------------------- queueing


def enqueue(*, to: str, subject: str, body: str, kind: str, dedupe_key: str,
            event_id: int | None = None, attendee_id: int | None = None) -> bool:
    """Add one message to the outbox in the caller's transaction (the caller commits).

    Returns False when a message with ``dedupe_key`` exists already (nothing is added), so
    callers can ask again safely. Without an SMTP server the row is stored as 'held'. A
    delivery task goes on the job queue as soon as the transaction commits.
    """
    try:
        to = str(parse_address(to or ""))
    except AddressError as exc:
        raise MailError(f"to: {single_line(to)[:80]!r} is not one plain e-mail address ({exc})") from exc
    if kind not in KINDS:
        raise MailError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if not dedupe_key or len(dedupe_key) > 200:
        raise MailError("dedupe_key: required, at most 200 characters")
    subject = header_text(subject)  # no header injection through line breaks or encoded words
    if not subject or len(subject) > MAX_SUBJECT:
        raise MailError(f"subject: required, at most {MAX_SUBJECT} characters")
    if len(body) > MAX_BODY:
        raise MailError(f"body: at most {MAX_BODY} characters")
    held = smtp_settings() is None
    now = utcnow()
    values = dict(event_id=event_id, attendee_id=attendee_id, to_address=to, subject=subject,
                  body=body, kind=kind, dedupe_key=dedupe_key,
                  state=MailState.HELD if held else MailState.QUEUED, attempts=0,
                  last_error=NO_SERVER if held else None, next_attempt_at=None if held else now,
                  created_at=now)
    session = db.session
    table: Any = OutboxMessage.__table__
    added = insert_or_skip(session.connection(), table, values, ("dedupe_key",)) is not None
    if added and not held:
        session.info["mail_wake"] = True
    return added


def already_queued(dedupe_key: str) -> bool:
    return db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == dedupe_key)) is not None


def render_mail(template: str, **context: Any) -> str:
    """A plain-text body from ``web/mail/templates/mail/<template>`` (autoescape is off for
    .txt templates, so names print as typed)."""
    return render_template(f"mail/{template}", **context).strip() + "\n"


def personal_page_url(token: str) -> str | None:
    """The attendee's /me link (:func:`web.urls.public_url_anywhere`): None outside a request
    without ``SPEEDNET_PUBLIC_URL`` (a publish from a background job), where the address
    attendees use is unknown."""
    return public_url_anywhere("public.me", token=token)


# --------------------------------------------------------------------------- delivery


@dataclass
class DeliveryReport:
    """What one :func:`deliver_due` call did (message counts)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0


class _Transient(Exception):
    """The message could not be sent now: retry it later. ``connection_lost``: the server is
    unreachable or hung up (the rest of the batch waits too); otherwise it answered 4xx for
    this message and the next one can go over the same connection."""

    def __init__(self, message: str, *, connection_lost: bool = True) -> None:
        super().__init__(message)
        self.connection_lost = connection_lost


class _Permanent(Exception):
    """The server refused this message for good (5xx for the address or the content)."""


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff after ``attempts`` failed tries, capped at :data:`RETRY_CAP`."""
    return min(RETRY_CAP, RETRY_BASE * (2 ** max(0, attempts - 1)))


def deliver_due(limit: int = 100, *, now: dt.datetime | None = None) -> DeliveryReport:
    """Send up to ``limit`` messages that are due, each at most once; needs an app context.

    One SMTP connection serves the batch. When the server cannot be reached the claimed
    message goes back to the queue with a later ``next_attempt_at`` and the batch stops (the
    others would fail the same way). ``now`` lets tests move the clock.
    """
    now = now or utcnow()
    report = DeliveryReport()
    settings = smtp_settings()
    engine = db.engine
    with Session(engine) as session:
        _release_stale_claims(session, now)
        if settings is None:
            report.held = _hold_queued(session)
            return report
        with session.begin():
            due = list(session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.state == MailState.QUEUED,
                    or_(OutboxMessage.next_attempt_at.is_(None),
                        OutboxMessage.next_attempt_at <= now))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(max(1, int(limit)))))
        connection: smtplib.SMTP | None = None
        try:
            for message_id in due:
                message = _claim(session, message_id, now)
                if message is None:
                    continue  # another process took it
                connection, stop = _deliver_one(session, connection, settings, message, now, report)
                if stop:
                    break
        finally:
            _close(connection)
    return report


def _deliver_one(session: Session, connection: smtplib.SMTP | None, settings: SmtpSettings,
                 message: OutboxMessage, now: dt.datetime, report: DeliveryReport
                 ) -> tuple[smtplib.SMTP | None, bool]:
    """Build and send one claimed message in its own failure boundary: whatever goes wrong
    with it (a message that cannot be written, a refusal, a bug) is recorded on its row, and
    the rest of the batch goes on. Returns the connection to go on with and whether the batch
    must stop (the server is unreachable: the others would fail the same way)."""
    try:
        envelope = build_envelope(message, settings.sender)
    except (MailError, AddressError, ValueError, TypeError) as exc:
        _record_delivery(session, message, MailState.FAILED, f"not sent: {exc}"[:500], now)
        report.failed += 1
        log.warning("outbox message %s cannot be written: %s", message.id, exc)
        return connection, False
    try:
        if connection is None:
            connection = _connect(settings)
        _send(connection, envelope)
    except _Permanent as exc:
        _record_delivery(session, message, MailState.FAILED, str(exc), now)
        report.failed += 1
    except _Transient as exc:
        state = _retry_or_fail(session, message, str(exc), now)
        report.failed += state == MailState.FAILED
        report.retrying += state == MailState.QUEUED
        if exc.connection_lost:
            _close(connection)
            return None, True
    except Exception as exc:  # a bug must not hold the queue: this message fails, alone
        log.exception("outbox message %s failed", message.id)
        _record_delivery(session, message, MailState.FAILED,
                         f"not sent: {type(exc).__name__}: {exc}"[:500], now)
        report.failed += 1
        _close(connection)  # its state after an unknown error is unknown
        return None, False
    else:
        _record_delivery(session, message, MailState.SENT, None, now)
        report.sent += 1
    return connection, False


def _release_stale_claims(session: Session, now: dt.datetime) -> None:
    """Messages claimed by a process that died are due again (their attempt counted), unless
    they have had their :data:`MAX_ATTEMPTS`: then they fail, so a message that kills its
    sender is not tried forever."""
    stale = (OutboxMessage.state == MailState.SENDING,
             OutboxMessage.claimed_at < now - SENDING_TIMEOUT)
    with session.begin():
        session.execute(update(OutboxMessage).where(*stale, OutboxMessage.attempts >= MAX_ATTEMPTS)
                        .values(state=MailState.FAILED, claimed_at=None,
                                last_error=f"gave up after {MAX_ATTEMPTS} attempts: delivery "
                                           "interrupted each time"))
        session.execute(update(OutboxMessage).where(*stale)
                        .values(state=MailState.QUEUED, next_attempt_at=now, claimed_at=None,
                                last_error="delivery interrupted; sending again"))


def _hold_queued(session: Session) -> int:
    """No SMTP server any more: queued messages are held, readable in the console."""
    with session.begin():
        return changed_rows(session.execute(update(OutboxMessage).where(OutboxMessage.state == MailState.QUEUED)
                               .values(state=MailState.HELD, last_error=NO_SERVER)))


def _claim(session: Session, message_id: int, now: dt.datetime) -> OutboxMessage | None:
    """Take one queued message for this process; None when another one was faster."""
    with session.begin():
        taken = changed_rows(session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.state == MailState.QUEUED)
            .values(state=MailState.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)))
    if taken != 1:
        return None
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    session.expunge(message)
    session.rollback()
    return message


def _record_delivery(session: Session, message: OutboxMessage, state: str, error: str | None,
                     now: dt.datetime) -> None:
    """Record a delivery's last word (sent, or failed for good), only while this run still
    holds the message (state ``sending``)."""
    with session.begin():
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id,
                                                    OutboxMessage.state == MailState.SENDING)
                        .values(state=state, last_error=error, claimed_at=None,
                                sent_at=now if state == MailState.SENT else None))


def _retry_or_fail(session: Session, message: OutboxMessage, error: str,
                   now: dt.datetime) -> str:
    if message.attempts >= MAX_ATTEMPTS:
        _record_delivery(session, message, MailState.FAILED, f"gave up after {message.attempts} attempts: {error}",
                now)
        return MailState.FAILED
    with session.begin():
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id,
                                                    OutboxMessage.state == MailState.SENDING)
                        .values(state=MailState.QUEUED, last_error=error, claimed_at=None,
                                next_attempt_at=now + retry_delay(message.attempts)))
    return MailState.QUEUED


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    try:
        if settings.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout,
                context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if settings.username:
            connection.login(settings.username, settings.password)
    except smtplib.SMTPAuthenticationError as exc:
        raise _Transient(f"SMTP sign-in refused ({exc.smtp_code}): check SMTP_USERNAME and "
                         "SMTP_PASSWORD") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise _Transient(f"cannot reach {settings.host}:{settings.port}: {_describe(exc)}") from exc
    return connection


def _send(connection: smtplib.SMTP, envelope: Envelope) -> None:
    """Hand one message to the server. The envelope's recipient is passed explicitly, never
    read from the headers (smtplib would otherwise add any To/Cc/Bcc it finds there)."""
    try:
        refused = connection.send_message(envelope.email, from_addr=envelope.sender,
                                          to_addrs=[envelope.recipient])
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        _raise_for_code(code, text)
    except smtplib.SMTPResponseException as exc:
        _raise_for_code(exc.smtp_code, exc.smtp_error)
    except (OSError, smtplib.SMTPException) as exc:
        raise _Transient(_describe(exc)) from exc
    if refused:
        code, text = next(iter(refused.values()))
        _raise_for_code(code, text)


def _raise_for_code(code: int, text: bytes | str) -> None:
    reply = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    if 400 <= code < 500:
        raise _Transient(f"server said {code} {reply}", connection_lost=code == 421)
    raise _Permanent(f"server refused it: {code} {reply}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.timeout):
        return "timed out"
    return f"{type(exc).__name__}: {exc}"[:500]


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def header_text(text: str | None) -> str:
    """Free text for a header (a subject, a display name): one line without control
    characters (:func:`scheduler.addresses.single_line`), and no RFC 2047 encoded word, which
    the e-mail package would decode back into line breaks and new headers when it writes the
    message (``=?utf-8?q?=0D=0ABcc:...?=``)."""
    return single_line(text).replace("=?", "= ?")


def sender_address(sender: str) -> tuple[str, MailAddress]:
    """``MAIL_FROM`` (``Name <address>`` or a bare address) as (display name, address)."""
    name, address = parseaddr(sender or "")
    return header_text(name), parse_address(address)


@dataclass(frozen=True)
class Envelope:
    """A message as it goes to the server: the headers and body, and the SMTP envelope's
    sender and single recipient (passed to the server as they are, never read from headers)."""

    email: EmailMessage
    sender: str
    recipient: str


def build_envelope(message: OutboxMessage, sender: str) -> Envelope:
    """The message as sent: :func:`build_email` plus its envelope."""
    to = parse_address(message.to_address)
    _display, source = sender_address(sender)
    return Envelope(build_email(message, sender), str(source), str(to))


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The message as sent. Its Message-ID is derived from the outbox row, so a message sent
    again after an interrupted delivery carries the same id and mail clients show it once.

    Addresses are checked again (:func:`scheduler.addresses.parse_address`: one plain
    ``local@domain``) and written as :class:`email.headerregistry.Address` parts, free text
    through :func:`header_text`; the written message is read back and refused (ValueError)
    unless it names exactly that one recipient and no other."""
    to = parse_address(message.to_address)
    display, source = sender_address(sender)
    email = EmailMessage(policy=SMTP)
    email["From"] = Address(display_name=display, username=source.local, domain=source.domain)
    email["To"] = Address(username=to.local, domain=to.domain)
    email["Subject"] = header_text(message.subject)
    email["Date"] = format_datetime(utcnow())
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:16]
    email["Message-ID"] = f"<{message.id}.{digest}@{source.domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    _check_written(email, str(to))
    return email


_RECIPIENT_HEADERS = ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc")


def _check_written(email: EmailMessage, recipient: str) -> None:
    """Read the message back as a server would: one To, naming ``recipient`` only, no other
    recipient header, and no header the builder did not write."""
    written = message_from_bytes(email.as_bytes(), policy=SMTP)
    expected = {"from", "to", "subject", "date", "message-id", "auto-submitted",
                "content-type", "content-transfer-encoding", "mime-version"}
    names = [name.lower() for name in written]
    unexpected = sorted(set(names) - expected)
    if unexpected or len(names) != len(set(names)):
        raise ValueError(f"the written message has unexpected headers: {', '.join(unexpected) or 'repeated'}")
    found = [address for _name, address in
             getaddresses([str(v) for h in _RECIPIENT_HEADERS for v in written.get_all(h, [])])]
    if found != [recipient]:
        raise ValueError("the written message does not name exactly its one recipient")


# --------------------------------------------------------------------------- console


RESENDABLE = (MailState.HELD, MailState.FAILED)


def requeue(event_id: int, now: dt.datetime | None = None) -> int:
    """Queue an event's held and failed messages again (attempts from zero) and commit.

    For the organiser who has just configured SMTP, or fixed what made messages fail. Needs a
    server: without one they would only be held again.
    """
    now = now or utcnow()
    count = changed_rows(db.session.execute(
        update(OutboxMessage).where(OutboxMessage.event_id == event_id,
                                    OutboxMessage.state.in_(RESENDABLE))
        .values(state=MailState.QUEUED, attempts=0, last_error=None, next_attempt_at=now,
                claimed_at=None)
        .execution_options(synchronize_session=False)))
    if count:
        db.session.info["mail_wake"] = True
    db.session.commit()
    return count



def _event_messages_query(event_id: int, state: str | None) -> Select[OutboxMessage]:
    """An event's messages (in ``state`` if given), newest first; the id breaks ties so pages
    never repeat or skip a message queued in the same instant."""
    query = select(OutboxMessage).where(OutboxMessage.event_id == event_id)
    if state:
        query = query.where(OutboxMessage.state == state)
    return query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())


def event_messages(event_id: int, *, state: str | None = None, limit: int = 200
                   ) -> list[OutboxMessage]:
    """An event's newest ``limit`` messages, newest first."""
    return list(db.session.scalars(_event_messages_query(event_id, state).limit(limit)))


@dataclass(frozen=True)
class OutboxPage:
    """One page of the outbox: the messages, which of them these are (``first``-``last`` of
    ``total``, 1-based) and where the neighbouring pages are."""

    messages: list[OutboxMessage]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.messages else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.messages)

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def outbox_page(event_id: int, *, state: str | None = None, page: int = 1, per_page: int = 100) -> OutboxPage:
    """Page ``page`` of an event's messages, newest first; a page past the end shows the last
    one (a bookmarked page 3 after messages were purged still shows messages)."""
    per_page = max(1, int(per_page))
    query = _event_messages_query(event_id, state)
    total = int(db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, int(page)), pages)
    rows = list(db.session.scalars(query.offset((page - 1) * per_page).limit(per_page)))
    return OutboxPage(rows, page, per_page, total)


def state_counts(event_id: int) -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.state, func.count()).where(
        OutboxMessage.event_id == event_id).group_by(OutboxMessage.state))
    return {state: count for state, count in rows}
