"""The door beside other work: check-in latency alone and while the server does other things.

Run: .venv/bin/python bench/bench_checkin_load.py [--attendees 2000] [--threads 8] [--rate 30]
     [--plan-seconds 20] [--workers 3] [--server-threads 3] [--postgres URL]

Seeds one event of ``--attendees`` people with a published schedule, starts ``gunicorn -k
gthread`` on 127.0.0.1 and, in one sitting:

* baseline: ``GET /healthz`` back to back (no database), and check-ins back to back, as a share
  of that baseline (what this machine managed at that moment);
* the median answer time of each public page on the idle server, against /healthz's;
* paced check-ins (``--rate`` scans/s over ``--threads`` kiosks, latency counted from when a
  scan was due): alone; while a re-generate of the whole published schedule runs (started from
  the console like an organiser, so it runs wherever the app runs jobs); alone again; while 4
  anonymous clients open personal pages, agenda PDFs and the display state as fast as they are
  answered (rate limit raised so the pages' own cost shows); while an organiser uploads a
  100,000-row CSV (refused at the row limit) and imports a 20,000-row file, over and over.

Each "with" load prints its p99 against the "alone" p99 and how many scans were answered 500
(a 503 is a retry the kiosk resends). Prints figures; asserts nothing about speed. Aims: every
"with" p99 at most 1.5x alone, no 500, public pages within 10x /healthz.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.server import (  # noqa: E402
    LoadResult,
    Server,
    drive_checkins,
    run_kiosks,
    scratch_postgres,
    seed,
)

ORGANISER_EMAIL, ORGANISER_PASSWORD = "organiser@example.com", "organiser password 1"
IMPORT_SLUG = "import-target"
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')

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


# ---------------------------------------------------------------- the door beside other work


def organiser_session(base_url: str) -> requests.Session:
    """A signed-in organiser (the console's forms need a session and CSRF tokens)."""
    session = requests.Session()
    session.post(base_url + "/login", data={"csrf_token": _csrf(session, base_url + "/login"),
                                             "email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD},
                 timeout=60, allow_redirects=False).raise_for_status()
    return session


def _csrf(session: requests.Session, url: str) -> str:
    found = _CSRF.search(session.get(url, timeout=60).text)
    if not found:
        raise RuntimeError(f"no CSRF token on {url}")
    return found.group(1)


def add_organiser(database_url: str, instance: Path) -> None:
    from web import create_app
    from web.auth.services import create_user
    from web.extensions import db

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "load-test-secret"})
    with app.app_context():
        import datetime as dt

        from sqlalchemy import select

        from web.events.members import MemberRole, ensure_member
        from web.events.models import Event

        organiser = create_user(ORGANISER_EMAIL, ORGANISER_PASSWORD, "organiser")
        db.session.add(Event(slug=IMPORT_SLUG, name="Import target", venue="Hall", timezone="UTC",
                             date=dt.date.today(), start=dt.datetime.combine(dt.date.today(), dt.time(9)),
                             rounds=8))
        db.session.commit()
        for event in db.session.scalars(select(Event)):  # the organiser is in both events' teams
            ensure_member(event, organiser, MemberRole.ORGANISER)
        db.session.remove()
        db.engine.dispose()


def start_plan(base_url: str, slug: str, seconds: float) -> str:
    """Start a re-generate of the published schedule from the console, as an organiser does
    (it runs wherever the app runs its jobs)."""
    session = organiser_session(base_url)
    url = f"{base_url}/console/{slug}/schedule/generate"
    response = session.post(url, data={"csrf_token": _csrf(session, url), "time_limit": f"{seconds:g}",
                                       "seed": "1", "mode": "regenerate", "confirm_regenerate": "y"},
                            timeout=120, allow_redirects=False)
    return f"plan started: {response.status_code} {response.headers.get('Location', '')}"


def public_clients(base_url: str, display: str, tokens: list[str], stop: threading.Event,
                   clients: int = 4, *, own_address: bool = True) -> list[LoadResult]:
    """``clients`` anonymous clients opening personal pages, agenda PDFs and the display state
    as fast as they are answered, until ``stop``. Each comes through the (trusted) proxy with
    its own address, so the per-client limit applies; ``own_address=False`` sends every
    request from a new address, which no per-client limit slows (the pages' own cost)."""
    results = [LoadResult() for _ in range(clients)]
    parts = urlsplit(base_url)

    def client(number: int) -> None:
        rng = random.Random(number)
        local = results[number]
        while not stop.is_set():
            token = rng.choice(tokens)
            path = rng.choice([f"/me/{token}", f"/me/{token}/agenda.pdf", f"/display/{display}/state.json"])
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            address = f"198.51.100.{number + 1}" if own_address else f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers={"X-Forwarded-For": address})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                local.dropped += 1
                continue
            finally:
                connection.close()
            local.latencies.append(time.perf_counter() - started)
            local.sent += 1
            if response.status == 429:
                local.already += 1  # slowed by the per-client limit
            elif response.status != 200:
                local.errors.append(f"{path.split('/')[-1]}: {response.status}")

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    return results


def big_csv(rows: int, prefix: str, suffix: str = "") -> bytes:
    lines = ["id,name,company,region,partner_type,offers,seeks"]
    lines += [f"{prefix}{i:06d},Imported Person {i}{suffix},Co {i % 89},EMEA,ISV,Hosting,DevOps" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def import_loop(base_url: str, slug: str, stop: threading.Event, log: list[str]) -> threading.Thread:
    """An organiser uploading a 100,000-row CSV (refused: over the row limit) and importing a
    20,000-row file into the event (added, then updated), over and over until ``stop``."""
    session = organiser_session(base_url)
    upload = f"{base_url}/console/{slug}/attendees/import"
    refused, accepted = big_csv(100_000, "H"), [big_csv(20_000, "M"), big_csv(20_000, "M", " (updated)")]

    def send(data: bytes, name: str) -> int:
        response = session.post(upload, data={"csrf_token": _csrf(session, upload)},
                                files={"file": (name, data, "text/csv")}, timeout=300, allow_redirects=False)
        return response.status_code

    def loop() -> None:
        turn = 0
        while not stop.is_set():
            started = time.perf_counter()
            status = send(refused, "everyone.csv")
            log.append(f"100,000 rows: {status} in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            status = send(accepted[turn % 2], "people.csv")
            if status == 302:
                commit = f"{base_url}/console/{slug}/attendees/import/commit"
                status = session.post(commit, data={"csrf_token": _csrf(session, upload + "/preview")},
                                      timeout=300, allow_redirects=False).status_code
            log.append(f"20,000 rows imported: {status} in {time.perf_counter() - started:.1f} s")
            turn += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def server_times(base_url: str, display: str, tokens: list[str], requests_each: int = 30
                 ) -> dict[str, tuple[float, float]]:
    """Median answer time of each public page from one client on an idle server, first for
    ``requests_each`` different attendees (nothing cached yet), then on the fourth pass over
    the same ones (kept per published version in each worker that rendered them); /healthz
    for comparison. Each request comes from its own
    forwarded address, so the rate limit does not answer instead of the page."""
    parts = urlsplit(base_url)
    pages = {"/healthz": "/healthz", "/me/<token>": "/me/{t}", "agenda.pdf": "/me/{t}/agenda.pdf",
             "agenda.ics": "/me/{t}/agenda.ics", "now.json": "/me/{t}/now.json",
             "/display/<slug>": "/display/{s}", "state.json": "/display/{s}/state.json"}
    medians = {}
    for name, pattern in pages.items():
        passes = []
        for _ in range(4):  # by the last pass most workers have rendered each page once
            times = []
            for i in range(requests_each):
                path = pattern.format(t=tokens[i % len(tokens)], s=display)
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                started = time.perf_counter()
                connection.request("GET", path, headers={"X-Forwarded-For": f"192.0.2.{i % 250 + 1}"})
                response = connection.getresponse()
                response.read()
                times.append(time.perf_counter() - started)
                connection.close()
                if response.status != 200:
                    raise RuntimeError(f"{path} answered {response.status}")
            passes.append(statistics.median(times))
        medians[name] = (passes[0], passes[-1])
    return medians


def run(label: str, database_url: str, args: argparse.Namespace, folder: Path) -> bool:
    seeded = seed(database_url, folder / "instance", args.attendees)
    add_organiser(database_url, folder / "instance")
    tokens = attendee_tokens(database_url, folder / "instance")
    display = f"{seeded.slug}/{display_key(database_url, seeded.slug)}"  # the room display's secret address
    share = len(seeded.codes) // 7
    groups = [seeded.codes[i * share:(i + 1) * share] for i in range(7)]
    os.environ["SPEEDNET_TRUSTED_PROXIES"] = "1"  # as behind the README's reverse proxy
    ok = True
    with Server(seeded, workers=args.workers, threads=args.server_threads, job_worker=True) as server:
        baseline = health_checks(server.url, 2000, args.threads)
        meter = CpuMeter(server, database_url)
        saturated = drive_checkins(server.url, seeded, groups[0], threads=args.threads)
        notes = [meter.per_request(saturated.sent)]
        times = server_times(server.url, display, tokens[:200])
        pace = dict(threads=args.threads, rate=args.rate)
        results = [("baseline", baseline), ("back to back", saturated)]
        alone = drive_checkins(server.url, seeded, groups[1], **pace)
        results.append(("alone", alone))
        notes.append(start_plan(server.url, seeded.slug, args.plan_seconds))
        time.sleep(1.0)
        results.append(("with plan", drive_checkins(server.url, seeded, groups[2], **pace)))
        wait_for_jobs(database_url, 120)
        results.append(("alone again", drive_checkins(server.url, seeded, groups[3], **pace)))
        page_loads = []
        for load, own, codes in (("with 4 pages", True, groups[4]), ("with 4 pages*", False, groups[5])):
            stop = threading.Event()
            pages = public_clients(server.url, display, tokens, stop, own_address=own)
            time.sleep(0.5)
            paged = drive_checkins(server.url, seeded, codes, **pace)
            stop.set()
            time.sleep(0.5)
            results.append((load, paged))
            page_load = LoadResult(seconds=paged.seconds)
            for part in pages:
                page_load.merge(part)
            page_loads.append((load, page_load))
        stop = threading.Event()
        log: list[str] = []
        importer = import_loop(server.url, IMPORT_SLUG, stop, log)
        time.sleep(1.0)
        results.append(("with import", drive_checkins(server.url, seeded, groups[6], **pace)))
        stop.set()
        importer.join(300)
    for load, result in results:
        print(row(label, load, result, baseline))
    alone_p99 = alone.percentile(99)
    for load, result in results[3:]:
        if load.startswith("with"):
            ratio = result.percentile(99) / alone_p99
            fives = sum(" 500 " in e or ": 500" in e for e in result.errors)
            print(f"{'':<11} {load}: p99 {ratio:.2f}x alone, {fives} scans answered 500, "
                  f"{len(result.errors)} other answers ({', '.join(sorted({e.split(' ', 2)[-1][:3] for e in result.errors})) or 'none'})")
            ok &= fives == 0
    for load, page_load in page_loads:
        print(f"{'':<11} {load}: the 4 clients got {page_load.sent} answers "
              f"({page_load.sent / max(page_load.seconds, 0.001):.0f}/s), {page_load.already} of them 429, "
              f"p50 {1000 * page_load.percentile(50):.1f} ms, other non-200: {len(page_load.errors)}")
    print(f"{'':<11} (* every request from a new address: no per-client limit applies)")
    health = times["/healthz"][1]
    print(f"{'':<11} idle median answer, first / fourth pass (x /healthz):")
    for name, (cold, warm) in times.items():
        print(f"{'':<11}   {name:<16} {1000 * cold:6.1f} / {1000 * warm:6.1f} ms  "
              f"({cold / health:5.1f}x / {warm / health:5.1f}x)")
    for note in notes + log[:6]:
        print(f"{'':<11} {note}")
    return ok


def attendee_tokens(database_url: str, instance: Path) -> list[str]:
    """The personal tokens of the seeded attendees, and the event's display key. Only hashes
    and nonces are stored: the tokens are derived under the server's SECRET_KEY, as the app
    derives them."""
    from sqlalchemy import select

    from web import create_app
    from web.attendees.models import Attendee
    from web.extensions import db

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "load-test-secret"})
    with app.app_context():
        try:
            return [row.token for row in db.session.scalars(select(Attendee).order_by(Attendee.id))]
        finally:
            db.session.remove()
            db.engine.dispose()


def display_key(database_url: str, slug: str) -> str:
    """The room display's secret key (the display answers 404 without it)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT display_key FROM events WHERE slug = :s"), {"s": slug}).scalar() or ""
    finally:
        engine.dispose()


def wait_for_jobs(database_url: str, timeout: float) -> None:
    """Until no job of the bench is queued or running (the plan finished)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                busy = conn.execute(text("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")).scalar()
            if not busy:
                return
            time.sleep(0.5)
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=2000, help="attendees of the event (and of the plan)")
    parser.add_argument("--threads", type=int, default=8, help="concurrent kiosk threads")
    parser.add_argument("--rate", type=float, default=30.0, help="scans per second in the paced loads")
    parser.add_argument("--plan-seconds", type=float, default=20.0, help="solver time of the plan")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=3, help="threads per gunicorn worker")
    parser.add_argument("--postgres", default=os.environ.get("SPEEDNET_BENCH_POSTGRES_URL")
                        or os.environ.get("SPEEDNET_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(f"{args.attendees} attendees, {args.threads} kiosk threads, paced at {args.rate:g} scans/s, "
          f"gunicorn {args.workers} workers x {args.server_threads} threads (gthread), "
          f"{os.cpu_count()} CPUs shared with the kiosks; load before: {os.getloadavg()[0]:.2f}")
    print(COLUMNS)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args, Path(tmp) / "sqlite")
    if args.postgres:
        with tempfile.TemporaryDirectory() as tmp, scratch_postgres(args.postgres) as url:
            ok &= run("postgresql", url, args, Path(tmp))
    else:
        print("postgresql  skipped: pass --postgres URL (or set SPEEDNET_TEST_POSTGRES_URL)")
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
