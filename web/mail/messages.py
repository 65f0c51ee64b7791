"""Messages the organiser sends (personal links) and those a publish sends (agenda changes).

Each message carries only what its recipient already owns: their own links, their own
meetings. Registration confirmations and link recovery are composed by the public pages
(``web.public.mail``), which own those links.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from web.attendees.models import Attendee, attendees_of
from web.attendees.presence import presence
from web.attendees.states import AttendeeState
from web.events.clock import in_event_zone
from web.events.models import Event
from web.extensions import db
from web.mail.models import MailState, OutboxMessage
from web.mail.services import MailError, enqueue, personal_page_url, render_mail

log = logging.getLogger(__name__)

# Kinds whose message carries the personal link: an attendee with one of these (not failed)
# has been sent their link.
LINK_KINDS = ("personal-link", "registration")
SEND_SCOPES = ("all", "unsent")


@dataclass(frozen=True)
class SendLinksPlan:
    """Who a "send personal links" run would reach."""

    recipients: tuple[Attendee, ...]
    without_address: int
    already_sent: int


def attendees_with_link_sent(event: Event) -> set[int]:
    """Attendee ids whose personal link is in a message that was sent or is on its way."""
    return set(db.session.scalars(
        select(OutboxMessage.attendee_id).where(
            OutboxMessage.event_id == event.id, OutboxMessage.kind.in_(LINK_KINDS),
            OutboxMessage.state != MailState.FAILED, OutboxMessage.attendee_id.is_not(None))))


def plan_send_links(event: Event, scope: str) -> SendLinksPlan:
    """Attendees a run for ``scope`` ('all' or 'unsent') mails, and how many it cannot."""
    if scope not in SEND_SCOPES:
        raise ValueError(f"scope: {scope!r} is not one of {', '.join(SEND_SCOPES)}")
    people = list(db.session.scalars(attendees_of(event.id).where(Attendee.withdrawn_at.is_(None))
                                     .order_by(Attendee.name, Attendee.ext_id)))
    with_address = [a for a in people if (a.email or "").strip()]
    sent = attendees_with_link_sent(event)
    if scope == "unsent":
        recipients = [a for a in with_address if a.id not in sent]
    else:
        recipients = with_address
    return SendLinksPlan(tuple(recipients), len(people) - len(with_address),
                         sum(1 for a in with_address if a.id in sent))


def new_batch_id() -> str:
    """Identifies one submitted form, so a double-click queues each message once."""
    return secrets.token_urlsafe(9)


def send_personal_links(event: Event, scope: str, batch: str) -> tuple[int, int]:
    """Queue a personal-link message per recipient of ``scope`` and commit.

    Returns (queued, without address). The same ``batch`` queues nothing twice.
    """
    plan = plan_send_links(event, scope)
    queued = 0
    for attendee in plan.recipients:
        body = render_mail("personal_link.txt", event=event, attendee=attendee,
                           page_url=personal_page_url(attendee.token))
        queued += _enqueue_one(to=attendee.email, subject=f"Your speed networking page: {event.name}",
                               body=body, kind="personal-link",
                               dedupe_key=f"personal-link:{attendee.id}:{batch[:40]}",
                               event_id=event.id, attendee_id=attendee.id)
    db.session.commit()
    return queued, plan.without_address


@dataclass(frozen=True)
class AgendaChange:
    """One round of one attendee's agenda that differs between two published versions: what a
    "your agenda changed" message lists. Schedules computes them when it publishes.

    ``before`` / ``after`` describe the meeting from the attendee's point of view, e.g.
    ``"Ana Lima, Contoso Hosting, table 12"``, or None for no meeting in that round.
    """

    round: int
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.after is None:
            return f"round {self.round}: no meeting now (was {self.before})"
        if self.before is None:
            return f"round {self.round}: now {self.after}"
        return f"round {self.round}: now {self.after} (was {self.before})"


def queue_agenda_changes(event_id: int, version_id: int,
                         changes: Mapping[int, Sequence[AgendaChange]]) -> int:
    """Queue one "your agenda changed" message per affected attendee (who has an address and
    has not withdrawn) and commit; returns how many were queued.

    ``changes`` maps attendee row ids to what changed in their own agenda in the published
    version ``version_id``. Keyed by version and attendee, so telling a publish twice queues
    nothing new.
    """
    if not changes:
        return 0
    event = db.session.get(Event, event_id)
    if event is None:
        return 0
    ids = [int(i) for i in changes]
    people = list(db.session.scalars(attendees_of(event.id).where(Attendee.id.in_(ids))))
    here = presence(event, None, people)
    queued = 0
    for attendee in people:
        if not (attendee.email or "").strip() or attendee.withdrawn_at is not None:
            continue
        items = sorted(changes.get(attendee.id) or (), key=lambda c: c.round)
        if not items:
            continue
        if here.state(attendee) is AttendeeState.NO_SHOW and all(c.after is None for c in items):
            queued += _queue_no_show(event, version_id, attendee, items[0].round)
            continue
        body = render_mail("agenda_change.txt", event=event, attendee=attendee,
                           changes=[str(c) for c in items],
                           page_url=personal_page_url(attendee.token))
        queued += _enqueue_one(to=attendee.email, subject=f"Your agenda changed: {event.name}",
                               body=body, kind="agenda-change",
                               dedupe_key=f"agenda-change:{version_id}:{attendee.id}",
                               event_id=event.id, attendee_id=attendee.id)
    db.session.commit()
    return queued


def _queue_no_show(event: Event, version_id: int, attendee: Attendee, from_round: int) -> bool:
    """One message for a no-show whose meetings a re-plan gave away: why, and how to get back
    in (check in at the desk), instead of a list of rounds without a meeting."""
    body = render_mail("no_show.txt", event=event, attendee=attendee, from_round=from_round,
                       page_url=personal_page_url(attendee.token))
    return _enqueue_one(to=attendee.email, subject=f"Your meetings at {event.name}: please check in",
                        body=body, kind="agenda-change", dedupe_key=f"agenda-change:{version_id}:{attendee.id}",
                        event_id=event.id, attendee_id=attendee.id)


def _enqueue_one(*, attendee_id: int, **message: Any) -> bool:
    """:func:`enqueue` for one recipient of many: an address the outbox refuses (stored
    before addresses were checked where they enter) skips that person, logged, and the
    others still get theirs."""
    try:
        return enqueue(attendee_id=attendee_id, **message)
    except MailError as exc:
        log.warning("no message for attendee %s: %s", attendee_id, exc)
        return False


def tell_agenda_changes(event_id: int, version_id: int,
                        changes: Mapping[int, Sequence[AgendaChange]]) -> None:
    """What a publish calls once it has committed (web.schedules.publishing): queue the
    messages of :func:`queue_agenda_changes`.

    A failure here must not undo or fail the publish, which is committed already: it is
    logged, and the organiser sees in the outbox that no notice went out.
    """
    try:
        queue_agenda_changes(event_id, version_id, changes)
    except Exception:
        db.session.rollback()
        log.exception("could not queue the agenda-change messages of version %s", version_id)


def local_time(event: Event, moment: dt.datetime | None) -> str:
    """``1 Dec 14:05`` in the event's time zone (the console's time column)."""
    if moment is None:
        return ""
    return in_event_zone(event.timezone, moment).strftime("%d %b %H:%M")

