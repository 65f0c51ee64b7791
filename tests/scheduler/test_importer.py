"""Attendee files as organisers produce them: good ones, broken ones, CSV and XLSX."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from scheduler.domain import Attendee
from scheduler.generator import generate_event
from scheduler.importer import (
    COLUMNS,
    AttendeeFileError,
    RowError,
    RowValidator,
    avoided_warnings,
    read_attendee_file,
    write_attendee_file,
)
from scheduler.spreadsheet import safe_cell, unescape_cell, write_table
from scheduler.taxonomy import DATA_DIR

EVENTS = DATA_DIR / "events"
HEADER = "id,name,company,region,partner_type,offers,seeks"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode("utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def errors_of(data: bytes, filename: str = "people.csv", **kwargs: object) -> list[RowError]:
    with pytest.raises(AttendeeFileError) as caught:
        read_attendee_file(data, filename=filename, **kwargs)  # type: ignore[arg-type]
    return caught.value.errors


def located(errors: list[RowError]) -> set[tuple[int | None, str | None]]:
    return {(e.line, e.field) for e in errors}


# ---------------------------------------------------------------- good files


def test_reads_a_minimal_file_with_canonical_names() -> None:
    result = read_attendee_file(
        csv_bytes("a1,Zoë Ångström,Nordwind AB,emea,isv,hosting ; software development,crm"),
        filename="people.csv",
    )
    (zoe,) = result.attendees
    assert zoe == Attendee(
        id="a1", name="Zoë Ångström", company="Nordwind AB", region="EMEA", partner_type="ISV",
        offers=("Hosting", "Software Development"), seeks=("crm",),
    )
    assert [str(w) for w in result.warnings] == [
        "line 2, seeks: unknown competency 'crm' (did you mean 'Customer Relationship Management'?)"
    ]


def test_optional_columns_and_loose_headings() -> None:
    data = csv_bytes(
        "a1,Ana,Acme,NA,Reseller,Storage,,ana@acme.example,CEO,Canada,1-3; 6,b2,",
        "b2,Bo,Beta,NA,ISV,Hosting,Storage,,,,,,a1",
        header=" ID ,Name,COMPANY,Region,Partner Type,offers,seeks,E-mail,title,country,Available Rounds,must-meet,avoid",
    )
    ana, bo = read_attendee_file(data, filename="x.csv").attendees
    assert (ana.email, ana.title, ana.country) == ("ana@acme.example", "CEO", "Canada")
    assert ana.available_rounds == frozenset({1, 2, 3, 6})
    assert ana.must_meet == ("b2",) and bo.avoid == ("a1",)
    assert bo.available_rounds is None and bo.seeks == ("Storage",)


def test_unknown_columns_are_ignored_with_a_warning() -> None:
    result = read_attendee_file(
        csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,vegan", header=HEADER + ",Dietary needs"), filename="x.csv"
    )
    assert len(result.attendees) == 1
    assert [str(w) for w in result.warnings] == ["line 1, Dietary needs: unknown column 'Dietary needs' ignored"]


def test_blank_rows_are_skipped_but_counted_in_line_numbers() -> None:
    data = csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,", "", ",,,,,,", "b2,Bo,Beta,NA,ISV,Hostng,")
    result = read_attendee_file(data, filename="x.csv")
    assert [a.id for a in result.attendees] == ["a1", "b2"]
    assert [w.line for w in result.warnings] == [5]


def test_utf8_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + csv_bytes("a1,Ελένη Παπαδοπούλου,Ακρόπολη ΑΕ,EMEA,ISV,Hosting,")
    (eleni,) = read_attendee_file(data, filename="x.csv").attendees
    assert eleni.id == "a1" and eleni.name == "Ελένη Παπαδοπούλου"


def test_semicolon_separated_csv_from_european_excel() -> None:
    data = (
        b"id;name;company;region;partner_type;offers;seeks\n"
        b'a1;Ana;Acme;NA;ISV;"Hosting; Storage";IoT\n'
    )
    (ana,) = read_attendee_file(data, filename="x.csv").attendees
    assert ana.offers == ("Hosting", "Storage") and ana.seeks == ("IoT",)


def test_source_may_be_a_path_or_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,"))
    assert read_attendee_file(path).attendees[0].id == "a1"
    assert read_attendee_file(str(path)).attendees[0].id == "a1"
    with path.open("rb") as handle:
        assert read_attendee_file(handle).attendees[0].id == "a1"


def test_xlsx_with_numbers_and_gaps() -> None:
    data = xlsx_bytes([
        ["id", "name", "company", "region", "partner_type", "offers", "seeks", "available_rounds"],
        [1001, "山田 太郎", "Sakura K.K.", "APAC", "ISV", "Hosting", None, 3],
        [None],
        [1002.0, "김민준", "Hanbit", "APAC", "Reseller", "Storage", "Hosting", "2-4"],
    ])
    taro, minjun = read_attendee_file(data, filename="people.xlsx").attendees
    assert (taro.id, taro.name, taro.available_rounds) == ("1001", "山田 太郎", frozenset({3}))
    assert (minjun.id, minjun.available_rounds) == ("1002", frozenset({2, 3, 4}))


def test_bytes_without_a_name_are_recognised_by_content() -> None:
    data = xlsx_bytes([HEADER.split(","), ["a1", "Ana", "Acme", "NA", "ISV", "Hosting", ""]])
    assert read_attendee_file(data).attendees[0].name == "Ana"
    assert read_attendee_file(csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,")).attendees[0].name == "Ana"


def test_availability_covering_every_round_means_present_throughout() -> None:
    data = csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,1-8", "b2,Bo,Beta,NA,ISV,Hosting,,1-3;5-8",
                     header=HEADER + ",available_rounds")
    ana, bo = read_attendee_file(data, filename="x.csv", rounds=8).attendees
    assert ana.available_rounds is None
    assert bo.available_rounds == frozenset({1, 2, 3, 5, 6, 7, 8})


def test_demo_event_reads_cleanly_in_both_formats() -> None:
    csv_result = read_attendee_file(EVENTS / "demo.csv", rounds=8)
    xlsx_result = read_attendee_file(EVENTS / "demo.xlsx", rounds=8)
    assert csv_result.warnings == [] and xlsx_result.warnings == []
    assert csv_result.attendees == xlsx_result.attendees
    assert 55 <= len(csv_result.attendees) <= 65
    assert "<b>Smith & Sons</b>" in {a.company for a in csv_result.attendees}
    names = " ".join(a.name for a in csv_result.attendees)
    for sample in ("Γ", "Ал", "ليلى", "刘", "田中", "박", "é"):
        assert sample in names


# ---------------------------------------------------------------- taxonomy warnings and strict mode


def test_unknown_taxonomy_names_warn_with_line_field_and_suggestion() -> None:
    data = csv_bytes("a1,Ana,Acme,EMEA,ISV,Storage,", "b2,Bo,Beta,Europe,Resseler,Storage;Hostng,")
    result = read_attendee_file(data, filename="x.csv")
    assert result.attendees[1].offers == ("Storage", "Hostng")
    messages = [str(w) for w in result.warnings]
    assert "line 3, offers: unknown competency 'Hostng' (did you mean 'Hosting'?)" in messages
    assert "line 3, partner_type: unknown partner type 'Resseler' (did you mean 'Reseller'?)" in messages
    assert any(m.startswith("line 3, region: unknown region 'Europe'") for m in messages)


def test_strict_mode_turns_unknown_names_into_errors() -> None:
    errors = errors_of(csv_bytes("a1,Ana,Acme,EMEA,ISV,Hostng,"), strict=True)
    assert [str(e) for e in errors] == ["line 2, offers: unknown competency 'Hostng' (did you mean 'Hosting'?)"]


# ---------------------------------------------------------------- every error kind


def test_missing_required_columns_are_all_named() -> None:
    errors = errors_of(csv_bytes("a1,Ana,Acme", header="id,Full Name,company"))
    messages = {str(e) for e in errors}
    assert "missing required column 'name' (rename the column 'Full Name'?)" in messages
    for column in ("region", "partner_type", "offers", "seeks"):
        assert f"missing required column '{column}'" in messages
    assert all(e.line is None for e in errors)


def test_duplicate_id_names_both_lines() -> None:
    errors = errors_of(csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,", "b2,Bo,Beta,NA,ISV,Hosting,",
                                 "a1,Cy,Gamma,NA,ISV,Hosting,"))
    assert [(e.line, e.field) for e in errors] == [(4, "id")]
    assert "'a1'" in errors[0].message and "line 2" in errors[0].message


def test_duplicate_column_is_an_error() -> None:
    errors = errors_of(csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,x", header=HEADER + ",ID"))
    assert [str(e) for e in errors] == ["line 1, id: column 'id' appears twice (columns A and H)"]


@pytest.mark.parametrize("column", ["id", "name", "company", "region", "partner_type", "offers"])
def test_empty_required_field(column: str) -> None:
    values = dict(zip(HEADER.split(","), ["a1", "Ana", "Acme", "NA", "ISV", "Hosting", "IoT"]))
    values[column] = "  "
    errors = errors_of(csv_bytes("b0,Bo,Beta,NA,ISV,Hosting,", ",".join(values.values())))
    assert [str(e) for e in errors] == [f"line 3, {column}: required, but empty"]


def test_offers_of_only_separators_count_as_empty() -> None:
    errors = errors_of(csv_bytes("a1,Ana,Acme,NA,ISV, ; ;,"))
    assert located(errors) == {(2, "offers")}


def test_unknown_and_self_references() -> None:
    data = csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,A2,", "a2,Bo,Beta,NA,ISV,Hosting,,,a2",
                     "a3,Cy,Gamma,NA,ISV,Hosting,,zz; a1,a1", header=HEADER + ",must_meet,avoid")
    messages = [str(e) for e in errors_of(data)]
    assert messages == [
        "line 2, must_meet: unknown id 'A2' (did you mean 'a2'?)",
        "line 3, avoid: lists the attendee's own id 'a2'",
        "line 4, must_meet: unknown id 'zz'",
        "line 4, avoid: 'a1' is also listed in must_meet",
    ]


def test_must_meet_someone_who_avoids_you_is_a_warning() -> None:
    data = csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,a2,", "a2,Bo,Beta,NA,ISV,Hosting,,,a1",
                     header=HEADER + ",must_meet,avoid")
    result = read_attendee_file(data, filename="x.csv")
    assert [str(w) for w in result.warnings] == [
        "line 2, must_meet: 'a2' (line 3) asked to avoid this attendee; the meeting will not happen"
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1-x", "cannot read '1-x'; write round numbers and ranges like 1-4;7-10"),
        ("5-3", "the range '5-3' runs backwards; write 3-5"),
        ("0-2", "rounds are numbered from 1, but '0-2' includes 0"),
        ("7-9", "round 9 in '7-9' is outside the event's rounds 1-8"),
        ("2024-04-01", "'2024-04-01' is a date: the spreadsheet converted the rounds"),
        ("²", "cannot read '²'; write round numbers and ranges like 1-4;7-10"),  # a digit int() refuses
        ("1;³-4", "cannot read '1;³-4'; write round numbers and ranges like 1-4;7-10"),
    ],
)
def test_unreadable_availability(cell: str, message: str) -> None:
    errors = errors_of(csv_bytes(f"a1,Ana,Acme,NA,ISV,Hosting,,{cell}", header=HEADER + ",available_rounds"), rounds=8)
    assert len(errors) == 1
    assert str(errors[0]).startswith(f"line 2, available_rounds: {message}")


def test_availability_beyond_rounds_is_fine_when_rounds_are_unknown() -> None:
    data = csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,7-12", header=HEADER + ",available_rounds")
    assert read_attendee_file(data, filename="x.csv").attendees[0].available_rounds == frozenset(range(7, 13))


def test_excel_date_in_availability_is_explained() -> None:
    import datetime as dt

    data = xlsx_bytes([HEADER.split(",") + ["available_rounds"],
                       ["a1", "Ana", "Acme", "NA", "ISV", "Hosting", "", dt.datetime(2024, 4, 1)]])
    (error,) = errors_of(data, filename="people.xlsx")
    assert (error.line, error.field) == (2, "available_rounds")
    assert "format the column as Text" in error.message


def test_not_utf8_is_reported_with_the_fix() -> None:
    (error,) = errors_of((EVENTS / "bad" / "not_utf8.csv").read_bytes(), filename="not_utf8.csv")
    assert error.line == 2
    assert "not UTF-8" in error.message and "CSV UTF-8" in error.message


@pytest.mark.parametrize("data", [b"", b"  \n\n", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes) -> None:
    assert [e.message for e in errors_of(data)] == ["the file is empty"]


def test_header_without_rows() -> None:
    assert [e.message for e in errors_of(csv_bytes())] == ["the file has a header but no attendee rows"]


@pytest.mark.parametrize("data", [b"PK\x03\x04 definitely not a workbook", b"hello, this is text"])
def test_unreadable_xlsx(data: bytes) -> None:
    (error,) = errors_of(data, filename="people.xlsx")
    assert "cannot read this file as an Excel .xlsx workbook" in error.message


def test_unsupported_extension() -> None:
    assert "old Excel .xls" in errors_of(b"whatever", filename="people.xls")[0].message
    assert "unsupported file type '.pdf'" in errors_of(b"whatever", filename="people.pdf")[0].message


def test_row_with_too_many_cells_names_the_line() -> None:
    (error,) = errors_of(csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,", "a2,Bo,Beta,NA,ISV,Hosting,Storage,extra"))
    assert error.line == 3 and "double quotes" in error.message


def test_all_errors_of_a_file_come_together_in_one_message() -> None:
    with pytest.raises(AttendeeFileError) as caught:
        read_attendee_file(EVENTS / "bad" / "many_problems.csv", rounds=8)
    error = caught.value
    assert error.filename == "many_problems.csv"
    assert located(error.errors) == {
        (3, "company"), (4, "id"), (5, "offers"), (7, "available_rounds"), (8, "must_meet"), (9, "avoid"),
    }
    text = str(error)
    assert text.startswith("Cannot import many_problems.csv: 6 problems, nothing was imported.")
    for e in error.errors:
        assert f"line {e.line}, {e.field}:" in text


# ---------------------------------------------------------------- writing and formula injection


@pytest.mark.parametrize(
    ("value", "written"),
    [("=1+2", "'=1+2"), ("+44 20", "'+44 20"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("'=x", "''=x"), ("Ana", "Ana"), ("'Aisha", "'Aisha"),
     ("a=b", "a=b"), (3, 3), (None, None)],
)
def test_safe_cell_neutralises_formulas_and_unescape_undoes_it(value: object, written: object) -> None:
    assert safe_cell(value) == written
    if isinstance(value, str):
        assert unescape_cell(safe_cell(value)) == value


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_of_a_generated_event(fmt: str) -> None:
    attendees = generate_event(80, rounds=8, seed=7)
    buffer = io.BytesIO()
    write_attendee_file(attendees, buffer, fmt)
    result = read_attendee_file(buffer.getvalue(), filename=f"event.{fmt}", rounds=8)
    assert result.attendees == attendees
    assert result.warnings == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hostile_values_are_escaped_in_the_file_and_read_back_as_typed(tmp_path: Path, fmt: str) -> None:
    sneaky = Attendee(id="x1", name='=HYPERLINK("http://evil.example","click")', company="@Acme",
                      region="NA", partner_type="ISV", offers=("Hosting",), title="-boss", country="+1")
    other = Attendee(id="x2", name="Bo", company="<b>Smith & Sons</b>", region="NA", partner_type="ISV",
                     offers=("Storage",), must_meet=("x1",), available_rounds=frozenset({2, 3, 5}))
    path = tmp_path / f"out.{fmt}"
    write_attendee_file([sneaky, other], path)
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(path).active
        cells = [c.value for row in sheet.iter_rows() for c in row if c.value]
        assert sheet["B2"].data_type == "s"
        assert sheet["K3"].value == "2-3;5"
    else:
        text = path.read_text(encoding="utf-8-sig")
        cells = text.replace("\r\n", ",").split(",")
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in cells)
    assert read_attendee_file(path).attendees == [sneaky, other]


def test_written_csv_starts_with_a_bom_for_excel(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_attendee_file(generate_event(3, rounds=4, seed=1), path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfid,name,company,")


# ---------------------------------------------------------------- performance


@pytest.fixture(scope="module")
def big_event() -> list[Attendee]:
    return generate_event(2000, rounds=10, seed=3)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_two_thousand_rows_round_trip(fmt: str, big_event: list[Attendee]) -> None:
    """The largest file the product plans for (its speed is printed by bench/bench_generator.py)."""
    attendees = big_event
    buffer = io.BytesIO()
    write_attendee_file(attendees, buffer, fmt)
    result = read_attendee_file(buffer.getvalue(), filename=f"big.{fmt}", rounds=10)
    assert result.attendees == attendees


# ------------------------------------------------------------------ one row: form and file agree

STORED = [  # lines 2 and 3 of the file; the checked row is line 4
    {"id": "a1", "name": "Ana", "company": "Acme", "region": "NA", "partner_type": "ISV", "offers": "Hosting"},
    {"id": "b2", "name": "Bo", "company": "Beta", "region": "NA", "partner_type": "ISV", "offers": "Hosting",
     "avoid": "new"},
]
GOOD_ROW = {"id": "new", "name": "Nia", "company": "Acme", "region": "EMEA", "partner_type": "ISV",
            "offers": "Hosting", "seeks": "DevOps"}
BAD_CELLS = [
    {"offers": "Quantum Knitting"}, {"seeks": "Hosting; Quantm"}, {"region": "Mars"},
    {"partner_type": "Wizard"}, {"available_rounds": "9"}, {"available_rounds": "4-2"},
    {"available_rounds": "0-3"}, {"available_rounds": "2031-01-05"}, {"available_rounds": "soon"},
    {"must_meet": "zz"}, {"must_meet": "A1"}, {"must_meet": "new"}, {"avoid": "new"},
    {"must_meet": "a1", "avoid": "a1"}, {"avoid": "a1"}, {"must_meet": "b2"},
    {"name": ""}, {"company": ""}, {"region": ""}, {"partner_type": ""}, {"offers": " ; "}, {"id": ""},
    {"id": "x;y"}, {"id": "a1"}, {"email": "not-an-address"}, {"name": "N" * 2_001},
    {"must_meet": "zz", "region": "Mars", "available_rounds": "4-2"},
]
Verdict = list[tuple[str, str | None, str]]


def _file_verdict(row: dict[str, str], strict: bool) -> Verdict:
    """What the file importer says about the last row of a file holding STORED and ``row``."""
    buffer = io.BytesIO()
    write_table(COLUMNS, [[r.get(c, "") for c in COLUMNS] for r in (*STORED, row)], buffer, "csv")
    own_line = len(STORED) + 2
    try:
        result = read_attendee_file(buffer.getvalue(), filename="x.csv", strict=strict, rounds=8)
    except AttendeeFileError as exc:
        return sorted(("error", e.field, e.message) for e in exc.errors if e.line == own_line)
    return sorted(("warning", w.field, w.message) for w in result.warnings if w.line == own_line)


def _form_verdict(row: dict[str, str], strict: bool) -> Verdict:
    """What the row validator says about ``row`` with STORED as the people beside it, the way
    a form asks: no file, no line numbers; the people around named as the file names them."""
    holders = {stored["id"]: f"line {line}" for line, stored in enumerate(STORED, start=2)}
    validator = RowValidator(strict=strict, rounds=8, known_ids=[*holders, row.get("id", "")])
    check = validator.check({c: row.get(c, "") for c in COLUMNS}, taken_by=holders.get(row.get("id", "")))
    assert all(e.line is None for e in check.errors + check.warnings)
    if check.errors:
        return sorted(("error", e.field, e.message) for e in check.errors)
    avoids = {s["id"]: tuple(s.get("avoid", "").split(";")) for s in STORED}
    warnings = check.warnings + avoided_warnings(row["id"], check.fields["must_meet"], avoids, holders)
    return sorted(("warning", w.field, w.message) for w in warnings)


@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("cells", BAD_CELLS, ids=lambda cells: ",".join(f"{k}={v[:12]}" for k, v in cells.items()))
def test_a_row_gets_the_same_verdict_from_the_validator_and_the_file(cells: dict[str, str], strict: bool) -> None:
    row = {**GOOD_ROW, **cells}
    file_says, form_says = _file_verdict(row, strict), _form_verdict(row, strict)
    assert file_says == form_says
    # every case but avoiding a colleague is noticed, so the comparison above is not vacuous
    assert bool(file_says) == (cells != {"avoid": "a1"})


def test_a_valid_row_gives_an_attendee_and_no_problems() -> None:
    check = RowValidator(rounds=8, known_ids=["a1"]).check({**GOOD_ROW, "must_meet": "a1", "available_rounds": "1-8"})
    assert check.errors == [] and check.warnings == []
    assert check.attendee is not None and check.attendee.must_meet == ("a1",)
    assert check.attendee.available_rounds is None     # every round = present throughout


def test_a_row_with_an_error_gives_no_attendee() -> None:
    check = RowValidator(rounds=8).check({**GOOD_ROW, "available_rounds": "9"})
    assert check.attendee is None and [e.field for e in check.errors] == ["available_rounds"]


def test_a_too_long_cell_is_put_in_its_column_in_a_file_too() -> None:
    errors = errors_of(csv_bytes("a1," + "N" * 2_001 + ",Acme,NA,ISV,Hosting,"))
    assert [(e.line, e.field) for e in errors] == [(2, "name")]
    assert "2,001" in errors[0].message and "2,000" in errors[0].message
