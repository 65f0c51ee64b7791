"""Registration, personal pages and QR codes, testable without a request."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from scheduler.domain import Attendee as DomainAttendee
from scheduler.scoring import explain_for
from web.attendees.convert import format_rounds
from web.attendees.models import Attendee, AttendeeSource, attendees_of
from web.attendees.services import first_free_id, save_attendee, validate_row
from web.attendees.wishes import mutual_partner_ids
from web.events.clock import in_event_zone
from web.events.models import Event
from web.extensions import db
from web.schedules.personal import cached_for_attendee, personal_schedule, published_for_page

REGISTRATION_ID_PREFIX = "R"

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
        attendees_of(event.id).where(func.lower(Attendee.email) == email)
    )


def next_registration_id(event: Event) -> str:
    """``R0001``, ``R0002``, ...: the first free id of that form in this event."""
    number = 1 + (db.session.scalar(
        attendees_of(event.id, func.count()).where(Attendee.ext_id.like(f"{REGISTRATION_ID_PREFIX}%"))
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
            row = save_attendee(event, attendee, None, source=AttendeeSource.REGISTRATION)
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


@dataclass(frozen=True)
class AgendaRow:
    round: int
    start: dt.datetime            # local wall-clock time in the event's time zone
    end: dt.datetime
    available: bool               # inside the attendee's availability
    table: str | None = None      # table label; None = no meeting this round
    partner: DomainAttendee | None = None
    reason: str = ""
    mutual: bool = False          # both asked to meet (the one thing others' wishes show)


@dataclass(frozen=True)
class Agenda:
    version_number: int | None    # published version shown; None = nothing published yet
    rows: tuple[AgendaRow, ...] = ()
    day: dt.datetime | None = None  # round 1 by the timetable (clock and delays included)

    @property
    def published(self) -> bool:
        return self.version_number is not None

    @property
    def meetings(self) -> int:
        return sum(1 for r in self.rows if r.partner is not None)


def agenda_for(attendee: Attendee) -> Agenda:
    """The attendee's rounds in the published schedule, with partner and reason from their
    point of view. Nothing published yet -> an empty agenda. Reads only this attendee's
    meetings and partners; kept per published version (:func:`cached_for_attendee`)."""
    return cached_for_attendee("agenda", attendee, lambda: _agenda(attendee))


def _agenda(attendee: Attendee) -> Agenda:
    mine_all = personal_schedule(attendee)
    event = attendee.event
    if mine_all is None:
        return Agenda(None, day=event.timetable().start)
    people = {p.id: p for p in mine_all.partners}
    viewer = mine_all.viewer
    weights = event.scoring_weights()
    info = event.event_info()
    mine = {m.round: m for m in mine_all.schedule.for_attendee(viewer.id)}
    mutual = _mutual_ext_ids(attendee, {p.id for p in mine_all.partners})
    rows = []
    for number, start, end in info.timetable.slots():
        meeting = mine.get(number)
        partner = people.get(meeting.partner_of(viewer.id)) if meeting else None
        if meeting is None or partner is None:
            rows.append(AgendaRow(number, start, end, viewer.is_available(number)))
            continue
        rows.append(AgendaRow(number, start, end, True, info.table_label(meeting.table), partner,
                              explain_for(viewer, partner, weights), partner.id in mutual))
    return Agenda(mine_all.version_number, tuple(rows), info.timetable.start)


def _mutual_ext_ids(attendee: Attendee, partner_ext_ids: set[str]) -> set[str]:
    """The partners (ext ids) this attendee and they both asked to meet."""
    if not partner_ext_ids:
        return set()
    rows = db.session.execute(attendees_of(attendee.event_id, Attendee.id, Attendee.ext_id)
                              .where(Attendee.ext_id.in_(sorted(partner_ext_ids)))).all()
    ids = {row_id: ext_id for row_id, ext_id in rows}
    return {ids[i] for i in mutual_partner_ids(attendee.id, among=ids)}


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
    local = in_event_zone(event.timezone, moment)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"
