"""Event-day check-in, the hot path: badge codes, check-ins, annulments and live counts (the
desk and walk-ins: :mod:`web.checkin.desk`; what the kiosk says: :mod:`web.checkin.messages`).

Everything here works without a request (kiosk views, the JSON API, tests).

Several kiosks scan at once, and a kiosk may resend a request after a network hiccup, so a
check-in is only ever decided by the database's unique constraints:

* ``(event_id, nonce)`` is unique: a resent request finds the row its first attempt made and
  gets the same answer, never a second row;
* at most one non-annulled check-in per attendee (partial unique index): two kiosks scanning
  the same person at the same moment make one row, and the loser answers "already".

:func:`check_in` inserts with ``ON CONFLICT DO NOTHING``; when a rule refuses the row it reads
again after its commit, which then sees the row that won. No Python locks are involved, so this
holds across gunicorn workers and on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import bindparam, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import joinedload

from scheduler.domain import EventInfo
from web.attendees.checkins import CheckIn
from web.attendees.lifecycle import restore_attendee
from web.attendees.models import Attendee, code_hash
from web.attendees.presence import checked_in_count, not_withdrawn_count
from web.audit import AuditAction, record
from web.auth.models import User
from web.auth.services import ApiUser
from web.checkin.signals import arrived_unplaced
from web.database import changed_rows, insert_or_skip
from web.events.clock import ClockInputs, clock_state, first_open_round, in_event_zone, round_instants
from web.events.models import Event
from web.events.services import find_event
from web.extensions import db, signal_sender
from web.logs import log_action
from web.lookup_cache import forget_after_commit, lookup_cache
from web.schedules.versions import has_published_version, in_rounds_and_tables, published_meetings_of
from web.types import utcnow

log = logging.getLogger(__name__)

Status = Literal["welcome", "already", "unknown", "withdrawn", "undone"]
# Kiosk JSON and API. "withdrawn": the person cancelled; nothing was recorded, staff may
# restore and check in with one action. "undone": a resent request whose check-in staff have
# undone since; nothing was recorded, scan again to check in.
HTTP_STATUS: dict[Status, int] = {"welcome": 201, "already": 200, "unknown": 404, "withdrawn": 409,
                                  "undone": 409}
# A revision for an arrival needs about this long to be computed and published (the re-plan
# solver's limit and its storing); a promise for a round that starts sooner is for the next one.
SEATING_LEAD_SECONDS = 60.0
Staff = User | ApiUser  # who scanned: a signed-in kiosk user, or an API token's account

# Check-in codes are ``secrets.token_urlsafe(24)`` (32 characters); anything else cannot be one.
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Kiosks send a UUID per request; accept any reasonably random client token.
NONCE_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
DEVICE_MAX = 100
MAX_ATTEMPTS = 4


class CheckInError(ValueError):
    """A request that cannot be answered with welcome/already/unknown (a bad nonce, or a nonce
    already used for somebody else)."""


# --------------------------------------------------------------------------- results
#
# A scan is answered from plain values read with a few Core statements, not from ORM rows: at
# the door every millisecond of server time per scan is queueing time for the next person, and
# ORM rows would be expired by the commit and reloaded one attribute at a time.


@dataclass(frozen=True)
class Person:
    """Who a check-in is for, as kiosks and the API show them."""

    id: int
    ext_id: str
    name: str
    company: str
    badge_number: int
    withdrawn: bool = False
    left: bool = False

    @classmethod
    def of(cls, attendee: Attendee) -> Person:
        return cls(attendee.id, attendee.ext_id, attendee.name, attendee.company,
                   attendee.badge_number, attendee.withdrawn_at is not None, attendee.left_at is not None)


@dataclass(frozen=True)
class Entry:
    """A stored check-in as kiosks and the API show it: ``local_time`` is HH:MM in the event's
    time zone, ``staff`` and ``annulled_by`` are the accounts' e-mail addresses."""

    id: int
    attendee_id: int
    attendee_name: str
    created_at: dt.datetime
    local_time: str
    device: str
    staff: str | None
    annulled_at: dt.datetime | None = None
    annulled_by: str | None = None


@dataclass(frozen=True)
class FirstMeeting:
    """The attendee's next meeting in the published schedule (``start`` is local wall time)."""

    round: int
    table: int
    table_label: str
    start: dt.datetime
    partner: str


class Seating(StrEnum):
    """What a welcome promises about a table, and only what something makes true."""

    TABLE = "table"          # a published meeting in the rounds to come (first_meeting)
    ORGANISER = "organiser"  # automatic revision is on: a job seats them from seated_from_round
    DESK = "desk"            # automatic revision is off: the desk sends them to the organiser,
                             # who sees them on the live page's waiting list
    NO_ROUNDS = "no-rounds"  # every round has started
    UNPLANNED = "unplanned"  # nothing is published yet: everyone gets their agenda together


@dataclass(frozen=True)
class CheckInResult:
    """The answer a kiosk shows. ``checkin`` is the new check-in (welcome) or the first one
    (already); ``replayed`` is true when a resent request found its own earlier check-in;
    ``back`` is true when someone marked as left was scanned again (they are here again)."""

    status: Status
    attendee: Person | None
    checkin: Entry | None
    first_meeting: FirstMeeting | None = None
    replayed: bool = False
    seating: Seating | None = None
    # With Seating.ORGANISER: the round from which the automatic revision will seat them.
    seated_from_round: int | None = None
    back: bool = False
    # An "unknown" badge that belongs to another event: that event's name, and nothing else
    # about it, so staff can send the guest to the right room.
    other_event: str | None = None


UNKNOWN = CheckInResult("unknown", None, None, None)


def local_time(event: Event | ScanEvent, instant: dt.datetime) -> dt.datetime:
    """An aware instant as the event's local wall-clock time (naive)."""
    return _local(event.timezone, instant)


def _local(zone: str, instant: dt.datetime) -> dt.datetime:
    return in_event_zone(zone, instant).replace(tzinfo=None)


# --------------------------------------------------------------------------- lookups

# The statements of a scan, built once with named parameters: building a statement costs more
# than running it on an indexed lookup.
_attendees = Attendee.__table__
_checkins = CheckIn.__table__
_staff = User.__table__.alias("staff")
_annulled_by = User.__table__.alias("annulled_by")

# By the code alone: it is unique across events, so the database always takes its unique index.
# With the event in the condition too, PostgreSQL chose the event's index and filtered every
# attendee of the event whenever its statistics were older than the last import (measured on
# 2,000 attendees: 0.65 ms of database CPU per lookup instead of 0.10 ms). The event is
# compared after the read.
_PERSON_BY_CODE = (
    select(_attendees.c.id, _attendees.c.event_id, _attendees.c.ext_id, _attendees.c.name,
           _attendees.c.company, _attendees.c.badge_number, _attendees.c.checkin_code_hash,
           _attendees.c.withdrawn_at, _attendees.c.left_at)
    .where(_attendees.c.checkin_code_hash == bindparam("code_hash"))
)
_events = Event.__table__
# Only for a code this event does not know: whose event it is, by name only.
_EVENT_OF_CODE = (
    select(_events.c.id, _events.c.name, _attendees.c.checkin_code_hash)
    .select_from(_attendees.join(_events, _events.c.id == _attendees.c.event_id))
    .where(_attendees.c.checkin_code_hash == bindparam("code_hash"))
)
_ENTRIES = (
    select(_checkins.c.id, _checkins.c.attendee_id, _attendees.c.name, _checkins.c.created_at,
           _checkins.c.device, _staff.c.email.label("staff"), _checkins.c.annulled_at,
           _annulled_by.c.email.label("annulled_by"))
    .select_from(_checkins.join(_attendees, _attendees.c.id == _checkins.c.attendee_id)
                 .outerjoin(_staff, _staff.c.id == _checkins.c.staff_user_id)
                 .outerjoin(_annulled_by, _annulled_by.c.id == _checkins.c.annulled_by_id))
    .where(_checkins.c.event_id == bindparam("event_id"))
    .order_by(_checkins.c.created_at, _checkins.c.id)
)
_ENTRY_BY_NONCE = _ENTRIES.where(_checkins.c.nonce == bindparam("nonce"))
_ACTIVE_ENTRY = _ENTRIES.where(_checkins.c.attendee_id == bindparam("attendee_id"),
                               _checkins.c.annulled_at.is_(None))
def _insert_checkin(values: dict[str, Any]) -> int | None:
    """The new check-in's id, or ``None`` when a unique rule refused the row (any of them: one
    active check-in per attendee, one per nonce)."""
    return insert_or_skip(db.session.connection(), _checkins, values)


def _settle_insert() -> None:
    """Make the insert final, keeping the connection for the reads that may follow.

    Under autocommit (the JSON API) the database committed the insert when it ran. There
    ``Session.commit()`` would only hand the connection back to the pool in the middle of the
    scan, and the reads after a refused insert would check one out again (ping, ``BEGIN``,
    ``ROLLBACK``). Leaving it out halved PostgreSQL's CPU per scan in alternating runs of
    bench/bench_checkin_load.py (2.2-2.6 ms before, 1.0-1.3 ms after).
    """
    if db.session.connection().get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        db.session.commit()


def normalise_code(raw: str | None) -> str:
    """The code as scanned or typed: scanners add line ends, people add spaces."""
    return (raw or "").strip()


def person_for_code(event: Event | ScanEvent, raw: str | None) -> Person | None:
    """The attendee of ``event`` whose badge carries ``raw``; ``None`` for anything else
    (malformed, altered, another event's code)."""
    code = normalise_code(raw)
    if not CODE_RE.match(code):
        return None
    hashed = code_hash(code)
    row = db.session.connection().execute(_PERSON_BY_CODE, {"code_hash": hashed}).first()
    if row is None or row.event_id != event.id:
        return None
    # The index lookup already matched; compare again in constant time so a collation or
    # driver quirk (case folding, trailing spaces) can never let an altered code through.
    if not hmac.compare_digest(row.checkin_code_hash.encode(), hashed.encode()):
        return None
    return Person(row.id, row.ext_id, row.name, row.company, row.badge_number,
                  row.withdrawn_at is not None, row.left_at is not None)


def other_event_for_code(event: Event | ScanEvent, raw: str | None) -> str | None:
    """The name of the other event whose badge carries ``raw`` (``None``: no event's, or this
    event's). Runs only after :func:`person_for_code` found nobody here, so a normal scan pays
    nothing for it; staff learn the other event's name and nothing about its attendee."""
    code = normalise_code(raw)
    if not CODE_RE.match(code):
        return None
    hashed = code_hash(code)
    row = db.session.connection().execute(_EVENT_OF_CODE, {"code_hash": hashed}).first()
    if row is None or row.id == event.id:
        return None
    if not hmac.compare_digest(row.checkin_code_hash.encode(), hashed.encode()):
        return None
    return str(row.name)


@dataclass(frozen=True)
class ScanEvent:
    """What a scan needs of its event, as plain values.

    Kiosks scan many times a second, and each scan would otherwise read the event row again;
    :func:`scan_event` remembers this for a couple of seconds per worker (see
    :mod:`web.lookup_cache`). Plain values also survive the scan's commit, which expires ORM
    rows (reloading one would cost another round trip).
    """

    id: int
    slug: str
    info: EventInfo  # timetable (clock, delays and time zone included) and table labels
    clock: ClockInputs
    tables: int = 0  # 0 = as many as needed; meetings at higher tables are out of range
    auto_revise: bool = False

    @property
    def timezone(self) -> str:
        return self.info.timetable.timezone

    @classmethod
    def of(cls, event: Event | ScanEvent) -> ScanEvent:
        if isinstance(event, ScanEvent):
            return event
        return cls(event.id, event.slug, event.event_info(), ClockInputs.of(event), event.tables or 0,
                   bool(event.auto_revise))


EVENT_CACHE = "scan-events"


def scan_event(slug: str) -> ScanEvent | None:
    """The event a kiosk names by ``slug``, remembered for a couple of seconds per worker."""
    return lookup_cache(EVENT_CACHE).get(slug, _load_scan_event)


def _load_scan_event(slug: str) -> ScanEvent | None:
    event = find_event(slug)
    return None if event is None else ScanEvent.of(event)


@sqlalchemy_event.listens_for(Event, "after_update")
@sqlalchemy_event.listens_for(Event, "after_delete")
def _forget_scan_events(_mapper: object, _connection: object, row: object) -> None:
    """An event was edited (clock, delay, time zone, tables...): read it afresh."""
    forget_after_commit(EVENT_CACHE, row)


def _entries(event: ScanEvent, statement: Any, **params: Any) -> list[Entry]:
    """Check-ins found by one of the ``_ENTR*`` statements, oldest first."""
    return [
        Entry(row.id, row.attendee_id, row.name, row.created_at,
              _local(event.timezone, row.created_at).strftime("%H:%M"), row.device, row.staff,
              row.annulled_at, row.annulled_by)
        for row in db.session.connection().execute(statement, {"event_id": event.id, **params})
    ]


def entry_for_nonce(event: Event | ScanEvent, nonce: str) -> Entry | None:
    """The check-in a request with ``nonce`` made, if any (a resent request's first answer)."""
    return _entry_by_nonce(ScanEvent.of(event), valid_nonce(nonce))


def _entry_by_nonce(event: ScanEvent, nonce: str) -> Entry | None:
    found = _entries(event, _ENTRY_BY_NONCE, nonce=nonce)
    return found[0] if found else None


def _active_entry(event: ScanEvent, attendee_id: int) -> Entry | None:
    found = _entries(event, _ACTIVE_ENTRY, attendee_id=attendee_id)
    return found[0] if found else None


def valid_nonce(nonce: str | None) -> str:
    nonce = (nonce or "").strip()
    if not NONCE_RE.match(nonce):
        raise CheckInError("nonce must be 8 to 64 letters, digits or -_.:")
    return nonce


def new_nonce() -> str:
    """A nonce for a server-rendered form: resubmitting the page repeats it (idempotent)."""
    return secrets.token_urlsafe(16)


def clean_device(device: str | None) -> str:
    return " ".join((device or "").split())[:DEVICE_MAX]


def has_published_schedule(event_id: int) -> bool:
    return has_published_version(event_id)


def first_meeting(event: ScanEvent, attendee_id: int, now: dt.datetime | None = None
                  ) -> FirstMeeting | None:
    """The attendee's first meeting in the published schedule from the first round not yet
    started, or ``None`` (nothing published, no meetings in the rounds to come). A meeting
    beyond the event's rounds (rounds cut after publishing) does not count."""
    timetable = event.info.timetable
    upcoming = first_open_round(event.clock, now or utcnow())
    if upcoming is None:
        return None
    found = [m for m in published_meetings_of(event.id, attendee_id, from_round=upcoming)
             if in_rounds_and_tables(timetable.rounds, event.tables, m.round, m.table)]
    if not found:
        return None
    meeting = found[0]
    return FirstMeeting(meeting.round, meeting.table, event.info.table_label(meeting.table),
                        timetable.round_start(meeting.round), meeting.partner_name)


# --------------------------------------------------------------------------- check in / annul


def check_in(event: Event | ScanEvent, code: str | None, *, nonce: str, device: str = "",
             staff_user: Staff | None = None, now: dt.datetime | None = None) -> CheckInResult:
    """Check in the attendee whose badge carries ``code``.

    ``welcome``: a new check-in was recorded (or this ``nonce`` already recorded it: the same
    answer with ``replayed``); ``already``: the person has a check-in (the first one is
    returned, with its time and device); ``unknown``: no attendee of this event has this code.
    Commits its own transaction. Raises :class:`CheckInError` for a malformed nonce or one
    that was used for somebody else.
    """
    event = ScanEvent.of(event)
    nonce = valid_nonce(nonce)
    person = person_for_code(event, code)
    if person is None:
        # A resent request whose code was mangled since still gets its first answer.
        replay = _entry_by_nonce(event, nonce)
        if replay is None:
            other = other_event_for_code(event, code)
            unknown = dataclasses.replace(UNKNOWN, other_event=other) if other else UNKNOWN
            return _logged(event, unknown, device, staff_user, "badge")
        person = Person.of(db.session.get_one(Attendee, replay.attendee_id))
    return _logged(event, _record(event, person, nonce=nonce, device=clean_device(device),
                                  staff_user=staff_user, now=now, via="badge"), device, staff_user, "badge")


def check_in_attendee(event: Event | ScanEvent, attendee: Attendee, *, nonce: str, device: str = "",
                      staff_user: Staff | None = None, now: dt.datetime | None = None
                      ) -> CheckInResult:
    """Check in a known attendee (found by name at the desk, or a walk-in); see
    :func:`check_in` for the answers."""
    if attendee.event_id != event.id:
        raise CheckInError("attendee belongs to another event")
    scan = ScanEvent.of(event)
    return _logged(scan, _record(scan, Person.of(attendee), nonce=valid_nonce(nonce),
                                 device=clean_device(device), staff_user=staff_user, now=now, via="desk"),
                   device, staff_user, "desk")


def _logged(event: ScanEvent, result: CheckInResult, device: str, staff_user: Staff | None,
            via: str) -> CheckInResult:
    """One line per scan: which door took whom, and what the kiosk was told (the answer a
    person at the door may later ask about). A new check-in's line was written with its audit
    entry, in its transaction (:func:`_record`)."""
    if result.status == "welcome" and not (result.replayed or result.back):
        return result
    meeting = result.first_meeting
    log_action(log, "checkin", event=event.slug, result=result.status,
               attendee=result.attendee.ext_id if result.attendee else None,
               replayed=result.replayed or None, via=via, device=clean_device(device) or None,
               staff=staff_user.id if staff_user is not None else None,
               first_round=meeting.round if meeting is not None else None,
               seating=result.seating, seated_from_round=result.seated_from_round,
               back=result.back or None, other_event=result.other_event)
    return result


def _record(event: ScanEvent, person: Person, *, nonce: str, device: str, staff_user: Staff | None,
            now: dt.datetime | None, via: str) -> CheckInResult:
    """Insert the check-in, or answer with the one that exists.

    ``INSERT ... ON CONFLICT DO NOTHING`` lets the database decide: a row is made, or one of
    the unique rules (nonce per event, one active check-in per attendee) refused it. Two
    kiosks racing for one person make exactly one row, and no savepoint or failed transaction
    is needed to find out who won. Everything is read before the insert, so SQLite's write
    lock is held from the insert to the commit only.
    """
    if person.withdrawn:
        # Nothing is recorded: the kiosk offers "restore and check in" (restore_and_check_in).
        return CheckInResult("withdrawn", person, None)
    now = now or utcnow()
    meeting = first_meeting(event, person.id, now)
    staff_id = staff_user.id if staff_user is not None else None
    staff_email = staff_user.email if staff_user is not None else None
    for _ in range(MAX_ATTEMPTS):
        created_at = utcnow()
        new_id = _insert_checkin({
            "event_id": event.id, "attendee_id": person.id, "nonce": nonce, "device": device,
            "staff_user_id": staff_id, "created_at": created_at,
        })
        if new_id is not None:  # who checked whom in, committed with the check-in
            record(AuditAction.CHECK_IN, event_id=event.id, actor=staff_user, target=person.ext_id,
                   event=event.slug, result="welcome", attendee=person.ext_id, via=via, device=device or None,
                   first_round=meeting.round if meeting is not None else None)
        _settle_insert()
        if new_id is not None:
            entry = Entry(new_id, person.id, person.name, created_at,
                          _local(event.timezone, created_at).strftime("%H:%M"), device, staff_email)
            return _welcome(event, person, entry, meeting, now)
        # Refused: either this nonce was used before (a resent request, or a client bug) or
        # the person is already in. The row that refused ours is committed: these reads see it.
        replay = _entry_by_nonce(event, nonce)
        if replay is not None:
            if replay.attendee_id != person.id:
                raise CheckInError("this nonce was already used for another attendee")
            if replay.annulled_at is not None:
                # Its check-in was undone since: saying "welcome" would record nothing.
                return CheckInResult("undone", person, replay)
            return _welcome(event, person, replay, meeting, now, replayed=True)
        existing = _active_entry(event, person.id)
        if existing is not None:
            if person.left:
                _mark_back(person.id)
                return _welcome(event, dataclasses.replace(person, left=False), existing, meeting, now,
                                back=True)
            return CheckInResult("already", person, existing, meeting)
        # The check-in that refused ours was undone a moment ago: try again.
    raise CheckInError("the check-in could not be recorded; try again")


def _mark_back(attendee_id: int) -> None:
    """Someone marked as left was scanned again: they are here, and planned for again."""
    db.session.execute(update(Attendee).where(Attendee.id == attendee_id).values(left_at=None)
                       .execution_options(synchronize_session=False))
    _settle_insert()
    log_action(log, "attendee-back", attendee=attendee_id, via="scan")


def _welcome(event: ScanEvent, person: Person, entry: Entry, meeting: FirstMeeting | None,
             now: dt.datetime, *, replayed: bool = False, back: bool = False) -> CheckInResult:
    """A welcome, with what it may promise about a table (:func:`seating_for`). An arrival the
    organisers seat automatically starts that revision (``arrived_unplaced``)."""
    if meeting is not None:  # the hot path: nothing more to read
        return CheckInResult("welcome", person, entry, meeting, replayed=replayed,
                             seating=Seating.TABLE, back=back)
    seating, seated_from = seating_for(event, now)
    if seating is Seating.ORGANISER and not replayed:
        arrived_unplaced.send(signal_sender(), event_id=event.id, attendee_id=person.id)
    return CheckInResult("welcome", person, entry, None, replayed=replayed, seating=seating,
                         seated_from_round=seated_from, back=back)


def seating_for(event: ScanEvent | Event, now: dt.datetime) -> tuple[Seating, int | None]:
    """What a kiosk may promise someone checked in without a published table to come: the
    round the automatic revision can still publish in time (it needs
    :data:`SEATING_LEAD_SECONDS`), the desk when the organiser seats people by hand, nothing
    when no schedule is out yet or every round has started."""
    scan = ScanEvent.of(event)
    if not has_published_schedule(scan.id):
        return Seating.UNPLANNED, None
    state = clock_state(scan.clock, now)
    first = state.first_open_round
    if first is None:
        return Seating.NO_ROUNDS, None
    if not scan.auto_revise:
        return Seating.DESK, None
    if _seconds_until(scan, first, now) < SEATING_LEAD_SECONDS and not state.paused:
        first += 1
    if first > scan.clock.rounds:
        return Seating.DESK, None
    return Seating.ORGANISER, first


def _seconds_until(event: ScanEvent, round_number: int, now: dt.datetime) -> float:
    start = next(s for r, s, _e in round_instants(event.clock.timetable) if r == round_number)
    return (start - now).total_seconds()


def restore_and_check_in(event: Event, attendee: Attendee, *, nonce: str, device: str = "",
                         staff_user: Staff | None = None, now: dt.datetime | None = None
                         ) -> CheckInResult:
    """A withdrawn person came after all: restore them and check them in, one action."""
    if attendee.event_id != event.id:
        raise CheckInError("attendee belongs to another event")
    if attendee.withdrawn_at is not None:
        restore_attendee(attendee, staff_user)
    return check_in_attendee(event, attendee, nonce=nonce, device=device, staff_user=staff_user,
                             now=now)


def annul(checkin: CheckIn, by: User | None) -> CheckIn:
    """Undo a check-in made by mistake. The row stays (audit trail) with who and when; the
    person can be checked in again. Annulling twice keeps the first annulment. Someone marked
    as left is no longer "left" either: without a check-in they were never here, and a later
    scan makes them simply checked in."""
    undone = changed_rows(db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.active)
        .values(annulled_at=utcnow(), annulled_by_id=by.id if by is not None else None)
        .execution_options(synchronize_session=False)
    ))
    if undone:
        db.session.execute(update(Attendee).where(Attendee.id == checkin.attendee_id)
                           .values(left_at=None).execution_options(synchronize_session=False))
        record(AuditAction.CHECK_IN_UNDONE, event_id=checkin.event_id, actor=by, target=checkin.attendee.ext_id,
               event=checkin.event_id, checkin=checkin.id)
    db.session.commit()
    db.session.refresh(checkin)
    return checkin


def get_checkin(event: Event, checkin_id: int) -> CheckIn | None:
    return db.session.scalar(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.id == checkin_id)
    )


# --------------------------------------------------------------------------- lists and counts


@dataclass(frozen=True)
class LiveCounts:
    checked_in: int
    expected: int

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def live_counts(event: Event) -> LiveCounts:
    """People here (checked in, not withdrawn since, not gone home) and people the event still
    counts on (not withdrawn): the same rule as :mod:`web.attendees.presence`."""
    return LiveCounts(checked_in_count(event.id), not_withdrawn_count(event.id))


def list_checkins(event: Event) -> list[Entry]:
    """Every check-in of the event, annulled ones included, oldest first."""
    return _entries(ScanEvent.of(event), _ENTRIES)


def recent_checkins(event: Event, limit: int = 8) -> list[CheckIn]:
    """The latest non-annulled check-ins (the kiosk lists them with an undo button)."""
    return list(db.session.scalars(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.active)
        .options(joinedload(CheckIn.attendee))
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)
    ))
