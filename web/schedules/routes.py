"""Organiser pages for schedules (thin; see services)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from badges.names import sorted_people
from web.attendees.models import Attendee
from web.audit import AuditAction, record
from web.auth.decorators import organiser_required
from web.downloads import spreadsheet_download
from web.events.models import Event
from web.events.services import get_event_or_404
from web.events.signals import ConsoleLink, console_links
from web.extensions import db
from web.jobs import runner as jobs
from web.schedules import bp
from web.schedules.diffs import diff_versions
from web.schedules.exports import export_attendees, export_schedule
from web.schedules.forms import ConfirmForm, GenerateForm, PublishForm
from web.schedules.models import ScheduleVersion, VersionStatus
from web.schedules.planning import (
    job_progress_json,
    job_progress_response,
    job_version,
    schedule_jobs,
    start_schedule_job,
)
from web.schedules.publishing import StalePublish, publish_checks, publish_version
from web.schedules.revisions import PlanMode, PlanningError, regenerate_reach
from web.schedules.versions import (
    ScheduleError,
    get_version,
    latest_draft,
    list_versions,
    published_version,
    version_schedule,
)
from web.schedules.views import attendee_agenda, quality_summary, schedule_grid
from web.types import utcnow


def _version_or_404(event: Event, number: int) -> ScheduleVersion:
    version = get_version(event, number)
    if version is None:
        abort(404)
    return version


@bp.get("/schedule/")
@organiser_required
def overview(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    published = published_version(event)
    running = jobs.active_job(event)  # first: it applies the lost-worker rule the job list shows
    return render_template(
        "schedules/overview.html", event=event, published=published, draft=latest_draft(event),
        summary=quality_summary(published) if published else None, versions=list_versions(event),
        jobs=schedule_jobs(event), running=running, form=GenerateForm(),
        attendee_count=db.session.query(Attendee).filter_by(event_id=event.id).count(),
        reach=regenerate_reach(event, published, utcnow()) if published else None,
    )


@bp.route("/schedule/generate", methods=["GET", "POST"])
@organiser_required
def generate(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = GenerateForm()
    published = published_version(event)
    reach = regenerate_reach(event, published, utcnow()) if published else None
    error = None
    if form.validate_on_submit():
        mode = form.mode.data  # resolved against the published version once, by planning_request
        if mode == PlanMode.REGENERATE and reach is not None and not form.confirm_regenerate.data:
            error = (f"A re-generate plans rounds {reach.from_round}-{event.rounds} again for everyone: up to "
                     f"{reach.agendas} agendas change. Tick the box to confirm, or revise instead.")
        else:
            try:
                job = start_schedule_job(event, time_limit=form.time_limit.data, seed=form.seed.data, mode=mode)
            except jobs.JobBusy as busy:
                flash("A schedule is already being computed for this event; here is its progress.", "info")
                return redirect(url_for("schedules.job", slug=event.slug, job_id=busy.job.id))
            except PlanningError as exc:
                error = str(exc)
            else:
                return redirect(url_for("schedules.job", slug=event.slug, job_id=job.id))
    status = 422 if form.errors or error else 200
    return render_template("schedules/generate.html", event=event, form=form, published=published,
                           reach=reach, error=error, running=jobs.active_job(event)), status


@bp.get("/jobs/<job_id>")
@organiser_required
def job(slug: str, job_id: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    row = jobs.event_job_or_404(event, job_id)
    return render_template("schedules/job.html", event=event, job=row, status=job_progress_json(row),
                           version=job_version(row), form=ConfirmForm())


@bp.get("/jobs/<job_id>.json")
@organiser_required
def job_json(slug: str, job_id: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    row = jobs.event_job_or_404(event, job_id)
    return job_progress_response(row)


@bp.post("/jobs/<job_id>/cancel")
@organiser_required
def cancel_job(slug: str, job_id: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    row = jobs.event_job_or_404(event, job_id)
    if ConfirmForm().validate_on_submit():
        if row.status in jobs.ACTIVE_STATUSES:
            jobs.request_cancel(row)
            flash("Stopping: the best schedule found so far will be kept as a draft.", "info")
        else:
            flash(f"The job has already {'finished' if row.status == jobs.JobStatus.DONE else row.status}.", "info")
    return redirect(url_for("schedules.job", slug=event.slug, job_id=row.id))


@bp.get("/schedule/v<int:number>/")
@organiser_required
def version(slug: str, number: int) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    row = _version_or_404(event, number)
    schedule, attendees = version_schedule(row)
    return render_template(
        "schedules/version.html", event=event, version=row,
        summary=quality_summary(row, schedule, attendees),
        grid=schedule_grid(event, schedule), rounds=list(range(1, schedule.rounds + 1)),
        timetable=event.timetable(), people={a.id: a for a in attendees},
        attendees=sorted_people(attendees, event.name_order or "family"),
        published=published_version(event), form=ConfirmForm(),
    )


@bp.get("/schedule/v<int:number>/attendee")
@organiser_required
def attendee(slug: str, number: int) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    row = _version_or_404(event, number)
    schedule, attendees = version_schedule(row)
    people = {a.id: a for a in attendees}
    ext_id = request.args.get("a", "")
    if ext_id not in people:
        if ext_id:
            flash("No attendee with that id in this event.", "error")
        return redirect(url_for("schedules.version", slug=event.slug, number=row.number) + "#attendee-picker")
    return render_template("schedules/attendee.html", event=event, version=row, person=people[ext_id],
                           slots=attendee_agenda(event, schedule, attendees, ext_id))


@bp.route("/schedule/v<int:number>/publish", methods=["GET", "POST"])
@organiser_required
def publish(slug: str, number: int) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    row = _version_or_404(event, number)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            publish_version(row, current_user, force=bool(form.force.data))
        except StalePublish as exc:
            flash("Not published: " + str(exc), "error")
            return redirect(url_for("schedules.publish", slug=event.slug, number=row.number))
        except ScheduleError as exc:
            flash(str(exc), "error")
            return redirect(url_for("schedules.version", slug=event.slug, number=row.number))
        flash(f"Version {row.number} is published.", "success")
        return redirect(url_for("schedules.version", slug=event.slug, number=row.number))
    current = published_version(event)
    diff = diff_versions(current, row) if row.status == VersionStatus.DRAFT else None
    check = publish_checks(row) if row.status == VersionStatus.DRAFT else None
    return render_template("schedules/publish.html", event=event, version=row, current=current,
                           diff=diff, check=check, form=form, revise_form=GenerateForm(formdata=None))


@bp.get("/schedule/v<int:number>/schedule.<fmt>")
@organiser_required
def export_version(slug: str, number: int, fmt: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    row = _version_or_404(event, number)
    return spreadsheet_download(fmt, f"{event.slug}-schedule-v{row.number}",
                                lambda chosen: export_schedule(event, row, chosen))


@bp.get("/schedule/attendees.<fmt>")
@organiser_required
def export_attendee_file(slug: str, fmt: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    response = spreadsheet_download(fmt, f"{event.slug}-attendees", lambda chosen: export_attendees(event, chosen))
    record(AuditAction.EXPORT, event_id=event.id, target="attendee file", event=event.slug, fmt=fmt)
    db.session.commit()
    return response


@console_links.connect
def _console_links(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """The schedule's pages on the event's overview (web.events.signals.console_links)."""
    return [ConsoleLink("Schedule", url_for("schedules.overview", slug=event.slug), 30)]
