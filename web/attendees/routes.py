"""Organiser views for attendees (thin; see services)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from scheduler.importer import AttendeeFileError
from web.attendees import bp
from web.attendees.forms import FIELD_COLUMNS, AttendeeForm, ConfirmForm, ImportForm
from web.attendees.models import Attendee
from web.attendees.services import (
    AttendeeInUse,
    AttendeeRowInvalid,
    commit_import,
    discard_pending,
    form_cells,
    get_attendee_or_404,
    load_pending,
    parse_upload,
    plan_import,
    removal_blockers,
    remove_attendee,
    save_attendee,
    search_attendees,
    store_pending,
    validate_row,
)
from web.auth.decorators import organiser_required
from web.downloads import spreadsheet_download
from web.events.services import get_event_or_404
from web.extensions import db
from web.public.links import export_personal_links, personal_links

SESSION_KEY = "attendee_import"


@bp.get("/")
@organiser_required
def list_attendees(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    query = request.args.get("q", "")[:200]
    page = db.paginate(search_attendees(event, query), per_page=current_app.config["ATTENDEES_PER_PAGE"],
                       max_per_page=200, error_out=False)
    return render_template("attendees/list.html", event=event, page=page, query=query,
                           delete_form=ConfirmForm())


def _show_row_errors(form: AttendeeForm, exc: AttendeeRowInvalid) -> list[str]:
    by_column = {column: name for name, column in FIELD_COLUMNS.items()}
    general = list(exc.other_errors)
    for column, messages in exc.field_errors.items():
        name = by_column.get(column)
        if name:
            getattr(form, name).errors = [*getattr(form, name).errors, *messages]
        else:
            general.extend(messages)
    return general


def _edit(slug: str, row: Attendee | None) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = AttendeeForm(data=AttendeeForm.data_from_cells(form_cells(row)) if row else None)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            attendee, warnings = validate_row(event, form.cells(), editing=row)
        except AttendeeRowInvalid as exc:
            general = _show_row_errors(form, exc)
        else:
            source = "walk-in" if event.clock_started_at else "import"
            saved = save_attendee(event, attendee, row, source=source)
            for warning in warnings:
                flash(f"{warning.field}: {warning.message}", "warning")
            flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("attendees.list_attendees", slug=event.slug, q=saved.ext_id))
    status = 422 if (form.errors or general) else 200
    return render_template("attendees/form.html", event=event, form=form, attendee=row,
                           links=personal_links(row) if row else None,
                           general_errors=general), status


@bp.get("/links.<fmt>")
@organiser_required
def personal_links_export(slug: str, fmt: str) -> ResponseReturnValue:
    """Every attendee's personal links, for the organiser's mail merge."""
    event = get_event_or_404(slug)
    return spreadsheet_download(fmt, f"{event.slug}-personal-links", lambda chosen: export_personal_links(event, chosen))


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def add_attendee(slug: str) -> ResponseReturnValue:
    return _edit(slug, None)


@bp.route("/<int:attendee_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit_attendee(slug: str, attendee_id: int) -> ResponseReturnValue:
    return _edit(slug, get_attendee_or_404(get_event_or_404(slug), attendee_id))


@bp.route("/<int:attendee_id>/remove", methods=["GET", "POST"])
@organiser_required
def remove(slug: str, attendee_id: int) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    attendee = get_attendee_or_404(event, attendee_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        name = attendee.name
        try:
            remove_attendee(attendee)
        except AttendeeInUse as exc:
            flash(str(exc), "error")
        else:
            flash(f"Removed {name}.", "success")
        return redirect(url_for("attendees.list_attendees", slug=event.slug))
    return render_template("attendees/remove.html", event=event, attendee=attendee, form=form,
                           blockers=removal_blockers(attendee))


@bp.route("/import", methods=["GET", "POST"])
@organiser_required
def import_upload(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        filename = upload.filename or "attendees.csv"
        try:
            attendees, warnings = parse_upload(event, upload.read(), filename)
        except AttendeeFileError as exc:
            return render_template("attendees/import_errors.html", event=event, error=exc,
                                   form=ImportForm(formdata=None)), 422
        discard_pending(session.get(SESSION_KEY))
        session[SESSION_KEY] = store_pending(event, filename, attendees, warnings,
                                             bool(form.remove_missing.data))
        return redirect(url_for("attendees.import_preview", slug=event.slug))
    status = 422 if form.errors else 200
    return render_template("attendees/import.html", event=event, form=form), status


@bp.get("/import/preview")
@organiser_required
def import_preview(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    pending = load_pending(session.get(SESSION_KEY), event)
    if pending is None:
        flash("There is no file waiting to be imported; upload it again.", "info")
        return redirect(url_for("attendees.import_upload", slug=event.slug))
    plan = plan_import(event, pending.filename, pending.attendees, pending.warnings,
                       pending.remove_missing)
    return render_template("attendees/import_preview.html", event=event, plan=plan,
                           form=ConfirmForm())


@bp.post("/import/commit")
@organiser_required
def import_commit(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = ConfirmForm()
    key = session.get(SESSION_KEY)
    pending = load_pending(key, event)
    if not form.validate_on_submit() or pending is None:
        flash("There is no file waiting to be imported; upload it again.", "info")
        return redirect(url_for("attendees.import_upload", slug=event.slug))
    summary = commit_import(event, pending.attendees, pending.remove_missing)
    discard_pending(key)
    session.pop(SESSION_KEY, None)
    flash(f"Imported {pending.filename}: {summary.added} added, {summary.updated} updated, "
          f"{summary.unchanged} unchanged, {summary.removed} removed"
          + (f", {summary.kept} kept because they are checked in or scheduled" if summary.kept else "")
          + ".", "success")
    return redirect(url_for("attendees.list_attendees", slug=event.slug))


@bp.post("/import/cancel")
@organiser_required
def import_cancel(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    if ConfirmForm().validate_on_submit():
        discard_pending(session.pop(SESSION_KEY, None))
        flash("Import cancelled; nothing was changed.", "info")
    return redirect(url_for("attendees.list_attendees", slug=event.slug))
