"""Event-day check-in: badge codes, kiosks, walk-ins and live counts.

Everything here works without a request (kiosk views, the JSON API, tests).

Several kiosks scan at once, and a kiosk may resend a request after a network hiccup, so a
check-in is only ever decided by the database's unique constraints:

* ``(event_id, nonce)`` is unique: a resent request finds the row its first attempt made and
  gets the same answer, never a second row;
* at most one non-annulled check-in per attendee (partial unique index): two kiosks scanning
  the same person at the same moment make one row, and the loser answers "already".

:func:`check_in` inserts inside a savepoint; on ``IntegrityError`` it rolls back and reads
again in a fresh transaction, which then sees the row that won. No Python locks are involved,
so this holds across gunicorn workers and on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hmac
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from scheduler.importer import RowError
from web.attendees.models import Attendee
from web.attendees.services import save_attendee, search_attendees, validate_row
from web.auth.models import User
from web.checkin.models import CheckIn
from web.events.models import Event
from web.extensions import db
from web.types import utcnow

Status = Literal["welcome", "already", "unknown"]

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


@dataclass(frozen=True)
class FirstMeeting:
    """The attendee's next meeting in the published schedule (``start`` is local wall time)."""

    round: int
    table: int
    table_label: str
    start: dt.datetime
    partner: str


@dataclass(frozen=True)
class CheckInResult:
    """The answer a kiosk shows. ``checkin`` is the new row (welcome) or the first one
    (already); ``replayed`` is true when a resent request found its own earlier row."""

    status: Status
    attendee: Attendee | None
    checkin: CheckIn | None
    first_meeting: FirstMeeting | None = None
    replayed: bool = False


UNKNOWN = CheckInResult("unknown", None, None, None)


def local_time(event: Event, instant: dt.datetime) -> dt.datetime:
    """An aware instant as the event's local wall-clock time (naive)."""
    return instant.astimezone(zoneinfo.ZoneInfo(event.timezone)).replace(tzinfo=None)


def result_message(event: Event, result: CheckInResult) -> str:
    """The sentence the kiosk shows in large type."""
    if result.status == "unknown" or result.attendee is None:
        return "Unknown code"
    name = result.attendee.name
    if result.status == "already" and result.checkin is not None:
        when = local_time(event, result.checkin.created_at).strftime("%H:%M")
        where = f" ({result.checkin.device})" if result.checkin.device else ""
        return f"{name} already checked in at {when}{where}"
    meeting = result.first_meeting
    if meeting is None:
        return f"Welcome, {name}"
    return f"Welcome, {name}: first meeting at table {meeting.table_label}, {meeting.start:%H:%M}"


def result_payload(event: Event, result: CheckInResult) -> dict[str, Any]:
    """JSON-ready form of a result (the API schema and the kiosk script read this)."""
    attendee = result.attendee
    checkin = result.checkin
    meeting = result.first_meeting
    return {
        "status": result.status,
        "message": result_message(event, result),
        "replayed": result.replayed,
        "attendee": None if attendee is None else {
            "id": attendee.id, "ext_id": attendee.ext_id, "name": attendee.name,
            "company": attendee.company, "badge_number": attendee.badge_number,
        },
        "checkin": None if checkin is None else checkin_payload(event, checkin),
        "first_meeting": None if meeting is None else {
            "round": meeting.round, "table": meeting.table, "table_label": meeting.table_label,
            "start": meeting.start.isoformat(timespec="minutes"),
            "time": meeting.start.strftime("%H:%M"), "partner": meeting.partner,
        },
    }


def checkin_payload(event: Event, checkin: CheckIn) -> dict[str, Any]:
    return {
        "id": checkin.id,
        "attendee_id": checkin.attendee_id,
        "attendee_name": checkin.attendee.name,
        "checked_in_at": checkin.created_at,
        "local_time": local_time(event, checkin.created_at).strftime("%H:%M"),
        "device": checkin.device,
        "staff": checkin.staff_user.email if checkin.staff_user else None,
        "annulled_at": checkin.annulled_at,
        "annulled_by": checkin.annulled_by.email if checkin.annulled_by else None,
    }


# --------------------------------------------------------------------------- lookups


def normalise_code(raw: str | None) -> str:
    """The code as scanned or typed: scanners add line ends, people add spaces."""
    return (raw or "").strip()


def attendee_for_code(event: Event, raw: str | None) -> Attendee | None:
    """The attendee of ``event`` whose badge carries ``raw``; ``None`` for anything else
    (malformed, altered, another event's code)."""
    code = normalise_code(raw)
    if not CODE_RE.match(code):
        return None
    attendee = db.session.scalar(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.checkin_code == code)
    )
    # The index lookup already matched; compare again in constant time so a collation or
    # driver quirk (case folding, trailing spaces) can never let an altered code through.
    if attendee is None or not hmac.compare_digest(attendee.checkin_code.encode(), code.encode()):
        return None
    return attendee


def active_checkin(attendee: Attendee) -> CheckIn | None:
    return db.session.scalar(
        select(CheckIn).where(CheckIn.attendee_id == attendee.id, CheckIn.annulled_at.is_(None))
    )


def _by_nonce(event: Event, nonce: str) -> CheckIn | None:
    return db.session.scalar(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.nonce == nonce)
    )


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


def first_meeting(event: Event, attendee: Attendee, now: dt.datetime | None = None
                  ) -> FirstMeeting | None:
    """The attendee's first meeting that has not ended yet in the published schedule, or
    ``None`` (nothing published, no meetings left)."""
    from web.schedules.models import ScheduleMeeting
    from web.schedules.services import published_version

    version = published_version(event)
    if version is None:
        return None
    # Only this person's meetings: a kiosk answers in milliseconds, so the whole schedule
    # (schedules.services.version_schedule) is not loaded for one scan.
    meetings = db.session.scalars(
        select(ScheduleMeeting)
        .where(ScheduleMeeting.version_id == version.id,
               or_(ScheduleMeeting.a_id == attendee.id, ScheduleMeeting.b_id == attendee.id))
        .options(joinedload(ScheduleMeeting.a), joinedload(ScheduleMeeting.b))
        .order_by(ScheduleMeeting.round)
    )
    timetable = event.timetable()
    info = event.event_info()
    now_local = local_time(event, now or utcnow())
    for meeting in meetings:
        if not 1 <= meeting.round <= timetable.rounds:
            continue
        if timetable.round_end(meeting.round) <= now_local:
            continue
        partner = meeting.b if meeting.a_id == attendee.id else meeting.a
        return FirstMeeting(meeting.round, meeting.table, info.table_label(meeting.table),
                            timetable.round_start(meeting.round), partner.name)
    return None


# --------------------------------------------------------------------------- check in / annul


def check_in(event: Event, code: str | None, *, nonce: str, device: str = "",
             staff_user: User | None = None, now: dt.datetime | None = None) -> CheckInResult:
    """Check in the attendee whose badge carries ``code``.

    ``welcome``: a new check-in was recorded (or this ``nonce`` already recorded it: the same
    answer with ``replayed``); ``already``: the person has a check-in (the first one is
    returned, with its time and device); ``unknown``: no attendee of this event has this code.
    Commits its own transaction. Raises :class:`CheckInError` for a malformed nonce or one
    that was used for somebody else.
    """
    nonce = valid_nonce(nonce)
    replay = _by_nonce(event, nonce)
    if replay is not None:
        # A resent request: answer as the first time, even if the code was mangled since.
        attendee = attendee_for_code(event, code)
        if attendee is not None and attendee.id != replay.attendee_id:
            raise CheckInError("this nonce was already used for another attendee")
        return _replayed(event, replay, now)
    attendee = attendee_for_code(event, code)
    if attendee is None:
        return UNKNOWN
    return _record(event, attendee, nonce=nonce, device=clean_device(device),
                   staff_user=staff_user, now=now, replay_checked=True)


def check_in_attendee(event: Event, attendee: Attendee, *, nonce: str, device: str = "",
                      staff_user: User | None = None, now: dt.datetime | None = None
                      ) -> CheckInResult:
    """Check in a known attendee (found by name at the desk, or a walk-in); see
    :func:`check_in` for the answers."""
    if attendee.event_id != event.id:
        raise CheckInError("attendee belongs to another event")
    return _record(event, attendee, nonce=valid_nonce(nonce), device=clean_device(device),
                   staff_user=staff_user, now=now, replay_checked=False)


def _record(event: Event, attendee: Attendee, *, nonce: str, device: str, staff_user: User | None,
            now: dt.datetime | None, replay_checked: bool) -> CheckInResult:
    """Insert the check-in, or answer with the one that exists. ``replay_checked``: the caller
    has just looked the nonce up, so the first attempt need not ask again."""
    attendee_id = attendee.id
    staff_id = staff_user.id if staff_user is not None else None
    for attempt in range(MAX_ATTEMPTS):
        if attempt or not replay_checked:
            replay = _by_nonce(event, nonce)
            if replay is not None:
                if replay.attendee_id != attendee_id:
                    raise CheckInError("this nonce was already used for another attendee")
                return _replayed(event, replay, now)
        attendee = db.session.get(Attendee, attendee_id)
        meeting = first_meeting(event, attendee, now)  # read before the commit expires the rows
        existing = active_checkin(attendee)
        if existing is not None:
            return CheckInResult("already", attendee, existing, meeting)
        row = CheckIn(event_id=event.id, attendee_id=attendee_id, nonce=nonce, device=device,
                      staff_user_id=staff_id, created_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(row)
            db.session.commit()
        except IntegrityError:
            # Another kiosk (or this request's twin) won the race. Start a fresh transaction
            # so the next read sees the row that was committed in the meantime.
            db.session.rollback()
            continue
        return CheckInResult("welcome", attendee, row, meeting)
    raise CheckInError("the check-in could not be recorded; try again")


def _replayed(event: Event, checkin: CheckIn, now: dt.datetime | None) -> CheckInResult:
    attendee = checkin.attendee
    return CheckInResult("welcome", attendee, checkin, first_meeting(event, attendee, now),
                         replayed=True)


def annul(checkin: CheckIn, by: User | None) -> CheckIn:
    """Undo a check-in made by mistake. The row stays (audit trail) with who and when; the
    person can be checked in again. Annulling twice keeps the first annulment."""
    db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == checkin.id, CheckIn.annulled_at.is_(None))
        .values(annulled_at=utcnow(), annulled_by_id=by.id if by is not None else None)
        .execution_options(synchronize_session=False)
    )
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
    """People checked in (non-annulled) and people expected (all attendees of the event)."""
    checked_in = db.session.scalar(
        select(func.count()).select_from(CheckIn)
        .where(CheckIn.event_id == event.id, CheckIn.annulled_at.is_(None))
    ) or 0
    expected = db.session.scalar(
        select(func.count()).select_from(Attendee).where(Attendee.event_id == event.id)
    ) or 0
    return LiveCounts(checked_in, expected)


def list_checkins(event: Event) -> list[CheckIn]:
    """Every check-in of the event, annulled ones included, oldest first."""
    return list(db.session.scalars(
        select(CheckIn).where(CheckIn.event_id == event.id)
        .options(joinedload(CheckIn.attendee), joinedload(CheckIn.staff_user),
                 joinedload(CheckIn.annulled_by))
        .order_by(CheckIn.created_at, CheckIn.id)
    ))


def recent_checkins(event: Event, limit: int = 8) -> list[CheckIn]:
    """The latest non-annulled check-ins (the kiosk lists them with an undo button)."""
    return list(db.session.scalars(
        select(CheckIn).where(CheckIn.event_id == event.id, CheckIn.annulled_at.is_(None))
        .options(joinedload(CheckIn.attendee))
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc()).limit(limit)
    ))


@dataclass(frozen=True)
class DeskMatch:
    attendee: Attendee
    checkin: CheckIn | None  # the active check-in, if any


def search_desk(event: Event, query: str, limit: int = 25) -> list[DeskMatch]:
    """People matching a name, company or e-mail typed at the desk, with their check-in."""
    query = query.strip()
    if not query:
        return []
    attendees = list(db.session.scalars(search_attendees(event, query).limit(limit)))
    active = {
        c.attendee_id: c for c in db.session.scalars(
            select(CheckIn).where(CheckIn.attendee_id.in_([a.id for a in attendees]),
                                  CheckIn.annulled_at.is_(None))
        )
    } if attendees else {}
    return [DeskMatch(a, active.get(a.id)) for a in attendees]


def get_attendee(event: Event, attendee_id: int) -> Attendee | None:
    return db.session.scalar(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.id == attendee_id)
    )


# --------------------------------------------------------------------------- walk-ins


@dataclass(frozen=True)
class WalkInResult:
    attendee: Attendee
    result: CheckInResult
    warnings: list[RowError]


def walk_in_id(event: Event) -> str:
    """The next free ``W001``-style id for a person registered at the desk."""
    taken = set(db.session.scalars(select(Attendee.ext_id).where(Attendee.event_id == event.id)))
    number = 1 + (db.session.scalar(
        select(func.count()).select_from(Attendee)
        .where(Attendee.event_id == event.id, Attendee.source == "walk-in")
    ) or 0)
    while f"W{number:03d}" in taken:
        number += 1
    return f"W{number:03d}"


def register_walk_in(event: Event, cells: dict[str, str], *, nonce: str, device: str = "",
                     staff_user: User | None = None, now: dt.datetime | None = None
                     ) -> WalkInResult:
    """Create an attendee typed in at the desk (held to the importer's rules, source
    ``walk-in``) and check them in. Submitting the same form twice (same ``nonce``) returns
    the first registration instead of creating the person again.

    Raises :class:`web.attendees.services.AttendeeRowInvalid` when the row is not valid.
    """
    nonce = valid_nonce(nonce)
    replay = _by_nonce(event, nonce)
    if replay is not None:
        return WalkInResult(replay.attendee, _replayed(event, replay, now), [])
    cells = {key: (value or "").strip() for key, value in cells.items()}
    cells["id"] = walk_in_id(event)
    attendee, warnings = validate_row(event, cells)
    for _ in range(MAX_ATTEMPTS):
        try:
            row = save_attendee(event, attendee, source="walk-in")
        except IntegrityError:
            # Two desks registered walk-ins at the same moment (same id or badge number).
            db.session.rollback()
            attendee = dataclasses.replace(attendee, id=walk_in_id(event))
            continue
        result = check_in_attendee(event, row, nonce=nonce, device=device,
                                   staff_user=staff_user, now=now)
        return WalkInResult(row, result, warnings)
    raise CheckInError("the walk-in could not be saved; try again")
