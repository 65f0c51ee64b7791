"""Requested-only benchmark: breaks of our schedule against a simple baseline, same events.

Events come from ``scheduler.generator.generate_requests_event`` (a few very popular
participants, some with more requests than rounds, rounds people cannot attend, sessions and
fixed rounds). The baseline places each request, in id order, in the first round where both
are free, the request's session allows and a table is left. Prints a markdown table: requests
scheduled, total breaks (ours with CP-SAT's bound, or "opt" when proven), the worst
participant's breaks, and time.

    .venv/bin/python bench/bench_requests.py                       # every size, seeds 1-3
    .venv/bin/python bench/bench_requests.py --sizes 60 --seeds 1 --time-limit 10
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.breaks import schedule_breaks  # noqa: E402
from scheduler.checker import check_schedule  # noqa: E402
from scheduler.domain import Meeting, MeetingsMode  # noqa: E402
from scheduler.generator import generate_requests_event  # noqa: E402
from scheduler.requests import collect_requests, first_free_round  # noqa: E402
from scheduler.solver import PlanRequest, plan  # noqa: E402

CASES = {  # participants: (rounds, requests)
    40: (8, 120),
    60: (12, 200),
    80: (16, 300),
    500: (16, 2000),
}


def baseline(event_n: int, rounds: int, requests: int, seed: int) -> tuple[int, int, int]:
    """(scheduled, total breaks, worst breaks) of the first-free-round baseline."""
    event = generate_requests_event(event_n, rounds=rounds, seed=seed, meetings=requests)
    people = {a.id: a for a in event.attendees}
    index = {ident: k for k, ident in enumerate(people)}
    wanted = collect_requests(event.attendees, event.requests)
    options = []
    for req in wanted:
        a, b = people[req.a_id], people[req.b_id]
        slots = [r for r in range(1, rounds + 1) if req.allows(r) and a.is_available(r) and b.is_available(r)]
        options.append((index[req.a_id], index[req.b_id], slots))
    choice = first_free_round(options, event_n // 2, defaultdict(set))
    meetings = [Meeting(r, 0, wanted[k].a_id, wanted[k].b_id) for k, r in choice.items()]
    participants = [people[i] for i in sorted({i for req in wanted for i in (req.a_id, req.b_id)})]
    summary = schedule_breaks(meetings, participants)
    return len(choice), summary.total, summary.worst


def run(n: int, seed: int, time_limit: float, workers: int | None) -> dict[str, object]:
    rounds, requests = CASES[n]
    event = generate_requests_event(n, rounds=rounds, seed=seed, meetings=requests)
    started = time.perf_counter()
    result = plan(PlanRequest(event.attendees, rounds, time_limit=time_limit, seed=seed, workers=workers,
                              meetings=MeetingsMode.REQUESTED, requests=event.requests))
    seconds = time.perf_counter() - started
    assert check_schedule(result.schedule, event.attendees) == []
    report = result.report
    base = baseline(n, rounds, requests, seed)
    return {"n": n, "rounds": rounds, "requests": report.requests_requested, "seed": seed,
            "scheduled": report.requests_scheduled, "breaks": report.breaks_total, "bound": report.breaks_bound,
            "optimal": report.breaks_optimal, "worst": report.breaks_worst, "spread": report.breaks_spread,
            "seconds": seconds, "base_scheduled": base[0], "base_breaks": base[1], "base_worst": base[2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, CASES)))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--workers", type=int)
    args = parser.parse_args()
    print("| participants | rounds | requests | seed | scheduled (baseline) | breaks: ours | bound | "
          "baseline | worst: ours | baseline | spread | time |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        for seed in (int(s) for s in args.seeds.split(",")):
            row = run(n, seed, args.time_limit, args.workers)
            bound = "opt" if row["optimal"] else str(row["bound"])
            print(f"| {row['n']} | {row['rounds']} | {row['requests']} | {row['seed']} | "
                  f"{row['scheduled']} ({row['base_scheduled']}) | {row['breaks']} | {bound} | "
                  f"{row['base_breaks']} | {row['worst']} | {row['base_worst']} | {row['spread']} | "
                  f"{row['seconds']:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
