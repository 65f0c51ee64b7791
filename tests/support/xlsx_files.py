"""Adversarial XLSX workbooks, written straight as zip parts (openpyxl would refuse to write
most of them): each is small on disk and describes far more than an attendee list, so a
reader that trusts it builds gigabytes. Shared by the import-limit tests and
bench/bench_import_memory.py."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = b"</sheetData></worksheet>"
HEADER_ROW = (
    b'<row r="1">' + b"".join(
        b'<c t="inlineStr"><is><t>%s</t></is></c>' % name
        for name in (b"id", b"name", b"company", b"region", b"partner_type", b"offers", b"seeks")
    ) + b"</row>"
)


def workbook(rows: Callable[[], Iterator[bytes]], strings: Callable[[], Iterator[bytes]] | None = None) -> bytes:
    """A one-sheet workbook whose sheetData is what ``rows`` yields (and whose sharedStrings
    part, if any, holds what ``strings`` yields), compressed as tightly as zip allows."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_HEAD)
            for piece in rows():
                sheet.write(piece)
            sheet.write(_SHEET_TAIL)
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8"?>'
                       b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            for piece in strings() if strings else ():
                part.write(piece)
            part.write(b"</sst>")
    return buffer.getvalue()


def _repeat(piece: bytes, times: int, batch: int = 100_000) -> Iterator[bytes]:
    for start in range(0, times, batch):
        yield piece * min(batch, times - start)


def huge_empty_row(cells: int = 6_000_000) -> bytes:
    """The header, then one row of ``cells`` empty cells (4 bytes of XML each)."""
    def rows() -> Iterator[bytes]:
        yield HEADER_ROW + b'<row r="2">'
        yield from _repeat(b"<c/>", cells)
        yield b"</row>"
    return workbook(rows)


def far_column() -> bytes:
    """The header, then a row whose one value sits in the last column Excel has (XFD)."""
    return workbook(lambda: iter([HEADER_ROW, b'<row r="2"><c r="XFD2"><v>1</v></c></row>']))


def many_wide_rows(rows_count: int = 70_000, cells: int = 60) -> bytes:
    """The header, then ``rows_count`` rows of ``cells`` numeric cells each."""
    row = b"<row>" + b"<c><v>1</v></c>" * cells + b"</row>"

    def rows() -> Iterator[bytes]:
        yield HEADER_ROW
        yield from _repeat(row, rows_count, batch=1_000)
    return workbook(rows)


def shared_strings_bomb(count: int = 5_000_000) -> bytes:
    """A one-row sheet beside ``count`` one-letter shared strings (17 bytes of XML each)."""
    return workbook(lambda: iter([HEADER_ROW]), lambda: _repeat(b"<si><t>x</t></si>", count))


ADVERSARIES: dict[str, Callable[[], bytes]] = {
    "one row of 6,000,000 empty cells": huge_empty_row,
    "a value in column XFD": far_column,
    "70,000 rows of 60 cells": many_wide_rows,
    "5,000,000 shared strings": shared_strings_bomb,
}


_CHILD = """
import json, resource, sys, time
from scheduler.importer import AttendeeFileError, read_attendee_file

def peak_kb():
    # VmHWM: this process's own peak (ru_maxrss keeps the parent's across fork and exec)
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

data = open(sys.argv[1], "rb").read()
before = peak_kb()
started = time.perf_counter()
try:
    result = read_attendee_file(data, filename=sys.argv[2])
    answer = {"attendees": len(result.attendees)}
except AttendeeFileError as exc:
    answer = {"filename": exc.filename, "errors": [[e.line, e.field, e.message] for e in exc.errors]}
answer["seconds"] = time.perf_counter() - started
answer["rss_before_kb"] = before
answer["rss_peak_kb"] = peak_kb()
print(json.dumps(answer))
"""


@dataclass(frozen=True)
class Reading:
    """What reading one file in a fresh interpreter gave: the attendees' count or the errors
    ``(line, field, message)``, the peak resident memory of the whole process (ru_maxrss, so
    the interpreter and its imports count too: VmHWM on Linux, ru_maxrss elsewhere) and how much
    of it the reading added."""

    attendees: int | None
    errors: list[tuple[int | None, str | None, str]]
    filename: str | None
    peak_mb: float
    added_mb: float
    seconds: float


def read_in_child(data: bytes, filename: str, folder: Path, root: Path) -> Reading:
    """Read ``data`` as the upload ``filename`` with the importer in a new Python process, so
    its peak resident memory is this reading's alone."""
    path = folder / filename
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), filename], cwd=root,
                          capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return Reading(
        attendees=answer.get("attendees"),
        errors=[tuple(error) for error in answer.get("errors", [])],
        filename=answer.get("filename"),
        peak_mb=answer["rss_peak_kb"] / 1024,
        added_mb=(answer["rss_peak_kb"] - answer["rss_before_kb"]) / 1024,
        seconds=answer["seconds"],
    )
