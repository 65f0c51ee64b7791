"""The task queue (Huey) that carries jobs and e-mail delivery from the web to the workers.

One Huey instance per app (``app.extensions["speednet.queue"]``), built from the config:

* ``QUEUE_URL`` unset (the embedded default): SQLite storage in ``instance/queue.db``; no
  server to run, and any worker on the same machine (sharing the instance folder) takes tasks.
* ``QUEUE_URL=redis://host:port/db``: Redis storage, so workers on any number of hosts share
  the queue (blocking reads: a task starts as soon as it is queued).
* ``QUEUE_URL=sqlite:///path/queue.db``: SQLite storage at that path.

Tasks carry only names and JSON-able arguments (a job id), never closures: the worker looks
the job up in the ``jobs`` table, which stays the truth for pages. Huey's own result store is
off for the same reason. Under TESTING (``QUEUE_IN_PROCESS_WORKER``) the first task queued
starts a consumer on the same storage in threads of the test process, so tests exercise the
real queue; :func:`stop_in_process_workers` stops them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer

from web.database import private_sqlite_file

log = logging.getLogger(__name__)

EXTENSION = "speednet.queue"
QUEUE_NAME = "speednet"

# What the queue carries is registered by the features that own the work (the job runner, mail
# delivery), so this module imports none of them: a task is ``function(app, *args)`` and runs
# in an app context the function enters itself.
Task = Callable[..., object]
_tasks: dict[str, Task] = {}
_periodic: dict[str, tuple[Any, Task]] = {}
_before_stop: list[Callable[[], Any]] = []


def queue_task(name: str) -> Callable[[Task], Task]:
    """Register ``function(app, *args)`` as the queue task ``name`` (sent with
    :func:`enqueue_task`). Register at import time: each app's queue takes the tasks
    registered when it is built."""
    def register(function: Task) -> Task:
        _tasks[name] = function
        return function
    return register


def periodic_task(name: str, schedule: Any) -> Callable[[Task], Task]:
    """Register ``function(app)`` to run in every worker on ``schedule`` (a
    :func:`huey.crontab`), e.g. mail retries once a minute."""
    def register(function: Task) -> Task:
        _periodic[name] = (schedule, function)
        return function
    return register


def before_stop(function: Callable[[], Any]) -> Callable[[], Any]:
    """Register a call made before in-process consumers stop (the runner cancels its
    solves, so they end within the stop's timeout and keep their best schedule)."""
    _before_stop.append(function)
    return function


def queue_settings(url: str | None, instance_path: str) -> tuple[str, dict[str, Any]]:
    """(storage kind, Huey keyword arguments) for ``url``; a clear error for anything else."""
    if not url:
        return "sqlite", {"filename": os.path.join(instance_path, "queue.db")}
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss", "unix"):
        return "redis", {"url": url, "blocking": True, "read_timeout": 1}
    if parts.scheme == "sqlite" and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return "sqlite", {"filename": url[len("sqlite:///"):]}
    raise ValueError("SPEEDNET_QUEUE_URL must be redis://host:port/db or sqlite:///path/queue.db, "
                     f"not {url!r}")


def create_queue(app: Flask) -> Huey:
    """Build the app's Huey instance and register its tasks (web and worker alike)."""
    kind, options = queue_settings(app.config.get("QUEUE_URL"), app.instance_path)
    if kind == "redis":
        huey: Huey = RedisHuey(QUEUE_NAME, results=False, **options)
    else:
        os.makedirs(os.path.dirname(options["filename"]) or ".", exist_ok=True)
        private_sqlite_file(options["filename"])  # task arguments name people's jobs and mail
        huey = SqliteHuey(QUEUE_NAME, results=False, **options)
    _register_tasks(huey, app)
    return huey


def _register_tasks(huey: Huey, app: Flask) -> None:
    """The registered tasks, bound to ``app``: a worker runs each for its own app."""
    def bind(function: Task) -> Callable[..., object]:
        return lambda *args: function(app, *args)

    wrappers = {name: huey.task(name=name)(bind(function)) for name, function in _tasks.items()}
    for name, (schedule, function) in _periodic.items():
        huey.periodic_task(schedule, name=name)(bind(function))
    huey.speednet_tasks = wrappers


def init_queue(app: Flask) -> Huey:
    """Attach the queue to ``app`` (called by ``create_app``; builds nothing on the network:
    a Redis connection is opened by the first task queued)."""
    huey = create_queue(app)
    app.extensions[EXTENSION] = huey
    return huey


def queue_of(app: Flask) -> Huey:
    return app.extensions[EXTENSION]


def _send(app: Flask, task: str, *args: Any) -> None:
    huey = queue_of(app)
    if app.config.get("QUEUE_IN_PROCESS_WORKER"):
        start_in_process_worker(app)
    huey.speednet_tasks[task](*args)


def enqueue_task(app: Flask, name: str, *args: Any) -> None:
    """Queue one run of the registered task ``name`` with JSON-able ``args``."""
    if name not in _tasks:
        raise ValueError(f"no queue task is registered as {name!r}")
    _send(app, name, *args)


# --------------------------------------------------------------------------- consumers


def consumer_options(app: Flask, workers: int | None = None) -> dict[str, Any]:
    """Consumer settings: thread workers (a solve spends its time in OR-Tools' native threads,
    and a thread stops cleanly on cancel, where a killed process would lose its best schedule),
    short polling of SQLite so a job starts within half a second."""
    count = workers or int(app.config.get("QUEUE_WORKER_THREADS", 2))
    return {
        "workers": max(1, count), "worker_type": "thread", "periodic": True,
        "initial_delay": 0.05, "backoff": 1.5, "max_delay": 0.5,
        "check_worker_health": True, "health_check_interval": 5,
    }


class _QuietConsumer(Consumer):
    """A consumer inside another program (the tests): no signal handlers of its own."""

    def _set_signal_handlers(self) -> None:
        pass


_in_process: dict[int, tuple[Flask, Consumer]] = {}
_in_process_lock = threading.Lock()


def start_in_process_worker(app: Flask) -> Consumer:
    """Start (once per app) a consumer in threads of this process (tests only)."""
    with _in_process_lock:
        found = _in_process.get(id(app))
        if found is not None and found[0] is app:
            return found[1]
        consumer = _QuietConsumer(queue_of(app), **{**consumer_options(app), "periodic": False})
        consumer.start()
        _in_process[id(app)] = (app, consumer)
        return consumer


def stop_in_process_workers(timeout: float = 10.0) -> None:
    """Stop every in-process consumer: cancel what runs, then wait for the threads."""
    with _in_process_lock:
        running = list(_in_process.values())
        _in_process.clear()
    if not running:
        return
    for call in _before_stop:
        call()
    for _app, consumer in running:
        consumer.shutdown_timeout = timeout
        consumer.stop(graceful=True)
        consumer.huey.storage.close()
