"""Round placement: the same request gives the same rounds in every process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Plans a few events' rounds (sit-out plan, placement, polish) with no time pressure and prints them.
_SCRIPT = """
import time
from scheduler.bounds import fairness_target
from scheduler.instance import build_instance
from scheduler.placement import place_rounds, plan_sit_outs, polish_rounds
from tests.scheduler._events import WEIGHTS, random_event

for n, tables in ((9, 4), (30, 10), (61, 30)):
    inst = build_instance(random_event(n, seed=n, rounds=6), 6, tables, WEIGHTS, (), (), None, 0)
    target = fairness_target(inst)
    u, v = inst.edges()
    chosen = [(int(a), int(b)) for a, b in zip(u[::3], v[::3])]
    placed = place_rounds(inst, chosen, time.monotonic() + 600, 1, target)
    print(n, plan_sit_outs(inst, target).nonzero(), placed.rounds,
          polish_rounds(inst, placed.rounds, target, time.monotonic() + 600, 1))
"""


def test_rounds_do_not_depend_on_the_processs_hash_seed() -> None:
    """Two job workers planning one event must publish one schedule (string hashing differs
    between processes, so any iteration over hashed labels would show here)."""
    outputs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
