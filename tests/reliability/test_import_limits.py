"""Attendee files that describe far more than an event can hold are refused early, with an
error naming the line and column, and reading them keeps memory bounded: a 100,000-row CSV,
a megabyte of one-character lines, an XLSX that unpacks to ~170 MB, oversized cells, too many
columns, and a file with thousands of row errors (the first ones listed, the rest counted).

Memory is the peak of Python allocations while reading (tracemalloc), not a duration."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest

from scheduler.importer import MAX_LISTED_ERRORS, AttendeeFileError, read_attendee_file
from scheduler.spreadsheet import DEFAULT_LIMITS

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
