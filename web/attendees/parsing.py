"""Reading uploaded attendee files beside the door, not in front of it.

Parsing a 20,000-row file costs seconds of CPU. Done in the web worker that received the
upload, it competes for the same cores as the check-in kiosks, and a scan waits behind it. So
the file is read in a separate process at a lower CPU priority (``nice``): the web worker's
thread only waits for the answer, the door's requests get the CPU first, and an upload that
would blow up in memory does so in a process that is replaced, not in the web worker. The
result (attendees or an ``AttendeeFileError``) is the importer's own, so callers do not change.

One such process per web worker, started on the first upload and kept. ``IMPORT_PARSER``
(``"process"`` by default, ``"inline"`` to read in the request's own thread) chooses.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from flask import current_app

from scheduler.importer import ImportResult, read_attendee_file

PARSER_NICE = 10
PARSE_TIMEOUT_SECONDS = 300.0

_pool: ProcessPoolExecutor | None = None
_pool_pid: int | None = None
_lock = threading.Lock()


def _lower_priority() -> None:
    if hasattr(os, "nice"):
        os.nice(PARSER_NICE)


def _parser_pool() -> ProcessPoolExecutor:
    """This web worker's parsing process (a new one after a fork or a crash)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            # "spawn": a fresh interpreter, never a fork of a threaded web worker.
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_lower_priority)
            _pool_pid = os.getpid()
        return _pool


def _discard_pool() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def read_upload(data: bytes, **options: Any) -> ImportResult:
    """:func:`scheduler.importer.read_attendee_file` on ``data``, in the parsing process."""
    if current_app.config.get("IMPORT_PARSER", "process") != "process":
        return read_attendee_file(data, **options)
    try:
        return _parser_pool().submit(read_attendee_file, data, **options).result(timeout=PARSE_TIMEOUT_SECONDS)
    except BrokenProcessPool:
        # The process died (killed, out of memory): read it here once, with the importer's
        # own bounds, and start a fresh process for the next upload.
        _discard_pool()
        return read_attendee_file(data, **options)
