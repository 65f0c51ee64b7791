"""What differs between two versions of a schedule: meetings removed, added or moved, and whose
agenda changed. One diff for the CLI, the re-plan, the revision and the web app's publish page.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.domain import Meeting, Schedule


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
        def where(slot: tuple[int, int] | None) -> str:
            return f"round {slot[0]} table {slot[1]}" if slot else ""

        if self.kind == "moved":
            text = f"{self.a_id} + {self.b_id} moved from {where(self.before)} to {where(self.after)}"
        elif self.kind == "removed":
            text = f"{self.a_id} + {self.b_id} removed from {where(self.before)}"
        else:
            text = f"{self.a_id} + {self.b_id} added at {where(self.after)}"
        return f"{text} ({self.note})" if self.note else text


def diff_schedules(before: Schedule, after: Schedule, from_round: int,
                   present: set[str] | frozenset[str] | None = None) -> list[Change]:
    """Removed, added and moved meetings in rounds ``from_round`` and later.

    With ``present``, a removed meeting notes which of its people are not in the new plan."""
    old = {m.pair: m for m in before.meetings if m.round >= from_round}
    new = {m.pair: m for m in after.meetings if m.round >= from_round}
    changes: list[Change] = []
    for pair, m in old.items():
        if pair not in new:
            absent = sorted(i for i in pair if present is not None and i not in present)
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


Agenda = dict[int, tuple[str, int]]


def agendas(schedule: Schedule, from_round: int = 1) -> dict[str, Agenda]:
    """Each attendee's agenda from ``from_round``: round -> (partner id, table)."""
    out: dict[str, Agenda] = {}
    for m in schedule.meetings:
        if m.round >= from_round:
            out.setdefault(m.a_id, {})[m.round] = (m.b_id, m.table)
            out.setdefault(m.b_id, {})[m.round] = (m.a_id, m.table)
    return out


def changed_agendas(before: Schedule, after: Schedule, from_round: int = 1) -> set[str]:
    """Attendees whose agenda from ``from_round`` differs: another partner, table or round."""
    old, new = agendas(before, from_round), agendas(after, from_round)
    return {ident for ident in old.keys() | new.keys() if old.get(ident, {}) != new.get(ident, {})}


def moved_meetings(before: Schedule, after: Schedule, from_round: int = 1) -> int:
    """Meetings of ``before`` from ``from_round`` that ``after`` does not hold at the same round
    and table: what printed agendas get wrong."""
    kept = {(m.round, m.table, m.pair) for m in after.meetings if m.round >= from_round}
    return sum(1 for m in before.meetings if m.round >= from_round and (m.round, m.table, m.pair) not in kept)


def meeting_key(m: Meeting) -> tuple[int, int, frozenset[str]]:
    return (m.round, m.table, m.pair)
