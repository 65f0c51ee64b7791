"""Revise and publish by itself for the people who arrive once the published plan is out.

With ``Event.auto_revise`` on, a check-in of someone the published schedule has no table for
(a late arrival not in the plan, a new registrant, a walk-in: the check-in feature's
``arrived_unplaced``) starts a revision from the first round not yet started and publishes it
when it is done, if nothing blocks the publish (another version published meanwhile, the round
already begun). People who arrive while it runs are picked up by the same job: it revises once
more for them, a few times at most, so a queue at the door costs one job, not one per person.

The kiosk promises such a person a table from a round (:func:`web.checkin.services.seating_for`);
an arrival whose job could not start (another job of the event was running) is caught by
:func:`seat_waiting_everywhere`, which every worker runs once a minute, so the promise does not
depend on the moment of the scan. The organiser's "revise and publish for them" button on the
live page starts the same job whatever the setting (:func:`start_seating`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import Flask, current_app
from huey import crontab
from sqlalchemy import select

from web.checkin.signals import arrived_unplaced
from web.events.clock import first_open_round, in_event_zone
from web.events.models import Event
from web.extensions import db
from web.jobs import JobBusy, JobContext, job_handler, start_job
from web.jobs.models import Job
from web.jobs.queue import periodic_task
from web.liveday.services import REPLAN_TIME_LIMIT, replan, replan_request
from web.logs import log_action
from web.schedules.models import ScheduleVersion
from web.schedules.planning import version_result
from web.schedules.publishing import StalePublish, publish_version
from web.schedules.revisions import PlanningJob, expected_without_meeting
from web.schedules.versions import published_version
from web.types import utcnow

log = logging.getLogger(__name__)

MAX_PASSES = 3


def unplaced_arrivals(event: Event, now: dt.datetime) -> int:
    """Expected people with no table in the published schedule's rounds to come."""
    version = published_version(event)
    if version is None or first_open_round(event, now) is None:
        return 0
    return len(expected_without_meeting(event, version, now))


def revise_and_publish(event: Event, version: ScheduleVersion | None, now: dt.datetime) -> bool:
    """Publish the revision ``version`` unless a publish check blocks it; True if published.

    Warnings (people who arrived while it was computed) do not stop it: they are the next
    pass's work, and waiting would leave everyone before them without a table."""
    if version is None:
        return False
    try:
        publish_version(version, None, force=True, now=now)
    except StalePublish as exc:
        log_action(log, "auto-revise", event=event.slug, version=version.number, published=False,
                   reason=str(exc))
        return False
    log_action(log, "auto-revise", event=event.slug, version=version.number, published=True)
    return True


def run_auto_revision(event_id: int, *, context: JobContext | None = None,
                      time_limit: float = REPLAN_TIME_LIMIT) -> ScheduleVersion | None:
    """Revise from the first round not started and publish, again while arrivals are left
    without a table (at most ``MAX_PASSES`` times). Returns the last version stored (None when
    cancelled: a cancelled pass's draft is not the job's result)."""
    last = None
    for _ in range(MAX_PASSES):
        event = db.session.get(Event, event_id)
        now = utcnow()
        if event is None or first_open_round(event, now) is None or unplaced_arrivals(event, now) == 0:
            break
        request = replan_request(event, None, now, job=PlanningJob.AUTO_REVISE, time_limit=time_limit)
        last = replan(event, request, context=context, now=now)
        if context is not None and context.cancel_event.is_set():
            return None
        if not revise_and_publish(event, last, utcnow()):
            break
    return last


def start_seating(event: Event) -> Job:
    """Start the job that revises and publishes for the people without a table. Raises
    ``JobBusy`` while another job of the event runs."""
    time_limit = float(current_app.config.get("REPLAN_TIME_LIMIT", REPLAN_TIME_LIMIT))
    return start_job(event, PlanningJob.AUTO_REVISE, params={"time_limit": time_limit})


def start_auto_revision(event: Event) -> Job | None:
    """Start the automatic revision job unless a job of the event runs (the once-a-minute
    sweep, :func:`seat_waiting_everywhere`, tries again); returns the job started.

    Called from a kiosk's check-in, so it reads nothing of the event's attendees: whether
    anyone is still without a table is the job's first question, in the worker."""
    if published_version(event) is None:
        return None
    try:
        return start_seating(event)
    except JobBusy:
        return None


SWEEP = crontab(minute="*")


def events_to_sweep(now: dt.datetime) -> list[Event]:
    """Events with automatic revision on whose rounds are not all started and which started
    within the last day or start within the next (the only ones a kiosk can be scanning for)."""
    window = dt.timedelta(days=1)
    rows = db.session.scalars(select(Event).where(Event.auto_revise.is_(True)))
    return [e for e in rows if first_open_round(e, now) is not None
            and abs(e.timetable().start - _local_naive(e, now)) <= window]


def _local_naive(event: Event, now: dt.datetime) -> dt.datetime:
    return in_event_zone(event.timezone, now).replace(tzinfo=None)


def seat_waiting(now: dt.datetime) -> int:
    """Start the automatic revision for every swept event with people waiting; returns how
    many jobs started."""
    started = 0
    for event in events_to_sweep(now):
        if unplaced_arrivals(event, now) and start_auto_revision(event) is not None:
            started += 1
    return started


@periodic_task("seat_waiting_arrivals", SWEEP)
def seat_waiting_everywhere(app: Flask) -> None:
    """The once-a-minute run in every worker (see the module's docstring)."""
    with app.app_context():
        seat_waiting(utcnow())


@job_handler(PlanningJob.AUTO_REVISE)
def run_auto_revision_job(context: JobContext, params: dict[str, Any]) -> dict[str, Any] | None:
    """The automatic revision in a worker; its result names the last draft it stored."""
    return version_result(run_auto_revision(context.event_id, context=context,
                                            time_limit=float(params.get("time_limit", REPLAN_TIME_LIMIT))))


@arrived_unplaced.connect
def _on_arrival(_app: Any, *, event_id: int, **_: Any) -> None:
    event = db.session.get(Event, event_id)
    if event is None or not event.auto_revise:
        return
    if current_app.config.get("AUTO_REVISE_ON_ARRIVAL", True):
        start_auto_revision(event)
