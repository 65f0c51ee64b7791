"""Organiser views for attendees (thin; see services)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from scheduler.importer import AttendeeFileError
from web.attendees import bp
from web.attendees.forms import FIELD_COLUMNS, AttendeeForm, ConfirmForm, ImportForm
from web.attendees.lifecycle import (
    StateChangeRefused,
    event_states,
    mark_back,
    mark_left,
    restore_attendee,
    withdraw_attendee,
)
from web.attendees.links import export_personal_links, personal_links
from web.attendees.models import Attendee, AttendeeSource
from web.attendees.pairs import pair_picker
from web.attendees.presence import state_of
from web.attendees.services import (
    AttendeeInUse,
    AttendeeRowInvalid,
    commit_import,
    discard_pending,
    form_cells,
    get_attendee_or_404,
    in_name_order,
    load_pending,
    parse_upload,
    plan_import,
    removal_blockers,
    remove_attendee,
    save_attendee,
    search_attendees,
    search_page,
    store_pending,
    validate_row,
)
from web.attendees.states import AttendeeState
from web.audit import AuditAction, record
from web.auth.decorators import organiser_required
from web.downloads import spreadsheet_download
from web.events.models import Event
from web.events.services import get_event_or_404
from web.events.signals import ConsoleLink, console_links
from web.extensions import db

SESSION_KEY = "attendee_import"
# Names listed per group on the import preview; the rest are counted (a file of tens of
# thousands of people would otherwise make a page of megabytes).
PREVIEW_NAMES = 200


@dataclass
class StatePage:
    """One page of a list filtered by state (states are derived, so the filter runs here,
    not in SQL); the same attributes the templates read of ``db.paginate``."""

    items: list[Attendee]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _state_filter() -> AttendeeState | None:
    raw = request.args.get("state", "")
    if not raw:
        return None
    try:
        return AttendeeState(raw)
    except ValueError:
        abort(400, f"state must be one of {', '.join(s.value for s in AttendeeState)}")


@bp.get("/")
@organiser_required
def list_attendees(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    query = request.args.get("q", "")[:200]
    wanted = _state_filter()
    per_page = current_app.config["ATTENDEES_PER_PAGE"]
    number = max(1, request.args.get("page", 1, type=int) or 1)
    page: StatePage
    if wanted is None:
        items, total = search_page(event, query, number, per_page)
        page = StatePage(items, number, per_page, total)
        states = event_states(event, items)
    else:
        rows = in_name_order(event, db.session.scalars(search_attendees(event, query)))
        states = event_states(event, rows)
        matching = [a for a in rows if states[a.id] is wanted]
        page = StatePage(matching[(number - 1) * per_page:number * per_page], number, per_page,
                         len(matching))
    return render_template("attendees/list.html", event=event, page=page, query=query,
                           states=states, state_filter=wanted, all_states=list(AttendeeState),
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
            source = AttendeeSource.WALK_IN if event.clock_started_at else AttendeeSource.IMPORT
            saved = save_attendee(event, attendee, row, source=source)
            for warning in warnings:
                flash(f"{warning.field}: {warning.message}", "warning")
            flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("attendees.list_attendees", slug=event.slug, q=saved.ext_id))
    status = 422 if (form.errors or general) else 200
    return render_template("attendees/form.html", event=event, form=form, attendee=row,
                           links=personal_links(row) if row else None,
                           state=state_of(row) if row else None, action_form=ConfirmForm(),
                           general_errors=general,
                           pairs=pair_picker(row, request.args.get("pair_q", "")) if row else None), status


@bp.get("/links.<fmt>")
@organiser_required
def personal_links_export(slug: str, fmt: str) -> ResponseReturnValue:
    """Every attendee's personal links, for the organiser's mail merge."""
    event = get_event_or_404(slug)
    response = spreadsheet_download(fmt, f"{event.slug}-personal-links", lambda chosen: export_personal_links(event, chosen))
    record(AuditAction.EXPORT, event_id=event.id, target="personal links", event=event.slug, fmt=fmt)
    db.session.commit()
    return response


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
            flash(f"{exc} Withdraw them instead.", "error")
            return redirect(url_for("attendees.remove", slug=event.slug, attendee_id=attendee.id))
        else:
            flash(f"Removed {name}.", "success")
        return redirect(url_for("attendees.list_attendees", slug=event.slug))
    return render_template("attendees/remove.html", event=event, attendee=attendee, form=form,
                           blockers=removal_blockers(attendee), state=state_of(attendee))


# Console actions on an attendee's state: endpoint suffix -> (service, past tense for the flash).
STATE_ACTIONS = {
    "withdraw": (withdraw_attendee, "withdrawn: out of every future round until restored"),
    "restore": (restore_attendee, "restored: planned for again"),
    "left": (mark_left, "marked as left: their later rounds are free"),
    "back": (mark_back, "back: planned for again"),
}


def _change_state(slug: str, attendee_id: int, action: str) -> ResponseReturnValue:
    """Withdraw, Restore, Mark as left, Back (buttons on the attendee page and the list)."""
    event = get_event_or_404(slug)
    attendee = get_attendee_or_404(event, attendee_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; try again.", "error")
    else:
        service, done = STATE_ACTIONS[action]
        try:
            service(attendee, current_user)
        except StateChangeRefused as exc:
            flash(str(exc), "error")
        else:
            flash(f"{attendee.name} {done}.", "success")
    if request.form.get("next", "") == "list":
        return redirect(url_for("attendees.list_attendees", slug=event.slug, q=attendee.ext_id))
    return redirect(url_for("attendees.edit_attendee", slug=event.slug, attendee_id=attendee.id))


@bp.post("/<int:attendee_id>/withdraw")
@organiser_required
def withdraw(slug: str, attendee_id: int) -> ResponseReturnValue:
    return _change_state(slug, attendee_id, "withdraw")


@bp.post("/<int:attendee_id>/restore")
@organiser_required
def restore(slug: str, attendee_id: int) -> ResponseReturnValue:
    return _change_state(slug, attendee_id, "restore")


@bp.post("/<int:attendee_id>/left")
@organiser_required
def left(slug: str, attendee_id: int) -> ResponseReturnValue:
    return _change_state(slug, attendee_id, "left")


@bp.post("/<int:attendee_id>/back")
@organiser_required
def back(slug: str, attendee_id: int) -> ResponseReturnValue:
    return _change_state(slug, attendee_id, "back")


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
                           form=ConfirmForm(), shown=PREVIEW_NAMES)


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


@console_links.connect
def _console_links(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """The attendees feature's pages on the event's overview (web.events.signals.console_links)."""
    return [ConsoleLink("Attendees", url_for("attendees.list_attendees", slug=event.slug), 10),
            ConsoleLink("Import attendees", url_for("attendees.import_upload", slug=event.slug), 20)]
