"""URL lookups shared by every API blueprint (events, check-in, event day): the row a URL names,
or the API's JSON 404."""

from __future__ import annotations

from typing import NoReturn

from apiflask import abort

from web.events.models import Event
from web.events.services import find_event


def event_or_404(slug: str) -> Event:
    event = find_event(slug)
    if event is None:
        no_such_event(slug)
    return event


def no_such_event(slug: str) -> NoReturn:
    abort(404, message=f"There is no event with the short name '{slug}'.")
