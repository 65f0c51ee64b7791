"""Attendee-facing links as they must appear outside the site: in mail-merge exports, on the
registration confirmation, on the desk's screen (absolute, under ``SPEEDNET_PUBLIC_URL``: see
:func:`web.urls.public_url`).

The links point at pages of higher features (public, printing) by endpoint name only; the
attendee's token, which makes them personal, is this feature's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from badges.names import name_sort_key
from scheduler.spreadsheet import write_table
from web.attendees.models import Attendee, attendees_of
from web.events.models import Event
from web.extensions import db
from web.urls import mail_url, public_url

LINK_COLUMNS = ("id", "name", "email", "company", "badge_number", "personal_page", "agenda_pdf",
                "calendar", "checkin_qr")



@dataclass(frozen=True)
class PersonalLinks:
    """Everything an attendee is sent: the page is the credential, so none of these may be
    shared; the QR image carries only the check-in code."""

    page: str
    agenda_pdf: str
    calendar: str
    checkin_qr: str


def personal_links(attendee: Attendee, *, for_mail: bool = False) -> PersonalLinks:
    """The attendee's links. ``for_mail``: only under ``SPEEDNET_PUBLIC_URL``
    (:func:`web.urls.mail_url`, raising :class:`web.urls.PublicUrlMissing` without it), never
    from the request's Host header, which whoever sends the request chooses."""
    token = attendee.token
    url = mail_url if for_mail else public_url
    return PersonalLinks(
        page=url("public.me", token=token),
        agenda_pdf=url("printing.personal_agenda", token=token),
        calendar=url("public.calendar", token=token),
        checkin_qr=url("public.qr_code", token=token, fmt="png"),
    )


def personal_link_rows(event: Event) -> list[list[object]]:
    """One row per attendee (``LINK_COLUMNS``) in the event's name order, for a mail merge."""
    order = event.name_order or "family"
    people = sorted(db.session.scalars(attendees_of(event.id)),
                    key=lambda row: (*name_sort_key(row.name, order), row.ext_id))
    rows: list[list[object]] = []
    for a in people:
        links = personal_links(a)
        rows.append([a.ext_id, a.name, a.email, a.company, a.badge_number, links.page,
                     links.agenda_pdf, links.calendar, links.checkin_qr])
    return rows


def export_personal_links(event: Event, fmt: str) -> bytes:
    """:func:`personal_link_rows` as CSV or XLSX."""
    out = io.BytesIO()
    write_table(LINK_COLUMNS, personal_link_rows(event), out, fmt)
    return out.getvalue()
