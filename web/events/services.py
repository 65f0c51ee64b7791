"""Event operations, free of request handling so they can be tested and reused (API, CLI)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import abort
from sqlalchemy import bindparam, select
from sqlalchemy import inspect as sa_inspect

from badges.names import NAME_ORDERS
from scheduler.addresses import single_line
from scheduler.domain import COMPANY_REPEAT_RULES
from scheduler.taxonomy import TAXONOMY_KEYS, ConfigError, load_weights
from web.audit import AuditAction, record
from web.database import insert_or_skip
from web.events.access import Access, roles_for, session_may
from web.events.clock import event_zone, in_event_zone
from web.events.forms import INT_WEIGHTS, WEIGHT_FIELDS, EventForm
from web.events.members import EventMember, MemberRole, event_ids_of
from web.events.models import DEFAULT_RETENTION_DAYS, Event
from web.events.signals import (
    AttentionItem,
    ConsoleLink,
    EventFigure,
    OverviewPart,
    collect_attention,
    collect_figures,
    console_links,
    contributions,
    overview_parts,
)
from web.extensions import db
from web.types import utcnow


class EventDataError(ValueError):
    """Input that passed the field checks but not the cross-field ones; ``field`` names the form
    field to show the message on."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def default_weights() -> dict[str, float | int]:
    """The overridable weights as configured in data/scoring.yaml."""
    weights = load_weights()
    return {name: getattr(weights, name) for name in WEIGHT_FIELDS}


def parse_breaks(text: str, rounds: int) -> list[dict[str, int]]:
    """``"4: 15"`` lines -> ``[{"after_round": 4, "minutes": 15}]``, checked against ``rounds``."""
    result: dict[int, int] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        after, sep, minutes = line.partition(":")
        try:
            after_round, length = int(after.strip()), int(minutes.strip())
        except ValueError:
            raise EventDataError("breaks", f"Line {number}: write 'after round: minutes', e.g. '4: 15'.") from None
        if not sep:
            raise EventDataError("breaks", f"Line {number}: write 'after round: minutes', e.g. '4: 15'.")
        if not 1 <= after_round < rounds:
            raise EventDataError("breaks", f"Line {number}: a break must come after round 1 to {rounds - 1}.")
        if not 1 <= length <= 480:
            raise EventDataError("breaks", f"Line {number}: a break lasts 1 to 480 minutes.")
        if after_round in result:
            raise EventDataError("breaks", f"Line {number}: there is already a break after round {after_round}.")
        result[after_round] = length
    return [{"after_round": r, "minutes": m} for r, m in sorted(result.items())]


def format_breaks(breaks: list[dict[str, int]] | None) -> str:
    return "\n".join(f"{b['after_round']}: {b['minutes']}" for b in breaks or [])


def _lines(text: str | None) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def parse_taxonomy(lists: dict[str, str]) -> dict[str, list[str]] | None:
    """Three one-per-line lists -> taxonomy dict, or ``None`` (default vocabulary) if all empty."""
    parsed = {key: _lines(lists.get(key)) for key in TAXONOMY_KEYS}
    if not any(parsed.values()):
        return None
    for key, names in parsed.items():
        if not names:
            raise EventDataError(key, "List at least one name, or leave all three lists empty.")
        seen: set[str] = set()
        for name in names:
            if name.casefold() in seen:
                raise EventDataError(key, f"'{name}' is listed twice.")
            seen.add(name.casefold())
    return parsed


@dataclass(frozen=True)
class WishSettings:
    """How many Must and Want wishes each attendee may give, and when wishes close (local
    wall-clock time in the event's zone; None = open)."""

    must_limit: int
    want_limit: int
    close_local: dt.datetime | None = None


@dataclass
class EventInput:
    """Everything the event form edits, already typed."""

    slug: str
    name: str
    venue: str
    date: dt.date
    start_time: dt.time
    timezone: str
    rounds: int
    round_minutes: int
    changeover_minutes: int
    tables: int
    table_labels: str = ""
    breaks_text: str = ""
    prefer_same_region: bool = False
    registration_open: bool = False
    registration_confirm: bool | None = None  # None: keep the event's (callers that do not set it)
    privacy_notice: str | None = None          # None: keep the event's
    privacy_contact: str | None = None         # None: keep the event's
    auto_revise: bool = False
    name_order: str | None = None      # None: keep the event's (callers that do not set it)
    meetings: str | None = None        # None: keep the event's
    break_spread: int | None = None    # None: keep the event's
    retention_days: int | None = None  # None: keep the event's
    weights: dict[str, float | int] = field(default_factory=dict)
    company_repeats: str | None = None  # None: keep the event's (callers that do not set it)
    taxonomy_lists: dict[str, str] = field(default_factory=dict)
    wishes: WishSettings | None = None  # None: keep the event's

    @classmethod
    def from_form(cls, form: EventForm) -> EventInput:
        return cls(
            slug=form.slug.data.strip(),
            name=form.name.data.strip(),
            venue=(form.venue.data or "").strip(),
            date=form.date.data,
            start_time=form.start_time.data,
            timezone=form.timezone.data.strip(),
            rounds=form.rounds.data,
            round_minutes=form.round_minutes.data,
            changeover_minutes=form.changeover_minutes.data,
            tables=form.tables.data,
            table_labels=(form.table_labels.data or "").strip(),
            breaks_text=form.breaks.data or "",
            prefer_same_region=bool(form.prefer_same_region.data),
            registration_open=bool(form.registration_open.data),
            registration_confirm=bool(form.registration_confirm.data),
            privacy_notice=(form.privacy_notice.data or "").strip(),
            privacy_contact=single_line(form.privacy_contact.data or ""),
            auto_revise=bool(form.auto_revise.data),
            name_order=form.name_order.data,
            meetings=form.meetings.data,
            break_spread=form.break_spread.data,
            retention_days=form.retention_days.data,
            weights={name: getattr(form, f"weight_{name}").data for name in WEIGHT_FIELDS},
            company_repeats=form.company_repeats.data,
            taxonomy_lists={key: getattr(form, key).data or "" for key in TAXONOMY_KEYS},
            wishes=WishSettings(
                must_limit=form.wish_must_limit.data if form.wish_must_limit.data is not None else 3,
                want_limit=form.wish_want_limit.data if form.wish_want_limit.data is not None else 5,
                close_local=form.wishes_close.data),
        )


def weight_overrides(values: dict[str, float | int]) -> dict[str, float | int]:
    """Only the weights that differ from the defaults, so later edits of data/scoring.yaml still
    reach events that never changed a weight."""
    defaults = default_weights()
    overrides: dict[str, float | int] = {}
    for name, value in values.items():
        if name not in WEIGHT_FIELDS or value is None:
            continue
        value = int(value) if name in INT_WEIGHTS else float(value)
        if value != defaults[name]:
            overrides[name] = value
    return overrides


# EventInput fields a caller may leave out (the API's PATCH, an older form): None keeps the
# event's value, and a new event the model's default.
OPTIONAL_SETTINGS = ("registration_confirm", "privacy_notice", "privacy_contact", "name_order", "meetings",
                     "break_spread", "retention_days")


def _check_weights(overrides: dict[str, float | int]) -> None:
    """The weights as a whole (the wish tiers must stay in order, strongest first): refused
    here, on the field at fault, rather than when a plan is started."""
    try:
        load_weights(overrides=overrides)
    except ConfigError as error:
        field = f"weight_{error.key}" if error.key in WEIGHT_FIELDS else "weights"
        raise EventDataError(field, error.detail) from None


def save_event(data: EventInput, event: Event | None = None, *, creator_id: int | None = None) -> Event:
    """Create (``event is None``) or update an event and commit. A new event's ``creator_id``
    (the account creating it) becomes its first organiser in the same transaction: an event
    without one could be reached by nobody.

    Raises :class:`EventDataError` for a taken slug or bad breaks/taxonomy; nothing is written
    in that case.
    """
    clash = find_event(data.slug)
    if clash is not None and clash is not event:
        raise EventDataError("slug", f"Another event already uses '{data.slug}'.")
    if data.name_order is not None and data.name_order not in NAME_ORDERS:
        raise EventDataError("name_order", f"Sort people by 'family' or 'first', not '{data.name_order}'.")
    breaks = parse_breaks(data.breaks_text, data.rounds)
    taxonomy = parse_taxonomy(data.taxonomy_lists)
    overrides = weight_overrides(data.weights)
    if data.company_repeats is not None and data.company_repeats not in COMPANY_REPEAT_RULES:
        raise EventDataError("company_repeats", f"Meetings with the same company: choose soft, hard or off, "
                                                f"not '{data.company_repeats}'.")
    rule = data.company_repeats if data.company_repeats is not None else (
        (event.weights or {}).get("company_repeats") if event is not None else None)
    if rule is not None and rule != load_weights().company_repeats:
        overrides["company_repeats"] = rule  # type: ignore[assignment]
    _check_weights(overrides)
    creating = event is None
    if event is None:
        event = Event()
        db.session.add(event)
    event.slug = data.slug
    event.name = single_line(data.name)  # it goes into mail subjects and one-line places
    event.venue = data.venue
    event.date = data.date
    event.start = dt.datetime.combine(data.date, data.start_time)
    event.timezone = data.timezone
    event.rounds = data.rounds
    event.round_minutes = data.round_minutes
    event.changeover_minutes = data.changeover_minutes
    event.tables = data.tables
    event.table_labels = data.table_labels
    event.breaks = breaks
    event.prefer_same_region = data.prefer_same_region
    event.registration_open = data.registration_open
    event.auto_revise = data.auto_revise
    for name in OPTIONAL_SETTINGS:  # not sent (None): the event keeps its value
        value = getattr(data, name)
        if value is not None:
            setattr(event, name, value)
    event.weights = overrides
    event.taxonomy = taxonomy
    if data.wishes is not None:
        _apply_wish_settings(event, data.wishes)
    state = sa_inspect(event)
    created, changed = state.pending, [attr.key for attr in state.attrs if attr.history.has_changes()]
    db.session.flush()
    record(AuditAction.EVENT_SETTINGS, event_id=event.id, target=event.slug, event=event.slug,
           created=created or None, changed=changed)
    if creating and creator_id is not None:
        insert_or_skip(db.session.connection(), EventMember.__table__,
                       {"event_id": event.id, "user_id": creator_id, "role": str(MemberRole.ORGANISER),
                        "created_at": utcnow()}, ("event_id", "user_id"))
    db.session.commit()
    return event


def _apply_wish_settings(event: Event, wishes: WishSettings) -> None:
    """The limits as given; the closing time from the venue's wall clock to an instant."""
    event.wish_must_limit = wishes.must_limit
    event.wish_want_limit = wishes.want_limit
    close = wishes.close_local
    event.wishes_close_at = (None if close is None else
                             close.replace(tzinfo=event_zone(event.timezone)).astimezone(dt.UTC))


def form_data_for(event: Event | None) -> dict[str, Any]:
    """Initial form values: the event's, or sensible defaults for a new one."""
    weights = default_weights()
    if event is None:
        data: dict[str, Any] = {
            "date": dt.date.today(), "start_time": dt.time(14, 0), "timezone": "UTC",
            "rounds": 8, "round_minutes": 8, "changeover_minutes": 2, "tables": 0,
            "auto_revise": False, "name_order": "family", "meetings": "fill", "break_spread": 2,
            "retention_days": DEFAULT_RETENTION_DAYS,
            "company_repeats": load_weights().company_repeats,
        }
    else:
        weights.update(event.weights or {})
        data = {
            "slug": event.slug, "name": event.name, "venue": event.venue, "date": event.date,
            "start_time": event.start.time(), "timezone": event.timezone, "rounds": event.rounds,
            "round_minutes": event.round_minutes, "changeover_minutes": event.changeover_minutes,
            "tables": event.tables, "table_labels": event.table_labels,
            "breaks": format_breaks(event.breaks),
            "prefer_same_region": event.prefer_same_region,
            "registration_open": event.registration_open,
            "registration_confirm": bool(event.registration_confirm),
            "privacy_notice": event.privacy_notice or "",
            "privacy_contact": event.privacy_contact or "",
            "auto_revise": bool(event.auto_revise),
            "name_order": event.name_order or "family",
            "meetings": event.meetings or "fill", "break_spread": event.break_spread,
            "retention_days": event.retention_days,
            "company_repeats": (event.weights or {}).get("company_repeats", load_weights().company_repeats),
        }
        for key in TAXONOMY_KEYS:
            data[key] = "\n".join((event.taxonomy or {}).get(key, []))
        data["wish_must_limit"], data["wish_want_limit"] = event.wish_must_limit, event.wish_want_limit
        if event.wishes_close_at is not None:
            data["wishes_close"] = in_event_zone(event.timezone, event.wishes_close_at).replace(tzinfo=None)
    for name, value in weights.items():
        if name in WEIGHT_FIELDS:
            data[f"weight_{name}"] = value
    return data


# Every kiosk scan and projector poll starts here: built once (see web.checkin.services).
_EVENT_BY_SLUG = select(Event).where(Event.slug == bindparam("slug"))


def find_event(slug: str) -> Event | None:
    return db.session.scalar(_EVENT_BY_SLUG, {"slug": slug})


def get_event_or_404(slug: str, access: Access = Access.ORGANISE) -> Event:
    """The event ``slug`` names if the signed-in account has ``access`` to it, else 404 (the
    same answer as for a slug that does not exist). Pages of an event's console leave
    ``access`` out; the kiosk and desk pass ``Access.CHECK_IN``, public pages
    ``Access.PUBLIC``."""
    event = find_event(slug)
    if not session_may(event.id if event is not None else 0, access) or event is None:
        abort(404)
    return event


def list_events(user_id: int | None = None, access: Access = Access.ORGANISE,
                only_event_id: int | None = None) -> list[Event]:
    """Events newest first: those the account ``user_id`` has ``access`` to (as a member), or
    every event when ``user_id`` is None (operator tools only); ``only_event_id`` narrows to
    one event (an API token limited to it)."""
    query = select(Event).order_by(Event.date.desc(), Event.name)
    if user_id is not None:
        query = query.where(Event.id.in_(event_ids_of(user_id, roles_for(access))))
    if only_event_id is not None:
        query = query.where(Event.id == only_event_id)
    return list(db.session.scalars(query))


def attention_items(event: Event, now: dt.datetime | None = None) -> list[AttentionItem]:
    """What the features above show in the overview's "Needs attention", most urgent first."""
    found: list[AttentionItem] = contributions(collect_attention, event=event, now=now or utcnow())
    return sorted(found, key=lambda item: item.rank)


def console_links_of(event: Event) -> list[ConsoleLink]:
    """The event's console pages the features above offer, in their order."""
    found: list[ConsoleLink] = contributions(console_links, event=event)
    return sorted(found, key=lambda link: link.order)


def figures_of(event: Event) -> list[EventFigure]:
    """The event's figures from the features owning the counted rows, in their order."""
    found: list[EventFigure] = contributions(collect_figures, event=event)
    return sorted(found, key=lambda figure: figure.order)


def overview_parts_of(event: Event) -> list[OverviewPart]:
    found: list[OverviewPart] = contributions(overview_parts, event=event)
    return sorted(found, key=lambda part: part.order)
