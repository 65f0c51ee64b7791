"""The check-in desk: finding people by name, company or id (accents and case ignored;
never by e-mail address, which the desk does not show and so must not confirm), registering
walk-ins, who are checked in at once, and correcting a walk-in's details (by the staff
account that registered them, or an organiser)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from badges.names import fold, name_sort_key
from scheduler.importer import RowError
from web.attendees.checkins import CheckIn
from web.attendees.convert import format_rounds, parse_rounds
from web.attendees.models import Attendee, AttendeeSource, attendees_of
from web.attendees.services import first_free_id, form_cells, save_attendee, validate_row
from web.auth.models import Role
from web.checkin.services import (
    MAX_ATTEMPTS,
    CheckInError,
    CheckInResult,
    Staff,
    check_in_attendee,
    entry_for_nonce,
)
from web.events.clock import first_open_round, round_instants
from web.events.models import Event
from web.extensions import db


@dataclass(frozen=True)
class DeskMatch:
    attendee: Attendee
    checkin: CheckIn | None  # the active check-in, if any


def _desk_haystack(name: str, company: str, ext_id: str) -> str:
    """What a desk query is matched against: what the desk shows, nothing more. An e-mail
    address is left out on purpose: a match on a hidden field would let anyone at the desk
    confirm that an address belongs to an attendee."""
    return " ".join((fold(name), fold(company), ext_id.casefold()))


def search_desk(event: Event, query: str, limit: int = 25) -> list[DeskMatch]:
    """People matching a name, company or id typed at the desk, with their check-in.

    Matching ignores accents and case ("Muller" finds "Müller", "francois" finds "François"),
    each typed word anywhere: a desk keyboard rarely has the accents, and a miss would offer a
    duplicate walk-in. The folding runs in Python over the three columns (no database-specific
    collation), so SQLite and PostgreSQL answer alike; results come in the event's name order.
    E-mail addresses are never matched (see :func:`_desk_haystack`).
    """
    words = fold(query).split()
    if not words:
        return []
    order = event.name_order or "family"
    candidates = db.session.execute(
        attendees_of(event.id, Attendee.id, Attendee.name, Attendee.company, Attendee.ext_id)
    ).all()
    found = [row for row in candidates
             if all(word in _desk_haystack(row.name, row.company, row.ext_id) for word in words)]
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


def open_rounds(event: Event, now: dt.datetime) -> list[tuple[int, str]]:
    """The rounds that have not started at ``now``, with their local start (``"14:20"``):
    what a walk-in can still attend, by the event clock (delays and a started clock included)."""
    first = first_open_round(event, now)
    if first is None:
        return []
    return [(number, f"{start:%H:%M}") for number, start, _end in round_instants(event.timetable())
            if number >= first]


def availability_cell(event: Event, chosen: list[int] | None, now: dt.datetime,
                      previous: str | None = None) -> str:
    """The ``available_rounds`` cell (the importer's ``1-4;7``) for a desk answer.

    ``chosen`` is the rounds ticked, or ``None`` for "all rounds from now": the rounds still to
    come. Rounds that have started are not the desk's to change: a new walk-in was not there
    for them, and a correction keeps what ``previous`` (the stored cell) said about them. Every
    round comes back as an empty cell, the importer's "present all session"; so does no round
    at all (a walk-in after the last round started: there is nothing left to plan for them).
    """
    upcoming = {number for number, _start in open_rounds(event, now)}
    future = upcoming if chosen is None else set(chosen) & upcoming
    if previous is None:
        past: set[int] = set()
    else:
        stored = parse_rounds(previous)
        past = (set(range(1, event.rounds + 1)) if stored is None else set(stored)) - upcoming
    rounds = past | future
    if not rounds or rounds >= set(range(1, event.rounds + 1)):
        return ""
    return format_rounds(rounds) or ""


def chosen_rounds_of(event: Event, row: Attendee, now: dt.datetime) -> list[int] | None:
    """A stored walk-in's rounds still to come as the form shows them: ``None`` when they
    attend every one of them ("all rounds from now"), else the ones they attend."""
    upcoming = [number for number, _start in open_rounds(event, now)]
    stored = parse_rounds(row.available_rounds)
    if stored is None or set(upcoming) <= stored:
        return None
    return [number for number in upcoming if number in stored]


def register_walk_in(event: Event, cells: dict[str, str], *, nonce: str, device: str = "",
                     staff_user: Staff | None = None, now: dt.datetime | None = None
                     ) -> WalkInResult:
    """Create an attendee typed in at the desk (held to the importer's rules, source
    ``walk-in``, ``registered_by`` the staff account) and check them in. Submitting the same
    form twice (same ``nonce``) returns the first registration instead of creating the
    person again.

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
        if staff_user is not None:
            row.registered_by_id = staff_user.id
            db.session.commit()
        result = check_in_attendee(event, row, nonce=nonce, device=device,
                                   staff_user=staff_user, now=now)
        return WalkInResult(row, result, warnings)
    raise CheckInError("the walk-in could not be saved; try again")


# --------------------------------------------------------------------------- corrections


class NotYourWalkIn(Exception):
    """Staff may correct only the walk-ins they registered (organisers: any walk-in)."""


def may_correct(row: Attendee, user: Staff) -> bool:
    """Whether ``user`` may correct ``row`` at the desk: a walk-in they registered, or any
    walk-in for an organiser. Everyone else goes through the organiser's attendee page."""
    if row.source != AttendeeSource.WALK_IN:
        return False
    return user.role == Role.ORGANISER or (row.registered_by_id is not None and row.registered_by_id == user.id)


def correct_walk_in(event: Event, row: Attendee, cells: dict[str, str], *, user: Staff
                    ) -> list[RowError]:
    """Store corrected desk answers for a walk-in (held to the importer's rules); badges and
    agendas are drawn from the row, so the next print shows the new values.

    ``cells`` holds the desk form's columns and ``available_rounds`` as the form chose it
    (see :func:`availability_cell`); everything else on the row (id, title, must-meet, ...)
    stays. Returns the importer's warnings; raises :class:`NotYourWalkIn`, or
    :class:`web.attendees.services.AttendeeRowInvalid` when the row is not valid.
    """
    if not may_correct(row, user):
        raise NotYourWalkIn(row.name)
    merged = {**form_cells(row), **{key: (value or "").strip() for key, value in cells.items()}}
    merged["id"] = row.ext_id
    attendee, warnings = validate_row(event, merged, editing=row)
    save_attendee(event, attendee, row)
    return warnings
