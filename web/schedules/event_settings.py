"""Editing an event, guarded by its published schedule: the console's edit page.

The page is the events feature's (its blueprint, URL ``/console/<slug>/edit``, endpoint
``events.edit_event``, form and template), but whether a change may be saved at once depends
on the published schedule, which events (the lowest feature) may not ask about. So the route
lives here, above both, and calls :func:`web.schedules.settings_guard.settings_conflicts`
plainly: a change that cuts or moves published meetings is shown and saved only on a second
submit with the confirm box ticked. The API's PATCH does the same (:mod:`web.schedules.event_api`).
"""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue

from web.auth.decorators import organiser_required
from web.events import bp as events_bp
from web.events.forms import EventForm
from web.events.models import Event
from web.events.routes import save_event_form
from web.events.services import form_data_for, get_event_or_404
from web.events.signals import ConsoleLink, console_links
from web.schedules.settings_guard import settings_conflicts


@events_bp.route("/<slug>/edit", methods=["GET", "POST"])
@organiser_required
def edit_event(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = EventForm(data=form_data_for(event))
    return save_event_form(form, event, conflicts_of=settings_conflicts)


@console_links.connect
def _settings_link(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """The edit page on the event's overview, last."""
    return [ConsoleLink("Event settings", url_for("events.edit_event", slug=event.slug), 100)]
