"""Independent checker of a schedule's hard rules.

Written from the rules, not from the solver: it shares no code with ``scheduler.solver`` or
``scheduler.scoring`` so a solver bug cannot hide itself. It only relies on the domain types.
An empty list means the schedule is valid; otherwise each string names one violation in words
an organiser can act on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from scheduler.domain import Attendee, Meeting, Schedule


def _company(attendee: Attendee) -> str:
    # Deliberately re-derived here instead of calling Attendee.company_key.
    return " ".join(attendee.company.split()).casefold()


def check_schedule(schedule: Schedule, attendees: Sequence[Attendee],
                   fixed: Iterable[Meeting] = ()) -> list[str]:
    """Every violated hard rule of ``schedule``, in round/table order.

    Rules: rounds in 1..rounds and tables in 1..tables; one meeting per table per round; an
    attendee at most once per round; no self-meeting; known attendees; nobody meets the same
    person twice; no colleagues; no avoided pairs (``avoid`` or a ``wish_no`` from either side); both available in the round; at most
    ``tables`` meetings per round; ``fixed`` meetings kept exactly and nothing added to the
    rounds they belong to.
    """
    problems: list[str] = []
    people = {a.id: a for a in attendees}
    meetings = sorted(schedule.meetings, key=lambda m: (m.round, m.table, m.a_id, m.b_id))
    seen_tables: set[tuple[int, int]] = set()
    seen_in_round: dict[tuple[int, str], Meeting] = {}
    pair_rounds: dict[frozenset[str], list[int]] = defaultdict(list)
    per_round: Counter[int] = Counter()

    for m in meetings:
        where = f"round {m.round} table {m.table} ({m.a_id} + {m.b_id})"
        per_round[m.round] += 1
        if not 1 <= m.round <= schedule.rounds:
            problems.append(f"{where}: round outside 1..{schedule.rounds}")
        if not 1 <= m.table <= schedule.tables:
            problems.append(f"{where}: table outside 1..{schedule.tables}")
        if (m.round, m.table) in seen_tables:
            problems.append(f"{where}: table {m.table} is used twice in round {m.round}")
        seen_tables.add((m.round, m.table))
        if m.a_id == m.b_id:
            problems.append(f"{where}: an attendee cannot meet themselves")
            continue
        for ident in (m.a_id, m.b_id):
            if ident not in people:
                problems.append(f"{where}: unknown attendee {ident}")
            if (m.round, ident) in seen_in_round:
                other = seen_in_round[(m.round, ident)]
                problems.append(f"{where}: {ident} already meets at table {other.table} in round {m.round}")
            else:
                seen_in_round[(m.round, ident)] = m
        pair_rounds[frozenset((m.a_id, m.b_id))].append(m.round)
        a, b = people.get(m.a_id), people.get(m.b_id)
        if a is None or b is None:
            continue
        if _company(a) == _company(b):
            problems.append(f"{where}: colleagues from {a.company!r} may not meet")
        if b.id in a.avoid or a.id in b.avoid:
            problems.append(f"{where}: the pair asked not to meet")
        elif b.id in a.wish_no or a.id in b.wish_no:
            problems.append(f"{where}: one of the pair marked the other No")
        for person in (a, b):
            if person.available_rounds is not None and m.round not in person.available_rounds:
                problems.append(f"{where}: {person.id} is not available in round {m.round}")

    for pair, rounds in sorted(pair_rounds.items(), key=lambda item: sorted(item[0])):
        if len(rounds) > 1:
            x, y = sorted(pair)
            problems.append(f"{x} and {y} meet {len(rounds)} times (rounds {', '.join(map(str, sorted(rounds)))})")
    for round_number, count in sorted(per_round.items()):
        if count > schedule.tables:
            problems.append(f"round {round_number}: {count} meetings for {schedule.tables} tables")

    fixed_list = list(fixed)
    if fixed_list:
        actual = {(m.round, m.table, frozenset((m.a_id, m.b_id))) for m in schedule.meetings}
        wanted = {(m.round, m.table, frozenset((m.a_id, m.b_id))) for m in fixed_list}
        for m in sorted(fixed_list, key=lambda m: (m.round, m.table)):
            if (m.round, m.table, frozenset((m.a_id, m.b_id))) not in actual:
                problems.append(f"fixed meeting round {m.round} table {m.table} ({m.a_id} + {m.b_id}) "
                                "is missing or moved")
        fixed_rounds = {m.round for m in fixed_list}
        for m in meetings:
            if m.round in fixed_rounds and (m.round, m.table, frozenset((m.a_id, m.b_id))) not in wanted:
                problems.append(f"round {m.round} table {m.table} ({m.a_id} + {m.b_id}): "
                                f"added to fixed round {m.round}")
    return problems


def company_repeats(schedule: Schedule, attendees: Sequence[Attendee]) -> tuple[int, int]:
    """(attendees who meet two or more people of one other company, such extra meetings).

    Partner networking is company to company, so a second meeting with the same company is
    counted wherever a schedule is shown, whichever way it was made."""
    company = {a.id: a.company_key for a in attendees}
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for m in schedule.meetings:
        if m.a_id in company and m.b_id in company:
            seen[m.a_id][company[m.b_id]] += 1
            seen[m.b_id][company[m.a_id]] += 1
    extra = {ident: sum(n - 1 for n in counts.values() if n > 1) for ident, counts in seen.items()}
    return sum(1 for n in extra.values() if n), sum(extra.values())
