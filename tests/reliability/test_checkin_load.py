"""Check-ins under concurrent load and across a server crash, against the real app under
gunicorn (several workers): no check-in is lost or doubled, and every check-in a kiosk saw
acknowledged survives a SIGKILL of the whole server. Not timed (see bench/bench_checkin_load.py)."""

from __future__ import annotations

import os
import threading
import time

import pytest

from tests.reliability.server import Server, drive_checkins, scratch_postgres, seed, stored_checkins

pytestmark = pytest.mark.load

N = 120


def _exact_counts(seeded, codes, result):
    assert result.errors == [], result.errors[:10]
    assert result.dropped == 0
    assert result.welcomes == len(codes), "every badge is welcomed exactly once"
    rows, active, checked_in = stored_checkins(seeded.database_url)
    assert (rows, active) == (len(codes), len(codes)), "a check-in was lost or doubled"
    assert checked_in == set(codes)


def _load_then_crash(seeded):
    codes = seeded.codes
    server = Server(seeded, workers=3, threads=4).start()
    try:
        result = drive_checkins(server.url, seeded, codes[: N // 2], threads=16)
    except BaseException:
        server.kill()
        raise
    _exact_counts(seeded, codes[: N // 2], result)

    # Crash in the middle of a load: every acknowledged check-in must still be stored.
    stop = threading.Event()
    box = {}
    driver = threading.Thread(target=lambda: box.setdefault(
        "result", drive_checkins(server.url, seeded, codes[N // 2:], threads=16, stop=stop)))
    driver.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows, _, _ = stored_checkins(seeded.database_url)
        if rows >= N // 2 + N // 8:  # well into the second half
            break
        time.sleep(0.02)
    server.kill()
    stop.set()
    driver.join(60)
    crashed = box["result"]
    acknowledged = crashed.acknowledged
    assert acknowledged, "the load was running when the server died"

    with Server(seeded, workers=2, threads=4) as again:
        rows, active, checked_in = stored_checkins(seeded.database_url)
        lost = acknowledged - checked_in
        assert not lost, f"{len(lost)} acknowledged check-ins vanished in the crash"
        assert rows == active == len(checked_in)
        # The kiosks carry on: the rest get in, nobody twice.
        rest = drive_checkins(again.url, seeded, codes[N // 2:], threads=16, repeat_share=0, replay_share=0)
        assert rest.errors == [] and rest.dropped == 0
        assert rest.welcomes + rest.already == N - N // 2
    rows, active, checked_in = stored_checkins(seeded.database_url)
    assert (rows, active) == (N, N) and checked_in == set(codes)


def test_sqlite_under_load_and_sigkill(tmp_path):
    seeded = seed(f"sqlite:///{tmp_path / 'load.db'}", tmp_path / "instance", N)
    _load_then_crash(seeded)


@pytest.mark.postgres
def test_postgresql_under_load_and_sigkill(tmp_path):
    with scratch_postgres(os.environ["SPEEDNET_TEST_POSTGRES_URL"]) as url:
        seeded = seed(url, tmp_path / "instance", N)
        _load_then_crash(seeded)
