"""Self-registration as a visitor meets it: the privacy notice and consent, double opt-in,
and one answer for every address.

Whoever fills in the form chooses the address, so the page never says what happened to it:
a new registration, an address registered already (its link is mailed again) and a
registration waiting for confirmation all answer with the same "check your inbox" page, and
the messages carry no text the visitor typed. With the event's ``registration_confirm`` (double
opt-in) the registration is only a :class:`~web.public.models.PendingRegistration` until the
address's owner follows the link in the confirmation mail; until then no attendee exists, and
an unconfirmed request is deleted after :data:`PENDING_LIFETIME`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask import Flask
from huey import crontab
from sqlalchemy import delete, func, select

from scheduler.addresses import normalise_address
from web.attendees.models import Attendee, Consent, ConsentKind
from web.attendees.services import AttendeeRowInvalid, validate_row
from web.events.models import Event
from web.extensions import db
from web.jobs.queue import periodic_task
from web.public.forms import CONSENT_LABEL
from web.public.mail import queue_confirmation_request, queue_registration_confirmation, request_link
from web.public.models import PendingRegistration
from web.public.services import Registration, find_by_email, next_registration_id, register
from web.types import utcnow

PENDING_LIFETIME = dt.timedelta(hours=48)

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What a submitted registration did (never shown to the visitor: the page is the same)."""

    REGISTERED = "registered"   # a new attendee (no double opt-in); their link is mailed
    PENDING = "pending"         # waiting for the confirmation link (double opt-in)
    KNOWN = "known"             # the address was registered already; its link is mailed again


@dataclass(frozen=True)
class PrivacyNotice:
    """What the registration form tells people about their data, as shown."""

    purpose: str
    notice: str
    contact: str

    @property
    def text(self) -> str:
        """The notice and the consent sentence as one text: stored with each consent."""
        parts = [self.purpose, self.notice, f"Questions about your data: {self.contact}" if self.contact else "",
                 CONSENT_LABEL]
        return "\n\n".join(part for part in parts if part)


DEFAULT_RETENTION = ("The organisers keep your registration until they delete this event's data "
                     "after the event.")


def privacy_notice(event: Event) -> PrivacyNotice:
    """The event's notice: the fixed purpose, the organiser's text (how long they keep the
    data, who they are) or the default retention sentence, and the organiser's contact."""
    purpose = (f"What we do with your details: the organisers of {event.name} use them to plan your "
               "speed networking meetings, to print your badge and agenda and to e-mail you your "
               "personal link and changes to your agenda. Your name, company, job title and what you "
               "offer and seek are shown to the people you meet.")
    return PrivacyNotice(purpose, (event.privacy_notice or "").strip() or DEFAULT_RETENTION,
                         (event.privacy_contact or "").strip())


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete unconfirmed registrations whose link has expired (no commit)."""
    now = now or utcnow()
    result: Any = db.session.execute(delete(PendingRegistration).where(PendingRegistration.expires_at < now))
    return int(result.rowcount or 0)


@periodic_task("purge_pending_registrations", crontab(minute="*/15"))
def purge_pending_registrations(app: Flask) -> None:
    """Every quarter hour in each worker: expired unconfirmed registrations go."""
    with app.app_context():
        purge_expired()
        db.session.commit()


def submit_registration(app: Flask, event: Event, data: Registration,
                        now: dt.datetime | None = None) -> Outcome:
    """Take a registration from the form: checked with the importer's rules (raises
    :class:`~web.attendees.services.AttendeeRowInvalid` about the visitor's own cells), then
    registered, kept pending for confirmation, or (a known address) answered by mailing the
    existing link; commits. The caller shows the same page whatever it returns."""
    now = now or utcnow()
    data = _with_plain_address(data)
    validate_row(event, data.cells(next_registration_id(event)))
    purge_expired(now)
    if find_by_email(event, data.email) is not None:
        db.session.commit()
        request_link(app, event, data.email)
        return Outcome.KNOWN
    consent = privacy_notice(event).text
    if event.registration_confirm:
        _keep_pending(event, data, consent, now)
        return Outcome.PENDING
    result = register(event, data)
    if result.attendee is None:  # registered by someone else a moment ago
        request_link(app, event, data.email)
        return Outcome.KNOWN
    record_consent(result.attendee, consent, now)
    db.session.commit()
    queue_registration_confirmation(result.attendee)
    return Outcome.REGISTERED


def _with_plain_address(data: Registration) -> Registration:
    """The registration with its address in the one stored form (the form checked it)."""
    return Registration(**{**data.__dict__, "email": normalise_address(data.email)})


def _keep_pending(event: Event, data: Registration, consent: str, now: dt.datetime) -> None:
    """Store (or renew) the pending registration for this address and mail its link; a new
    request for the same address replaces the old one and its link."""
    token = secrets.token_urlsafe(32)
    pending = db.session.scalar(select(PendingRegistration).where(
        PendingRegistration.event_id == event.id,
        func.lower(PendingRegistration.email) == data.email.lower()))
    if pending is None:
        pending = PendingRegistration(event_id=event.id)
        db.session.add(pending)
    pending.email = data.email
    pending.cells = registration_json(data)
    pending.consent_text = consent
    pending.consent_given_at = now
    pending.token_hash = _hash(token)
    pending.created_at = now
    pending.expires_at = now + PENDING_LIFETIME
    db.session.flush()
    queue_confirmation_request(event, data.email, token, pending.id, pending.expires_at)


def pending_for_token(event: Event, token: str, now: dt.datetime | None = None) -> PendingRegistration | None:
    """The unexpired pending registration the link's ``token`` confirms, or None."""
    now = now or utcnow()
    return db.session.scalar(select(PendingRegistration).where(
        PendingRegistration.event_id == event.id, PendingRegistration.token_hash == _hash(token),
        PendingRegistration.expires_at >= now))


def confirm_registration(app: Flask, event: Event, token: str,
                         now: dt.datetime | None = None) -> Attendee | None:
    """Turn the pending registration of ``token`` into an attendee (with the consent given
    when the form was sent) and commit; mails the personal link. None for an unknown or
    expired link. An address registered meanwhile gets its existing registration."""
    now = now or utcnow()
    pending = pending_for_token(event, token, now)
    if pending is None:
        return None
    data = registration_from_json(pending.cells)
    consent_text, given_at = pending.consent_text, pending.consent_given_at
    db.session.delete(pending)
    existing = find_by_email(event, data.email)
    if existing is not None:
        db.session.commit()
        return existing
    try:
        result = register(event, data)
    except AttendeeRowInvalid as exc:  # the event's lists changed since the form was sent
        db.session.rollback()
        log.warning("pending registration %s no longer fits the event: %s", pending.id, exc)
        return None
    attendee = result.attendee or find_by_email(event, data.email)
    if result.attendee is not None:
        record_consent(result.attendee, consent_text, given_at)
        db.session.commit()
        queue_registration_confirmation(result.attendee)
    else:
        db.session.commit()
    return attendee


def record_consent(attendee: Attendee, text: str, given_at: dt.datetime) -> Consent:
    """Store the consent to the registration's privacy notice: the exact text and the time."""
    consent = Consent(attendee_id=attendee.id, kind=ConsentKind.REGISTRATION_PRIVACY, text=text,
                      given_at=given_at)
    db.session.add(consent)
    return consent


def registration_json(data: Registration) -> dict[str, Any]:
    """A registration as JSON for the pending row."""
    values = dict(data.__dict__)
    values["offers"] = list(data.offers)
    values["seeks"] = list(data.seeks)
    values["rounds"] = sorted(data.rounds) if data.rounds is not None else None
    return values


def registration_from_json(values: dict[str, Any]) -> Registration:
    rounds = values.get("rounds")
    return Registration(**{**values, "offers": tuple(values.get("offers") or ()),
                           "seeks": tuple(values.get("seeks") or ()),
                           "rounds": frozenset(rounds) if rounds is not None else None})
