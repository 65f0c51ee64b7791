"""The settings guard: changing rounds, tables or times of an event with a published schedule
says what it would break and asks (console: a second submit with the confirm box; API: 409
unless ``"confirm": true``). After a confirmed cut, every page and export still answers (the
out-of-range meetings are not shown) and the overview says the schedule needs a revision."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.support.text import missing_facts, plain
from tests.web.conftest import submit
from web.auth.services import create_api_token
from web.events.models import Event
from web.events.services import form_data_for
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion

ROUNDS, TABLES, PEOPLE = 8, 5, 10


@pytest.fixture
def app_config() -> dict[str, Any]:
    # A failing view answers 500 (as in production) instead of raising into the test, so the
    # sweep lists every page that fails, not only the first.
    return {"PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def token(organiser_user):
    return create_api_token(organiser_user, "tests")


@pytest.fixture
def api(client, token):
    def call(method: str, url: str, **kwargs: Any):
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return client.open(url, method=method, headers=headers, **kwargs)
    return call


def round_robin(people: list, rounds: int) -> list[tuple[int, int, Any, Any]]:
    """Everyone meets someone new each round (circle method), tables 1..len/2."""
    n = len(people)
    order = list(people)
    meetings = []
    for rnd in range(1, rounds + 1):
        for table in range(1, n // 2 + 1):
            meetings.append((rnd, table, order[table - 1], order[n - table]))
        order = [order[0], order[-1], *order[1:-1]]
    return meetings


def publish(event: Event, meetings) -> ScheduleVersion:
    version = ScheduleVersion(event_id=event.id, number=1, status="published", kind="plan",
                              report={"rounds": event.rounds, "tables": TABLES},
                              published_at=dt.datetime.now(dt.UTC))
    db.session.add(version)
    db.session.flush()
    for rnd, table, a, b in meetings:
        db.session.add(ScheduleMeeting(version_id=version.id, round=rnd, table=table, a_id=a.id,
                                       b_id=b.id, score=1.0))
    db.session.commit()
    return version


@pytest.fixture
def planned(make_event, make_attendee):
    """An event tomorrow with a published round-robin: every table of every round is used."""
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    event = make_event(slug="summit", rounds=ROUNDS, tables=TABLES, date=tomorrow,
                       start=dt.datetime.combine(tomorrow, dt.time(14, 0)))
    people = [make_attendee(event, name=f"Person {i}") for i in range(PEOPLE)]
    publish(event, round_robin(people, ROUNDS))
    return event, people


def edit_form(event: Event, **changes: Any) -> dict[str, Any]:
    data = {k: v for k, v in form_data_for(event).items() if v is not None}
    data["date"] = data["date"].isoformat()
    data["start_time"] = data["start_time"].strftime("%H:%M")
    for flag in ("prefer_same_region", "registration_open", "auto_revise"):
        if not data.get(flag):
            data.pop(flag, None)
    data.update(changes)
    return data


def reload(event: Event) -> Event:
    db.session.expire_all()
    return db.session.get(Event, event.id)


# --------------------------------------------------------------------------- what it says


@pytest.mark.parametrize(("changes", "expected"), [
    ({"rounds": 6}, ["rounds 7-8 hold 10 published meetings of 10 attendees: they would "
                     "disappear from agendas"]),
    ({"rounds": 7}, ["round 8 holds 5 published meetings of 10 attendees: they would "
                     "disappear from agendas"]),
    ({"tables": 3}, ["tables 4-5 hold 16 published meetings in rounds 1-8: those tables would "
                     "no longer exist"]),
    ({"rounds": 4, "tables": 4}, [
        "rounds 5-8 hold 20 published meetings of 10 attendees: they would disappear from agendas",
        "table 5 holds 4 published meetings in rounds 1-4: those tables would no longer exist"]),
    # Round 1 ends later, every later round starts later.
    ({"round_minutes": 9}, ["times of 40 published meetings move (rounds 1-8): printed agendas "
                            "show the old times"]),
    ({"start_time": "14:05"}, ["times of 40 published meetings move (rounds 1-8): printed agendas "
                               "show the old times"]),
    ({"breaks": "6: 15"}, ["times of 10 published meetings move (rounds 7-8): printed agendas "
                           "show the old times"]),
])
def test_console_shows_what_a_change_breaks_and_saves_only_when_confirmed(organiser, planned,
                                                                         changes, expected):
    event, _ = planned
    url = f"/console/{event.slug}/edit"
    first = submit(organiser, url, edit_form(event, **changes))
    html = first.get_data(as_text=True)
    assert first.status_code == 409
    found = re.findall(r"<li>([^<]*)</li>", html.split('id="conflicts-heading"')[1].split("</ul>")[0])
    assert found == expected
    assert reload(event).rounds == ROUNDS and reload(event).round_minutes == 8  # nothing saved

    second = submit(organiser, url, edit_form(event, confirm="y", **changes))
    assert second.status_code == 302
    saved = reload(event)
    for key, value in changes.items():
        if key in ("rounds", "tables", "round_minutes"):
            assert getattr(saved, key) == value


@pytest.mark.parametrize("changes", [{"name": "Renamed"}, {"rounds": 9}, {"tables": 6},
                                     {"tables": 0}, {"auto_revise": True}, {"venue": "Hall B"}])
def test_changes_that_break_nothing_save_at_once(organiser, planned, changes):
    event, _ = planned
    response = submit(organiser, f"/console/{event.slug}/edit", edit_form(event, **changes))
    assert response.status_code == 302


def test_without_a_published_schedule_nothing_is_asked(organiser, make_event):
    event = make_event(rounds=8)
    response = submit(organiser, f"/console/{event.slug}/edit", edit_form(event, rounds=2))
    assert response.status_code == 302 and reload(event).rounds == 2


@pytest.mark.parametrize(("body", "kinds"), [
    ({"rounds": 6}, ["rounds"]),
    ({"tables": 2}, ["tables"]),
    ({"rounds": 5, "tables": 2, "round_minutes": 10}, ["rounds", "tables", "times"]),
    ({"breaks": [{"after_round": 2, "minutes": 10}]}, ["times"]),
    ({"start": (dt.date.today() + dt.timedelta(days=2)).isoformat() + "T14:00:00"}, ["times"]),
])
def test_api_patch_answers_409_with_the_conflicts_unless_confirmed(api, planned, body, kinds):
    event, _ = planned
    refused = api("PATCH", f"/api/v1/events/{event.slug}", json=body)
    assert refused.status_code == 409
    assert [c["kind"] for c in refused.json["conflicts"]] == kinds
    assert "published schedule" in refused.json["message"]
    assert reload(event).rounds == ROUNDS and reload(event).tables == TABLES

    applied = api("PATCH", f"/api/v1/events/{event.slug}", json={**body, "confirm": True})
    assert applied.status_code == 200, applied.json
    for key in ("rounds", "tables", "round_minutes"):
        if key in body:
            assert applied.json[key] == body[key]


def test_api_patch_that_breaks_nothing_needs_no_confirm(api, planned):
    event, _ = planned
    response = api("PATCH", f"/api/v1/events/{event.slug}",
                   json={"name": "Renamed", "auto_revise": True})
    assert response.status_code == 200
    assert (response.json["name"], response.json["auto_revise"]) == ("Renamed", True)


# --------------------------------------------------------------------------- no 500 anywhere


def _value(arg: str, event: Event, person, fmt: str) -> Any:
    return {"slug": event.slug, "attendee_id": person.id, "ext_id": person.ext_id,
            "token": person.token, "number": 1, "member_id": 1, "fmt": fmt, "key": event.display_key}.get(arg)


def sweep_urls(app, event: Event, people) -> list[str]:
    """Every GET page and export of the app for this event and its people (routes that need a
    job id or a static file name are left out: none exist here)."""
    urls: set[str] = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or {"job_id", "filename"} & set(rule.arguments):
            continue
        formats = ["csv", "xlsx", "png", "svg"] if "fmt" in rule.arguments else [""]
        for person in people:
            for fmt in formats:
                values = {arg: _value(arg, event, person, fmt) for arg in rule.arguments}
                url = app.url_map.bind("localhost").build(rule.endpoint, values)
                urls.add(url)
    extra = [f"/console/{event.slug}/schedule/v1/attendee?a={p.ext_id}" for p in people]
    extra += [f"/console/{event.slug}/print/agendas?scope=one&attendee={p.ext_id}" for p in people]
    extra += [f"/checkin/{event.slug}?q=Person", f"/display/{event.slug}/{event.display_key}?page=2"]
    return sorted(urls | set(extra))


@pytest.mark.slow
@pytest.mark.parametrize("cut", [{"rounds": 6}, {"tables": 3}, {"rounds": 5, "tables": 2}])
def test_after_a_confirmed_cut_nothing_answers_500(app, api, organiser, staff, token, planned, cut):
    event, people = planned
    assert api("PATCH", f"/api/v1/events/{event.slug}", json={**cut, "confirm": True}).status_code == 200
    failures = []
    for url in sweep_urls(app, event, people):
        if url.startswith("/api/"):
            response = api("GET", url)
        elif url.startswith("/checkin"):
            response = staff.get(url)
        else:
            response = organiser.get(url)
        if response.status_code >= 500:
            failures.append(f"GET {url} -> {response.status_code}")
    assert not failures, "\n".join(failures)


def test_after_a_cut_exports_and_pages_leave_out_the_cut_meetings(api, organiser, planned):
    event, people = planned
    assert api("PATCH", f"/api/v1/events/{event.slug}",
               json={"rounds": 6, "tables": 3, "confirm": True}).status_code == 200
    csv_text = api("GET", f"/api/v1/events/{event.slug}/schedule.csv").get_data(as_text=True)
    rows = [line.split(",") for line in csv_text.strip().splitlines()[1:]]
    assert rows and {int(r[0]) for r in rows} == set(range(1, 7))
    assert max(int(r[1]) for r in rows) == 3 and len(rows) == 6 * 3
    overview = organiser.get(f"/console/{event.slug}/").get_data(as_text=True)
    assert not missing_facts(plain(overview), "published schedule", "revision")
    me = organiser.get(f"/me/{people[0].token}").get_data(as_text=True)
    assert "Round 7" not in me and "Round 8" not in me
