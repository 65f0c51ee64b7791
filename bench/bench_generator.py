"""Generating and importing attendee files: 2,000 attendees against a 200-attendee baseline.

Run: .venv/bin/python bench/bench_generator.py [N]. Prints a table; no assertions. The target is
2,000 attendees generated, and a 2,000-row file (CSV or XLSX) read, each in under 2 s on a busy
2-core machine. The ratio column compares N with the 200-attendee baseline measured in the same
run, so a slow machine shows in both and the ratio stays comparable (10 means linear).
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scheduler.generator import generate_event  # noqa: E402
from scheduler.importer import read_attendee_file, write_attendee_file  # noqa: E402

BASELINE = 200
ROUNDS = 10
REPEATS = 3


def best_of(job: Callable[[], object]) -> float:
    """The fastest of a few runs: the least disturbed by other work on the machine."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        job()
        times.append(time.perf_counter() - started)
    return min(times)


def file_bytes(n: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    write_attendee_file(generate_event(n, rounds=ROUNDS, seed=3), buffer, fmt)
    return buffer.getvalue()


def jobs(n: int) -> list[tuple[str, Callable[[], object]]]:
    csv_data, xlsx_data = file_bytes(n, "csv"), file_bytes(n, "xlsx")
    return [
        ("generate", lambda: generate_event(n, rounds=12, seed=99)),
        ("import csv", lambda: read_attendee_file(csv_data, filename="big.csv", rounds=ROUNDS)),
        ("import xlsx", lambda: read_attendee_file(xlsx_data, filename="big.xlsx", rounds=ROUNDS)),
    ]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(f"{'job':<14}{'n':>7}{'seconds':>10}{f'{BASELINE} s':>10}{'ratio':>8}")
    for (name, job), (_, baseline) in zip(jobs(n), jobs(BASELINE)):
        base, seconds = best_of(baseline), best_of(job)
        print(f"{name:<14}{n:>7}{seconds:>10.3f}{base:>10.3f}{seconds / base:>8.1f}")


if __name__ == "__main__":
    main()
