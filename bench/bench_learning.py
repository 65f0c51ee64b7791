"""Weight learning benchmark: how many outcomes it takes, and how honest the intervals are.

For each event size, generated events are planned with the *current* (wrong) weights by the
per-round matching baseline (so, as in real life, the meetings held are the ones the current
weights favour), outcomes are simulated from known true weights, and weights are proposed.
Prints per size: how often it declined, the coverage of the 90% intervals (the share that
contain the truth; type fits relative to the reference pair), and for each core term how often
it was well determined (changed or confirmed, not too wide or without evidence) with the median
interval width.

    .venv/bin/python bench/bench_learning.py                      # sizes 200..3000, 10 seeds
    .venv/bin/python bench/bench_learning.py --seeds 20 --sizes 300 1000
    .venv/bin/python bench/bench_learning.py --random-pairs       # meetings drawn at random
    .venv/bin/python bench/bench_learning.py --person-effect 4    # attendees who rate alike
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scheduler.baseline import baseline_schedule  # noqa: E402
from scheduler.domain import Attendee, Meeting, ScoringWeights  # noqa: E402
from scheduler.generator import generate_event  # noqa: E402
from scheduler.learning import Proposal, Verdict, WeightProposal, propose_weights, simulate_outcomes  # noqa: E402
from scheduler.scoring import why_not_allowed  # noqa: E402
from scheduler.taxonomy import load_weights  # noqa: E402

ROUNDS = 12
TRUTH = replace(load_weights(), mutual_bonus=6.0, region_bonus=2.0, competitor_penalty=8.0)
WRONG = replace(TRUTH, mutual_bonus=12.0, region_bonus=7.0, competitor_penalty=14.0, partner_type_fit={})
CORE = ("mutual_bonus", "region_bonus", "competitor_penalty")


def random_meetings(people: list[Attendee], count: int, rng: np.random.Generator) -> list[Meeting]:
    seen: set[tuple[str, str]] = set()
    meetings: list[Meeting] = []
    while len(meetings) < count:
        i, j = (int(k) for k in rng.integers(0, len(people), 2))
        a, b = people[i], people[j]
        key = (min(a.id, b.id), max(a.id, b.id))
        if i != j and key not in seen and not why_not_allowed(a, b):
            seen.add(key)
            meetings.append(Meeting(1, 1, a.id, b.id))
    return meetings


def target(weight: WeightProposal, proposal: Proposal, truth: ScoringWeights) -> float:
    if weight.key is None:
        return float(getattr(truth, weight.field))
    reference = next(w for w in proposal.weights if w.verdict is Verdict.REFERENCE)
    assert reference.key is not None
    fit = truth.partner_type_fit
    return reference.current + fit.get(weight.key, 0.0) - fit.get(reference.key, 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 300, 600, 1000, 2000, 3000],
                        help="meetings per event (about)")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--random-pairs", action="store_true", help="meetings drawn at random, not planned")
    parser.add_argument("--person-effect", type=float, default=0.0,
                        help="each attendee's lasting mood, score points (standard deviation)")
    args = parser.parse_args()
    print(f"truth: mutual {TRUTH.mutual_bonus}, region {TRUTH.region_bonus}, competitor "
          f"{TRUTH.competitor_penalty}, type fits from data/scoring.yaml; start: mutual {WRONG.mutual_bonus}, "
          f"region {WRONG.region_bonus}, competitor {WRONG.competitor_penalty}, no type fits")
    for size in args.sizes:
        declined = inside = total = 0
        determined = {name: 0 for name in CORE}
        widths: dict[str, list[float]] = {name: [] for name in CORE}
        changes: list[int] = []
        meetings_held: list[int] = []
        fit_time = 0.0
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            people = generate_event(max(20, round(size / ROUNDS * 2)), rounds=ROUNDS, seed=seed)
            if args.random_pairs:
                meetings = random_meetings(people, size, rng)
            else:
                meetings = list(baseline_schedule(people, ROUNDS, None, WRONG).meetings)
            meetings_held.append(len(meetings))
            outcomes = simulate_outcomes(people, meetings, TRUTH, rng, person_effect=args.person_effect)
            started = time.perf_counter()
            proposal = propose_weights(outcomes, WRONG)
            fit_time += time.perf_counter() - started
            if proposal.declined:
                declined += 1
                continue
            changes.append(len(proposal.changes))
            for weight in proposal.weights:
                if weight.low is not None and weight.high is not None:
                    total += 1
                    inside += weight.contains(target(weight, proposal, TRUTH))
                    if weight.name in widths:
                        widths[weight.name].append(weight.high - weight.low)
                if weight.name in determined and weight.verdict in (Verdict.CHANGE, Verdict.CONFIRMED):
                    determined[weight.name] += 1
        fitted = args.seeds - declined
        coverage = f"{inside / total:.0%} of {total}" if total else "-"
        terms = ", ".join(
            f"{name.split('_')[0]} {determined[name]}/{fitted}"
            f" (width {statistics.median(widths[name]):.1f})" if widths[name] else f"{name.split('_')[0]} -"
            for name in CORE)
        print(f"{statistics.mean(meetings_held):6.0f} meetings: declined {declined}/{args.seeds}, "
              f"90% intervals cover the truth {coverage}; well determined: {terms}; "
              f"changes {statistics.mean(changes) if changes else 0:.1f}; "
              f"fit {fit_time / max(1, args.seeds) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
