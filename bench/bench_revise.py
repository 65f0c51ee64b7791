"""Revising a published plan against planning again: how many agendas each change alters.

For generated events of 300 and 1,000 attendees (tables for 45% of them, so some sit out every
round), a plan is published, then each scenario changes the event and is answered twice: by a
revision (``scheduler.revise``) and by a full re-generate (``scheduler.solver.plan``, same time
limit). Printed per scenario: agendas changed (all, and others than the changed people),
published meetings moved or dropped, other agendas per meeting of the changed people, meetings,
worst and total sit-outs, how many sit out more than once, and the revision's score as a share
of the re-generate's. A re-generate only bounds the *worst* sit-outs, so it may seat more
people out twice to raise the score; a revision holds everyone it touches to the target.

    .venv/bin/python bench/bench_revise.py [--sizes 300,1000] [--time-limit 20]

Scenarios: (a) one attendee added, (b) one withdrawn, (c) one availability change (the last
third of the rounds dropped), (d) ten together (5 withdrawn, 3 added, 2 availability), (e) a
late arrival: dropped as a no-show by a revision from round 2, checking in before round 4.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scheduler.changes import changed_agendas, moved_meetings  # noqa: E402
from scheduler.checker import check_schedule  # noqa: E402
from scheduler.domain import Attendee, Schedule  # noqa: E402
from scheduler.generator import generate_event  # noqa: E402
from scheduler.revise import RevisionRequest, revise  # noqa: E402
from scheduler.solver import PlanRequest, plan  # noqa: E402
from scheduler.taxonomy import load_weights  # noqa: E402

ROUNDS = {300: 10, 1000: 12}


@dataclass
class Scenario:
    name: str
    people: list[Attendee]      # expected after the change
    changed: set[str]           # ids of the people the change is about
    base: Schedule              # the published plan it revises
    from_round: int = 1


def sit_outs(schedule: Schedule, people: list[Attendee], rounds: int) -> tuple[int, int, int]:
    """Worst sit-outs, total sit-outs, and how many people sit out more than once."""
    met: dict[str, int] = {}
    for m in schedule.meetings:
        met[m.a_id] = met.get(m.a_id, 0) + 1
        met[m.b_id] = met.get(m.b_id, 0) + 1
    outs = [max(0, len(a.rounds_present(rounds)) - met.get(a.id, 0)) for a in people]
    return max(outs, default=0), sum(outs), sum(1 for o in outs if o > 1)


def scenarios(people: list[Attendee], spare: list[Attendee], published: Schedule, rounds: int,
              tables: int, weights, limit: float) -> list[Scenario]:
    late_cut = frozenset(range(1, rounds - rounds // 3 + 1))
    out = [
        Scenario("(a) one added", people + spare[:1], {spare[0].id}, published),
        Scenario("(b) one withdrawn", people[1:], {people[0].id}, published),
        Scenario("(c) one availability", [replace(people[2], available_rounds=late_cut)] + people[:2] + people[3:],
                 {people[2].id}, published),
    ]
    withdrawn = {a.id for a in people[10:15]}
    moved = {people[20].id: replace(people[20], available_rounds=late_cut),
             people[21].id: replace(people[21], available_rounds=frozenset(range(3, rounds + 1)))}
    ten = [moved.get(a.id, a) for a in people if a.id not in withdrawn] + spare[1:4]
    out.append(Scenario("(d) ten together", ten, withdrawn | set(moved) | {a.id for a in spare[1:4]}, published))
    # (e) X does not show; a revision from round 2 drops X and is published; X arrives before round 4.
    x = people[30]
    without_x = revise(RevisionRequest(published, [a for a in people if a.id != x.id], rounds, tables, weights,
                                       from_round=2, time_limit=limit)).schedule
    out.append(Scenario("(e) late arrival, round 4", people, {x.id}, without_x, from_round=4))
    return out


def own_meetings(schedule: Schedule, sc: Scenario) -> set[tuple[int, int, frozenset[str]]]:
    """The changed people's meetings in the open rounds (round, table, pair)."""
    return {(m.round, m.table, m.pair) for m in schedule.meetings
            if m.round >= sc.from_round and (m.a_id in sc.changed or m.b_id in sc.changed)}


def unavoidable(base: Schedule, sc: Scenario) -> int:
    """Agendas that must change whatever the plan: the changed people who held or need a meeting,
    and the partners of meetings the change makes impossible (a withdrawn person, a dropped round)."""
    expected = {a.id: a for a in sc.people}
    broken: set[str] = set()
    for m in base.meetings:
        if m.round < sc.from_round:
            continue
        a, b = expected.get(m.a_id), expected.get(m.b_id)
        if a is None or b is None or not a.is_available(m.round) or not b.is_available(m.round):
            broken.update(i for i in (m.a_id, m.b_id) if i in expected)
    return len(broken - sc.changed)


def regenerate(sc: Scenario, rounds: int, tables: int, weights, limit: float) -> Schedule:
    held = [m for m in sc.base.meetings if m.round < sc.from_round]
    request = PlanRequest(sc.people, rounds, tables, weights, fixed=held,
                          fixed_rounds=frozenset(range(1, sc.from_round)), time_limit=limit)
    return plan(request).schedule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    weights = load_weights()
    print("| attendees | scenario | revise s | agendas changed (others) | others unavoidable | others per meeting of the changed "
          "| meetings moved | meetings rev / regen | worst sit-outs rev / regen | sit-outs rev / regen | sitting out 2+ rev / regen "
          "| score rev / regen | regenerate: agendas changed |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in [int(s) for s in args.sizes.split(",")]:
        rounds = ROUNDS.get(size, 12)
        tables = int(size * 0.45)
        everyone = generate_event(size + 3, rounds=rounds, seed=args.seed)
        people, spare = everyone[:size], everyone[size:]
        published = plan(PlanRequest(people, rounds, tables, weights, time_limit=args.time_limit)).schedule
        for sc in scenarios(people, spare, published, rounds, tables, weights, args.time_limit):
            expected_ids = {a.id for a in sc.people}
            gone = [replace(a, available_rounds=frozenset(range(1, sc.from_round)), must_meet=())
                    for a in everyone if a.id in sc.changed and a.id not in expected_ids]
            started = time.perf_counter()
            revised = revise(RevisionRequest(sc.base, sc.people, rounds, tables, weights, from_round=sc.from_round,
                                             time_limit=args.time_limit))
            seconds = time.perf_counter() - started
            held = [m for m in sc.base.meetings if m.round < sc.from_round]
            problems = check_schedule(revised.schedule, sc.people + gone, fixed=held)
            fresh = regenerate(sc, rounds, tables, weights, args.time_limit)
            changed = changed_agendas(sc.base, revised.schedule, sc.from_round)
            others = changed - sc.changed
            own = len(own_meetings(sc.base, sc) ^ own_meetings(revised.schedule, sc))
            floor = unavoidable(sc.base, sc)
            per_meeting = len(others) / own if own else 0.0
            worst_r, total_r, twice_r = sit_outs(revised.schedule, sc.people, rounds)
            worst_g, total_g, twice_g = sit_outs(fresh, sc.people, rounds)
            score_r = sum(m.score for m in revised.schedule.meetings)
            score_g = sum(m.score for m in fresh.meetings)
            regen_changed = changed_agendas(sc.base, fresh, sc.from_round)
            print(f"| {size} | {sc.name} | {seconds:.2f} | {len(changed)} ({len(others)}) | {floor} | {per_meeting:.2f} "
                  f"| {moved_meetings(sc.base, revised.schedule, sc.from_round)} "
                  f"| {len(revised.schedule.meetings)} / {len(fresh.meetings)} | {worst_r} / {worst_g} "
                  f"| {total_r} / {total_g} | {twice_r} / {twice_g} | {100.0 * score_r / score_g if score_g else 100.0:.2f}% "
                  f"| {len(regen_changed)} of {len(sc.people)} |"
                  + (f" INVALID: {problems[:2]}" if problems else ""), flush=True)


if __name__ == "__main__":
    main()
