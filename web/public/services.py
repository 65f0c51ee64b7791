"""Registration, personal pages and QR codes, testable without a request."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import qrcode
import qrcode.image.svg
from flask import current_app
from sqlalchemy import func, select, union_all
from sqlalchemy.exc import IntegrityError

from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Meeting, Schedule
from scheduler.scoring import explain_for
from web.attendees.convert import format_rounds
from web.attendees.models import Attendee
from web.attendees.services import first_free_id, save_attendee, validate_row
from web.events.models import Event
from web.extensions import db
from web.lookup_cache import LookupCache

REGISTRATION_ID_PREFIX = "R"
# Personal pages after a re-plan: every attendee opens theirs within minutes, each costing one
# person's rows; a render is kept this long per published version (see cached_for_attendee).
PAGE_CACHE_SECONDS = 60.0
PAGE_CACHE_ENTRIES = 4096

T = TypeVar("T")


# --------------------------------------------------------------------------- registration


@dataclass(frozen=True)
class Registration:
    """What a person typed into the registration form (already field-checked)."""

    name: str
    email: str
    company: str
    region: str
    partner_type: str
    offers: tuple[str, ...]
    seeks: tuple[str, ...] = ()
    title: str = ""
    country: str = ""
    rounds: frozenset[int] | None = None  # None = every round

    def cells(self, ext_id: str) -> dict[str, str]:
        """The importer's row cells, so the row is checked exactly like a file row."""
        return {
            "id": ext_id, "name": self.name.strip(), "email": self.email.strip(),
            "company": self.company.strip(), "title": self.title.strip(),
            "region": self.region, "country": self.country.strip(),
            "partner_type": self.partner_type, "offers": "; ".join(self.offers),
            "seeks": "; ".join(self.seeks),
            "available_rounds": (format_rounds(self.rounds) or "") if self.rounds else "",
            "must_meet": "", "avoid": "",
        }


@dataclass(frozen=True)
class RegistrationResult:
    attendee: Attendee | None      # the new row; None when the email was already registered
    already_registered: bool = False


def find_by_email(event: Event, email: str) -> Attendee | None:
    email = email.strip().lower()
    if not email:
        return None
    return db.session.scalar(
        select(Attendee).where(Attendee.event_id == event.id, func.lower(Attendee.email) == email)
    )


def next_registration_id(event: Event) -> str:
    """``R0001``, ``R0002``, ...: the first free id of that form in this event."""
    number = 1 + (db.session.scalar(
        select(func.count()).select_from(Attendee)
        .where(Attendee.event_id == event.id, Attendee.ext_id.like(f"{REGISTRATION_ID_PREFIX}%"))
    ) or 0)
    return first_free_id(event, REGISTRATION_ID_PREFIX, number, 4)


def register(event: Event, data: Registration) -> RegistrationResult:
    """Add a self-registered attendee after the importer's checks.

    An email already registered for this event creates nothing (the caller shows a friendly
    message without revealing anything about the existing registration). Raises
    :class:`~web.attendees.services.AttendeeRowInvalid` when the importer rejects the row.
    """
    if find_by_email(event, data.email) is not None:
        return RegistrationResult(None, already_registered=True)
    for _attempt in range(3):
        attendee, _warnings = validate_row(event, data.cells(next_registration_id(event)))
        try:
            row = save_attendee(event, attendee, None, source="registration")
        except IntegrityError:  # a concurrent registration took the id or badge number
            db.session.rollback()
            if find_by_email(event, data.email) is not None:
                return RegistrationResult(None, already_registered=True)
            continue
        return RegistrationResult(row)
    raise RuntimeError("could not store the registration; try again")


def registration_from_form(form: Any) -> Registration:
    return Registration(
        name=form.name.data or "", email=form.email.data or "", company=form.company.data or "",
        region=form.region.data or "", partner_type=form.partner_type.data or "",
        offers=tuple(form.offers.data or ()), seeks=tuple(form.seeks.data or ()),
        title=form.title.data or "", country=form.country.data or "",
        rounds=None if form.all_rounds.data else frozenset(form.rounds.data or ()),
    )


# --------------------------------------------------------------------------- personal page


def attendee_for_token(token: str) -> Attendee | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Attendee).where(Attendee.token == token))


def get_attendee_for_token_or_404(token: str) -> Attendee:
    from flask import abort

    attendee = attendee_for_token(token)
    if attendee is None:
        abort(404)
    return attendee


@dataclass(frozen=True)
class AgendaRow:
    round: int
    start: dt.datetime            # local wall-clock time in the event's time zone
    end: dt.datetime
    available: bool               # inside the attendee's availability
    table: str | None = None      # table label; None = no meeting this round
    partner: DomainAttendee | None = None
    reason: str = ""


@dataclass(frozen=True)
class Agenda:
    version_number: int | None    # published version shown; None = nothing published yet
    rows: tuple[AgendaRow, ...] = ()

    @property
    def published(self) -> bool:
        return self.version_number is not None

    @property
    def meetings(self) -> int:
        return sum(1 for r in self.rows if r.partner is not None)


@dataclass(frozen=True)
class PersonalSchedule:
    """One attendee's part of the published version: their meetings (ids = ext_ids) and the
    partners in them, read with two small queries whatever the event's size."""

    version_id: int
    version_number: int
    schedule: Schedule                      # only this attendee's meetings
    viewer: DomainAttendee
    partners: tuple[DomainAttendee, ...]


def personal_schedule(attendee: Attendee) -> PersonalSchedule | None:
    """The attendee's meetings in the published version and their partners (None when
    nothing is published). Meetings outside the event's current rounds or tables are left
    out, as in ``version_schedule``."""
    from web.schedules.models import ScheduleMeeting
    from web.schedules.versions import in_event_range

    event = attendee.event
    version = published_for_page(event)
    if version is None:
        return None
    m = ScheduleMeeting.__table__.c
    columns = (m.round, m.table, m.a_id, m.b_id, m.score, m.reason)
    # Two halves so each uses its own index (attendee on side a, then on side b).
    stored = db.session.execute(union_all(
        select(*columns).where(m.version_id == version.id, m.a_id == attendee.id),
        select(*columns).where(m.version_id == version.id, m.b_id == attendee.id),
    )).all()
    stored = [row for row in stored if in_event_range(event, row[0], row[1])]
    partner_ids = {b if a == attendee.id else a for _r, _t, a, b, _s, _x in stored}
    rows = {row.id: row for row in db.session.scalars(
        select(Attendee).where(Attendee.id.in_(partner_ids)))} if partner_ids else {}
    rows[attendee.id] = attendee
    meetings = tuple(sorted((Meeting(r, t, rows[a].ext_id, rows[b].ext_id, float(score or 0.0), reason or "")
                             for r, t, a, b, score, reason in stored if a in rows and b in rows),
                            key=lambda meeting: meeting.round))
    report = version.report or {}
    rounds = min(max([int(report.get("rounds") or event.rounds), *(x.round for x in meetings)]), event.rounds)
    tables = max([int(report.get("tables") or 0), *(x.table for x in meetings)])
    if event.tables:
        tables = min(tables, event.tables)
    partners = tuple(row.to_domain() for key, row in rows.items() if key != attendee.id)
    return PersonalSchedule(version.id, version.number, Schedule(rounds, tables, meetings),
                            attendee.to_domain(), partners)


def agenda_for(attendee: Attendee) -> Agenda:
    """The attendee's rounds in the published schedule, with partner and reason from their
    point of view. Nothing published yet -> an empty agenda. Reads only this attendee's
    meetings and partners; kept per published version (:func:`cached_for_attendee`)."""
    return cached_for_attendee("agenda", attendee, lambda: _agenda(attendee))


def _agenda(attendee: Attendee) -> Agenda:
    mine_all = personal_schedule(attendee)
    if mine_all is None:
        return Agenda(None)
    event = attendee.event
    people = {p.id: p for p in mine_all.partners}
    viewer = mine_all.viewer
    weights = event.scoring_weights()
    info = event.event_info()
    mine = {m.round: m for m in mine_all.schedule.for_attendee(viewer.id)}
    rows = []
    for number, start, end in info.timetable.slots():
        meeting = mine.get(number)
        partner = people.get(meeting.partner_of(viewer.id)) if meeting else None
        if meeting is None or partner is None:
            rows.append(AgendaRow(number, start, end, viewer.is_available(number)))
            continue
        rows.append(AgendaRow(number, start, end, True, info.table_label(meeting.table), partner,
                              explain_for(viewer, partner, weights)))
    return Agenda(mine_all.version_number, tuple(rows))


def published_for_page(event: Event) -> Any:
    """The event's published version, read once per request however many parts of a personal
    page ask (its cache key, its agenda, its "last changed" line)."""
    from flask import g, has_request_context

    from web.schedules.services import published_version

    if not has_request_context():
        return published_version(event)
    seen = g.setdefault("speednet_published_versions", {})
    if event.id not in seen:
        seen[event.id] = published_version(event)
    return seen[event.id]


def _page_cache() -> LookupCache:
    caches = current_app.extensions.setdefault("speednet.public_pages", {})
    cache = caches.get("pages")
    if cache is None:
        cache = caches.setdefault("pages", LookupCache(PAGE_CACHE_SECONDS, PAGE_CACHE_ENTRIES))
    return cache


def page_version_key(attendee: Attendee) -> tuple[object, ...]:
    """What a personal page depends on: the published version, the timetable (a delay moves
    every time), the event's and the attendee's own rows. A partner's edited name reaches the
    page when the entry expires (:data:`PAGE_CACHE_SECONDS`)."""
    event = attendee.event
    version = published_for_page(event)
    return (attendee.id, attendee.updated_at, version.id if version else None,
            version.published_at if version else None, event.timetable_revision, event.updated_at)


def cached_for_attendee(kind: str, attendee: Attendee, build: Callable[[], T]) -> T:
    """``build()`` for this attendee, or its result from a moment ago for the same published
    version: a phone refreshing its page, or everyone opening theirs after a re-plan, costs
    one render per person and version, not one per request. Per process and per app."""
    key = (kind, *page_version_key(attendee))
    value = _page_cache().get(key, lambda _key: build())
    return value  # type: ignore[return-value]


# --------------------------------------------------------------------------- QR codes


def _qr(payload: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(payload)
    code.make(fit=True)
    return code


def qr_png(payload: str) -> bytes:
    """PNG of a QR code holding exactly ``payload`` (the opaque check-in code)."""
    image = _qr(payload).make_image()
    out = io.BytesIO()
    image.save(out)  # PNG
    return out.getvalue()


def qr_svg(payload: str) -> bytes:
    image = _qr(payload).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- last change


def agenda_last_changed(attendee: Attendee) -> dt.datetime | None:
    """When this attendee's agenda last changed: the publish that last changed it, else the
    published version's publish time; None while nothing is published."""
    version = published_for_page(attendee.event)
    if version is None:
        return None
    return attendee.agenda_changed_at or version.published_at


def local_label(event: Event, moment: dt.datetime | None) -> str:
    """``Tuesday 1 December, 14:05`` in the event's time zone ('' for None)."""
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo

    try:
        zone: dt.tzinfo = ZoneInfo(event.timezone)
    except (KeyError, ValueError):
        zone = dt.timezone.utc
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"
