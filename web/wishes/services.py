"""The directory and attendees' wishes, testable without a request.

An attendee opts in to the event's directory on their personal page (never by default); the
directory lists only people who did, and who are not withdrawn. On anyone listed an attendee
marks Must, Want or No, within the event's limits and until its closing time. Every answer
here is about the viewer's own wishes: nothing says who wished for the viewer, and the
"suggested for you" order is the pair score of the two profiles with every wish, must-meet and
avoid left out, so it cannot reveal them either.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import delete, select

from badges.names import fold
from scheduler.domain import Attendee as DomainAttendee
from scheduler.scoring import pair_terms, why_not_allowed
from web.attendees.models import LOOKING_FOR_MAX, Attendee, attendees_of
from web.attendees.services import in_name_order
from web.attendees.wishes import LIMITED_LEVELS, Wish, WishLevel, wishes_given
from web.events.clock import in_event_zone
from web.events.models import Event
from web.extensions import db

#: How many people "suggested for you" shows.
SUGGESTIONS = 5


# --------------------------------------------------------------------------- the listing


def is_listed(row: Attendee) -> bool:
    """In the directory: opted in, and not withdrawn."""
    return row.directory_listed_at is not None and row.withdrawn_at is None


def clean_looking_for(text: str | None) -> str:
    """The "what I am looking for" line: one line (breaks and runs of spaces become one space),
    at most ``LOOKING_FOR_MAX`` characters."""
    return " ".join((text or "").split())[:LOOKING_FOR_MAX]


def set_listing(attendee: Attendee, listed: bool, looking_for: str | None, now: dt.datetime) -> None:
    """Opt in (recorded with the time, kept while staying in) or out (off the directory at
    once), with the attendee's line; commits."""
    if listed and attendee.directory_listed_at is None:
        attendee.directory_listed_at = now
    elif not listed:
        attendee.directory_listed_at = None
    attendee.looking_for = clean_looking_for(looking_for)
    db.session.commit()


@dataclass(frozen=True)
class Filters:
    """What the directory's viewer narrowed it to (empty = everyone)."""

    competency: str = ""
    partner_type: str = ""
    region: str = ""
    q: str = ""

    @property
    def any(self) -> bool:
        return bool(self.competency or self.partner_type or self.region or self.q.strip())

    def keeps(self, row: Attendee) -> bool:
        if self.competency and self.competency not in (row.offers or ()) and self.competency not in (row.seeks or ()):
            return False
        if self.partner_type and row.partner_type != self.partner_type:
            return False
        if self.region and row.region != self.region:
            return False
        words = fold(self.q).split()
        if words:
            text = fold(" ".join((row.name, row.company or "", row.looking_for or "", *(row.offers or ()),
                                  *(row.seeks or ()))))
            return all(word in text for word in words)
        return True


@dataclass(frozen=True)
class Entry:
    """One person in the directory as the viewer sees them, with the viewer's own wish."""

    ext_id: str
    name: str
    company: str
    partner_type: str
    region: str
    offers: tuple[str, ...]
    seeks: tuple[str, ...]
    looking_for: str
    wish: WishLevel | None


@dataclass(frozen=True)
class Directory:
    """The directory page's content for one viewer."""

    entries: list[Entry]
    suggested: list[Entry]
    total: int               # everyone listed (but the viewer), before the filters


def listed_rows(event: Event) -> list[Attendee]:
    """Everyone in the event's directory, in the event's name order."""
    rows = db.session.scalars(attendees_of(event.id).where(Attendee.directory_listed_at.is_not(None),
                                                           Attendee.withdrawn_at.is_(None)))
    return in_name_order(event, rows)


def _entry(row: Attendee, wish: WishLevel | None) -> Entry:
    return Entry(row.ext_id, row.name, row.company or "", row.partner_type or "", row.region or "",
                 tuple(row.offers or ()), tuple(row.seeks or ()), row.looking_for or "", wish)


def _profile(row: Attendee) -> DomainAttendee:
    """The domain attendee of a profile alone: no wishes (``to_domain`` adds none), no
    organiser's must-meet or avoid, so a score says nothing about anyone's choices."""
    return replace(row.to_domain(), must_meet=(), avoid=())


def suggestion_order(event: Event, viewer: Attendee, rows: Iterable[Attendee]) -> list[Attendee]:
    """``rows`` the viewer may meet, best pair score first (ties in the given order):
    colleagues (same company) and people sharing no round with the viewer are left out."""
    weights = event.scoring_weights()
    me = _profile(viewer)
    scored = []
    for position, row in enumerate(rows):
        other = _profile(row)
        if why_not_allowed(me, other) is not None:
            continue
        scored.append((-pair_terms(me, other, weights).score, position, row))
    return [row for _score, _position, row in sorted(scored, key=lambda item: item[:2])]


def directory_for(viewer: Attendee, filters: Filters = Filters(), suggestions: int = SUGGESTIONS) -> Directory:
    """The directory as ``viewer`` sees it: everyone listed but themselves (filtered), their
    own wish on each, and the best pairs for them among those not yet wished for."""
    event = viewer.event
    others = [row for row in listed_rows(event) if row.id != viewer.id]
    mine = wishes_given(viewer.id)
    entries = [_entry(row, mine.get(row.id)) for row in others if filters.keeps(row)]
    unwished = [row for row in others if row.id not in mine]
    suggested = [_entry(row, None) for row in suggestion_order(event, viewer, unwished)[:suggestions]]
    return Directory(entries, suggested, len(others))


def vocabulary(event: Event) -> dict[str, tuple[str, ...]]:
    """The filter choices: the event's competencies, partner types and regions."""
    taxonomy = event.taxonomy_obj()
    return {"competency": taxonomy.competencies, "partner_type": taxonomy.partner_types,
            "region": taxonomy.regions}


# --------------------------------------------------------------------------- wishes


class WishRefused(ValueError):
    """A wish the event's rules do not take; the message names the limit or the closing time."""


def limit_of(event: Event, level: WishLevel) -> int | None:
    """How many wishes of ``level`` one attendee may give (None: no limit, as for No)."""
    if level is WishLevel.MUST:
        return int(event.wish_must_limit)
    if level is WishLevel.WANT:
        return int(event.wish_want_limit)
    return None


def wishes_closed(event: Event, now: dt.datetime) -> bool:
    return event.wishes_close_at is not None and now >= event.wishes_close_at


def closing_label(event: Event) -> str:
    """The closing time as the venue's clock shows it, e.g. ``Thursday 12 June 2031, 09:00``."""
    if event.wishes_close_at is None:
        return ""
    local = in_event_zone(event.timezone, event.wishes_close_at)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M}"


@dataclass(frozen=True)
class Allowance:
    """One level's limit as the viewer reads it: "2 of 3 left"."""

    level: WishLevel
    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


def allowances(event: Event, given: Mapping[int, WishLevel]) -> list[Allowance]:
    counts = {level: sum(1 for v in given.values() if v is level) for level in LIMITED_LEVELS}
    return [Allowance(level, counts[level], limit_of(event, level) or 0) for level in LIMITED_LEVELS]


def _check(event: Event, before: Mapping[int, WishLevel], after: Mapping[int, WishLevel],
           now: dt.datetime) -> None:
    """Refuse a change after the closing time, or one that gives more of a level than the
    event allows (a list already over a lowered limit may still shrink)."""
    if dict(before) == dict(after):
        return
    if wishes_closed(event, now):
        raise WishRefused(f"Wishes closed on {closing_label(event)}; they can no longer change.")
    for level in LIMITED_LEVELS:
        limit = limit_of(event, level) or 0
        count = sum(1 for v in after.values() if v is level)
        if count > limit and count > sum(1 for v in before.values() if v is level):
            raise WishRefused(f"You may give at most {limit} “{LEVEL_LABELS[level]}” wish"
                              f"{'' if limit == 1 else 'es'}.")


LEVEL_LABELS = {WishLevel.MUST: "Must meet", WishLevel.WANT: "Want to meet", WishLevel.NO: "Rather not"}


def _partners(viewer: Attendee, ext_ids: Iterable[str]) -> dict[str, Attendee]:
    """The event's attendees with these ext ids (the viewer left out)."""
    ids = sorted(set(ext_ids))
    if not ids:
        return {}
    rows = db.session.scalars(attendees_of(viewer.event_id).where(Attendee.ext_id.in_(ids),
                                                                   Attendee.id != viewer.id))
    return {row.ext_id: row for row in rows}


def _store(viewer: Attendee, before: Mapping[int, WishLevel], after: Mapping[int, WishLevel],
           now: dt.datetime) -> None:
    """Write the difference and commit."""
    gone = [pid for pid in before if pid not in after or after[pid] is not before[pid]]
    if gone:
        db.session.execute(delete(Wish).where(Wish.attendee_id == viewer.id, Wish.partner_id.in_(gone)))
    for pid, level in after.items():
        if before.get(pid) is not level:
            db.session.add(Wish(event_id=viewer.event_id, attendee_id=viewer.id, partner_id=pid,
                                level=str(level), created_at=now))
    db.session.commit()


def set_wish(viewer: Attendee, partner_ext_id: str, level: WishLevel | None, now: dt.datetime) -> None:
    """Give (or with ``None`` take back) one wish about someone in the directory. A new wish
    must name someone listed; one on a person who has left the directory may still be taken
    back. Raises :class:`WishRefused`."""
    before = wishes_given(viewer.id)
    partner = _partners(viewer, [partner_ext_id]).get(partner_ext_id)
    if partner is None or (level is not None and partner.id not in before and not is_listed(partner)):
        raise WishRefused(f"{partner_ext_id} is not in the directory.")
    after = dict(before)
    if level is None:
        after.pop(partner.id, None)
    else:
        after[partner.id] = level
    _check(viewer.event, before, after, now)
    _store(viewer, before, after, now)


def replace_wishes(viewer: Attendee, wishes: Iterable[tuple[str, WishLevel]], now: dt.datetime) -> None:
    """Replace the viewer's whole list (the API's PUT): every id must be someone listed (or
    already wished for), each named once. Raises :class:`WishRefused`."""
    pairs = list(wishes)
    names = [ext_id for ext_id, _level in pairs]
    twice = sorted({ext_id for ext_id in names if names.count(ext_id) > 1})
    if twice:
        raise WishRefused(f"Each person once: {', '.join(twice)} named more than once.")
    before = wishes_given(viewer.id)
    partners = _partners(viewer, names)
    unknown = [ext_id for ext_id in names
               if ext_id not in partners or (partners[ext_id].id not in before and not is_listed(partners[ext_id]))]
    if unknown:
        raise WishRefused(f"Not in the directory: {', '.join(unknown)}.")
    after = {partners[ext_id].id: level for ext_id, level in pairs}
    _check(viewer.event, before, after, now)
    _store(viewer, before, after, now)


@dataclass(frozen=True)
class MyWish:
    """One of the viewer's own wishes, for their list and the API."""

    ext_id: str
    name: str
    company: str
    level: WishLevel


def my_wishes(viewer: Attendee) -> list[MyWish]:
    """The viewer's wishes, Must first, then Want, then No, each in name order."""
    given = wishes_given(viewer.id)
    if not given:
        return []
    rows = in_name_order(viewer.event, db.session.scalars(select(Attendee).where(Attendee.id.in_(list(given)))))
    order = list(WishLevel)
    found = [MyWish(row.ext_id, row.name, row.company or "", given[row.id]) for row in rows]
    return sorted(found, key=lambda wish: order.index(wish.level))
