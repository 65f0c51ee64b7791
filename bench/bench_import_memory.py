"""Peak memory of reading adversarial attendee workbooks, each in a fresh interpreter.

Run: .venv/bin/python bench/bench_import_memory.py

Builds the files of tests/support/xlsx_files.py (a row of 6,000,000 empty cells, a value in
column XFD, 70,000 rows of 60 cells, 5,000,000 shared strings) plus a well-formed 50,000-row
workbook, reads each with the importer in its own process and prints the file's size, what the
reader answered, the process's peak resident memory (ru_maxrss: interpreter and imports
included) and what the reading added to it, and the time. Asserts nothing.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler.spreadsheet import write_table  # noqa: E402
from tests.support.xlsx_files import ADVERSARIES, read_in_child  # noqa: E402


def full_workbook(rows: int = 50_000) -> bytes:
    """A well-formed workbook at the row limit, written by the exporter."""
    header = ["id", "name", "email", "company", "region", "partner_type", "offers", "seeks"]
    people = ([f"P{i:06d}", f"Person {i}", f"p{i}@example.com", f"Company {i % 997}", "EMEA", "ISV",
               "Hosting;Security", "DevOps"] for i in range(rows))
    buffer = io.BytesIO()
    write_table(header, people, buffer, "xlsx")
    return buffer.getvalue()


def main() -> None:
    files = {name: build for name, build in ADVERSARIES.items()}
    files["50,000 well-formed rows"] = full_workbook
    print(f"{'file':36} {'KB':>7} {'peak MB':>8} {'added MB':>9} {'s':>6}  answer")
    with tempfile.TemporaryDirectory() as folder:
        for name, build in files.items():
            data = build()
            reading = read_in_child(data, "people.xlsx", Path(folder), ROOT)
            answer = (f"{reading.attendees:,} attendees" if reading.attendees is not None
                      else f"line {reading.errors[0][0]}: {reading.errors[0][2][:70]}")
            print(f"{name:36} {len(data) / 1024:7,.0f} {reading.peak_mb:8,.0f} {reading.added_mb:9,.0f} "
                  f"{reading.seconds:6.1f}  {answer}")


if __name__ == "__main__":
    main()
