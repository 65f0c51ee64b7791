"""Event-day re-plan benchmark, through the scheduler directly (no web app, no database).

A generated event is planned for 12 rounds; then ~8% of the registered attendees do not show
up, ~3% walk in, and the remaining 10 rounds (from round 3) are re-planned for the people
present. Prints the re-plan time (goal: <= 10 s on 2 cores), the share of meetings between
present attendees that the re-plan keeps, and checks every hard rule.

    .venv/bin/python bench/bench_replan.py                       # 1,000 present
    .venv/bin/python bench/bench_replan.py --present 300 --plan-limit 10
    taskset -c 0,1 .venv/bin/python bench/bench_replan.py        # pin to 2 cores
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.changes import changed_agendas  # noqa: E402
from scheduler.checker import check_schedule  # noqa: E402
from scheduler.domain import Schedule  # noqa: E402
from scheduler.generator import generate_event  # noqa: E402
from scheduler.replan import replan  # noqa: E402
from scheduler.revise import RevisionRequest, revise  # noqa: E402
from scheduler.solver import PlanRequest, plan  # noqa: E402
from scheduler.taxonomy import load_weights  # noqa: E402

ROUNDS = 12
FROM_ROUND = 3
NO_SHOW_SHARE = 0.08
WALK_IN_SHARE = 0.03


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--present", type=int, default=1000, help="attendees present at the re-plan")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plan-limit", type=float, default=20.0, help="time limit of the first plan (s)")
    parser.add_argument("--replan-limit", type=float, default=8.0, help="time limit of the re-plan (s)")
    args = parser.parse_args()

    # registered - no-shows + walk-ins = present
    registered_n = round(args.present / (1 - NO_SHOW_SHARE + WALK_IN_SHARE))
    walk_in_n = args.present - (registered_n - round(registered_n * NO_SHOW_SHARE))
    weights = load_weights()
    registered = generate_event(registered_n, rounds=ROUNDS, seed=args.seed)
    extra = generate_event(walk_in_n, rounds=ROUNDS, seed=args.seed + 1)
    walk_ins = [replace(a, id=f"W{i:04d}", company=f"Walk-in {a.company}", available_rounds=None,
                        must_meet=(), avoid=()) for i, a in enumerate(extra, start=1)]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores available: {cores}")
    print(f"registered {registered_n}, rounds {ROUNDS}, tables {registered_n // 2}")

    started = time.perf_counter()
    first = plan(PlanRequest(registered, ROUNDS, registered_n // 2, weights,
                             time_limit=args.plan_limit, seed=args.seed))
    print(f"first plan: {time.perf_counter() - started:.1f} s, {len(first.schedule.meetings)} meetings, "
          f"{first.report.status}")

    rng = random.Random(args.seed)
    no_shows = set(rng.sample([a.id for a in registered], round(registered_n * NO_SHOW_SHARE)))
    present = [a for a in registered if a.id not in no_shows] + walk_ins
    print(f"no-shows {len(no_shows)}, walk-ins {len(walk_ins)}, present {len(present)}, "
          f"re-plan from round {FROM_ROUND} ({ROUNDS - FROM_ROUND + 1} rounds left)")

    everyone = present + [replace(a, available_rounds=frozenset(r for r in range(1, FROM_ROUND)
                                                                if a.is_available(r)), must_meet=())
                          for a in registered if a.id in no_shows]
    held = [m for m in first.schedule.meetings if m.round < FROM_ROUND]
    tables = max(first.schedule.tables, len(present) // 2)
    present_ids = {a.id for a in present}
    before = {m.pair for m in first.schedule.meetings if m.round >= FROM_ROUND and m.pair <= present_ids}

    def by_revision() -> Schedule:
        return revise(RevisionRequest(first.schedule, present, ROUNDS, tables, weights, from_round=FROM_ROUND,
                                      time_limit=args.replan_limit)).schedule

    def by_solver() -> Schedule:
        return replan(first.schedule, present, FROM_ROUND, weights, time_limit=args.replan_limit,
                      registered=registered, tables=tables, seed=args.seed)[0].schedule

    print()
    print(f"| method | time (s) | meetings from round {FROM_ROUND} | kept among present | agendas changed "
          "| meetings with walk-ins | sit-outs worst | score | held rounds unchanged | absent seated | violations |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    ok = True
    for name, run in (("revision (the app's re-plan)", by_revision), ("solver with a stability bonus", by_solver)):
        started = time.perf_counter()
        schedule = run()
        seconds = time.perf_counter() - started
        after_pairs = {m.pair for m in schedule.meetings if m.round >= FROM_ROUND}
        kept = len(before & after_pairs)
        held_same = {m for m in held} == {m for m in schedule.meetings if m.round < FROM_ROUND}
        absent_seated = sum(1 for m in schedule.meetings if m.round >= FROM_ROUND and not m.pair <= present_ids)
        walk_in_meetings = sum(1 for m in schedule.meetings
                               if m.round >= FROM_ROUND and any(i.startswith("W") for i in m.pair))
        problems = check_schedule(schedule, everyone, fixed=held)
        met: dict[str, int] = {}
        for m in schedule.meetings:
            for i in m.pair:
                met[i] = met.get(i, 0) + 1
        worst = max(len(a.rounds_present(ROUNDS)) - met.get(a.id, 0) for a in present)
        print(f"| {name} | {seconds:.2f} | {len(after_pairs)} | {kept} of {len(before)} "
              f"({100 * kept / max(1, len(before)):.1f}%) | {len(changed_agendas(first.schedule, schedule, FROM_ROUND))} "
              f"| {walk_in_meetings} | {worst} | {sum(m.score for m in schedule.meetings):,.0f} | {held_same} "
              f"| {absent_seated} | {len(problems)} |", flush=True)
        for line in problems[:10]:
            print("  ", line)
        ok = ok and held_same and not absent_seated and not problems
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
