"""Background jobs: long computations (plan, re-plan) run by worker processes off a task queue.

The web process never computes. :func:`start_job` writes a ``jobs`` row and puts the job's id
on the queue (:mod:`web.jobs.queue`); a worker (``python -m web.jobs.worker``) takes it and
runs the handler registered for the job's kind (:func:`job_handler`) with the row's JSON
params, inside its own app context. Handlers are named, importable functions, because a
closure cannot travel to another process.

The runner knows no feature. A kind is a member of the owning feature's ``StrEnum``
(schedules: :class:`web.schedules.planning.PlanningJob`; the event day:
:class:`web.liveday.services.LiveJob`), stored in ``jobs.kind`` as its text; what a handler
returns is JSON the runner stores in ``jobs.result`` without reading it (schedules puts the
draft version's id there and reads it back, :func:`web.schedules.planning.job_version`).

Everything a page needs about a job (status, progress, error, result) lives in the ``jobs``
table, so any web worker answers a progress poll. While a job runs, its worker

* writes progress through :meth:`JobContext.report` (throttled, each write its own short
  transaction on its own connection, so it never commits the work's pending changes),
* notices ``cancel_requested`` (set by any web worker through :func:`request_cancel`) within
  :data:`CANCEL_POLL_SECONDS` and sets :attr:`JobContext.cancel_event` (the solver stops and
  keeps its best schedule),
* renews the job's lease every :data:`LEASE_RENEW_SECONDS`.

A lapsed lease means the worker died (SIGKILL, a lost host): :func:`recover_interrupted_jobs`
(run by every worker's main loop, by every read of a job for a page or the API, and at start-up) puts
the job back on the queue once and marks it failed with :data:`LOST` the second time. A
worker asked to stop (SIGTERM) cancels its solves, which store their best schedule, and
records them as :data:`INTERRUPTED` (:func:`begin_shutdown`).

At most one job per event is active at a time, a rule the database keeps: a partial unique
index on ``jobs(event_id)`` over the queued and running rows (``uq_jobs_one_active``). Of two
concurrent starts one insert is refused, whatever each caller's transaction mode (the check-in
API runs in autocommit, where a lock taken by one statement ends with it), and
:func:`start_job` raises :class:`JobBusy` carrying the active job.

Every read of a job for a page or the API (:func:`current_job`, :func:`event_job_or_404`,
:func:`active_job`) first applies the lost-worker rule, so no answer says "running" for a job
nobody runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from flask import Flask, abort
from sqlalchemy import inspect, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from web.database import changed_rows
from web.extensions import db, signal_sender
from web.jobs.models import Job, JobStatus
from web.jobs.queue import before_stop, enqueue_task, queue_task
from web.logs import log_action
from web.types import utcnow

log = logging.getLogger(__name__)

ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED_STATUSES = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)
REPORT_SECONDS = 0.5
CANCEL_POLL_SECONDS = 0.25
LEASE_RENEW_SECONDS = 1.0
LEASE_SECONDS = 6.0
MAX_ATTEMPTS = 2
START_TRIES = 3  # a start refused by the one-active-job index looks for the winner this often
INTERRUPTED = "interrupted: the worker was stopped; the best schedule found is kept"
LOST = "the worker running this job stopped unexpectedly (twice); start it again"

# A handler gets the job's context and params and returns the job's result (JSON) or None.
Handler = Callable[["JobContext", dict[str, Any]], "dict[str, Any] | None"]
_handlers: dict[str, Handler] = {}  # keyed by the kind, a StrEnum member (equal to its text)

# Jobs this process is running (job id -> cancel signal): a stopping worker cancels them.
_live: dict[str, threading.Event] = {}
_live_lock = threading.Lock()
_shutting_down = threading.Event()

RUN_JOB_TASK = "run_job"


class EventRef(Protocol):
    """What the runner needs of an event: its id (the runner depends on no feature; a job row
    refers to its event only by ``jobs.event_id``)."""

    id: int


class JobBusy(RuntimeError):
    """Another job of the same event is still queued or running; ``job`` is that one."""

    def __init__(self, job: Job) -> None:
        super().__init__(f"a {job.kind} job is already {job.status} for this event; "
                         "wait for it to finish or cancel it first")
        self.job = job


def job_handler(kind: StrEnum) -> Callable[[Handler], Handler]:
    """Register ``handler(context, params) -> result JSON | None`` for jobs of ``kind``, a
    member of the owning feature's own ``StrEnum``.

    Registered at import time by the feature that owns the kind, so a worker that built the
    app (``create_app``) knows every kind. The handler finds its event by ``context.event_id``.
    Two features cannot claim one kind: the table stores kinds as text, so equal texts would
    be one kind.
    """
    if not isinstance(kind, StrEnum):
        raise TypeError(f"a job kind is a member of its feature's StrEnum, not {kind!r}")
    if not 0 < len(kind) <= 16:
        raise ValueError(f"job kind must be 1-16 characters, not {kind!r}")
    owner = next((known for known in _handlers if known == kind), None)
    if owner is not None and type(owner) is not type(kind):
        raise ValueError(f"job kind {str(kind)!r} is {type(owner).__name__}'s already")

    def register(handler: Handler) -> Handler:
        _handlers[kind] = handler
        return handler

    return register


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
    """What a job's handler gets: progress reporting and the cancel signal."""

    job_id: str
    event_id: int
    engine: Engine
    owner: str = ""
    cancel_event: threading.Event = field(default_factory=threading.Event)
    report_seconds: float = REPORT_SECONDS
    lost: bool = False  # the lease was taken over (the job was handed to another worker)
    started: float = field(default_factory=time.monotonic, repr=False)  # for the outcome's log line
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
        if requested and not self.cancel_event.is_set():
            log.info("job %s: cancel requested", self.job_id)
            self.cancel_event.set()
        return self.cancel_event.is_set()

    def renew_lease(self) -> bool:
        """Extend this run's claim on the job; False (and cancel) when it was taken over."""
        with Session(self.engine) as session, session.begin():
            renewed = changed_rows(session.execute(
                update(Job).where(Job.id == self.job_id, Job.owner == self.owner,
                                  Job.status == JobStatus.RUNNING)
                .values(lease_until=utcnow() + dt.timedelta(seconds=LEASE_SECONDS))
            ))
        if not renewed:
            self.lost = True
            self.cancel_event.set()
        return bool(renewed)

    def _write_progress(self) -> None:
        payload = {**self._progress, "updated_at": utcnow().isoformat()}
        with Session(self.engine) as session, session.begin():
            session.execute(update(Job).where(Job.id == self.job_id).values(progress=payload))


# --------------------------------------------------------------------------- starting


def start_job(event: EventRef, kind: StrEnum, params: dict[str, Any] | None = None) -> Job:
    """Persist a queued Job of ``kind`` for ``event`` and hand its id to the task queue.

    ``params`` (JSON) reach the kind's handler in the worker; what the handler returns (JSON or
    None) becomes the job's ``result``. Raises :class:`JobBusy` when
    the event already has an active job, ``ValueError`` for a kind nobody registered. Commits
    the session first, so a start refused by the database rolls back nothing of the caller's.

    The database decides who is first: the partial unique index ``uq_jobs_one_active`` lets
    one queued-or-running row per event exist, so of two starts at the same moment (two web
    workers, any transaction mode, autocommit included) one insert fails and that caller is
    told which job is active instead.
    """
    if kind not in _handlers:
        raise ValueError(f"no job handler is registered for kind {kind!r}")
    recover_interrupted_jobs(event_id=event.id)
    session = db.session
    session.commit()  # what the caller wrote is kept whatever happens to this start (a refusal rolls back)
    payload = _json_safe(dict(params or {}))
    refused: IntegrityError | None = None
    for _ in range(START_TRIES):
        active = _active_of(event.id)
        if active is not None:
            raise JobBusy(active)
        job = Job(event_id=event.id, kind=str(kind), status=JobStatus.QUEUED, params=payload,
                  progress={"updated_at": utcnow().isoformat()})
        session.add(job)
        try:
            session.commit()
        except IntegrityError as exc:  # another start won the race: its job is found above
            session.rollback()
            refused = exc
            continue
        break
    else:  # refused each time, yet no active job was seen: not the one-job rule (say so)
        active = _active_of(event.id)
        if active is not None:
            raise JobBusy(active)
        assert refused is not None
        raise refused
    try:
        enqueue_job(signal_sender(), job.id)
    except Exception as exc:  # the queue is unreachable: say so on the job, not as a 500 later
        log.exception("could not put job %s on the queue", job.id)
        _settle(db.engine, job.id, None, status=JobStatus.FAILED,
                error=f"the job queue could not be reached ({type(exc).__name__}); try again")
        db.session.expire_all()
    return job


def _active_of(event_id: int) -> Job | None:
    """The event's queued or running job, if any (at most one: ``uq_jobs_one_active``)."""
    return db.session.scalar(
        select(Job).where(Job.event_id == event_id, Job.status.in_(ACTIVE_STATUSES))
        .order_by(Job.created_at)
    )


# --------------------------------------------------------------------------- running (worker)


def _claim(engine: Engine, job_id: str, owner: str) -> bool:
    """Take a queued job for this run; False when it is not queued any more (cancelled,
    already taken by another worker after a duplicate delivery)."""
    with Session(engine) as session, session.begin():
        claimed = changed_rows(session.execute(
            update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, owner=owner, attempts=Job.attempts + 1,
                    started_at=utcnow(), error="",
                    lease_until=utcnow() + dt.timedelta(seconds=LEASE_SECONDS))
        ))
    return bool(claimed)


def _settle(engine: Engine, job_id: str, owner: str | None, **values: Any) -> bool:
    """Write a job's final state (status, finish time, result), only while ``owner`` still holds it (None: any state)."""
    query = update(Job).where(Job.id == job_id)
    if owner is not None:
        query = query.where(Job.owner == owner, Job.status == JobStatus.RUNNING)
    with Session(engine) as session, session.begin():
        return bool(changed_rows(session.execute(
            query.values(finished_at=utcnow(), lease_until=None, **values))))


def enqueue_job(app: Flask, job_id: str) -> None:
    """Queue the run of job ``job_id`` (its row exists and says 'queued')."""
    enqueue_task(app, RUN_JOB_TASK, job_id)


@queue_task(RUN_JOB_TASK)
def execute_job(app: Flask, job_id: str) -> str | None:
    """Run job ``job_id`` here (what the queue's task does in a worker); return its final
    status, or None when the job was not this run's to do."""
    with app.app_context():
        engine = db.engine
        with Session(engine) as session:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.QUEUED:
                return None
            kind, event_id, params = job.kind, job.event_id, dict(job.params or {})
            if job.cancel_requested:
                _settle(engine, job_id, None, status=JobStatus.CANCELLED)
                return JobStatus.CANCELLED
        if _shutting_down.is_set():  # taken off the queue as this worker stops: put it back
            enqueue_job(app, job_id)
            return None
        handler = _handlers.get(kind)
        owner = uuid.uuid4().hex
        if not _claim(engine, job_id, owner):
            return None
        context = JobContext(job_id=job_id, event_id=event_id, engine=engine, owner=owner)
        with _live_lock:
            _live[job_id] = context.cancel_event
        if _shutting_down.is_set():
            context.cancel_event.set()
        stop = threading.Event()
        watcher = threading.Thread(target=_watch, args=(context, stop), daemon=True,
                                   name=f"job-watch-{job_id[:8]}")
        watcher.start()
        try:
            return _run_handler(engine, context, handler, kind, params)
        finally:
            stop.set()
            watcher.join(5)
            db.session.remove()
            with _live_lock:
                _live.pop(job_id, None)


def _run_handler(engine: Engine, context: JobContext, handler: Handler | None, kind: str,
                 params: dict[str, Any]) -> str | None:
    job_id, owner = context.job_id, context.owner
    try:
        if handler is None:
            raise LookupError(f"this worker has no handler for {kind!r} jobs")
        result = _json_safe(handler(context, params))
    except Exception as exc:  # the job's failure is reported, not raised
        log_action(log, "job", level=logging.ERROR, job=job_id, event=context.event_id, kind=kind,
                   outcome=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:300],
                   seconds=round(time.monotonic() - context.started, 1))
        log.exception("job %s failed", job_id)
        db.session.rollback()
        _settle(engine, job_id, owner, status=JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000])
        return JobStatus.FAILED
    with context._lock:
        payload = {**context._progress, "updated_at": utcnow().isoformat()}
    if context.lost:
        return None  # another worker holds the job now; its outcome is that run's to write
    context.poll_cancel(force=True)
    if _shutting_down.is_set() and not _cancel_requested(engine, job_id):
        # Nobody cancelled it: the worker stopped. What it found is kept as a draft.
        status, error = JobStatus.FAILED, INTERRUPTED
    else:
        status, error = (JobStatus.CANCELLED if context.cancel_event.is_set() else JobStatus.DONE), ""
    _settle(engine, job_id, owner, status=status, error=error, result=result, progress=payload)
    log_action(log, "job", level=logging.WARNING if status == JobStatus.FAILED else logging.INFO,
               job=job_id, event=context.event_id, kind=kind, outcome=status, error=error or None,
               seconds=round(time.monotonic() - context.started, 1),
               **{key: value for key, value in (result or {}).items() if key not in _OUTCOME_FIELDS})
    return status


# The outcome line's own fields; a handler's result adds its own beside them (never over them).
_OUTCOME_FIELDS = frozenset({"job", "event", "kind", "outcome", "error", "seconds", "level"})


def _cancel_requested(engine: Engine, job_id: str) -> bool:
    with Session(engine) as session:
        return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def _watch(context: JobContext, stop: threading.Event) -> None:
    """Poll for cancellation even while the handler is not reporting; renew the lease."""
    last_renew = time.monotonic()
    while not stop.wait(CANCEL_POLL_SECONDS):
        try:
            context.poll_cancel()
            if time.monotonic() - last_renew >= LEASE_RENEW_SECONDS:
                last_renew = time.monotonic()
                context.renew_lease()
        except (OperationalError, ProgrammingError):  # database briefly locked or gone
            log.warning("job %s: could not reach the database", context.job_id, exc_info=True)


def begin_shutdown() -> int:
    """The worker is stopping: cancel the solves it runs (each stores its best schedule and is
    recorded as :data:`INTERRUPTED`); return how many were running."""
    _shutting_down.set()
    return cancel_running_here()


@before_stop
def cancel_running_here() -> int:
    """Set the cancel signal of every job this process runs; return how many."""
    with _live_lock:
        running = list(_live.values())
    for cancel in running:
        cancel.set()
    return len(running)


def running_here() -> int:
    """How many jobs this process is running now."""
    with _live_lock:
        return len(_live)


# --------------------------------------------------------------------------- web side


def request_cancel(job: Job) -> Job:
    """Ask a queued or running job to stop (any web worker may ask). A queued job ends at
    once; a running one within :data:`CANCEL_POLL_SECONDS` plus the solver's reaction. A job
    that has finished is left as it is (each change is conditional on the row's status, so a
    job that ends meanwhile is not marked). Returns the refreshed row."""
    db.session.execute(update(Job).where(Job.id == job.id, Job.status.in_(ACTIVE_STATUSES))
                       .values(cancel_requested=True))
    db.session.execute(update(Job).where(Job.id == job.id, Job.status == JobStatus.QUEUED)
                       .values(status=JobStatus.CANCELLED, finished_at=utcnow(), lease_until=None))
    db.session.commit()
    db.session.refresh(job)
    return job


def wait_for_job(job_id: str, timeout: float | None = None) -> Job | None:
    """Block until job ``job_id`` has finished (or ``timeout`` seconds passed), whichever
    worker runs it; return the refreshed row."""
    deadline = None if timeout is None else time.monotonic() + timeout
    engine = db.engine
    while True:
        with Session(engine) as session:
            status = session.scalar(select(Job.status).where(Job.id == job_id))
        if status is None or status in FINISHED_STATUSES:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    db.session.expire_all()
    return db.session.get(Job, job_id)


def active_job(event: EventRef) -> Job | None:
    """The event's queued or running job, after the lost-worker rule (so a job whose worker
    died is not offered as the one to watch)."""
    recover_interrupted_jobs(event_id=event.id)
    return db.session.scalar(
        select(Job).where(Job.event_id == event.id, Job.status.in_(ACTIVE_STATUSES))
        .order_by(Job.created_at.desc())
    )


def current_job(job_id: str) -> Job | None:
    """The job ``job_id`` as a page or the API should report it: a running job is first
    checked for a lost worker (:func:`recover_interrupted_jobs`), so an answer never says
    "running" for a job nobody runs. None for an unknown id."""
    job = db.session.get(Job, job_id)
    if job is not None and job.status == JobStatus.RUNNING and recover_interrupted_jobs(event_id=job.event_id):
        db.session.refresh(job)
    return job


def event_job_or_404(event: EventRef, job_id: str, kinds: Collection[StrEnum] | None = None) -> Job:
    """The job ``job_id`` of ``event`` (of one of ``kinds``, when given) for a page, else a
    404, with the lost-worker rule applied (:func:`current_job`)."""
    job = current_job(job_id)
    if job is None or job.event_id != event.id or (kinds is not None and job.kind not in kinds):
        abort(404)
    return job


def job_status_dict(job: Job) -> dict[str, Any]:
    """The job as JSON for progress polling (``result``: what its handler returned, once it
    has; the owning feature adds what that result means, e.g. schedules' version number)."""
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
        "attempts": int(job.attempts or 0),
        "result": job.result,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "finished_at": _iso(job.finished_at),
    }


# --------------------------------------------------------------------------- lost workers


def _lapsed(now: dt.datetime):
    """Running jobs whose lease ran out (rows from before leases: started long enough ago)."""
    expired = now - dt.timedelta(seconds=LEASE_SECONDS)
    return (Job.status == JobStatus.RUNNING) & or_(
        Job.lease_until < now,
        Job.lease_until.is_(None) & (Job.started_at.is_(None) | (Job.started_at < expired)),
    )


def recover_interrupted_jobs(event_id: int | None = None) -> int:
    """Apply the lost-worker rule: a running job whose lease lapsed goes back on the queue
    (once) or, on its last attempt, is marked failed with :data:`LOST`. Safe to run in many
    processes at once (each change is conditional on the row being unchanged). Returns how
    many jobs it changed."""
    now = utcnow()
    query = select(Job.id, Job.owner, Job.attempts).where(_lapsed(now))
    if event_id is not None:
        query = query.where(Job.event_id == event_id)
    retry: list[str] = []
    changed = 0
    # Its own session: the caller's (a page's) pending changes are never committed by it.
    with Session(db.engine) as session:
        lapsed = session.execute(query).all()
        if not lapsed:
            return 0
        for job_id, owner, attempts in lapsed:
            again = (attempts or 0) < MAX_ATTEMPTS
            values: dict[str, Any] = (
                {"status": JobStatus.QUEUED, "owner": None, "lease_until": None} if again
                else {"status": JobStatus.FAILED, "error": LOST, "finished_at": now, "lease_until": None})
            owned = Job.owner.is_(None) if owner is None else Job.owner == owner
            done = changed_rows(session.execute(
                update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING, owned).values(**values)
            ))
            if done:
                changed += 1
                if again:
                    retry.append(job_id)
        session.commit()
    if retry:
        app = signal_sender()
        for job_id in retry:
            try:
                enqueue_job(app, job_id)
            except Exception:  # it stays queued; a worker cannot take it until it is queued again
                log.exception("could not put job %s back on the queue", job_id)
    if changed:
        log_action(log, "jobs-lost", level=logging.WARNING, jobs=changed)
    return changed


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
