"""An event day played on a frozen clock: check-ins at the door through the API, absentees, a
withdrawal, walk-ins, a late arrival, re-plans at the first and a later changeover through the
API and the console, then the results and the prints.

What it checks is what the organiser, the desk and the attendees notice: absentees are out from
the round after their first; people who are here keep their meetings when the room has free
tables; every table the kiosk names is in the published schedule, every round it promises comes
true, and when it can promise nothing it says so; counts and prints leave the withdrawn out.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine

from tests.web.conftest import ORGANISER_EMAIL, csrf_token, login
from web.attendees.models import Attendee
from web.auth.services import create_api_token, create_user
from web.checkin.desk import register_walk_in
from web.checkin.services import Seating, live_counts
from web.events.models import Event
from web.extensions import db
from web.jobs import active_job, wait_for_job
from web.printing.services import badge_rows, print_agendas
from web.results.services import results_summary
from web.schedules.models import ScheduleVersion
from web.schedules.planning import plan_event
from web.schedules.publishing import publish_version
from web.schedules.versions import published_version

UTC = dt.UTC
ROUND_1 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)   # 14:00 Amsterdam; rounds of 8 + 2 minutes
ROUNDS = 6
COMPETENCIES = ["Hosting", "DevOps", "Data Platform", "Security", "AI", "Networking"]
REGIONS = ["EMEA", "APAC", "NA", "LATAM"]
TYPES = ["ISV", "SI", "MSP", "Reseller"]


def at(minutes: float) -> dt.datetime:
    return ROUND_1 + dt.timedelta(minutes=minutes)


@contextmanager
def clock(minutes: float) -> Iterator[None]:
    """Everything inside runs at ``at(minutes)`` (the app, the job worker and the test alike);
    the clock ticks on from there, so a solve of a second moves it a second."""
    with time_machine.travel(at(minutes), tick=True):
        yield


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"REPLAN_TIME_LIMIT": 1.0, "AUTO_REVISE_ON_ARRIVAL": True}


@dataclass
class Day:
    event: Event
    people: list[Attendee]
    absent: list[Attendee]
    withdrawn: Attendee
    late: Attendee                      # registered for rounds 3-6, arrives during round 3
    api: Any
    scanner: Any
    free_room: bool
    welcomes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.event.slug

    def ids(self, rows: list[Attendee]) -> set[int]:
        return {a.id for a in rows}


def published_meetings(event: Event) -> list[tuple[int, int, int, int]]:
    db.session.expire_all()
    version = published_version(event)
    assert version is not None
    return [(m.round, m.table, m.a_id, m.b_id) for m in version.meetings]


def rounds_of(meetings, person_id: int) -> set[int]:
    return {r for r, _t, a, b in meetings if person_id in (a, b)}


def wait_published(job_id: str) -> None:
    job = wait_for_job(job_id, timeout=60)
    assert job is not None and job.status == "done", job.error if job else "no job"


@pytest.fixture(params=[(24, 0.7, 3), (31, 0.6, 4), (40, 0.75, 6), (28, 0.5, 4)],
                ids=["24-people", "31-people", "40-people", "28-people-no-free-table"])
def day(request, app, make_event, make_attendee, organiser_user) -> Day:
    """An event of ``size`` people with ``tables`` = a share of them (above one half: free
    room), a plan published the day before, and who will not come decided."""
    size, share, absent_count = request.param
    event = make_event(rounds=ROUNDS, tables=int(size * share), slug="summit", auto_revise=True)
    people = []
    for i in range(size):
        people.append(make_attendee(
            event, name=f"Person {i:02d}", company=f"Company {i}", region=REGIONS[i % 4],
            partner_type=TYPES[i % 4], email=f"p{i}@example.com", offers=[COMPETENCIES[i % 6]],
            seeks=[COMPETENCIES[(i + 1) % 6], COMPETENCIES[(i + 3) % 6]],
            available_rounds="3-6" if i == 1 else None))
    with clock(-24 * 60):
        publish_version(plan_event(event, time_limit=2, seed=1))
    organiser_token = create_api_token(organiser_user, "organiser")
    staff_token = create_api_token(create_user("door@example.com", "door password 1", "staff"), "door")
    client = app.test_client()

    def call(token: str):
        def send(method: str, url: str, **kwargs: Any):
            return client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        return send

    return Day(event, people, absent=people[2:2 + absent_count], withdrawn=people[-1], late=people[1],
               api=call(organiser_token), scanner=call(staff_token), free_room=share > 0.5)


def scan(day: Day, person: Attendee) -> dict[str, Any]:
    response = day.scanner("POST", f"/api/v1/events/{day.slug}/checkins",
                           json={"code": person.checkin_code, "nonce": uuid.uuid4().hex})
    assert response.status_code in (200, 201), response.json
    answer = {**response.json, "person": person.id, "at": dt.datetime.now(UTC)}
    day.welcomes.append(answer)
    return answer


def the_door_opens(day: Day) -> list[Attendee]:
    """Everyone but the absentees and the late arrival checks in before round 1; one person
    who checked in cancels. Returns who is here."""
    present = [p for p in day.people if p not in day.absent and p is not day.late]
    with clock(-20):
        for person in present:
            assert scan(day, person)["status"] == "welcome"
        out = day.api("POST", f"/api/v1/events/{day.slug}/attendees/{day.withdrawn.ext_id}/withdraw")
        assert out.status_code == 200 and out.json["state"] == "withdrawn"
    return [p for p in present if p is not day.withdrawn]


def test_a_day_on_the_clock(day: Day, app) -> None:
    event = day.event
    here = the_door_opens(day)
    v1 = published_meetings(event)

    # Counts mean what they say: the withdrawn person is out of "here" and of "expected".
    counts = live_counts(event)
    assert (counts.checked_in, counts.expected) == (len(here), len(day.people) - 1)

    # Every table the kiosk named before the day is the published one.
    for answer in day.welcomes:
        assert answer["seating"] == "table"
        meeting = answer["first_meeting"]
        assert (meeting["round"], int(meeting["table"])) in {(r, t) for r, t, a, b in v1
                                                             if answer["person"] in (a, b)}

    # -- first changeover: round 1 is over, round 2 not started ---------------------------------
    with clock(9):
        preview = day.api("GET", f"/api/v1/events/{day.slug}/replan").json
        groups = {g["key"]: set(g["ids"]) for g in preview["planned_for"] + preview["left_out"]}
        assert preview["from_round"] == 2
        assert groups["no-show"] == {a.ext_id for a in day.absent}
        assert groups["registered"] == {day.late.ext_id}             # due from round 3: not yet
        assert groups["withdrawn"] == {day.withdrawn.ext_id}
        assert groups["checked-in"] == {a.ext_id for a in here}
        started = day.api("POST", f"/api/v1/events/{day.slug}/replan", json={})
        assert started.status_code == 202, started.json
        wait_published(started.json["id"])
        published = day.api("POST", f"/api/v1/events/{day.slug}/schedule/publish", json={"force": True})
        assert published.status_code == 200, published.json
    v2 = published_meetings(event)
    gone = day.ids(day.absent) | {day.withdrawn.id}
    assert [m for m in v2 if m[0] == 1] == [m for m in v1 if m[0] == 1]          # round 1 as held
    assert not [m for m in v2 if m[0] >= 2 and gone & {m[2], m[3]}]             # absentees are out
    assert rounds_of(v2, day.late.id) == rounds_of(v1, day.late.id)             # not due yet: kept
    present_ids = day.ids(here) | {day.late.id}
    kept = [m for m in v1 if m[0] >= 2 and {m[2], m[3]} <= present_ids]
    if day.free_room:
        assert set(kept) <= set(v2), "people who are here keep their meetings while tables are free"
    else:   # without a free table a pair may move, but keeps meeting
        assert {frozenset(m[2:]) for m in kept} <= {frozenset(m[2:]) for m in v2}

    # -- walk-ins during round 2: promised round 3, and seated there ------------------------------
    with clock(12):
        walk_ins = [register_walk_in(event, {"name": f"Walker {n}", "company": f"Walk Co {n}", "region": "EMEA",
                                             "partner_type": "ISV", "offers": "Hosting", "seeks": "AI", "email": ""},
                                     nonce=uuid.uuid4().hex) for n in range(2)]
        for registered in walk_ins:
            assert registered.result.seating is Seating.ORGANISER
            assert registered.result.seated_from_round == 3
        job = active_job(db.session.get(Event, event.id))
        assert job is not None and job.kind == "auto-revise"
        wait_published(job.id)
    v3 = published_meetings(event)
    for registered in walk_ins:
        assert 3 in rounds_of(v3, registered.attendee.id), "the kiosk promised a table from round 3"
    assert [m for m in v3 if m[0] <= 2] == [m for m in v2 if m[0] <= 2]

    # -- the late arrival comes during round 3: told their published table -----------------------
    with clock(21):
        answer = scan(day, day.late)
    assert answer["status"] == "welcome" and answer["seating"] == "table"
    assert answer["first_meeting"]["round"] == 4
    assert 4 in rounds_of(v3, day.late.id)

    # -- an absentee arrives during round 3: no table in the plan, promised round 4 --------------
    latecomer = day.absent[0]
    with clock(23):
        answer = scan(day, latecomer)
        assert (answer["seating"], answer["seated_from_round"]) == ("organiser", 4)
        job = active_job(db.session.get(Event, event.id))
        assert job is not None
        wait_published(job.id)
    v4 = published_meetings(event)
    assert 4 in rounds_of(v4, latecomer.id)

    # -- changeover before round 4, through the console: the rest of the absentees stay out ------
    with clock(29):
        organiser = app.test_client()
        assert login(organiser, ORGANISER_EMAIL).status_code == 302
        url = f"/console/{day.slug}/live/"
        page = organiser.get(url).get_data(as_text=True)
        assert "Left out:" in page and day.absent[1].name in page
        response = organiser.post(f"/console/{day.slug}/live/replan",
                                  data={"csrf_token": csrf_token(organiser, url), "from_round": "4"})
        assert response.status_code == 302
        job_id = response.headers["Location"].rstrip("/").split("/")[-1]
        wait_published(job_id)
        db.session.expire_all()
        draft = db.session.get(ScheduleVersion, wait_for_job(job_id, 5).result["version_id"])
        publish_version(draft, force=True)
    v5 = published_meetings(event)
    still_absent = day.ids(day.absent[1:]) | {day.withdrawn.id}
    assert not [m for m in v5 if m[0] >= 4 and still_absent & {m[2], m[3]}]
    assert [m for m in v5 if m[0] <= 3] == [m for m in v4 if m[0] <= 3]

    # -- after the day: counts and prints leave the withdrawn out --------------------------------
    summary = results_summary(db.session.get(Event, event.id), at(ROUNDS * 10 + 5))
    assert summary.expected == len(day.people) - 1 + len(walk_ins)
    assert summary.checked_in == len(here) + len(walk_ins) + 2              # + the late arrival, the latecomer
    assert summary.meetings_ended == summary.meetings
    assert day.withdrawn.id not in {a.id for a in badge_rows(event, "all")}
    assert print_agendas(event).count == summary.expected
