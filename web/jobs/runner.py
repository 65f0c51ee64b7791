"""Background jobs: long computations (plan, re-plan) run in a thread, their state in the database.

Everything a page needs about a job (status, progress, error, result) lives in the ``jobs``
table, so any gunicorn worker can answer a progress poll, and a page reload shows the same
state. The thread that runs ``work`` belongs to the worker that started the job; it

* writes progress through :meth:`JobContext.report` (throttled, each write its own short
  transaction on its own connection, so it never commits the work's pending changes),
* notices ``cancel_requested`` (set by any worker through :func:`request_cancel`) by polling
  the row at most every :data:`CANCEL_POLL_SECONDS` and sets :attr:`JobContext.cancel_event`,
* writes a heartbeat every :data:`HEARTBEAT_SECONDS` so another host can tell a live job from
  one whose server died.

A process that exits normally (a gunicorn worker stopped or restarted) first stops its jobs
(:func:`stop_running_jobs`, registered with ``atexit``): each keeps what it found and is marked
``failed`` with :data:`INTERRUPTED`. A job left ``queued``/``running`` by a server that died
is marked the same way by :func:`recover_interrupted_jobs` (run by ``create_app`` at start-up
and before a new job starts): on the same host when its process is gone, elsewhere when its
heartbeat is older than :data:`STALE_AFTER_SECONDS`.

At most one job per event is active at a time; :func:`start_job` raises :class:`JobBusy`
(carrying the active job) otherwise. The check and the insert run in one transaction that
first writes the event row, which serialises concurrent starts on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import math
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, abort, current_app
from sqlalchemy import inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from web.events.models import Event
from web.extensions import db
from web.jobs.models import Job
from web.types import utcnow

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ("queued", "running")
FINISHED_STATUSES = ("done", "failed", "cancelled")
REPORT_SECONDS = 0.5
CANCEL_POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 60.0
SHUTDOWN_SECONDS = 10.0
INTERRUPTED = "interrupted by a server restart"


@dataclass(frozen=True)
class _LiveJob:
    thread: threading.Thread
    cancel_event: threading.Event


# Jobs started by this process and still running (job id -> thread and cancel signal); used by
# wait_for_job(), to tell this process's live jobs from dead ones at recovery, and to stop them
# when the process exits.
_threads: dict[str, _LiveJob] = {}
_threads_lock = threading.Lock()
_shutting_down = threading.Event()


class JobBusy(RuntimeError):
    """Another job of the same event is still queued or running; ``job`` is that one."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"a {job.kind} job is already {job.status} for this event; "
                         "wait for it to finish or cancel it first")
        self.job = job


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _json_safe(value: Any) -> Any:
    """Progress values as JSON can carry them (no NaN/inf, no tuples or numpy scalars)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) or hasattr(value, "__float__"):
        number = float(value)
        return number if math.isfinite(number) else None
    return str(value)


@dataclass
class JobContext:
    """What a job's ``work`` function gets: progress reporting and the cancel signal."""

    job_id: str
    event_id: int
    engine: Engine
    cancel_event: threading.Event = field(default_factory=threading.Event)
    report_seconds: float = REPORT_SECONDS
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_report: float = field(default=-math.inf, repr=False)
    _last_poll: float = field(default=-math.inf, repr=False)
    _progress: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def last_progress(self) -> dict[str, Any]:
        """The progress last reported (stored or not yet, when throttled)."""
        return dict(self._progress)

    def report(self, progress: dict[str, Any], *, force: bool = False) -> None:
        """Store ``progress`` as the job's progress JSON (at most every ``report_seconds``
        unless ``force``); also polls for a cancel request. Safe from any thread."""
        now = time.monotonic()
        with self._lock:
            self._progress = _json_safe(dict(progress))
            due = force or now - self._last_report >= self.report_seconds
            if due:
                self._last_report = now
                self._write_progress()
        self.poll_cancel()

    def poll_cancel(self, *, force: bool = False) -> bool:
        """Read ``cancel_requested`` (at most every CANCEL_POLL_SECONDS); True once cancelled."""
        if self.cancel_event.is_set():
            return True
        now = time.monotonic()
        if not force and now - self._last_poll < CANCEL_POLL_SECONDS:
            return False
        self._last_poll = now
        with Session(self.engine) as session:
            requested = session.scalar(select(Job.cancel_requested).where(Job.id == self.job_id))
        if requested:
            self.cancel_event.set()
        return self.cancel_event.is_set()

    def heartbeat(self) -> None:
        """Rewrite the latest progress with a fresh ``updated_at`` (proof of life)."""
        with self._lock:
            self._write_progress()

    def _write_progress(self) -> None:
        payload = {**self._progress, "updated_at": utcnow().isoformat()}
        with Session(self.engine) as session, session.begin():
            session.execute(update(Job).where(Job.id == self.job_id).values(progress=payload))


def _runner_identity() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def start_job(event: Event, kind: str, work: Callable[[JobContext], int | None], *,
              params: dict[str, Any] | None = None) -> Job:
    """Persist a queued Job for ``event`` and run ``work(context)`` in a background thread.

    ``work`` runs inside an app context with its own database session; what it returns (a
    schedule version id or None) becomes ``result_version_id``. Raises :class:`JobBusy` when
    the event already has an active job.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    recover_interrupted_jobs(event_id=event.id)
    session = db.session
    # Writing the event row first takes the write lock (SQLite) / row lock (PostgreSQL), so two
    # workers cannot both see "no active job" and both insert one.
    session.execute(update(Event).where(Event.id == event.id)
                    .values(id=Event.id, updated_at=Event.updated_at))
    active = session.scalar(
        select(Job).where(Job.event_id == event.id, Job.status.in_(ACTIVE_STATUSES))
        .order_by(Job.created_at)
    )
    if active is not None:
        session.commit()
        raise JobBusy(active)
    job = Job(event_id=event.id, kind=kind, status="queued",
              params={**(params or {}), "runner": _runner_identity()},
              progress={"updated_at": utcnow().isoformat()})
    session.add(job)
    session.commit()
    job_id, event_id = job.id, event.id
    cancel = threading.Event()
    thread = threading.Thread(target=_run, args=(app, job_id, event_id, work, cancel),
                              name=f"job-{kind}-{job_id[:8]}", daemon=True)
    with _threads_lock:
        _threads[job_id] = _LiveJob(thread, cancel)
    thread.start()
    return job


def _set_status(engine: Engine, job_id: str, **values: Any) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(Job).where(Job.id == job_id).values(**values))


def _run(app: Flask, job_id: str, event_id: int, work: Callable[[JobContext], int | None],
         cancel: threading.Event) -> None:
    with app.app_context():
        engine = db.engine
        context = JobContext(job_id=job_id, event_id=event_id, engine=engine, cancel_event=cancel)
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(context, stop), daemon=True,
                                   name=f"job-watch-{job_id[:8]}")
        try:
            _set_status(engine, job_id, status="running", started_at=utcnow())
            watcher.start()
            try:
                result = work(context)
            except Exception as exc:  # the job's failure is reported, not raised
                log.exception("job %s failed", job_id)
                db.session.rollback()
                _set_status(engine, job_id, status="failed", finished_at=utcnow(),
                            error=f"{type(exc).__name__}: {exc}"[:4000])
            else:
                with context._lock:
                    payload = {**context._progress, "updated_at": utcnow().isoformat()}
                if _shutting_down.is_set():
                    # Nobody cancelled it: the server stopped. What it found is kept as a draft.
                    _set_status(engine, job_id, status="failed", error=INTERRUPTED,
                                finished_at=utcnow(), result_version_id=result, progress=payload)
                    return
                context.poll_cancel(force=True)
                status = "cancelled" if context.cancel_event.is_set() else "done"
                _set_status(engine, job_id, status=status, finished_at=utcnow(),
                            result_version_id=result, progress=payload)
        finally:
            stop.set()
            db.session.remove()
            with _threads_lock:
                _threads.pop(job_id, None)


def _watch(context: JobContext, stop: threading.Event) -> None:
    """Poll for cancellation even while ``work`` is not reporting; keep the heartbeat fresh."""
    last_beat = time.monotonic()
    while not stop.wait(CANCEL_POLL_SECONDS):
        try:
            context.poll_cancel()
            if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                last_beat = time.monotonic()
                context.heartbeat()
        except (OperationalError, ProgrammingError):  # database briefly locked or gone
            log.warning("job %s: could not reach the database", context.job_id, exc_info=True)


def request_cancel(job: Job) -> Job:
    """Ask a queued or running job to stop (any worker may ask; the runner notices)."""
    if job.status in ACTIVE_STATUSES and not job.cancel_requested:
        job.cancel_requested = True
        db.session.commit()
    return job


def wait_for_job(job_id: str, timeout: float | None = None) -> Job | None:
    """Block until a job started by this process has finished; return the refreshed row."""
    with _threads_lock:
        live = _threads.get(job_id)
    if live is not None:
        live.thread.join(timeout)
    db.session.expire_all()
    return db.session.get(Job, job_id)


def stop_running_jobs(timeout: float = SHUTDOWN_SECONDS) -> None:
    """Stop this process's jobs as it exits, waiting at most ``timeout`` seconds.

    Otherwise their rows would say "running" until the next start-up noticed the process was
    gone, and the solver's native threads would still be working while the interpreter shut
    down. Each job is signalled as if cancelled (the solver stops within a second and keeps
    its best schedule as a draft) and recorded as interrupted.
    """
    _shutting_down.set()
    with _threads_lock:
        running = list(_threads.items())
    for _, live in running:
        live.cancel_event.set()
    deadline = time.monotonic() + timeout
    for _, live in running:
        live.thread.join(max(0.0, deadline - time.monotonic()))


atexit.register(stop_running_jobs)


def active_job(event: Event) -> Job | None:
    return db.session.scalar(
        select(Job).where(Job.event_id == event.id, Job.status.in_(ACTIVE_STATUSES))
        .order_by(Job.created_at.desc())
    )


def event_job_or_404(event: Event, job_id: str, kind: str | None = None) -> Job:
    """The job ``job_id`` of ``event`` (of ``kind``, when given) for a page, else a 404."""
    job = db.session.get(Job, job_id)
    if job is None or job.event_id != event.id or (kind is not None and job.kind != kind):
        abort(404)
    return job


def job_status_dict(job: Job) -> dict[str, Any]:
    """The job as JSON for progress polling and the API (``version_number``: the version the
    job stored, once it has one)."""
    progress = dict(job.progress or {})
    return {
        "id": job.id,
        "event_id": job.event_id,
        "kind": job.kind,
        "status": job.status,
        "finished": job.status in FINISHED_STATUSES,
        "cancel_requested": bool(job.cancel_requested),
        "progress": progress,
        "error": job.error or "",
        "result_version_id": job.result_version_id,
        "version_number": job.result_version.number if job.result_version is not None else None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True


def _is_interrupted(job: Job, now: dt.datetime) -> bool:
    runner = (job.params or {}).get("runner") or {}
    if runner.get("host") == socket.gethostname() and isinstance(runner.get("pid"), int):
        pid = runner["pid"]
        if pid == os.getpid():
            with _threads_lock:
                return job.id not in _threads
        return not _pid_alive(pid)
    seen = None
    stamp = (job.progress or {}).get("updated_at")
    if isinstance(stamp, str):
        try:
            seen = dt.datetime.fromisoformat(stamp)
        except ValueError:
            seen = None
    seen = seen or job.started_at or job.created_at
    if seen.tzinfo is None:
        seen = seen.replace(tzinfo=dt.timezone.utc)
    return (now - seen).total_seconds() > STALE_AFTER_SECONDS


def recover_interrupted_jobs(event_id: int | None = None) -> int:
    """Mark active jobs whose server died as failed (:data:`INTERRUPTED`); return how many."""
    query = select(Job).where(Job.status.in_(ACTIVE_STATUSES))
    if event_id is not None:
        query = query.where(Job.event_id == event_id)
    now = utcnow()
    count = 0
    for job in db.session.scalars(query).all():
        if _is_interrupted(job, now):
            job.status = "failed"
            job.error = INTERRUPTED
            job.finished_at = now
            count += 1
    if count:
        db.session.commit()
        log.warning("marked %d interrupted job(s) as failed", count)
    return count


def recover_at_startup(app: Flask) -> None:
    """Run :func:`recover_interrupted_jobs` for ``create_app`` (skipped when the schema is not
    there yet, e.g. with ``SPEEDNET_AUTO_MIGRATE=0`` before the first upgrade)."""
    with app.app_context():
        try:
            if not inspect(db.engine).has_table(Job.__tablename__):
                return
            recover_interrupted_jobs()
        except (OperationalError, ProgrammingError):
            db.session.rollback()
            log.warning("jobs table not readable at start-up; interrupted jobs not checked",
                        exc_info=True)
