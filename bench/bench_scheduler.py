"""Scheduler benchmark: our solver against the per-round matching baseline, same run, same events.

The baseline runs twice, with each of its two ways of choosing who sits out when the tables
run short (``scheduler.baseline``): "baseline" drops the lightest meetings, "baseline, rotated"
lets those who sat out least sit out next.

Prints a markdown table. Every case runs in its own subprocess, which reports its own peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), so memory figures do not leak between cases.
"% of bound" divides by the upper bound our solver reports for schedules as fair as ours (the
baseline is usually less fair, so its own bound would be at least as high).

    .venv/bin/python bench/bench_scheduler.py                 # 200 to 10,000 attendees
    .venv/bin/python bench/bench_scheduler.py --sizes 200,1000 --no-baseline

Re-planning on the day has its own benchmark, ``bench/bench_replan.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = {  # attendees: (rounds, tables, time limit, goal)
    200: (10, 90, 3.0, ">= 99.9% in <= 3 s"),
    1000: (12, 450, 20.0, ">= 99.9% in <= 20 s"),
    2000: (12, 900, 60.0, ">= 99.9% in <= 60 s"),
    5000: (12, 2250, 120.0, ">= 99.5% in <= 120 s, <= 4 GB, keepable must-meets kept"),
    10000: (12, 4500, 300.0, "a bound in <= 300 s, <= 8 GB"),
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(kind: str, n: int, rounds: int, tables: int, seed: int, time_limit: float) -> dict[str, object]:
    """One measured run, inside its own process."""
    from scheduler.checker import check_schedule
    from scheduler.generator import generate_event
    from scheduler.taxonomy import load_weights

    attendees = generate_event(n, rounds=rounds, seed=seed)
    weights = load_weights()
    started = time.perf_counter()
    if kind == "ours":
        from scheduler.solver import PlanRequest, plan
        result = plan(PlanRequest(attendees, rounds, tables, weights, time_limit=time_limit, seed=seed))
        schedule, bound, status = result.schedule, result.report.upper_bound, result.report.status
    else:
        from scheduler.baseline import baseline_schedule
        rule = "rotate" if kind == "baseline-rotate" else "lightest"
        schedule = baseline_schedule(attendees, rounds, tables, weights, sit_outs=rule)
        bound, status = 0.0, "DONE"
    seconds = time.perf_counter() - started
    sat_out = [len(a.rounds_present(rounds)) - len(schedule.for_attendee(a.id)) for a in attendees]
    repeat_people, repeat_meetings = _company_repeats(attendees, schedule)
    requested, kept = _must_meet(attendees, schedule)
    return {"seconds": seconds, "score": schedule.total_score, "bound": bound, "status": status,
            "meetings": len(schedule.meetings), "worst": max(sat_out, default=0),
            "repeat_people": repeat_people, "repeat_meetings": repeat_meetings,
            "must_requested": requested, "must_kept": kept,
            "violations": len(check_schedule(schedule, attendees)), "peak_mb": _peak_mb()}


def _company_repeats(attendees: list, schedule) -> tuple[int, int]:
    """(attendees meeting two or more people of one other company, such extra meetings)."""
    company = {a.id: a.company_key for a in attendees}
    seen: dict[tuple[str, str], int] = {}
    for m in schedule.meetings:
        for me, other in ((m.a_id, m.b_id), (m.b_id, m.a_id)):
            seen[(me, company[other])] = seen.get((me, company[other]), 0) + 1
    people = {me for (me, _), count in seen.items() if count > 1}
    return len(people), sum(count - 1 for count in seen.values())


def _must_meet(attendees: list, schedule) -> tuple[int, int]:
    """(must-meet pairs requested among attendees, pairs that meet)."""
    ids = {a.id for a in attendees}
    wanted = {frozenset((a.id, b)) for a in attendees for b in a.must_meet if b in ids and b != a.id}
    met = {m.pair for m in schedule.meetings}
    return len(wanted), len(wanted & met)


def _percent(score: float, bound: float) -> str:
    return "no bound" if bound != bound else f"{100 * score / bound:.2f}"      # NaN: none computed


def _run(kind: str, n: int, rounds: int, tables: int, seed: int, time_limit: float, timeout: float) -> dict | None:
    command = [sys.executable, __file__, "--worker", kind, "--n", str(n), "--rounds", str(rounds),
               "--tables", str(tables), "--seed", str(seed), "--time-limit", str(time_limit)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        raise SystemExit(f"{kind} {n} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200,1000,2000,5000,10000",
                        help="comma-separated attendee counts (200, 1000, 2000, 5000, 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-timeout", type=float, default=900.0,
                        help="seconds before a baseline run is given up (shown as '>' that time)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-max", type=int, default=1000,
                        help="largest event the baselines run on (they take minutes from 1,000 up)")
    parser.add_argument("--worker", choices=("ours", "baseline", "baseline-rotate"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tables", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--time-limit", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.rounds, args.tables, args.seed, args.time_limit)))
        return

    print(f"machine load before the run: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    print("| attendees | rounds | tables | solver | time (s) | score | % of bound | meetings | worst sit-outs "
          "| company repeats (people / meetings) | must-meets kept | peak MB | status | goal |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for n in (int(s) for s in args.sizes.split(",") if s.strip()):
        rounds, tables, limit, goal = CASES.get(n, (10, int(n * 0.45), 30.0, ""))
        ours = _run("ours", n, rounds, tables, args.seed, limit, limit * 3 + 120)
        assert ours is not None and ours["violations"] == 0, ours
        bound = float(ours["bound"]) if ours["bound"] is not None else float("nan")
        rows = [("ours", ours)]
        if not args.no_baseline and n <= args.baseline_max:
            for name, kind in (("baseline", "baseline"), ("baseline, rotated", "baseline-rotate")):
                rows.append((name, _run(kind, n, rounds, tables, args.seed, limit, args.baseline_timeout)))
        for name, r in rows:
            if r is None:
                print(f"| {n:,} | {rounds} | {tables} | {name} | > {args.baseline_timeout:.0f} | - | - | - | - | - | timed out | |")
                continue
            print(f"| {n:,} | {rounds} | {tables} | {name} | {r['seconds']:.1f} | {r['score']:,.0f} | "
                  f"{_percent(float(r['score']), bound)} | {r['meetings']:,} | {r['worst']} | "
                  f"{r['repeat_people']} / {r['repeat_meetings']} | {r['must_kept']} of {r['must_requested']} | "
                  f"{r['peak_mb']:,.0f} | {r['status']} | {goal if name == 'ours' else ''} |", flush=True)
        print(f"load after {n:,}: {os.getloadavg()[0]:.2f}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
