"""The check-in desk: finding people by name, company, e-mail or id (accents and case
ignored), and registering walk-ins, who are checked in at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from badges.names import fold, name_sort_key
from scheduler.importer import RowError
from web.attendees.checkins import CheckIn
from web.attendees.models import Attendee, AttendeeSource, attendees_of
from web.attendees.services import first_free_id, save_attendee, validate_row
from web.checkin.services import (
    MAX_ATTEMPTS,
    CheckInError,
    CheckInResult,
    Staff,
    check_in_attendee,
    entry_for_nonce,
)
from web.events.models import Event
from web.extensions import db


@dataclass(frozen=True)
class DeskMatch:
    attendee: Attendee
    checkin: CheckIn | None  # the active check-in, if any


def _desk_haystack(name: str, company: str, email: str | None, ext_id: str) -> str:
    return " ".join((fold(name), fold(company), (email or "").casefold(), ext_id.casefold()))


def search_desk(event: Event, query: str, limit: int = 25) -> list[DeskMatch]:
    """People matching a name, company, e-mail or id typed at the desk, with their check-in.

    Matching ignores accents and case ("Muller" finds "Müller", "francois" finds "François"),
    each typed word anywhere: a desk keyboard rarely has the accents, and a miss would offer a
    duplicate walk-in. The folding runs in Python over the four columns (no database-specific
    collation), so SQLite and PostgreSQL answer alike; results come in the event's name order.
    """
    words = fold(query).split()
    if not words:
        return []
    order = event.name_order or "family"
    candidates = db.session.execute(
        attendees_of(event.id, Attendee.id, Attendee.name, Attendee.company, Attendee.email, Attendee.ext_id)
    ).all()
    found = [row for row in candidates
             if all(word in _desk_haystack(row.name, row.company, row.email, row.ext_id) for word in words)]
    found.sort(key=lambda row: (*name_sort_key(row.name, order), row.ext_id))
    ids = [row.id for row in found[:limit]]
    if not ids:
        return []
    by_id = {a.id: a for a in db.session.scalars(select(Attendee).where(Attendee.id.in_(ids)))}
    active = {
        c.attendee_id: c for c in db.session.scalars(
            select(CheckIn).where(CheckIn.attendee_id.in_(ids), CheckIn.active)
        )
    }
    return [DeskMatch(by_id[i], active.get(i)) for i in ids]


# --------------------------------------------------------------------------- walk-ins


@dataclass(frozen=True)
class WalkInResult:
    attendee: Attendee
    result: CheckInResult
    warnings: list[RowError]


def walk_in_id(event: Event) -> str:
    """The next free ``W001``-style id for a person registered at the desk."""
    number = 1 + (db.session.scalar(
        attendees_of(event.id, func.count()).where(Attendee.source == AttendeeSource.WALK_IN)
    ) or 0)
    return first_free_id(event, "W", number, 3)


def register_walk_in(event: Event, cells: dict[str, str], *, nonce: str, device: str = "",
                     staff_user: Staff | None = None, now: dt.datetime | None = None
                     ) -> WalkInResult:
    """Create an attendee typed in at the desk (held to the importer's rules, source
    ``walk-in``) and check them in. Submitting the same form twice (same ``nonce``) returns
    the first registration instead of creating the person again.

    Raises :class:`web.attendees.services.AttendeeRowInvalid` when the row is not valid.
    """
    replay = entry_for_nonce(event, nonce)
    if replay is not None:
        row = db.session.get_one(Attendee, replay.attendee_id)
        return WalkInResult(row, check_in_attendee(event, row, nonce=nonce, device=device,
                                                   staff_user=staff_user, now=now), [])
    cells = {key: (value or "").strip() for key, value in cells.items()}
    cells["id"] = walk_in_id(event)
    attendee, warnings = validate_row(event, cells)
    for _ in range(MAX_ATTEMPTS):
        try:
            row = save_attendee(event, attendee, source=AttendeeSource.WALK_IN)
        except IntegrityError:
            # Two desks registered walk-ins at the same moment (same id or badge number).
            db.session.rollback()
            attendee = dataclasses.replace(attendee, id=walk_in_id(event))
            continue
        result = check_in_attendee(event, row, nonce=nonce, device=device,
                                   staff_user=staff_user, now=now)
        return WalkInResult(row, result, warnings)
    raise CheckInError("the walk-in could not be saved; try again")
