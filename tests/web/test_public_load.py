"""The door never waits: public pages read one attendee's rows whatever the event's size,
rate limits count per client (behind trusted proxies, by the forwarded address), a database
lock held past its timeout answers 503 with Retry-After, and a registration checks the new
row without reading the whole attendee list."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from tests.web.conftest import PASSWORD
from tests.web.test_me import store_version
from web.attendees.models import Attendee
from web.attendees.services import validate_row
from web.auth.services import create_api_token, create_user
from web.extensions import db


@contextlib.contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the app sends while the block runs, plus one ``"load attendee"``
    entry per attendee row loaded (a single SELECT of the whole list is one statement, so
    statements alone would not show it)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    def loaded(_target: Any, _context: Any) -> None:
        seen.append("load attendee")

    sa_event.listen(db.engine, "before_cursor_execute", record)
    sa_event.listen(Attendee, "load", loaded)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
        sa_event.remove(Attendee, "load", loaded)


def published_event(make_event, make_attendee, people: int, slug: str):
    """An event of ``people`` attendees with a published round robin over its rounds."""
    event = make_event(slug=slug, rounds=4, tables=max(1, people // 2))
    rows = [make_attendee(event, ext_id=f"P{i:04d}", name=f"Person {i}") for i in range(people)]
    meetings = []
    for r in range(1, 5):
        ring = rows[:1] + rows[1:][r:] + rows[1:][:r]
        half = len(ring) // 2
        meetings += [(r, t + 1, a, b) for t, (a, b) in enumerate(zip(ring[:half], reversed(ring[half:])))]
    store_version(event, meetings)
    return event, rows


NONCE_1, NONCE_2 = "a" * 32, "b" * 32

PAGES = ("/me/{token}", "/me/{token}/now.json", "/me/{token}/agenda.ics", "/me/{token}/agenda.pdf",
         "/display/{slug}/{key}", "/display/{slug}/{key}/state.json")


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_public_pages_read_the_same_rows_for_any_event_size(app, client, make_event, make_attendee, page):
    counts = []
    for people in (6, 40, 160):
        event, rows = published_event(make_event, make_attendee, people, f"size-{people}")
        app.extensions.pop("speednet.public_pages", None)  # a cold cache: the real reads
        url = page.format(token=rows[3].token, slug=event.slug, key=event.display_key)
        with statements() as seen:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if page.startswith("/display"):
            # the display lists everyone seated in the round it shows: those rows, no more
            assert seen.count("load attendee") <= people
            seen = [s for s in seen if s != "load attendee"]
        counts.append(len(seen))
        if page == "/me/{token}":
            assert "Person 3" in response.get_data(as_text=True)
    assert counts[0] == counts[1] == counts[2], f"{page}: statements by event size {counts}"


def test_personal_page_is_rendered_once_per_published_version(app, client, make_event, make_attendee):
    event, rows = published_event(make_event, make_attendee, 12, "cached")
    url = f"/me/{rows[0].token}/agenda.pdf"
    assert client.get(url).status_code == 200
    with statements() as seen:
        again = client.get(url)
    assert again.status_code == 200 and again.data.startswith(b"%PDF")
    assert not any("schedule_meetings" in s for s in seen), "a second download re-read the meetings"
    # a new published version is a new entry: the agenda follows the re-plan at once
    ana, bo = rows[0], rows[5]
    store_version(event, [(1, 1, ana, bo)])
    with statements() as seen:
        page = client.get(f"/me/{ana.token}")
    assert page.status_code == 200 and "Person 5" in page.get_data(as_text=True)
    assert any("schedule_meetings" in s for s in seen)


def test_registration_reads_only_the_rows_it_names(app, make_event, make_attendee):
    counts = []
    for people in (5, 120):
        event = make_event(slug=f"reg-{people}")
        for i in range(people):
            make_attendee(event, ext_id=f"Q{i:04d}", name=f"Person {i}")
        cells = {"id": "NEW1", "name": "New Person", "company": "Acme", "region": "EMEA",
                 "partner_type": "ISV", "offers": "Cloud Hosting", "seeks": "", "must_meet": "Q0001"}
        with statements() as seen:
            attendee, _warnings = validate_row(event, cells)
        assert attendee.must_meet == ("Q0001",)
        counts.append(len(seen))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("cells,field,words", [
    ({"id": "Q0002"}, "id", "another attendee (Person 2) already has the id"),
    ({"must_meet": "NOPE"}, "must_meet", "unknown id 'NOPE'"),
    ({"must_meet": "q0001"}, "must_meet", "did you mean 'Q0001'"),
    ({"avoid": "NEW1"}, "avoid", "own id"),
])
def test_one_row_checks_still_catch_clashes_with_stored_people(app, make_event, make_attendee,
                                                               cells, field, words):
    from web.attendees.services import AttendeeRowInvalid

    event = make_event(slug="reg-clash")
    for i in range(4):
        make_attendee(event, ext_id=f"Q{i:04d}", name=f"Person {i}")
    row = {"id": "NEW1", "name": "New Person", "company": "Acme", "region": "EMEA",
           "partner_type": "ISV", "offers": "Cloud Hosting", "seeks": "", **cells}
    with pytest.raises(AttendeeRowInvalid) as caught:
        validate_row(event, row)
    assert any(words in message for message in caught.value.field_errors.get(field, [])), caught.value


def test_must_meet_someone_who_avoids_the_new_row_warns(app, make_event, make_attendee):
    event = make_event(slug="reg-avoid")
    make_attendee(event, ext_id="Q0001", name="Person 1", avoid="NEW1")
    row = {"id": "NEW1", "name": "New Person", "company": "Acme", "region": "EMEA",
           "partner_type": "ISV", "offers": "Cloud Hosting", "seeks": "", "must_meet": "Q0001"}
    _attendee, warnings = validate_row(event, row)
    assert any("asked to avoid" in w.message for w in warnings)


# ------------------------------------------------------------------------ 503 on a held lock


@pytest.fixture
def app_config(tmp_path) -> dict[str, Any]:
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 0.2}}}


def test_a_lock_held_past_the_timeout_answers_503_with_retry_after(app, client, make_event,
                                                                   make_attendee):
    event = make_event(slug="locked")
    ana = make_attendee(event, name="Ana Lima")
    user = create_user("kiosk@example.com", PASSWORD, "staff")
    token = create_api_token(user, "kiosk")
    scan = f"/api/v1/events/{event.slug}/checkins"
    auth = {"Authorization": f"Bearer {token}"}
    code = ana.checkin_code
    db.session.remove()
    holder = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer (a long import) holds the lock
        holder.execute("UPDATE events SET name = name")
        for nonce in (NONCE_1, NONCE_2):
            response = client.post(scan, json={"code": code, "nonce": nonce,
                                               "device": "K1"}, headers=auth)
            assert response.status_code == 503, response.get_data(as_text=True)
            assert response.headers["Retry-After"] == "1"
            assert response.is_json  # the kiosk reads it as a retryable answer, not a crash
    finally:
        holder.rollback()
        holder.close()
    again = client.post(scan, json={"code": code, "nonce": NONCE_2, "device": "K1"},
                        headers=auth)
    assert again.status_code in (200, 201), again.get_data(as_text=True)  # the kiosk's resend goes through once the lock is gone


@pytest.mark.parametrize("path", ["registration", "walk-in"])
def test_registration_and_walk_in_cost_the_same_at_any_event_size(app, make_event, make_attendee, path):
    from web.checkin.desk import register_walk_in
    from web.public.services import Registration, register

    counts = []
    for people in (5, 150):
        event = make_event(slug=f"{path}-{people}", registration_open=True)
        for i in range(people):
            make_attendee(event, ext_id=f"R{i + 1:04d}" if i % 2 else f"W{i + 1:03d}", name=f"Person {i}",
                          source="registration" if i % 2 else "walk-in")
        with statements() as seen:
            if path == "registration":
                result = register(event, Registration(name="New Person", email=f"new{people}@example.com",
                                                      company="Acme", region="EMEA", partner_type="ISV",
                                                      offers=("Cloud Hosting",)))
                assert result.attendee is not None and result.attendee.ext_id.startswith("R")
            else:
                walk_in = register_walk_in(event, {"name": "New Person", "company": "Acme", "region": "EMEA",
                                                   "partner_type": "ISV", "offers": "Cloud Hosting",
                                                   "seeks": ""}, nonce="c" * 32)
                assert walk_in.attendee.ext_id.startswith("W")
        counts.append(len(seen))
    assert counts[0] == counts[1], f"statements by event size {counts}"
