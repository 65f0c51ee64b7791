"""Self-registration: the importer's rules, the QR code, duplicates, closed registration."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from tests.support.text import field_errors
from tests.web.conftest import csrf_token
from web.attendees.models import Attendee
from web.extensions import db
from web.public.services import Registration, register


def form_data(**overrides):
    data = {
        "name": "Ana Lima", "email": "ana@example.com", "company": "Lima Cloud",
        "title": "CTO", "region": "EMEA", "country": "Portugal", "partner_type": "ISV",
        "offers": ["Hosting"], "seeks": ["DevOps"], "all_rounds": "y", "consent": "y",
    }
    data.update(overrides)
    return data


def post_registration(client, event, data):
    url = f"/e/{event.slug}/register"
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def rows(event):
    db.session.expire_all()
    return list(db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)))


def decode_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1
    return found[0].text


def test_registration_stores_attendee_and_confirmation_shows_qr_and_link(client, make_event):
    event = make_event(registration_open=True)
    page = client.get(f"/e/{event.slug}/register").get_data(as_text=True)
    assert '<label for="name">Full name <span class="req" aria-hidden="true">*</span></label>' in page
    assert "Round 1, 14:00" in page  # round choices carry their local times

    response = post_registration(client, event, form_data())
    assert response.status_code == 303, response.get_data(as_text=True)
    [row] = rows(event)
    assert (row.name, row.email, row.company, row.region, row.partner_type) == (
        "Ana Lima", "ana@example.com", "Lima Cloud", "EMEA", "ISV")
    assert row.offers == ["Hosting"] and row.seeks == ["DevOps"]
    assert row.available_rounds is None and row.source == "registration"
    assert row.ext_id == "R0001" and row.badge_number == 1
    assert response.headers["Location"].endswith(f"/e/{event.slug}/register/sent")
    assert "Check your inbox" in client.get(response.headers["Location"]).get_data(as_text=True)

    confirmation = client.get(f"/me/{row.token}/registered")  # the mailed link's page
    html = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200
    assert f"http://localhost/me/{row.token}" in html
    assert f"/me/{row.token}/qr.svg" in html
    assert confirmation.headers["X-Robots-Tag"].startswith("noindex")

    png = client.get(f"/me/{row.token}/qr.png")
    assert png.mimetype == "image/png"
    payload = decode_qr(png.data)
    assert payload == row.checkin_code
    assert "Ana" not in payload and "example.com" not in payload and row.token not in payload
    svg = client.get(f"/me/{row.token}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert client.get(f"/me/{row.token}/qr.gif").status_code == 404


def test_selected_rounds_are_stored_like_the_importer_spells_them(client, make_event):
    event = make_event(registration_open=True)
    response = post_registration(client, event, form_data(all_rounds="", rounds=["1", "2", "3", "6"]))
    assert response.status_code == 303
    assert rows(event)[0].available_rounds == "1-3;6"


def test_form_errors_are_shown_next_to_fields_and_nothing_is_stored(client, make_event):
    event = make_event(registration_open=True)
    response = post_registration(client, event, form_data(
        name="", email="not-an-email", offers=[], region="Atlantis", all_rounds=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("name", "email", "offers", "rounds", "region"):  # each field says what is wrong with it
        assert field_errors(html, field), field
    assert rows(event) == []


def test_importer_rules_apply_to_registrations(make_event):
    """The service goes through the importer: a row the importer refuses is not stored."""
    from web.attendees.services import AttendeeRowInvalid

    event = make_event(registration_open=True)
    with pytest.raises(AttendeeRowInvalid) as caught:
        register(event, Registration(name="Bo", email="bo@example.com", company="  ",
                                     region="EMEA", partner_type="ISV", offers=("Hosting",)))
    assert caught.value.field_errors == {"company": ["required, but empty"]}
    assert rows(event) == []


@pytest.mark.slow
def test_second_registration_with_same_email_creates_nothing_and_reveals_nothing(client, make_event):
    event = make_event(registration_open=True)
    assert post_registration(client, event, form_data()).status_code == 303
    [first] = rows(event)

    other = client.application.test_client()
    response = post_registration(other, event, form_data(name="Someone Else", email="ANA@example.com "))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/e/{event.slug}/register/sent")
    html = other.get(response.headers["Location"]).get_data(as_text=True)
    assert first.token not in html and first.checkin_code not in html
    assert "Ana Lima" not in html
    assert len(rows(event)) == 1


def test_user_text_is_escaped_on_the_confirmation_page(client, make_event):
    event = make_event(registration_open=True)
    post_registration(client, event, form_data(name="<script>alert(1)</script>"))
    [row] = rows(event)
    html = client.get(f"/me/{row.token}/registered").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_closed_registration_says_so_and_refuses_posts(client, make_event):
    event = make_event(registration_open=True)
    token = csrf_token(client, f"/e/{event.slug}/register")
    event.registration_open = False
    db.session.commit()
    page = client.get(f"/e/{event.slug}/register")
    assert page.status_code == 200
    assert "Registration is closed" in page.get_data(as_text=True)
    assert "<form method=\"post\" action=\"/e/" not in page.get_data(as_text=True)
    response = client.post(f"/e/{event.slug}/register", data={**form_data(), "csrf_token": token})
    assert "Registration is closed" in response.get_data(as_text=True)
    assert rows(event) == []


def test_unknown_event_is_404(client):
    assert client.get("/e/nope/register").status_code == 404


def test_registration_posts_are_rate_limited(client, make_event):
    event = make_event(registration_open=True)
    url = f"/e/{event.slug}/register"
    token = csrf_token(client, url)
    statuses = [client.post(url, data={"csrf_token": token, "name": ""}).status_code for _ in range(11)]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    assert client.get(url).status_code == 200  # reading the form is not limited
