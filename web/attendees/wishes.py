"""Attendees' wishes: whom one attendee asks to meet (Must, Want) or not to meet (No).

The wishes feature (:mod:`web.wishes`) writes them from the directory; they are stored here,
with the attendees they join, because the planner below that feature reads them directly when
it builds the domain attendees (:func:`wish_lists_of`, passed to ``Attendee.to_domain``).

Wishes are private: only the one who gave a wish sees it, except that a wish both people gave
each other is "mutual" (:func:`mutual_partner_ids`) and named in both agendas. Nothing in this
module answers "who wished for me" to anyone but the organisers' demand figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, and_, select
from sqlalchemy.orm import Mapped, aliased, mapped_column

from web.attendees.convert import WishLists
from web.attendees.models import Attendee
from web.extensions import Model, db
from web.types import UTCDateTime, utcnow


class WishLevel(StrEnum):
    """How much one attendee wants to meet another: Must and Want weigh in the plan's score
    (mutual ones most), No forbids the pair whoever gave it."""

    MUST = "must"
    WANT = "want"
    NO = "no"


#: The levels an organiser limits per attendee (``Event.wish_must_limit``, ``wish_want_limit``).
LIMITED_LEVELS = (WishLevel.MUST, WishLevel.WANT)
#: Levels that ask for a meeting (a mutual wish is two of these, one each way).
MEETING_LEVELS = (WishLevel.MUST, WishLevel.WANT)


class Wish(Model):
    """One attendee's wish about one other attendee of the same event (one row per pair and
    direction: giving another level replaces it)."""

    __tablename__ = "wishes"
    __table_args__ = (
        UniqueConstraint("attendee_id", "partner_id"),
        CheckConstraint(f"level IN ({', '.join(repr(str(level)) for level in WishLevel)})", name="level"),
        CheckConstraint("attendee_id <> partner_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("attendees.id", ondelete="CASCADE"), index=True)
    level: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Wish {self.attendee_id}->{self.partner_id} {self.level}>"


def wishes_given(attendee_id: int) -> dict[int, WishLevel]:
    """The wishes one attendee gave: partner row id -> level."""
    rows = db.session.execute(select(Wish.partner_id, Wish.level).where(Wish.attendee_id == attendee_id))
    return {partner: WishLevel(level) for partner, level in rows}


def event_wishes(event_id: int) -> list[tuple[int, int, WishLevel]]:
    """Every wish of an event as ``(from row id, to row id, level)`` (the planner, the demand
    figures)."""
    rows = db.session.execute(select(Wish.attendee_id, Wish.partner_id, Wish.level)
                              .where(Wish.event_id == event_id).order_by(Wish.id))
    return [(a, b, WishLevel(level)) for a, b, level in rows]


def wish_lists_of(event_id: int) -> dict[int, WishLists]:
    """Each attendee's wishes as the ext ids the domain attendee carries (``wish_must``,
    ``wish_want``, ``wish_no``), by attendee row id: one query for a whole plan."""
    partner = aliased(Attendee)
    rows = db.session.execute(
        select(Wish.attendee_id, Wish.level, partner.ext_id)
        .join(partner, partner.id == Wish.partner_id)
        .where(Wish.event_id == event_id).order_by(Wish.id))
    found: dict[int, dict[WishLevel, list[str]]] = {}
    for attendee_id, level, ext_id in rows:
        found.setdefault(attendee_id, {}).setdefault(WishLevel(level), []).append(ext_id)
    return {attendee_id: WishLists(must=tuple(lists.get(WishLevel.MUST, ())),
                                   want=tuple(lists.get(WishLevel.WANT, ())),
                                   no=tuple(lists.get(WishLevel.NO, ())))
            for attendee_id, lists in found.items()}


def mutual_pairs(event_id: int) -> set[frozenset[str]]:
    """Every pair (ext ids) of the event who both asked to meet each other: what printed
    agendas name, each to the two people concerned."""
    asked = {(a, b) for a, b, level in event_wishes(event_id) if level in MEETING_LEVELS}
    pairs = {frozenset((a, b)) for a, b in asked if (b, a) in asked}
    if not pairs:
        return set()
    ids = {row_id for pair in pairs for row_id in pair}
    ext = {row_id: ext_id for row_id, ext_id in db.session.execute(
        select(Attendee.id, Attendee.ext_id).where(Attendee.id.in_(ids)))}
    return {frozenset(ext[i] for i in pair) for pair in pairs}


def mutual_partner_ids(attendee_id: int, among: Iterable[int] | None = None) -> set[int]:
    """Row ids of the people this attendee asked to meet (Must or Want) who asked to meet them
    too: the one fact about others' wishes an attendee may learn ("You both asked to meet").
    ``among`` limits the answer (an agenda's partners)."""
    mine, theirs = aliased(Wish), aliased(Wish)
    query = (select(mine.partner_id)
             .join(theirs, and_(theirs.attendee_id == mine.partner_id, theirs.partner_id == mine.attendee_id))
             .where(mine.attendee_id == attendee_id, mine.level.in_([str(x) for x in MEETING_LEVELS]),
                    theirs.level.in_([str(x) for x in MEETING_LEVELS])))
    if among is not None:
        query = query.where(mine.partner_id.in_(list(among)))
    return set(db.session.scalars(query))
