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

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import BinaryIO, Iterable, Sequence, TypeVar

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
    """A file that cannot be read as a table at all; ``line`` is the spreadsheet row when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


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


def read_table(data: bytes, fmt: str, expected_columns: Sequence[str] = ()) -> Table:
    """Parse CSV or XLSX bytes into a :class:`Table`.

    For CSV the separator is whichever of comma, semicolon or tab makes the most
    ``expected_columns`` appear in the header line (Excel writes semicolons in many European
    locales); comma wins ties.
    """
    if not data.strip():
        raise SpreadsheetError("the file is empty")
    raw_rows = _xlsx_rows(data) if fmt == "xlsx" else _csv_rows(data, expected_columns)
    return _to_table(raw_rows)


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
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    expected = {column_key(c) for c in expected_columns}

    def hits(sep: str) -> int:
        return sum(column_key(cell.strip('"')) in expected for cell in first.split(sep))

    return max(_CSV_SEPARATORS, key=lambda sep: (hits(sep), sep == ","))


def _csv_rows(data: bytes, expected_columns: Sequence[str]) -> list[list[object]]:
    text = _decode_text(data)
    sep = _pick_separator(text, expected_columns)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise SpreadsheetError("the file is empty") from None
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            expected, line, saw = (int(g) for g in found.groups())
            raise SpreadsheetError(
                f"this row has {saw} cells but the first row has {expected}; "
                "a value containing the separator must be in double quotes",
                line,
            ) from None
        raise SpreadsheetError(f"cannot read the CSV text: {exc}") from None
    return frame.to_numpy(dtype=object).tolist()


def _xlsx_rows(data: bytes) -> list[list[object]]:
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
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(min_row=1, values_only=True)]
    finally:
        workbook.close()


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


def _to_table(raw_rows: list[list[object]]) -> Table:
    header: tuple[str, ...] | None = None
    header_line = 0
    rows: list[tuple[int, tuple[str, ...]]] = []
    for line, raw in enumerate(raw_rows, start=1):
        cells = tuple(_clean(v) for v in raw)
        if not any(cells):
            continue
        if header is None:
            header, header_line = cells, line
        else:
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
