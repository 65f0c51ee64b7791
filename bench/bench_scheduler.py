"""Scheduler benchmark: our solver against the per-round matching baseline, same run, same events.

The baseline runs twice, with each of its two ways of choosing who sits out when the tables
run short (``scheduler.baseline``): "baseline" drops the lightest meetings, "baseline, rotated"
lets those who sat out least sit out next.

Prints a markdown table. Every case runs in its own subprocess, which reports its own peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), so memory figures do not leak between cases.
"% of bound" divides by the upper bound our solver reports for schedules as fair as ours (the
baseline is usually less fair, so its own bound would be at least as high).

    .venv/bin/python bench/bench_scheduler.py                 # 200, 1,000 and 2,000 attendees
    .venv/bin/python bench/bench_scheduler.py --sizes 200,1000 --no-baseline

Re-planning on the day has its own benchmark, ``bench/bench_replan.py``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = {  # attendees: (rounds, tables, time limit, goal)
    200: (10, 90, 3.0, ">= 99.5% in <= 3 s"),
    1000: (12, 450, 20.0, ">= 99.5% in <= 20 s"),
    2000: (12, 900, 60.0, ">= 99.5% in <= 60 s, <= 4 GB"),
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
    return {"seconds": seconds, "score": schedule.total_score, "bound": bound, "status": status,
            "meetings": len(schedule.meetings), "worst": max(sat_out, default=0),
            "violations": len(check_schedule(schedule, attendees)), "peak_mb": _peak_mb()}


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
    parser.add_argument("--sizes", default="200,1000,2000", help="comma-separated attendee counts (200, 1000, 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline-timeout", type=float, default=900.0,
                        help="seconds before a baseline run is given up (shown as '>' that time)")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--worker", choices=("ours", "baseline", "baseline-rotate"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tables", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--time-limit", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.rounds, args.tables, args.seed, args.time_limit)))
        return

    print("| attendees | rounds | tables | solver | time (s) | score | % of bound | meetings | worst sit-outs | peak MB | status | goal |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|")
    for n in (int(s) for s in args.sizes.split(",") if s.strip()):
        rounds, tables, limit, goal = CASES.get(n, (10, int(n * 0.45), 30.0, ""))
        ours = _run("ours", n, rounds, tables, args.seed, limit, limit * 3 + 120)
        assert ours is not None and ours["violations"] == 0, ours
        bound = float(ours["bound"]) if ours["bound"] is not None else float("nan")
        rows = [("ours", ours)]
        if not args.no_baseline:
            for name, kind in (("baseline", "baseline"), ("baseline, rotated", "baseline-rotate")):
                rows.append((name, _run(kind, n, rounds, tables, args.seed, limit, args.baseline_timeout)))
        for name, r in rows:
            if r is None:
                print(f"| {n:,} | {rounds} | {tables} | {name} | > {args.baseline_timeout:.0f} | - | - | - | - | - | timed out | |")
                continue
            print(f"| {n:,} | {rounds} | {tables} | {name} | {r['seconds']:.1f} | {r['score']:.0f} | "
                  f"{100 * float(r['score']) / bound:.2f} | {r['meetings']} | {r['worst']} | {r['peak_mb']:.0f} | "
                  f"{r['status']} | {goal if name == 'ours' else ''} |", flush=True)


if __name__ == "__main__":
    main()
