"""The desk's walk-in form in the event's own vocabulary: competencies, region and partner
type from the taxonomy (free text only under "Other", flagged afterwards), availability from
the rounds still to come, and corrections by the staff account that registered the walk-in."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.web.conftest import PASSWORD, csrf_token, login, submit
from tests.web.test_checkin import name_kiosk
from web.attendees.models import Attendee
from web.auth.models import User
from web.auth.services import create_user
from web.checkin.desk import (
    availability_cell,
    chosen_rounds_of,
    open_rounds,
    register_walk_in,
)
from web.checkin.forms import WalkInForm
from web.extensions import db

UTC = dt.UTC
# make_event: 8 rounds from 14:00 Amsterdam (12:00 UTC), 8 minutes each plus 2 of changeover.
ROUND_1 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)
TAXONOMY = {"competencies": ["Hosting", "DevOps", "Data Platform", "Security"],
            "regions": ["EMEA", "APAC"], "partner_types": ["ISV", "MSP"]}


def at(minutes: float) -> dt.datetime:
    return ROUND_1 + dt.timedelta(minutes=minutes)


def nonce() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def event(make_event):
    return make_event(taxonomy=TAXONOMY)


def walk_in_url(event) -> str:
    return f"/checkin/{event.slug}/walk-in"


def correct_url(event, row) -> str:
    return f"/checkin/{event.slug}/walk-ins/{row.id}"


def form_nonce(client, event) -> str:
    page = client.get(walk_in_url(event)).get_data(as_text=True)
    return re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)


def register(client, event, **fields):
    data = {"name": "Walker Kim", "company": "Late Co", "region": "EMEA", "partner_type": "ISV",
            "offers": ["Hosting"], "nonce": form_nonce(client, event), **fields}
    return submit(client, walk_in_url(event), data)


def walker(name: str = "Walker Kim") -> Attendee:
    db.session.expire_all()
    return db.session.scalar(select(Attendee).where(Attendee.name == name))


def checkbox_values(html: str, name: str) -> list[str]:
    return re.findall(rf'<input id="{name}-\d+" name="{name}" type="checkbox" value="([^"]+)"', html)


def ticked(html: str, name: str) -> list[str]:
    return re.findall(rf'<input checked id="{name}-\d+" name="{name}" type="(?:checkbox|radio)" value="([^"]+)"', html)


def badge_text(client, event, row) -> str:
    response = client.get(f"/checkin/{event.slug}/badge/{row.ext_id}.pdf")
    assert response.status_code == 200
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


@pytest.fixture
def other_staff(app):
    create_user("door2@example.com", PASSWORD, "staff")
    client = app.test_client()
    assert login(client, "door2@example.com").status_code == 302
    return client


# --------------------------------------------------------------------------- the vocabulary


def test_the_form_offers_the_events_lists_and_no_free_text_for_region(staff, event):
    name_kiosk(staff, event)
    html = staff.get(walk_in_url(event)).get_data(as_text=True)
    assert checkbox_values(html, "offers") == TAXONOMY["competencies"]
    assert checkbox_values(html, "seeks") == TAXONOMY["competencies"]
    assert "Other offers (not in the list)" in html and "Other seeks (not in the list)" in html
    regions = re.search(r'<select id="region" name="region">(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="([^"]+)"', regions) == ["EMEA", "APAC"]
    partner_types = re.search(r'<select id="partner_type" name="partner_type">(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="([^"]+)"', partner_types) == ["ISV", "MSP"]


def test_a_value_not_in_the_list_is_refused_unless_given_under_other(staff, organiser, event):
    name_kiosk(staff, event)
    refused = register(staff, event, offers=["hostng"])
    assert refused.status_code == 422 and "hostng" in refused.get_data(as_text=True)
    assert walker() is None
    assert register(staff, event, region="Mars").status_code == 422
    assert walker() is None

    answer = register(staff, event, offers=["Hosting"], offers_other="hostng", seeks=["DevOps"],
                      seeks_other="Quantum; Data platform")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Welcome, Walker Kim" in html
    row = walker()
    # "Data platform" is the listed "Data Platform" typed by hand: stored as listed, not flagged.
    assert row.offers == ["Hosting", "hostng"] and row.seeks == ["DevOps", "Quantum", "Data Platform"]
    assert row.unlisted(event.taxonomy_obj()) == {"offers": ["hostng"], "seeks": ["Quantum"]}
    # The desk sees what is off the list right after saving, and can correct it.
    note = re.search(r'class="unlisted-answer unlisted".*?</div>', html, re.S).group(0)
    assert "hostng" in note and "Quantum" in note and "Hosting" not in note
    assert f'href="{correct_url(event, row)}"' in html
    # So does the organiser, on the attendee's console page.
    console = organiser.get(f"/console/{event.slug}/attendees/{row.id}/edit").get_data(as_text=True)
    flagged = re.search(r'class="flash flash-warning unlisted".*?</div>', console, re.S).group(0)
    assert "hostng" in flagged and "Quantum" in flagged


def test_offers_need_a_tick_or_an_other(staff, event):
    name_kiosk(staff, event)
    response = register(staff, event, offers=[])
    assert response.status_code == 422 and "Tick at least one" in response.get_data(as_text=True)
    assert register(staff, event, offers=[], offers_other="Robotics").status_code == 200
    assert walker().offers == ["Robotics"]


# --------------------------------------------------------------------------- availability


def test_open_rounds_follow_the_clock(event):
    assert [n for n, _ in open_rounds(event, at(-30))] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert open_rounds(event, at(25))[0] == (4, "14:30")   # round 3 runs: round 4 is next
    assert [n for n, _ in open_rounds(event, at(29))] == [4, 5, 6, 7, 8]  # changeover
    assert open_rounds(event, at(300)) == []


def test_availability_defaults_to_the_open_rounds_in_the_importers_spelling(event):
    assert availability_cell(event, None, at(-30)) == ""          # every round: the importer's empty cell
    assert availability_cell(event, None, at(25)) == "4-8"
    assert availability_cell(event, [5, 7, 8], at(25)) == "5;7-8"
    assert availability_cell(event, [2, 6], at(25)) == "6"         # round 2 is over
    cells = {"name": "Walker Kim", "company": "Late Co", "region": "EMEA", "partner_type": "ISV",
             "offers": "Hosting", "available_rounds": availability_cell(event, None, at(25))}
    row = register_walk_in(event, cells, nonce=nonce(), now=at(25)).attendee
    assert row.available_rounds == "4-8" and row.to_domain().available_rounds == frozenset(range(4, 9))


def test_a_correction_keeps_what_was_stored_for_started_rounds(event, make_attendee):
    row = make_attendee(event, source="walk-in", available_rounds="2-8")
    assert chosen_rounds_of(event, row, at(25)) is None            # all of 4-8: "from now"
    assert availability_cell(event, [6, 7], at(25), previous=row.available_rounds) == "2-3;6-7"
    assert availability_cell(event, None, at(25), previous=None) == "4-8"
    assert availability_cell(event, None, at(25), previous="") == ""  # all rounds stays all rounds
    row.available_rounds = "2-3;6-7"
    assert chosen_rounds_of(event, row, at(25)) == [6, 7]


def test_the_form_ticks_only_rounds_still_to_come(app, event):
    with app.test_request_context():
        form = WalkInForm(formdata=None)
        form.set_choices(event.taxonomy_obj(), open_rounds(event, at(25)))
        assert [c.value for c in form.rounds.iter_choices()] == [4, 5, 6, 7, 8]
        assert "rounds 4–8" in dict((c.value, c.label) for c in form.availability.iter_choices())["from-now"]


def test_chosen_rounds_are_stored_as_the_importers_text(staff, event):
    name_kiosk(staff, event)
    page = staff.get(walk_in_url(event)).get_data(as_text=True)
    assert ticked(page, "availability") == ["from-now"]
    assert checkbox_values(page, "rounds") == [str(n) for n in range(1, 9)]
    assert register(staff, event, availability="chosen", rounds=[]).status_code == 422
    assert register(staff, event, availability="chosen", rounds=["99"]).status_code == 422
    assert walker() is None
    assert register(staff, event, availability="chosen", rounds=["2", "3", "5"]).status_code == 200
    assert walker().available_rounds == "2-3;5"
    assert register(staff, event, name="Walker Two").status_code == 200  # default: all rounds from now
    assert walker("Walker Two").available_rounds is None


# --------------------------------------------------------------------------- corrections


def test_staff_correct_their_own_walk_in_and_the_badge_follows(staff, event):
    name_kiosk(staff, event)
    register(staff, event, offers_other="hostng", seeks=["DevOps"])
    row = walker()
    assert row.registered_by_id == db.session.scalar(select(User.id).where(User.email == "staff@example.com"))
    assert "hostng" in badge_text(staff, event, row)
    page = staff.get(correct_url(event, row)).get_data(as_text=True)
    assert ticked(page, "offers") == ["Hosting"] and ticked(page, "seeks") == ["DevOps"]
    assert 'name="offers_other" type="text" value="hostng"' in page     # under Other, as typed
    response = submit(staff, correct_url(event, row), {
        "name": "Walker Kim", "company": "Early Co", "region": "APAC", "partner_type": "MSP",
        "offers": ["Hosting", "Security"], "offers_other": "", "seeks": ["DevOps"],
        "availability": "chosen", "rounds": ["1", "2"]})
    assert response.status_code == 302
    row = walker()
    assert (row.company, row.region, row.partner_type) == ("Early Co", "APAC", "MSP")
    assert row.offers == ["Hosting", "Security"] and row.available_rounds == "1-2"
    assert row.unlisted(event.taxonomy_obj()) == {} and row.ext_id == "W001"
    text = badge_text(staff, event, row)
    assert "Early Co" in text and "hostng" not in text and "Late Co" not in text
    # the desk search offers the correction for this walk-in
    html = staff.get(f"/checkin/{event.slug}?q=Walker").get_data(as_text=True)
    assert f'href="{correct_url(event, row)}"' in html


def test_a_correction_is_held_to_the_same_rules(staff, event):
    name_kiosk(staff, event)
    register(staff, event)
    row = walker()
    response = submit(staff, correct_url(event, row), {
        "name": "", "company": "Late Co", "region": "EMEA", "partner_type": "ISV", "offers": ["hostng"]})
    assert response.status_code == 422
    assert walker().offers == ["Hosting"] and walker().name == "Walker Kim"


def test_another_staff_member_may_not_correct_it_but_an_organiser_may(staff, other_staff, organiser, event):
    name_kiosk(staff, event)
    register(staff, event)
    row = walker()
    assert other_staff.get(correct_url(event, row)).status_code == 403
    token = csrf_token(other_staff, f"/checkin/{event.slug}")
    refused = other_staff.post(correct_url(event, row), data={
        "csrf_token": token, "name": "Hijacked", "company": "X", "region": "EMEA",
        "partner_type": "ISV", "offers": ["Hosting"]})
    assert refused.status_code == 403 and walker().company == "Late Co"
    assert f'href="{correct_url(event, row)}"' not in other_staff.get(
        f"/checkin/{event.slug}?q=Walker").get_data(as_text=True)
    assert organiser.get(correct_url(event, row)).status_code == 200
    assert submit(organiser, correct_url(event, row), {
        "name": "Walker Kim", "company": "Fixed Co", "region": "EMEA", "partner_type": "ISV",
        "offers": ["Hosting"]}).status_code == 302
    assert walker().company == "Fixed Co"


def test_only_this_events_walk_ins_can_be_corrected_here(staff, organiser, event, make_event, make_attendee):
    name_kiosk(staff, event)
    register(staff, event)
    row = walker()
    other = make_event()
    assert staff.get(correct_url(other, row)).status_code == 404       # another event's slug
    assert organiser.get(correct_url(other, row)).status_code == 404
    planned = make_attendee(event, name="Planned Person")              # not a walk-in
    assert organiser.get(correct_url(event, planned)).status_code == 404
    assert staff.get(f"/checkin/{event.slug}/walk-ins/999999").status_code == 404


def test_a_correction_needs_the_csrf_token(staff, event):
    name_kiosk(staff, event)
    register(staff, event)
    row = walker()
    response = staff.post(correct_url(event, row), data={
        "name": "Walker Kim", "company": "No Token Co", "region": "EMEA", "partner_type": "ISV",
        "offers": ["Hosting"]})
    assert response.status_code == 400 and walker().company == "Late Co"
