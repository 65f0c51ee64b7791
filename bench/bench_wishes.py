"""Wishes benchmark: what attendees' Must and Want wishes get, and what they cost.

The same generated event (``generate_event`` + ``generate_wishes``: skewed towards popular
people, quotas of 3 Must, 5 Want and 1 No, 30% who mark no one) is planned twice with the
same time limit: with the wish weights of ``data/scoring.yaml``, and with the four wish
weights set to zero, a plan that ignores the wishes (No still forbids its pairs in both).
For each tier it prints the share of the wished pairs that meet, of those that could meet at
all (both attend a common round, the rules allow the pair); the competency score of each plan
(every meeting scored on competencies, partner types and regions alone); what the wishes cost
in it (%); the solve time and the rule violations found by the independent checker.

    .venv/bin/python bench/bench_wishes.py                 # 200 and 1,000 attendees
    .venv/bin/python bench/bench_wishes.py --sizes 1000 --seed 3
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.checker import check_schedule  # noqa: E402
from scheduler.domain import Attendee, Schedule, ScoringWeights  # noqa: E402
from scheduler.generator import generate_event, generate_wishes  # noqa: E402
from scheduler.scoring import WISH_TIERS, score_matrix  # noqa: E402
from scheduler.solver import PlanRequest, plan  # noqa: E402
from scheduler.taxonomy import load_weights  # noqa: E402
from scheduler.wishes import WishSummary  # noqa: E402

CASES = {200: (10, 90, 3.0), 1000: (12, 450, 20.0)}   # attendees: (rounds, tables, time limit)
LABELS = {"must_mutual": "mutual Must", "must": "one-sided Must", "want_mutual": "mutual Want",
          "want": "one-sided Want"}


def competency_score(schedule: Schedule, plain: list[Attendee], weights: ScoringWeights) -> float:
    """The schedule's meetings scored without the wishes."""
    matrix = score_matrix(plain, weights)
    position = {a.id: k for k, a in enumerate(plain)}
    return float(sum(int(matrix.scores[position[m.a_id], position[m.b_id]]) for m in schedule.meetings))


def run(n: int, seed: int) -> list[str]:
    rounds, tables, limit = CASES.get(n, (12, max(1, int(n * 0.45)), 20.0))
    plain = generate_event(n, rounds=rounds, seed=seed)
    people = generate_wishes(plain, seed=seed)
    weights = load_weights()
    ignoring = replace(weights, wish_must_mutual=0.0, wish_must=0.0, wish_want_mutual=0.0, wish_want=0.0)
    rows: dict[str, tuple[WishSummary, float, float, int, int]] = {}
    for label, chosen in (("wishes weighed", weights), ("wishes ignored", ignoring)):
        started = time.perf_counter()
        result = plan(PlanRequest(people, rounds, tables, chosen, time_limit=limit, seed=seed))
        seconds = time.perf_counter() - started
        rows[label] = (result.report.wishes, competency_score(result.schedule, plain, weights), seconds,
                       len(check_schedule(result.schedule, people)), result.report.meetings)
    base = rows["wishes ignored"][1]
    lines = []
    for label, (wishes, competency, seconds, violations, meetings) in rows.items():
        shares = []
        for tier in WISH_TIERS:
            count = wishes.tiers[tier]
            share = 100.0 * count.granted / count.possible if count.possible else 100.0
            shares.append(f"{share:.1f}% ({count.granted}/{count.possible})")
        cost = 100.0 * (base - competency) / base if base else 0.0
        lines.append(f"| {n} | {label} | {' | '.join(shares)} | {meetings} | {competency:,.0f} | {cost:.1f}% | "
                     f"{seconds:.1f} | {wishes.no_pairs_met} | {violations} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    header = ["attendees", "plan", *(LABELS[t.value] + " granted" for t in WISH_TIERS), "meetings",
              "competency score", "cost", "seconds", "No pairs met", "violations"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        for line in run(size, args.seed):
            print(line, flush=True)


if __name__ == "__main__":
    main()
