"""The organiser's name order (family name by default, or first name) on every printed list,
the badges and the room display, set in the event form."""

from __future__ import annotations

import io

import pypdf
import pytest

from tests.web.conftest import submit
from tests.web.test_events import event_form
from web.events.models import Event
from web.events.services import EventInput, form_data_for, save_event
from web.extensions import db
from web.printing.services import attendee_rows, print_badges, print_checkin_list

NAMES = ["Zoë Adams", "Ana Müller", "Ben Moreau", "Cleo", "Émile Zola", "Dan Ávila"]
BY_FAMILY = ["Zoë Adams", "Dan Ávila", "Cleo", "Ben Moreau", "Ana Müller", "Émile Zola"]
BY_FIRST = ["Ana Müller", "Ben Moreau", "Cleo", "Dan Ávila", "Émile Zola", "Zoë Adams"]


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def room(make_event, make_attendee):
    event = make_event(slug="order")
    for i, name in enumerate(NAMES):
        make_attendee(event, ext_id=f"P{i}", name=name)
    return event


def test_new_events_sort_by_family_name(room):
    assert room.name_order == "family"
    assert [row.name for row in attendee_rows(room)] == BY_FAMILY


@pytest.mark.parametrize("order, expected", [("family", BY_FAMILY), ("first", BY_FIRST)])
def test_checkin_list_and_badges_follow_the_events_order(room, order, expected):
    room.name_order = order
    db.session.commit()
    text = pages_text(print_checkin_list(room).getvalue())[0]
    assert sorted(expected, key=text.index) == expected
    badges = pages_text(print_badges(room, attendee_rows(room)).getvalue())
    assert [next(n for n in NAMES if n in page) for page in badges] == expected


def test_the_event_form_sets_the_order(organiser, room):
    page = organiser.get("/console/order/edit").get_data(as_text=True)
    assert 'name="name_order"' in page and "Family name" in page
    response = submit(organiser, "/console/order/edit", event_form(slug="order", name_order="first"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, room.id).name_order == "first"
    page = organiser.get("/console/order/edit").get_data(as_text=True)
    assert '<option selected value="first">' in page or 'value="first" selected' in page


def test_an_unknown_order_is_refused_naming_the_field(organiser, room):
    response = submit(organiser, "/console/order/edit", event_form(slug="order", name_order="surname"))
    assert response.status_code in (200, 400, 422)
    assert "Not a valid choice" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, room.id).name_order == "family"


def test_saving_without_an_order_keeps_the_events(room):
    """Callers that do not know the setting (the JSON API's PATCH) leave it as it was."""
    room.name_order = "first"
    db.session.commit()
    data = form_data_for(room)
    values = EventInput(slug=room.slug, name="Renamed", venue=room.venue or "", date=room.date,
                        start_time=data["start_time"], timezone=room.timezone, rounds=room.rounds,
                        round_minutes=room.round_minutes, changeover_minutes=room.changeover_minutes,
                        tables=room.tables)
    save_event(values, room)
    assert room.name_order == "first" and room.name == "Renamed"
