"""Pages and answers that show personal data or personal links say ``Cache-Control:
no-store``, so no browser or proxy cache keeps them."""

from __future__ import annotations

import pytest


@pytest.fixture
def people(make_event, make_attendee):
    event = make_event()
    return event, make_attendee(event, name="Ana Lima", email="ana@example.com")


def test_console_pages_with_personal_links_are_not_stored(organiser, people):
    event, ana = people
    for url in (f"/console/{event.slug}/attendees/{ana.id}/edit", f"/console/{event.slug}/mail/",
                f"/console/{event.slug}/attendees/", f"/console/{event.slug}/",
                f"/console/{event.slug}/attendees/links.csv"):
        response = organiser.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url


def test_the_personal_page_and_its_downloads_are_not_stored(client, people):
    _event, ana = people
    for url in (f"/me/{ana.token}", f"/me/{ana.token}/now.json", f"/me/{ana.token}/agenda.ics"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers.get("Cache-Control", ""), url


def test_the_api_answers_are_not_stored(api, people):
    event, _ana = people
    response = api("get", f"/api/v1/events/{event.slug}/attendees")
    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")


def test_static_files_may_still_be_cached(client):
    response = client.get("/static/speednet.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")
