"""Planning an event: in a background job (the console and the API) or in this thread (the
demo, the CLI and tests), with the solver's progress turned into the job's progress JSON."""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify
from sqlalchemy import func, select

from scheduler.solver import Progress
from web.attendees.models import attendees_of
from web.events.models import Event
from web.extensions import db
from web.jobs import runner as jobs
from web.jobs.models import Job
from web.schedules.models import ScheduleVersion
from web.schedules.publishing import publish_version
from web.schedules.revisions import (
    DEFAULT_TIME_LIMIT,
    MAX_TIME_LIMIT,
    PlanMode,
    PlanningJob,
    PlanningRequest,
    planning_request,
    run_planning,
)
from web.schedules.versions import ScheduleError
from web.types import utcnow

__all__ = ["DEFAULT_TIME_LIMIT", "MAX_TIME_LIMIT", "PlanningJob"]


def progress_reporter(report: Callable[..., None]) -> Callable[[Progress], None]:
    """Turn the solver's Progress into the job's progress JSON: phase, rounds placed, score so
    far, bound, % of bound, elapsed seconds. ``report(dict, force=...)`` stores it.

    ``score`` and ``bound`` are ``None`` until the solver has reported one: a plan's first
    phases have neither, and a revision computes no bound at all, so the page hides the figure
    rather than showing 0.0. A plan's "placing" reports each round's score (summed here); every
    other phase reports the whole schedule's score, or 0.0 when it has none to tell."""
    state: dict[str, float | None] = {"score": None, "bound": None}

    def on_progress(p: Progress) -> None:
        if p.phase == "placing":
            state["score"] = (state["score"] or 0.0) + float(p.score)
        elif p.score and math.isfinite(p.score) or (p.phase == "done" and state["score"] is not None):
            state["score"] = float(p.score)
        if p.bound and math.isfinite(p.bound) and p.bound > 0:
            state["bound"] = float(p.bound)
        bound, score = state["bound"], state["score"]
        percent = round(100.0 * score / bound, 1) if bound and score is not None else None
        report({
            "phase": p.phase,
            "rounds_placed": int(p.rounds_placed),
            "rounds_total": int(p.rounds_total),
            "score": round(score, 1) if score is not None else None,
            "bound": bound,
            "percent_of_bound": percent,
            "elapsed": round(float(p.elapsed), 1),
        }, force=p.phase == "done")

    return on_progress


def plan_event(event: Event, *, time_limit: float | None = None, seed: int = 0,
               mode: PlanMode | str | None = PlanMode.REGENERATE,
               progress: Callable[[Progress], None] | None = None,
               cancel: threading.Event | None = None) -> ScheduleVersion:
    """Plan the event now (in this thread) and store the result as a draft version.

    Plans for the people expected (not withdrawn, not reported absent), holding rounds that
    have started. ``mode``: a full plan by default; ``"revise"`` changes the published version
    as little as possible (see :mod:`web.schedules.revisions`)."""
    now = utcnow()
    request = planning_request(event, now, mode=mode, time_limit=time_limit, seed=seed)
    version, _figures = run_planning(event, request, now=now, progress=progress, cancel=cancel)
    return version


def start_schedule_job(event: Event, *, time_limit: float | None = None, seed: int = 0,
                       mode: PlanMode | str | None = None) -> Job:
    """Plan the event in a background job; the job's result is the new draft version's id.

    ``mode`` defaults to revising the published version once one exists (a full plan before).
    Cancelling keeps the best schedule found so far (stored as a draft like any other).
    Raises :class:`web.jobs.JobBusy` when the event already has a job running, and
    :class:`PlanningError` when every round has started.
    """
    request = planning_request(event, utcnow(), mode=mode, time_limit=time_limit, seed=seed)
    return jobs.start_job(event, PlanningJob.PLAN, params=request.to_params())


def plan_in_job(event: Event, request: PlanningRequest, context: jobs.JobContext,
                now: dt.datetime | None = None) -> tuple[ScheduleVersion, dict[str, Any]]:
    """Run ``request`` inside job ``context``: the solver's progress becomes the job's, and its
    figures end the job's progress. Every planning job's handler plans through this."""
    version, figures = run_planning(event, request, now=now, progress=progress_reporter(context.report),
                                    cancel=context.cancel_event)
    context.report({**context.last_progress, **figures, "phase": "done"}, force=True)
    return version, figures


def version_result(version: ScheduleVersion | None) -> dict[str, Any] | None:
    """A planning job's result (``jobs.result``): the draft it stored."""
    return {"version_id": version.id} if version is not None else None


def job_version(job: Job) -> ScheduleVersion | None:
    """The draft a planning job stored (None before it has one, or once that draft is gone)."""
    version_id = (job.result or {}).get("version_id")
    return db.session.get(ScheduleVersion, version_id) if version_id is not None else None


def job_progress_json(job: Job) -> dict[str, Any]:
    """A planning job as its progress pages poll it: the runner's status, the draft stored
    (``result_version_id``, ``version_number``) and ``text``, the figures as the pages show
    them (:func:`progress_text`)."""
    version = job_version(job)
    status = jobs.job_status_dict(job)
    return {**status, "result_version_id": version.id if version is not None else None,
            "version_number": version.number if version is not None else None,
            "text": progress_text(status)}


def job_progress_response(job: Job) -> Response:
    """The progress JSON both job pages poll (never cached: it changes every second)."""
    response = jsonify(job_progress_json(job))
    response.headers["Cache-Control"] = "no-store"
    return response


def progress_text(status: dict[str, Any]) -> dict[str, str]:
    """A job's figures as the pages show them, written once here: the page renders them and its
    script (``job-progress.js``) puts the polled ones in place, so neither formats a number.
    A figure the solver has not reported (a revision computes no bound) is '' (hidden)."""
    p = status.get("progress") or {}
    stopping = status.get("cancel_requested") and not status.get("finished")
    placed, total = p.get("rounds_placed") or 0, p.get("rounds_total") or 0
    return {
        "status": str(status.get("status", "")) + (" (stopping)" if stopping else ""),
        "phase": p.get("phase") or "starting",
        "rounds": f"{placed} of {total or '?'}",
        "score": _number(p.get("score"), "{:.1f}"),
        "percent": _number(p.get("percent_of_bound"), "{:.1f}%"),
        "elapsed": _number(p.get("elapsed"), "{:.1f} s") or "—",
        "agendas": _number(p.get("agendas_changed"), "{:d}"),
        "moved": _number(p.get("meetings_moved"), "{:d}"),
    }


def _number(value: Any, pattern: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return ""
    return pattern.format(int(value) if pattern == "{:d}" else float(value))


@jobs.job_handler(PlanningJob.PLAN)
def run_schedule_job(context: jobs.JobContext, params: dict[str, Any]) -> dict[str, Any] | None:
    """The console's plan job in a worker: plan the request :func:`start_schedule_job` stored;
    the result names the new draft (cancelled: the best schedule found so far)."""
    current = db.session.get(Event, context.event_id)
    if current is None:
        raise ScheduleError("the event was deleted")
    version, _figures = plan_in_job(current, PlanningRequest.from_params(params), context)
    return version_result(version)


def schedule_jobs(event: Event, limit: int = 10) -> list[Job]:
    return list(db.session.scalars(
        select(Job).where(Job.event_id == event.id).order_by(Job.created_at.desc()).limit(limit)
    ))


def ensure_published_schedule(event: Event, *, time_limit: float = 5.0, seed: int = 0) -> ScheduleVersion | None:
    """Plan and publish synchronously when the event has attendees but no version yet (demo)."""
    exists = db.session.scalar(
        select(func.count()).select_from(ScheduleVersion).where(ScheduleVersion.event_id == event.id))
    has_people = db.session.scalar(
        attendees_of(event.id, func.count()))
    if exists or not has_people:
        return None
    version = plan_event(event, time_limit=time_limit, seed=seed)
    return publish_version(version)
