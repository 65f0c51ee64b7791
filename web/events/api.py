"""The events API's blueprint (``/api/v1``, tag "Events") and what every endpoint under
``/events/<slug>`` shares: :func:`event_or_404` (the API's JSON 404 for an event the token may
not reach, :mod:`web.events.access`; the console's ``get_event_or_404`` answers an HTML page)
and :func:`event_input` (API fields -> the console's
:class:`EventInput`).

The endpoints ``/api/v1/events`` and ``/api/v1/events/<slug>`` answer with the schedule's
figures and refuse a change that breaks the published schedule, which this feature (the
lowest) may not ask about: they are defined in :mod:`web.schedules.event_api`, on this
blueprint.
"""

from __future__ import annotations

from typing import Any, NoReturn

from apiflask import abort
from flask import request
from sqlalchemy import event as orm_event
from sqlalchemy import select

from scheduler.addresses import single_line
from scheduler.taxonomy import TAXONOMY_KEYS
from web.api import feature_blueprint
from web.api.auth import API_ORGANISER_ROLES, after_authorization, token_auth
from web.auth.models import Role
from web.auth.services import ApiUser
from web.events.access import Access, allows, decided
from web.events.forms import WEIGHT_FIELDS
from web.events.members import remembered_member_role
from web.events.models import Event
from web.events.services import (
    EventInput,
    find_event,
    form_data_for,
    format_breaks,
)
from web.extensions import db
from web.lookup_cache import forget_after_commit, lookup_cache

bp = feature_blueprint("events_api", __name__, tag="Events",
                       description="Create, read and change events.")
organiser_only = bp.auth_required(token_auth, roles=API_ORGANISER_ROLES)
READ_METHODS = frozenset({"GET", "HEAD"})


def event_or_404(slug: str, access: Access = Access.ORGANISE) -> Event:
    """The event ``slug`` names if the token may reach it with ``access``, else the API's JSON
    404 (the same as for a slug that does not exist); a read-only token's change gets 403."""
    event = find_event(slug)
    if not token_may(event.id if event is not None else 0, access) or event is None:
        no_such_event(slug)
    return event


def token_may(event_id: int, access: Access, user: ApiUser | None = None, *, asked: bool = True) -> bool:
    """Whether the request's token (``user``: its account, else the request's) reaches the
    event with ``access``: its account is a member with the role (asked on every request; a
    team change clears what this worker remembers), and the token is not limited to another
    event. True also means a read-only token is asking to read: for a change this answers 403
    itself, after the event check, so that a refusal never tells an outsider the event exists.
    ``asked=False``: an early check that is not the view's own decision."""
    if asked:
        decided(event_id, access)
    user = user if user is not None else token_auth.current_user
    if user is None:
        return False
    if user.event_id is not None and user.event_id != event_id:
        return False
    if not allows(remembered_member_role(user.id, event_id), access, user.role):
        return False
    refuse_read_only_change(user)
    return True


@after_authorization
def _event_in_the_url(user: ApiUser, roles: list[str]) -> None:
    """Before the view and its input validation: a token outside the event named in the URL
    gets the 404 of an unknown event, whatever its body. The route's roles say the access it
    needs (check-in staff roles: the door; else organising); the view asks again with its
    own ``event_or_404(slug, access=...)``, which is what :mod:`web.events.access` requires
    (this early check does not count for it: a view that forgets still fails its tests)."""
    slug = (request.view_args or {}).get("slug")
    if slug is None:
        return  # a job's routes find their event through the job, in the view
    access = Access.CHECK_IN if Role.STAFF in roles else Access.ORGANISE
    event_id = event_id_for_slug(str(slug))
    if event_id is None or not token_may(event_id, access, user, asked=False):
        no_such_event(str(slug))


EVENT_IDS = "event-ids"


def event_id_for_slug(slug: str) -> int | None:
    """The id of the event ``slug`` names, remembered for a couple of seconds per worker (every
    kiosk scan asks)."""
    return lookup_cache(EVENT_IDS).get(slug, _load_event_id)


def _load_event_id(slug: str) -> int | None:
    return db.session.scalar(select(Event.id).where(Event.slug == slug))


@orm_event.listens_for(Event, "after_update")
@orm_event.listens_for(Event, "after_delete")
def _forget_event_ids(_mapper: object, _connection: object, row: object) -> None:
    """An event's slug changed or it was deleted: read the ids afresh."""
    forget_after_commit(EVENT_IDS, row)


def api_user() -> ApiUser:
    """The token's account of a request that passed ``auth_required``."""
    user = token_auth.current_user
    assert isinstance(user, ApiUser), "only for views behind auth_required(token_auth)"
    return user


def refuse_read_only_change(user: ApiUser) -> None:
    """403 for a read-only token's request that could change something."""
    if user.read_only and request.method not in READ_METHODS:
        abort(403, message="This API token is read-only.")


def refuse_event_limited(user: ApiUser) -> None:
    """403 for a token limited to one event asking for something outside any event
    (creating a new event)."""
    refuse_read_only_change(user)
    if user.event_id is not None:
        abort(403, message="This API token is limited to one event.")


def no_such_event(slug: str) -> NoReturn:
    abort(404, message=f"There is no event with the short name '{slug}'.")


def event_input(data: dict[str, Any], event: Event | None = None) -> EventInput:
    """The console's :class:`EventInput` from API fields; fields not sent keep the event's
    current values (or the console's defaults for a new event)."""
    current = form_data_for(event)
    start = data.get("start")
    date = start.date() if start is not None else current["date"]
    start_time = start.time().replace(microsecond=0) if start is not None else current["start_time"]
    if "table_labels" in data:
        labels = "\n".join(label.strip() for label in data["table_labels"])
    else:
        labels = current.get("table_labels") or ""
    breaks = format_breaks(data["breaks"]) if "breaks" in data else current.get("breaks") or ""
    return EventInput(
        slug=data.get("slug", current.get("slug") or "").strip(),
        name=data.get("name", current.get("name") or "").strip(),
        venue=data.get("venue", current.get("venue") or "").strip(),
        date=date,
        start_time=start_time,
        timezone=data.get("timezone", current["timezone"]).strip(),
        rounds=data.get("rounds", current["rounds"]),
        round_minutes=data.get("round_minutes", current["round_minutes"]),
        changeover_minutes=data.get("changeover_minutes", current["changeover_minutes"]),
        tables=data.get("tables", current["tables"]),
        table_labels=labels,
        breaks_text=breaks,
        prefer_same_region=data.get("prefer_same_region", bool(current.get("prefer_same_region"))),
        registration_open=data.get("registration_open", bool(current.get("registration_open"))),
        registration_confirm=data.get("registration_confirm"),
        privacy_notice=data["privacy_notice"].strip() if "privacy_notice" in data else None,
        privacy_contact=single_line(data["privacy_contact"]) if "privacy_contact" in data else None,
        auto_revise=data.get("auto_revise", bool(current.get("auto_revise"))),
        meetings=data.get("meetings", current.get("meetings")),
        break_spread=data.get("break_spread", current.get("break_spread")),
        retention_days=data.get("retention_days", current.get("retention_days")),
        weights={name: current[f"weight_{name}"] for name in WEIGHT_FIELDS},
        taxonomy_lists={key: current.get(key) or "" for key in TAXONOMY_KEYS},
    )
