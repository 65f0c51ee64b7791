"""Attendee states: registered, withdrawn, checked in, left and no-show, through the services,
the console (with CSRF) and the API; the overview's attention list."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import logging
import re
import uuid
from typing import Any

import pytest

from tests.support.text import missing_facts
from tests.web.conftest import submit
from web.attendees.lifecycle import (
    StateChangeRefused,
    mark_back,
    mark_left,
    restore_attendee,
    withdraw_attendee,
)
from web.attendees.models import Attendee
from web.attendees.presence import presence, state_of
from web.attendees.states import AttendeeState
from web.auth.services import create_api_token
from web.checkin.services import annul, check_in_attendee
from web.extensions import db
from web.logs import fields_of
from web.schedules.models import ScheduleMeeting, ScheduleVersion

UTC = dt.UTC
# The fixture event: 2031-06-12, round 1 at 14:00 Amsterdam (12:00 UTC), 8 rounds of 8+2 min.
ROUND_1 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)
S = AttendeeState


def minutes(n: float) -> dt.datetime:
    return ROUND_1 + dt.timedelta(minutes=n)


@pytest.fixture
def event(make_event):
    return make_event(slug="summit")


@pytest.fixture
def ana(event, make_attendee):
    return make_attendee(event, name="Ana Lima", ext_id="A1")


def check_in(event, attendee, now=None):
    return check_in_attendee(event, attendee, nonce=str(uuid.uuid4()), now=now)


def publish(event, meetings, number=1, status="published"):
    version = ScheduleVersion(event_id=event.id, number=number, status=status, kind="plan",
                              published_at=dt.datetime.now(UTC) if status == "published" else None)
    db.session.add(version)
    db.session.flush()
    for rnd, table, a, b in meetings:
        db.session.add(ScheduleMeeting(version_id=version.id, round=rnd, table=table, a_id=a.id, b_id=b.id))
    db.session.commit()
    return version


@pytest.fixture
def received(caplog):
    """The state changes logged during the test, as (action, fields): one line each."""
    caplog.set_level(logging.INFO, logger="web.attendees.lifecycle")

    def lines() -> list[tuple[str, dict[str, Any]]]:
        return [(r.getMessage().removeprefix("attendee-"), dict(fields_of(r)))
                for r in caplog.records if r.name == "web.attendees.lifecycle"]

    return lines


# --------------------------------------------------------------------------- services


def test_registered_withdrawn_restored_with_a_log_line_each(event, ana, received):
    assert state_of(ana, minutes(-60)) is S.REGISTERED
    withdraw_attendee(ana)
    assert state_of(ana, minutes(-60)) is S.WITHDRAWN and ana.withdrawn_at is not None
    first = ana.withdrawn_at
    withdraw_attendee(ana)  # twice: keeps the first time, no second line
    assert ana.withdrawn_at == first
    restore_attendee(ana)
    assert state_of(ana, minutes(-60)) is S.REGISTERED and ana.withdrawn_at is None
    assert received() == [("withdrawn", {"attendee": ana.ext_id, "event": event.id}),
                          ("restored", {"attendee": ana.ext_id, "event": event.id})]


def test_restore_refuses_someone_not_withdrawn(ana):
    with pytest.raises(StateChangeRefused, match="not withdrawn"):
        restore_attendee(ana)


def test_checked_in_left_back(event, ana, received):
    with pytest.raises(StateChangeRefused, match="not checked in"):
        mark_left(ana)
    check_in(event, ana)
    assert state_of(ana, minutes(30)) is S.CHECKED_IN
    mark_left(ana)
    assert state_of(ana, minutes(30)) is S.LEFT
    with pytest.raises(StateChangeRefused, match="already left"):
        mark_left(ana)
    mark_back(ana)
    assert state_of(ana, minutes(30)) is S.CHECKED_IN
    with pytest.raises(StateChangeRefused, match="has not left"):
        mark_back(ana)
    assert [name for name, _ in received()] == ["left", "restored"]


def test_a_checked_in_person_who_is_withdrawn_stays_withdrawn(event, ana):
    check_in(event, ana)
    withdraw_attendee(ana)
    assert state_of(ana, minutes(30)) is S.WITHDRAWN
    with pytest.raises(StateChangeRefused, match="withdrawn"):
        mark_left(ana)


@pytest.mark.parametrize(("available", "first_round_start"), [
    (None, 0), ("3-8", 20), ("4;6", 30), ("2", 10), ("8", 70), ("1;8", 0),
])
def test_no_show_once_the_first_due_round_has_started_and_ends_with_a_check_in(
        event, make_attendee, available, first_round_start):
    """Due, not checked in, when their first round has started by the clock: the next round
    a re-plan can change is the one after it, so the first changeover already leaves them out."""
    check_in(event, make_attendee(event, name="First Through The Door"))   # the door is open
    late = make_attendee(event, available_rounds=available)
    assert state_of(late, minutes(first_round_start - 0.5)) is S.REGISTERED
    assert state_of(late, minutes(first_round_start)) is S.NO_SHOW
    assert state_of(late, minutes(first_round_start + 60)) is S.NO_SHOW
    check_in(event, late)
    assert state_of(late, minutes(first_round_start + 60)) is S.CHECKED_IN


def test_nobody_is_a_no_show_before_the_door_opens(event, make_attendee):
    """An event run without the kiosk cannot tell an absentee: until the first check-in,
    everyone stays registered (and planned for), however late it is."""
    ana = make_attendee(event, name="Ana")
    assert state_of(ana, minutes(45)) is S.REGISTERED
    assert presence(event, minutes(45)).door_open is False
    check_in(event, make_attendee(event, name="Bo"))
    assert state_of(ana, minutes(45)) is S.NO_SHOW


def test_a_paused_or_delayed_clock_moves_the_no_show_moment(event, make_attendee):
    """The first open round honours the clock: a delay of 15 minutes before round 1 keeps
    everyone registered until the delayed start."""
    from web.liveday.clock import delay_clock

    check_in(event, make_attendee(event, name="First Through The Door"))
    late = make_attendee(event)
    delay_clock(event, 15, minutes(-30))
    assert state_of(late, minutes(10)) is S.REGISTERED
    assert state_of(late, minutes(15)) is S.NO_SHOW


def test_annulled_check_in_is_not_checked_in(event, ana):
    result = check_in(event, ana)
    from web.attendees.checkins import CheckIn

    annul(db.session.get(CheckIn, result.checkin.id), None)
    assert state_of(ana, minutes(-5)) is S.REGISTERED


def test_states_for_event_and_expected_attendees(event, make_attendee):
    reg, gone, inside, left, noshow, later = (
        make_attendee(event, name=n, available_rounds=r) for n, r in
        (("Reg", "5-8"), ("Gone", None), ("In", None), ("Left", None), ("Noshow", None), ("Later", "7-8")))
    withdraw_attendee(gone)
    check_in(event, inside)
    check_in(event, left)
    mark_left(left)
    now = minutes(35)  # round 4 runs; rounds 1..4 have started
    here = presence(event, now)
    assert here.states == {reg.id: S.REGISTERED, gone.id: S.WITHDRAWN, inside.id: S.CHECKED_IN,
                           left.id: S.LEFT, noshow.id: S.NO_SHOW, later.id: S.REGISTERED}
    assert [a.name for a in here.expected] == ["Reg", "In", "Later"]
    assert [a.name for a in here.expected_in(3)] == ["In"]
    assert here.first_open_round == 5 and here.not_withdrawn == 5


# --------------------------------------------------------------------------- console


def states_in_list(html: str) -> dict[str, str]:
    """Name -> state label of each row of the attendee list."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        state = re.search(r'class="state state-[a-z-]+">([^<]+)<', row)
        if len(cells) > 2 and state:
            found[cells[2].split("<br>")[0].strip()] = state.group(1)
    return found


@pytest.fixture
def past_event(make_event):
    """An event that took place: whoever never checked in is a no-show."""
    return make_event(slug="summit", date=dt.date(2025, 6, 12), start=dt.datetime(2025, 6, 12, 14, 0))


def test_console_list_shows_states_and_filters_by_state(organiser, past_event, make_attendee):
    event = past_event
    reg, gone, inside = (make_attendee(event, name=n) for n in ("Reg", "Gone", "In"))
    withdraw_attendee(gone)
    check_in(event, inside)
    html = organiser.get(f"/console/{event.slug}/attendees/").get_data(as_text=True)
    assert states_in_list(html) == {"Reg": "no-show", "Gone": "withdrawn", "In": "checked in"}
    for state, names in (("withdrawn", {"Gone"}), ("checked-in", {"In"}), ("no-show", {"Reg"}),
                         ("registered", set()), ("left", set())):
        html = organiser.get(f"/console/{event.slug}/attendees/?state={state}").get_data(as_text=True)
        assert set(states_in_list(html)) == names, state
    assert organiser.get(f"/console/{event.slug}/attendees/?state=lost").status_code == 400


def test_console_filter_pages_through_many(app, organiser, event, make_attendee):
    app.config["ATTENDEES_PER_PAGE"] = 3
    people = [make_attendee(event, name=f"P{i:02d}") for i in range(8)]
    for p in people[:7]:
        withdraw_attendee(p)
    seen = []
    for page in (1, 2, 3):
        html = organiser.get(f"/console/{event.slug}/attendees/?state=withdrawn&page={page}").get_data(as_text=True)
        seen += list(states_in_list(html))
    assert seen == [f"P{i:02d}" for i in range(7)]


@pytest.mark.parametrize(("setup", "action", "expected"), [
    ("registered", "withdraw", S.WITHDRAWN),
    ("withdrawn", "restore", S.REGISTERED),
    ("checked-in", "left", S.LEFT),
    ("left", "back", S.CHECKED_IN),
    ("checked-in", "withdraw", S.WITHDRAWN),
])
def test_console_actions_change_the_state_with_csrf(organiser, event, ana, setup, action, expected):
    if setup in ("checked-in", "left"):
        check_in(event, ana)
    if setup == "left":
        mark_left(ana)
    if setup == "withdrawn":
        withdraw_attendee(ana)
    page = f"/console/{event.slug}/attendees/{ana.id}/edit"
    url = f"/console/{event.slug}/attendees/{ana.id}/{action}"
    assert f'action="{url}"' in organiser.get(page).get_data(as_text=True)
    assert organiser.post(url, data={}).status_code == 400  # no CSRF token: refused
    response = submit(organiser, url, {}, form_url=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert state_of(db.session.get(Attendee, ana.id)) is expected


def test_console_refuses_leaving_for_someone_not_checked_in(organiser, event, ana):
    page = f"/console/{event.slug}/attendees/{ana.id}/edit"
    response = submit(organiser, f"/console/{event.slug}/attendees/{ana.id}/left", {},
                      form_url=page, follow_redirects=True)
    assert "not checked in" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Attendee, ana.id).left_at is None


def test_remove_offers_withdraw_for_a_scheduled_attendee(organiser, event, ana, make_attendee):
    bob = make_attendee(event, name="Bob")
    publish(event, [(1, 1, ana, bob)])
    page = f"/console/{event.slug}/attendees/{ana.id}/remove"
    html = organiser.get(page).get_data(as_text=True)
    assert "flash-error" in html and f">Remove {ana.name}</button>" not in html  # refused, with the reason
    assert f'action="/console/{event.slug}/attendees/{ana.id}/withdraw"' in html
    refused = submit(organiser, page, {})
    assert refused.status_code == 302 and refused.headers["Location"].endswith(page)
    submit(organiser, f"/console/{event.slug}/attendees/{ana.id}/withdraw", {}, form_url=page)
    db.session.expire_all()
    assert db.session.get(Attendee, ana.id).withdrawn_at is not None


def test_remove_still_removes_someone_in_no_schedule(organiser, event, make_attendee):
    cleo_id = make_attendee(event, name="Cleo").id
    page = f"/console/{event.slug}/attendees/{cleo_id}/remove"
    assert "Withdraw" not in organiser.get(page).get_data(as_text=True)
    assert submit(organiser, page, {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Attendee, cleo_id) is None


# --------------------------------------------------------------------------- API


@pytest.fixture
def api(client, organiser_user):
    token = create_api_token(organiser_user, "tests")

    def call(method, url, **kwargs):
        return client.open(url, method=method, headers={"Authorization": f"Bearer {token}"}, **kwargs)
    return call


def test_api_withdraw_and_restore_by_the_file_id(api, event, ana):
    base = f"/api/v1/events/{event.slug}/attendees"
    out = api("POST", f"{base}/A1/withdraw")
    assert out.status_code == 200 and out.json["state"] == "withdrawn" and out.json["id"] == "A1"
    assert out.json["withdrawn_at"]
    assert api("POST", f"{base}/A1/withdraw").json["withdrawn_at"] == out.json["withdrawn_at"]
    listed = {a["id"]: a["state"] for a in api("GET", base).json}
    assert listed == {"A1": "withdrawn"}
    back = api("POST", f"{base}/A1/restore")
    assert back.status_code == 200 and back.json["state"] == "registered" and back.json["withdrawn_at"] is None
    again = api("POST", f"{base}/A1/restore")
    assert again.status_code == 409 and "not withdrawn" in again.json["message"]


@pytest.mark.parametrize("action", ["withdraw", "restore"])
def test_api_unknown_attendee_or_event_is_404(api, event, make_event, make_attendee, action):
    other = make_attendee(make_event(), ext_id="X9")
    assert api("POST", f"/api/v1/events/{event.slug}/attendees/NOPE/{action}").status_code == 404
    # Another event's attendee is unknown here.
    assert api("POST", f"/api/v1/events/{event.slug}/attendees/{other.ext_id}/{action}").status_code == 404
    assert api("POST", f"/api/v1/events/no-such/attendees/A1/{action}").status_code == 404


def test_api_withdraw_needs_an_organiser_token(client, event, ana):
    response = client.post(f"/api/v1/events/{event.slug}/attendees/A1/withdraw")
    assert response.status_code == 401
    db.session.expire_all()
    assert db.session.get(Attendee, ana.id).withdrawn_at is None


# --------------------------------------------------------------------------- attention list


@pytest.fixture
def tomorrow_event(make_event):
    day = dt.date.today() + dt.timedelta(days=1)
    return make_event(slug="tomorrow", date=day, start=dt.datetime.combine(day, dt.time(14, 0)),
                      rounds=4, tables=2)


def attention(organiser, event) -> list[str]:
    html = organiser.get(f"/console/{event.slug}/").get_data(as_text=True)
    if 'id="attention-heading"' not in html:
        return []
    block = html.split('id="attention-heading"')[1].split("</ul>")[0]
    return [html_lib.unescape(re.sub(r"\s+", " ", item).strip())
            for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_attention_lists_unplaced_withdrawn_and_drafts(organiser, tomorrow_event, make_attendee):
    event = tomorrow_event
    a, b, c, d, late = (make_attendee(event, name=n) for n in ("Ana", "Bob", "Cleo", "Dan", "Late"))
    assert attention(organiser, event) == []  # nothing published: nothing to say yet
    publish(event, [(1, 1, a, b), (1, 2, c, d), (2, 1, a, c)])
    items = attention(organiser, event)
    assert len(items) == 1 and not missing_facts(items[0], "round 1", "1 expected attendee", "Late")
    assert 'href="/console/tomorrow/schedule/"' in items[0]

    withdraw_attendee(b)
    publish(event, [(1, 1, a, c)], number=2, status="draft")
    items = attention(organiser, event)
    # Bob is withdrawn, so not expected: Late is still the only one without a meeting.
    assert not missing_facts(items[0], "round 1", "1 expected attendee", "Late")
    assert not missing_facts(items[1], "round 1", "1 attendee", "withdrew", "Bob")
    assert not missing_facts(items[2], "1 unpublished draft", "published version")


def test_attention_lists_people_holding_meetings_they_can_no_longer_attend(organiser, tomorrow_event, make_attendee):
    event = tomorrow_event
    a, b, c, d = (make_attendee(event, name=n) for n in ("Ana", "Bob", "Cleo", "Dan"))
    publish(event, [(1, 1, a, b), (2, 1, c, d), (3, 1, a, c)])
    assert attention(organiser, event) == []
    a.available_rounds = "1-2"     # Ana now leaves after round 2 but holds round 3
    db.session.commit()
    items = attention(organiser, event)
    assert len(items) == 1 and not missing_facts(items[0], "no longer attend", "1 attendee", "Ana")


def test_attention_says_when_the_published_schedule_is_out_of_range(organiser, tomorrow_event, make_attendee):
    event = tomorrow_event
    a, b = make_attendee(event, name="Ana"), make_attendee(event, name="Bob")
    publish(event, [(1, 1, a, b), (4, 2, a, b)])
    assert attention(organiser, event) == []
    event.rounds, event.tables = 3, 1
    db.session.commit()
    items = attention(organiser, event)
    assert items and any(not missing_facts(i, "1 meeting", "3 rounds", "1 table", "revision")
                         for i in items), items


def test_attention_is_empty_after_the_last_round_started(organiser, event, make_attendee):
    a, b, late = (make_attendee(event, name=n) for n in ("Ana", "Bob", "Late"))
    publish(event, [(1, 1, a, b)])
    withdraw_attendee(a)
    event.start = dt.datetime(2025, 6, 12, 14, 0)   # the event is over
    event.date = dt.date(2025, 6, 12)
    db.session.commit()
    assert attention(organiser, event) == []


# --------------------------------------------------------------------------- settings


def test_event_form_sets_auto_revise(organiser, event):
    from tests.web.test_settings_guard import edit_form, reload

    url = f"/console/{event.slug}/edit"
    good = submit(organiser, url, edit_form(event, auto_revise="y"))
    assert good.status_code == 302
    saved = reload(event)
    assert saved.auto_revise is True
