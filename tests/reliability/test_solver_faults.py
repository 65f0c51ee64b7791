"""The solver on impossible or degenerate events: a clear message in the report and a valid
(possibly empty) schedule that the independent checker accepts, never an exception; the CLI
says the same with a sensible exit status."""

from __future__ import annotations

import json

import pytest

from scheduler.checker import check_schedule
from scheduler.cli import main
from scheduler.domain import Attendee, Meeting
from scheduler.generator import generate_event
from scheduler.importer import write_attendee_file
from scheduler.schedule_io import read_schedule_csv
from scheduler.solver import PlanRequest, plan
from tests.support.cli import Finished, run_main


def person(ident: str, company: str | None = None, **fields) -> Attendee:
    values = dict(id=ident, name=f"Person {ident}", company=company or f"Company {ident}", region="EMEA",
                  partner_type="ISV", offers=("Hosting",), seeks=("Data Platform",))
    values.update(fields)
    return Attendee(**values)


def solve(attendees, rounds=4, **kwargs):
    result = plan(PlanRequest(attendees=attendees, rounds=rounds, time_limit=kwargs.pop("time_limit", 5), **kwargs))
    assert check_schedule(result.schedule, attendees, kwargs.get("fixed", ())) == []
    report = result.report
    assert report.message.strip(), "the report must say what happened"
    assert report.meetings == len(result.schedule.meetings)
    json.dumps(report.to_dict())  # REPORT.json can always be written
    return result


def test_must_meet_requests_that_cannot_all_be_kept():
    # A asks to meet five people in a 3-round event: at most three requests can be kept.
    wanted = ("B", "C", "D", "E", "F")
    people = [person("A", must_meet=wanted)] + [person(x) for x in wanted]
    result = solve(people, rounds=3)
    report = result.report
    assert report.must_meet_requested == 5
    assert report.must_meet_kept <= 3
    assert len(report.must_meet_unkept) == 5 - report.must_meet_kept >= 2
    for a, b, why in report.must_meet_unkept:
        assert "A" in (a, b) and why.strip()
    assert f"must-meet kept {report.must_meet_kept} of 5" in report.message


def test_must_meet_with_someone_never_present_at_the_same_time():
    people = [person("A", must_meet=("B",), available_rounds=frozenset({1, 2})),
              person("B", available_rounds=frozenset({3, 4})), person("C"), person("D")]
    report = solve(people).report
    assert report.must_meet_kept == 0 and len(report.must_meet_unkept) == 1
    assert report.must_meet_unkept[0][2].strip()


@pytest.mark.parametrize("attendees, tables, words", [
    ([person(x) for x in "ABCD"], 0, "no tables"),
    ([person("A")], None, "fewer than two attendees"),
    ([], None, "fewer than two attendees"),
    ([person(x, company="Acme Inc") for x in "ABCDEF"], None, "no two attendees may meet"),
    ([person("A", avoid=("B",)), person("B")], None, "no two attendees may meet"),
])
def test_nothing_to_plan_gives_an_empty_valid_schedule_and_says_why(attendees, tables, words):
    result = solve(attendees, tables=tables)
    assert result.schedule.meetings == ()
    assert result.report.status == "EMPTY"
    assert words in result.report.message


def test_duplicate_ids_and_zero_rounds_are_reported_not_raised():
    dup = solve([person("A"), person("A"), person("B")])
    assert dup.report.status == "INVALID" and "A" in dup.report.message
    none = solve([person("A"), person("B")], rounds=0)
    assert none.report.status == "EMPTY" and "no rounds" in none.report.message


def test_fixed_meetings_with_people_who_left_are_kept_and_reported():
    people = [person(x) for x in "ABCD"]
    fixed = (Meeting(round=1, table=1, a_id="A", b_id="GONE"),)
    result = plan(PlanRequest(attendees=people, rounds=3, fixed=fixed, time_limit=5))
    assert fixed[0] in result.schedule.meetings
    assert any("GONE" in m for m in result.report.messages)


@pytest.mark.slow
def test_a_time_limit_far_too_short_still_gives_a_valid_schedule():
    attendees = generate_event(300, rounds=8, seed=7)
    result = solve(attendees, rounds=8, time_limit=0.01)
    assert result.report.status in {"TIME_LIMIT", "FEASIBLE", "OPTIMAL"}
    assert result.schedule.meetings, "even a greedy placement seats people"
    if result.report.status == "TIME_LIMIT":
        assert any("time limit" in m for m in result.report.messages)


def _cli(*args: str) -> Finished:
    return run_main(main, *args)


def test_cli_reports_impossible_events_with_exit_status(tmp_path):
    one_company = tmp_path / "acme.csv"
    write_attendee_file([person(x, company="Acme") for x in "ABCD"], one_company, "csv")
    out = tmp_path / "schedule.csv"
    done = _cli("plan", str(one_company), "--rounds", "3", "--out", str(out), "--report", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert "no two attendees may meet" in done.stdout + done.stderr
    assert read_schedule_csv(out, [person(x, company="Acme") for x in "ABCD"]).meetings == ()
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "EMPTY"

    no_rounds = _cli("plan", str(one_company), "--rounds", "0", "--out", str(out))
    assert no_rounds.returncode == 2 and "--rounds must be at least 1" in no_rounds.stderr
    assert "Traceback" not in no_rounds.stderr

    missing = _cli("plan", str(tmp_path / "nope.csv"), "--rounds", "3", "--out", str(out))
    assert missing.returncode == 2 and "nope.csv" in missing.stderr and "Traceback" not in missing.stderr


@pytest.mark.slow
def test_cli_time_limit_too_short_on_a_large_event(tmp_path):
    attendees = generate_event(300, rounds=8, seed=3)
    source = tmp_path / "big.csv"
    write_attendee_file(attendees, source, "csv")
    out = tmp_path / "schedule.csv"
    done = _cli("plan", str(source), "--rounds", "8", "--time-limit", "0.01", "--out", str(out),
                "--report", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    schedule = read_schedule_csv(out, attendees)
    assert check_schedule(schedule, attendees) == []
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["message"] and report["meetings"] == len(schedule.meetings) > 0
