"""The organisers' view of demand: wishes given and granted by the published plan, the most
wished-for people, who got none of their wishes, and what is sought but offered by nobody.

Organisers only (the console page and the organiser API): this is the one place where
"who wished for whom" is counted, and it names people only as "most wished for" figures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from web.attendees.models import Attendee, attendees_of
from web.attendees.services import in_name_order
from web.attendees.wishes import MEETING_LEVELS, WishLevel, event_wishes
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleMeeting
from web.schedules.versions import in_rounds_and_tables_sql, published_version

#: How many people the "most wished for" list names.
TOP_WISHED = 10


@dataclass(frozen=True)
class Tally:
    """Wishes of one kind: how many were given and how many the published plan grants."""

    requested: int = 0
    granted: int = 0


@dataclass(frozen=True)
class Person:
    ext_id: str
    name: str
    company: str
    count: int = 0       # wishes received (most wished for) or given (nothing granted)


@dataclass
class Demand:
    """The demand page's figures. ``must``/``want`` count one-way wishes (the other person did
    not ask back); ``must_mutual``/``want_mutual`` count pairs who both asked (a pair counts as
    must-mutual when both said Must, want-mutual otherwise); ``no_pairs_met`` should be 0."""

    published: int | None                 # the published version's number
    must: Tally = Tally()
    want: Tally = Tally()
    must_mutual: Tally = Tally()
    want_mutual: Tally = Tally()
    no_given: int = 0
    no_pairs_met: int = 0
    most_wished: list[Person] = field(default_factory=list)
    none_granted: list[Person] = field(default_factory=list)
    unmet_competencies: list[str] = field(default_factory=list)
    solver: dict[str, Any] = field(default_factory=dict)   # the plan report's own figures, if any

    def as_dict(self) -> dict[str, Any]:
        def tally(t: Tally) -> dict[str, int]:
            return {"requested": t.requested, "granted": t.granted}

        def people(items: list[Person]) -> list[dict[str, Any]]:
            return [{"id": p.ext_id, "name": p.name, "company": p.company, "count": p.count} for p in items]

        return {"published_version": self.published, "must": tally(self.must), "want": tally(self.want),
                "must_mutual": tally(self.must_mutual), "want_mutual": tally(self.want_mutual),
                "no_given": self.no_given, "no_pairs_met": self.no_pairs_met,
                "most_wished": people(self.most_wished), "none_granted": people(self.none_granted),
                "unmet_competencies": list(self.unmet_competencies)}


def _met_pairs(event: Event) -> tuple[int | None, set[frozenset[int]], dict[str, Any]]:
    """Pairs (row ids) meeting in the published version within the event's rounds and tables,
    its number and the wish figures of its plan report (when the planner wrote them)."""
    version = published_version(event)
    if version is None:
        return None, set(), {}
    rows = db.session.execute(select(ScheduleMeeting.a_id, ScheduleMeeting.b_id).where(
        ScheduleMeeting.version_id == version.id, in_rounds_and_tables_sql(event.rounds, event.tables)))
    report = version.report if isinstance(version.report, dict) else {}
    solver = report.get("wishes")
    return version.number, {frozenset(pair) for pair in rows}, solver if isinstance(solver, dict) else {}


def demand_of(event: Event) -> Demand:
    """Every figure of the demand page, from the stored wishes and the published version."""
    number, met, solver = _met_pairs(event)
    wishes = event_wishes(event.id)
    level_of = {(a, b): level for a, b, level in wishes}
    counts: dict[str, list[int]] = {key: [0, 0] for key in ("must", "want", "must_mutual", "want_mutual")}
    received: Counter[int] = Counter()
    asked: dict[int, list[int]] = {}
    no_given = no_met = 0
    for (a, b), level in level_of.items():
        together = frozenset((a, b)) in met
        if level is WishLevel.NO:
            no_given += 1
            no_met += together
            continue
        received[b] += 1
        asked.setdefault(a, []).append(b)
        back = level_of.get((b, a))
        if back in MEETING_LEVELS:
            if a > b:
                continue  # a mutual pair counts once
            key = "must_mutual" if level is WishLevel.MUST and back is WishLevel.MUST else "want_mutual"
        else:
            key = str(level)
        counts[key][0] += 1
        counts[key][1] += together
    people = _people(event, set(received) | set(asked))
    most = sorted(received.items(), key=lambda item: -item[1])[:TOP_WISHED]
    starved = [a for a, partners in asked.items() if not any(frozenset((a, b)) in met for b in partners)]
    return Demand(
        published=number,
        must=Tally(*counts["must"]), want=Tally(*counts["want"]),
        must_mutual=Tally(*counts["must_mutual"]), want_mutual=Tally(*counts["want_mutual"]),
        no_given=no_given, no_pairs_met=no_met if number is not None else 0,
        most_wished=[_person(people[i], n) for i, n in most if i in people],
        none_granted=[_person(row, len(asked[row.id]))
                      for row in in_name_order(event, (people[i] for i in starved if i in people))]
        if number is not None else [],
        unmet_competencies=unmet_competencies(event),
        solver=solver,
    )


def _people(event: Event, ids: set[int]) -> dict[int, Attendee]:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(attendees_of(event.id).where(Attendee.id.in_(ids)))}


def _person(row: Attendee, count: int) -> Person:
    return Person(row.ext_id, row.name, row.company or "", count)


def unmet_competencies(event: Event) -> list[str]:
    """Competencies someone coming seeks that nobody coming offers (withdrawn and departed
    people left out), in the event's vocabulary order, then any others alphabetically."""
    rows = db.session.execute(attendees_of(event.id, Attendee.offers, Attendee.seeks).where(
        Attendee.withdrawn_at.is_(None), Attendee.left_at.is_(None)))
    offered: set[str] = set()
    sought: set[str] = set()
    for offers, seeks in rows:
        offered.update(offers or ())
        sought.update(seeks or ())
    missing = sought - offered
    known = [name for name in event.taxonomy_obj().competencies if name in missing]
    return known + sorted(missing - set(known))
