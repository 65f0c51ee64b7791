"""Room display: JSON state follows the clock, paged server render, "now and next"."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask import render_template

from scheduler.domain import Meeting, Schedule
from scheduler.solver import PlanReport, PlanResult
from tests.web.conftest import csrf_token
from web.attendees.checkins import CheckIn
from web.events.models import Event
from web.extensions import db
from web.liveday.clock import start_clock
from web.liveday.services import display_page, display_state, format_seconds
from web.schedules.personal import now_and_next
from web.schedules.publishing import publish_version
from web.schedules.versions import store_plan_result

UTC = dt.UTC
T0 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def publish(event, meetings: list[tuple[int, int, str, str]], rounds: int, tables: int):
    schedule = Schedule(rounds, tables, tuple(Meeting(r, t, a, b) for r, t, a, b in meetings))
    report = PlanReport(status="OPTIMAL", message="", meetings=len(meetings))
    return publish_version(store_plan_result(event, PlanResult(schedule=schedule, report=report)))


@pytest.fixture
def room(make_event, make_attendee):
    event = make_event(rounds=2, slug="room", table_labels="Oak\nPine")
    people = {n: make_attendee(event, ext_id=n, name=name, company=f"{name} Ltd", email=f"{n}@x.example")
              for n, name in [("A", "Ann"), ("B", "<b>Bob</b>"), ("C", "Cleo"), ("D", "Dan")]}
    publish(event, [(1, 1, "A", "B"), (1, 2, "C", "D"), (2, 1, "A", "C"), (2, 2, "B", "D")], 2, 2)
    return event, people


def test_display_state_advances_with_the_clock(room):
    event, _ = room
    state = display_state(event, at(-3))
    assert state["clock"]["phase"] == "before" and state["round"] == 1
    assert [(r["name"], r["table"]) for r in state["tables"]] == [
        ("<b>Bob</b>", "Oak"), ("Ann", "Oak"), ("Cleo", "Pine"), ("Dan", "Pine")]
    start_clock(event, T0)
    state = display_state(event, at(1))
    assert (state["round"], state["clock"]["seconds_to_next_bell"]) == (1, 7 * 60)
    assert state["next"] == {"round": 2, "starts": "14:10"}
    assert state["server_time"] == at(1).isoformat()
    state = display_state(event, at(11))
    assert state["round"] == 2 and state["clock"]["phase"] == "in_round"
    assert {(r["name"], r["table"]) for r in state["tables"]} == {
        ("Ann", "Oak"), ("Cleo", "Oak"), ("<b>Bob</b>", "Pine"), ("Dan", "Pine")}
    assert state["next"] is None
    assert display_state(event, at(30))["clock"]["phase"] == "finished"
    assert display_state(event, at(30))["tables"] == []


def test_display_json_and_page_are_public_noindex_and_free_of_personal_data(room, client):
    event, _ = room
    response = client.get(f"/display/{event.slug}/{event.display_key}/state.json")
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    body = response.get_data(as_text=True)
    assert "@x.example" not in body and "token" not in body
    with time_machine.travel(at(0)):
        page = client.get(f"/display/{event.slug}/{event.display_key}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<meta name="robots" content="noindex' in html
    assert "&lt;b&gt;Bob&lt;/b&gt;" in html and "<b>Bob</b>" not in html
    assert "<script>" not in html and "display.js" in html
    assert "@x.example" not in html
    assert client.get("/display/nope").status_code == 404


def test_the_display_answers_404_without_its_key_or_with_a_wrong_one(room, client):
    event, _ = room
    for url in (f"/display/{event.slug}", f"/display/{event.slug}/state.json",
                f"/display/{event.slug}/wrong-key", f"/display/{event.slug}/wrong-key/state.json",
                f"/display/{event.slug}/{event.display_key[:-1]}/state.json"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/display/{event.slug}/{event.display_key}/state.json").status_code == 200


def test_a_renewed_display_link_kills_the_old_one_at_once(room, client, organiser):
    event, _ = room
    old = event.display_key
    live = organiser.get(f"/console/{event.slug}/live/").get_data(as_text=True)
    assert f"/display/{event.slug}/{old}" in live  # the organiser's link carries the key
    overview = organiser.get(f"/console/{event.slug}/").get_data(as_text=True)
    assert f"/display/{event.slug}/{old}" in overview
    response = organiser.post(f"/console/{event.slug}/live/display-link",
                              data={"csrf_token": csrf_token(organiser, f"/console/{event.slug}/live/")})
    assert response.status_code == 302
    db.session.expire_all()
    new = db.session.get(Event, event.id).display_key
    assert new and new != old
    assert client.get(f"/display/{event.slug}/{old}/state.json").status_code == 404
    assert client.get(f"/display/{event.slug}/{old}").status_code == 404
    assert client.get(f"/display/{event.slug}/{new}/state.json").status_code == 200
    assert f"/display/{event.slug}/{new}" in organiser.get(f"/console/{event.slug}/live/").get_data(as_text=True)


def test_an_event_without_a_display_key_gets_one_from_the_live_page(room, client, organiser):
    event, _ = room
    event.display_key = None
    db.session.commit()
    assert client.get(f"/display/{event.slug}/None").status_code == 404
    live = organiser.get(f"/console/{event.slug}/live/").get_data(as_text=True)
    assert "Make a room display link" in live and f"/display/{event.slug}/" not in live
    organiser.post(f"/console/{event.slug}/live/display-link",
                   data={"csrf_token": csrf_token(organiser, f"/console/{event.slug}/live/")})
    db.session.expire_all()
    key = db.session.get(Event, event.id).display_key
    assert key and client.get(f"/display/{event.slug}/{key}/state.json").status_code == 200


def test_names_show_only_once_a_round_is_announced(room, client):
    """Weeks (or an hour) before the event the display's address shows the clock and counts,
    never who is coming; from 15 minutes before round 1 it lists the tables."""
    event, _ = room
    for minutes in (-30 * 24 * 60, -60, -16):
        state = display_state(event, at(minutes))
        assert state["tables"] == [] and state["names_shown"] is False, minutes
        assert "0 of 4 checked in" in state["notice"]
    assert display_state(event, at(-15))["names_shown"] is True
    assert "Ann" in [r["name"] for r in display_state(event, at(-3))["tables"]]
    with time_machine.travel(at(-60)):
        html = client.get(f"/display/{event.slug}/{event.display_key}").get_data(as_text=True)
    assert "Ann" not in html and "Cleo" not in html and "checked in" in html
    assert "display.js" in html


def test_display_pages_big_rooms_without_javascript(make_event, make_attendee, client):
    event = make_event(rounds=1, slug="big")
    people = [make_attendee(event, ext_id=f"P{i:02d}", name=f"Name {i:02d}") for i in range(70)]
    publish(event, [(1, i // 2 + 1, people[i].ext_id, people[i + 1].ext_id) for i in range(0, 70, 2)], 1, 35)
    rows = display_state(event, at(0))["tables"]
    first, page, pages = display_page(rows, 1)
    assert (len(first), page, pages) == (30, 1, 3)
    last, page, _ = display_page(rows, 99)
    assert page == 3 and len(last) == 10
    with time_machine.travel(at(0)):
        html = client.get(f"/display/big/{event.display_key}?page=3").get_data(as_text=True)
    assert "Page 3 of 3" in html and "Name 69" in html and "Name 00" not in html
    assert 'http-equiv="refresh"' in html and "page=1" in html  # wraps round to page 1


def test_now_and_next_for_an_attendee(room, app):
    event, people = room
    ann = people["A"]
    before = now_and_next(event, ann, at(-5))
    assert before.now is None and before.next.partner_name == "<b>Bob</b>" and before.next.table == "Oak"
    start_clock(event, T0)
    during = now_and_next(event, ann, at(2))
    assert (during.now.round, during.now.partner_name, during.now.ends) == (1, "<b>Bob</b>", "14:08")
    assert (during.next.round, during.next.partner_name, during.next.starts) == (2, "Cleo", "14:10")
    assert now_and_next(event, ann, at(40)) is None
    with app.test_request_context():
        html = render_template("public/_now_next.html", now_next=during)
    assert "&lt;b&gt;Bob&lt;/b&gt;" in html and "Cleo" in html and "table Pine" not in html


def test_display_follows_a_delay(room):
    event, _ = room
    start_clock(event, T0)
    from web.liveday.clock import delay_clock

    delay_clock(event, 5, at(3))
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    state = display_state(event, at(9))
    assert state["clock"]["phase"] == "break" and state["round"] == 2
    assert state["round_label"] == "Round 2 of 2 starts 14:15"


def test_the_personal_page_shows_now_and_next_during_the_session(room, client):
    event, people = room
    event.clock_started_at = dt.datetime.now(UTC) - dt.timedelta(minutes=1)
    db.session.commit()
    html = client.get(f"/me/{people['A'].token}").get_data(as_text=True)
    assert "Now · round 1" in html and "Next · round 2" in html
    assert "&lt;b&gt;Bob&lt;/b&gt; (&lt;b&gt;Bob&lt;/b&gt; Ltd) at table Oak" in html


def test_countdown_reads_hours_before_a_session_that_starts_later_today():
    assert format_seconds(None) == ""
    assert format_seconds(65) == "1:05"
    assert format_seconds(59.2) == "1:00"   # a partial second still counts as remaining
    assert format_seconds(3 * 3600 + 11 * 60 + 16) == "3:11:16"
    assert format_seconds(-4) == "0:00"


def test_people_on_a_break_are_listed_as_such(make_event, make_attendee, client):
    """Five people, two tables in round 1: the fifth is listed "break this round" instead of
    missing; someone who withdrew, went home, did not come or is not due that round is not
    listed."""
    event = make_event(rounds=2, slug="breaks")
    names = {"A": "Ann Adams", "B": "Bob Berg", "C": "Cleo Cruz", "D": "Dan Dunn", "E": "Eve Ek",
             "F": "Fay Fox", "G": "Gus Gale", "H": "Hal Hunt"}
    people = {ext: make_attendee(event, ext_id=ext, name=name) for ext, name in names.items()}
    people["F"].withdrawn_at = T0
    people["G"].left_at = T0
    people["H"].available_rounds = "2"
    for ext in "ABCDEGH":
        db.session.add(CheckIn(event_id=event.id, attendee_id=people[ext].id, nonce=f"n-{ext}"))
    db.session.commit()
    publish(event, [(1, 1, "A", "B"), (1, 2, "C", "D"),
                    (2, 1, "A", "E"), (2, 2, "B", "C"), (2, 3, "F", "G"), (2, 4, "D", "H")], 2, 4)
    rows = display_state(event, at(0))["tables"]
    assert [(r["name"], r["table"], r["break"]) for r in rows] == [
        ("Ann Adams", "1", False), ("Bob Berg", "1", False), ("Cleo Cruz", "2", False),
        ("Dan Dunn", "2", False), ("Eve Ek", "break this round", True)]
    with time_machine.travel(at(0)):
        html = client.get(f"/display/breaks/{event.display_key}").get_data(as_text=True)
    assert "Eve Ek" in html and "break this round" in html and "Fay Fox" not in html


@pytest.mark.parametrize("order, expected", [
    ("family", ["Zoë Ångström", "Ben Ávila", "Cleo", "Ana Müller", "Dan Müller", "Émile Zola"]),
    ("first", ["Ana Müller", "Ben Ávila", "Cleo", "Dan Müller", "Émile Zola", "Zoë Ångström"]),
])
def test_the_list_follows_the_events_name_order(make_event, make_attendee, order, expected):
    """Family names fold their accents (Á sorts with A, Ö with O), a one-word name is its own
    family name, and ties fall back to the first name."""
    event = make_event(rounds=1, slug=f"order-{order}", name_order=order)
    names = ["Dan Müller", "Émile Zola", "Ana Müller", "Cleo", "Ben Ávila", "Zoë Ångström"]
    people = [make_attendee(event, ext_id=f"P{i}", name=name) for i, name in enumerate(names)]
    publish(event, [(1, t + 1, people[2 * t].ext_id, people[2 * t + 1].ext_id) for t in range(3)], 1, 3)
    assert [r["name"] for r in display_state(event, at(0))["tables"]] == expected


@pytest.mark.parametrize("query, bell, seconds", [
    ("", "off", "10"), ("?bell=1", "on", "10"), ("?bell=on&page_seconds=30", "on", "30"),
    ("?page_seconds=1", "off", "4"), ("?page_seconds=9999", "off", "120"), ("?page_seconds=abc&bell=no", "off", "10"),
])
def test_display_options_in_the_address(room, client, query, bell, seconds):
    event, _ = room
    html = client.get(f"/display/{event.slug}/{event.display_key}{query}").get_data(as_text=True)
    assert f'data-bell="{bell}"' in html and f'data-page-seconds="{seconds}"' in html
    assert ('id="sound"' in html) == (bell == "on")
    assert "Click to enable sound" in html if bell == "on" else "enable sound" not in html
