"""Live re-plan through the web services, the console and the API."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import pytest

from scheduler.checker import check_schedule
from tests.web.conftest import csrf_token
from web.attendees.checkins import CheckIn
from web.auth.services import create_api_token, create_user
from web.events.models import Event
from web.extensions import db
from web.jobs import wait_for_job  # noqa: E402  (after web.schedules: see report on import order)
from web.liveday.clock import start_clock
from web.liveday.services import (
    display_state,
    kept_share,
    replan_preview,
    run_replan,
)
from web.schedules.models import ScheduleVersion
from web.schedules.planning import plan_event
from web.schedules.publishing import publish_version
from web.schedules.revisions import PlanningError, check_from_round
from web.schedules.versions import published_version, version_schedule

UTC = dt.UTC
T0 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)   # 14:00 Europe/Amsterdam
COMPETENCIES = ["Hosting", "DevOps", "Data Platform", "Security", "AI", "Networking"]


@pytest.fixture
def app_config():
    return {"REPLAN_TIME_LIMIT": 1.0}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def world(make_event, make_attendee):
    """12 attendees, 6 rounds, a published plan, the clock in round 2; 10 checked in + 1 walk-in."""
    event = make_event(rounds=6, slug="summit")
    people = []
    for i in range(12):
        people.append(make_attendee(
            event, name=f"Person {i:02d}", company=f"Company {i}",
            region=["EMEA", "APAC", "AMER"][i % 3], partner_type=["ISV", "SI", "MSP"][i % 3],
            offers=[COMPETENCIES[i % 6]], seeks=[COMPETENCIES[(i + 1) % 6], COMPETENCIES[(i + 3) % 6]]))
    version = publish_version(plan_event(event, time_limit=1, seed=1))
    start_clock(event, T0)
    no_shows, present = people[:2], people[2:]
    walk_in = make_attendee(event, name="Walk In", company="Late Co", source="walk-in",
                            offers=["AI"], seeks=["Hosting"])
    for person in [*present, walk_in]:
        db.session.add(CheckIn(event_id=event.id, attendee_id=person.id, nonce=uuid.uuid4().hex))
    db.session.commit()
    return event, version, no_shows, present, walk_in


def meetings_by_round(version: ScheduleVersion) -> dict[int, set[tuple[int, int, int]]]:
    grouped: dict[int, set[tuple[int, int, int]]] = {}
    for m in version.meetings:
        grouped.setdefault(m.round, set()).add((m.table, m.a_id, m.b_id))
    return grouped


def test_from_round_defaults_to_the_next_round_not_started(world):
    event, *_ = world
    assert check_from_round(event, at(12)) == 3             # round 2 is running
    assert check_from_round(event, at(12), 5) == 5          # a later round is fine
    with pytest.raises(PlanningError):
        check_from_round(event, at(12), 2)
    with pytest.raises(PlanningError):
        check_from_round(event, at(500))                    # everything has started
    preview = replan_preview(event, at(12))
    assert preview.from_round == 3 and preview.present == 11
    assert {a.name for a in preview.waiting} == {"Walk In"}
    no_shows = next(g for g in preview.left_out if g.key == "no-show")
    assert {a.name for a in no_shows.people} == {"Person 00", "Person 01"}
    assert preview.planned_count == 11 and preview.left_out_count == 2


def test_replan_keeps_held_rounds_and_seats_only_people_who_are_here(world):
    event, old, no_shows, present, walk_in = world
    version_id = run_replan(event, 3, time_limit=1, now=at(12))
    new = db.session.get(ScheduleVersion, version_id)
    assert (new.status, new.kind, new.from_round) == ("draft", "replan", 3)
    before, after = meetings_by_round(old), meetings_by_round(new)
    assert after[1] == before[1] and after[2] == before[2]
    here = {a.id for a in [*present, walk_in]}
    for m in new.meetings:
        if m.round >= 3:
            assert m.a_id in here and m.b_id in here, (m.round, m.a.name, m.b.name)
    # Every hard rule holds; held rounds are exactly as fixed.
    schedule, attendees = version_schedule(new)
    held = [m for m in version_schedule(old)[0].meetings if m.round < 3]
    present_domain = {a.ext_id for a in [*present, walk_in]}
    checkable = [a if a.id in present_domain else
                 replace(a, available_rounds=frozenset({1, 2}), must_meet=())
                 for a in attendees]
    assert check_schedule(schedule, checkable, fixed=held) == []
    # The late arrival gets meetings; most meetings between people who are here are kept.
    assert sum(1 for m in new.meetings if walk_in.id in (m.a_id, m.b_id)) >= 3
    kept, total = kept_share(old, new, 3, here)
    assert total and kept / total >= 0.5


def test_publishing_the_replan_moves_the_display_and_the_published_schedule(world):
    event, old, no_shows, present, walk_in = world
    new = db.session.get(ScheduleVersion, run_replan(event, 3, time_limit=1, now=at(12)))
    in_round_3 = at(2 * 10 + 1)
    names = lambda state: {row["name"] for row in state["tables"]}  # noqa: E731
    waiting = {row["name"] for row in display_state(event, in_round_3)["tables"] if row["waiting"]}
    assert waiting == {"Walk In"}      # checked in, no table yet: listed as waiting
    publish_version(new, now=at(12))   # during round 2: round 3 has not started
    assert published_version(event).id == new.id
    schedule, _ = version_schedule(published_version(event))
    assert any(a.name == "Walk In" for a in _ if a.id in {i for m in schedule.meetings if m.round >= 3 for i in (m.a_id, m.b_id)})
    state = display_state(event, in_round_3)
    assert state["round"] == 3
    expected = {p.name for m in new.meetings if m.round == 3 for p in (m.a, m.b)}
    assert {row["name"] for row in state["tables"] if not row["break"] and not row["waiting"]} == expected
    assert not any(row["waiting"] for row in state["tables"])
    # people the re-plan seats later but not in round 3 are on a break; no-shows are not listed
    on_break = {row["name"] for row in state["tables"] if row["break"]}
    assert on_break <= {p.name for m in new.meetings if m.round > 3 for p in (m.a, m.b)} - expected
    assert not names(state) & {p.name for p in no_shows}


def test_console_replan_job_review_and_publish(world, organiser):
    event, old, *_ = world
    url = f"/console/{event.slug}/live/"
    token = csrf_token(organiser, url)
    # Start the clock now: round 1 runs, rounds 2.. are open; round 1 cannot be re-planned.
    ev = db.session.get(Event, event.id)
    ev.clock_started_at = dt.datetime.now(UTC)
    db.session.commit()
    response = organiser.post(f"/console/{event.slug}/live/replan", data={"csrf_token": token, "from_round": "1"})
    assert response.status_code == 422 and "re-plan from round 2" in response.get_data(as_text=True)
    page = organiser.get(url).get_data(as_text=True)
    assert "Walk In" in page and 'value="2"' in page   # arrivals listed; default: next round
    response = organiser.post(f"/console/{event.slug}/live/replan", data={"csrf_token": token, "from_round": "3"})
    assert response.status_code == 302
    job_url = response.headers["Location"]
    job_id = job_url.rstrip("/").split("/")[-1]
    job = wait_for_job(job_id, timeout=60)
    assert job.status == "done", job.error
    progress = organiser.get(f"{job_url}.json")
    assert progress.status_code == 200 and progress.headers["Cache-Control"] == "no-store"
    assert progress.get_json()["finished"] and progress.get_json()["kind"] == "replan"
    review = organiser.get(job_url).get_data(as_text=True)
    assert "job-progress.js" in review and ".json" in review   # live progress, same script as schedules
    assert "Publish version" in review and "Walk In" in review and "not checked in" in review
    # Without the CSRF token nothing is published.
    assert organiser.post(f"{job_url}/publish").status_code == 400
    response = organiser.post(f"{job_url}/publish", data={"csrf_token": csrf_token(organiser, job_url)})
    assert response.status_code == 302
    db.session.expire_all()
    assert published_version(event).id == job.result["version_id"]
    assert db.session.get(ScheduleVersion, old.id).status == "superseded"


def test_clock_controls_on_the_console(make_event, organiser):
    event = make_event(rounds=3)
    url = f"/console/{event.slug}/live/"
    token = csrf_token(organiser, url)
    assert organiser.post(f"/console/{event.slug}/live/clock/start").status_code == 400  # no CSRF
    # The event is years away: starting now asks first and says what it re-times.
    asked = organiser.post(f"/console/{event.slug}/live/clock/start", data={"csrf_token": token})
    assert asked.status_code == 409 and "Thu 12 Jun 2031, 14:00" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).clock_started_at is None
    response = organiser.post(f"/console/{event.slug}/live/clock/start", data={"csrf_token": token, "confirm": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).clock_started_at is not None
    assert organiser.post(f"/console/{event.slug}/live/clock/pause", data={"csrf_token": token}).status_code == 302
    response = organiser.post(f"/console/{event.slug}/live/clock/delay", data={"csrf_token": token, "minutes": "5"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).delay_minutes == 5
    response = organiser.post(f"/console/{event.slug}/live/clock/delay", data={"csrf_token": token, "minutes": "x"})
    assert response.status_code == 422


def test_console_needs_an_organiser(make_event, client, staff):
    event = make_event()
    assert client.get(f"/console/{event.slug}/live/").status_code == 302
    assert staff.get(f"/console/{event.slug}/live/").status_code == 404


def test_api_replan_starts_a_job_and_the_draft_publishes(world, organiser_user, app):
    event, old, *_ = world
    plain = create_api_token(organiser_user, "tests")
    headers = {"Authorization": f"Bearer {plain}"}
    client = app.test_client()
    url = f"/api/v1/events/{event.slug}/replan"
    assert client.post(url, json={"from_round": 3}).status_code == 401
    ev = db.session.get(Event, event.id)
    ev.clock_started_at = dt.datetime.now(UTC)
    db.session.commit()
    assert client.post(url, json={"from_round": 1}, headers=headers).status_code == 422
    assert client.post("/api/v1/events/nope/replan", json={}, headers=headers).status_code == 404
    response = client.post(url, json={"from_round": 3}, headers=headers)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["from_round"] == 3 and body["kind"] == "replan"
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{body['id']}") and body["url"] == f"/api/v1/jobs/{body['id']}"
    job = wait_for_job(body["id"], timeout=60)
    followed = client.get(body["url"], headers=headers).get_json()
    assert followed["status"] == "done" and followed["result_version_id"] == job.result["version_id"]
    assert job.status == "done", job.error
    draft = db.session.get(ScheduleVersion, job.result["version_id"])
    assert (draft.kind, draft.status) == ("replan", "draft")
    publish = client.post(f"/api/v1/events/{event.slug}/schedule/publish", headers=headers)
    assert publish.status_code == 200, publish.get_json()
    assert publish.get_json()["kind"] == "replan"
    db.session.expire_all()
    assert published_version(event).id == draft.id


def test_api_replan_refuses_staff_tokens(world, app):
    event, *_ = world
    staff_user = create_user("kiosk@example.com", "correct horse battery", "staff")
    plain = create_api_token(staff_user, "kiosk")
    response = app.test_client().post(f"/api/v1/events/{event.slug}/replan", json={},
                                      headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 404
