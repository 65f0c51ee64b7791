"""A few seconds' memory of the lookups every kiosk scan repeats.

Each scan sends its API token and names its event. Looking both up costs two database round
trips per scan, as much server time as recording the check-in itself (measured with
``bench/bench_checkin_load.py``: without this memory, PostgreSQL on the same two cores served
about 230 scans/s; with it, about 320). Remembering the answers for :data:`LOOKUP_SECONDS` in
each worker process removes those round trips.

The price: a change made through *another* gunicorn worker is seen here up to
:data:`LOOKUP_SECONDS` late (a revoked token keeps working that long; a delayed event clock
reaches kiosk welcomes that late). Changes made through this process are seen at once: the
modules that cache a lookup clear it from SQLAlchemy mapper events when such a row is written.

Only found rows are remembered: a token or event that does not exist (yet) is asked for again
on every request, so a token created a moment ago works at once and guessing fills nothing.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Generic, Hashable, TypeVar

from cachetools import TTLCache
from flask import current_app, has_app_context

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


def lookup_cache(name: str) -> LookupCache:
    """The current app's cache called ``name``.

    One set per app, not per process: tests build many apps (each with its own database) in
    one process, and a value from one must never answer for another.
    """
    caches: dict[str, LookupCache] = current_app.extensions.setdefault("speednet.lookup_caches", {})
    cache = caches.get(name)
    if cache is None:
        cache = caches.setdefault(name, LookupCache())
    return cache


def forget(name: str) -> None:
    """Clear the current app's cache ``name`` (from a mapper event: a cached row changed)."""
    if has_app_context():
        lookup_cache(name).clear()
