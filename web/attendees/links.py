"""Attendee-facing links as they must appear outside the site: in mail-merge exports, on the
registration confirmation, on the desk's screen.

An e-mail sent next week cannot use the host name of the request that built it (behind a
reverse proxy that is often ``127.0.0.1:8000``), so ``SPEEDNET_PUBLIC_URL`` names the address
attendees use. Without it the request's own address is used, which is right for a server that
people reach directly.

The links point at pages of higher features (public, printing) by endpoint name only; the
attendee's token, which makes them personal, is this feature's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for

from scheduler.spreadsheet import write_table
from web.attendees.models import Attendee, attendees_of
from web.events.models import Event
from web.extensions import db

LINK_COLUMNS = ("id", "name", "email", "company", "badge_number", "personal_page", "agenda_pdf",
                "calendar", "checkin_qr")


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for ``endpoint`` under ``PUBLIC_URL`` (or the request's address)."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)


@dataclass(frozen=True)
class PersonalLinks:
    """Everything an attendee is sent: the page is the credential, so none of these may be
    shared; the QR image carries only the check-in code."""

    page: str
    agenda_pdf: str
    calendar: str
    checkin_qr: str


def personal_links(attendee: Attendee) -> PersonalLinks:
    token = attendee.token
    return PersonalLinks(
        page=public_url("public.me", token=token),
        agenda_pdf=public_url("printing.personal_agenda", token=token),
        calendar=public_url("public.calendar", token=token),
        checkin_qr=public_url("public.qr_code", token=token, fmt="png"),
    )


def personal_link_rows(event: Event) -> list[list[object]]:
    """One row per attendee (``LINK_COLUMNS``), by name, for a mail merge."""
    rows: list[list[object]] = []
    for a in db.session.scalars(attendees_of(event.id).order_by(Attendee.name, Attendee.ext_id)):
        links = personal_links(a)
        rows.append([a.ext_id, a.name, a.email, a.company, a.badge_number, links.page,
                     links.agenda_pdf, links.calendar, links.checkin_qr])
    return rows


def export_personal_links(event: Event, fmt: str) -> bytes:
    """:func:`personal_link_rows` as CSV or XLSX."""
    out = io.BytesIO()
    write_table(LINK_COLUMNS, personal_link_rows(event), out, fmt)
    return out.getvalue()
