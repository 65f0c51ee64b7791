"""A job kind for tests that need a job doing something arbitrary (wait, fail, report).

Handlers must be named functions a worker can import, so tests cannot hand a closure to
``start_job``. :func:`start_test_job` registers the closure in this process under a fresh key
and starts a job of kind ``"test"`` whose params carry only that key; the in-process worker
the tests run (web.jobs.queue) takes it off the real queue and calls the closure with the
job's context. Jobs that must run in another process use the real kinds (plan, replan).
"""

from __future__ import annotations

import threading
import uuid
from typing import Any, Callable

from web.events.models import Event
from web.jobs import Job, JobContext, job_handler, start_job

TEST_KIND = "test"
_calls: dict[str, Callable[[JobContext], Any]] = {}
_lock = threading.Lock()


@job_handler(TEST_KIND)
def run_test_job(context: JobContext, params: dict[str, Any]) -> int | None:
    with _lock:
        work = _calls.pop(params["call"])
    return work(context)


def start_test_job(event: Event, work: Callable[[JobContext], Any]) -> Job:
    """Start a job whose worker runs ``work(context)``; its return value is the result id."""
    key = uuid.uuid4().hex
    with _lock:
        _calls[key] = work
    try:
        return start_job(event, TEST_KIND, params={"call": key})
    except Exception:
        with _lock:
            _calls.pop(key, None)
        raise
