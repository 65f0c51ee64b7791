"""What the kiosk tells each kind of arrival (planned, late, new registrant, walk-in,
withdrawn, no-show), the "Leaving" action, and the ``arrived_unplaced`` signal."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import func, select

from tests.support.text import missing_facts, plain
from tests.web.conftest import csrf_token, submit
from tests.web.test_checkin import kiosk_url, name_kiosk, publish, scan
from web.attendees.checkins import CheckIn
from web.attendees.lifecycle import withdraw_attendee
from web.attendees.models import Attendee
from web.attendees.presence import state_of
from web.attendees.states import AttendeeState
from web.auth.services import create_api_token, create_user
from web.checkin.desk import register_walk_in
from web.checkin.messages import result_message
from web.checkin.services import ScanEvent, Seating, check_in, restore_and_check_in
from web.checkin.signals import arrived_unplaced
from web.extensions import db

UTC = dt.UTC
ROUND_1 = dt.datetime(2031, 6, 12, 12, 0, tzinfo=UTC)  # 14:00 Amsterdam; rounds every 10 min


def at(minutes: float) -> dt.datetime:
    return ROUND_1 + dt.timedelta(minutes=minutes)


def nonce() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def event(make_event):
    return make_event(tables=4)


@pytest.fixture
def people(event, make_attendee):
    return [make_attendee(event, name=n) for n in ("Ana", "Bob", "Cleo", "Dan")]


@pytest.fixture
def unplaced():
    log: list[dict] = []

    def handler(sender, **kwargs):
        log.append(kwargs)
    arrived_unplaced.connect(handler)
    yield log
    arrived_unplaced.disconnect(handler)


def active(attendee) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(
        CheckIn.attendee_id == attendee.id, CheckIn.annulled_at.is_(None)))


# --------------------------------------------------------------------------- messages


@pytest.mark.parametrize(("minutes", "expected"), [
    (-60, ("Ana", "round 2", "table 3", "Bob", "14:10")),
    (5, ("Ana", "round 2", "table 3", "Bob", "14:10")),      # round 1 runs
    (10, ("Ana", "round 4", "table 1", "Cleo", "14:30")),    # round 2 just started
    (25, ("Ana", "round 4", "table 1", "Cleo", "14:30")),
])
def test_a_planned_or_late_arrival_is_told_the_next_table(event, people, unplaced, minutes, expected):
    ana, bob, cleo, dan = people
    publish(event, [(2, 3, bob, ana), (4, 1, ana, cleo), (2, 1, cleo, dan)])
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=at(minutes))
    assert result.status == "welcome" and not missing_facts(result_message(result), *expected)
    assert unplaced == []


def auto_revise(event, on: bool) -> None:
    event.auto_revise = on
    db.session.commit()


@pytest.mark.parametrize(("minutes", "seated_from"), [
    (-60, 1), (0, 2), (1, 2), (35, 5), (69, 8),
    (9.5, 3),     # round 2 starts in 30 s: too soon for a revision to be published before it
])
def test_with_automatic_revision_an_arrival_is_promised_the_round_it_can_have(
        event, people, unplaced, minutes, seated_from):
    ana, bob, cleo, dan = people
    auto_revise(event, True)
    publish(event, [(1, 1, cleo, dan)])
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=at(minutes))
    assert not missing_facts(result_message(result), "Ana", "organisers", f"round {seated_from}")
    assert (result.seating, result.seated_from_round) == (Seating.ORGANISER, seated_from)
    assert unplaced == [{"event_id": event.id, "attendee_id": ana.id}]


@pytest.mark.parametrize("minutes", [-60, 0, 35, 69])
def test_without_automatic_revision_an_arrival_is_sent_to_the_desk_and_nothing_starts(
        event, people, unplaced, minutes):
    ana, bob, cleo, dan = people
    publish(event, [(1, 1, cleo, dan)])
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=at(minutes))
    assert not missing_facts(result_message(result), "Ana", "desk") and "round" not in result_message(result)
    assert (result.seating, result.seated_from_round) == (Seating.DESK, None)
    assert unplaced == []


def test_the_last_seconds_before_the_last_round_leave_only_the_desk(event, people, unplaced):
    ana, bob, cleo, dan = people
    auto_revise(event, True)
    publish(event, [(1, 1, cleo, dan)])
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=at(69.5))  # round 8 in 30 s
    assert result.seating is Seating.DESK and unplaced == []


@pytest.mark.parametrize("on", [True, False])
def test_a_meeting_only_in_the_running_round_counts_as_unplaced(event, people, unplaced, on):
    ana, bob, *_ = people
    auto_revise(event, on)
    publish(event, [(3, 2, ana, bob)])
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=at(22))  # round 3 runs
    assert result.first_meeting is None
    assert result.seating is (Seating.ORGANISER if on else Seating.DESK)
    assert len(unplaced) == (1 if on else 0)


def test_after_the_last_round_started_there_are_no_rounds_left(event, people, unplaced):
    ana, bob, *_ = people
    publish(event, [(8, 1, ana, bob)])
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=at(71))
    assert result.seating is Seating.NO_ROUNDS
    assert not missing_facts(result_message(result), "Ana", "every round") and "table" not in result_message(result)
    assert unplaced == []  # nothing left to revise


def test_without_a_published_schedule_the_welcome_stays_plain(event, people, unplaced):
    result = check_in(event, people[0].checkin_code, nonce=nonce(), now=at(-60))
    assert result_message(result) == "Welcome, Ana" and result.seating is Seating.UNPLANNED
    assert unplaced == []


def test_a_new_registrant_after_publishing_is_told_and_signalled_once(event, people, make_attendee, unplaced):
    ana, bob, cleo, dan = people
    auto_revise(event, True)
    publish(event, [(1, 1, ana, bob), (1, 2, cleo, dan)])
    newcomer = make_attendee(event, name="Eve", source="registration")
    first_nonce = nonce()
    first = check_in(event, newcomer.checkin_code, nonce=first_nonce, now=at(-30))
    replay = check_in(event, newcomer.checkin_code, nonce=first_nonce, now=at(-30))
    again = check_in(event, newcomer.checkin_code, nonce=nonce(), now=at(-30))
    assert not missing_facts(result_message(first), "Eve", "organisers", "round 1")
    assert replay.replayed and again.status == "already"
    assert unplaced == [{"event_id": event.id, "attendee_id": newcomer.id}]


def test_a_walk_in_is_told_the_round_and_signalled(event, people, unplaced):
    ana, bob, *_ = people
    auto_revise(event, True)
    publish(event, [(1, 1, ana, bob)])
    cells = {"name": "Walker Kim", "company": "Late Co", "region": "EMEA", "partner_type": "ISV",
             "offers": "Hosting", "seeks": "DevOps", "email": ""}
    registered = register_walk_in(event, cells, nonce=nonce(), now=at(12))
    assert not missing_facts(result_message(registered.result), "Walker Kim", "organisers", "round 3")
    assert unplaced == [{"event_id": event.id, "attendee_id": registered.attendee.id}]


def test_meetings_cut_by_fewer_rounds_or_tables_are_not_offered(event, people, unplaced):
    ana, bob, cleo, dan = people
    publish(event, [(7, 1, ana, bob), (2, 4, cleo, dan)])
    event.rounds, event.tables = 6, 3
    db.session.commit()
    for person in (ana, cleo):
        result = check_in(event, person.checkin_code, nonce=nonce(), now=at(-60))
        assert result.first_meeting is None and result.seating is Seating.DESK


def test_the_welcome_with_a_meeting_reads_no_more_than_before(app, event, people):
    """The door's hot path: the person, their first meeting, the insert. Nothing about who is
    unplaced is read when the first meeting was found."""
    ana, bob, *_ = people
    publish(event, [(1, 1, ana, bob)])
    scan_event = ScanEvent.of(event)  # kiosks keep this per worker (web.lookup_cache)
    code = ana.checkin_code
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)
    engine = db.engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", record)
    try:
        result = check_in(scan_event, code, nonce=nonce(), now=at(-60))
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", record)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects  # the code's person, their meetings
    assert not any("count(" in s.lower() for s in selects)
    assert result.first_meeting is not None and result.status == "welcome"


# --------------------------------------------------------------------------- withdrawn, no-show


def test_a_withdrawn_person_is_not_checked_in_but_offered_a_restore(event, people, unplaced):
    ana = people[0]
    withdraw_attendee(ana)
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=at(-60))
    assert result.status == "withdrawn" and result.checkin is None
    assert not missing_facts(result_message(result), "Ana", "withdrawn", "restore")
    assert active(ana) == 0
    restored = restore_and_check_in(event, ana, nonce=nonce(), now=at(-60))
    assert restored.status == "welcome" and active(ana) == 1
    db.session.expire_all()
    assert state_of(db.session.get(Attendee, ana.id), at(-60)) is AttendeeState.CHECKED_IN


def test_a_no_show_who_arrives_is_checked_in_normally(event, people):
    ana, bob, cleo, _ = people
    publish(event, [(5, 1, ana, bob)])
    check_in(event, cleo.checkin_code, nonce=nonce(), now=at(-60))    # the door is open
    assert state_of(ana, at(30)) is AttendeeState.NO_SHOW
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=at(30))
    assert not missing_facts(result_message(result), "Ana", "round 5", "table 1", "Bob", "14:40")
    assert state_of(ana, at(30)) is AttendeeState.CHECKED_IN


# --------------------------------------------------------------------------- kiosk pages


@pytest.fixture
def tomorrow(make_event, make_attendee):
    day = dt.date.today() + dt.timedelta(days=1)
    event = make_event(slug="tomorrow", date=day, start=dt.datetime.combine(day, dt.time(14, 0)))
    ana, bob = make_attendee(event, name="Ana"), make_attendee(event, name="Bob")
    publish(event, [(1, 1, ana, bob)])
    return event, ana, bob


def test_kiosk_page_offers_restore_and_check_in_for_a_withdrawn_badge(staff, tomorrow):
    event, ana, _ = tomorrow
    withdraw_attendee(ana)
    name_kiosk(staff, event)
    html = scan(staff, event, ana.checkin_code).get_data(as_text=True)
    assert "answer-withdrawn" in html and not missing_facts(plain(html), "Ana", "withdrawn")
    restore_url = f"/checkin/{event.slug}/attendees/{ana.id}/restore"
    assert f'action="{restore_url}"' in html
    form_nonce = re.search(rf'action="{restore_url}">.*?name="nonce" value="([^"]+)"', html, re.S).group(1)
    response = submit(staff, restore_url, {"nonce": form_nonce}, form_url=kiosk_url(event))
    assert not missing_facts(plain(response.get_data(as_text=True)), "Welcome, Ana", "round 1", "table 1", "Bob")
    assert active(ana) == 1


def test_kiosk_json_answers_409_for_a_withdrawn_badge_with_the_action(staff, tomorrow):
    event, ana, _ = tomorrow
    withdraw_attendee(ana)
    name_kiosk(staff, event)
    token = csrf_token(staff, kiosk_url(event))
    response = staff.post(f"/checkin/{event.slug}/scan.json", json={"code": ana.checkin_code, "nonce": nonce()},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 409 and response.json["status"] == "withdrawn"
    assert response.json["actions"][0]["label"] == "Restore and check in"
    assert response.json["actions"][0]["url"] == f"/checkin/{event.slug}/attendees/{ana.id}/restore"


def test_kiosk_json_tells_a_newcomer_the_round(staff, tomorrow, make_attendee, unplaced):
    event, *_ = tomorrow
    eve = make_attendee(event, name="Eve")
    name_kiosk(staff, event)
    token = csrf_token(staff, kiosk_url(event))
    response = staff.post(f"/checkin/{event.slug}/scan.json", json={"code": eve.checkin_code, "nonce": nonce()},
                          headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert not missing_facts(response.json["message"], "Eve", "desk") and "round" not in response.json["message"]
    assert (response.json["seating"], response.json["seated_from_round"]) == ("desk", None)
    assert unplaced == []


def test_api_scanner_gets_409_withdrawn(client, tomorrow):
    event, ana, _ = tomorrow
    withdraw_attendee(ana)
    token = create_api_token(create_user("scanner@example.com", "correct horse battery", "staff"), "kiosk")
    response = client.post(f"/api/v1/events/{event.slug}/checkins", json={"code": ana.checkin_code, "nonce": nonce()},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 409 and response.json["status"] == "withdrawn"
    assert active(ana) == 0


def test_leaving_from_the_desk_search_and_from_an_already_answer(staff, tomorrow):
    event, ana, bob = tomorrow
    name_kiosk(staff, event)
    scan(staff, event, ana.checkin_code)
    again = scan(staff, event, ana.checkin_code).get_data(as_text=True)
    leave_url = f"/checkin/{event.slug}/attendees/{ana.id}/leave"
    assert "already checked in" in again and f'action="{leave_url}"' in again
    search = staff.get(f"{kiosk_url(event)}?q=Ana").get_data(as_text=True)
    assert f'action="{leave_url}"' in search
    response = submit(staff, leave_url, {}, form_url=f"{kiosk_url(event)}?q=Ana", follow_redirects=True)
    assert "Ana has left" in response.get_data(as_text=True)
    db.session.expire_all()
    assert state_of(db.session.get(Attendee, ana.id)) is AttendeeState.LEFT
    search = staff.get(f"{kiosk_url(event)}?q=Ana").get_data(as_text=True)
    assert "Left at" in search and f'action="{leave_url}"' not in search


def test_leaving_someone_not_checked_in_is_refused(staff, tomorrow):
    event, _, bob = tomorrow
    name_kiosk(staff, event)
    response = submit(staff, f"/checkin/{event.slug}/attendees/{bob.id}/leave", {},
                      form_url=kiosk_url(event), follow_redirects=True)
    assert "not checked in" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Attendee, bob.id).left_at is None


def test_live_counts_leave_out_withdrawn_people(event, people):
    from web.checkin.services import live_counts

    withdraw_attendee(people[0])
    check_in(event, people[1].checkin_code, nonce=nonce(), now=at(-60))
    counts = live_counts(event)
    assert (counts.checked_in, counts.expected) == (1, 3)
