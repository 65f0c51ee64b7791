"""Organiser console views for events: the list, a new event, the overview, deletion.

Editing an existing event is guarded by what it would break in the published schedule, which
the schedules feature knows: its route is in :mod:`web.schedules.event_settings` and calls
:func:`save_event_form` here with its check. The overview shows what the features above
contribute (:mod:`web.events.signals`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from scheduler.taxonomy import TAXONOMY_KEYS
from web.auth.decorators import organiser_required
from web.events import bp
from web.events.deletion import EventInUse, delete_event
from web.events.forms import WEIGHT_FIELDS, DeleteEventForm, EventForm
from web.events.models import Event
from web.events.services import (
    Access,
    EventDataError,
    EventInput,
    attention_items,
    console_links_of,
    figures_of,
    form_data_for,
    get_event_or_404,
    overview_parts_of,
    save_event,
)
from web.events.services import (
    list_events as all_events,
)


@bp.get("/")
@organiser_required
def list_events() -> ResponseReturnValue:
    """The events the account organises, and those where it only works the door (kiosk)."""
    return render_template("events/list.html", events=all_events(current_user.id),
                           door_only=_door_only(current_user.id))


def _door_only(user_id: int) -> list[Event]:
    organised = {event.id for event in all_events(user_id)}
    return [event for event in all_events(user_id, Access.CHECK_IN) if event.id not in organised]


def render_event_form(form: EventForm, event: Event | None = None,
                      conflicts: Sequence[Any] = ()) -> ResponseReturnValue:
    """The event form; with ``conflicts`` (what the change breaks) it asks to confirm (409)."""
    status = 409 if conflicts else (422 if form.errors else 200)
    return render_template("events/form.html", form=form, event=event, conflicts=list(conflicts),
                           weight_fields=list(WEIGHT_FIELDS), taxonomy_keys=TAXONOMY_KEYS), status


def save_event_form(form: EventForm, event: Event | None = None,
                    conflicts_of: Callable[[Event, EventInput], Sequence[Any]] | None = None,
                    creator_id: int | None = None) -> ResponseReturnValue:
    """Save a valid form. ``conflicts_of`` is the check of the feature that edits an existing
    event (web.schedules.event_settings: what the change would break in the published
    schedule): its conflicts are shown and only saved on a second submit with the confirm box
    ticked. A new event's ``creator_id`` becomes its first organiser."""
    if not form.validate_on_submit():
        return render_event_form(form, event)
    data = EventInput.from_form(form)
    if event is not None and conflicts_of is not None and not form.confirm.data:
        conflicts = conflicts_of(event, data)
        if conflicts:
            return render_event_form(form, event, conflicts)
    try:
        saved = save_event(data, event, creator_id=creator_id)
    except EventDataError as exc:
        getattr(form, exc.field).errors = [*getattr(form, exc.field).errors, str(exc)]
        return render_event_form(form, event)
    flash(f"Saved {saved.name}.", "success")
    return redirect(url_for("events.overview", slug=saved.slug))


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def create_event() -> ResponseReturnValue:
    form = EventForm(data=form_data_for(None))
    return save_event_form(form, creator_id=current_user.id)


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
    page = render_template("events/delete.html", event=event, form=form, figures=figures_of(event),
                           keep=[link for link in console_links_of(event) if link.before_deleting])
    return page, 422 if form.errors else 200


@bp.get("/<slug>/")
@organiser_required
def overview(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    return render_template("events/overview.html", event=event, figures=figures_of(event),
                           timetable=event.timetable(), links=console_links_of(event),
                           parts=overview_parts_of(event), attention=attention_items(event))
