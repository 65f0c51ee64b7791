"""Attendees: import with preview and all-or-nothing commit, re-import, list, add, edit, remove."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from tests.support.text import field_errors, missing_facts, plain, text_of
from tests.web.conftest import attendee_file, csrf_token, person, submit
from web.attendees.checkins import CheckIn
from web.attendees.models import Attendee
from web.attendees.services import removal_blockers_of
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion


def upload(client, event, data: bytes, filename="attendees.csv", remove_missing=False):
    url = f"/console/{event.slug}/attendees/import"
    form = {"csrf_token": csrf_token(client, url), "file": (io.BytesIO(data), filename)}
    if remove_missing:
        form["remove_missing"] = "y"
    return client.post(url, data=form, content_type="multipart/form-data")


def commit(client, event):
    # the token is read from the upload page: the preview page exists only while a file waits
    return submit(client, f"/console/{event.slug}/attendees/import/commit",
                  form_url=f"/console/{event.slug}/attendees/import")


def rows_of(event) -> dict[str, Attendee]:
    db.session.expire_all()
    return {a.ext_id: a for a in db.session.scalars(select(Attendee).where(Attendee.event_id == event.id))}


def test_preview_lists_every_row_problem_and_stores_nothing(organiser, make_event):
    event = make_event()
    data = attendee_file([
        person("A1"),
        person("A2", name=""),                              # line 3: name missing
        person("A1", name="Twin"),                          # line 4: duplicate id
        person("A4", available_rounds="3-99"),              # line 5: outside 1-8
        person("A5", must_meet="ZZZ"),                      # line 6: unknown id
    ])
    response = upload(organiser, event, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert not missing_facts(text_of(page, class_="flash-error"), "4 problems", "Nothing was imported")
    for line, column in (("3", "name"), ("4", "id"), ("5", "available_rounds"), ("6", "must_meet")):
        assert f"<td>{line}</td><td>{column}</td>" in page, (line, column)
    assert "unknown id &#39;ZZZ&#39;" in page
    assert rows_of(event) == {}


def test_import_preview_then_commit(organiser, make_event, app):
    event = make_event()
    response = upload(organiser, event, attendee_file([
        person("A1", name="Ada"), person("A2", name="Bo", region="Emea"),
        person("A3", name="Cy", offers="Hostnig"),
    ]))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/attendees/import/preview")
    # nothing stored before the commit; the parsed file waits in the instance folder
    assert rows_of(event) == {}
    assert len(list((Path(app.instance_path) / "imports").glob("*.json"))) == 1
    preview = organiser.get(f"/console/{event.slug}/attendees/import/preview").get_data(as_text=True)
    assert "New attendees (3)" in preview
    assert "unknown competency" in preview and "Hosting" in preview  # warning with suggestion
    response = commit(organiser, event)
    assert response.status_code == 302
    rows = rows_of(event)
    assert sorted(rows) == ["A1", "A2", "A3"]
    assert rows["A2"].region == "EMEA"  # canonical spelling from the taxonomy
    assert sorted(r.badge_number for r in rows.values()) == [1, 2, 3]
    assert all(r.source == "import" for r in rows.values())
    tokens = {r.token for r in rows.values()} | {r.checkin_code for r in rows.values()}
    assert len(tokens) == 6 and all(len(t) >= 32 for t in tokens)
    assert list((Path(app.instance_path) / "imports").glob("*.json")) == []
    # a second commit without a new upload does nothing
    assert commit(organiser, event).status_code == 302
    assert len(rows_of(event)) == 3


def test_reimport_updates_by_id_and_keeps_tokens_codes_badges_and_checkins(organiser, make_event):
    event = make_event()
    upload(organiser, event, attendee_file([person("A1", name="Ada"), person("A2", name="Bo"),
                                            person("A3", name="Cy")]))
    commit(organiser, event)
    before = {k: (a.token, a.checkin_code, a.badge_number) for k, a in rows_of(event).items()}
    checkin = CheckIn(event_id=event.id, attendee_id=rows_of(event)["A1"].id, nonce="k1", device="door")
    db.session.add(checkin)
    db.session.commit()

    upload(organiser, event, attendee_file([person("A1", name="Ada Lovelace"), person("A2", name="Bo"),
                                            person("A4", name="Di")]))
    preview = organiser.get(f"/console/{event.slug}/attendees/import/preview").get_data(as_text=True)
    assert "Updated attendees (1)" in preview and "New attendees (1)" in preview
    commit(organiser, event)
    rows = rows_of(event)
    assert sorted(rows) == ["A1", "A2", "A3", "A4"]  # A3 kept: removal was not asked for
    assert rows["A1"].name == "Ada Lovelace"
    for ext_id in ("A1", "A2", "A3"):
        assert (rows[ext_id].token, rows[ext_id].checkin_code, rows[ext_id].badge_number) == before[ext_id]
    assert rows["A4"].badge_number == 4
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_reimport_can_remove_missing_but_keeps_checked_in(organiser, make_event):
    event = make_event()
    upload(organiser, event, attendee_file([person("A1"), person("A2"), person("A3")]))
    commit(organiser, event)
    db.session.add(CheckIn(event_id=event.id, attendee_id=rows_of(event)["A2"].id, nonce="k", device="d"))
    db.session.commit()
    upload(organiser, event, attendee_file([person("A1")]), remove_missing=True)
    preview = organiser.get(f"/console/{event.slug}/attendees/import/preview").get_data(as_text=True)
    assert "Attendees to remove (1)" in preview
    assert not missing_facts(plain(preview), "kept (1)", "checked in")
    commit(organiser, event)
    assert sorted(rows_of(event)) == ["A1", "A2"]


def test_import_cancel_discards_the_pending_file(organiser, make_event, app):
    event = make_event()
    upload(organiser, event, attendee_file([person("A1")]))
    response = submit(organiser, f"/console/{event.slug}/attendees/import/cancel",
                      form_url=f"/console/{event.slug}/attendees/import/preview")
    assert response.status_code == 302
    assert list((Path(app.instance_path) / "imports").glob("*.json")) == []
    assert commit(organiser, event).status_code == 302
    assert rows_of(event) == {}


def test_xlsx_import(organiser, make_event):
    event = make_event()
    response = upload(organiser, event, attendee_file([person("X1", name="Excel Person")], fmt="xlsx"),
                      filename="people.xlsx")
    assert response.status_code == 302
    commit(organiser, event)
    assert rows_of(event)["X1"].name == "Excel Person"


def test_import_refuses_other_file_types(organiser, make_event):
    event = make_event()
    response = upload(organiser, event, b"hello", filename="notes.txt")
    assert response.status_code == 422
    assert not missing_facts(field_errors(response.get_data(as_text=True), "file"), ".csv", ".xlsx")


def test_commit_is_all_or_nothing(make_event, make_attendee, monkeypatch):
    """A failure half-way through a commit leaves the event exactly as it was."""
    from scheduler.domain import Attendee as DomainAttendee
    from web.attendees import services

    event = make_event()
    make_attendee(event, ext_id="A1", name="Original")
    incoming = [
        DomainAttendee(id="A1", name="Changed", company="C", region="EMEA", partner_type="ISV"),
        DomainAttendee(id="A2", name="New", company="C", region="EMEA", partner_type="ISV"),
    ]
    calls = {"n": 0}
    real = services.domain_values

    def failing(attendee):
        calls["n"] += 1
        if attendee.id == "A2":  # A1 has been updated in the session by now
            raise RuntimeError("database went away")
        return real(attendee)

    monkeypatch.setattr(services, "domain_values", failing)
    with pytest.raises(RuntimeError):
        services.commit_import(event, incoming, remove_missing=False)
    assert calls["n"] >= 2
    rows = rows_of(event)
    assert sorted(rows) == ["A1"] and rows["A1"].name == "Original"


def test_list_search_and_pagination(organiser, make_event, make_attendee, app):
    event = make_event()
    make_attendee(event, name="Zoë Müller", company="Acme GmbH", email="zoe@acme.example", ext_id="Z9")
    for i in range(55):
        make_attendee(event, name=f"Filler {i:02d}")
    url = f"/console/{event.slug}/attendees/"
    first = organiser.get(url).get_data(as_text=True)
    assert "56 attendees" in first and "Page 1 of 2" in first
    assert "Filler 54" not in first
    assert "Filler 54" in organiser.get(url + "?page=2").get_data(as_text=True)
    for query in ("zoë", "ACME", "zoe@acme", "Z9"):
        page = organiser.get(url, query_string={"q": query}).get_data(as_text=True)
        assert "1 attendee matching" in page and "Zoë Müller" in page, query
    assert "0 attendees" in organiser.get(url, query_string={"q": "100%"}).get_data(as_text=True)


def attendee_form(**overrides):
    data = {"ext_id": "N1", "name": "New Person", "email": "new@example.com", "company": "Newco",
            "title": "CTO", "region": "APAC", "country": "Japan", "partner_type": "Reseller",
            "offers": "Hosting", "seeks": "DevOps", "available_rounds": "", "must_meet": "", "avoid": ""}
    data.update(overrides)
    return data


def test_add_attendee_uses_the_importer_rules(organiser, make_event, make_attendee):
    event = make_event()
    make_attendee(event, ext_id="OLD")
    url = f"/console/{event.slug}/attendees/new"
    bad = submit(organiser, url, attendee_form(ext_id="OLD", name="", available_rounds="5-12",
                                               must_meet="NOPE"))
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "already has the id" in page
    assert "required, but empty" in page
    assert "outside the event" in page
    assert "unknown id &#39;NOPE&#39;" in page
    assert len(rows_of(event)) == 1

    ok = submit(organiser, url, attendee_form(must_meet="OLD", available_rounds="1-4", region="apac"))
    assert ok.status_code == 302, ok.get_data(as_text=True)
    new = rows_of(event)["N1"]
    assert new.region == "APAC" and new.must_meet == "OLD" and new.available_rounds == "1-4"
    assert new.badge_number == 2
    domain = new.to_domain()
    assert domain.available_rounds == frozenset({1, 2, 3, 4}) and domain.must_meet == ("OLD",)


def test_edit_attendee_keeps_identity(organiser, make_event, make_attendee):
    event = make_event()
    other = make_attendee(event, ext_id="B2")
    row = make_attendee(event, ext_id="A1", name="Before")
    token, code, badge = row.token, row.checkin_code, row.badge_number
    url = f"/console/{event.slug}/attendees/{row.id}/edit"
    assert 'value="Before"' in organiser.get(url).get_data(as_text=True)
    response = submit(organiser, url, attendee_form(ext_id="A1", name="After", avoid="B2"))
    assert response.status_code == 302, response.get_data(as_text=True)
    after = rows_of(event)["A1"]
    assert (after.name, after.avoid) == ("After", "B2")
    assert (after.token, after.checkin_code, after.badge_number) == (token, code, badge)
    # renaming B2 would break A1's avoid list: refused with a message naming A1
    response = submit(organiser, f"/console/{event.slug}/attendees/{other.id}/edit",
                      attendee_form(ext_id="B3"))
    assert response.status_code == 422
    assert "After, avoid: unknown id" in response.get_data(as_text=True)


def test_remove_attendee_needs_post_with_csrf(organiser, make_event, make_attendee):
    event = make_event()
    row = make_attendee(event, name="Leaving")
    url = f"/console/{event.slug}/attendees/{row.id}/remove"
    assert "Remove Leaving?" in organiser.get(url).get_data(as_text=True)
    assert organiser.post(url).status_code == 400  # no CSRF token
    assert len(rows_of(event)) == 1
    assert submit(organiser, url).status_code == 302
    assert rows_of(event) == {}


def test_attendee_in_a_schedule_cannot_be_removed(organiser, make_event, make_attendee):
    event = make_event()
    a, b = make_attendee(event), make_attendee(event)
    version = ScheduleVersion(event_id=event.id, number=1)
    db.session.add(version)
    db.session.flush()
    db.session.add(ScheduleMeeting(version_id=version.id, round=1, table=1, a_id=a.id, b_id=b.id))
    db.session.commit()
    url = f"/console/{event.slug}/attendees/{a.id}/remove"
    assert "in a stored schedule" in organiser.get(url).get_data(as_text=True)
    response = submit(organiser, url, form_url=f"/console/{event.slug}/attendees/")
    assert response.status_code == 302
    assert len(rows_of(event)) == 2


def test_the_database_keeps_an_attendee_in_a_stored_schedule(make_event, make_attendee):
    """The guard is the meetings' foreign key, not a question to the schedules feature: a
    delete that skips the check is refused all the same, and the removal says why."""
    event = make_event()
    a, b = make_attendee(event), make_attendee(event)
    version = ScheduleVersion(event_id=event.id, number=1)
    db.session.add(version)
    db.session.flush()
    db.session.add(ScheduleMeeting(version_id=version.id, round=1, table=1, a_id=a.id, b_id=b.id))
    db.session.commit()
    assert removal_blockers_of([a, b]) == {a.id: ["in a stored schedule"], b.id: ["in a stored schedule"]}
    with pytest.raises(IntegrityError):
        db.session.execute(delete(Attendee).where(Attendee.id == a.id))
        db.session.flush()
    db.session.rollback()
    assert len(rows_of(event)) == 2


def test_attendee_of_another_event_is_404(organiser, make_event, make_attendee):
    mine, other = make_event(), make_event()
    stranger = make_attendee(other)
    assert organiser.get(f"/console/{mine.slug}/attendees/{stranger.id}/edit").status_code == 404


def _names_in_order(html: str, names: list[str]) -> list[str]:
    return sorted((n for n in names if n in html), key=html.index)


def test_list_follows_the_events_name_order_across_pages(organiser, make_event, make_attendee, app):
    names = ["Anna Zeller", "Zoe Adams", "Émile Bernard", "Bob Östlund", "Chen Wei"]
    event = make_event()
    for name in names:
        make_attendee(event, name=name, withdrawn_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    app.config["ATTENDEES_PER_PAGE"] = 3
    url = f"/console/{event.slug}/attendees/"
    first, second = organiser.get(url).get_data(as_text=True), organiser.get(url + "?page=2").get_data(as_text=True)
    # Family name (the last word, accents folded), as the printed lists and the desk sort.
    assert _names_in_order(first, names) == ["Zoe Adams", "Émile Bernard", "Bob Östlund"]
    assert _names_in_order(second, names) == ["Chen Wei", "Anna Zeller"]
    withdrawn = organiser.get(url, query_string={"state": "withdrawn"}).get_data(as_text=True)
    assert _names_in_order(withdrawn, names) == ["Zoe Adams", "Émile Bernard", "Bob Östlund"]
    event.name_order = "first"
    db.session.commit()
    assert _names_in_order(organiser.get(url).get_data(as_text=True), names) == [
        "Anna Zeller", "Bob Östlund", "Chen Wei"]


# ------------------------------------------------------------------ a form row and a file row agree

FORM_ROW = {"id": "NEW1", "name": "Nia Okafor", "company": "Acme", "region": "EMEA", "partner_type": "ISV",
            "offers": "Hosting", "seeks": "DevOps"}


@pytest.mark.parametrize("cells", [
    {"offers": "Quantum Knitting"}, {"region": "Mars"}, {"partner_type": "Wizard"},
    {"available_rounds": "9"}, {"available_rounds": "4-2"}, {"available_rounds": "2031-01-05"},
    {"must_meet": "ZZ"}, {"must_meet": "a1"}, {"must_meet": "NEW1"}, {"avoid": "NEW1"},
    {"must_meet": "A1", "avoid": "A1"}, {"avoid": "A1"}, {"must_meet": "B2"},
    {"name": ""}, {"company": ""}, {"offers": ""}, {"id": ""}, {"id": "X;Y"}, {"id": "A1"},
    {"email": "not-an-address"}, {"company": "C" * 2_001},
], ids=lambda cells: ",".join(f"{k}={v[:12]}" for k, v in cells.items()))
def test_the_form_and_the_file_say_the_same_about_the_same_cells(app, make_event, make_attendee, cells):
    from scheduler.importer import COLUMNS, AttendeeFileError, read_attendee_file
    from web.attendees.services import AttendeeRowInvalid, form_cells, validate_row

    event = make_event(slug="same-verdict", rounds=8)
    stored = [make_attendee(event, ext_id="A1", name="Ana Lima", company="Acme"),
              make_attendee(event, ext_id="B2", name="Bo Berg", avoid="NEW1")]
    row = {**FORM_ROW, **cells}
    try:
        _attendee, warnings = validate_row(event, row)
        form_says = sorted(("warning", w.field, w.message) for w in warnings)
    except AttendeeRowInvalid as exc:
        assert exc.other_errors == []
        form_says = sorted(("error", name, m) for name, ms in exc.field_errors.items() for m in ms)

    # the file: the stored people on lines 2 and 3, the form's row on line 4; a message that
    # points at another row names its line where the form names the person
    data = attendee_file([*(form_cells(a) for a in stored), {c: row.get(c, "") for c in COLUMNS}])
    names = {"line 2": "Ana Lima", "line 3": "Bo Berg"}

    def as_form_says(message: str) -> str:
        for line, name in names.items():
            message = message.replace(f"({line})", f"({name})")
        return message

    try:
        result = read_attendee_file(data, filename="x.csv", taxonomy=event.taxonomy_obj(), rounds=event.rounds)
        file_says = sorted(("warning", w.field, as_form_says(w.message)) for w in result.warnings if w.line == 4)
    except AttendeeFileError as exc:
        file_says = sorted(("error", e.field, as_form_says(e.message)) for e in exc.errors if e.line == 4)
    assert form_says == file_says
    assert bool(form_says) == (cells != {"avoid": "A1"})
