"""Several kiosks at once against a real server: gunicorn with several worker processes and
threads, a fresh database, and at least 16 client threads sending duplicate scans of the same
people and nonce replays (a kiosk resending after a lost answer).

Afterwards every scanned attendee has exactly one non-annulled check-in, and every check-in a
kiosk was told about (201) is stored: none lost, none doubled. Runs on SQLite always and on
PostgreSQL when ``SPEEDNET_TEST_POSTGRES_URL`` is set (a new database per test).
"""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.reliability.server import Server, scratch_postgres, seed, stored_checkins

ATTENDEES = 30          # scanned people
SCANS_PER_PERSON = 3    # different kiosks scanning the same badge
REPLAYS = 2             # each request is sent this many times with the same nonce
CLIENT_THREADS = 24

pytestmark = pytest.mark.slow


def rush(base: str, token: str, slug: str, codes: list[str]) -> list[tuple[str, str, int, dict]]:
    """Fire every scan (and its replays) from many threads in random order."""
    requests_to_send = []
    for code in codes:
        for kiosk in range(SCANS_PER_PERSON):
            nonce = str(uuid.uuid4())
            # Scanners add whitespace; the server must not care.
            body = {"code": code if kiosk else f" {code}\n", "nonce": nonce, "device": f"Kiosk {kiosk + 1}"}
            requests_to_send.extend([body] * REPLAYS)
    random.Random(7).shuffle(requests_to_send)
    url = f"{base}/api/v1/events/{slug}/checkins"
    local = threading.local()

    def send(body: dict) -> tuple[str, str, int, dict]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
        response = session.post(url, json=body, timeout=60)
        return body["code"].strip(), body["nonce"], response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        return list(pool.map(send, requests_to_send))


def check_outcome(base: str, token: str, slug: str, codes: list[str],
                  results: list[tuple[str, str, int, dict]]) -> None:
    assert {status for _, _, status, _ in results} <= {200, 201}, \
        sorted({(status, str(body)) for _, _, status, body in results if status not in (200, 201)})[:5]
    acknowledged: dict[str, set[int]] = defaultdict(set)   # code -> check-in ids told "welcome"
    referenced: dict[str, set[int]] = defaultdict(set)     # code -> every check-in id answered
    by_nonce: dict[str, set[int]] = defaultdict(set)
    for code, nonce, status, body in results:
        assert body["status"] == ("welcome" if status == 201 else "already")
        referenced[code].add(body["checkin"]["id"])
        by_nonce[nonce].add(body["checkin"]["id"])
        if status == 201:
            acknowledged[code].add(body["checkin"]["id"])
    for code in codes:
        assert len(acknowledged[code]) == 1, f"{code}: welcomed {len(acknowledged[code])} times"
        assert referenced[code] == acknowledged[code], "'already' must name the first check-in"
    assert all(len(ids) == 1 for ids in by_nonce.values()), "a replayed nonce got a different answer"

    listing = requests.get(f"{base}/api/v1/events/{slug}/checkins",
                           headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    stored = {row["id"]: row for row in listing["checkins"]}
    assert listing["checked_in"] == len(codes)
    assert len(stored) == len(codes), "exactly one row per scanned person, no extras"
    for code in codes:
        (checkin_id,) = acknowledged[code]
        assert checkin_id in stored and stored[checkin_id]["annulled_at"] is None


def run_rush(database_url: str, instance: Path) -> None:
    seeded = seed(database_url, instance, ATTENDEES + 5)  # five people never show up
    codes = seeded.codes[:ATTENDEES]
    with Server(seeded, workers=3, threads=6) as server:
        results = rush(server.url, seeded.token, seeded.slug, codes)
        assert len(results) == len(codes) * SCANS_PER_PERSON * REPLAYS
        check_outcome(server.url, seeded.token, seeded.slug, codes, results)
    rows, active, active_codes = stored_checkins(database_url, seeded.slug)
    assert rows == active == len(codes) and active_codes == set(codes)


def test_many_kiosks_at_once_on_sqlite(tmp_path):
    run_rush(f"sqlite:///{tmp_path / 'rush.db'}", tmp_path / "instance")


@pytest.mark.postgres
def test_many_kiosks_at_once_on_postgresql(tmp_path):
    with scratch_postgres(os.environ["SPEEDNET_TEST_POSTGRES_URL"]) as url:
        run_rush(url, tmp_path / "instance")
