"""Planning an event: in a background job (the console and the API) or in this thread (the
demo, the CLI and tests), with the solver's progress turned into the job's progress JSON."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from sqlalchemy import func, select

from scheduler.solver import Progress
from web.attendees.models import attendees_of
from web.events.clock import first_open_round
from web.events.models import Event
from web.extensions import db
from web.jobs import runner as jobs
from web.jobs.models import Job
from web.schedules.models import ScheduleVersion
from web.schedules.publishing import publish_version
from web.schedules.revisions import PlanMode, PlanningError, default_mode, run_planning
from web.schedules.versions import ScheduleError, published_version
from web.types import utcnow

DEFAULT_TIME_LIMIT = 30.0
MAX_TIME_LIMIT = 600.0
SCHEDULE_JOB_KIND = "plan"


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
    limit = DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit)
    version, _figures = run_planning(event, mode, time_limit=max(0.1, min(limit, MAX_TIME_LIMIT)),
                                     seed=seed, progress=progress, cancel=cancel)
    return version


def start_schedule_job(event: Event, *, time_limit: float | None = None, seed: int = 0,
                       mode: PlanMode | str | None = None) -> Job:
    """Plan the event in a background job; the job's result is the new draft version's id.

    ``mode`` defaults to revising the published version once one exists (a full plan before).
    Cancelling keeps the best schedule found so far (stored as a draft like any other).
    Raises :class:`web.jobs.JobBusy` when the event already has a job running, and
    :class:`PlanningError` when every round has started.
    """
    limit = max(0.1, min(DEFAULT_TIME_LIMIT if time_limit is None else float(time_limit), MAX_TIME_LIMIT))
    chosen = PlanMode(mode) if mode else default_mode(published_version(event))
    run_planning_check(event)
    return jobs.start_job(event, SCHEDULE_JOB_KIND,
                          params={"time_limit": limit, "seed": int(seed), "mode": str(chosen)})


@jobs.job_handler(SCHEDULE_JOB_KIND)
def run_schedule_job(context: jobs.JobContext, params: dict) -> int:
    """The 'plan' job in a worker: plan with the params :func:`start_schedule_job` stored and
    return the new draft version's id (cancelled: the best schedule found so far)."""
    current = db.session.get(Event, context.event_id)
    if current is None:
        raise ScheduleError("the event was deleted")
    report = progress_reporter(context.report)
    version, figures = run_planning(current, PlanMode(params["mode"]), time_limit=float(params["time_limit"]),
                                    seed=int(params.get("seed", 0)), progress=report,
                                    cancel=context.cancel_event)
    context.report({**dict(context.last_progress), **figures, "phase": "done"}, force=True)
    return version.id


def run_planning_check(event: Event) -> None:
    """Refuse at once (not in the job) what the job would refuse: every round started."""
    if first_open_round(event, utcnow()) is None:
        raise PlanningError("Every round has started; there is nothing left to plan.")


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
