"""The API's one OpenAPI document, grouped by feature, and the JSON that goes through its
schemas: the kiosk's scan reads and answers like the API's check-in."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.web.conftest import csrf_token, submit
from web.auth.services import create_api_token
from web.extensions import db

# Each feature's endpoints, by the tag the document gives them.
FEATURE_TAGS = {
    "Events": {("get", "/api/v1/events"), ("post", "/api/v1/events"),
               ("get", "/api/v1/events/{slug}"), ("patch", "/api/v1/events/{slug}")},
    "Attendees": {("get", "/api/v1/events/{slug}/attendees"),
                  ("put", "/api/v1/events/{slug}/attendees"),
                  ("post", "/api/v1/events/{slug}/attendees/{attendee_id}/withdraw"),
                  ("post", "/api/v1/events/{slug}/attendees/{attendee_id}/restore")},
    "Schedules": {("post", "/api/v1/events/{slug}/schedule"),
                  ("post", "/api/v1/events/{slug}/schedule/publish"),
                  ("get", "/api/v1/events/{slug}/schedule.csv"), ("get", "/api/v1/jobs/{job_id}"),
                  ("post", "/api/v1/jobs/{job_id}/cancel")},
    "Check-in": {("get", "/api/v1/events/{slug}/checkins"),
                 ("post", "/api/v1/events/{slug}/checkins")},
    "Event day": {("post", "/api/v1/events/{slug}/replan"), ("get", "/api/v1/events/{slug}/replan"),
                  ("get", "/api/v1/events/{slug}/clock"), ("post", "/api/v1/events/{slug}/clock")},
    "Wishes": {("get", "/api/v1/me/{token}/directory"), ("get", "/api/v1/me/{token}/wishes"),
               ("put", "/api/v1/me/{token}/wishes"), ("get", "/api/v1/events/{slug}/wishes")},
}


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json


def test_every_api_operation_carries_its_features_tag_and_each_tag_is_described(spec):
    operations = {(method, path): op for path, ops in spec["paths"].items() if path.startswith("/api/")
                  for method, op in ops.items()}
    assert set(operations) == set().union(*FEATURE_TAGS.values())
    for tag, endpoints in FEATURE_TAGS.items():
        for endpoint in endpoints:
            assert operations[endpoint]["tags"] == [tag], endpoint
    described = {t["name"]: t.get("description", "") for t in spec["tags"]}
    assert set(described) == set(FEATURE_TAGS)
    assert all(described.values()), described


def test_every_answer_field_has_a_type_in_the_document(spec):
    """Answers computed from a row (counts, formatted times, URLs) are typed like plain fields,
    so a client generated from the document knows every field."""
    schemas = spec["components"]["schemas"]
    for name in ("EventOut", "AttendeeOut", "JobOut", "ReplanJobOut", "VersionOut",
                 "CheckInResultOut", "CheckInOut", "FirstMeetingOut", "CheckInListOut",
                 "ImportSummaryOut"):
        for field, prop in schemas[name]["properties"].items():
            assert {"type", "$ref", "allOf", "anyOf"} & set(prop), (name, field, prop)
            assert not prop.get("readOnly"), (name, field)


# --------------------------------------------------------------------------- the kiosk's JSON

def nonce() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def event(make_event):
    return make_event()


@pytest.fixture
def kiosk(staff, event):
    """POST to the kiosk's scan.json as its script does (named kiosk, CSRF header)."""
    assert submit(staff, f"/checkin/{event.slug}/device", {"device": "Desk 1"}).status_code == 302
    token = csrf_token(staff, f"/checkin/{event.slug}")

    def post(body):
        return staff.post(f"/checkin/{event.slug}/scan.json", json=body, headers={"X-CSRFToken": token})
    return post


@pytest.fixture
def api_checkin(client, organiser_user, event):
    headers = {"Authorization": f"Bearer {create_api_token(organiser_user, 'tests')}"}

    def post(body):
        return client.post(f"/api/v1/events/{event.slug}/checkins", json=body, headers=headers)
    return post


@pytest.mark.parametrize("kind", ["welcome", "already", "unknown", "withdrawn"])
def test_kiosk_answers_with_the_apis_fields_and_formats(kind, kiosk, api_checkin, event, make_attendee):
    kiosk_person = make_attendee(event, name="Ana Lima")
    api_person = make_attendee(event, name="Bo Berg")
    if kind == "already":
        assert kiosk({"code": kiosk_person.checkin_code, "nonce": nonce()}).status_code == 201
        assert api_checkin({"code": api_person.checkin_code, "nonce": nonce()}).status_code == 201
    if kind == "withdrawn":
        for person in (kiosk_person, api_person):
            person.withdrawn_at = dt.datetime.now(dt.UTC)
        db.session.commit()
    codes = ("no-such-code", "no-such-code") if kind == "unknown" else (
        kiosk_person.checkin_code, api_person.checkin_code)
    from_kiosk = kiosk({"code": codes[0], "nonce": nonce()})
    from_api = api_checkin({"code": codes[1], "nonce": nonce()})
    assert from_kiosk.status_code == from_api.status_code
    assert from_kiosk.json["status"] == from_api.json["status"] == kind
    assert set(from_kiosk.json) == set(from_api.json) | {"annul_url", "actions"}
    if from_api.json["checkin"] is not None:
        assert set(from_kiosk.json["checkin"]) == set(from_api.json["checkin"])
        for body in (from_kiosk.json, from_api.json):  # ISO 8601 in both, as documented
            assert dt.datetime.fromisoformat(body["checkin"]["checked_in_at"]).tzinfo is not None
    if from_api.json["attendee"] is not None:
        assert set(from_kiosk.json["attendee"]) == set(from_api.json["attendee"])


@pytest.mark.parametrize(("body", "field"), [
    ({"attendee_id": "seven", "nonce": "n" * 12}, "attendee_id"),
    ({"attendee_id": [1], "nonce": "n" * 12}, "attendee_id"),
    ({"code": 12345, "nonce": "n" * 12}, "code"),
    ({"code": "x" * 2001, "nonce": "n" * 12}, "code"),
    ({"code": "abc", "nonce": 7}, "nonce"),
    ({"code": "abc", "nonce": "n" * 12, "device": "d" * 101}, "device"),
])
def test_kiosk_scan_with_a_malformed_field_names_it_and_records_nothing(body, field, kiosk, api_checkin):
    response = kiosk(body)
    assert response.status_code == 422
    assert response.json["status"] == "error" and response.json["message"].startswith(f"{field}: ")
    assert api_checkin({"code": "abc", "nonce": nonce()}).json["status"] == "unknown"


@pytest.mark.parametrize("body", [[1, 2], "code", 3, None])
def test_kiosk_scan_that_is_not_a_json_object_is_refused(body, kiosk):
    response = kiosk(body)
    assert response.status_code == 400 and response.json == {"status": "error",
                                                             "message": "Send a JSON object."}


def test_kiosk_scan_ignores_keys_it_does_not_know_and_takes_the_desk_results_id(kiosk, event, make_attendee):
    ana = make_attendee(event, name="Ana Lima")
    by_code = kiosk({"code": ana.checkin_code, "nonce": nonce(), "camera": "rear"})
    assert by_code.status_code == 201 and by_code.json["attendee"]["name"] == "Ana Lima"
    bo = make_attendee(event, name="Bo Berg")
    by_id = kiosk({"attendee_id": str(bo.id), "nonce": nonce()})
    assert by_id.status_code == 201 and by_id.json["attendee"]["id"] == bo.id
    assert by_id.json["checkin"]["device"] == "Desk 1"


def test_kiosk_counts_carry_a_fresh_csrf_token(staff, event, make_attendee, kiosk):
    ana = make_attendee(event)
    make_attendee(event)
    kiosk({"code": ana.checkin_code, "nonce": nonce()})
    counts = staff.get(f"/checkin/{event.slug}/counts.json")
    assert counts.headers["Cache-Control"] == "no-store"
    assert (counts.json["checked_in"], counts.json["expected"]) == (1, 2)
    assert counts.json["csrf_token"]
