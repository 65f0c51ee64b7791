"""Organiser console: event list, create, edit, validation, overview."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from scheduler.domain import Break
from tests.support.text import field_errors, missing_facts
from tests.web.conftest import submit
from web.attendees.checkins import CheckIn
from web.events.models import Event
from web.events.services import default_weights
from web.extensions import db


def event_form(**overrides):
    data = {
        "slug": "summit-2025", "name": "Partner Summit", "venue": "Hall B",
        "date": "2031-06-12", "start_time": "14:00", "timezone": "Europe/Amsterdam",
        "rounds": "8", "round_minutes": "8", "changeover_minutes": "2", "tables": "0",
        "table_labels": "", "breaks": "", "competencies": "", "regions": "", "partner_types": "",
        "meetings": "fill", "break_spread": "2",
    }
    for name, value in default_weights().items():
        data[f"weight_{name}"] = str(value)
    data.update(overrides)
    return data


def count_events() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def test_create_event_and_see_it_listed(organiser):
    response = submit(organiser, "/console/new", event_form(breaks="4: 15", table_labels="A1\nA2"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/summit-2025/")
    event = db.session.scalar(select(Event).where(Event.slug == "summit-2025"))
    assert event.start == dt.datetime(2031, 6, 12, 14, 0)
    assert event.breaks == [{"after_round": 4, "minutes": 15}]
    assert event.weights == {}  # nothing changed from the defaults
    assert event.taxonomy is None
    assert event.table_label_list() == ("A1", "A2")
    listing = organiser.get("/console/").get_data(as_text=True)
    assert "Partner Summit" in listing


def test_validation_errors_are_shown_and_nothing_is_saved(organiser):
    response = submit(organiser, "/console/new", event_form(
        slug="Bad Slug!", timezone="Mars/Olympus", rounds="0", tables="-1", breaks="after four",
    ))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_errors(page, "slug") and field_errors(page, "timezone")
    assert not missing_facts(field_errors(page, "rounds"), "1", "100")
    assert not missing_facts(field_errors(page, "tables"), "0", "2000")
    assert count_events() == 0


def test_breaks_are_checked_against_the_rounds(organiser):
    response = submit(organiser, "/console/new", event_form(breaks="8: 10"))
    assert response.status_code == 422
    assert not missing_facts(field_errors(response.get_data(as_text=True), "breaks"), "round 1", "7")
    assert count_events() == 0


def test_slug_must_be_unique(organiser, make_event):
    make_event(slug="taken")
    response = submit(organiser, "/console/new", event_form(slug="taken"))
    assert response.status_code == 422
    assert not missing_facts(field_errors(response.get_data(as_text=True), "slug"), "taken")
    assert count_events() == 1


def test_user_text_is_escaped(organiser):
    submit(organiser, "/console/new", event_form(name="<script>alert(1)</script>"))
    page = organiser.get("/console/summit-2025/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def test_edit_event_changes_weights_region_preference_and_taxonomy(organiser, make_event):
    event = make_event(slug="edit-me")
    form = event_form(slug="edit-me", name="Renamed", weight_offer_match="12.5",
                      prefer_same_region="y", competencies="Hosting\nDevOps",
                      regions="EMEA\nAPAC", partner_types="ISV\nReseller")
    response = submit(organiser, "/console/edit-me/edit", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.name == "Renamed"
    assert event.weights == {"offer_match": 12.5}
    weights = event.scoring_weights()
    assert weights.offer_match == 12.5 and weights.prefer_same_region is True
    assert event.taxonomy_obj().regions == ("EMEA", "APAC")
    # the edit form shows the stored values again
    page = organiser.get("/console/edit-me/edit").get_data(as_text=True)
    assert 'value="12.5"' in page and "Renamed" in page


def test_wish_weights_are_set_on_the_edit_page_and_kept_in_order(organiser, make_event):
    event = make_event(slug="wishful")
    page = organiser.get("/console/wishful/edit").get_data(as_text=True)
    assert "weight_wish_must_mutual" in page and "weight_wish_want" in page
    saved = submit(organiser, "/console/wishful/edit", event_form(slug="wishful", weight_wish_want="150"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).scoring_weights().wish_want == 150
    # a one-sided Want above a mutual Want would turn the tiers round: refused, nothing stored
    refused = submit(organiser, "/console/wishful/edit", event_form(slug="wishful", weight_wish_want="250"))
    assert refused.status_code == 422 and "wish_want" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).scoring_weights().wish_want == 150


def test_taxonomy_needs_all_three_lists(organiser):
    response = submit(organiser, "/console/new", event_form(competencies="Hosting"))
    assert response.status_code == 422
    assert "List at least one name" in response.get_data(as_text=True)


def test_overview_shows_counts_and_links(organiser, make_event, make_attendee):
    event = make_event()
    a = make_attendee(event)
    make_attendee(event)
    db.session.add(CheckIn(event_id=event.id, attendee_id=a.id, nonce="n1", device="door"))
    db.session.commit()
    page = organiser.get(f"/console/{event.slug}/").get_data(as_text=True)
    assert "<dt>Attendees</dt><dd>2</dd>" in page
    assert "<dt>Checked in</dt><dd>1</dd>" in page
    assert "not planned yet" in page
    assert f"/console/{event.slug}/attendees/" in page


def test_unknown_event_is_404(organiser):
    assert organiser.get("/console/nope/").status_code == 404


def test_timetable_applies_breaks_and_delay(make_event):
    event = make_event(breaks=[{"after_round": 2, "minutes": 15}], rounds=4)
    tt = event.timetable()
    assert tt.breaks == (Break(2, 15),)
    assert tt.round_start(3) == dt.datetime(2031, 6, 12, 14, 35)
    event.delay_minutes, event.delay_after_round = 5, 0
    assert event.timetable().round_start(1) == dt.datetime(2031, 6, 12, 14, 5)
    event.delay_after_round = 3  # rounds 1-3 already held: only round 4 moves
    tt = event.timetable()
    assert tt.round_start(3) == dt.datetime(2031, 6, 12, 14, 35)
    assert tt.round_start(4) == dt.datetime(2031, 6, 12, 14, 50)
    info = event.event_info()
    assert info.slug == event.slug and info.timetable.timezone == "Europe/Amsterdam"


def test_the_company_rule_is_set_per_event_and_reaches_the_solver_and_the_summary(organiser, make_event,
                                                                                   make_attendee):
    from web.schedules.planning import plan_event
    from web.schedules.views import quality_summary

    event = make_event(slug="company-rule", rounds=4)
    # Two people of one company, so meeting both is a repeat for the others.
    for i in range(6):
        make_attendee(event, name=f"P{i}", company="Twin Co" if i < 2 else f"Company {i}")
    assert event.scoring_weights().company_repeats == "soft"
    page = organiser.get(f"/console/{event.slug}/edit").get_data(as_text=True)
    assert "Meetings with the same company" in page and 'value="hard"' in page
    response = submit(organiser, f"/console/{event.slug}/edit",
                      event_form(slug=event.slug, rounds="4", company_repeats="off"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.weights == {"company_repeats": "off"} and event.scoring_weights().company_repeats == "off"
    assert 'value="off" selected' in organiser.get(f"/console/{event.slug}/edit").get_data(as_text=True) or \
        '<option selected value="off">' in organiser.get(f"/console/{event.slug}/edit").get_data(as_text=True)
    version = plan_event(event, time_limit=1)
    summary = quality_summary(version)
    twice = sum(1 for a in event_attendee_ids(event)
                if sum(1 for m in version.meetings if a in (m.a_id, m.b_id)
                       and (m.b if m.a_id == a else m.a).company == "Twin Co") > 1)
    assert summary.company_repeat_attendees == twice
    html = organiser.get(f"/console/{event.slug}/schedule/v{version.number}/").get_data(as_text=True)
    assert "Second meetings with one company" in html


def event_attendee_ids(event):
    from web.attendees.models import Attendee

    return [a.id for a in db.session.query(Attendee).filter_by(event_id=event.id)]
