"""Event-day re-plan: no-shows out, late arrivals in, as little change as possible.

Rounds before ``from_round`` have been held (or announced) and are kept exactly. The rest is
planned again for the attendees present, with the previous plan as the preferred answer: its
meetings between attendees still present earn a stability bonus and keep their round and table
where they can. ``changes`` lists what an organiser has to announce.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Sequence

from scheduler.domain import Attendee, Schedule, ScoringWeights
from scheduler.solver import DEFAULT_STABILITY_BONUS, PlanRequest, PlanResult, ProgressCallback, plan


@dataclass(frozen=True)
class Change:
    """One difference between the previous and the new plan, from ``from_round`` on.

    ``kind`` is ``"removed"``, ``"added"`` or ``"moved"``; ``before``/``after`` are
    ``(round, table)`` or ``None``.
    """

    kind: str
    a_id: str
    b_id: str
    before: tuple[int, int] | None
    after: tuple[int, int] | None
    note: str = ""

    def __str__(self) -> str:
        where = lambda slot: f"round {slot[0]} table {slot[1]}" if slot else ""  # noqa: E731
        if self.kind == "moved":
            text = f"{self.a_id} + {self.b_id} moved from {where(self.before)} to {where(self.after)}"
        elif self.kind == "removed":
            text = f"{self.a_id} + {self.b_id} removed from {where(self.before)}"
        else:
            text = f"{self.a_id} + {self.b_id} added at {where(self.after)}"
        return f"{text} ({self.note})" if self.note else text


def replan(previous: Schedule, attendees_present: Sequence[Attendee], from_round: int,
           weights: ScoringWeights, time_limit: float = 10.0, *, registered: Sequence[Attendee] = (),
           tables: int | None = None, seed: int = 0, stability_bonus: int = DEFAULT_STABILITY_BONUS,
           progress: ProgressCallback | None = None,
           cancel: threading.Event | None = None) -> tuple[PlanResult, list[Change]]:
    """Re-plan rounds ``from_round``.. for ``attendees_present``.

    ``registered`` may list everyone registered; those not present are kept only for the held
    rounds (so held meetings with today's no-shows still name real people).
    """
    present_ids = {a.id for a in attendees_present}
    first_open = max(1, from_round)
    held_rounds = frozenset(range(1, min(first_open, previous.rounds + 1)))
    held = [m for m in previous.meetings if m.round in held_rounds]
    people = list(attendees_present)
    for person in registered:
        if person.id not in present_ids:
            earlier = frozenset(r for r in held_rounds if person.is_available(r))
            people.append(replace(person, available_rounds=earlier, must_meet=()))
    request = PlanRequest(people, previous.rounds, previous.tables if tables is None else tables, weights,
                          fixed=held, fixed_rounds=held_rounds, time_limit=time_limit, seed=seed,
                          previous=previous, stability_bonus=stability_bonus)
    result = plan(request, progress, cancel)
    return result, diff_schedules(previous, result.schedule, first_open, present_ids)


def diff_schedules(before: Schedule, after: Schedule, from_round: int, present: set[str]) -> list[Change]:
    """Removed, added and moved meetings in rounds ``from_round`` and later."""
    old = {m.pair: m for m in before.meetings if m.round >= from_round}
    new = {m.pair: m for m in after.meetings if m.round >= from_round}
    changes: list[Change] = []
    for pair, m in old.items():
        if pair not in new:
            absent = sorted(i for i in pair if i not in present)
            note = f"{' and '.join(absent)} not checked in" if absent else ""
            changes.append(Change("removed", m.a_id, m.b_id, (m.round, m.table), None, note))
        elif (new[pair].round, new[pair].table) != (m.round, m.table):
            n = new[pair]
            changes.append(Change("moved", m.a_id, m.b_id, (m.round, m.table), (n.round, n.table)))
    for pair, m in new.items():
        if pair not in old:
            changes.append(Change("added", m.a_id, m.b_id, None, (m.round, m.table)))
    order = {"removed": 0, "moved": 1, "added": 2}
    changes.sort(key=lambda c: (c.before or c.after or (0, 0), order[c.kind], c.a_id, c.b_id))
    return changes
