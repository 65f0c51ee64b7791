"""Suite-wide rules for optional suites.

Browser tests need Debian's Chromium, PostgreSQL tests a server named by
``SPEEDNET_TEST_POSTGRES_URL``, Redis tests (mark ``redis``) a server named by
``SPEEDNET_TEST_REDIS_URL``. On a developer machine without them those suites are skipped
with the reason printed in the summary; under CI (``CI=true``) nothing may be skipped for that
reason, so a missing tool fails loudly instead of hiding a whole suite.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
POSTGRES_URL = os.environ.get("SPEEDNET_TEST_POSTGRES_URL", "")
REDIS_URL = os.environ.get("SPEEDNET_TEST_REDIS_URL", "")
UNDER_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = {
        "browser": None if CHROMIUM else "Debian's chromium is not installed (apt-get install chromium)",
        "postgres": None if POSTGRES_URL else "SPEEDNET_TEST_POSTGRES_URL is not set (.ci/run starts a server)",
        "redis": None if REDIS_URL else "SPEEDNET_TEST_REDIS_URL is not set (.ci/run starts a server)",
    }
    for marker, reason in missing.items():
        if not reason or not any(marker in item.keywords for item in items):
            continue
        if UNDER_CI:
            pytest.exit(f"CI must run the {marker} suite, but {reason}", returncode=3)
        for item in items:
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"{marker} suite skipped: {reason}"))


@pytest.fixture(autouse=True)
def _stop_queue_workers():
    """Stop the job-queue consumers a test started in this process (web.jobs.queue), so no
    worker thread outlives its test's app and database."""
    yield
    from web.jobs.queue import stop_in_process_workers

    stop_in_process_workers()
