"""CSV and XLSX tables as organisers edit them, and protection against formula injection.

Reading turns either format into text cells with the row numbers a person sees in a
spreadsheet, so every message can point at a line. Writing produces files that open cleanly in
Excel (UTF-8 with BOM, text-formatted cells).

Attendee names, companies and titles come from registrations anyone can submit. Spreadsheet
programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some programs, a
leading tab or carriage return) as a formula, so every text cell we export passes through
:func:`safe_cell`, which puts an apostrophe in front. The apostrophe is visible in the
spreadsheet, which is the point: the cell is shown as text and never evaluated.

Reading back: :func:`unescape_cell` removes exactly one apostrophe in front of such a value, so
our own exports round-trip. To keep the round trip exact even for a value that already starts
with apostrophes before a trigger character, :func:`safe_cell` adds one apostrophe to those too.
An apostrophe before anything else (a name such as ``'Aisha``) is left alone both ways.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO, TypeVar
from xml.parsers import expat

import openpyxl
import pandas as pd
from openpyxl.styles import Font

_NEEDS_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")

T = TypeVar("T")


def safe_cell(value: T) -> T | str:
    """Return ``value`` ready for a CSV or XLSX cell: text that a spreadsheet would evaluate gets
    a leading apostrophe; numbers, dates and ``None`` pass through unchanged."""
    if isinstance(value, str) and _NEEDS_ESCAPE.match(value):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """Undo :func:`safe_cell` on text read from a cell (see the module docstring)."""
    if _ESCAPED.match(text):
        return text[1:]
    return text


# --------------------------------------------------------------------------- reading tables


class SpreadsheetError(ValueError):
    """A file that cannot be read as a table at all; ``line`` is the spreadsheet row when known.
    A cell over the size limit also names its column's ``heading`` and the ``cell_problem``
    (the wording :func:`cell_too_long` gives a form's field too)."""

    def __init__(self, message: str, line: int | None = None, *, heading: str = "",
                 cell_problem: str = "") -> None:
        self.line = line
        self.heading = heading
        self.cell_problem = cell_problem
        super().__init__(message)


@dataclass(frozen=True)
class TableLimits:
    """How big a table may be before reading stops with a clear error.

    An upload under the size limit can still describe far more work than any event needs: a
    megabyte of one-character lines is half a million rows, and a small XLSX can unpack to
    hundreds of megabytes of XML. Reading stops at the first limit crossed, so memory and time
    stay bounded by these numbers, not by what the file claims.
    """

    max_rows: int = 50_000            # data rows after the header (an event has tens of thousands)
    max_columns: int = 64
    max_cell_chars: int = 2_000
    max_unpacked_bytes: int = 128 * 1024 * 1024   # an XLSX's declared uncompressed size
    # What the XLSX's XML may hold, counted while streaming it before openpyxl builds anything:
    # a row of millions of empty cells, or millions of shared strings, fits in a few MB zipped.
    max_row_cells: int = 16_384       # cell elements in one row (Excel's own column count)
    max_cells: int = 4_000_000        # cell and row elements in a sheet (50,000 x 64 is 3.2 M)
    max_shared_strings: int = 1_000_000
    max_part_bytes: int = 8 * 1024 * 1024   # any other XML part (styles, workbook), read whole


DEFAULT_LIMITS = TableLimits()


@dataclass(frozen=True)
class Table:
    """Cells of the first sheet as text, with the row numbers a person sees in a spreadsheet.

    ``rows`` holds only the non-blank rows after the header, each as ``(line, cells)``; cells are
    trimmed and un-escaped (see :func:`unescape_cell`). Blank rows are skipped but still counted,
    so line numbers in messages match what the organiser sees.
    """

    header: tuple[str, ...]
    header_line: int
    rows: tuple[tuple[int, tuple[str, ...]], ...]


SUPPORTED_FORMATS = ("csv", "xlsx")
_ZIP_MAGIC = b"PK\x03\x04"
_CSV_SEPARATORS = (",", ";", "\t")


def detect_format(filename: str | None, data: bytes) -> str:
    """``csv`` or ``xlsx`` from the file name's extension; by content when there is none."""
    suffix = PurePath(filename).suffix.casefold().lstrip(".") if filename else ""
    if suffix in SUPPORTED_FORMATS:
        return suffix
    if suffix == "xls":
        raise SpreadsheetError("old Excel .xls workbooks are not supported; save it as .xlsx or as CSV UTF-8")
    if suffix:
        raise SpreadsheetError(f"unsupported file type '.{suffix}'; use a .csv or .xlsx file")
    return "xlsx" if data.startswith(_ZIP_MAGIC) else "csv"


def read_table(data: bytes, fmt: str, expected_columns: Sequence[str] = (),
               limits: TableLimits = DEFAULT_LIMITS) -> Table:
    """Parse CSV or XLSX bytes into a :class:`Table`, row by row, within ``limits``.

    For CSV the separator is whichever of comma, semicolon or tab makes the most
    ``expected_columns`` appear in the header line (Excel writes semicolons in many European
    locales); comma wins ties. Raises :class:`SpreadsheetError` at the first limit crossed.
    """
    if not data.strip():
        raise SpreadsheetError("the file is empty")
    if fmt == "xlsx":
        return _to_table(_xlsx_rows(data, limits), limits)
    return _to_table(_csv_rows(data, expected_columns, limits), limits)


def _decode_text(data: bytes) -> str:
    if data.startswith(_ZIP_MAGIC):
        raise SpreadsheetError("this is an Excel workbook, not CSV text; name it .xlsx or save it as CSV UTF-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpreadsheetError(
            "the file is UTF-16 text (Excel 'Unicode Text'); save it as 'CSV UTF-8 (Comma delimited)' instead"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpreadsheetError(
            "the file is not UTF-8 text (this line is the first with an unreadable character); in Excel choose "
            "File > Save As > 'CSV UTF-8 (Comma delimited)', or re-save it as UTF-8 in your editor",
            line,
        ) from None


def _pick_separator(text: str, expected_columns: Sequence[str]) -> str:
    first = next((ln for ln in io.StringIO(text) if ln.strip()), "").rstrip("\r\n")
    expected = {column_key(c) for c in expected_columns}

    def hits(sep: str) -> int:
        return sum(column_key(cell.strip('"')) in expected for cell in first.split(sep))

    return max(_CSV_SEPARATORS, key=lambda sep: (hits(sep), sep == ","))


def _csv_rows(data: bytes, expected_columns: Sequence[str], limits: TableLimits) -> Iterator[Sequence[object]]:
    """The CSV's records one at a time (blank lines as empty records, so line numbers hold).

    A record longer than the first one means an unquoted separator inside a value; a field
    over the cell limit stops the reader before it builds a huge string list.
    """
    text = _decode_text(data)
    sep = _pick_separator(text, expected_columns)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    width: int | None = None
    line = 0
    try:
        for line, record in enumerate(reader, start=1):
            if width is None and any(cell.strip() for cell in record):
                width = len(record)
            elif width is not None and len(record) > width and any(c.strip() for c in record[width:]):
                raise SpreadsheetError(
                    f"this row has {len(record)} cells but the first row has {width}; "
                    "a value containing the separator must be in double quotes",
                    line,
                )
            yield record
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # csv's own bound (128 KB)
            raise SpreadsheetError(
                f"a cell holds more than {limits.max_cell_chars:,} characters (a double quote may "
                "be missing its closing partner)", line + 1) from None
        raise SpreadsheetError(f"cannot read the CSV text: {exc}", line + 1) from None


def _check_unpacked_size(data: bytes, limits: TableLimits) -> None:
    """Refuse a workbook whose parts unpack to more than the limit, from the sizes the zip
    declares, before any XML is parsed (a zip bomb of a few hundred KB would otherwise take
    minutes and gigabytes)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # openpyxl reports the damage in its own words
    declared = sum(max(0, m.file_size) for m in members)
    if len(members) > 10_000 or declared > limits.max_unpacked_bytes:
        raise SpreadsheetError(
            f"this workbook unpacks to {declared / 1_048_576:,.0f} MB, more than the "
            f"{limits.max_unpacked_bytes / 1_048_576:,.0f} MB an attendee list can need; "
            "delete unused sheets, images and formatting, or export CSV UTF-8"
        )


def _xlsx_rows(data: bytes, limits: TableLimits) -> Iterator[Sequence[object]]:
    _check_unpacked_size(data, limits)
    last_row = _scan_workbook(data, limits)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types (zip, XML, KeyError) for damaged files
        raise SpreadsheetError(
            f"cannot read this file as an Excel .xlsx workbook ({type(exc).__name__}); "
            "open it in Excel and save it again as .xlsx, or export CSV UTF-8"
        ) from None
    try:
        if not workbook.worksheets:
            raise SpreadsheetError("the workbook has no worksheet")
        if last_row == 0:
            return  # no row at all: "the file is empty"
        sheet = workbook.worksheets[0]
        # read_only streams the sheet's XML; max_col keeps a row claiming 16,384 columns small
        # (one extra column shows that the limit was crossed); max_row is the last row the scan
        # saw, so a dimension claiming a million rows adds no empty ones.
        yield from sheet.iter_rows(min_row=1, max_row=last_row, max_col=limits.max_columns + 1,
                                   values_only=True)
    finally:
        workbook.close()


_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_STRINGS_PART = "xl/sharedStrings.xml"
_XLSX_MAX_COLUMNS = 16_384
_XLSX_MAX_ROWS = 1_048_576
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d*)")


def _scan_workbook(data: bytes, limits: TableLimits) -> int | None:
    """Stream every worksheet and the shared strings through expat, counting, before openpyxl
    reads anything: openpyxl builds each row's whole element tree (and, without a dimension,
    every sheet's at load), so a 28 KB file with one row of 6,000,000 empty cells took 2 GB.
    Counting keeps no tree: memory stays flat whatever the XML holds. Returns the first sheet's
    last row number (0: no rows; ``None``: not a zip, which openpyxl then reports)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    with archive:
        first = _first_sheet_part(archive, limits)
        scanned = bool(first) and _SHEET_PART.fullmatch(first) is not None and first in archive.namelist()
        last_row: int | None = 0 if scanned else None   # None: openpyxl reads to the sheet's end
        for info in archive.infolist():
            name = info.filename
            if _SHEET_PART.fullmatch(name):
                scan = _SheetScan(limits, check_values=name == first)
                _stream(archive, name, scan.start)
                if name == first:
                    last_row = scan.line
            elif name == _STRINGS_PART:
                _stream(archive, name, _StringsScan(limits).start)
            elif name.endswith((".xml", ".rels")) and info.file_size > limits.max_part_bytes:
                raise SpreadsheetError(
                    f"the workbook's part {name} unpacks to {info.file_size / 1_048_576:,.0f} MB, "
                    f"more than the {limits.max_part_bytes / 1_048_576:,.0f} MB it may hold; "
                    "save the list as a new workbook or export CSV UTF-8")
    return last_row


def _stream(archive: zipfile.ZipFile, name: str, start: Callable[[str, dict[str, str]], None]) -> None:
    """Feed one part to expat in 64 KB pieces; ``start`` sees each element's opening tag and
    raises :class:`SpreadsheetError` to stop. Broken XML is left for openpyxl to report."""
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    try:
        with archive.open(name) as part:
            while chunk := part.read(65_536):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except SpreadsheetError:
        raise
    except (expat.ExpatError, zipfile.BadZipFile, OSError, ValueError):
        return


class _SheetScan:
    """Counts one sheet's rows and cells as expat meets them (see :func:`_scan_workbook`)."""

    def __init__(self, limits: TableLimits, *, check_values: bool) -> None:
        self.limits = limits
        self.check_values = check_values
        self.line = 0
        self.column = 0
        self.in_row = 0
        self.total = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rpartition(":")[2]
        if tag == "c":
            self._cell(attrs.get("r"))
        elif tag in ("v", "is") and self.check_values and self.column > self.limits.max_columns:
            raise SpreadsheetError(
                f"this row has a value in column {column_letter(self.column - 1)} (column "
                f"{self.column:,}); an attendee file has at most {self.limits.max_columns}", self.line)
        elif tag == "row":
            number = attrs.get("r", "")
            self.line = int(number) if number.isdigit() else self.line + 1
            self.column = self.in_row = 0
            self._count()
            if self.line > _XLSX_MAX_ROWS:
                raise SpreadsheetError(f"this row's number is beyond Excel's {_XLSX_MAX_ROWS:,} rows", self.line)

    def _cell(self, ref: str | None) -> None:
        match = _CELL_REF.fullmatch(ref) if ref else None
        self.column = _column_number(match.group(1)) if match else self.column + 1
        self.in_row += 1
        self._count()
        if self.in_row > self.limits.max_row_cells or self.column > _XLSX_MAX_COLUMNS:
            raise SpreadsheetError(
                f"this row holds more than {self.limits.max_row_cells:,} cells (reading stopped "
                "there); a spreadsheet row has at most 16,384", self.line)

    def _count(self) -> None:
        self.total += 1
        if self.total > self.limits.max_cells:
            raise SpreadsheetError(
                f"the sheet holds more than {self.limits.max_cells:,} cells and rows (reading "
                "stopped at this row); delete unused rows and columns or export CSV UTF-8", self.line)


class _StringsScan:
    """Counts the shared strings, which openpyxl keeps all in memory before the first row."""

    def __init__(self, limits: TableLimits) -> None:
        self.limit = limits.max_shared_strings
        self.count = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(":")[2] == "si":
            self.count += 1
            if self.count > self.limit:
                raise SpreadsheetError(
                    f"the workbook holds more than {self.limit:,} different texts (shared "
                    "strings); save the list as a new workbook or export CSV UTF-8")


def _first_sheet_part(archive: zipfile.ZipFile, limits: TableLimits) -> str:
    """The part of the workbook's first sheet, as openpyxl picks it (workbook.xml's first
    sheet through its relationship), or ``""`` when the workbook does not say."""
    first_id: list[str] = []
    targets: dict[str, str] = {}

    def sheet(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(":")[2] == "sheet" and not first_id:
            first_id.extend(v for k, v in attrs.items() if k.rpartition(":")[2] == "id")

    def relationship(name: str, attrs: dict[str, str]) -> None:
        if name.rpartition(":")[2] == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    names = set(archive.namelist())
    for part, handler in (("xl/workbook.xml", sheet), ("xl/_rels/workbook.xml.rels", relationship)):
        if part in names and archive.getinfo(part).file_size <= limits.max_part_bytes:
            _stream(archive, part, handler)
    target = targets.get(first_id[0], "") if first_id else ""
    return target.lstrip("/") if target.startswith("/") else "xl/" + target if target else ""


def _column_number(letters: str) -> int:
    """1-based column number of spreadsheet letters ('A' -> 1, 'XFD' -> 16,384)."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def cell_text(value: object) -> str:
    """Text of one cell as a person reads it: whole numbers without '.0', dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _clean(value: object) -> str:
    return unescape_cell(cell_text(value).strip()).strip()


def _checked_cells(raw: Sequence[object], line: int, header: tuple[str, ...] | None,
                   limits: TableLimits) -> tuple[str, ...]:
    cells = tuple(_clean(v) for v in raw)
    while cells and not cells[-1]:
        cells = cells[:-1]
    if len(cells) > limits.max_columns:
        raise SpreadsheetError(
            f"this row has values in {len(cells)} columns; an attendee file has at most "
            f"{limits.max_columns}", line)
    for index, cell in enumerate(cells):
        problem = cell_too_long(cell, limits)
        if problem:
            heading = header[index] if header and index < len(header) and header[index] else ""
            where = f"column {column_letter(index)}" + (f" ({heading})" if heading else "")
            raise SpreadsheetError(f"{where} {problem}", line, heading=heading, cell_problem=problem)
    return cells


def cell_too_long(text: str, limits: TableLimits = DEFAULT_LIMITS) -> str | None:
    """Why ``text`` is too long for a cell, or ``None``: one wording for a file and a form."""
    if len(text) > limits.max_cell_chars:
        return f"holds {len(text):,} characters; a cell may hold at most {limits.max_cell_chars:,}"
    return None


def _to_table(raw_rows: Iterable[Sequence[object]], limits: TableLimits = DEFAULT_LIMITS) -> Table:
    header: tuple[str, ...] | None = None
    header_line = 0
    rows: list[tuple[int, tuple[str, ...]]] = []
    for line, raw in enumerate(raw_rows, start=1):
        cells = _checked_cells(raw, line, header, limits)
        if not cells:
            continue
        if header is None:
            header, header_line = cells, line
            continue
        if len(rows) >= limits.max_rows:
            raise SpreadsheetError(
                f"the file has more than {limits.max_rows:,} attendee rows (reading stopped at this "
                "line); an event has fewer people than that: check that the right sheet or file "
                "was chosen", line)
        rows.append((line, cells))
    if header is None:
        raise SpreadsheetError("the file is empty")
    return Table(header, header_line, tuple(rows))


def column_key(name: str) -> str:
    """How a column heading is matched: case, surrounding spaces, and spaces or dashes versus
    underscores do not count ('Partner Type' is ``partner_type``)."""
    return "_".join(name.strip().casefold().replace("-", " ").replace("_", " ").split())


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --------------------------------------------------------------------------- writing tables


def write_table(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    target: str | Path | BinaryIO,
    fmt: str,
) -> None:
    """Write a table as UTF-8 CSV (with a BOM, so Excel shows accents) or as an XLSX sheet whose
    cells are formatted as text (so Excel does not turn '1-4' into a date on the next edit).
    Every cell passes through :func:`safe_cell`."""
    safe_rows = [[safe_cell(v) for v in row] for row in rows]
    if fmt == "csv":
        frame = pd.DataFrame(safe_rows, columns=list(header), dtype=object)
        payload = frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    elif fmt == "xlsx":
        payload = _xlsx_bytes(header, safe_rows)
    else:
        raise ValueError(f"unsupported format {fmt!r}; expected one of {', '.join(SUPPORTED_FORMATS)}")
    if isinstance(target, (str, Path)):
        Path(target).write_bytes(payload)
    else:
        target.write(payload)


def _xlsx_bytes(header: Sequence[str], rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    widths = [len(str(h)) for h in header]
    for row in rows:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(str(value)) if value is not None else 0)
    for i, width in enumerate(widths):
        letter = column_letter(i)
        sheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)
        for cell in sheet[letter]:
            cell.number_format = "@"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
