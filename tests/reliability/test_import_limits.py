"""Attendee files that describe far more than an event can hold are refused early, with an
error naming the line and column, and reading them keeps memory bounded: a 100,000-row CSV,
a megabyte of one-character lines, an XLSX that unpacks to ~170 MB, oversized cells, too many
columns, and a file with thousands of row errors (the first ones listed, the rest counted).

Memory is the peak of Python allocations while reading (tracemalloc), not a duration; the
adversarial workbooks (tests/support/xlsx_files.py) are read in a fresh interpreter and held
to the README's bound by the process's peak resident memory (ru_maxrss), imports included."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from scheduler.importer import MAX_LISTED_ERRORS, AttendeeFileError, read_attendee_file
from scheduler.spreadsheet import DEFAULT_LIMITS
from tests.support import xlsx_files

pytestmark = pytest.mark.slow

HEADER = b"id,name,company,region,partner_type,offers,seeks\n"
MEMORY_BOUND = 300 * 1024 * 1024


def refused(data: bytes, filename: str) -> tuple[AttendeeFileError, int]:
    """The error reading ``data`` raises, and the peak memory the reading took."""
    tracemalloc.start()
    try:
        with pytest.raises(AttendeeFileError) as caught:
            read_attendee_file(data, filename=filename)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return caught.value, peak


def csv_rows(count: int) -> bytes:
    body = b"".join(b"L%06d,Person %d,Co %d,EMEA,ISV,Hosting,DevOps\n" % (i, i, i % 97) for i in range(count))
    return HEADER + body


@pytest.mark.parametrize("rows", [DEFAULT_LIMITS.max_rows + 1, 100_000])
def test_more_rows_than_an_event_holds_stops_reading(rows: int):
    error, peak = refused(csv_rows(rows), "people.csv")
    (problem,) = error.errors
    assert error.filename == "people.csv"
    assert f"more than {DEFAULT_LIMITS.max_rows:,} attendee rows" in problem.message
    assert problem.line == DEFAULT_LIMITS.max_rows + 2   # header = 1, the first row too many
    assert peak < MEMORY_BOUND


def test_a_megabyte_of_one_character_lines():
    error, peak = refused(b"a\n" * 500_000, "lines.csv")
    assert len(error.errors) == 1 and "attendee rows" in error.errors[0].message
    assert len(str(error)) < 1_000          # one clear message, not millions
    assert peak < MEMORY_BOUND


def _bomb(unpacked_mb: int) -> bytes:
    """A workbook whose sheet XML unpacks to ``unpacked_mb`` MB from a few hundred KB."""
    buffer = io.BytesIO()
    chunk = b"<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>" * 20_000  # ~1 MB
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for _ in range(unpacked_mb):
                sheet.write(chunk)
    return buffer.getvalue()


def test_an_xlsx_that_unpacks_to_170_mb_is_refused_before_parsing():
    data = _bomb(170)
    assert len(data) < 2 * 1024 * 1024
    error, peak = refused(data, "bomb.xlsx")
    (problem,) = error.errors
    assert "unpacks to" in problem.message and "MB" in problem.message
    assert peak < MEMORY_BOUND


def test_an_oversized_cell_names_its_line_and_column():
    data = HEADER + b"a1,Ana,Acme,EMEA,ISV,Hosting,\n" + b"a2,Bo," + b"x" * 5_000 + b",EMEA,ISV,Hosting,\n"
    error, _peak = refused(data, "cell.csv")
    (problem,) = error.errors
    assert (problem.line, problem.field) == (3, "company")
    assert "5,000 characters" in problem.message and "2,000" in problem.message


def test_a_cell_with_a_missing_closing_quote_is_refused():
    data = HEADER + b'a1,"Ana,Acme,EMEA,ISV,Hosting,\n' + b"a2,Bo,Beta,EMEA,ISV,Hosting,\n" * 20_000
    error, peak = refused(data, "quote.csv")
    assert "characters" in error.errors[0].message
    assert peak < MEMORY_BOUND


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_too_many_columns(fmt: str):
    width = DEFAULT_LIMITS.max_columns + 6
    if fmt == "csv":
        data = (",".join(f"col{i}" for i in range(width)) + "\n" + ",".join("v" for _ in range(width))).encode()
    else:
        import openpyxl

        book = openpyxl.Workbook()
        book.active.append([f"col{i}" for i in range(width)])
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    error, _peak = refused(data, f"wide.{fmt}")
    (problem,) = error.errors
    assert problem.line == 1 and f"at most {DEFAULT_LIMITS.max_columns}" in problem.message


@pytest.mark.parametrize("bad_rows", [MAX_LISTED_ERRORS + 1, 5_000])
def test_row_errors_list_the_first_ones_and_count_the_rest(bad_rows: int):
    data = HEADER + b"".join(b"b%d,Bo,Beta,EMEA,ISV,,\n" % i for i in range(bad_rows))  # offers empty
    error, peak = refused(data, "offers.csv")
    assert len(error.errors) == MAX_LISTED_ERRORS
    assert error.more == bad_rows - MAX_LISTED_ERRORS and error.total == bad_rows
    assert error.errors[0].line == 2 and error.errors[0].field == "offers"
    assert str(error).splitlines()[0].startswith(f"Cannot import offers.csv: {bad_rows} problems")
    assert str(error).splitlines()[-1] == f"  and {bad_rows - MAX_LISTED_ERRORS} more"
    assert peak < MEMORY_BOUND


def test_a_file_at_the_row_limit_is_read_whole():
    result = read_attendee_file(csv_rows(DEFAULT_LIMITS.max_rows), filename="full.csv")
    assert len(result.attendees) == DEFAULT_LIMITS.max_rows


# ------------------------------------------------------------------ adversarial workbooks

# The README's promise for any upload under the limits: what the whole reading process holds at
# its peak, interpreter and imports (about 100 MB) included.
RESIDENT_BOUND_MB = 300


@pytest.mark.parametrize(("build", "line", "words"), [
    (xlsx_files.huge_empty_row, 2, "more than 16,384 cells"),
    (xlsx_files.far_column, 2, "column XFD"),
    (xlsx_files.many_wide_rows, None, f"more than {DEFAULT_LIMITS.max_cells:,} cells"),
    (xlsx_files.shared_strings_bomb, None, f"more than {DEFAULT_LIMITS.max_shared_strings:,} different texts"),
], ids=["empty-row", "XFD", "wide-rows", "shared-strings"])
def test_an_adversarial_workbook_is_refused_within_the_memory_promise(tmp_path, build, line, words):
    data = build()
    assert len(data) < 1024 * 1024          # small on disk, huge once unpacked or parsed
    reading = xlsx_files.read_in_child(data, "tiny.xlsx", tmp_path, Path(__file__).resolve().parents[2])
    assert reading.attendees is None and reading.filename == "tiny.xlsx"
    (problem,) = reading.errors
    assert words in problem[2]
    if line is not None:
        assert problem[0] == line
    else:   # stopped somewhere inside the sheet, or before it (the strings)
        assert problem[0] is None or problem[0] > 50_000
    assert reading.peak_mb < RESIDENT_BOUND_MB


def test_a_row_of_millions_of_empty_cells_names_the_limit_in_process():
    error, peak = refused(xlsx_files.huge_empty_row(), "wide.xlsx")
    (problem,) = error.errors
    assert error.filename == "wide.xlsx" and problem.line == 2
    assert f"{DEFAULT_LIMITS.max_row_cells:,}" in problem.message
    assert peak < 20 * 1024 * 1024          # counted while streaming, never built


def test_a_workbook_with_a_few_empty_cells_past_the_limit_still_reads():
    """Formatting on cells beyond the 64th column (no values) is no reason to refuse."""
    row = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % v
                   for v in (b"a1", b"Ana", b"Acme", b"EMEA", b"ISV", b"Hosting", b""))
    data = xlsx_files.workbook(lambda: iter([xlsx_files.HEADER_ROW, b'<row r="2">' + row
                                             + b'<c r="CZ2" s="1"/></row>']))
    result = read_attendee_file(data, filename="styled.xlsx")
    assert [a.name for a in result.attendees] == ["Ana"]


# ------------------------------------------------------------------ through the console


def _upload(organiser, slug: str, data: bytes, name: str):
    from tests.web.conftest import csrf_token

    url = f"/console/{slug}/attendees/import"
    return organiser.post(url, data={"csrf_token": csrf_token(organiser, url), "file": (io.BytesIO(data), name)},
                          content_type="multipart/form-data")


def test_the_console_refuses_a_100000_row_file_naming_the_limit(organiser, make_event, make_attendee):
    from sqlalchemy import func, select

    from web.attendees.models import Attendee
    from web.extensions import db

    event = make_event(slug="too-many")
    make_attendee(event, ext_id="K1")
    response = _upload(organiser, event.slug, csv_rows(100_000), "everyone.csv")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "everyone.csv" in page and f"more than {DEFAULT_LIMITS.max_rows:,} attendee rows" in page
    assert db.session.scalar(select(func.count()).select_from(Attendee)
                             .where(Attendee.event_id == event.id)) == 1


@pytest.mark.parametrize("rows", [1, 3_000])
def test_a_large_import_is_written_whole_with_fresh_codes(organiser, make_event, make_attendee, rows: int):
    from sqlalchemy import select

    from tests.web.conftest import csrf_token
    from web.attendees.models import Attendee
    from web.extensions import db

    event = make_event(slug=f"bulk-{rows}")
    kept = make_attendee(event, ext_id="L000000", name="Already Here")
    kept_token, kept_badge = kept.token, kept.badge_number
    assert _upload(organiser, event.slug, csv_rows(rows), "people.csv").status_code == 302
    preview = f"/console/{event.slug}/attendees/import/preview"
    page = organiser.get(preview).get_data(as_text=True)
    if rows > 200:  # the preview names the first ones and counts the rest
        assert f"and {rows - 1 - 200} more" in page and "Person 2999" not in page
        assert len(page) < 200_000
    response = organiser.post(f"/console/{event.slug}/attendees/import/commit",
                              data={"csrf_token": csrf_token(organiser, preview)})
    assert response.status_code == 302
    db.session.expire_all()
    stored = list(db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)))
    assert len(stored) == rows
    by_id = {a.ext_id: a for a in stored}
    assert by_id["L000000"].token == kept_token and by_id["L000000"].badge_number == kept_badge
    assert by_id["L000000"].name == "Person 0"                      # updated in place
    assert len({a.token for a in stored}) == len({a.checkin_code for a in stored}) == rows
    assert sorted(a.badge_number for a in stored) == list(range(1, rows + 1)) or rows == 1


def test_check_ins_go_on_while_a_large_import_is_written(app, make_event, make_attendee):
    """A 20,000-row import is written in short batches: kiosks' check-ins complete between them
    (counted while part of the file is staged), and none of them sees a half-written import."""
    import threading
    import uuid

    from sqlalchemy import func, select

    from scheduler.importer import read_attendee_file
    from web.attendees.models import Attendee, attendee_import_rows
    from web.attendees.services import commit_import
    from web.checkin.services import check_in
    from web.extensions import db

    event = make_event(slug="busy-door")
    people = [make_attendee(event, ext_id=f"D{i:03d}", name=f"Door {i}") for i in range(200)]
    codes = [p.checkin_code for p in people]
    event_id = event.id
    incoming = read_attendee_file(csv_rows(20_000), filename="big.csv").attendees

    def run_import() -> None:
        with app.app_context():
            from web.events.models import Event

            commit_import(db.session.get(Event, event_id), incoming, remove_missing=False)

    importer = threading.Thread(target=run_import)
    importer.start()
    interleaved, seen_counts = 0, set()
    while importer.is_alive() and codes:
        with app.app_context():
            result = check_in(db.session.get(type(event), event_id), codes.pop(), nonce=uuid.uuid4().hex)
            assert result.status == "welcome"
            if db.session.scalar(select(func.count()).select_from(attendee_import_rows)):
                interleaved += 1   # this check-in was committed between two of the import's batches
                seen_counts.add(db.session.scalar(select(func.count()).select_from(Attendee)
                                                  .where(Attendee.event_id == event_id)))
            db.session.remove()
    importer.join()
    assert interleaved >= 3
    assert seen_counts <= {200, 20_200}    # the people from before, or everyone: never a part
    assert db.session.scalar(select(func.count()).select_from(Attendee)
                             .where(Attendee.event_id == event_id)) == 20_200


def test_only_the_first_sheet_is_held_to_the_column_limit():
    """The importer reads the first sheet; a wide lookup sheet beside it is no reason to refuse."""
    import openpyxl

    book = openpyxl.Workbook()
    people = book.active
    people.append(["id", "name", "company", "region", "partner_type", "offers", "seeks"])
    people.append(["a1", "Ana", "Acme", "EMEA", "ISV", "Hosting", ""])
    book.create_sheet("Lookup").cell(row=1, column=100, value="wide")
    buffer = io.BytesIO()
    book.save(buffer)
    assert [a.name for a in read_attendee_file(buffer.getvalue(), filename="two.xlsx").attendees] == ["Ana"]

    people.cell(row=2, column=100, value="stray")
    buffer = io.BytesIO()
    book.save(buffer)
    error, _peak = refused(buffer.getvalue(), "two.xlsx")
    (problem,) = error.errors
    assert problem.line == 2 and "column CV" in problem.message
