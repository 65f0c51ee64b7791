"""Uploaded attendee files are read in a separate, lower-priority process, so the check-in desk
keeps the CPU while a large file is parsed; the organiser sees the same preview and errors."""

from __future__ import annotations

import io
import os

from tests.web.conftest import attendee_file, csrf_token, person
from web.attendees import parsing


def upload(organiser, slug: str, data: bytes, name: str = "people.csv"):
    url = f"/console/{slug}/attendees/import"
    form = {"csrf_token": csrf_token(organiser, url), "file": (io.BytesIO(data), name)}
    return organiser.post(url, data=form, content_type="multipart/form-data")


def parser_processes() -> list[int]:
    pool = parsing._pool
    return list(pool._processes) if pool is not None else []  # type: ignore[attr-defined]


def test_a_file_is_read_in_a_lower_priority_process(organiser, make_event):
    event = make_event(slug="parsed")
    response = upload(organiser, event.slug, attendee_file([person("A1", "Ana Lima"), person("B2", "Bo Chen")]))
    assert response.status_code == 302, response.get_data(as_text=True)
    preview = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ana Lima" in preview and "Bo Chen" in preview
    [pid] = parser_processes()
    assert pid != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0) + parsing.PARSER_NICE


def test_errors_found_in_the_parsing_process_name_line_and_field(organiser, make_event):
    event = make_event(slug="parsed-errors")
    bad = attendee_file([person("A1", ""), person("A1", "Twice")])
    response = upload(organiser, event.slug, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "line 2" in html.lower() and "name" in html and "A1" in html


def test_inline_reading_gives_the_same_answer(app, organiser, make_event):
    app.config["IMPORT_PARSER"] = "inline"
    event = make_event(slug="parsed-inline")
    response = upload(organiser, event.slug, attendee_file([person("A1", "Ana Lima")]))
    assert response.status_code == 302
    assert "Ana Lima" in organiser.get(response.headers["Location"]).get_data(as_text=True)
