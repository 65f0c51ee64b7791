"""Messages the public pages send: the registration confirmation and "send me my link again".

Composed here because these pages send them (the links themselves come from
:mod:`web.attendees.links`); queued through the outbox (:func:`web.mail.services.enqueue`), never sent from the request.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func

from web.attendees.links import personal_links
from web.attendees.models import Attendee, attendees_of
from web.events.models import Event
from web.extensions import db
from web.mail.services import MailError, enqueue, render_mail
from web.types import utcnow
from web.urls import public_url

# One recovery message per address and event per window: asking again within it sends
# nothing new (the first message is on its way), so the form cannot flood a mailbox.
RECOVERY_WINDOW = dt.timedelta(minutes=10)

log = logging.getLogger(__name__)


def queue_registration_confirmation(attendee: Attendee) -> bool:
    """Queue the confirmation with the personal link (once per attendee) and commit."""
    if not (attendee.email or "").strip():
        return False
    event = attendee.event
    body = render_mail("registration.txt", event=event, attendee=attendee,
                       links=personal_links(attendee))
    try:
        queued = enqueue(to=attendee.email, subject=f"You are registered: {event.name}",
                         body=body, kind="registration", dedupe_key=f"registration:{attendee.id}",
                         event_id=event.id, attendee_id=attendee.id)
    except MailError:  # the registration stands; the page shows the link anyway
        log.warning("no confirmation for attendee %s: unusable address", attendee.id)
        db.session.rollback()
        return False
    db.session.commit()
    return queued


def queue_link_recovery(event: Event, email: str, now: dt.datetime | None = None) -> bool:
    """Mail the personal link(s) registered under ``email`` for ``event`` and commit.

    Returns whether a message was queued; callers must not show it (the page is the same
    for known and unknown addresses).
    """
    address = email.strip().lower()
    people = list(db.session.scalars(attendees_of(event.id).where(
        func.lower(Attendee.email) == address, Attendee.withdrawn_at.is_(None)).order_by(Attendee.id)))
    if not address or not people:
        return False
    now = now or utcnow()
    window = int(now.timestamp() // RECOVERY_WINDOW.total_seconds())
    pages = [(a, public_url("public.me", token=a.token)) for a in people]
    body = render_mail("link_recovery.txt", event=event, pages=pages)
    queued = enqueue(to=people[0].email, subject=f"Your personal link: {event.name}", body=body,
                     kind="link-recovery",
                     dedupe_key=f"link-recovery:{event.id}:{people[0].id}:{window}",
                     event_id=event.id, attendee_id=people[0].id)
    db.session.commit()
    return queued
