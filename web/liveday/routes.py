"""Organiser console for the event day: clock controls, re-plan, review and publish."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from web.auth.decorators import organiser_required
from web.events.models import Event
from web.events.services import get_event_or_404
from web.events.signals import ConsoleLink, console_links
from web.extensions import db
from web.jobs import JobBusy, active_job, event_job_or_404, request_cancel
from web.liveday import bp
from web.liveday.autorevise import start_seating
from web.liveday.clock import (
    ClockConfirmationNeeded,
    ClockError,
    clock_state,
    delay_clock,
    pause_clock,
    reset_clock,
    resume_clock,
    start_clock,
)
from web.liveday.forms import DelayForm, ReplanForm
from web.liveday.services import (
    ReplanError,
    checked_in_attendees,
    display_url,
    format_seconds,
    kept_share,
    renew_display_key,
    replan_preview,
    start_replan,
)
from web.schedules.diffs import diff_versions
from web.schedules.models import ScheduleVersion, VersionStatus
from web.schedules.planning import job_progress_json, job_progress_response, job_version
from web.schedules.publishing import StalePublish, publish_version
from web.schedules.revisions import PlanningJob
from web.schedules.versions import published_version
from web.types import utcnow

LIVE_JOB_KINDS = (PlanningJob.REPLAN, PlanningJob.AUTO_REVISE)


def _console(slug: str, delay_form: DelayForm | None = None, replan_form: ReplanForm | None = None,
             status: int = 200, confirm: tuple[str, str] | None = None) -> ResponseReturnValue:
    """The live page; ``confirm`` is (clock action, what it would re-time) for a clock action
    that needs the organiser's confirmation first."""
    event = get_event_or_404(slug)
    now = utcnow()
    preview = replan_preview(event, now)
    replan_form = replan_form or ReplanForm(data={"from_round": preview.from_round})
    return render_template(
        "liveday/console.html", event=event, state=clock_state(event, now), preview=preview,
        delay_form=delay_form or DelayForm(data={"minutes": 5}), replan_form=replan_form,
        timetable=event.timetable(), job=active_job(event), format_seconds=format_seconds,
        live_job_kinds=LIVE_JOB_KINDS, display_link=display_url(event),
        confirm=confirm,
    ), status


@bp.get("/<slug>/live/")
@organiser_required
def console(slug: str) -> ResponseReturnValue:
    return _console(slug)


@bp.post("/<slug>/live/clock/<action>")
@organiser_required
def clock_action(slug: str, action: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    confirmed = request.form.get("confirm") == "1"
    now = utcnow()
    actions = {"start": lambda: start_clock(event, now, confirm=confirmed),
               "reset": lambda: reset_clock(event, now, confirm=confirmed),
               "pause": lambda: pause_clock(event, now), "resume": lambda: resume_clock(event, now)}
    if action not in actions:
        abort(404)
    try:
        actions[action]()
    except ClockConfirmationNeeded as exc:
        db.session.rollback()
        return _console(slug, confirm=(action, str(exc)), status=409)
    except ClockError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash({"start": "Clock started: round 1 is on.", "pause": "Clock paused.",
               "resume": "Clock running again.",
               "reset": "Clock reset: the rounds follow the timetable again."}[action], "success")
    return redirect(url_for("liveday.console", slug=slug))


@bp.post("/<slug>/live/clock/delay")
@organiser_required
def delay(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = DelayForm()
    if not form.validate_on_submit():
        return _console(slug, delay_form=form, status=422)
    try:
        delay_clock(event, form.minutes.data, utcnow())
    except ClockError as exc:
        db.session.rollback()
        form.minutes.errors = [str(exc)]
        return _console(slug, delay_form=form, status=422)
    flash(f"Rounds not yet started moved by {form.minutes.data} minutes.", "success")
    return redirect(url_for("liveday.console", slug=slug))


@bp.post("/<slug>/live/replan")
@organiser_required
def replan(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = ReplanForm()
    if not form.validate_on_submit():
        return _console(slug, replan_form=form, status=422)
    try:
        job = start_replan(event, form.from_round.data, utcnow(),
                           leave_out_not_checked_in=bool(form.leave_out_not_checked_in.data))
    except ReplanError as exc:
        form.from_round.errors = [str(exc)]
        return _console(slug, replan_form=form, status=422)
    except JobBusy as exc:
        flash(str(exc), "error")
        return redirect(url_for("liveday.replan_job", slug=slug, job_id=exc.job.id))
    return redirect(url_for("liveday.replan_job", slug=slug, job_id=job.id))


@bp.post("/<slug>/live/seat-waiting")
@organiser_required
def seat_waiting(slug: str) -> ResponseReturnValue:
    """One click for the people waiting for a table: revise from the first open round and
    publish, as the automatic revision does."""
    event = get_event_or_404(slug)
    try:
        job = start_seating(event)
    except JobBusy as exc:
        flash(str(exc), "error")
        return redirect(url_for("liveday.console", slug=slug))
    return redirect(url_for("liveday.replan_job", slug=slug, job_id=job.id))


def _live_job_or_404(event, job_id: str):
    return event_job_or_404(event, job_id, LIVE_JOB_KINDS)


@bp.get("/<slug>/live/replan/<job_id>")
@organiser_required
def replan_job(slug: str, job_id: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    job = _live_job_or_404(event, job_id)
    version = job_version(job)
    published = published_version(event)
    diff, kept = None, (0, 0)
    from_round = (job.params or {}).get("from_round") or 1
    present = checked_in_attendees(event)
    if version is not None and published is not None:
        base = published if published.id != version.id else _previous_published(event, version)
        if base is not None:
            diff = diff_versions(base, version, from_round=from_round)
            kept = kept_share(base, version, from_round, {a.id for a in present})
    return render_template("liveday/replan_job.html", event=event, job=job,
                           publish_warnings=session.pop(f"publish-warnings-{job_id}", None),
                           status=job_progress_json(job), version=version, published=published,
                           diff=diff, kept=kept, from_round=from_round,
                           present={a.ext_id for a in present})


@bp.get("/<slug>/live/replan/<job_id>.json")
@organiser_required
def replan_job_json(slug: str, job_id: str) -> ResponseReturnValue:
    """Progress of a re-plan for job-progress.js (same shape as the schedule job's JSON)."""
    event = get_event_or_404(slug)
    job = _live_job_or_404(event, job_id)
    return job_progress_response(job)


def _previous_published(event, version: ScheduleVersion) -> ScheduleVersion | None:
    """The version that was published before ``version`` (to show its changes after publishing)."""
    return db.session.scalar(
        select(ScheduleVersion)
        .where(ScheduleVersion.event_id == event.id, ScheduleVersion.id != version.id,
               ScheduleVersion.published_at.is_not(None))
        .order_by(ScheduleVersion.published_at.desc())
    )


@bp.post("/<slug>/live/replan/<job_id>/publish")
@organiser_required
def publish(slug: str, job_id: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    job = _live_job_or_404(event, job_id)
    version = job_version(job)
    if version is None or version.status != VersionStatus.DRAFT:
        flash("This re-plan cannot be published (not finished, or already published).", "error")
        return redirect(url_for("liveday.replan_job", slug=slug, job_id=job_id))
    try:
        publish_version(version, current_user, force=request.form.get("force") == "1")
    except StalePublish as exc:
        db.session.rollback()
        for reason in exc.check.blocking:
            flash(reason, "error")
        if not exc.check.blocking:
            session[f"publish-warnings-{job_id}"] = exc.check.warnings
        return redirect(url_for("liveday.replan_job", slug=slug, job_id=job_id))
    flash(f"Version {version.number} published: attendee pages and the room display follow it now.",
          "success")
    return redirect(url_for("liveday.replan_job", slug=slug, job_id=job_id))


@bp.post("/<slug>/live/replan/<job_id>/cancel")
@organiser_required
def cancel(slug: str, job_id: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    request_cancel(event_job_or_404(event, job_id, (PlanningJob.REPLAN,)))
    flash("Cancelling the re-plan.", "info")
    return redirect(url_for("liveday.replan_job", slug=slug, job_id=job_id))


@bp.post("/<slug>/live/display-link")
@organiser_required
def renew_display_link(slug: str) -> ResponseReturnValue:
    """A new secret display address; the old one answers 404 from this moment (a link that
    leaked, or a projector that should no longer show the room)."""
    event = get_event_or_404(slug)
    renew_display_key(event)
    flash("New room display link: the old link no longer works. Open the new one on the projector.",
          "success")
    return redirect(url_for("liveday.console", slug=slug) + "#display-link")


@console_links.connect
def _console_links(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """The event day's pages on the event's overview (web.events.signals.console_links)."""
    display = display_url(event) or url_for("liveday.console", slug=event.slug) + "#display-link"
    return [ConsoleLink("Event day: clock and re-plan", url_for("liveday.console", slug=event.slug), 50),
            ConsoleLink("Room display", display, 60)]
