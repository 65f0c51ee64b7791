"""Small helpers shared by every CP-SAT model in the scheduler (exact plan, matchings, re-opening).

They live apart from the models so that the exact model, the per-round matching and the
improvement search can share them without importing one another.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from ortools.sat.python import cp_model


def single_worker_solver(seed: int, time_limit: float) -> cp_model.CpSolver:
    """A solver with one worker and a deterministic time limit, so a seed gives one answer.

    The wall-clock limit is the same number: a guard for a busy machine, where deterministic
    time runs slower than the clock and the search would overrun the caller's deadline.
    """
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = time_limit
    solver.parameters.max_time_in_seconds = time_limit
    return solver


@contextlib.contextmanager
def stop_when_cancelled(solver: cp_model.CpSolver, cancel: threading.Event | None) -> Iterator[None]:
    """Stop a running CP-SAT search as soon as ``cancel`` is set (checked every 50 ms)."""
    if cancel is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if cancel.wait(0.05):
                solver.stop_search()
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
