"""Schedules as CSV: one meeting per row, readable by people, spreadsheets and other tools.

Columns: ``round,table,a_id,a_name,a_company,b_id,b_name,b_company,score,reason`` and, when a
:class:`~scheduler.domain.Timetable` is given, ``start,end`` (local ISO times). Text cells pass
through :func:`scheduler.spreadsheet.safe_cell` because names and companies come from public
registrations and the file is opened in spreadsheets; reading undoes exactly that escaping.
The file is plain UTF-8 (a BOM is accepted when reading).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

from scheduler.domain import Attendee, Meeting, Schedule, Timetable
from scheduler.importer import RowError
from scheduler.spreadsheet import safe_cell, unescape_cell

COLUMNS = ("round", "table", "a_id", "a_name", "a_company", "b_id", "b_name", "b_company", "score", "reason")
TIME_COLUMNS = ("start", "end")


class ScheduleFileError(ValueError):
    """Every problem found in a schedule file, each with its line (header = 1) and column."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        lines = [f"Cannot read the schedule: {len(self.errors)} problem{'s' if len(self.errors) != 1 else ''}"]
        lines += [f"  {e}" for e in self.errors]
        super().__init__("\n".join(lines))


def _score_text(score: float) -> str:
    return str(int(score)) if float(score).is_integer() else f"{score:g}"


def schedule_rows(schedule: Schedule, attendees: Sequence[Attendee],
                  timetable: Timetable | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and rows, in round then table order."""
    people = {a.id: a for a in attendees}
    header = list(COLUMNS) + (list(TIME_COLUMNS) if timetable is not None else [])
    rows: list[list[str]] = []
    for m in schedule:
        a, b = people.get(m.a_id), people.get(m.b_id)
        row = [str(m.round), str(m.table), m.a_id, a.name if a else "", a.company if a else "",
               m.b_id, b.name if b else "", b.company if b else "", _score_text(m.score), m.reason]
        if timetable is not None:
            row += [timetable.round_start(m.round).isoformat(), timetable.round_end(m.round).isoformat()]
        rows.append([str(safe_cell(cell)) for cell in row])
    return header, rows


def write_schedule_csv(schedule: Schedule, attendees: Sequence[Attendee], target: str | Path | TextIO,
                       timetable: Timetable | None = None) -> None:
    """Write ``schedule`` to a path or a text file object."""
    header, rows = schedule_rows(schedule, attendees, timetable)
    if isinstance(target, (str, Path)):
        with open(target, "w", encoding="utf-8", newline="") as handle:
            _write(handle, header, rows)
    else:
        _write(target, header, rows)


def _write(handle: TextIO, header: list[str], rows: list[list[str]]) -> None:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)


def _text(source: str | Path | bytes | BinaryIO | TextIO) -> str:
    if isinstance(source, bytes):
        return source.decode("utf-8-sig")
    if isinstance(source, (str, Path)):
        return Path(source).read_bytes().decode("utf-8-sig")
    data = source.read()
    return data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")


def read_schedule_csv(source: str | Path | bytes | BinaryIO | TextIO, attendees: Sequence[Attendee],
                      *, rounds: int | None = None, tables: int | None = None) -> Schedule:
    """Read a schedule written by :func:`write_schedule_csv` (names and companies are ignored).

    ``rounds`` and ``tables`` default to the largest seen. Raises :class:`ScheduleFileError`
    naming the line and column of every bad cell or unknown attendee id.
    """
    try:
        text = _text(source)
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleFileError([RowError(None, None, f"cannot read the file: {exc}")]) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().casefold() for h in next(reader, [])]
    missing = [c for c in ("round", "table", "a_id", "b_id") if c not in header]
    if missing:
        raise ScheduleFileError([RowError(1, c, "column is missing") for c in missing])
    col = {name: header.index(name) for name in header}
    known = {a.id for a in attendees}
    errors: list[RowError] = []
    meetings: list[Meeting] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: unescape_cell(row[k].strip()) for name, k in col.items() if k < len(row)}
        values: dict[str, int] = {}
        for name in ("round", "table"):
            raw = cells.get(name, "")
            if not raw.isdecimal() or int(raw) < 1:
                errors.append(RowError(line, name, f"expected a whole number from 1, got {raw!r}"))
            else:
                values[name] = int(raw)
        ids = {}
        for name in ("a_id", "b_id"):
            ident = cells.get(name, "")
            if not ident:
                errors.append(RowError(line, name, "attendee id is empty"))
            elif ident not in known:
                errors.append(RowError(line, name, f"unknown attendee id {ident!r}"))
            ids[name] = ident
        score = 0.0
        raw_score = cells.get("score", "")
        if raw_score:
            try:
                score = float(raw_score)
            except ValueError:
                errors.append(RowError(line, "score", f"expected a number, got {raw_score!r}"))
        if len(values) == 2 and ids["a_id"] in known and ids["b_id"] in known:
            meetings.append(Meeting(values["round"], values["table"], ids["a_id"], ids["b_id"], score,
                                    cells.get("reason", "")))
    if errors:
        raise ScheduleFileError(errors)
    rounds = rounds if rounds is not None else max((m.round for m in meetings), default=0)
    tables = tables if tables is not None else max((m.table for m in meetings), default=0)
    return Schedule(rounds, tables, tuple(sorted(meetings, key=lambda m: (m.round, m.table))))
