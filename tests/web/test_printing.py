"""Printing in the web app: the print page, PDF downloads, the personal agenda PDF and the
``flask --app web print`` commands. PDFs are read back the way a person would: page count
(pypdf), text (pypdf extraction) and QR codes (rendered with pypdfium2, decoded with zxing-cpp).
"""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from tests.support.text import field_errors, missing_facts, plain
from web.attendees.models import Attendee
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion

SMITH = "<b>Smith & Sons</b>"


# --------------------------------------------------------------------------- helpers


def pdf_pages(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def qr_codes(data: bytes, page: int = 0) -> list[str]:
    image = pdfium.PdfDocument(data)[page].render(scale=3).to_pil().convert("L")
    return sorted(result.text for result in zxingcpp.read_barcodes(image))


def assert_pdf_download(response, filename: str) -> bytes:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"filename={filename}" in disposition
    assert "no-store" in response.headers["Cache-Control"]
    data = response.get_data()
    assert data.startswith(b"%PDF")
    return data


@pytest.fixture
def event(make_event) -> Event:
    return make_event(slug="demo", name="Partner Summit", rounds=3, tables=2)


@pytest.fixture
def people(event, make_attendee) -> list[Attendee]:
    """Four attendees, created out of name order; Bob's company is HTML-like text."""
    return [
        make_attendee(event, ext_id="D4", name="Dora Diaz", company="Diaz Data"),
        make_attendee(event, ext_id="B2", name="Bob Brown", company=SMITH),
        make_attendee(event, ext_id="A1", name="Ann Archer", company="Archer Cloud"),
        make_attendee(event, ext_id="C3", name="Carl Chen", company="Chen Consulting"),
    ]


def publish(event: Event, people: list[Attendee], status: str = "published") -> ScheduleVersion:
    """Store a version: three rounds on two tables, everyone meets everyone once."""
    by_id = {p.ext_id: p for p in people}
    pairs = [
        (1, 1, "A1", "B2"), (1, 2, "C3", "D4"),
        (2, 1, "A1", "C3"), (2, 2, "B2", "D4"),
        (3, 1, "A1", "D4"), (3, 2, "B2", "C3"),
    ]
    version = ScheduleVersion(event_id=event.id, number=1, status=status,
                              published_at=dt.datetime.now(dt.UTC) if status == "published" else None)
    version.meetings = [ScheduleMeeting(round=r, table=t, a_id=by_id[a].id, b_id=by_id[b].id, score=10.0,
                                        reason="stored pair reason") for r, t, a, b in pairs]
    db.session.add(version)
    db.session.commit()
    return version


# --------------------------------------------------------------------------- access


CONSOLE_URLS = ["/console/demo/print", "/console/demo/print/badges", "/console/demo/print/agendas",
                "/console/demo/print/tables", "/console/demo/print/grid",
                "/console/demo/print/checkin-list", "/console/demo/print/badges?attendee=A1"]


@pytest.mark.parametrize("url", CONSOLE_URLS)
def test_console_print_routes_send_anonymous_visitors_to_sign_in(client, event, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_check_in_staff_cannot_print(staff, event, people):
    assert staff.get("/console/demo/print/badges").status_code == 404


def test_overview_links_to_the_print_page(organiser, event):
    assert 'href="/console/demo/print"' in organiser.get("/console/demo/").get_data(as_text=True)


def test_print_page_offers_every_layout_and_escapes_attendee_text(organiser, event, people):
    from badges import LAYOUTS

    page = organiser.get("/console/demo/print")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name, layout in LAYOUTS.items():
        assert f'value="{name}"' in html
        assert layout.description in html
    assert "&lt;b&gt;Smith &amp; Sons&lt;/b&gt;" in html and SMITH not in html
    assert "publish a schedule first" in html


# --------------------------------------------------------------------------- badges


def test_all_badges_a6_one_page_each_in_name_order(organiser, event, people):
    data = assert_pdf_download(organiser.get("/console/demo/print/badges?layout=a6&scope=all"),
                               "demo-badges-a6.pdf")
    assert pdf_pages(data) == 4
    texts = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]
    for text, name in zip(texts, ["Ann Archer", "Bob Brown", "Carl Chen", "Dora Diaz"]):
        assert name in text
    assert "Partner Summit" in texts[0]


def test_sheet_layout_with_crop_marks_packs_badges(organiser, event, make_attendee):
    for n in range(12):
        make_attendee(event, name=f"Guest {n:02d}")
    data = assert_pdf_download(organiser.get("/console/demo/print/badges?layout=a4-10&crop_marks=y"),
                               "demo-badges-a4-10.pdf")
    assert pdf_pages(data) == 2
    assert "Guest 00" in pdf_text(data) and "Guest 11" in pdf_text(data)


def test_badge_qr_holds_the_check_in_code_only(organiser, event, people):
    ann = people[2]
    data = assert_pdf_download(organiser.get("/console/demo/print/badges?attendee=A1"),
                               "demo-badge-A1-a6.pdf")
    assert pdf_pages(data) == 1
    assert "Ann Archer" in pdf_text(data)
    assert qr_codes(data) == [ann.checkin_code]
    assert ann.token not in data.decode("latin-1")


def test_every_badge_of_a_batch_decodes_to_its_attendee(organiser, event, people):
    data = assert_pdf_download(organiser.get("/console/demo/print/badges"), "demo-badges-a6.pdf")
    expected = sorted(people, key=lambda p: p.name)
    assert [qr_codes(data, i) for i in range(4)] == [[p.checkin_code] for p in expected]


def test_badge_numbers_are_the_stored_ones(organiser, event, make_attendee):
    make_attendee(event, ext_id="X1", name="Xena Xu", badge_number=417)
    text = pdf_text(assert_pdf_download(organiser.get("/console/demo/print/badges?attendee=X1"),
                                        "demo-badge-X1-a6.pdf"))
    assert "417" in text


def test_markup_in_company_prints_literally(organiser, event, people):
    data = assert_pdf_download(organiser.get("/console/demo/print/badges?attendee=B2"),
                               "demo-badge-B2-a6.pdf")
    assert SMITH in pdf_text(data)


def test_walk_ins_today_only(organiser, event, make_attendee):
    make_attendee(event, name="Early Import", source="import")
    make_attendee(event, name="Walk In Today", source="walk-in")
    make_attendee(event, name="Walk In Last Week", source="walk-in",
                  created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=7))
    data = assert_pdf_download(organiser.get("/console/demo/print/badges?scope=walk-ins"),
                               "demo-badges-walk-ins-a6.pdf")
    text = pdf_text(data)
    assert pdf_pages(data) == 1
    assert "Walk In Today" in text and "Last Week" not in text and "Early Import" not in text


def test_unknown_attendee_is_a_404_with_a_message(organiser, event, people):
    response = organiser.get("/console/demo/print/badges?attendee=NOPE")
    assert response.status_code == 404
    assert not missing_facts(plain(response.get_data(as_text=True)), "'NOPE'")


def test_one_badge_without_an_id_and_unknown_layout_are_form_errors(organiser, event, people):
    response = organiser.get("/console/demo/print/badges?scope=one")
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "attendee")
    assert organiser.get("/console/demo/print/badges?layout=poster").status_code == 422


def test_unknown_event_is_404(organiser, event):
    assert organiser.get("/console/nope/print/badges").status_code == 404


# --------------------------------------------------------------------------- check-in list


def test_check_in_list_has_names_and_badge_numbers(organiser, event, people):
    data = assert_pdf_download(organiser.get("/console/demo/print/checkin-list"), "demo-checkin-list.pdf")
    assert pdf_pages(data) == 1
    text = pdf_text(data)
    for person in people:
        assert person.name in text
    assert SMITH in text
    assert text.index("Ann Archer") < text.index("Bob Brown") < text.index("Dora Diaz")


# --------------------------------------------------------------------------- published schedule


@pytest.mark.parametrize("url", ["/console/demo/print/agendas", "/console/demo/print/agendas?attendee=A1",
                                 "/console/demo/print/tables", "/console/demo/print/grid"])
def test_schedule_printouts_need_a_published_schedule(organiser, event, people, url):
    publish(event, people, status="draft")   # a draft is not enough
    response = organiser.get(url)
    assert response.status_code == 409
    assert response.mimetype == "text/html"
    assert "publish a schedule first" in response.get_data(as_text=True)


def test_all_agendas_in_name_order_with_reasons_from_each_side(organiser, event, people):
    publish(event, people)
    data = assert_pdf_download(organiser.get("/console/demo/print/agendas"), "demo-agendas.pdf")
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]
    assert len(pages) == 4
    for text, name in zip(pages, ["Ann Archer", "Bob Brown", "Carl Chen", "Dora Diaz"]):
        assert name in text
    assert "Bob Brown" in pages[0] and SMITH in pages[0]      # Ann meets Bob (Smith & Sons) in round 1
    # Reasons come from scheduler.scoring.explain_for, not from the stored pair reason.
    assert "stored pair reason" not in "".join(pages)
    by_name = sorted(people, key=lambda p: p.name)
    assert [qr_codes(data, i) for i in range(4)] == [[p.checkin_code] for p in by_name]


def test_one_agenda(organiser, event, people):
    publish(event, people)
    data = assert_pdf_download(organiser.get("/console/demo/print/agendas?scope=one&attendee=C3"),
                               "demo-agenda-C3.pdf")
    assert pdf_pages(data) == 1
    text = pdf_text(data)
    assert "Carl Chen" in text and "Dora Diaz" in text and "Ann Archer" in text
    assert qr_codes(data) == [people[3].checkin_code]


def test_agendas_follow_the_delayed_timetable(organiser, event, people):
    publish(event, people)
    event.delay_minutes = 15
    event.delay_after_round = 0
    db.session.commit()
    text = pdf_text(organiser.get("/console/demo/print/agendas?attendee=A1").get_data())
    assert "14:15" in text and "14:00" not in text


def test_table_sheets_one_page_per_table(organiser, event, people):
    publish(event, people)
    data = assert_pdf_download(organiser.get("/console/demo/print/tables"), "demo-table-sheets.pdf")
    assert pdf_pages(data) == 2
    text = pdf_text(data)
    for person in people:
        assert person.name in text


def test_master_grid(organiser, event, people):
    publish(event, people)
    data = assert_pdf_download(organiser.get("/console/demo/print/grid"), "demo-master-grid.pdf")
    assert pdf_pages(data) == 1
    text = pdf_text(data)
    for person in people:
        assert person.name in text


# --------------------------------------------------------------------------- personal agenda


def test_personal_agenda_pdf_needs_only_the_token(client, event, people):
    publish(event, people)
    dora = people[0]
    response = client.get(f"/me/{dora.token}/agenda.pdf")
    data = assert_pdf_download(response, "demo-agenda.pdf")
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert pdf_pages(data) == 1
    assert "Dora Diaz" in pdf_text(data)
    assert qr_codes(data) == [dora.checkin_code]


def test_personal_agenda_pdf_unknown_token_is_404(client, event, people):
    publish(event, people)
    response = client.get("/me/not-a-real-token/agenda.pdf")
    assert response.status_code == 404
    assert "noindex" in response.headers["X-Robots-Tag"]
    # The check-in code printed on the badge does not open the agenda either.
    assert client.get(f"/me/{people[0].checkin_code}/agenda.pdf").status_code == 404


def test_personal_agenda_pdf_before_publishing_says_so(client, event, people):
    response = client.get(f"/me/{people[0].token}/agenda.pdf")
    assert response.status_code == 404
    assert "not published" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- CLI


def test_cli_prints_badges_of_a_stored_event(app, event, people, tmp_path):
    out = tmp_path / "badges.pdf"
    result = app.test_cli_runner().invoke(args=["print", "badges", "--event", "demo", "--out", str(out),
                                                "--layout", "avery-5392", "--crop-marks"])
    assert result.exit_code == 0, result.output
    assert "4 badge(s)" in result.output
    data = out.read_bytes()
    assert pdf_pages(data) == 1     # 2 x 3 per US Letter sheet
    assert "Ann Archer" in pdf_text(data)
    assert qr_codes(data) == sorted(p.checkin_code for p in people)


def test_cli_prints_checkin_list_and_one_badge(app, event, people, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "list.pdf"
    result = runner.invoke(args=["print", "checkin-list", "--event", "demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Carl Chen" in pdf_text(out.read_bytes())
    result = runner.invoke(args=["print", "badges", "--event", "demo", "--out", str(out), "--attendee", "B2"])
    assert result.exit_code == 0, result.output
    assert pdf_pages(out.read_bytes()) == 1 and SMITH in pdf_text(out.read_bytes())


def test_cli_schedule_printouts(app, event, people, tmp_path):
    publish(event, people)
    runner = app.test_cli_runner()
    for command, pages in (("agendas", 4), ("tables", 2), ("grid", 1)):
        out = tmp_path / f"{command}.pdf"
        result = runner.invoke(args=["print", command, "--event", "demo", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert pdf_pages(out.read_bytes()) == pages
        assert "Bob Brown" in pdf_text(out.read_bytes())


def test_cli_clear_errors(app, event, people, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["print", "badges", "--event", "nope", "--out", str(out)])
    assert result.exit_code != 0 and not missing_facts(result.output, "'nope'")
    result = runner.invoke(args=["print", "agendas", "--event", "demo", "--out", str(out)])
    assert result.exit_code != 0 and "publish a schedule first" in result.output
    result = runner.invoke(args=["print", "badges", "--event", "demo", "--out", str(out), "--attendee", "ZZ"])
    assert result.exit_code != 0 and not missing_facts(result.output, "'ZZ'")
    assert not out.exists()
