"""Personal links and badge codes are credentials: the database keeps only their hashes (and a
nonce each), the plain values are derived under SECRET_KEY when a badge, mail or link needs them."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import insert, select

from tests.web.conftest import attendee_file, person
from tests.web.test_attendees import commit, rows_of, upload
from web import create_app
from web.attendees.models import Attendee, code_hash
from web.attendees.services import attendee_for_token
from web.checkin.services import check_in
from web.extensions import db


def database_bytes(app) -> bytes:
    """Everything SQLite wrote for the app's database: the file and its journal/WAL."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    path = Path(url.removeprefix("sqlite:///"))
    db.session.commit()
    db.session.close()
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_no_database_row_holds_a_plain_personal_token_or_check_in_code(app, organiser, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, name="Ana Lima")
    upload(organiser, event, attendee_file([person("A1"), person("A2")]))
    commit(organiser, event)
    people = [*rows_of(event).values()]
    assert len(people) == 3
    plain = [(p.token, p.checkin_code, p.token_hash) for p in people]
    assert code_hash(ana.token) == db.session.get(Attendee, ana.id).token_hash

    stored = database_bytes(app)
    for token, code, token_hash in plain:
        assert token.encode() not in stored and code.encode() not in stored
        assert token_hash.encode() in stored  # what is stored instead


def test_derived_codes_open_the_page_and_the_door(app, client, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, name="Ana Lima")
    assert client.get(f"/me/{ana.token}").status_code == 200
    assert client.get(f"/me/{ana.token[:-1]}x").status_code == 404
    assert client.get(f"/me/{ana.checkin_code}").status_code == 404  # the badge does not open the page
    assert check_in(event, ana.checkin_code, nonce=uuid.uuid4().hex).status == "welcome"
    assert check_in(event, ana.token, nonce=uuid.uuid4().hex).status == "unknown"


def test_a_bulk_insert_without_codes_stores_matching_hashes(app, make_event):
    event = make_event()
    db.session.execute(insert(Attendee), [
        {"event_id": event.id, "ext_id": f"B{i}", "name": f"Bulk {i}", "badge_number": i + 1} for i in range(3)])
    db.session.commit()
    for row in db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)):
        assert attendee_for_token(row.token) == row
        assert row.checkin_code_hash == code_hash(row.checkin_code)


def test_renewing_a_link_ends_the_old_one_and_keeps_the_badge(app, client, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event)
    old_link, badge = ana.token, ana.checkin_code
    ana.renew_personal_link()
    db.session.commit()
    assert client.get(f"/me/{old_link}").status_code == 404
    assert client.get(f"/me/{ana.token}").status_code == 200
    assert ana.checkin_code == badge


def test_another_secret_key_gives_other_links_and_codes_once_rehashed(app, make_event, make_attendee):
    """Documented: changing SECRET_KEY changes every personal link and badge code; the stored
    hashes follow with `flask attendee-codes rehash`."""
    event = make_event()
    ana = make_attendee(event)
    ana_id, link, badge = ana.id, ana.token, ana.checkin_code
    db.session.remove()
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "INSTANCE_PATH": app.instance_path, "SECRET_KEY": "another-secret-key"})
    runner = other.test_cli_runner()
    with other.app_context():
        row = db.session.get(Attendee, ana_id)
        new_link, new_badge = row.token, row.checkin_code
        assert (new_link, new_badge) != (link, badge)
        assert runner.invoke(args=["attendee-codes", "check"]).exit_code == 1
        assert attendee_for_token(new_link) is None  # not until the hashes follow the key
        assert runner.invoke(args=["attendee-codes", "rehash", "--yes"]).exit_code == 0
        assert runner.invoke(args=["attendee-codes", "check"]).exit_code == 0
        assert attendee_for_token(link) is None and attendee_for_token(new_link).id == ana_id
        db.session.remove()
        db.engine.dispose()
