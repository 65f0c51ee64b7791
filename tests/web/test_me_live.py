"""The personal page keeps "now and next" current by itself (now.json, polled by
static/me.js) and says when the agenda last changed."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.support.text import missing_facts, text_of
from tests.web.test_me import store_version
from web.extensions import db
from web.types import utcnow

UTC = dt.UTC


@pytest.fixture
def room(make_event, make_attendee):
    event = make_event(rounds=3, table_labels="Oak\nPine", timezone="Europe/Amsterdam")
    ana = make_attendee(event, name="Ana Lima", company="Lima Cloud")
    bo = make_attendee(event, name="<b>Bo</b>", company="Chen Ops")
    cy = make_attendee(event, name="Cy Diaz", company="Diaz Data")
    dee = make_attendee(event, name="Dee Secret", company="Hidden Co")
    return event, ana, bo, cy, dee


def test_now_json_before_anything_is_published(client, room):
    _, ana, *_ = room
    response = client.get(f"/me/{ana.token}/now.json")
    assert response.status_code == 200 and response.is_json
    assert response.json == {"now_next": None, "agenda_changed_at": None, "agenda_changed": ""}
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert client.get("/me/not-a-token/now.json").status_code == 404


def test_now_json_follows_the_clock_with_this_attendees_meetings_only(client, room):
    event, ana, bo, cy, dee = room
    store_version(event, [(1, 1, ana, bo), (2, 2, cy, ana), (1, 2, cy, dee)])
    event.clock_started_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    data = client.get(f"/me/{ana.token}/now.json").json["now_next"]
    assert data["phase"] == "in_round"
    assert (data["now"]["round"], data["now"]["partner_name"], data["now"]["table"]) == (1, "<b>Bo</b>", "Oak")
    assert (data["next"]["round"], data["next"]["partner_name"], data["next"]["table"]) == (2, "Cy Diaz", "Pine")
    assert "Dee" not in client.get(f"/me/{ana.token}/now.json").get_data(as_text=True)


def test_now_json_shows_a_new_publish_without_a_reload(client, room):
    event, ana, bo, cy, dee = room
    store_version(event, [(1, 1, ana, bo)])
    event.clock_started_at = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    before = client.get(f"/me/{ana.token}/now.json").json
    store_version(event, [(1, 1, ana, bo), (2, 1, ana, dee)])
    after = client.get(f"/me/{ana.token}/now.json").json
    assert before["now_next"]["next"]["partner_name"] is None
    assert after["now_next"]["next"]["partner_name"] == "Dee Secret"
    assert after["agenda_changed_at"] >= before["agenda_changed_at"]


def test_page_says_when_the_agenda_last_changed(client, room):
    event, ana, bo, *_ = room
    html = client.get(f"/me/{ana.token}").get_data(as_text=True)
    assert "Agenda last changed" not in html  # nothing published
    version = store_version(event, [(1, 1, ana, bo)])
    version.published_at = dt.datetime(2031, 6, 1, 8, 30, tzinfo=UTC)
    ana.agenda_changed_at = None
    db.session.commit()
    html = client.get(f"/me/{ana.token}").get_data(as_text=True)
    assert not missing_facts(text_of(html, id="agenda-changed"), "Sunday", "1 June", "10:30")  # Amsterdam summer time
    ana.agenda_changed_at = dt.datetime(2031, 6, 12, 12, 5, tzinfo=UTC)
    db.session.commit()
    html = client.get(f"/me/{ana.token}").get_data(as_text=True)
    assert not missing_facts(text_of(html, id="agenda-changed"), "Thursday", "12 June", "14:05")
    data = client.get(f"/me/{ana.token}/now.json").json
    assert data["agenda_changed"] == "Thursday 12 June, 14:05"
    assert data["agenda_changed_at"] == "2031-06-12T12:05:00+00:00"
    assert f'data-changed-at="{data["agenda_changed_at"]}"' in html


def test_page_polls_through_a_static_script_not_an_inline_one(client, room):
    _, ana, *_ = room
    html = client.get(f"/me/{ana.token}").get_data(as_text=True)
    assert '<script src="/static/me.js" defer></script>' in html
    assert f'data-now-url="/me/{ana.token}/now.json"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    script = client.get("/static/me.js").get_data(as_text=True)
    assert "now_next" in script and "innerHTML" not in script  # user text via textContent
