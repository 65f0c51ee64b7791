"""Organiser console views for events."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from scheduler.taxonomy import TAXONOMY_KEYS
from web.auth.decorators import organiser_required
from web.events import bp
from web.events.deletion import EventInUse, delete_event
from web.events.forms import WEIGHT_FIELDS, DeleteEventForm, EventForm
from web.events.services import (
    EventDataError,
    EventInput,
    attention_items,
    event_counts,
    form_data_for,
    get_event_or_404,
    save_event,
    settings_conflicts,
)
from web.events.services import (
    list_events as all_events,
)

# Pages of an event shown on its overview, in order. A feature adds its own entry here; an
# entry whose endpoint is not registered (feature not built yet) is simply not shown.
FEATURE_LINKS: list[tuple[str, str]] = [
    ("attendees.list_attendees", "Attendees"),
    ("attendees.import_upload", "Import attendees"),
    ("schedules.overview", "Schedule"),
    ("checkin.kiosk", "Check-in"),
    ("liveday.console", "Event day: clock and re-plan"),
    ("display.display", "Room display"),
    ("printing.index", "Badges and printouts"),
    ("results.index", "Results and exports"),
    ("mail.outbox", "E-mail: outbox and personal links"),
    ("events.edit_event", "Event settings"),
]


@bp.get("/")
@organiser_required
def list_events() -> ResponseReturnValue:
    return render_template("events/list.html", events=all_events())


def _render_form(form: EventForm, event=None, conflicts=None) -> ResponseReturnValue:
    status = 409 if conflicts else (422 if form.errors else 200)
    return render_template("events/form.html", form=form, event=event, conflicts=conflicts or [],
                           weight_fields=list(WEIGHT_FIELDS), taxonomy_keys=TAXONOMY_KEYS), status


def _save(form: EventForm, event=None) -> ResponseReturnValue:
    """Save a valid form; with a published schedule, a change that would break it is shown
    and only saved on a second submit with the confirm box ticked."""
    if not form.validate_on_submit():
        return _render_form(form, event)
    data = EventInput.from_form(form)
    if event is not None and not form.confirm.data:
        conflicts = settings_conflicts(event, data)
        if conflicts:
            return _render_form(form, event, conflicts)
    try:
        saved = save_event(data, event)
    except EventDataError as exc:
        getattr(form, exc.field).errors = [*getattr(form, exc.field).errors, str(exc)]
        return _render_form(form, event)
    flash(f"Saved {saved.name}.", "success")
    return redirect(url_for("events.overview", slug=saved.slug))


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def create_event() -> ResponseReturnValue:
    form = EventForm(data=form_data_for(None))
    return _save(form)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@organiser_required
def edit_event(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = EventForm(data=form_data_for(event))
    return _save(form, event)


@bp.route("/<slug>/delete", methods=["GET", "POST"])
@organiser_required
def delete(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = DeleteEventForm()
    if form.validate_on_submit():
        if (form.confirm.data or "").strip() != event.slug:
            form.confirm.errors = [*form.confirm.errors, f"Type {event.slug} exactly."]
        else:
            name = event.name
            try:
                delete_event(event)
            except EventInUse as exc:
                flash(f"{name} was not deleted: {exc}.", "error")
            else:
                flash(f"Deleted {name} with its attendees, check-ins and schedules.", "success")
                return redirect(url_for("events.list_events"))
    page = render_template("events/delete.html", event=event, form=form, counts=event_counts(event))
    return page, 422 if form.errors else 200


@bp.get("/<slug>/")
@organiser_required
def overview(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    links = [(url_for(endpoint, slug=event.slug), label) for endpoint, label in FEATURE_LINKS]
    return render_template("events/overview.html", event=event, counts=event_counts(event),
                           timetable=event.timetable(), links=links,
                           attention=attention_items(event))
