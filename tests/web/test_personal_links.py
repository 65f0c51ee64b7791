"""Personal links for imported attendees: the mail-merge export, the link on the attendee's
console page and the registration confirmation, under the public address the organiser set."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from web.config import public_base_url
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.types import utcnow

PUBLIC = "https://networking.example.com"


@pytest.fixture
def app_config():
    return {"PUBLIC_URL": PUBLIC}


def _rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def _publish(event, a, b) -> None:
    """A published schedule in which ``a`` meets ``b`` in round 1 (the agenda PDF needs one)."""
    version = ScheduleVersion(event_id=event.id, number=1, status="published", kind="plan",
                              published_at=utcnow())
    db.session.add(version)
    db.session.flush()
    db.session.add(ScheduleMeeting(version_id=version.id, round=1, table=1, a_id=a.id, b_id=b.id))
    db.session.commit()


def test_public_address_from_the_environment_is_checked():
    assert public_base_url("") is None
    assert public_base_url(" https://networking.example.com/ ") == PUBLIC
    assert public_base_url("https://example.com/speednet/") == "https://example.com/speednet"
    for bad in ("networking.example.com", "ftp://example.com", "https://", "https://x.example/?a=1"):
        with pytest.raises(ValueError, match="SPEEDNET_PUBLIC_URL"):
            public_base_url(bad)


@pytest.mark.slow
def test_mail_merge_export_links_work_and_start_with_the_public_address(organiser, client, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, name="Ana Silva", email="ana@contoso.example")
    ben = make_attendee(event, name="Ben Ito")
    _publish(event, ana, ben)
    response = organiser.get(f"/console/{event.slug}/attendees/links.csv")
    assert response.headers["Cache-Control"] == "no-store"
    rows = _rows(response)
    assert [r["name"] for r in rows] == ["Ben Ito", "Ana Silva"]      # the event's order: family name
    row = rows[1]
    assert row["email"] == "ana@contoso.example" and row["id"] == ana.ext_id
    assert row["personal_page"] == f"{PUBLIC}/me/{ana.token}"

    # Each link, followed without signing in, gives what its column promises.
    path = lambda column: urlsplit(row[column]).path  # noqa: E731
    assert "Ana Silva" in client.get(path("personal_page")).get_data(as_text=True)
    assert client.get(path("agenda_pdf")).data.startswith(b"%PDF")
    assert b"BEGIN:VCALENDAR" in client.get(path("calendar")).data
    qr = Image.open(io.BytesIO(client.get(path("checkin_qr")).data))
    assert [r.text for r in zxingcpp.read_barcodes(qr)] == [ana.checkin_code]  # the door scans it


def test_mail_merge_export_as_xlsx(organiser, make_event, make_attendee):
    from openpyxl import load_workbook

    event = make_event()
    ana = make_attendee(event)
    response = organiser.get(f"/console/{event.slug}/attendees/links.xlsx")
    header, row = load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)
    assert dict(zip(header, row))["calendar"] == f"{PUBLIC}/me/{ana.token}/agenda.ics"
    assert organiser.get(f"/console/{event.slug}/attendees/links.pdf").status_code == 404


def test_attendee_page_in_the_console_shows_the_personal_link(organiser, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, name="Ana Silva")
    page = organiser.get(f"/console/{event.slug}/attendees/{ana.id}/edit").get_data(as_text=True)
    assert f'<a href="{PUBLIC}/me/{ana.token}">' in page
    assert "personal-link" not in organiser.get(f"/console/{event.slug}/attendees/new").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{}], indirect=False)
def test_without_a_public_address_links_use_the_address_of_the_request(organiser, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event)
    rows = _rows(organiser.get(f"/console/{event.slug}/attendees/links.csv"))
    assert rows[0]["personal_page"] == f"http://localhost/me/{ana.token}"
