from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scheduler.checker import check_schedule
from scheduler.cli import main
from scheduler.importer import read_attendee_file
from scheduler.schedule_io import COLUMNS, read_schedule_csv
from tests.support.cli import Finished, run_main, run_module


def _run(*args: str) -> Finished:
    return run_main(main, *args)


def _attendee_file(tmp_path: Path, n: int = 16) -> Path:
    path = tmp_path / "attendees.csv"
    done = _run("generate", str(n), "--rounds", "4", "--seed", "21", "--out", str(path))
    assert done.returncode == 0, done.stderr
    return path


def test_plan_writes_schedule_and_report(tmp_path: Path) -> None:
    source = _attendee_file(tmp_path)
    out, report = tmp_path / "out" / "schedule.csv", tmp_path / "report.json"
    done = _run("plan", str(source), "--rounds", "4", "--tables", "6", "--time-limit", "2", "--seed", "1",
                "--out", str(out), "--report", str(report))
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == COLUMNS
    data = json.loads(report.read_text(encoding="utf-8"))
    assert {"status", "total_score", "upper_bound", "meetings", "sit_outs", "must_meet", "solve_seconds"} <= set(data)
    assert {"total", "worst", "worst_attendee"} <= set(data["sit_outs"])
    assert {"kept", "requested"} <= set(data["must_meet"])
    assert data["company_repeats"]["rule"] == "soft"
    assert {"attendees", "meetings"} <= set(data["company_repeats"])
    attendees = read_attendee_file(source, rounds=4).attendees
    schedule = read_schedule_csv(out, attendees, rounds=4, tables=6)
    assert check_schedule(schedule, attendees) == []
    assert len(schedule.meetings) == data["meetings"] and schedule.total_score == data["total_score"]


def test_scores_lists_every_allowed_pair(tmp_path: Path) -> None:
    source = _attendee_file(tmp_path, 10)
    out = tmp_path / "pairs.csv"
    done = _run("scores", str(source), "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["a_id", "b_id", "score"]
    attendees = {a.id: a for a in read_attendee_file(source).attendees}
    listed = {(r["a_id"], r["b_id"]) for r in rows}
    colleagues = {(a, b) for a in attendees for b in attendees
                  if a < b and attendees[a].company_key == attendees[b].company_key}
    assert len(listed) == 45 - len(colleagues) and not listed & colleagues
    assert all(int(r["score"]) >= 0 for r in rows)


def test_bad_file_exits_non_zero_naming_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,company,region,partner_type,offers,seeks\n"
                   "p1,Ann,Contoso,EMEA,ISV,,\n"
                   "p1,Bob,,EMEA,ISV,,\n", encoding="utf-8")
    done = _run("plan", str(bad), "--rounds", "3", "--out", str(tmp_path / "s.csv"))
    assert done.returncode == 2
    assert "line 3" in done.stderr and "company" in done.stderr
    assert not (tmp_path / "s.csv").exists()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    done = _run("scores", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "p.csv"))
    assert done.returncode == 2 and "nope.csv" in done.stderr


@pytest.mark.slow
def test_python_m_scheduler_runs_as_a_program(tmp_path: Path) -> None:
    """The one real process: the entry point, its exit status and its streams."""
    out = tmp_path / "attendees.csv"
    done = run_module("scheduler", "generate", "12", "--rounds", "3", "--seed", "4", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "12 attendees written" in done.stdout
    assert len(read_attendee_file(out, rounds=3).attendees) == 12
    failed = run_module("scheduler", "scores", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "p.csv"))
    assert failed.returncode == 2 and "nope.csv" in failed.stderr and "Traceback" not in failed.stderr


@pytest.mark.slow
def test_plan_takes_a_worker_count_and_rejects_a_bad_one(tmp_path: Path) -> None:
    source = _attendee_file(tmp_path, n=10)
    out = tmp_path / "schedule.csv"
    done = _run("plan", str(source), "--rounds", "4", "--time-limit", "2", "--workers", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    bad = _run("plan", str(source), "--rounds", "4", "--workers", "0", "--out", str(out))
    assert bad.returncode == 2 and "workers" in bad.stdout
