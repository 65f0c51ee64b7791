"""What is stored about one attendee, and erasing it (data-protection rules).

:func:`personal_data` gathers every field of the attendee's row, their meetings in the
published schedule, their check-ins, the wishes they gave and the mails sent to them: what the personal
page shows under "Your data" and offers as a JSON download. Each part is one entry of
:data:`SECTIONS` (consents included: the privacy notice's text as shown, and when), so a new
table about attendees is one line there.

:func:`erase_attendee` erases one person, asked for by themselves (/me/<token>/erase), by the
organiser (the attendee's console page) or by the retention sweep
(:func:`erase_past_retention`, once the event's ``retention_date`` has passed):

1. while rounds are still to come, withdraw them (:func:`web.attendees.lifecycle.withdraw_attendee`):
   out of every future round and every later plan, as a cancellation is (after the event
   nothing is withdrawn, so the attendance counts stay as they were);
2. erase their personal data: the name becomes "Erased attendee", e-mail, company, title,
   country, wishes and interests are cleared, the id in the event becomes ``erased-<row id>``
   (and leaves other people's must-meet and avoid lists), the directory listing ends, the
   wishes they gave and those others gave about them are deleted, the personal token and the
   check-in code are replaced by new random ones nobody knows, and the mails to them leave the
   outbox.
   What the counts need stays: the row itself (meetings held and check-ins refer to it), the
   region and partner type, the badge number, where the row came from, the check-ins;
3. their meetings in the published schedule from the first round not started become
   sit-outs for their partners: a revision of the published version without those meetings,
   published at once (the partners are told their agenda changed, as after any revision).

Lives in schedules, the lowest feature that sees the attendee's row, the published plan and
the outbox; the pages that ask (public, the console) sit above or beside it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from flask import Flask
from huey import crontab
from sqlalchemy import or_, select

from scheduler.domain import Schedule
from scheduler.solver import PlanResult
from web.attendees.checkins import CheckIn
from web.attendees.lifecycle import withdraw_attendee
from web.attendees.models import Attendee, Consent, attendees_of, new_codes
from web.attendees.wishes import Wish
from web.audit import AuditAction, record
from web.events.clock import first_open_round, round_instants
from web.events.models import Event
from web.extensions import db
from web.jobs.queue import periodic_task
from web.logs import log_action
from web.mail.models import OutboxMessage
from web.schedules.models import VersionKind
from web.schedules.personal import personal_schedule
from web.schedules.publishing import StalePublish, publish_version
from web.schedules.versions import ScheduleError, published_version, store_plan_result, version_schedule
from web.types import utcnow

log = logging.getLogger(__name__)

ERASED_NAME = "Erased attendee"

# Columns that are credentials, not data about the person: the export shows the personal page's
# address instead, and never a hash or a code that opens something.
SECRET_COLUMNS = frozenset({"token_nonce", "token_hash", "checkin_nonce", "checkin_code_hash"})
# Internal keys with no meaning outside the database.
INTERNAL_COLUMNS = frozenset({"id", "event_id", "registered_by_id"})
# What erasure keeps: the counts (results, attendance) read these, and none names the person.
KEPT_COLUMNS = frozenset({"id", "event_id", "badge_number", "source", "region", "partner_type",
                          "available_rounds",
                          "registered_by_id", "withdrawn_at", "left_at", "agenda_changed_at",
                          "created_at", "updated_at", "erased_at"})


def _json_value(value: Any) -> Any:
    """A column's value as JSON: instants and dates in ISO 8601, lists as lists."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _profile(attendee: Attendee) -> dict[str, Any]:
    """Every stored field of the attendee's row (read from the table, so a column added
    tomorrow is exported without anyone listing it), credentials and internal keys left out."""
    return {column.key: _json_value(getattr(attendee, column.key))
            for column in Attendee.__table__.columns
            if column.key not in SECRET_COLUMNS | INTERNAL_COLUMNS}


def _meetings(attendee: Attendee) -> list[dict[str, Any]]:
    """Their meetings in the published schedule: round, local start, table and partner."""
    mine = personal_schedule(attendee)
    if mine is None:
        return []
    event = attendee.event
    partners = {p.id: p for p in mine.partners}
    labels = event.table_label_list()
    starts = {number: start.isoformat() for number, start, _end in round_instants(event.timetable())}
    rows = []
    for meeting in mine.schedule.meetings:
        partner = partners.get(meeting.b_id if meeting.a_id == attendee.ext_id else meeting.a_id)
        rows.append({
            "round": meeting.round, "starts": starts.get(meeting.round),
            "table": labels[meeting.table - 1] if meeting.table <= len(labels) else str(meeting.table),
            "partner": partner.name if partner else None,
            "partner_company": partner.company if partner else None,
        })
    return rows


def _check_ins(attendee: Attendee) -> list[dict[str, Any]]:
    """Every check-in recorded for them, undone ones included (with when they were undone)."""
    rows = db.session.scalars(select(CheckIn).where(CheckIn.attendee_id == attendee.id)
                              .order_by(CheckIn.created_at))
    return [{"at": _json_value(row.created_at), "device": row.device,
             "undone_at": _json_value(row.annulled_at)} for row in rows]


def _wishes(attendee: Attendee) -> list[dict[str, Any]]:
    """The wishes they gave (Must, Want, No) about other attendees, by name."""
    rows = db.session.execute(select(Wish.level, Attendee.name, Attendee.company, Wish.created_at)
                              .join(Attendee, Attendee.id == Wish.partner_id)
                              .where(Wish.attendee_id == attendee.id).order_by(Wish.id))
    return [{"level": level, "partner": name, "partner_company": company,
             "given_at": _json_value(given)} for level, name, company, given in rows]


def _consents(attendee: Attendee) -> list[dict[str, Any]]:
    """What they agreed to, with the exact text they were shown, and when (kept through an
    erasure as the proof of consent: the row no longer names them)."""
    rows = db.session.scalars(select(Consent).where(Consent.attendee_id == attendee.id).order_by(Consent.id))
    return [{"kind": row.kind, "text": row.text, "given_at": _json_value(row.given_at),
             "withdrawn_at": _json_value(row.withdrawn_at)} for row in rows]


def _mails(attendee: Attendee) -> list[dict[str, Any]]:
    """The mails written to them (queued, sent, failed or held), with their text."""
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.attendee_id == attendee.id)
                              .order_by(OutboxMessage.created_at))
    return [{"to": row.to_address, "subject": row.subject, "kind": row.kind, "state": row.state,
             "written_at": _json_value(row.created_at), "sent_at": _json_value(row.sent_at),
             "body": row.body} for row in rows]


# The parts of the export, in order.
SECTIONS: list[tuple[str, Callable[[Attendee], Any]]] = [
    ("profile", _profile),
    ("meetings", _meetings),
    ("check_ins", _check_ins),
    ("wishes", _wishes),
    ("consents", _consents),
    ("mails", _mails),
]


def personal_data(attendee: Attendee, personal_page: str | None = None) -> dict[str, Any]:
    """Everything stored about ``attendee``, JSON-ready: the event, then each of
    :data:`SECTIONS`. ``personal_page`` (the address of /me/<token>) is added when given."""
    event = attendee.event
    data: dict[str, Any] = {
        "event": {"name": event.name, "date": event.date.isoformat(), "venue": event.venue or "",
                  "retention_date": event.retention_date.isoformat()},
    }
    if personal_page:
        data["personal_page"] = personal_page
    for key, section in SECTIONS:
        data[key] = section(attendee)
    return data


# --------------------------------------------------------------------------- erasure


@dataclass(frozen=True)
class Erasure:
    """What one erasure did: the row kept (anonymised), whether it was erased before, and the
    revision published to turn their meetings to come into sit-outs (None when none was
    needed, or when it could not be published: ``revision_error`` says why)."""

    attendee_id: int
    already: bool = False
    version_number: int | None = None
    meetings_removed: int = 0
    revision_error: str | None = None


def erase_attendee(attendee: Attendee, by: Any = None, now: dt.datetime | None = None,
                   reason: str = "request") -> Erasure:
    """Erase ``attendee`` (see the module's steps). Idempotent: erasing twice does nothing
    more. ``reason`` (request, organiser, retention) goes in the log line."""
    now = now or utcnow()
    if attendee.erased_at is not None:
        return Erasure(attendee.id, already=True)
    if first_open_round(attendee.event, now) is not None:
        withdraw_attendee(attendee, by)  # rounds to come: not coming, as a cancellation
    _anonymise(attendee, now)
    erasure = _sit_outs_from(attendee, by, now)
    record(AuditAction.ERASURE, event_id=attendee.event_id, actor=by, target=attendee.ext_id,
           reason=reason, version=erasure.version_number, meetings_removed=erasure.meetings_removed or None)
    db.session.commit()
    return erasure


def _anonymise(attendee: Attendee, now: dt.datetime) -> None:
    """Step 2: clear what names or reaches the person; commit."""
    old_ext_id, old_email = attendee.ext_id, (attendee.email or "").strip()
    attendee.name = ERASED_NAME
    attendee.ext_id = f"erased-{attendee.id}"
    for column in Attendee.__table__.columns:
        if column.key in KEPT_COLUMNS | SECRET_COLUMNS | {"name", "ext_id"}:
            continue
        _clear(attendee, column)
    for key, value in new_codes().items():  # new codes nobody knows: link and badge are dead
        setattr(attendee, key, value)
    attendee.erased_at = now
    _forget_in_others(attendee.event_id, old_ext_id)
    db.session.execute(Wish.__table__.delete().where(  # theirs, and the others' about them
        or_(Wish.attendee_id == attendee.id, Wish.partner_id == attendee.id)))
    db.session.execute(OutboxMessage.__table__.delete().where(
        OutboxMessage.event_id == attendee.event_id,
        or_(OutboxMessage.attendee_id == attendee.id,
            OutboxMessage.attendee_id.is_(None) & (OutboxMessage.to_address == (old_email or "\0")))))
    db.session.commit()


def _clear(attendee: Attendee, column: Any) -> None:
    """A column's empty value: an empty list or text, else null where the column allows it
    (a column added tomorrow is cleared without anyone listing it)."""
    value = getattr(attendee, column.key)
    if isinstance(value, list):
        setattr(attendee, column.key, [])
    elif isinstance(value, str):
        setattr(attendee, column.key, "")
    elif column.nullable:
        setattr(attendee, column.key, None)


def _forget_in_others(event_id: int, ext_id: str) -> None:
    """Take an erased id out of the other attendees' must-meet and avoid lists (``;``-joined
    ext ids): the id may be the person's own (an e-mail address, a staff number)."""
    pattern = f"%{ext_id}%"
    rows = db.session.scalars(attendees_of(event_id).where(
        or_(Attendee.must_meet.like(pattern), Attendee.avoid.like(pattern))))
    for row in rows:
        for column in ("must_meet", "avoid"):
            ids = [i for i in (getattr(row, column) or "").split(";") if i.strip()]
            if ext_id in [i.strip() for i in ids]:
                setattr(row, column, ";".join(i for i in ids if i.strip() != ext_id))


def _sit_outs_from(attendee: Attendee, by: Any, now: dt.datetime) -> Erasure:
    """Step 3: a revision of the published version without the person's meetings from the
    first round not started, published at once. Held rounds stay as held (the meetings-held
    count needs them; they now name "Erased attendee")."""
    event = attendee.event
    version = published_version(event)
    first = first_open_round(event, now)
    if version is None or first is None:
        return Erasure(attendee.id)
    schedule, _people = version_schedule(version)
    kept = tuple(m for m in schedule.meetings
                 if m.round < first or attendee.ext_id not in (m.a_id, m.b_id))
    removed = len(schedule.meetings) - len(kept)
    if not removed:
        return Erasure(attendee.id)
    report = replace(version.plan_report.plan, meetings=len(kept),
                     message=f"{removed} meeting(s) of an erased attendee left as sit-outs from round {first}")
    partners = {m.b_id if m.a_id == attendee.ext_id else m.a_id for m in schedule.meetings
                if m.round >= first and attendee.ext_id in (m.a_id, m.b_id)}
    try:
        draft = store_plan_result(
            event, PlanResult(Schedule(schedule.rounds, schedule.tables, kept), report),
            kind=VersionKind.REVISION, from_round=first, base_version=version, inputs_at=now,
            revision={"agendas_changed": len(partners), "meetings_moved": 0, "erased": 1})
        publish_version(draft, by, force=True, now=now)
    except (StalePublish, ScheduleError) as exc:
        db.session.rollback()
        log_action(log, "attendee-erased-revision-failed", level=logging.WARNING,
                   event=event.id, attendee=attendee.ext_id, error=str(exc))
        return Erasure(attendee.id, meetings_removed=0, revision_error=str(exc))
    return Erasure(attendee.id, version_number=draft.number, meetings_removed=removed)


# --------------------------------------------------------------------------- retention


def events_past_retention(today: dt.date) -> list[Event]:
    """Events whose retention date is before ``today`` (read in Python: the date arithmetic
    differs between SQLite and PostgreSQL, and events are few)."""
    return [event for event in db.session.scalars(select(Event).order_by(Event.date))
            if event.retention_date < today]


def erase_past_retention(now: dt.datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    """Erase every attendee not yet erased of every event past its retention date; returns
    {event slug: people erased (or, with ``dry_run``, to erase)}. What the CLI
    (``flask --app web privacy erase-expired``) and the worker's daily sweep run."""
    now = now or utcnow()
    done: dict[str, int] = {}
    for event in events_past_retention(now.date()):
        people = list(db.session.scalars(attendees_of(event.id).where(Attendee.erased_at.is_(None))
                                         .order_by(Attendee.id)))
        if not people:
            continue
        if not dry_run:
            for person in people:
                erase_attendee(person, None, now, reason="retention")
        done[event.slug] = len(people)
    return done


RETENTION_SWEEP = crontab(minute="17", hour="3")  # once a day, at night


@periodic_task("erase_past_retention", RETENTION_SWEEP)
def retention_sweep(app: Flask) -> None:
    """The workers' daily run of :func:`erase_past_retention` (every worker runs it; erasure
    is idempotent and an event past retention has no rounds to revise)."""
    with app.app_context():
        done = erase_past_retention()
        if done:
            log_action(log, "retention-sweep", events=len(done), attendees=sum(done.values()))
