"""Domain types shared by the whole product.

Everything that crosses a package boundary (scheduler -> web, scheduler -> badges) is one of
these plain, immutable values. They carry no database identity and no I/O, so the scheduler,
the web app and the renderers can each be tested on their own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NotRequired, TypedDict


def normalise_company(company: str) -> str:
    """Key under which two attendees count as colleagues: trimmed, case-folded, inner spaces collapsed."""
    return " ".join(company.split()).casefold()


@dataclass(frozen=True)
class Attendee:
    """One registered person, as read from an attendee file or a registration form.

    ``available_rounds`` is ``None`` when the attendee is present for every round; otherwise it
    holds the 1-based rounds they can attend. ``offers`` and ``seeks`` hold canonical
    competency names (as spelled in the taxonomy when known).
    """

    id: str
    name: str
    company: str
    region: str
    partner_type: str
    offers: tuple[str, ...] = ()
    seeks: tuple[str, ...] = ()
    email: str = ""
    title: str = ""
    country: str = ""
    available_rounds: frozenset[int] | None = None
    must_meet: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    # The attendee's own wishes (ids of other attendees): "must" and "want" weigh in the
    # objective, mutual ones most; "no" forbids the pair as avoid does, from either side.
    wish_must: tuple[str, ...] = ()
    wish_want: tuple[str, ...] = ()
    wish_no: tuple[str, ...] = ()

    @property
    def company_key(self) -> str:
        return normalise_company(self.company)

    def is_available(self, round_number: int) -> bool:
        return self.available_rounds is None or round_number in self.available_rounds

    def rounds_present(self, rounds: int) -> list[int]:
        return [r for r in range(1, rounds + 1) if self.is_available(r)]


class AttendeeFields(TypedDict):
    """Every field of :class:`Attendee`, as a mutable draft: readers and generators fill one in
    over several passes (cross-row checks, availability, requests) before it is frozen with
    ``Attendee(**fields)``."""

    id: str
    name: str
    company: str
    region: str
    partner_type: str
    offers: tuple[str, ...]
    seeks: tuple[str, ...]
    email: str
    title: str
    country: str
    available_rounds: frozenset[int] | None
    must_meet: tuple[str, ...]
    avoid: tuple[str, ...]
    wish_must: NotRequired[tuple[str, ...]]
    wish_want: NotRequired[tuple[str, ...]]
    wish_no: NotRequired[tuple[str, ...]]


@dataclass(frozen=True)
class Taxonomy:
    """The vocabulary of an event: competencies, regions and partner types, in display order."""

    competencies: tuple[str, ...]
    regions: tuple[str, ...]
    partner_types: tuple[str, ...]


COMPANY_REPEAT_RULES = ("soft", "hard", "off")


@dataclass(frozen=True)
class ScoringWeights:
    """Weights of the pair score. Every term is visible in the reason text, so an organiser can
    reason about why two people meet.

    ``partner_type_fit`` maps an unordered pair of partner types, written ``"A|B"`` with the two
    names in alphabetical order, to a bonus (may be negative); pairs not listed score
    ``partner_type_default``.
    """

    offer_match: float = 10.0          # per competency A offers that B seeks (each direction)
    mutual_bonus: float = 8.0          # once, when complementarity runs both ways
    max_matches_counted: int = 3       # per direction; keeps one broad profile from dominating
    partner_type_fit: Mapping[str, float] = field(default_factory=dict)
    partner_type_default: float = 0.0
    region_bonus: float = 4.0          # cross-region by default; same-region when prefer_same_region
    prefer_same_region: bool = False
    competitor_penalty: float = 12.0   # same partner type, overlapping offers, same region
    must_meet_bonus: float = 0.0       # must-meet is handled as its own objective tier
    # Attendees' wishes, added to the pair score on top of the competency score. Each tier
    # exceeds the one below plus the highest competency score (80 with the default weights),
    # so a mutual Must outranks any one-sided Must, which outranks any mutual Want, which
    # outranks any one-sided Want, which outranks competencies alone (see
    # scheduler.scoring.wish_tiers_dominate). Mutual Musts are also planned in the must-meet
    # tier (above company repeats) while wish_must_mutual > 0. All zero: wishes are ignored in
    # a filled event (No still forbids; a requested-only event still requests mutual Musts).
    wish_must_mutual: float = 400.0
    wish_must: float = 300.0
    wish_want_mutual: float = 200.0
    wish_want: float = 100.0
    # One meeting per other company and attendee: "soft" whenever it costs no meeting and no
    # fairness, "hard" never more than one, "off" not considered. See COMPANY_REPEAT_RULES.
    company_repeats: str = "soft"


class MeetingsMode(StrEnum):
    """Which meetings an event plans.

    ``fill``: every round is filled with the best pairs the rules allow (partner speed
    networking, the default). ``requested``: only the requested pairs meet (B2B matchmaking,
    hosted-buyer programmes), each person with as compact a day as possible.
    """

    FILL = "fill"
    REQUESTED = "requested"


@dataclass(frozen=True)
class MeetingRequest:
    """One requested meeting in a ``requested``-only event, with what restricts its round.

    ``rounds`` is the session the request must be held in (``None``: any round);
    ``fixed_round`` pins it to one round, agreed in advance. Requests are unordered pairs.
    """

    a_id: str
    b_id: str
    rounds: frozenset[int] | None = None
    fixed_round: int | None = None

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.a_id, self.b_id))

    def allows(self, round_number: int) -> bool:
        """Whether the session and fixed round allow this round (availability aside)."""
        if self.fixed_round is not None and round_number != self.fixed_round:
            return False
        return self.rounds is None or round_number in self.rounds


@dataclass(frozen=True)
class Meeting:
    """Two attendees at one table in one round. ``a_id`` < ``b_id`` is not required; a pair is
    identified by :meth:`pair`."""

    round: int
    table: int
    a_id: str
    b_id: str
    score: float = 0.0
    reason: str = ""

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.a_id, self.b_id))

    def partner_of(self, attendee_id: str) -> str:
        if attendee_id == self.a_id:
            return self.b_id
        if attendee_id == self.b_id:
            return self.a_id
        raise KeyError(attendee_id)

    def involves(self, attendee_id: str) -> bool:
        return attendee_id in (self.a_id, self.b_id)


@dataclass(frozen=True)
class Schedule:
    """A complete plan: ``rounds`` rounds of at most ``tables`` meetings each."""

    rounds: int
    tables: int
    meetings: tuple[Meeting, ...]

    def by_round(self) -> dict[int, list[Meeting]]:
        grouped: dict[int, list[Meeting]] = {r: [] for r in range(1, self.rounds + 1)}
        for meeting in self.meetings:
            grouped.setdefault(meeting.round, []).append(meeting)
        for meetings in grouped.values():
            meetings.sort(key=lambda m: m.table)
        return grouped

    def for_attendee(self, attendee_id: str) -> list[Meeting]:
        return sorted((m for m in self.meetings if m.involves(attendee_id)), key=lambda m: m.round)

    def by_attendee(self) -> dict[str, list[Meeting]]:
        grouped: dict[str, list[Meeting]] = defaultdict(list)
        for meeting in sorted(self.meetings, key=lambda m: (m.round, m.table)):
            grouped[meeting.a_id].append(meeting)
            grouped[meeting.b_id].append(meeting)
        return dict(grouped)

    @property
    def total_score(self) -> float:
        return sum(m.score for m in self.meetings)

    def __iter__(self) -> Iterator[Meeting]:
        return iter(sorted(self.meetings, key=lambda m: (m.round, m.table)))


@dataclass(frozen=True)
class Break:
    """A pause inserted after ``after_round`` (1-based) lasting ``minutes``."""

    after_round: int
    minutes: int


@dataclass(frozen=True)
class Timetable:
    """When each round happens, in the event's local time zone.

    Shared by the web pages, calendar files, printed agendas and the room display so that every
    place shows the same times. ``delay_minutes`` shifts every round that has not started yet
    when the organiser delays the session.
    """

    start: dt.datetime                 # local start of round 1 (naive or tz-aware)
    round_minutes: int
    changeover_minutes: int
    rounds: int
    breaks: tuple[Break, ...] = ()
    timezone: str = "UTC"

    def round_start(self, round_number: int) -> dt.datetime:
        if not 1 <= round_number <= self.rounds:
            raise ValueError(f"round {round_number} is outside 1..{self.rounds}")
        minutes = (round_number - 1) * (self.round_minutes + self.changeover_minutes)
        minutes += sum(b.minutes for b in self.breaks if b.after_round < round_number)
        return self.start + dt.timedelta(minutes=minutes)

    def round_end(self, round_number: int) -> dt.datetime:
        return self.round_start(round_number) + dt.timedelta(minutes=self.round_minutes)

    def slots(self) -> list[tuple[int, dt.datetime, dt.datetime]]:
        return [(r, self.round_start(r), self.round_end(r)) for r in range(1, self.rounds + 1)]

    @property
    def end(self) -> dt.datetime:
        return self.round_end(self.rounds)


@dataclass(frozen=True)
class EventInfo:
    """What printed and published material says about the event itself."""

    name: str
    timetable: Timetable
    venue: str = ""
    slug: str = ""
    table_labels: tuple[str, ...] = ()   # optional display labels; table n -> table_labels[n-1]

    def table_label(self, table: int) -> str:
        if 1 <= table <= len(self.table_labels) and self.table_labels[table - 1]:
            return self.table_labels[table - 1]
        return str(table)


def index_attendees(attendees: Iterable[Attendee]) -> dict[str, Attendee]:
    return {a.id: a for a in attendees}


def sorted_by_name(attendees: Sequence[Attendee]) -> list[Attendee]:
    return sorted(attendees, key=lambda a: (a.name.casefold(), a.id))
