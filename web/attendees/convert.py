"""The one place where attendee rows and :class:`scheduler.domain.Attendee` meet.

The database keeps availability and id lists as the short text an organiser types
(``1-4;7-10``, ``A12;B7``), the domain type as sets and tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from scheduler.domain import Attendee as DomainAttendee
from scheduler.importer import format_rounds as importer_format_rounds

LIST_SEPARATOR = ";"


def split_list(text: str | None) -> tuple[str, ...]:
    """``"a; b;;c"`` -> ``("a", "b", "c")``; commas are accepted too."""
    if not text:
        return ()
    parts = text.replace(",", LIST_SEPARATOR).split(LIST_SEPARATOR)
    return tuple(p.strip() for p in parts if p.strip())


def join_list(items: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(items)


def parse_rounds(text: str | None) -> frozenset[int] | None:
    """``"1-4;7"`` -> ``{1, 2, 3, 4, 7}``; empty -> ``None`` (present all session).

    Rows are validated by the importer before they are stored, so malformed text here is a
    programming error and raises ``ValueError``.
    """
    if text is None or not text.strip():
        return None
    rounds: set[int] = set()
    for part in split_list(text):
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            if low > high:
                raise ValueError(f"bad round range {part!r}")
            rounds.update(range(low, high + 1))
        else:
            rounds.add(int(part))
    return frozenset(rounds)


def format_rounds(rounds: Iterable[int] | None) -> str | None:
    """``{1, 2, 3, 4, 7}`` -> ``"1-4;7"`` (the importer's spelling); ``None`` stays ``None``."""
    if rounds is None:
        return None
    return importer_format_rounds(rounds)


class AttendeeFields(Protocol):
    """What :func:`row_to_domain` reads: an attendee row, or anything shaped like one."""

    @property
    def ext_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def company(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def partner_type(self) -> str | None: ...
    @property
    def offers(self) -> Sequence[str] | None: ...
    @property
    def seeks(self) -> Sequence[str] | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def country(self) -> str | None: ...
    @property
    def available_rounds(self) -> str | None: ...
    @property
    def must_meet(self) -> str | None: ...
    @property
    def avoid(self) -> str | None: ...


@dataclass(frozen=True)
class WishLists:
    """One attendee's wishes as the domain attendee carries them (ext ids of other attendees):
    stored apart from the row (``web.attendees.wishes``) and read once per plan."""

    must: tuple[str, ...] = ()
    want: tuple[str, ...] = ()
    no: tuple[str, ...] = ()


def row_to_domain(row: AttendeeFields, wishes: WishLists | None = None) -> DomainAttendee:
    """Attendee row (or anything with the same attributes) -> domain attendee. ``wishes``
    (the planner passes them) fill ``wish_must``/``wish_want``/``wish_no``; every other reader
    leaves them out, so no page, export or score shown to an attendee carries anyone's wishes."""
    wishes = wishes or WishLists()
    return DomainAttendee(
        id=row.ext_id,
        name=row.name,
        company=row.company or "",
        region=row.region or "",
        partner_type=row.partner_type or "",
        offers=tuple(row.offers or ()),
        seeks=tuple(row.seeks or ()),
        email=row.email or "",
        title=row.title or "",
        country=row.country or "",
        available_rounds=parse_rounds(row.available_rounds),
        must_meet=split_list(row.must_meet),
        avoid=split_list(row.avoid),
        wish_must=wishes.must,
        wish_want=wishes.want,
        wish_no=wishes.no,
    )


# Fields copied from a domain attendee onto a row (everything the attendee file carries).
DOMAIN_FIELDS = (
    "name", "email", "company", "title", "region", "country", "partner_type",
    "offers", "seeks", "available_rounds", "must_meet", "avoid",
)


def domain_values(attendee: DomainAttendee) -> dict[str, object]:
    """Column values for a row, from a domain attendee (ext_id excluded)."""
    return {
        "name": attendee.name,
        "email": attendee.email,
        "company": attendee.company,
        "title": attendee.title,
        "region": attendee.region,
        "country": attendee.country,
        "partner_type": attendee.partner_type,
        "offers": list(attendee.offers),
        "seeks": list(attendee.seeks),
        "available_rounds": format_rounds(attendee.available_rounds),
        "must_meet": join_list(attendee.must_meet),
        "avoid": join_list(attendee.avoid),
    }


def apply_domain(row: object, attendee: DomainAttendee) -> list[str]:
    """Copy a domain attendee's values onto a row; return the names of fields that changed."""
    changed = []
    for field, value in domain_values(attendee).items():
        if getattr(row, field) != value:
            setattr(row, field, value)
            changed.append(field)
    return changed
