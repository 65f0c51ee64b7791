"""A few seconds' memory of the lookups every kiosk scan repeats.

Each scan sends its API token and names its event: two of the six database round trips a scan
made. Remembering the answers for :data:`LOOKUP_SECONDS` in each worker process removes them
(``bench/bench_checkin_load.py``: about half as many check-ins per second again on PostgreSQL;
figures in the README).

The price: a change made through *another* gunicorn worker is seen here up to
:data:`LOOKUP_SECONDS` late (a revoked token keeps working that long; a delayed event clock
reaches kiosk welcomes that late). A change made through this process is seen from its commit
on: the modules that cache a lookup call :func:`forget_after_commit` from SQLAlchemy mapper
events when such a row is written.

A cache named in :func:`stamp_across_workers` (the API token users: a revoked token must stop
at once) is also cleared in the *other* workers of the host: forgetting it writes a new stamp
file in the instance folder, and each lookup reads that file (a few microseconds, no database
round trip) and clears the cache when the stamp differs from the one it last saw. Workers on
other hosts (another instance folder) still see the change within :data:`LOOKUP_SECONDS`.

Only found rows are remembered: a token or event that does not exist (yet) is asked for again
on every request, so a token created a moment ago works at once and guessing fills nothing.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

LOOKUP_SECONDS = 2.0
MAX_ENTRIES = 1024

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LookupCache(Generic[K, V]):
    """Found values by key for a few seconds; thread-safe (gthread workers share it)."""

    def __init__(self, seconds: float = LOOKUP_SECONDS, maxsize: int = MAX_ENTRIES,
                 timer: Callable[[], float] = time.monotonic) -> None:
        self._values: TTLCache = TTLCache(maxsize=maxsize, ttl=seconds, timer=timer)
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[K], V | None]) -> V | None:
        """The remembered value for ``key``, else ``load(key)`` (remembered unless ``None``)."""
        with self._lock:
            value = self._values.get(key)
        if value is not None:
            return value
        value = load(key)
        if value is not None:
            with self._lock:
                self._values[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_STAMPED: set[str] = set()


def stamp_across_workers(name: str) -> None:
    """Make forgetting cache ``name`` reach every worker of this host at once (see above)."""
    _STAMPED.add(name)


def lookup_cache(name: str) -> LookupCache:
    """The current app's cache called ``name`` (cleared first when it is stamped across workers
    and another worker forgot it since).

    One set per app, not per process: tests build many apps (each with its own database) in
    one process, and a value from one must never answer for another.
    """
    caches: dict[str, LookupCache] = current_app.extensions.setdefault("speednet.lookup_caches", {})
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, LookupCache())
    if name in _STAMPED:
        seen: dict[str, bytes] = current_app.extensions.setdefault("speednet.lookup_stamps", {})
        stamp = _read_stamp(name)
        if seen.get(name) != stamp:
            cache.clear()
            seen[name] = stamp
    return cache


def _stamp_path(name: str) -> str:
    return os.path.join(current_app.instance_path, f"lookup-stamp-{name}")


def _read_stamp(name: str) -> bytes:
    try:
        with open(_stamp_path(name), "rb") as stamp:
            return stamp.read(64)
    except OSError:
        return b""


def _write_stamp(name: str) -> None:
    """A new random stamp, written whole (replace), so a reader never sees half of one."""
    path = _stamp_path(name)
    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}"
    try:
        with open(temporary, "wb") as stamp:
            stamp.write(secrets.token_hex(16).encode())
        os.replace(temporary, path)
    except OSError:
        current_app.logger.warning("could not write the lookup stamp %s", path)


def forget(name: str) -> None:
    """Clear the current app's cache ``name`` (and, when stamped, the other workers' too)."""
    if has_app_context():
        if name in _STAMPED:
            _write_stamp(name)
        lookup_cache(name).clear()


_PENDING = "speednet.forget_after_commit"


def forget_after_commit(name: str, row: object) -> None:
    """Clear cache ``name`` when the transaction that is writing ``row`` commits.

    Not before: until the commit other requests still read the old row, and one of them could
    put it back into the cache right after an earlier clear.
    """
    session = object_session(row)
    if session is None:
        forget(name)
    else:
        session.info.setdefault(_PENDING, set()).add(name)


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    for name in session.info.pop(_PENDING, ()):
        forget(name)


@event.listens_for(Session, "after_rollback")
def _keep_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
