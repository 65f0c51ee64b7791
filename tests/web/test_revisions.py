"""Planning once a schedule is published: revise by default, re-generate only on purpose,
publish only what is not stale, and tell exactly the people whose agenda changed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from scheduler.checker import check_schedule
from tests.support.text import missing_facts
from tests.web.conftest import csrf_token, submit
from web.attendees.checkins import CheckIn
from web.attendees.lifecycle import mark_left, withdraw_attendee
from web.attendees.models import Attendee
from web.checkin.services import check_in_attendee
from web.events.models import Event
from web.extensions import db
from web.jobs import wait_for_job  # noqa: E402  (after web.schedules)
from web.liveday.autorevise import start_auto_revision
from web.liveday.clock import start_clock
from web.liveday.services import run_replan
from web.schedules.models import ScheduleVersion
from web.schedules.planning import plan_event
from web.schedules.publishing import StalePublish, publish_checks, publish_version
from web.schedules.signals import version_published
from web.schedules.versions import published_version, version_schedule

UTC = dt.UTC
T0 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)   # round 1 at 14:00 Amsterdam; 10 minutes a round
REGIONS = ["EMEA", "APAC", "LATAM", "NA"]
TYPES = ["ISV", "Systems Integrator", "Hosting Provider", "Reseller"]
COMPETENCIES = ["Hosting", "DevOps", "Data Platform", "Security", "AI", "Networking"]


@pytest.fixture
def app_config():
    return {"REPLAN_TIME_LIMIT": 2.0}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def add_people(make_attendee, event, count: int, start: int = 0, **fields) -> list[Attendee]:
    people = []
    for i in range(start, start + count):
        people.append(make_attendee(
            event, name=f"Person {i:02d}", company=f"Company {i}", region=REGIONS[i % 4],
            partner_type=TYPES[i % 4], email=f"p{i}@example.com", offers=[COMPETENCIES[i % 6]],
            seeks=[COMPETENCIES[(i + 1) % 6], COMPETENCIES[(i + 3) % 6]], **fields))
    return people


@pytest.fixture
def published(make_event, make_attendee):
    """24 people, 6 rounds, 10 tables (4 sit out each round): a published version 1."""
    event = make_event(rounds=6, tables=10, slug="summit")
    people = add_people(make_attendee, event, 24)
    version = publish_version(plan_event(event, time_limit=2, seed=1))
    return event, people, version


@pytest.fixture
def notices():
    received: list[dict] = []

    def receiver(_app, **kwargs):
        received.append(kwargs)

    version_published.connect(receiver)
    yield received
    version_published.disconnect(receiver)


def agenda(version: ScheduleVersion, attendee_id: int) -> set[tuple[int, int, int]]:
    return {(m.round, m.table, m.b_id if m.a_id == attendee_id else m.a_id)
            for m in version.meetings if attendee_id in (m.a_id, m.b_id)}


def test_after_publishing_planning_again_revises_and_moves_only_what_must_move(published, make_attendee, notices):
    event, people, v1 = published
    gone = people[0]
    partners = {m.b_id if m.a_id == gone.id else m.a_id for m in v1.meetings if gone.id in (m.a_id, m.b_id)}
    withdraw_attendee(gone)
    newcomer = add_people(make_attendee, event, 1, start=50)[0]
    v2 = plan_event(event, time_limit=2, mode=None)          # default once published: revise
    assert v2.kind == "revision" and v2.base_version_id == v1.id
    figures = v2.report["revision"]
    assert figures["mode"] == "revise" and figures["base_version"] == 1
    assert not agenda(v2, gone.id) and agenda(v2, newcomer.id)
    changed = {p.id for p in people + [newcomer] if agenda(v1, p.id) != agenda(v2, p.id)}
    assert figures["agendas_changed"] == len(changed)
    # Those whose agenda changed: the withdrawn, their partners, the newcomer and the people
    # they meet instead; everyone else holds the published agenda exactly.
    assert {gone.id, newcomer.id} | partners <= changed
    assert len(changed) <= 2 + len(partners) + 2 * len(agenda(v2, newcomer.id)) + len(partners)
    schedule, attendees = version_schedule(v2)
    expected = [a for a in attendees if a.id != gone.ext_id]
    assert check_schedule(schedule, expected) == []

    publish_version(v2)
    db.session.expire_all()
    stamped = {a.id for a in db.session.query(Attendee).filter(Attendee.agenda_changed_at == v2.published_at)}
    assert stamped == changed
    [notice] = notices[-1:]
    assert notice["version"].id == v2.id and notice["previous"].id == v1.id
    assert set(notice["changes"]) == changed
    newcomer_lines = [str(c) for c in notice["changes"][newcomer.id]]
    assert newcomer_lines and all(line.startswith("round ") and ", table " in line for line in newcomer_lines)


@pytest.mark.slow
def test_a_full_regenerate_is_there_and_says_how_many_agendas_it_can_change(published, organiser):
    event, people, v1 = published
    url = f"/console/{event.slug}/schedule/generate"
    page = organiser.get(url).get_data(as_text=True)
    holders = len({i for m in v1.meetings for i in (m.a_id, m.b_id)})
    assert f"up to\n        <strong>{holders} agendas</strong>" in page or f"{holders} agendas" in page
    refused = submit(organiser, url, {"mode": "regenerate", "time_limit": "1", "seed": "0"})
    assert refused.status_code == 422 and f"up to {holders} agendas change" in refused.get_data(as_text=True)
    started = submit(organiser, url, {"mode": "regenerate", "confirm_regenerate": "y", "time_limit": "1",
                                      "seed": "0"})
    assert started.status_code == 302
    job_id = started.headers["Location"].rsplit("/", 1)[-1]
    job = wait_for_job(job_id, 60)
    assert job.status == "done"
    version = db.session.get(ScheduleVersion, job.result["version_id"])
    assert version.kind == "plan" and version.report["revision"]["mode"] == "regenerate"
    status = organiser.get(f"/console/{event.slug}/jobs/{job_id}.json").get_json()
    assert status["progress"]["agendas_changed"] == version.report["revision"]["agendas_changed"]


@pytest.mark.slow
def test_the_declared_late_arrival_keeps_meetings_in_their_rounds(make_event, make_attendee):
    event = make_event(rounds=8, tables=10, slug="late")
    people = add_people(make_attendee, event, 20)
    late = add_people(make_attendee, event, 1, start=40, available_rounds="4-8")[0]
    v1 = publish_version(plan_event(event, time_limit=2, seed=1))
    start_clock(event, T0)
    for person in people:                      # everyone but the late arrival is at the door
        check_in_attendee(event, person, nonce=uuid.uuid4().hex, now=at(1))
    v2 = db.session.get(ScheduleVersion, run_replan(event, 2, time_limit=2, now=at(5)))
    assert agenda(v2, late.id) == agenda(v1, late.id) and agenda(v1, late.id)
    assert v2.report["revision"]["agendas_changed"] == 0


@pytest.mark.slow
def test_no_shows_and_people_who_left_are_revised_out_once_the_clock_runs(published):
    event, people, v1 = published
    start_clock(event, T0)
    for person in people[2:]:
        check_in_attendee(event, person, nonce=uuid.uuid4().hex, now=at(1))
    mark_left(people[2])
    v2 = db.session.get(ScheduleVersion, run_replan(event, 3, time_limit=2, now=at(15)))
    assert v2.report["revision"]["excluded"] == {"no-show": 2, "left": 1}
    for gone in people[:3]:
        assert not {r for r, *_ in agenda(v2, gone.id)} & {3, 4, 5, 6}
    held = {m for m in v1.meetings if m.round < 3}
    assert {(m.round, m.table, m.a_id, m.b_id) for m in v2.meetings if m.round < 3} == \
        {(m.round, m.table, m.a_id, m.b_id) for m in held}


@pytest.mark.slow
def test_a_revision_of_a_version_no_longer_published_is_not_published(published, organiser):
    event, people, v1 = published
    withdraw_attendee(people[0])
    v2 = plan_event(event, time_limit=1, mode="revise")
    withdraw_attendee(people[1])
    v3 = plan_event(event, time_limit=1, mode="revise")
    publish_version(v3, force=True)
    with pytest.raises(StalePublish) as refused:
        publish_version(v2, force=True)
    assert not missing_facts(str(refused.value), "version 1", "version 3", "published")
    assert published_version(event).id == v3.id
    page = organiser.get(f"/console/{event.slug}/schedule/v{v2.number}/publish").get_data(as_text=True)
    assert "cannot be published" in page and "Revise again" in page and "Publish version 2</button>" not in page
    response = organiser.post(f"/console/{event.slug}/schedule/v{v2.number}/publish",
                              data={"csrf_token": csrf_token(organiser, f"/console/{event.slug}/schedule/")})
    assert response.status_code == 302 and published_version(event).id == v3.id


@pytest.mark.slow
def test_a_revision_whose_first_round_has_started_is_not_published(published):
    event, people, v1 = published
    start_clock(event, T0)
    for person in people:
        check_in_attendee(event, person, nonce=uuid.uuid4().hex, now=at(1))
    withdraw_attendee(people[0])
    v2 = db.session.get(ScheduleVersion, run_replan(event, 2, time_limit=1, now=at(5)))
    assert publish_checks(v2, at(5)).blocking == []
    check = publish_checks(v2, at(11))          # round 2 began at minute 10
    assert any("Round 2 has started" in reason for reason in check.blocking)
    with pytest.raises(StalePublish):
        publish_version(v2, force=True, now=at(11))


def test_arrivals_after_the_revision_started_are_named_and_publishing_needs_a_yes(published, make_attendee):
    event, people, v1 = published
    withdraw_attendee(people[0])
    v2 = plan_event(event, time_limit=1, mode="revise")
    walk_in = add_people(make_attendee, event, 1, start=60, source="walk-in")[0]
    check_in_attendee(event, walk_in, nonce=uuid.uuid4().hex)
    check = publish_checks(v2)
    assert check.blocking == [] and any(walk_in.name in w for w in check.warnings)
    with pytest.raises(StalePublish):
        publish_version(v2)
    publish_version(v2, force=True)
    assert published_version(event).id == v2.id


@pytest.mark.slow
def test_api_revise_and_regenerate_report_against_the_published_version(published, api):
    event, people, v1 = published
    withdraw_attendee(people[0])
    for mode, kind in (("revise", "revision"), ("regenerate", "plan")):
        started = api("POST", f"/api/v1/events/{event.slug}/schedule", json={"mode": mode, "time_limit": 1})
        assert started.status_code == 202, started.json
        wait_for_job(started.json["id"], timeout=60)
        job = api("GET", started.headers["Location"]).json
        assert job["status"] == "done" and job["mode"] == mode
        version = db.session.get(ScheduleVersion, job["result_version_id"])
        assert version.kind == kind
        assert job["agendas_changed"] == version.report["revision"]["agendas_changed"] > 0
        assert job["meetings_moved"] == version.report["revision"]["meetings_moved"] > 0
    assert api("POST", f"/api/v1/events/{event.slug}/schedule", json={"mode": "shuffle"}).status_code == 422
    # The newest draft (the re-generate) revised version 1 like the revision did: both are fresh.
    stale = api("POST", f"/api/v1/events/{event.slug}/schedule/publish")
    assert stale.status_code == 200


@pytest.mark.slow
def test_api_publish_answers_409_with_the_reasons_and_force_accepts_warnings(published, api, make_attendee):
    event, people, v1 = published
    withdraw_attendee(people[0])
    plan_event(event, time_limit=1, mode="revise")
    walk_in = add_people(make_attendee, event, 1, start=70, source="walk-in")[0]
    check_in_attendee(event, walk_in, nonce=uuid.uuid4().hex)
    refused = api("POST", f"/api/v1/events/{event.slug}/schedule/publish")
    assert refused.status_code == 409
    detail = refused.json["detail"]
    assert detail["blocking"] == [] and any(walk_in.name in w for w in detail["warnings"])
    accepted = api("POST", f"/api/v1/events/{event.slug}/schedule/publish", json={"force": True})
    assert accepted.status_code == 200 and accepted.json["number"] == 2


@pytest.mark.slow
def test_automatic_revision_places_a_walk_in_and_publishes_by_itself(published, make_attendee):
    event, people, v1 = published
    event.auto_revise = True
    db.session.commit()
    now = dt.datetime.now(UTC)
    ev = db.session.get(Event, event.id)
    ev.clock_started_at = now        # round 1 runs now; rounds 2.. are open
    for person in people:            # everyone came (else they would be no-shows by now)
        db.session.add(CheckIn(event_id=event.id, attendee_id=person.id, nonce=uuid.uuid4().hex))
    db.session.commit()
    walk_in = add_people(make_attendee, event, 1, start=80, source="walk-in")[0]
    check_in_attendee(event, walk_in, nonce=uuid.uuid4().hex)
    job = start_auto_revision(event) or _active(event)
    assert job is not None
    done = wait_for_job(job.id, 60)
    assert done.status == "done", done.error
    db.session.expire_all()
    current = published_version(event)
    assert current.id != v1.id and current.kind == "replan" and current.published_by_id is None
    assert {r for r, *_ in agenda(current, walk_in.id)} and min(r for r, *_ in agenda(current, walk_in.id)) >= 2


def _active(event):
    from web.jobs import active_job

    return active_job(event)


@pytest.fixture
def api(app, organiser_user):
    from web.auth.services import create_api_token

    token = create_api_token(organiser_user, "tests")
    client = app.test_client()

    def call(method, url, **kwargs):
        headers = kwargs.pop("headers", {})
        headers["Authorization"] = f"Bearer {token}"
        return client.open(url, method=method, headers=headers, **kwargs)

    return call


@pytest.mark.parametrize("size", [10, 40])
def test_an_arrival_that_starts_the_automatic_revision_reads_no_attendee_list(app, make_event, make_attendee,
                                                                               size):
    """The kiosk answers at once: the job, not the scan, finds who is without a table."""
    from sqlalchemy import event as sa_event

    app.config["QUEUE_IN_PROCESS_WORKER"] = False  # the job waits on the queue; count the scan alone
    ev = make_event(rounds=4, tables=size, slug=f"door-{size}", auto_revise=True)
    add_people(make_attendee, ev, size)
    publish_version(plan_event(ev, time_limit=1, seed=1))
    ev.clock_started_at = dt.datetime.now(UTC)
    db.session.commit()
    walk_in = add_people(make_attendee, ev, 1, start=90, source="walk-in")[0]
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        check_in_attendee(ev, walk_in, nonce=uuid.uuid4().hex)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    assert _active(ev) is not None and _active(ev).kind == "auto-revise"
    whole_list = [s for s in statements if "FROM attendees" in s and "WHERE attendees.event_id" in s
                  and "attendees.id =" not in s and "LIMIT" not in s]
    assert whole_list == [], whole_list
