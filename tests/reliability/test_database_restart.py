"""PostgreSQL going away under a running server (a restart, a failover): connections are not
pinged before use, so the request that meets a dead one answers 503 with Retry-After, the pool
reconnects, and a kiosk resending the same nonce gets in exactly once. Never a 500."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest

from tests.reliability.server import Kiosk, Server, scratch_postgres, seed, stored_checkins


def _drop_app_connections(database_url: str) -> int:
    """Terminate every server process connected to the app's database, as a restart would."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()[0]


@pytest.mark.postgres
def test_a_dropped_database_connection_answers_503_then_the_resend_gets_in(tmp_path):
    with scratch_postgres(os.environ["SPEEDNET_TEST_POSTGRES_URL"]) as url:
        seeded = seed(url, tmp_path / "instance", 3)
        first, second, _ = seeded.codes
        with Server(seeded, workers=1, threads=1) as server:
            kiosk = Kiosk(server.url, seeded, "Gate A")
            assert kiosk.scan(first, uuid.uuid4().hex)[0] == 201  # the worker now holds a connection
            assert _drop_app_connections(url) >= 1

            nonce = uuid.uuid4().hex
            status, body = kiosk.scan(second, nonce)
            assert status == 503, body
            assert kiosk.last_headers.get("Retry-After") == "1"
            status, body = kiosk.scan(second, nonce)  # the kiosk resends: a fresh connection
            assert (status, body["status"], body["replayed"]) == (201, "welcome", False)
            assert kiosk.scan(second, nonce)[1]["replayed"] is True
        rows, active, codes = stored_checkins(url)
        assert (rows, active, codes) == (2, 2, {first, second})
