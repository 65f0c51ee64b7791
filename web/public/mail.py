"""Messages the public pages send: the registration confirmation, the personal link of a new
registration, and "send me my link again".

Composed here because these pages send them (the links themselves come from
:mod:`web.attendees.links`); queued through the outbox (:func:`web.mail.services.enqueue`),
never sent from the request. Every link in them starts with ``SPEEDNET_PUBLIC_URL``
(:func:`web.urls.mail_url`), never with the request's Host header.

Whoever fills in a public form chooses the address, so these messages carry no text the
visitor typed (no name, no company): only the organiser's event name and the links. Looking
an address up ("send me my link again", "already registered") happens in a queue task
(:data:`LINK_TASK`), so the page answers at once and in the same time for every address.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask
from sqlalchemy import func, select

from web.attendees.links import personal_links
from web.attendees.models import Attendee, attendees_of
from web.events.models import Event
from web.extensions import db
from web.jobs.queue import enqueue_task, queue_task
from web.mail.models import OutboxMessage
from web.mail.services import MailError, enqueue, render_mail
from web.types import utcnow
from web.urls import PublicUrlMissing, mail_url

# At most one recovery message per address and event in any RECOVERY_WINDOW (a sliding
# window: the last message's time counts, so no boundary lets two through back to back).
RECOVERY_WINDOW = dt.timedelta(minutes=10)
LINK_TASK = "public_send_link"

log = logging.getLogger(__name__)


def queue_registration_confirmation(attendee: Attendee) -> bool:
    """Queue the new registration's personal links (once per attendee) and commit.

    The body names no one: the address was typed by whoever filled in the form."""
    if not (attendee.email or "").strip():
        return False
    event = attendee.event
    try:
        body = render_mail("registration.txt", event=event, links=personal_links(attendee, for_mail=True))
        queued = enqueue(to=attendee.email, subject=f"You are registered: {event.name}",
                         body=body, kind="registration", dedupe_key=f"registration:{attendee.id}",
                         event_id=event.id, attendee_id=attendee.id)
    except (MailError, PublicUrlMissing) as exc:
        log.warning("no registration mail for attendee %s: %s", attendee.id, exc)
        db.session.rollback()
        return False
    db.session.commit()
    return queued


def queue_confirmation_request(event: Event, email: str, token: str, pending_id: int,
                               expires: dt.datetime) -> bool:
    """Queue the double opt-in message (the confirmation link) and commit; False when it
    cannot be written (no ``SPEEDNET_PUBLIC_URL``, an address the outbox refuses)."""
    try:
        body = render_mail("confirm_registration.txt", event=event,
                           confirm_url=mail_url("public.confirm_registration_page", slug=event.slug, token=token),
                           hours=max(1, round((expires - utcnow()).total_seconds() / 3600)))
        queued = enqueue(to=email, subject=f"Confirm your registration: {event.name}", body=body,
                         kind="registration", dedupe_key=f"confirm:{pending_id}:{token[:16]}",
                         event_id=event.id)
    except (MailError, PublicUrlMissing) as exc:
        log.warning("no confirmation request for pending registration %s: %s", pending_id, exc)
        db.session.rollback()
        return False
    db.session.commit()
    return queued


def request_link(app: Flask, event: Event, email: str) -> None:
    """Have the personal link(s) of ``email`` for ``event`` mailed, if it is registered: the
    lookup runs in a queue task, so the page that asks answers the same, at once, whatever
    the address."""
    try:
        enqueue_task(app, LINK_TASK, event.id, email.strip())
    except Exception:  # the page's answer stays the same; the person can ask again
        log.warning("could not queue a link request for event %s", event.id, exc_info=True)


@queue_task(LINK_TASK)
def send_link_task(app: Flask, event_id: int, email: str) -> None:
    """The queue task of :func:`request_link`."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        if event is not None:
            queue_link_recovery(event, email)


def queue_link_recovery(event: Event, email: str, now: dt.datetime | None = None) -> bool:
    """Mail the personal link(s) registered under ``email`` for ``event`` and commit.

    Returns whether a message was queued; nobody shows it (the page is the same for known
    and unknown addresses, and it has answered before this runs). One message per address
    in any :data:`RECOVERY_WINDOW`.
    """
    address = email.strip().lower()
    if not address:
        return False
    people = list(db.session.scalars(attendees_of(event.id).where(
        func.lower(Attendee.email) == address, Attendee.withdrawn_at.is_(None)).order_by(Attendee.id)))
    if not people:
        return False
    now = now or utcnow()
    first = people[0]
    recent = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == "link-recovery", OutboxMessage.attendee_id == first.id,
        OutboxMessage.created_at > now - RECOVERY_WINDOW).limit(1))
    if recent is not None:
        return False
    try:
        pages = [(a, mail_url("public.me", token=a.token)) for a in people]
        body = render_mail("link_recovery.txt", event=event, pages=pages)
        queued = enqueue(to=first.email, subject=f"Your personal link: {event.name}", body=body,
                         kind="link-recovery",
                         dedupe_key=f"link-recovery:{event.id}:{first.id}:{now.isoformat()}",
                         event_id=event.id, attendee_id=first.id)
    except (MailError, PublicUrlMissing) as exc:
        log.warning("no link recovery for attendee %s: %s", first.id, exc)
        db.session.rollback()
        return False
    db.session.commit()
    return queued
