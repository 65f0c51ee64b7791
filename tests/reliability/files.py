"""Hypothesis strategies for broken attendee files: wrong encodings, BOMs, missing and extra
columns, huge cells, formulas, duplicate ids, empty files and binary junk named .xlsx."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from hypothesis import strategies as st

from scheduler.importer import COLUMNS, REQUIRED_COLUMNS
from tests.web.conftest import attendee_file, person


@dataclass(frozen=True)
class BadFile:
    data: bytes
    filename: str
    defect: str  # what is certainly wrong with it (every file here must be refused)

    def __repr__(self) -> str:
        return f"BadFile({self.defect}, {self.filename}, {len(self.data)} bytes: {self.data[:60]!r})"


def _csv(header: list[str], rows: list[list[str]]) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue()


NASTY = st.sampled_from([
    "=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\t=1", "Zoë Ægir", "名前", "ﷺ",
    "<script>alert(1)</script>", "line\nbreak", '"quoted"', "", " ", ";", "∞" * 3,
])


@st.composite
def _rows(draw, n_min: int = 1) -> list[dict[str, str]]:
    n = draw(st.integers(n_min, 6))
    rows = [person(f"P{i}") for i in range(n)]
    for row in rows:
        for column in draw(st.lists(st.sampled_from(COLUMNS), max_size=3)):
            row[column] = draw(NASTY | st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30))
    return rows


@st.composite
def bad_files(draw) -> BadFile:
    """A file the importer must refuse as a whole."""
    kind = draw(st.sampled_from([
        "empty", "header-only", "binary-xlsx", "truncated-xlsx", "binary-csv", "missing-column",
        "duplicate-ids", "huge-cell", "latin1-missing-name", "utf16", "bom-duplicate",
        "extra-columns-missing-company", "formula-id-duplicate",
    ]))
    rows = draw(_rows())
    if kind == "empty":
        return BadFile(draw(st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b"   \r\n"])),
                       draw(st.sampled_from(["a.csv", "a.xlsx"])), kind)
    if kind == "header-only":
        return BadFile((",".join(COLUMNS) + "\n").encode(), "a.csv", kind)
    if kind == "binary-xlsx":
        junk = draw(st.binary(min_size=1, max_size=2000))
        prefix = draw(st.sampled_from([b"", b"PK\x03\x04", b"%PDF-1.4\n"]))
        return BadFile(prefix + junk, "attendees.xlsx", kind)
    if kind == "truncated-xlsx":
        whole = attendee_file(rows, "xlsx")
        cut = draw(st.integers(4, len(whole) - 1))
        return BadFile(whole[:cut], "attendees.xlsx", kind)
    if kind == "binary-csv":
        junk = draw(st.binary(min_size=1, max_size=500).filter(lambda b: b"\x00" in b or b"\xff" in b))
        return BadFile(junk, "attendees.csv", kind)
    if kind == "missing-column":
        dropped = draw(st.sampled_from(REQUIRED_COLUMNS))
        header = [c for c in COLUMNS if c != dropped]
        return BadFile(_csv(header, [[r.get(c, "") for c in header] for r in rows]).encode(),
                       "a.csv", f"{kind}:{dropped}")
    if kind in ("duplicate-ids", "formula-id-duplicate", "bom-duplicate"):
        rows.append(dict(rows[0], name="Someone Else"))
        if kind == "formula-id-duplicate":
            for row in rows[:1] + rows[-1:]:
                row["id"] = "=1+1"
        data = attendee_file(rows, draw(st.sampled_from(["csv", "xlsx"])))
        if kind == "bom-duplicate":
            data = attendee_file(rows, "csv")
            data = draw(st.sampled_from([b"\xef\xbb\xbf" + data, "\ufeff".encode("utf-16") + data.decode().encode("utf-16")[2:]]))
        return BadFile(data, "a.xlsx" if data[:2] == b"PK" else "a.csv", kind)
    if kind == "huge-cell":
        column = draw(st.sampled_from(["name", "company", "offers", "id"]))
        rows[0][column] = "x" * draw(st.integers(70_000, 120_000))
        rows[-1]["name"] = ""  # certainly invalid whatever the limits on cell length
        return BadFile(attendee_file(rows, draw(st.sampled_from(["csv", "xlsx"]))), "big.csv", kind)
    if kind == "latin1-missing-name":
        rows[0]["name"] = "Zoë Müller"
        rows[-1]["name"] = ""
        return BadFile(attendee_file(rows).decode().encode("latin-1", "replace"), "a.csv", kind)
    if kind == "utf16":
        rows[-1]["company"] = ""
        return BadFile(attendee_file(rows).decode().encode("utf-16"), "a.csv", kind)
    # extra-columns-missing-company
    extra = draw(st.lists(st.text(min_size=1, max_size=10), min_size=1, max_size=4))
    header = list(COLUMNS) + extra
    rows[-1]["company"] = ""
    body = [[r.get(c, "") for c in COLUMNS] + ["extra"] * len(extra) for r in rows]
    body.append(["too", "many"] * 20)  # a ragged row as well
    return BadFile(_csv(header, body).encode(), "a.csv", kind)
