"""Event-day check-in: the service (codes, nonces, annulment, first meeting), the kiosk pages
through the test client with CSRF, and the JSON API with bearer tokens."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.support.text import missing_facts, plain
from tests.web.conftest import STAFF_EMAIL, csrf_token, submit
from web.attendees.checkins import CheckIn
from web.attendees.models import Attendee
from web.auth.models import User
from web.auth.services import create_api_token, create_user
from web.checkin.desk import register_walk_in
from web.checkin.messages import result_message
from web.checkin.services import CheckInError, annul, check_in, check_in_attendee, get_checkin, live_counts
from web.extensions import db
from web.liveday.clock import delay_clock
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.types import utcnow

UTC = dt.UTC
# 13:00 in Amsterdam on the fixture event's day, before round 1 (14:00).
BEFORE_START = dt.datetime(2031, 6, 12, 11, 0, tzinfo=UTC)


def nonce() -> str:
    return str(uuid.uuid4())


def active_rows(attendee: Attendee) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(
        CheckIn.attendee_id == attendee.id, CheckIn.annulled_at.is_(None)))


def all_rows(event) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.event_id == event.id))


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def ana(event, make_attendee):
    return make_attendee(event, name="Ana Lima", company="Nimbus")


def publish(event, meetings):
    version = ScheduleVersion(event_id=event.id, number=1, status="published", kind="plan",
                              published_at=dt.datetime.now(UTC))
    db.session.add(version)
    db.session.flush()
    for rnd, table, a, b in meetings:
        db.session.add(ScheduleMeeting(version_id=version.id, round=rnd, table=table, a_id=a.id, b_id=b.id))
    db.session.commit()
    return version


# --------------------------------------------------------------------------- service


def test_welcome_then_already_with_first_time_and_device(event, ana):
    first = check_in(event, ana.checkin_code, nonce=nonce(), device="Desk 1")
    assert first.status == "welcome" and first.attendee.id == ana.id
    assert first.checkin.device == "Desk 1" and first.checkin.annulled_at is None
    assert result_message(first) == "Welcome, Ana Lima"

    second = check_in(event, ana.checkin_code, nonce=nonce(), device="Desk 2")
    assert second.status == "already"
    assert second.checkin.id == first.checkin.id and second.checkin.device == "Desk 1"
    local = first.checkin.created_at.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%H:%M")
    assert not missing_facts(result_message(second), "Ana Lima", "already checked in", local, "Desk 1")
    assert active_rows(ana) == 1 and all_rows(event) == 1


def test_code_with_surrounding_whitespace_is_accepted(event, ana):
    assert check_in(event, f"  {ana.checkin_code}\r\n", nonce=nonce()).status == "welcome"


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-1] + ("A" if c[-1] != "A" else "B"),  # one character altered
    lambda c: c[:-1],                                      # truncated
    lambda c: c.upper() if c.upper() != c else c.lower(),  # case changed
    lambda c: c + "x",                                     # extended
    lambda c: "",
    lambda c: "' OR 1=1 --",
    lambda c: "%",
])
def test_forged_or_altered_codes_are_unknown(event, ana, mangle):
    result = check_in(event, mangle(ana.checkin_code), nonce=nonce(), device="Desk 1")
    assert result.status == "unknown" and result.attendee is None and result.checkin is None
    assert result_message(result) == "Unknown code"
    assert all_rows(event) == 0


def test_a_code_from_another_event_is_unknown(make_event, make_attendee, event):
    other = make_event()
    stranger = make_attendee(other)
    assert check_in(event, stranger.checkin_code, nonce=nonce()).status == "unknown"


def test_the_personal_page_token_is_not_a_check_in_code(event, ana):
    assert check_in(event, ana.token, nonce=nonce()).status == "unknown"


def test_repeating_a_nonce_returns_the_original_answer_without_a_second_row(event, ana):
    n = nonce()
    first = check_in(event, ana.checkin_code, nonce=n, device="Desk 1")
    again = check_in(event, ana.checkin_code, nonce=n, device="Desk 1")
    assert again.status == "welcome" and again.replayed and not first.replayed
    assert again.checkin.id == first.checkin.id
    assert all_rows(event) == 1


def test_a_nonce_cannot_be_reused_for_somebody_else(event, ana, make_attendee):
    bob = make_attendee(event, name="Bob")
    n = nonce()
    check_in(event, ana.checkin_code, nonce=n)
    with pytest.raises(CheckInError):
        check_in(event, bob.checkin_code, nonce=n)
    assert active_rows(bob) == 0


def test_bad_nonces_are_refused(event, ana):
    for bad in ("", "short", "x" * 65, "has space inside"):
        with pytest.raises(CheckInError):
            check_in(event, ana.checkin_code, nonce=bad)


def test_annul_then_check_in_again(event, ana, organiser_user):
    first = check_in(event, ana.checkin_code, nonce=nonce(), device="Desk 1")
    row = get_checkin(event, first.checkin.id)
    annul(row, organiser_user)
    assert row.annulled_at is not None and row.annulled_by_id == organiser_user.id
    assert live_counts(event).checked_in == 0
    annulled_at = row.annulled_at
    annul(row, None)  # a second undo keeps the first one's record
    assert row.annulled_at == annulled_at and row.annulled_by_id == organiser_user.id

    second = check_in(event, ana.checkin_code, nonce=nonce(), device="Desk 2")
    assert second.status == "welcome" and second.checkin.id != first.checkin.id
    assert active_rows(ana) == 1 and all_rows(event) == 2
    assert live_counts(event).checked_in == 1


def test_welcome_names_the_first_meeting_from_the_published_schedule(event, ana, make_attendee):
    bob, cleo = make_attendee(event, name="Bob"), make_attendee(event, name="Cleo")
    publish(event, [(2, 3, bob, ana), (4, 1, ana, cleo)])
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=BEFORE_START)
    meeting = result.first_meeting
    assert (meeting.round, meeting.table, meeting.partner) == (2, 3, "Bob")
    assert meeting.start == dt.datetime(2031, 6, 12, 14, 10)
    assert not missing_facts(result_message(result), "Ana Lima", "round 2", "table 3", "Bob", "14:10")


def test_a_late_arrival_is_told_their_next_meeting_with_the_table_label(event, ana, make_attendee):
    event.table_labels = "Window\nBar\nStage"
    db.session.commit()
    bob, cleo = make_attendee(event, name="Bob"), make_attendee(event, name="Cleo")
    publish(event, [(1, 1, bob, ana), (4, 3, ana, cleo)])
    # 14:20 local: rounds 1 and 2 are over, round 4 starts at 14:30.
    late = dt.datetime(2031, 6, 12, 12, 20, tzinfo=UTC)
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=late)
    assert not missing_facts(result_message(result), "Ana Lima", "round 4", "table Stage", "Cleo", "14:30")


def test_without_a_published_schedule_the_welcome_is_just_the_name(event, ana, make_attendee):
    bob = make_attendee(event)
    version = publish(event, [(1, 1, ana, bob)])
    version.status = "draft"
    db.session.commit()
    result = check_in(event, ana.checkin_code, nonce=nonce(), now=BEFORE_START)
    assert result.first_meeting is None and result_message(result) == "Welcome, Ana Lima"


def test_check_in_by_attendee_refuses_another_events_attendee(make_event, make_attendee, event):
    stranger = make_attendee(make_event())
    with pytest.raises(CheckInError):
        check_in_attendee(event, stranger, nonce=nonce())


def test_walk_in_is_validated_created_and_checked_in_once(event):
    cells = {"name": "Walker Kim", "company": "Late Co", "region": "EMEA", "partner_type": "ISV",
             "offers": "Hosting", "seeks": "DevOps", "email": ""}
    n = nonce()
    registered = register_walk_in(event, cells, nonce=n, device="Desk 1")
    assert registered.result.status == "welcome"
    row = registered.attendee
    assert (row.name, row.source, row.ext_id) == ("Walker Kim", "walk-in", "W001")
    assert row.checkin_code and row.checkin_code != row.token
    again = register_walk_in(event, cells, nonce=n, device="Desk 1")  # form sent twice
    assert again.attendee.id == row.id
    assert db.session.scalar(select(func.count()).select_from(Attendee).where(Attendee.event_id == event.id)) == 1
    second = register_walk_in(event, {**cells, "name": "Walker Two"}, nonce=nonce())
    assert second.attendee.ext_id == "W002"


def test_walk_in_with_missing_fields_uses_the_importer_messages(event):
    from web.attendees.services import AttendeeRowInvalid

    with pytest.raises(AttendeeRowInvalid) as info:
        register_walk_in(event, {"name": "", "company": "", "region": "EMEA", "partner_type": "ISV",
                                 "offers": "Hosting", "seeks": ""}, nonce=nonce())
    assert {"name", "company"} <= set(info.value.field_errors)
    assert all_rows(event) == 0


# --------------------------------------------------------------------------- kiosk pages


def kiosk_url(event) -> str:
    return f"/checkin/{event.slug}"


def name_kiosk(client, event, name="Desk 1"):
    response = submit(client, f"/checkin/{event.slug}/device", {"device": name})
    assert response.status_code == 302
    return response


def hidden_nonce(html: str) -> str:
    return re.search(r'name="nonce" type="hidden" value="([^"]+)"|name="nonce" value="([^"]+)"', html).group(1)


def scan(client, event, code, nonce_value=None):
    page = client.get(kiosk_url(event)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    found = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page)
    return client.post(kiosk_url(event), data={"csrf_token": token, "code": code,
                                              "nonce": nonce_value or found.group(1)})


def test_staff_land_on_check_in_and_cannot_reach_the_console(app, event):
    client = app.test_client()
    create_user(STAFF_EMAIL, "correct horse battery", "staff")
    response = submit(client, "/login", {"email": STAFF_EMAIL, "password": "correct horse battery"})
    assert response.headers["Location"].endswith("/checkin/")
    # One event: straight to its kiosk.
    assert client.get("/checkin/").headers["Location"].endswith(kiosk_url(event))
    assert client.get("/").headers["Location"].endswith("/checkin/")
    assert client.get(kiosk_url(event)).status_code == 200
    assert client.get("/console/").status_code == 403
    # Under an event a refusal reads like an unknown event (web.events.access).
    assert client.get(f"/console/{event.slug}/").status_code == 404


def test_kiosk_needs_sign_in(client, event):
    for url in (kiosk_url(event), f"/checkin/{event.slug}/walk-in", f"/checkin/{event.slug}/counts.json"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_kiosk_asks_for_a_name_once_per_device(staff, event):
    page = staff.get(kiosk_url(event)).get_data(as_text=True)
    assert 'id="device"' in page and 'id="scan-form"' not in page  # the kiosk's name is asked first
    name_kiosk(staff, event, "Entrance <tablet>")
    page = staff.get(kiosk_url(event)).get_data(as_text=True)
    assert 'id="scan-form"' in page
    assert "Entrance &lt;tablet&gt;" in page and "Entrance <tablet>" not in page


def test_scan_form_without_javascript(staff, event, ana):
    name_kiosk(staff, event)
    response = scan(staff, event, f" {ana.checkin_code} ")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "answer-welcome" in html and "Welcome, Ana Lima" in html
    assert "Undo this check-in" in html
    checkin = db.session.scalar(select(CheckIn).where(CheckIn.attendee_id == ana.id))
    assert checkin.device == "Desk 1" and checkin.staff_user.email == STAFF_EMAIL

    html = scan(staff, event, ana.checkin_code).get_data(as_text=True)
    assert "answer-already" in html and not missing_facts(plain(html), "already checked in", "Desk 1")
    html = scan(staff, event, "not-a-real-code-0000000000").get_data(as_text=True)
    assert "answer-unknown" in html and "Unknown code" in html


def test_resubmitting_the_scan_form_does_not_check_in_twice(staff, event, ana):
    name_kiosk(staff, event)
    n = nonce()
    assert "Welcome, Ana Lima" in scan(staff, event, ana.checkin_code, n).get_data(as_text=True)
    assert "Welcome, Ana Lima" in scan(staff, event, ana.checkin_code, n).get_data(as_text=True)
    assert all_rows(event) == 1


def test_scan_without_csrf_token_is_refused(staff, event, ana):
    name_kiosk(staff, event)
    response = staff.post(kiosk_url(event), data={"code": ana.checkin_code, "nonce": nonce()})
    assert response.status_code == 400
    response = staff.post(f"/checkin/{event.slug}/scan.json", json={"code": ana.checkin_code, "nonce": nonce()})
    assert response.status_code == 400
    assert all_rows(event) == 0


def test_scan_json_for_the_kiosk_script(staff, event, ana):
    name_kiosk(staff, event)
    token = csrf_token(staff, kiosk_url(event))
    n = nonce()
    post = lambda body: staff.post(f"/checkin/{event.slug}/scan.json", json=body,  # noqa: E731
                                   headers={"X-CSRFToken": token})
    first = post({"code": ana.checkin_code, "nonce": n})
    assert first.status_code == 201
    assert first.json["message"] == "Welcome, Ana Lima" and first.json["checkin"]["device"] == "Desk 1"
    assert first.json["annul_url"].endswith(f"/checkins/{first.json['checkin']['id']}/annul")
    assert post({"code": ana.checkin_code, "nonce": n}).json["replayed"] is True
    already = post({"code": ana.checkin_code, "nonce": nonce()})
    assert already.status_code == 200 and already.json["status"] == "already"
    unknown = post({"code": "garbage", "nonce": nonce()})
    assert unknown.status_code == 404 and unknown.json["status"] == "unknown"
    assert post({"code": ana.checkin_code, "nonce": "bad"}).status_code == 409
    assert all_rows(event) == 1


def test_search_by_name_or_company_and_check_in_from_the_results(staff, event, ana, make_attendee):
    make_attendee(event, name="<b>Bold</b> Person", company="Markup & Co")
    name_kiosk(staff, event)
    html = staff.get(kiosk_url(event) + "?q=nimbus").get_data(as_text=True)
    assert "Ana Lima" in html and "Bold" not in html
    html = staff.get(kiosk_url(event) + "?q=markup").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; Person" in html and "<b>Bold</b>" not in html

    page = staff.get(kiosk_url(event) + "?q=Ana").get_data(as_text=True)
    action = f"/checkin/{event.slug}/attendees/{ana.id}"
    form = page[page.index(f'action="{action}"'):]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    n = re.search(r'name="nonce" value="([^"]+)"', form).group(1)
    response = staff.post(action, data={"csrf_token": token, "nonce": n})
    assert "Welcome, Ana Lima" in response.get_data(as_text=True)
    assert active_rows(ana) == 1
    html = staff.get(kiosk_url(event) + "?q=Ana").get_data(as_text=True)
    assert "Checked in at" in html and f'action="{action}"' not in html
    assert staff.post(action, data={"csrf_token": token, "nonce": n}).status_code == 200
    assert all_rows(event) == 1


def test_undo_a_check_in_from_the_kiosk(staff, event, ana):
    name_kiosk(staff, event)
    scan(staff, event, ana.checkin_code)
    checkin = db.session.scalar(select(CheckIn).where(CheckIn.attendee_id == ana.id))
    url = f"/checkin/{event.slug}/checkins/{checkin.id}/annul"
    assert staff.post(url).status_code == 400  # no CSRF token
    response = submit(staff, url, form_url=kiosk_url(event))
    assert response.status_code == 302
    db.session.expire_all()
    checkin = db.session.get(CheckIn, checkin.id)
    assert checkin.annulled_at is not None and checkin.annulled_by.email == STAFF_EMAIL
    html = staff.get(kiosk_url(event)).get_data(as_text=True)
    assert not missing_facts(plain(html), "Ana Lima", "undone")
    assert "Welcome, Ana Lima" in scan(staff, event, ana.checkin_code).get_data(as_text=True)


def test_walk_in_form_creates_checks_in_and_offers_the_badge(staff, event):
    name_kiosk(staff, event)
    url = f"/checkin/{event.slug}/walk-in"
    page = staff.get(url).get_data(as_text=True)
    n = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    data = {"name": "Walker Kim", "company": "Late Co", "region": "EMEA", "partner_type": "ISV",
            "offers": "Hosting", "seeks": "DevOps", "email": "walker@example.com", "nonce": n}
    response = submit(staff, url, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Welcome, Walker Kim" in html
    walker = db.session.scalar(select(Attendee).where(Attendee.name == "Walker Kim"))
    assert walker.source == "walk-in" and walker.email == "walker@example.com"
    # Staff print the walk-in's badge right at the desk: one A6 page whose QR is the code.
    badge_url = f"/checkin/{event.slug}/badge/{walker.ext_id}.pdf"
    assert badge_url in html
    badge = staff.get(badge_url)
    assert badge.status_code == 200 and badge.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(badge.data)).pages) == 1
    assert staff.get(f"/checkin/{event.slug}/badge/NOPE.pdf").status_code == 404
    assert active_rows(walker) == 1
    submit(staff, url, data)  # sent twice: still one person, one check-in
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 1 and all_rows(event) == 1


def test_organiser_at_the_desk_gets_the_badge_download_for_a_walk_in(organiser, event):
    name_kiosk(organiser, event)
    url = f"/checkin/{event.slug}/walk-in"
    page = organiser.get(url).get_data(as_text=True)
    n = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    html = submit(organiser, url, {"name": "Walker Kim", "company": "Late Co", "region": "EMEA",
                                   "partner_type": "ISV", "offers": "Hosting", "nonce": n}).get_data(as_text=True)
    link = re.search(r'href="([^"]*/badge/[^"]*)"', html).group(1)
    assert link == f"/checkin/{event.slug}/badge/W001.pdf"
    badge = organiser.get(link)
    assert badge.status_code == 200 and badge.data.startswith(b"%PDF")


def test_walk_in_form_shows_errors(staff, event):
    name_kiosk(staff, event)
    url = f"/checkin/{event.slug}/walk-in"
    page = staff.get(url).get_data(as_text=True)
    n = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    response = submit(staff, url, {"name": "", "company": "X", "region": "EMEA", "partner_type": "ISV",
                                   "offers": "Hosting", "nonce": n})
    assert response.status_code == 422 and 'id="name-errors"' in response.get_data(as_text=True)
    response = submit(staff, url, {"name": "A", "company": "X", "region": "Mars", "partner_type": "ISV",
                                   "offers": "Hosting", "nonce": n})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Attendee)) == 0


def test_live_counts_endpoint_and_overview(organiser, staff, event, ana, make_attendee):
    make_attendee(event)
    check_in(event, ana.checkin_code, nonce=nonce())
    data = staff.get(f"/checkin/{event.slug}/counts.json").json
    assert (data["checked_in"], data["expected"]) == (1, 2) and data["csrf_token"]
    page = organiser.get(f"/console/{event.slug}/").get_data(as_text=True)
    assert f'data-counts-url="/checkin/{event.slug}/counts.json"' in page
    assert 'src="/static/checkin.js"' in page


def test_kiosk_page_scripts_are_static_files(staff, event):
    name_kiosk(staff, event)
    html = staff.get(kiosk_url(event)).get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    for src in re.findall(r'<script src="([^"]+)"', html):
        assert staff.get(src).status_code == 200, src
    assert "/static/vendor/jsqr/jsQR.js" in html


# --------------------------------------------------------------------------- API


@pytest.fixture
def staff_token(app):
    return create_api_token(create_user("scanner@example.com", "correct horse battery", "staff"), "kiosk")


def api(client, token, event, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"/api/v1/events/{event.slug}/checkins"
    return client.post(url, json=body, headers=headers) if body is not None else client.get(url, headers=headers)


def test_api_needs_a_token(client, event, ana):
    body = {"code": ana.checkin_code, "nonce": nonce()}
    assert api(client, None, event, body).status_code == 401
    assert api(client, "sn_not-a-token", event, body).status_code == 401
    assert api(client, None, event).status_code == 401
    assert all_rows(event) == 0


def test_api_check_in_is_idempotent_per_nonce(client, event, ana, staff_token):
    body = {"code": ana.checkin_code, "nonce": nonce(), "device": "Gate A"}
    first = api(client, staff_token, event, body)
    assert first.status_code == 201 and first.json["status"] == "welcome"
    assert first.json["attendee"]["name"] == "Ana Lima" and first.json["checkin"]["device"] == "Gate A"
    again = api(client, staff_token, event, body)
    assert again.status_code == 201 and again.json["replayed"] is True
    assert again.json["checkin"]["id"] == first.json["checkin"]["id"]
    already = api(client, staff_token, event, {**body, "nonce": nonce(), "device": "Gate B"})
    assert already.status_code == 200 and already.json["status"] == "already"
    assert already.json["checkin"]["device"] == "Gate A"
    assert already.json["checkin"]["checked_in_at"] == first.json["checkin"]["checked_in_at"]
    unknown = api(client, staff_token, event, {**body, "code": "x" * 32, "nonce": nonce()})
    assert unknown.status_code == 404 and unknown.json["status"] == "unknown"
    assert unknown.json["attendee"] is None
    assert all_rows(event) == 1
    assert api(client, staff_token, event, {"code": ana.checkin_code}).status_code == 422  # nonce missing


def test_api_lists_check_ins_with_annulled_ones_marked(client, event, ana, make_attendee, staff_token):
    bob = make_attendee(event, name="Bob")
    first = check_in(event, ana.checkin_code, nonce=nonce(), device="Gate A")
    annul(get_checkin(event, first.checkin.id), db.session.scalar(select(User)))
    check_in(event, ana.checkin_code, nonce=nonce(), device="Gate B")
    check_in(event, bob.checkin_code, nonce=nonce(), device="Gate A")
    listing = api(client, staff_token, event)
    assert listing.status_code == 200
    rows = listing.json["checkins"]
    assert [(r["attendee_name"], r["device"], r["annulled_at"] is not None) for r in rows] == [
        ("Ana Lima", "Gate A", True), ("Ana Lima", "Gate B", False), ("Bob", "Gate A", False)]
    assert (listing.json["checked_in"], listing.json["expected"]) == (2, 2)
    assert client.get("/api/v1/events/no-such-event/checkins",
                      headers={"Authorization": f"Bearer {staff_token}"}).status_code == 404


def test_api_welcome_shows_a_delay_the_moment_it_is_announced(client, make_event, make_attendee,
                                                               staff_token):
    """Workers remember the event a kiosk names for a moment; a change made through this
    worker reaches the next scan at once."""
    tomorrow = dt.datetime.now(ZoneInfo("Europe/Amsterdam")) + dt.timedelta(days=1)
    start = tomorrow.replace(hour=14, minute=0, second=0, microsecond=0, tzinfo=None)
    event = make_event(date=start.date(), start=start)
    ana, bob, cleo, dan = (make_attendee(event, name=name) for name in ("Ana", "Bob", "Cleo", "Dan"))
    publish(event, [(1, 1, ana, bob), (1, 2, cleo, dan)])
    before = api(client, staff_token, event, {"code": ana.checkin_code, "nonce": nonce()})
    assert not missing_facts(before.json["message"], "Ana", "round 1", "table 1", "Bob", "14:00")

    delay_clock(event, 15, now=utcnow())
    after = api(client, staff_token, event, {"code": cleo.checkin_code, "nonce": nonce()})
    assert not missing_facts(after.json["message"], "Cleo", "round 1", "table 2", "Dan", "14:15")


def test_api_refuses_a_deactivated_account_at_once(client, event, ana, make_attendee, staff_token):
    assert api(client, staff_token, event, {"code": ana.checkin_code, "nonce": nonce()}).status_code == 201
    scanner = db.session.scalar(select(User).where(User.email == "scanner@example.com"))
    scanner.active = False
    db.session.commit()
    bob = make_attendee(event, name="Bob")
    assert api(client, staff_token, event, {"code": bob.checkin_code, "nonce": nonce()}).status_code == 401
    assert active_rows(bob) == 0


def test_api_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    operations = spec["paths"]["/api/v1/events/{slug}/checkins"]
    assert {"get", "post"} <= set(operations)
    assert {"200", "201", "404"} <= set(operations["post"]["responses"])
    assert "CheckInRequest" in spec["components"]["schemas"]
