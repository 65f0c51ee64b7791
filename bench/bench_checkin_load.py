"""Check-in throughput: the real app under gunicorn, kiosks posting check-ins concurrently.

Run: .venv/bin/python bench/bench_checkin_load.py [--attendees 2000] [--threads 16] [--rate 300]
     [--workers 3] [--server-threads 3] [--postgres URL]
     (or SPEEDNET_BENCH_POSTGRES_URL / SPEEDNET_TEST_POSTGRES_URL for PostgreSQL)

For SQLite (always) and PostgreSQL (when a URL is given; a scratch database is created and
dropped) it seeds one event with a published schedule, starts ``gunicorn -k gthread`` on
127.0.0.1 and scans badges from ``--threads`` kiosk threads (10% repeated scans, 10% resent
requests), twice:

* back to back: each kiosk sends its next scan the moment the last one is answered. This
  finds the most scans per second the server sustains; latency there is mostly the queue the
  kiosks themselves build.
* paced: scans are due at ``--rate`` per second over all kiosks, as people reach a door, and
  latency is counted from when each scan was due (a late answer is charged to the scans queued
  behind it). This is the latency a person at the door sees at that rate.

Beside them, the baseline of the same run: ``GET /healthz`` (the same gunicorn, Flask and
security headers, no database) back to back from the same kiosks, so a figure can be read
against what this machine managed at that moment ("% of baseline").

For the back-to-back load it also prints where the machine's CPU went per request: the
gunicorn processes, the database's server processes (PostgreSQL) and the kiosks (Linux only).

Then it checks the database: every badge checked in exactly once. Prints figures; asserts
nothing about speed. Aim on loopback: >= 300 check-ins/s with p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.server import (  # noqa: E402
    LoadResult,
    Server,
    drive_checkins,
    run_kiosks,
    scratch_postgres,
    seed,
    stored_checkins,
)

COLUMNS = (f"{'database':<11} {'load':<15} {'requests':>8} {'seconds':>7} {'req/s':>7} {'% base':>6} "
           f"{'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'welcome':>7} {'already':>7} {'replays':>7}")


def row(database: str, load: str, result: LoadResult, baseline: LoadResult) -> str:
    ms = [1000 * result.percentile(p) for p in (50, 90, 99)]
    return (f"{database:<11} {load:<15} {result.sent:>8} {result.seconds:>7.2f} {result.rate:>7.1f} "
            f"{100 * result.rate / baseline.rate:>6.1f} {ms[0]:>7.1f} {ms[1]:>7.1f} {ms[2]:>7.1f} "
            f"{result.welcomes:>7} {result.already:>7} {result.replays:>7}")


def health_checks(base_url: str, requests: int, threads: int) -> LoadResult:
    """The baseline: ``GET /healthz`` back to back from ``threads`` kiosks."""
    parts = urlsplit(base_url)
    result, lock = LoadResult(), threading.Lock()
    per_thread = requests // threads

    def kiosk(_number: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        local = LoadResult()
        for _ in range(per_thread):
            started = time.perf_counter()
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            local.latencies.append(time.perf_counter() - started)
            local.sent += 1
            if response.status != 200:
                local.errors.append(f"/healthz answered {response.status}")
        with lock:
            result.merge(local)

    started = time.perf_counter()
    run_kiosks(kiosk, threads)
    result.seconds = time.perf_counter() - started
    return result


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU of these processes so far (those that have exited count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(server: Server) -> list[int]:
    """gunicorn's master and its workers."""
    master = server.process.pid if server.process else 0
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return [master, *children]


def database_pids(database_url: str) -> list[int]:
    """The PostgreSQL server processes serving the app's connections (none for SQLite)."""
    if not database_url.startswith("postgresql"):
        return []
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]


class CpuMeter:
    """CPU per request of the app server, the database and the kiosks over one load."""

    def __init__(self, server: Server, database_url: str) -> None:
        self.server, self.database_url = server, database_url
        self.start = (cpu_seconds(server_pids(server)), self._database(), time.process_time())

    def _database(self) -> dict[int, float]:
        return {pid: cpu_seconds([pid]) for pid in database_pids(self.database_url)}

    def per_request(self, requests: int) -> str:
        app = cpu_seconds(server_pids(self.server)) - self.start[0]
        now = self._database()
        database = sum(seconds - self.start[1].get(pid, 0.0) for pid, seconds in now.items())
        kiosks = time.process_time() - self.start[2]
        ms = [1000 * value / max(requests, 1) for value in (app, database, kiosks)]
        return (f"CPU per request, back to back: app server {ms[0]:.2f} ms, database server "
                f"{ms[1]:.2f} ms, kiosks {ms[2]:.2f} ms")


def run(label: str, database_url: str, args: argparse.Namespace, folder: Path) -> bool:
    seeded = seed(database_url, folder / "instance", 2 * args.attendees)
    back_to_back, paced = seeded.codes[:args.attendees], seeded.codes[args.attendees:]
    with Server(seeded, workers=args.workers, threads=args.server_threads) as server:
        baseline = health_checks(server.url, args.attendees, args.threads)
        meter = CpuMeter(server, database_url)
        saturated = drive_checkins(server.url, seeded, back_to_back, threads=args.threads)
        cpu = meter.per_request(saturated.sent)
        results = [
            ("baseline", baseline),
            ("back to back", saturated),
            (f"{args.rate:g}/s paced", drive_checkins(server.url, seeded, paced, threads=args.threads,
                                                      rate=args.rate)),
        ]
    rows, active, codes = stored_checkins(database_url)
    errors = [error for _, result in results for error in result.errors]
    exact = rows == active == len(seeded.codes) and codes == set(seeded.codes) and not errors
    for load, result in results:
        print(row(label, load, result, baseline))
    print(f"{'':<11} {cpu}")
    print(f"{'':<11} stored afterwards: {rows} check-ins for {len(seeded.codes)} badges, "
          f"{'exact (none lost, none doubled)' if exact else 'WRONG'}")
    for error in errors[:5]:
        print(f"    {error}")
    return exact


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=2000, help="badges scanned per load")
    parser.add_argument("--threads", type=int, default=16, help="concurrent kiosk threads")
    parser.add_argument("--rate", type=float, default=300.0, help="scans per second in the paced load")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=3, help="threads per gunicorn worker")
    parser.add_argument("--postgres", default=os.environ.get("SPEEDNET_BENCH_POSTGRES_URL")
                        or os.environ.get("SPEEDNET_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(f"{args.attendees} badges per load, {args.threads} kiosk threads, gunicorn {args.workers} "
          f"workers x {args.server_threads} threads (gthread), {os.cpu_count()} CPUs shared with the kiosks")
    print(COLUMNS)
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
