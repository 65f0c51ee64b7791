"""Broken attendee files never crash the importer or the upload routes, and never leave half an
import behind: the importer raises AttendeeFileError with row errors; the console answers 422
with the errors listed; the API answers 4xx JSON listing them; the attendee count is unchanged."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from scheduler.importer import AttendeeFileError, RowError, read_attendee_file
from tests.reliability.files import BadFile, bad_files
from tests.web.conftest import attendee_file, csrf_token, person
from web.attendees.models import Attendee
from web.auth.services import create_api_token
from web.extensions import db

WEB = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bad_files())
def test_importer_refuses_broken_files_with_row_errors(bad: BadFile):
    with pytest.raises(AttendeeFileError) as caught:
        read_attendee_file(bad.data, filename=bad.filename)
    error = caught.value
    assert error.errors and all(isinstance(e, RowError) and e.message for e in error.errors)
    assert str(error).startswith(f"Cannot import {bad.filename}")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["a.csv", "a.xlsx", None]))
def test_importer_never_crashes_on_arbitrary_bytes(data: bytes, filename):
    try:
        result = read_attendee_file(data, filename=filename)
    except AttendeeFileError as exc:
        assert exc.errors
    else:
        assert all(a.id and a.name for a in result.attendees)


def _count(event) -> int:
    return db.session.scalar(select(func.count()).select_from(Attendee).where(Attendee.event_id == event.id))


@pytest.fixture
def seeded(app, make_event, make_attendee):
    event = make_event(slug="bad-input")
    for i in range(3):
        make_attendee(event, ext_id=f"K{i}")
    return event


@pytest.mark.slow
@WEB
@given(bad=bad_files())
def test_console_upload_refuses_broken_files_without_importing(organiser, seeded, bad: BadFile):
    url = f"/console/{seeded.slug}/attendees/import"
    response = organiser.post(url, data={"csrf_token": csrf_token(organiser, url),
                                         "file": (io.BytesIO(bad.data), bad.filename)},
                              content_type="multipart/form-data")
    assert response.status_code == 422, (bad, response.status_code)
    page = response.get_data(as_text=True)
    assert "nothing was imported" in page.lower() or "problem" in page.lower()
    preview = organiser.get(f"{url}/preview")
    assert preview.status_code == 302, "a refused file must not wait for confirmation"
    assert _count(seeded) == 3


@WEB
@given(bad=bad_files(), multipart=st.booleans())
def test_api_upload_refuses_broken_files_without_importing(app, organiser_user, seeded, bad: BadFile, multipart):
    token = getattr(app, "_bad_input_token", None) or create_api_token(organiser_user, "bad input")
    app._bad_input_token = token  # one token for all examples
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/events/{seeded.slug}/attendees"
    if multipart:
        response = client.put(url, headers=headers, content_type="multipart/form-data",
                              data={"file": (io.BytesIO(bad.data), bad.filename)})
    else:
        fmt = "text/csv" if bad.filename.endswith(".csv") else \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = client.put(url, headers=headers, data=bad.data, content_type=fmt)
    assert 400 <= response.status_code < 500, (bad, response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json
    body = response.get_json()
    if response.status_code == 422:
        errors = body.get("errors") or body.get("detail", {}).get("errors")
        assert errors and all(e.get("message") for e in errors), body
    assert _count(seeded) == 3


def test_a_good_file_still_imports_through_the_api(app, organiser_user, seeded):
    token = create_api_token(organiser_user, "good")
    response = app.test_client().put(f"/api/v1/events/{seeded.slug}/attendees",
                                     headers={"Authorization": f"Bearer {token}"},
                                     data=attendee_file([person("N1"), person("N2")]),
                                     content_type="text/csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert _count(seeded) == 5


FIFTY_MB = 50 * 1024 * 1024
ZEROS = bytes(FIFTY_MB)  # one allocation, a few milliseconds


def test_fifty_megabyte_uploads_get_413(app, organiser, organiser_user, seeded):
    url = f"/console/{seeded.slug}/attendees/import"
    response = organiser.post(url, input_stream=io.BytesIO(ZEROS),
                              content_type="multipart/form-data; boundary=x",
                              headers={"Content-Length": str(FIFTY_MB)})
    assert response.status_code == 413
    token = create_api_token(organiser_user, "big")
    api = app.test_client().put(f"/api/v1/events/{seeded.slug}/attendees",
                                headers={"Authorization": f"Bearer {token}", "Content-Length": str(FIFTY_MB)},
                                input_stream=io.BytesIO(ZEROS), content_type="text/csv")
    assert api.status_code == 413 and api.is_json
    assert _count(seeded) == 3
