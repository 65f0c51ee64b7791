"""The organiser's live page and the clock API: the waiting list and its one-click revision,
the re-plan preview, a clock that cannot be started by accident, and the one message a
no-show gets when a re-plan gives their meetings away."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from tests.web.conftest import ORGANISER_EMAIL, csrf_token, login
from web.checkin.messages import result_message
from web.checkin.services import check_in
from web.events.models import Event
from web.extensions import db
from web.jobs import wait_for_job
from web.mail.models import OutboxMessage
from web.schedules.planning import plan_event
from web.schedules.publishing import publish_version
from web.schedules.versions import published_version

UTC = dt.UTC
ROUND_1 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)   # 14:00 Amsterdam; rounds of 8 + 2 minutes


def at(minutes: float) -> dt.datetime:
    return ROUND_1 + dt.timedelta(minutes=minutes)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"REPLAN_TIME_LIMIT": 1.0}


@pytest.fixture
def planned(make_event, make_attendee):
    event = make_event(rounds=4, tables=8, slug="summit")
    people = [make_attendee(event, name=f"Person {i:02d}", company=f"Co {i}", email=f"p{i}@example.com",
                            offers=["Hosting"] if i % 2 else ["AI"], seeks=["AI"] if i % 2 else ["Hosting"])
              for i in range(12)]
    with time_machine.travel(at(-600), tick=True):
        publish_version(plan_event(event, time_limit=1, seed=1))
    return event, people


def signed_in(app):
    client = app.test_client()
    assert login(client, ORGANISER_EMAIL).status_code == 302
    return client


def test_without_automatic_revision_the_desk_sends_arrivals_and_one_click_seats_them(app, planned, make_attendee,
                                                                                  organiser_user):
    event, people = planned
    with time_machine.travel(at(-30), tick=True):
        for person in people:
            check_in(event, person.checkin_code, nonce=uuid.uuid4().hex)
    with time_machine.travel(at(5), tick=True):      # round 1 runs
        walk_in = make_attendee(event, name="Walker Kim", company="Walk Co", source="walk-in",
                                offers=["Hosting"], seeks=["AI"])
        answer = check_in(event, walk_in.checkin_code, nonce=uuid.uuid4().hex)
        assert result_message(answer) == "Welcome, Walker Kim: no table for you yet, please see the desk"
        organiser = signed_in(app)
        page = organiser.get("/console/summit/live/").get_data(as_text=True)
        assert "Waiting for a table (1)" in page and "Walker Kim" in page
        assert "Revise and publish for them" in page
        response = organiser.post("/console/summit/live/seat-waiting",
                                  data={"csrf_token": csrf_token(organiser, "/console/summit/live/")})
        assert response.status_code == 302
        job_id = response.headers["Location"].rstrip("/").split("/")[-1]
        job = wait_for_job(job_id, timeout=60)
        assert job.status == "done", job.error
        db.session.expire_all()
        version = published_version(db.session.get(Event, event.id))
        assert any(walk_in.id in (m.a_id, m.b_id) and m.round == 2 for m in version.meetings)
        page = organiser.get("/console/summit/live/").get_data(as_text=True)
        assert "Waiting for a table (0)" in page


def test_a_no_show_removed_by_a_replan_gets_one_message_saying_why(app, planned):
    event, people = planned
    absent = people[0]
    with time_machine.travel(at(-30), tick=True):
        for person in people[1:]:
            check_in(event, person.checkin_code, nonce=uuid.uuid4().hex)
    with time_machine.travel(at(9), tick=True):
        from web.liveday.services import run_replan

        draft_id = run_replan(event, 2, time_limit=1)
        from web.schedules.models import ScheduleVersion

        publish_version(db.session.get(ScheduleVersion, draft_id), force=True)
    mail = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.attendee_id == absent.id)))
    assert len(mail) == 1
    assert "check in at the desk" in mail[0].body and "round 2" in mail[0].body
    assert "no meeting now" not in mail[0].body


def test_the_clock_in_the_api_asks_before_re_timing_the_event_and_resets(api, planned):
    event, _ = planned
    url = "/api/v1/events/summit/clock"
    with time_machine.travel(at(-3 * 24 * 60), tick=True):       # three days before
        state = api("GET", url).json
        assert (state["phase"], state["started"], state["first_open_round"]) == ("before", False, 1)
        refused = api("POST", url, json={"action": "start"})
        assert refused.status_code == 409 and refused.json["detail"]["confirm_required"] is True
        assert "Thu 12 Jun 2031, 14:00" in refused.json["message"]
        started = api("POST", url, json={"action": "start", "confirm": True})
        assert started.status_code == 200 and (started.json["phase"], started.json["current_round"]) == ("in_round", 1)
        assert api("POST", url, json={"action": "reset"}).status_code == 409
        reset = api("POST", url, json={"action": "reset", "confirm": True})
        assert reset.status_code == 200 and (reset.json["phase"], reset.json["started"]) == ("before", False)
    with time_machine.travel(at(-30), tick=True):                # half an hour before: no question
        started = api("POST", url, json={"action": "start"})
        assert started.status_code == 200 and started.json["current_round"] == 1
        paused = api("POST", url, json={"action": "pause"})
        assert paused.status_code == 200 and paused.json["paused"] is True
        assert api("POST", url, json={"action": "pause"}).status_code == 409


def test_the_clock_follows_the_timetable_without_anyone_pressing_start(api, planned):
    event, _ = planned

    def display_state_url() -> str:
        return f"/display/summit/{event.display_key}/state.json"

    with time_machine.travel(at(12), tick=True):
        state = api("GET", "/api/v1/events/summit/clock").json
        assert (state["phase"], state["current_round"], state["first_open_round"], state["started"]) == (
            "in_round", 2, 3, False)
        display = api("GET", display_state_url()).json
        assert display["round"] == 2 and display["starts"] is None
    with time_machine.travel(at(-10 * 24 * 60), tick=True):
        display = api("GET", display_state_url()).json
        assert display["starts"] == "Starts Thu 12 Jun, 14:00"
        # ten days ahead the display's address shows the clock and counts, no names
        assert display["tables"] == [] and display["names_shown"] is False
        assert "checked in" in display["notice"]
