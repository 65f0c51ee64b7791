"""Attendee files (CSV or XLSX) to :class:`~scheduler.domain.Attendee` values, and back.

An organiser fixes a rejected file in a spreadsheet, so the importer reports every problem of a
file at once, each with the row number the spreadsheet shows (header = line 1) and the column,
and returns nothing half-parsed. Names that merely differ from the taxonomy are accepted with a
warning (a typo should not block an event) unless the import is strict.

Format of the file: see ``data/events/README.md``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from scheduler.addresses import AddressError, normalise_address, single_line
from scheduler.domain import Attendee, AttendeeFields, MeetingRequest, Taxonomy
from scheduler.requests import session_rounds
from scheduler.spreadsheet import (
    DEFAULT_LIMITS,
    SpreadsheetError,
    Table,
    TableLimits,
    cell_too_long,
    column_key,
    column_letter,
    detect_format,
    read_table,
    write_table,
)
from scheduler.taxonomy import TaxonomyMatcher, load_taxonomy

REQUIRED_COLUMNS = ("id", "name", "company", "region", "partner_type", "offers", "seeks")
OPTIONAL_COLUMNS = ("email", "title", "country", "available_rounds", "must_meet", "avoid",
                    "wish_must", "wish_want", "wish_no")
# Columns that name other attendees by id: the organiser's must_meet and avoid, and the
# attendee's own wishes (Must and Want weigh in the plan, No forbids the pair as avoid does).
REFERENCE_COLUMNS = ("must_meet", "avoid", "wish_must", "wish_want", "wish_no")
# Pairs of those columns that may not name the same person: they contradict each other (or,
# among the wishes, leave it unclear what the attendee wants). must_meet beside a Must or Want
# wish agrees, and avoid beside No says the same thing twice; both are accepted.
_CONFLICTING_COLUMNS = (("must_meet", "avoid"), ("must_meet", "wish_no"), ("wish_must", "avoid"),
                        ("wish_want", "avoid"), ("wish_must", "wish_want"), ("wish_must", "wish_no"),
                        ("wish_want", "wish_no"))
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# Columns that must hold a value on every row (``seeks`` must exist but may be empty).
_NON_EMPTY = ("id", "name", "company", "region", "partner_type", "offers")
# Headings people commonly use for our columns (after column_key normalisation).
_COLUMN_ALIASES = {"e_mail": "email", "email_address": "email", "job_title": "title"}

_LIST_SPLIT = re.compile(r"\s*;\s*")
_ROUND_SPLIT = re.compile(r"[;,]")
_ROUND_RANGE = re.compile(r"^(\d+)\s*(?:-|–|—|\.\.|to)\s*(\d+)$", re.IGNORECASE)
_LOOKS_LIKE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Problems listed one by one; beyond these only a count. A wrong file (a megabyte of stray
# lines) would otherwise produce millions of messages and an answer of hundreds of MB.
MAX_LISTED_ERRORS = 100
MAX_LISTED_WARNINGS = 200


@dataclass(frozen=True)
class RowError:
    """One problem: ``line`` as a spreadsheet shows it (header = 1, first data row = 2; ``None``
    for the file as a whole), ``field`` the column concerned (``None`` when no single one is)."""

    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        if self.line and self.field:
            return f"line {self.line}, {self.field}: {self.message}"
        if self.line:
            return f"line {self.line}: {self.message}"
        return self.message


class AttendeeFileError(ValueError):
    """Every problem found in one attendee file; nothing of the file was imported."""

    def __init__(self, filename: str, errors: Sequence[RowError], more: int = 0) -> None:
        self.filename = filename
        self.errors = sorted(errors, key=lambda e: e.line or 0)
        self.more = more  # problems found beyond the listed ones (only counted)
        count = len(self.errors) + more
        lines = [f"Cannot import {filename}: {count} problem{'s' if count != 1 else ''}, nothing was imported."]
        lines += [f"  {e}" for e in self.errors]
        if more:
            lines.append(f"  and {more} more")
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type, tuple[str, list[RowError], int]]:
        # Rebuilt from its fields, so the error crosses a process boundary intact (the web app
        # reads uploads in a low-priority process; see web/attendees/parsing.py).
        return (type(self), (self.filename, list(self.errors), self.more))

    @property
    def total(self) -> int:
        return len(self.errors) + self.more


@dataclass(frozen=True)
class ImportResult:
    """Attendees in file order, and what the organiser should look at without it blocking."""

    attendees: list[Attendee]
    warnings: list[RowError] = field(default_factory=list)


# --------------------------------------------------------------------------- reading


def read_attendee_file(
    source: str | Path | bytes | BinaryIO,
    *,
    filename: str | None = None,
    taxonomy: Taxonomy | None = None,
    strict: bool = False,
    rounds: int | None = None,
    known_ids: Collection[str] = (),
    limits: TableLimits = DEFAULT_LIMITS,
) -> ImportResult:
    """Read an attendee file from a path, bytes or a binary file object.

    The format follows ``filename`` (or the path's / file object's name): ``.csv`` or ``.xlsx``;
    bytes without a name are recognised by content. ``strict`` turns unknown taxonomy names
    into errors. With ``rounds``, availability must lie within 1..rounds, and an availability
    covering every round is stored as ``None`` (present throughout). ``known_ids`` are ids of
    attendees stored outside the file that must_meet and avoid may name (one row typed into a
    form is checked against the few stored people it names, not the whole list).

    Reading stops at the first of ``limits`` crossed (rows, columns, cell size, unpacked XLSX
    size). Raises :class:`AttendeeFileError` listing the first :data:`MAX_LISTED_ERRORS`
    problems of the file and counting the rest.
    """
    data, name = _read_source(source, filename)
    display = Path(name).name if name else "the attendee file"
    try:
        table = read_table(data, detect_format(name, data), expected_columns=COLUMNS, limits=limits)
    except SpreadsheetError as exc:
        raise AttendeeFileError(display, [_table_error(exc)]) from None
    del data
    parser = _Parser(table, TaxonomyMatcher(taxonomy or load_taxonomy()), strict, rounds,
                     frozenset(known_ids))
    attendees = parser.parse()
    if parser.errors:
        raise AttendeeFileError(display, parser.errors, parser.more_errors)
    warnings = parser.warnings
    if parser.more_warnings:
        warnings = [*warnings, RowError(None, None, f"and {parser.more_warnings} more warnings")]
    return ImportResult(attendees, warnings)


def _table_error(exc: SpreadsheetError) -> RowError:
    """A file that cannot be read as a table; a cell too long is put in its column, as the
    row validator puts a form's field that is too long."""
    key = column_key(exc.heading)
    key = _COLUMN_ALIASES.get(key, key)
    if exc.cell_problem and key in COLUMNS:
        return RowError(exc.line, key, exc.cell_problem)
    return RowError(exc.line, None, str(exc))


def _read_source(source: str | Path | bytes | BinaryIO, filename: str | None) -> tuple[bytes, str | None]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return path.read_bytes(), filename or str(path)
        except OSError as exc:
            raise AttendeeFileError(filename or path.name, [RowError(None, None, f"cannot open the file ({exc.strerror})")]) from None
    data = source.read()
    if isinstance(data, str):
        raise TypeError("read_attendee_file needs a binary file object (open the file with 'rb')")
    return data, filename or getattr(source, "name", None) or getattr(source, "filename", None)


@dataclass
class _Row:
    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class RowCheck:
    """One row's verdict: its fields as read, and the problems found in them. ``attendee`` is
    ``None`` while any error stands, so a half-checked row cannot be stored by mistake."""

    fields: AttendeeFields
    errors: list[RowError]
    warnings: list[RowError]

    @property
    def attendee(self) -> Attendee | None:
        return None if self.errors else Attendee(**self.fields)


class RowValidator:
    """Every check of one attendee row, for the file importer and for a row typed into a form.

    Built once with what a row is checked against: the taxonomy (unknown names are errors when
    ``strict``, warnings otherwise), the event's ``rounds`` and ``known_ids``, the ids that
    must_meet and avoid may name (a file's own ids and those stored beside it; for a form, the
    few stored people the row names). One home for the rules and their wording, so a form
    shows exactly what an uploaded file would say about the same cells, without writing a file.
    """

    def __init__(self, taxonomy: Taxonomy | None = None, *, strict: bool = False,
                 rounds: int | None = None, known_ids: Iterable[str] = (),
                 matcher: TaxonomyMatcher | None = None, limits: TableLimits = DEFAULT_LIMITS) -> None:
        self.matcher = matcher or TaxonomyMatcher(taxonomy or load_taxonomy())
        self.strict = strict
        self.rounds = rounds
        self.limits = limits
        ids = list(known_ids)
        self.known_ids = frozenset(ids)
        # a later id wins a case-insensitive "did you mean" tie (a file's own ids come last)
        self.folded_ids = {i.casefold(): i for i in ids}

    def check(self, cells: Mapping[str, str], *, line: int | None = None,
              taken_by: str | None = None) -> RowCheck:
        """Check one row. ``cells`` maps columns to cell text; a column missing from ``cells``
        is a column missing from the file (reported once, by the header check), not an empty
        cell. ``taken_by`` names whoever already has the row's id ("line 2", a stored
        attendee's name); ``line`` goes into each problem (``None`` for a form)."""
        found = _Found(line, self.strict)
        own = cells.get("id", "")
        if own and taken_by is not None:
            found.error("id", id_taken_message(own, taken_by))
        for column in _NON_EMPTY:
            if column not in cells:
                continue
            # offers counts as empty when it holds only separators
            if not (_split_list(cells[column]) if column == "offers" else cells[column]):
                found.error(column, "required, but empty")
        if ";" in own:
            found.error("id", f"an id cannot contain ';' ('{own}'); use '-' or '_' instead")
        email = cells.get("email", "").strip()
        if email:
            try:
                email = normalise_address(email)
            except AddressError as exc:
                found.error("email", f"'{single_line(email)[:80]}' is not one plain e-mail address: {exc}")
        fields: AttendeeFields = {
            "id": own,
            "name": single_line(cells.get("name", "")),
            "company": single_line(cells.get("company", "")),
            "region": self._taxonomy_name(found, "region", "regions", cells.get("region", "")),
            "partner_type": self._taxonomy_name(found, "partner_type", "partner_types",
                                                cells.get("partner_type", "")),
            "offers": self._competencies(found, "offers", cells.get("offers", "")),
            "seeks": self._competencies(found, "seeks", cells.get("seeks", "")),
            "email": email,
            "title": single_line(cells.get("title", "")),
            "country": single_line(cells.get("country", "")),
            "available_rounds": self._availability(found, cells.get("available_rounds", "")),
            "must_meet": _split_list(cells.get("must_meet", "")),
            "avoid": _split_list(cells.get("avoid", "")),
            "wish_must": _split_list(cells.get("wish_must", "")),
            "wish_want": _split_list(cells.get("wish_want", "")),
            "wish_no": _split_list(cells.get("wish_no", "")),
        }
        if cells.get("name", "").strip() and not fields["name"]:
            found.error("name", "holds only line breaks or control characters")
        found.errors += self.reference_errors(own, fields["must_meet"], fields["avoid"], line=line,
                                              wish_must=fields["wish_must"], wish_want=fields["wish_want"],
                                              wish_no=fields["wish_no"])
        too_long = [RowError(line, column, problem) for column, text in cells.items()
                    if (problem := cell_too_long(text, self.limits))]
        if too_long:  # a file stops reading at such a cell: nothing else about the row is said
            return RowCheck(fields, too_long, [])
        return RowCheck(fields, found.errors, found.warnings)

    def reference_errors(self, own: str, must_meet: Iterable[str], avoid: Iterable[str], *,
                         line: int | None = None, wish_must: Iterable[str] = (),
                         wish_want: Iterable[str] = (), wish_no: Iterable[str] = ()) -> list[RowError]:
        """must_meet, avoid and the three wish lists naming the row's own id, an id not known,
        or one person in two lists that contradict each other (:data:`_CONFLICTING_COLUMNS`).
        Also asked of stored rows when a form renames an id they name."""
        errors: list[RowError] = []
        lists = {"must_meet": tuple(must_meet), "avoid": tuple(avoid), "wish_must": tuple(wish_must),
                 "wish_want": tuple(wish_want), "wish_no": tuple(wish_no)}
        for column, refs in lists.items():
            for ref in refs:
                if ref == own:
                    errors.append(RowError(line, column, f"lists the attendee's own id '{ref}'"))
                elif ref not in self.known_ids:
                    close = self.folded_ids.get(ref.casefold())
                    hint = f" (did you mean '{close}'?)" if close else ""
                    errors.append(RowError(line, column, f"unknown id '{ref}'{hint}"))
        for first, second in _CONFLICTING_COLUMNS:
            for ref in sorted(set(lists[first]) & set(lists[second])):
                errors.append(RowError(line, second, f"'{ref}' is also listed in {first}"))
        return errors

    def _taxonomy_name(self, found: _Found, column: str, kind: str, text: str) -> str:
        if not text:
            return ""
        match = self.matcher.match(kind, text)
        if not match.known:
            hint = f" (did you mean '{match.suggestion}'?)" if match.suggestion else ""
            found.taxonomy(column, f"unknown {self.matcher.label(kind)} '{match.name}'{hint}")
        return match.name

    def _competencies(self, found: _Found, column: str, text: str) -> tuple[str, ...]:
        names: dict[str, None] = {}
        for item in _split_list(text):
            names.setdefault(self._taxonomy_name(found, column, "competencies", item), None)
        return tuple(names)

    def _availability(self, found: _Found, text: str) -> frozenset[int] | None:
        if not text:
            return None
        rounds: set[int] = set()
        for part in (p.strip() for p in _ROUND_SPLIT.split(text)):
            if not part:
                continue
            if part.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
                low = high = int(part)
            elif matched := _ROUND_RANGE.match(part):
                low, high = int(matched.group(1)), int(matched.group(2))
            else:
                found.error("available_rounds", _unreadable_rounds(text))
                return None
            problem = self._range_problem(part, low, high)
            if problem:
                found.error("available_rounds", problem)
                return None
            rounds.update(range(low, high + 1))
        if not rounds:
            return None
        if self.rounds is not None and rounds >= set(range(1, self.rounds + 1)):
            return None
        return frozenset(rounds)

    def _range_problem(self, part: str, low: int, high: int) -> str | None:
        if low > high:
            return f"the range '{part}' runs backwards; write {high}-{low}"
        if low < 1:
            return f"rounds are numbered from 1, but '{part}' includes {low}"
        if self.rounds is not None and high > self.rounds:
            return f"round {high} in '{part}' is outside the event's rounds 1-{self.rounds}"
        return None


def validate_attendee_row(cells: Mapping[str, str], *, known_ids: Iterable[str] = (),
                          taxonomy: Taxonomy | None = None, strict: bool = False,
                          rounds: int | None = None, taken_by: str | None = None) -> RowCheck:
    """One row checked as :func:`read_attendee_file` checks each row of a file (see
    :class:`RowValidator`); for checking many rows, build the validator once."""
    validator = RowValidator(taxonomy, strict=strict, rounds=rounds, known_ids=known_ids)
    return validator.check(cells, taken_by=taken_by)


def id_taken_message(ident: str, taken_by: str) -> str:
    """The one wording for an id someone else already has, in a file or in a form."""
    return f"another attendee ({taken_by}) already has the id '{ident}'"


def avoided_warnings(own: str, must_meet: Iterable[str], avoids_of: Mapping[str, Collection[str]],
                     holders: Mapping[str, str], *, line: int | None = None) -> list[RowError]:
    """A must-meet with someone who asked to avoid this attendee cannot happen: say so on the
    row that asks. ``avoids_of`` maps ids to their avoid lists, ``holders`` ids to how the
    person is named to the reader ("line 3" in a file, a name in a form)."""
    return [RowError(line, "must_meet",
                     f"'{ref}' ({holders.get(ref, 'another attendee')}) asked to avoid this attendee; "
                     "the meeting will not happen")
            for ref in must_meet if own in avoids_of.get(ref, ())]


class _Found:
    """The errors and warnings of one row while it is checked."""

    def __init__(self, line: int | None, strict: bool) -> None:
        self.line = line
        self.strict = strict
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.line, column, message))

    def warn(self, column: str, message: str) -> None:
        self.warnings.append(RowError(self.line, column, message))

    def taxonomy(self, column: str, message: str) -> None:
        """An unknown taxonomy name blocks only a strict import; otherwise it is a warning."""
        (self.error if self.strict else self.warn)(column, message)


class _Parser:
    """Checks one table; collects errors and warnings instead of stopping at the first."""

    def __init__(self, table: Table, matcher: TaxonomyMatcher, strict: bool, rounds: int | None,
                 known_ids: frozenset[str] = frozenset()) -> None:
        self.table = table
        self.matcher = matcher
        self.strict = strict
        self.rounds = rounds
        self.known_ids = known_ids
        self.errors: list[RowError] = []
        self.warnings: list[RowError] = []
        self.more_errors = 0      # found beyond MAX_LISTED_ERRORS, counted only
        self.more_warnings = 0
        self.columns: dict[str, int] = {}

    def error(self, line: int | None, column: str | None, message: str) -> None:
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append(RowError(line, column, message))
        else:
            self.more_errors += 1

    def warn(self, line: int | None, column: str | None, message: str) -> None:
        if len(self.warnings) < MAX_LISTED_WARNINGS:
            self.warnings.append(RowError(line, column, message))
        else:
            self.more_warnings += 1

    # ---- header

    def read_header(self) -> None:
        line = self.table.header_line
        seen: dict[str, int] = {}
        for index, heading in enumerate(self.table.header):
            key = column_key(heading)
            key = _COLUMN_ALIASES.get(key, key)
            if not key:
                if any(index < len(cells) and cells[index] for _, cells in self.table.rows):
                    self.warn(line, None, f"column {column_letter(index)} has values but no heading; ignored")
                continue
            if key in seen:
                self.error(
                    line,
                    key,
                    f"column '{key}' appears twice (columns {column_letter(seen[key])} and {column_letter(index)})",
                )
                continue
            seen[key] = index
            if key not in COLUMNS:
                self.warn(line, heading, f"unknown column '{heading}' ignored")
        self.columns = {k: i for k, i in seen.items() if k in COLUMNS}
        unknown = {k: self.table.header[i] for k, i in seen.items() if k not in COLUMNS}
        for column in REQUIRED_COLUMNS:
            if column not in self.columns:
                close = difflib.get_close_matches(column, list(unknown), n=1, cutoff=0.5)
                hint = f" (rename the column '{unknown[close[0]]}'?)" if close else ""
                self.error(None, column, f"missing required column '{column}'{hint}")

    # ---- rows

    def parse(self) -> list[Attendee]:
        """Every row through one :class:`RowValidator` that knows all of the file's ids (a row
        may name someone further down), then the must-meets that an avoid will block."""
        self.read_header()
        if not self.table.rows:
            self.error(None, None, "the file has a header but no attendee rows")
            return []
        rows = [_Row(line, self._row_values(cells)) for line, cells in self.table.rows]
        first_line: dict[str, int] = {}
        for row in rows:
            if row.values.get("id", ""):
                first_line.setdefault(row.values["id"], row.line)
        validator = RowValidator(matcher=self.matcher, strict=self.strict, rounds=self.rounds,
                                 known_ids=[*sorted(self.known_ids), *first_line])
        checks: list[tuple[_Row, RowCheck]] = []
        for row in rows:
            own = row.values.get("id", "")
            holder = first_line.get(own, row.line)
            check = validator.check(row.values, line=row.line,
                                    taken_by=f"line {holder}" if holder != row.line else None)
            for problem in check.errors:
                self.error(problem.line, problem.field, problem.message)
            for problem in check.warnings:
                self.warn(problem.line, problem.field, problem.message)
            checks.append((row, check))
        self.warn_avoided(checks, first_line)
        if self.errors or self.more_errors:
            return []
        return [Attendee(**check.fields) for _, check in checks]

    def _row_values(self, cells: tuple[str, ...]) -> dict[str, str]:
        return {column: (cells[i] if i < len(cells) else "") for column, i in self.columns.items()}

    def warn_avoided(self, checks: list[tuple[_Row, RowCheck]], first_line: dict[str, int]) -> None:
        """:func:`avoided_warnings` for each id's first row, naming the avoiding rows by line."""
        firsts = [check.fields for row, check in checks
                  if check.fields["id"] and first_line[check.fields["id"]] == row.line]
        avoids_of = {fields["id"]: (*fields["avoid"], *fields.get("wish_no", ())) for fields in firsts}
        holders = {ident: f"line {line}" for ident, line in first_line.items()}
        for fields in firsts:
            for problem in avoided_warnings(fields["id"], fields["must_meet"], avoids_of, holders,
                                            line=first_line[fields["id"]]):
                self.warn(problem.line, problem.field, problem.message)


def _split_list(text: str) -> tuple[str, ...]:
    """``a; b;;c`` -> ``('a', 'b', 'c')``, first occurrence kept."""
    return tuple(dict.fromkeys(p for p in _LIST_SPLIT.split(text.strip()) if p))


def _unreadable_rounds(text: str) -> str:
    if _LOOKS_LIKE_DATE.match(text):
        return (
            f"'{text}' is a date: the spreadsheet converted the rounds; format the column as Text "
            "and type the rounds again (e.g. 1-4;7-10)"
        )
    return f"cannot read '{text}'; write round numbers and ranges like 1-4;7-10"


# --------------------------------------------------------------------------- writing


def format_rounds(rounds: Iterable[int] | None) -> str:
    """``{1, 2, 3, 4, 7}`` -> ``'1-4;7'``; ``None`` (every round) -> ``''``."""
    if rounds is None:
        return ""
    parts: list[str] = []
    ordered = sorted(set(rounds))
    first = 0                      # position in ``ordered`` where the current run starts
    for k, r in enumerate(ordered):
        if k + 1 < len(ordered) and ordered[k + 1] == r + 1:
            continue
        start = ordered[first]
        parts.append(str(start) if start == r else f"{start}-{r}")
        first = k + 1
    return ";".join(parts)


def attendee_row(attendee: Attendee) -> list[str]:
    """One attendee as the cells of :data:`COLUMNS`, unescaped (the writer escapes)."""
    return [
        attendee.id,
        attendee.name,
        attendee.company,
        attendee.region,
        attendee.partner_type,
        "; ".join(attendee.offers),
        "; ".join(attendee.seeks),
        attendee.email,
        attendee.title,
        attendee.country,
        format_rounds(attendee.available_rounds),
        "; ".join(attendee.must_meet),
        "; ".join(attendee.avoid),
        "; ".join(attendee.wish_must),
        "; ".join(attendee.wish_want),
        "; ".join(attendee.wish_no),
    ]


def write_attendee_file(
    attendees: Iterable[Attendee],
    target: str | Path | BinaryIO,
    fmt: str | None = None,
) -> None:
    """Write attendees in the importer's format; :func:`read_attendee_file` reads it back equal.

    ``fmt`` is ``"csv"`` or ``"xlsx"``; left out, it follows the target's file extension
    (CSV when there is none). Text cells are protected against formula injection.
    """
    if fmt is None:
        suffix = Path(target).suffix.casefold() if isinstance(target, (str, Path)) else ""
        fmt = "xlsx" if suffix == ".xlsx" else "csv"
    write_table(COLUMNS, (attendee_row(a) for a in attendees), target, fmt)


# --------------------------------------------------------------------------- requests files

REQUEST_COLUMNS = ("a_id", "b_id", "session", "round")


def read_requests_file(
    source: str | Path | bytes | BinaryIO,
    *,
    rounds: int,
    known_ids: Collection[str],
    filename: str | None = None,
    limits: TableLimits = DEFAULT_LIMITS,
) -> list[MeetingRequest]:
    """Read a requests file of a requested-only event: one requested meeting per row, ``a_id``
    and ``b_id`` (attendee ids, both required), optionally ``session`` (``morning``,
    ``afternoon`` or a round range like ``3-6``) and ``round`` (a round fixed in advance).

    It sits beside the attendee file, which stays as it is. Every problem of the file is
    reported at once, with line and column, as :class:`AttendeeFileError`.
    """
    data, name = _read_source(source, filename)
    display = Path(name).name if name else "the requests file"
    try:
        table = read_table(data, detect_format(name, data), expected_columns=REQUEST_COLUMNS, limits=limits)
    except SpreadsheetError as exc:
        raise AttendeeFileError(display, [RowError(exc.line, None, str(exc))]) from None
    errors: list[RowError] = []
    columns: dict[str, int] = {}
    for position, heading in enumerate(table.header):
        key = column_key(heading)
        if key in REQUEST_COLUMNS and key not in columns:
            columns[key] = position
        elif key in columns:
            errors.append(RowError(table.header_line, key, f"column '{key}' appears twice"))
    for column in ("a_id", "b_id"):
        if column not in columns:
            errors.append(RowError(None, column, f"missing required column '{column}'"))
    known = frozenset(known_ids)
    found: dict[frozenset[str], int] = {}
    requests: list[MeetingRequest] = []
    for line, cells in table.rows if not errors else ():
        values = {key: (cells[i].strip() if i < len(cells) else "") for key, i in columns.items()}
        before = len(errors)
        for column in ("a_id", "b_id"):
            if not values[column]:
                errors.append(RowError(line, column, "required, but empty"))
            elif values[column] not in known:
                errors.append(RowError(line, column, f"unknown attendee id '{values[column]}'"))
        if values["a_id"] and values["a_id"] == values["b_id"]:
            errors.append(RowError(line, "b_id", "a request needs two different attendees"))
        session: frozenset[int] | None = None
        try:
            session = session_rounds(values.get("session", ""), rounds)
        except ValueError as exc:
            errors.append(RowError(line, "session", str(exc)))
        fixed_round: int | None = None
        text = values.get("round", "")
        if text:
            if not text.isdigit() or not 1 <= int(text) <= rounds:
                errors.append(RowError(line, "round", f"'{text}' is not a round of 1..{rounds}"))
            else:
                fixed_round = int(text)
                if session is not None and fixed_round not in session:
                    errors.append(RowError(line, "round", f"round {fixed_round} is outside the request's session"))
        pair = frozenset((values["a_id"], values["b_id"]))
        if pair in found:
            errors.append(RowError(line, None, f"the pair {values['a_id']} + {values['b_id']} is already "
                                               f"requested on line {found[pair]}"))
        found.setdefault(pair, line)
        if len(errors) == before:
            requests.append(MeetingRequest(values["a_id"], values["b_id"], session, fixed_round))
    if errors:
        listed = errors[:MAX_LISTED_ERRORS]
        raise AttendeeFileError(display, listed, len(errors) - len(listed))
    return requests


def write_requests_file(requests: Iterable[MeetingRequest], target: str | Path | BinaryIO,
                        fmt: str | None = None) -> None:
    """Write requests in the format :func:`read_requests_file` reads (sessions as round ranges)."""
    if fmt is None:
        suffix = Path(target).suffix.casefold() if isinstance(target, (str, Path)) else ""
        fmt = "xlsx" if suffix == ".xlsx" else "csv"
    rows = []
    for request in requests:
        session = ""
        if request.rounds:      # sessions are ranges; a written file keeps first-last
            session = f"{min(request.rounds)}-{max(request.rounds)}"
        rows.append([request.a_id, request.b_id, session,
                     "" if request.fixed_round is None else str(request.fixed_round)])
    write_table(REQUEST_COLUMNS, rows, target, fmt)
