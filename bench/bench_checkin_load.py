"""Check-in throughput: the real app under gunicorn, kiosks posting check-ins concurrently.

Run: .venv/bin/python bench/bench_checkin_load.py [--attendees 2000] [--threads 16] [--workers 4]
     [--postgres URL]   (or SPEEDNET_BENCH_POSTGRES_URL / SPEEDNET_TEST_POSTGRES_URL)

For SQLite (always) and PostgreSQL (when a URL is given; a scratch database is created and
dropped) it seeds one event, starts ``gunicorn -k gthread`` on 127.0.0.1, scans every badge
once from ``--threads`` kiosk threads (keep-alive sessions; 10% repeated scans, 10% nonce
replays), prints requests per second and p50/p99 latency, then checks the database: every
badge checked in exactly once. Prints figures; asserts nothing about speed. Target on loopback:
>= 300 check-ins/s and p99 <= 50 ms (clients and server share the machine's cores).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.server import Server, drive_checkins, scratch_postgres, seed, stored_checkins  # noqa: E402


def run(label: str, database_url: str, args: argparse.Namespace, folder: Path) -> bool:
    seeded = seed(database_url, folder / "instance", args.attendees)
    with Server(seeded, workers=args.workers, threads=args.server_threads) as server:
        result = drive_checkins(server.url, seeded, seeded.codes, threads=args.threads)
    rows, active, codes = stored_checkins(database_url)
    exact = rows == active == args.attendees and codes == set(seeded.codes) and not result.errors
    print(f"{label:<11} {result.sent:>8} {result.seconds:>7.2f} {result.rate:>9.1f} "
          f"{1000 * result.percentile(50):>8.1f} {1000 * result.percentile(99):>8.1f} "
          f"{result.welcomes:>8} {result.already:>7} {result.replays:>7} {rows:>6} "
          f"{'exact' if exact else 'WRONG'}")
    for error in result.errors[:5]:
        print(f"    {error}")
    return exact


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16, help="concurrent kiosk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--postgres", default=os.environ.get("SPEEDNET_BENCH_POSTGRES_URL")
                        or os.environ.get("SPEEDNET_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(f"{args.attendees} badges, {args.threads} kiosk threads, gunicorn {args.workers} workers x "
          f"{args.server_threads} threads (gthread), {os.cpu_count()} CPUs")
    print(f"{'database':<11} {'requests':>8} {'seconds':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'welcome':>8} {'already':>7} {'replays':>7} {'rows':>6} counts")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args, Path(tmp) / "sqlite")
    if args.postgres:
        with tempfile.TemporaryDirectory() as tmp, scratch_postgres(args.postgres) as url:
            ok &= run("postgresql", url, args, Path(tmp))
    else:
        print("postgresql  skipped: pass --postgres URL (or set SPEEDNET_TEST_POSTGRES_URL)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
