"""JSON API v1: token auth, events, attendee import, schedule job -> publish -> CSV, OpenAPI."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from tests.web.conftest import attendee_file, person
from web.attendees.checkins import CheckIn
from web.attendees.models import Attendee
from web.auth.models import ApiToken
from web.auth.services import create_api_token
from web.extensions import db
from web.types import utcnow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVENT = {"name": "Partner Summit", "slug": "summit", "timezone": "Europe/Amsterdam",
         "start": "2031-06-12T14:00:00", "round_minutes": 8, "changeover_minutes": 2,
         "rounds": 3, "tables": 0}


@pytest.fixture
def token(organiser_user):
    return create_api_token(organiser_user, "tests")


@pytest.fixture
def api(client, token):
    """Call the API with the organiser's bearer token."""
    def call(method, url, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return client.open(url, method=method, headers=headers, **kwargs)
    return call


def create(api, **fields):
    response = api("POST", "/api/v1/events", json={**EVENT, **fields})
    assert response.status_code == 201, response.json
    return response


def attendees(event_slug):
    db.session.expire_all()
    return {a.ext_id: a for a in db.session.scalars(
        select(Attendee).join(Attendee.event).where(Attendee.event.has(slug=event_slug)))}


def test_requests_without_a_valid_token_get_401_json(client, organiser, token):
    for method, url in [("GET", "/api/v1/events/x"), ("POST", "/api/v1/events"),
                        ("PUT", "/api/v1/events/x/attendees"), ("GET", "/api/v1/jobs/x"),
                        ("POST", "/api/v1/jobs/x/cancel")]:
        response = client.open(url, method=method)
        assert response.status_code == 401 and response.is_json, url
        wrong = client.open(url, method=method, headers={"Authorization": "Bearer sn_wrong"})
        assert wrong.status_code == 401
    # A signed-in console session is not enough: the API reads only bearer tokens.
    assert organiser.post("/api/v1/events", json=EVENT).status_code == 401
    assert organiser.get("/api/v1/events/x").status_code == 401


def test_staff_tokens_cannot_manage_events(client, staff):
    from web.auth.services import find_user

    staff_token = create_api_token(find_user("staff@example.com"))
    response = client.post("/api/v1/events", json=EVENT, headers={"Authorization": f"Bearer {staff_token}"})
    assert response.status_code == 403


def test_token_use_is_recorded(api, token):
    assert api("GET", "/api/v1/events").status_code == 200
    row = db.session.scalar(select(ApiToken))
    db.session.refresh(row)
    assert row.last_used_at is not None


def test_create_get_and_patch_event(api):
    response = create(api, breaks=[{"after_round": 2, "minutes": 15}], table_labels=["A1", "A2"])
    body = response.json
    assert response.headers["Location"] == "/api/v1/events/summit"
    assert body["start"] == "2031-06-12T14:00:00" and body["timezone"] == "Europe/Amsterdam"
    assert body["breaks"] == [{"after_round": 2, "minutes": 15}]
    assert body["table_labels"] == ["A1", "A2"]
    assert body["end"] == "2031-06-12T14:43:00"  # 3 rounds of 8 + 2 changeovers of 2 + 15 break
    assert body["schedule_status"] == "none"

    got = api("GET", "/api/v1/events/summit").json
    assert got["name"] == "Partner Summit" and got["rounds"] == 3

    patched = api("PATCH", "/api/v1/events/summit", json={"name": "Summit 2025", "round_minutes": 10})
    assert patched.status_code == 200, patched.json
    assert patched.json["name"] == "Summit 2025" and patched.json["round_minutes"] == 10
    assert patched.json["breaks"] == [{"after_round": 2, "minutes": 15}]  # untouched fields stay
    assert patched.json["start"] == "2031-06-12T14:00:00"

    assert api("GET", "/api/v1/events/nope").status_code == 404
    assert "nope" in api("GET", "/api/v1/events/nope").json["message"]
    assert api("PATCH", "/api/v1/events/nope", json={"name": "x"}).status_code == 404


def test_event_fields_are_validated_like_the_console_form(api):
    bad = api("POST", "/api/v1/events", json={**EVENT, "slug": "Bad Slug", "timezone": "Mars/Base",
                                              "rounds": 0, "start": "2031-06-12T14:00:00+02:00"})
    assert bad.status_code == 422
    errors = bad.json["detail"]["json"]
    assert set(errors) >= {"slug", "timezone", "rounds", "start"}
    assert "lower-case" in errors["slug"][0]
    missing = api("POST", "/api/v1/events", json={"name": "x"})
    assert missing.status_code == 422 and "slug" in missing.json["detail"]["json"]
    assert api("POST", "/api/v1/events", json={**EVENT, "slug": "console"}).status_code == 422
    # Cross-field checks come from the events services (a break after the last round).
    breaks = api("POST", "/api/v1/events", json={**EVENT, "breaks": [{"after_round": 3, "minutes": 5}]})
    assert breaks.status_code == 422 and "breaks" in breaks.json["detail"]["json"]
    create(api)
    assert api("POST", "/api/v1/events", json=EVENT).status_code == 409
    assert api("PATCH", "/api/v1/events/summit", json={"rounds": 0}).status_code == 422


@pytest.mark.slow
def test_put_attendees_csv_then_reimport_keeps_tokens(api):
    create(api)
    rows = [person("A1"), person("B2")]
    response = api("PUT", "/api/v1/events/summit/attendees", data=attendee_file(rows),
                   headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    assert (response.json["added"], response.json["updated"]) == (2, 0)
    before = {k: (a.token, a.checkin_code, a.badge_number) for k, a in attendees("summit").items()}

    rows[0]["company"] = "Renamed Ltd"
    again = api("PUT", "/api/v1/events/summit/attendees", data=attendee_file(rows + [person("C3")]),
                headers={"Content-Type": "text/csv; charset=utf-8"})
    assert (again.json["added"], again.json["updated"], again.json["unchanged"]) == (1, 1, 1)
    after = attendees("summit")
    assert after["A1"].company == "Renamed Ltd"
    assert {k: (a.token, a.checkin_code, a.badge_number) for k, a in after.items() if k in before} == before


def test_put_attendees_xlsx_body_and_multipart(api):
    create(api)
    xlsx = attendee_file([person("A1"), person("B2")], fmt="xlsx")
    response = api("PUT", "/api/v1/events/summit/attendees", data=xlsx, headers={"Content-Type": XLSX})
    assert response.status_code == 200, response.json
    assert sorted(attendees("summit")) == ["A1", "B2"]

    multipart = api("PUT", "/api/v1/events/summit/attendees",
                    data={"file": (io.BytesIO(attendee_file([person("C3")])), "more.csv")},
                    content_type="multipart/form-data")
    assert multipart.status_code == 200, multipart.json
    assert "C3" in attendees("summit")

    unsupported = api("PUT", "/api/v1/events/summit/attendees", data=b"{}",
                      headers={"Content-Type": "application/json"})
    assert unsupported.status_code == 415 and unsupported.is_json
    assert api("PUT", "/api/v1/events/nope/attendees", data=b"x",
               headers={"Content-Type": "text/csv"}).status_code == 404


def test_put_attendees_with_errors_lists_every_row_error_and_stores_nothing(api):
    create(api)
    rows = [person("A1", company=""), person("B2"), person("C3", available_rounds="5-2"),
            person("D4", must_meet="ZZ9")]
    response = api("PUT", "/api/v1/events/summit/attendees", data=attendee_file(rows),
                   headers={"Content-Type": "text/csv"})
    assert response.status_code == 422
    errors = response.json["errors"]
    assert {(e["line"], e["field"]) for e in errors} == {
        (2, "company"), (4, "available_rounds"), (5, "must_meet")}
    assert all(e["message"] for e in errors)
    assert "3 problems" in response.json["message"]
    assert attendees("summit") == {}


def test_get_attendees_reports_check_in_state(api, make_attendee):
    create(api)
    from web.events.models import Event

    event = db.session.scalar(select(Event).where(Event.slug == "summit"))
    ana = make_attendee(event, name="Ana")
    bo = make_attendee(event, name="Bo")
    make_attendee(event, name="Cy")  # registered, never checked in
    db.session.add_all([
        CheckIn(event_id=event.id, attendee_id=ana.id, nonce="n1"),
        CheckIn(event_id=event.id, attendee_id=bo.id, nonce="n2", annulled_at=utcnow()),
    ])
    db.session.commit()
    body = api("GET", "/api/v1/events/summit/attendees").json
    assert [(a["name"], a["checked_in"]) for a in body] == [("Ana", True), ("Bo", False), ("Cy", False)]
    assert set(body[0]) == {"id", "name", "company", "region", "partner_type", "checked_in", "state",
                            "withdrawn_at", "left_at"}
    # The event (June 2031) is still to come: who has not checked in is registered.
    assert [a["state"] for a in body] == ["checked-in", "registered", "registered"]
    assert body[0]["id"] == ana.ext_id


def test_schedule_job_poll_publish_and_csv(api):
    from web.jobs import wait_for_job

    create(api, rounds=2)
    rows = [person(f"P{i}", region=("EMEA" if i % 2 else "APAC")) for i in range(1, 7)]
    assert api("PUT", "/api/v1/events/summit/attendees", data=attendee_file(rows),
               headers={"Content-Type": "text/csv"}).status_code == 200
    assert api("POST", "/api/v1/events/summit/schedule/publish").status_code == 409
    assert api("GET", "/api/v1/events/summit/schedule.csv").status_code == 404

    started = api("POST", "/api/v1/events/summit/schedule", json={"time_limit": 2})
    assert started.status_code == 202, started.json
    location = started.headers["Location"]
    assert location == f"/api/v1/jobs/{started.json['id']}" == started.json["url"]
    wait_for_job(started.json["id"], timeout=60)
    job = api("GET", location).json
    assert job["status"] == "done", job
    assert job["finished"] is True and job["result_version"] == 1

    published = api("POST", "/api/v1/events/summit/schedule/publish")
    assert published.status_code == 200, published.json
    assert published.json["number"] == 1 and published.json["status"] == "published"
    assert published.json["meetings"] > 0
    assert api("POST", "/api/v1/events/summit/schedule/publish").status_code == 409  # no draft left
    assert api("GET", "/api/v1/events/summit").json["schedule_status"] == "published"

    response = api("GET", "/api/v1/events/summit/schedule.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == ["round", "table", "a_id", "a_name", "a_company", "b_id", "b_name",
                        "b_company", "score", "reason", "start", "end"]
    assert len(table) - 1 == published.json["meetings"]
    first = table[1]
    assert first[0] == "1" and first[10] == "2031-06-12T14:00:00" and first[11] == "2031-06-12T14:08:00"
    assert api("GET", "/api/v1/jobs/not-a-job").status_code == 404


def assert_refs_resolve(node, spec):
    """Every $ref points at an existing component (a broken document fails here)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            assert ref.startswith("#/components/"), ref
            target = spec
            for part in ref[2:].split("/"):
                assert part in target, ref
                target = target[part]
        for value in node.values():
            assert_refs_resolve(value, spec)
    elif isinstance(node, list):
        for value in node:
            assert_refs_resolve(value, spec)


def test_openapi_document_lists_every_endpoint_with_schemas_and_bearer_security(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert_refs_resolve(spec, spec)
    paths = spec["paths"]
    expected = {
        "/api/v1/events": {"get", "post"},
        "/api/v1/events/{slug}": {"get", "patch"},
        "/api/v1/events/{slug}/attendees": {"get", "put"},
        "/api/v1/events/{slug}/schedule": {"post"},
        "/api/v1/events/{slug}/schedule/publish": {"post"},
        "/api/v1/events/{slug}/schedule.csv": {"get"},
        "/api/v1/jobs/{job_id}": {"get"},
        "/api/v1/jobs/{job_id}/cancel": {"post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            operation = paths[path][method]
            assert [list(s) for s in operation["security"]] == [["BearerAuth"]], (path, method)
            assert "200" in operation["responses"] or "201" in operation["responses"] \
                or "202" in operation["responses"]
    assert spec["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    assert "requestBody" in paths["/api/v1/events"]["post"]
    put_body = paths["/api/v1/events/{slug}/attendees"]["put"]["requestBody"]["content"]
    assert {"text/csv", XLSX, "multipart/form-data"} <= set(put_body)
    assert "EventCreate" in spec["components"]["schemas"]
    assert {"202", "404", "409"} <= set(paths["/api/v1/jobs/{job_id}/cancel"]["post"]["responses"])


def test_console_page_creates_shows_once_and_revokes_tokens(client, organiser, organiser_user):
    from tests.web.conftest import submit

    assert 'href="/console/api-tokens"' in organiser.get("/console/").get_data(as_text=True)  # in the nav
    page = organiser.get("/console/api-tokens")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    response = submit(organiser, "/console/api-tokens", {"name": "Registration sync"})
    html = response.get_data(as_text=True)
    plain = next(part.split('"')[0] for part in html.split('value="sn_')[1:])
    plain = "sn_" + plain
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    listing = organiser.get("/console/api-tokens").get_data(as_text=True)
    assert "Registration sync" in listing and plain not in listing  # shown once only
    row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Registration sync"))
    assert row.token_hash != plain

    revoke_url = f"/console/api-tokens/{row.id}/revoke"
    revoked = submit(organiser, revoke_url, form_url="/console/api-tokens")
    assert revoked.status_code == 302
    assert "refused from their next request on" in organiser.get("/console/api-tokens").get_data(as_text=True)
    assert client.get("/api/v1/events", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert client.get("/console/api-tokens").status_code == 302  # anonymous -> sign in


def test_swagger_ui_is_not_served_from_a_cdn(client):
    assert client.get("/api/v1/docs").status_code == 404


def test_token_use_is_written_at_most_once_a_minute(api, token):
    """A kiosk scanning all morning must not add a write transaction to every check-in."""
    assert api("GET", "/api/v1/events").status_code == 200
    row = db.session.scalar(select(ApiToken))
    db.session.refresh(row)
    first = row.last_used_at
    assert api("GET", "/api/v1/events").status_code == 200
    db.session.refresh(row)
    assert row.last_used_at == first
    row.last_used_at = first - dt.timedelta(minutes=2)
    db.session.commit()
    assert api("GET", "/api/v1/events").status_code == 200
    db.session.refresh(row)
    assert row.last_used_at > first
