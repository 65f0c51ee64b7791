"""Printing operations, free of request handling so the console, the personal page and the CLI
share them.

Every function returns a :class:`PrintedDocument`: the PDF in an ``io.BytesIO`` positioned at
the start (the route streams it with ``send_file``), its download name and its page count.
The badge QR code always carries ``Attendee.checkin_code`` (never the personal-page token and
never personal data); badge numbers are ``Attendee.badge_number``. Agendas, table sheets and
the master grid print the event's *published* schedule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import func

from badges import (
    BadgeItem,
    render_agenda,
    render_agendas,
    render_badges,
    render_checkin_list,
    render_master_grid,
    render_table_sheets,
)
from badges.layouts import LAYOUTS
from badges.names import name_sort_key, sorted_people
from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import EventInfo, Schedule
from scheduler.scoring import explain_for
from web.attendees.models import Attendee, CodePurpose, attendees_of, derive_code
from web.attendees.wishes import mutual_pairs
from web.events.clock import event_zone
from web.events.models import Event
from web.extensions import db
from web.schedules.personal import personal_schedule
from web.schedules.versions import published_version, version_schedule

DEFAULT_LAYOUT = "a6"
BADGE_SCOPES = ("all", "one", "walk-ins")
NO_PUBLISHED_SCHEDULE = "No schedule is published for this event yet: publish a schedule first."

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class PrintError(Exception):
    """A request the data cannot satisfy; the message is shown to the organiser as is."""


class NoPublishedSchedule(PrintError):
    def __init__(self) -> None:
        super().__init__(NO_PUBLISHED_SCHEDULE)


class UnknownAttendee(PrintError):
    def __init__(self, ext_id: str) -> None:
        super().__init__(f"No attendee with id '{ext_id}' in this event.")
        self.ext_id = ext_id


@dataclass
class PrintedDocument:
    data: io.BytesIO
    filename: str
    pages: int
    count: int  # badges, agendas, attendees or tables in the document

    def getvalue(self) -> bytes:
        return self.data.getvalue()


def download_name(event: Event, *parts: str) -> str:
    """``demo-badges-a6.pdf``: the event slug and ``parts`` with anything unusual replaced."""
    cleaned = [_UNSAFE.sub("-", p).strip("-.") for p in (event.slug, *parts)]
    return "-".join(p for p in cleaned if p) + ".pdf"


# --------------------------------------------------------------------------- attendees


def name_order(event: Event) -> str:
    return event.name_order or "family"


def attendee_rows(event: Event) -> list[Attendee]:
    """The event's attendees who have not withdrawn, in its name order (family name unless the
    organiser chose first names); sorted here rather than in SQL so accents sort as on paper on
    every database. A withdrawn person gets no badge, agenda or line on the check-in list."""
    rows = db.session.scalars(attendees_of(event.id).where(Attendee.withdrawn_at.is_(None)))
    return sorted(rows, key=lambda row: (*name_sort_key(row.name, name_order(event)), row.ext_id))


def find_attendee(event: Event, ext_id: str) -> Attendee:
    row = db.session.scalar(
        attendees_of(event.id).where(Attendee.ext_id == ext_id.strip())
    )
    if row is None:
        raise UnknownAttendee(ext_id.strip())
    return row


def local_midnight_utc(event: Event, now: dt.datetime | None = None) -> dt.datetime:
    """Start of today in the event's time zone, as an aware UTC instant."""
    zone = event_zone(event.timezone)
    local_now = (now or dt.datetime.now(dt.UTC)).astimezone(zone)
    midnight = dt.datetime.combine(local_now.date(), dt.time(0, 0), tzinfo=zone)
    return midnight.astimezone(dt.UTC)


def walk_ins_today(event: Event, now: dt.datetime | None = None) -> list[Attendee]:
    """Attendees added at the desk (source ``walk-in``) since midnight, event time zone."""
    since = local_midnight_utc(event, now)
    return list(db.session.scalars(
        attendees_of(event.id).where(Attendee.source == "walk-in", Attendee.withdrawn_at.is_(None),
                                     Attendee.created_at >= since)
        .order_by(func.lower(Attendee.name), Attendee.ext_id)
    ))


def badge_rows(event: Event, scope: str = "all", ext_id: str | None = None) -> list[Attendee]:
    """The attendees whose badges to print: everyone, one (by ext id) or today's walk-ins."""
    if scope == "one":
        if not ext_id or not ext_id.strip():
            raise PrintError("Give the id of the attendee whose badge to print.")
        return [find_attendee(event, ext_id)]
    if scope == "walk-ins":
        return walk_ins_today(event)
    if scope == "all":
        return attendee_rows(event)
    raise PrintError(f"Unknown choice '{scope}': print all badges, one badge or today's walk-ins.")


def _in_name_order(event: Event, rows: Sequence[Attendee]) -> list[tuple[DomainAttendee, Attendee]]:
    pairs = {row.ext_id: (row.to_domain(), row) for row in rows}
    return [pairs[a.id] for a in sorted_people([d for d, _ in pairs.values()], name_order(event))]


# --------------------------------------------------------------------------- no schedule needed


def print_badges(event: Event, rows: Sequence[Attendee], *, layout: str = DEFAULT_LAYOUT,
                 crop_marks: bool = False, scope: str = "all") -> PrintedDocument:
    """Badges for ``rows`` in name order on sheets of ``layout``."""
    if layout not in LAYOUTS:
        raise PrintError(f"Unknown layout '{layout}'; choose one of {', '.join(sorted(LAYOUTS))}.")
    items = [BadgeItem(attendee=domain, qr_payload=row.checkin_code, number=row.badge_number)
             for domain, row in _in_name_order(event, rows)]
    buffer = io.BytesIO()
    pages = render_badges(items, buffer, layout=layout, crop_marks=crop_marks, event=event.event_info())
    buffer.seek(0)
    if scope == "one" and len(rows) == 1:
        name = download_name(event, "badge", rows[0].ext_id, layout)
    elif scope == "walk-ins":
        name = download_name(event, "badges-walk-ins", layout)
    else:
        name = download_name(event, "badges", layout)
    return PrintedDocument(buffer, name, pages, len(items))


def print_checkin_list(event: Event) -> PrintedDocument:
    """Alphabetical check-in list with badge numbers."""
    rows = attendee_rows(event)
    numbers = {row.ext_id: row.badge_number for row in rows}
    buffer = io.BytesIO()
    pages = render_checkin_list([row.to_domain() for row in rows], buffer, numbers=numbers,
                                event=event.event_info(), name_order=name_order(event))
    buffer.seek(0)
    return PrintedDocument(buffer, download_name(event, "checkin-list"), pages, len(rows))


# --------------------------------------------------------------------------- published schedule


@dataclass
class PublishedSchedule:
    schedule: Schedule
    attendees: list[DomainAttendee]     # the event's attendees (partner names, who gets an agenda)
    event_info: EventInfo


def published_schedule(event: Event) -> PublishedSchedule:
    """The published schedule with the attendees it needs; raises :class:`NoPublishedSchedule`."""
    version = published_version(event)
    if version is None:
        raise NoPublishedSchedule()
    schedule, attendees = version_schedule(version)
    info = event.event_info()
    if schedule.rounds > info.timetable.rounds:
        # The event was shortened after publishing: keep printing every scheduled round.
        info = dataclasses.replace(info, timetable=dataclasses.replace(info.timetable, rounds=schedule.rounds))
    return PublishedSchedule(schedule, attendees, info)


#: What an agenda says of a partner both asked to meet (the one thing others' wishes show).
MUTUAL_NOTE = "You both asked to meet."


def reasons_for(event: Event) -> Callable[[DomainAttendee, DomainAttendee], str]:
    """Meeting reasons from the viewer's side, with the event's scoring weights."""
    weights = event.scoring_weights()
    mutual = mutual_pairs(event.id)

    def reason(viewer: DomainAttendee, partner: DomainAttendee) -> str:
        text = explain_for(viewer, partner, weights)
        return f"{MUTUAL_NOTE} {text}" if frozenset((viewer.id, partner.id)) in mutual else text
    return reason


def _one_agenda(event: Event, row: Attendee, published: PublishedSchedule, buffer: io.BytesIO) -> int:
    return render_agenda(row.to_domain(), published.attendees, published.schedule, published.event_info,
                         buffer, qr_payload=row.checkin_code, reasons=reasons_for(event))


def print_agendas(event: Event, ext_id: str | None = None) -> PrintedDocument:
    """Every attendee's agenda in name order, or one attendee's (``ext_id``)."""
    published = published_schedule(event)
    buffer = io.BytesIO()
    if ext_id:
        row = find_attendee(event, ext_id)
        pages = _one_agenda(event, row, published, buffer)
        name, count = download_name(event, "agenda", row.ext_id), 1
    else:
        # Each agenda's QR is its owner's check-in code (ext id -> code), read for everyone at
        # once here; a single agenda takes its owner's from the row.
        codes: dict[str, str] = {ext_id: derive_code(CodePurpose.CHECKIN, nonce) for ext_id, nonce in
                                 db.session.execute(attendees_of(event.id, Attendee.ext_id, Attendee.checkin_nonce))}
        owners = {row.ext_id for row in attendee_rows(event)}   # withdrawn people get none
        people = [a for a in published.attendees if a.id in owners]
        pages = render_agendas(people, published.schedule, published.event_info, buffer,
                               qr_payloads=codes, reasons=reasons_for(event), name_order=name_order(event),
                               partners=published.attendees)
        name, count = download_name(event, "agendas"), len(people)
    buffer.seek(0)
    return PrintedDocument(buffer, name, pages, count)


def print_personal_agenda(attendee: Attendee) -> PrintedDocument:
    """One attendee's agenda for their personal page (QR = their check-in code).

    Anyone with the link may ask for it, so it reads only this attendee's meetings and
    partners (``personal_schedule``), not the whole version."""
    event = attendee.event
    mine = personal_schedule(attendee)
    if mine is None:
        raise NoPublishedSchedule()
    info = event.event_info()
    if mine.schedule.rounds > info.timetable.rounds:
        info = dataclasses.replace(info, timetable=dataclasses.replace(info.timetable, rounds=mine.schedule.rounds))
    buffer = io.BytesIO()
    pages = render_agenda(mine.viewer, mine.partners, mine.schedule, info, buffer,
                          qr_payload=attendee.checkin_code, reasons=reasons_for(event))
    buffer.seek(0)
    return PrintedDocument(buffer, download_name(event, "agenda"), pages, 1)


def _schedule_sheet(event: Event, render, name: str) -> PrintedDocument:
    published = published_schedule(event)
    buffer = io.BytesIO()
    pages = render(published.schedule, published.attendees, published.event_info, buffer)
    buffer.seek(0)
    return PrintedDocument(buffer, download_name(event, name), pages, published.schedule.tables)


def print_table_sheets(event: Event) -> PrintedDocument:
    """One page per table: who sits there in which round."""
    return _schedule_sheet(event, render_table_sheets, "table-sheets")


def print_master_grid(event: Event) -> PrintedDocument:
    """Tables down, rounds across (landscape)."""
    return _schedule_sheet(event, render_master_grid, "master-grid")
