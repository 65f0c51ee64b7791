from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from scheduler.domain import Meeting, Schedule, Timetable
from scheduler.schedule_io import COLUMNS, ScheduleFileError, read_schedule_csv, write_schedule_csv
from tests.scheduler._events import person

PEOPLE = [person("a", "=HYPERLINK(1)"), person("b", "Fabrikam"), person("c"), person("d")]
SCHEDULE = Schedule(2, 2, (Meeting(1, 1, "a", "b", 12.0, "Fabrikam offers Data, which =x seeks"),
                           Meeting(2, 2, "c", "a", 0.0, "open networking")))


def test_round_trip_with_escaped_formulas(tmp_path) -> None:
    target = tmp_path / "schedule.csv"
    write_schedule_csv(SCHEDULE, PEOPLE, target)
    rows = list(csv.reader(target.open(encoding="utf-8")))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1][4] == "'=HYPERLINK(1)"
    assert read_schedule_csv(target, PEOPLE, rounds=2, tables=2) == SCHEDULE


def test_timetable_adds_start_and_end() -> None:
    timetable = Timetable(dt.datetime(2025, 5, 6, 9, 0), 8, 2, 2)
    buffer = io.StringIO()
    write_schedule_csv(SCHEDULE, PEOPLE, buffer, timetable)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert (rows[1]["start"], rows[1]["end"]) == ("2025-05-06T09:10:00", "2025-05-06T09:18:00")


def test_bad_rows_are_reported_with_line_and_field() -> None:
    text = (b"round,table,a_id,b_id,score\n"
            b"1,1,a,b,3\n"
            b"x,1,a,zz,3\n"
            b"2,0,c,,high\n")
    with pytest.raises(ScheduleFileError) as caught:
        read_schedule_csv(text, PEOPLE)
    found = {(e.line, e.field) for e in caught.value.errors}
    assert found == {(3, "round"), (3, "b_id"), (4, "table"), (4, "b_id"), (4, "score")}
    assert "line 3, b_id: unknown attendee id 'zz'" in str(caught.value)


def test_missing_columns_are_named() -> None:
    with pytest.raises(ScheduleFileError) as caught:
        read_schedule_csv(b"round,a_id\n1,a\n", PEOPLE)
    assert {e.field for e in caught.value.errors} == {"table", "b_id"}
