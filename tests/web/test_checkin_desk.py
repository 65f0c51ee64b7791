"""The check-in desk for people without a working badge and for people who cannot see the
screen: accent-insensitive search, a badge from another event named as such, and every answer
spoken through a live region."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event as sqlalchemy_event

from tests.support.text import missing_facts, text_of
from tests.web.conftest import csrf_token
from tests.web.test_checkin import kiosk_url, name_kiosk
from web.checkin.desk import search_desk
from web.checkin.services import check_in
from web.extensions import db


def nonce() -> str:
    return str(uuid.uuid4())


def found(event, query: str) -> list[str]:
    return [match.attendee.name for match in search_desk(event, query)]


# Names with accents (and letters that do not decompose) as a desk keyboard types them.
ACCENTED = [
    ("Jürgen Müller", ["Muller", "muller", "MÜLLER", "jurgen muller", "Müller"]),
    ("François Lefèvre", ["Francois", "lefevre", "FRANÇOIS", "francois lefevre"]),
    ("Zoë Åström", ["Zoe", "astrom", "zoe astrom", "ÅSTRÖM"]),
    ("Søren Kierkegård", ["Soren", "kierkegard", "søren"]),
    ("Łukasz Żółć", ["Lukasz", "zolc", "łukasz"]),
    ("José Núñez", ["jose", "Nunez", "núñez"]),
    ("Ærøskøbing Straße", ["aeroskobing", "strasse", "straße"]),
    ("Ελένη Παπαδοπούλου", ["Ελενη", "ελένη", "παπαδοπουλου"]),
]


@pytest.mark.parametrize("name, queries", ACCENTED, ids=[n for n, _ in ACCENTED])
def test_desk_search_ignores_accents_and_case(make_event, make_attendee, name, queries):
    event = make_event()
    make_attendee(event, name=name, company="Nimbus")
    make_attendee(event, name="Ben Ode", company="Other")
    for query in queries:
        assert found(event, query) == [name], query


def test_desk_search_matches_company_and_id_and_every_word(make_event, make_attendee):
    event = make_event()
    make_attendee(event, ext_id="X-17", name="Ana Lima", company="Société Générale", email="ana@example.com")
    make_attendee(event, name="Ana Costa", company="Contoso")
    assert found(event, "societe generale") == ["Ana Lima"]
    assert found(event, "x-17") == ["Ana Lima"]
    assert found(event, "ana lima") == ["Ana Lima"]      # every word, anywhere
    assert found(event, "lima ana") == ["Ana Lima"]
    assert sorted(found(event, "ana")) == ["Ana Costa", "Ana Lima"]
    assert found(event, "   ") == [] and found(event, "nobody") == []


def test_desk_search_never_matches_an_email_address(make_event, make_attendee):
    """The desk shows no e-mail address, so it must not confirm one either."""
    event = make_event()
    make_attendee(event, name="Ana Lima", company="Contoso", email="ana.private@example.org")
    assert found(event, "ana.private@example.org") == []
    assert found(event, "private") == []
    assert found(event, "example.org") == []
    assert found(event, "ana") == ["Ana Lima"]


def test_desk_search_lists_by_family_name_and_stays_in_its_event(make_event, make_attendee):
    event, other = make_event(), make_event()
    for name in ("Zoë Adams", "Ana Müller", "Ben Moreau", "Cleo"):
        make_attendee(event, name=name, company="Acme")
    make_attendee(other, name="Ana Müller", company="Acme")
    assert found(event, "acme") == ["Zoë Adams", "Cleo", "Ben Moreau", "Ana Müller"]
    assert len(found(event, "muller")) == 1
    event.name_order = "first"
    db.session.commit()
    assert found(event, "acme") == ["Ana Müller", "Ben Moreau", "Cleo", "Zoë Adams"]


def test_the_kiosk_page_finds_an_accented_name_typed_without_accents(staff, make_event, make_attendee):
    event = make_event()
    make_attendee(event, name="Jürgen Müller", company="Nimbus")
    name_kiosk(staff, event)
    html = staff.get(kiosk_url(event) + "?q=Muller").get_data(as_text=True)
    assert "Jürgen Müller" in html and "Nobody matches" not in html


def test_a_badge_of_another_event_is_named_without_revealing_its_attendee(staff, make_event, make_attendee):
    event = make_event(name="Partner Summit Lisbon")
    other = make_event(name="Reseller Day Porto")
    stranger = make_attendee(other, name="Secret Person", company="Hidden Corp")
    name_kiosk(staff, event)
    token = csrf_token(staff, kiosk_url(event))
    answer = staff.post(f"/checkin/{event.slug}/scan.json", json={"code": stranger.checkin_code, "nonce": nonce()},
                        headers={"X-CSRFToken": token})
    assert answer.status_code == 404
    body = answer.json
    assert body["status"] == "unknown" and not missing_facts(body["message"], "Reseller Day Porto")
    assert body["other_event"] == "Reseller Day Porto" and body["attendee"] is None
    text = answer.get_data(as_text=True)
    assert "Secret Person" not in text and "Hidden Corp" not in text and stranger.ext_id not in text
    # a code no event knows is still just unknown
    garbage = staff.post(f"/checkin/{event.slug}/scan.json", json={"code": "A" * 32, "nonce": nonce()},
                         headers={"X-CSRFToken": token}).json
    assert garbage["message"] == "Unknown code" and garbage["other_event"] is None
    # and the other event's own desk checks the guest in as usual
    assert check_in(other, stranger.checkin_code, nonce=nonce()).status == "welcome"


def test_a_badge_of_another_event_through_the_api(app, make_event, make_attendee, client):
    from web.auth.services import create_api_token, create_user

    event, other = make_event(), make_event(name="Reseller Day Porto")
    stranger = make_attendee(other)
    user = create_user("door@example.com", "a long password 1", "staff")
    token = create_api_token(user, "door")
    answer = client.post(f"/api/v1/events/{event.slug}/checkins", json={"code": stranger.checkin_code, "nonce": nonce()},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404
    assert not missing_facts(answer.json["message"], "Reseller Day Porto")


def test_a_welcome_reads_the_code_once_and_never_looks_at_other_events(make_event, make_attendee):
    """The other-event lookup costs nothing on the normal path: one read of the badge."""
    event, other = make_event(), make_event()
    ana = make_attendee(event, name="Ana Lima")
    make_attendee(other)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db.engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", record)
    try:
        assert check_in(event, ana.checkin_code, nonce=nonce()).status == "welcome"
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", record)
    other_event_lookups = [s for s in statements if "JOIN events" in s and "checkin_code_hash" in s]
    assert not other_event_lookups, other_event_lookups
    lookups = [s for s in statements if "attendees.checkin_code_hash = " in s]
    assert len(lookups) == 1, lookups


@pytest.mark.parametrize("kind", ["welcome", "already", "unknown", "other-event", "withdrawn"])
def test_every_answer_carries_what_a_screen_reader_says(staff, make_event, make_attendee, kind):
    event = make_event()
    ana = make_attendee(event, name="Ana Lima")
    other = make_attendee(make_event(name="Reseller Day"), name="Someone")
    name_kiosk(staff, event)
    token = csrf_token(staff, kiosk_url(event))
    code = {"unknown": "B" * 32, "other-event": other.checkin_code}.get(kind, ana.checkin_code)
    if kind == "already":
        check_in(event, ana.checkin_code, nonce=nonce())
    if kind == "withdrawn":
        from web.attendees.lifecycle import withdraw_attendee
        withdraw_attendee(ana)
    body = staff.post(f"/checkin/{event.slug}/scan.json", json={"code": code, "nonce": nonce()},
                      headers={"X-CSRFToken": token}).json
    spoken = body["announcement"]
    expected_start = {"welcome": "Checked in.", "already": "Already checked in."}.get(kind, "Not checked in.")
    assert spoken.startswith(expected_start) and body["message"] in spoken


def test_the_page_after_a_scan_puts_the_answer_in_a_live_region(staff, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, name="Ana Lima")
    name_kiosk(staff, event)
    from tests.web.conftest import submit

    html = submit(staff, kiosk_url(event), {"code": ana.checkin_code, "nonce": nonce()}).get_data(as_text=True)
    status = html[html.index('id="scan-status"'):]
    assert 'role="status"' in status[:120] and not missing_facts(text_of(html, id="scan-status"), "Ana Lima")
    assert text_of(html, id="scan-alert") == ""
    html = submit(staff, kiosk_url(event), {"code": "C" * 32, "nonce": nonce()}).get_data(as_text=True)
    alert = html[html.index('id="scan-alert"'):]
    assert 'role="alert"' in alert[:120] and not missing_facts(text_of(html, id="scan-alert"), "Unknown code")
    assert text_of(html, id="scan-status") == ""
