"""The plan report read back typed: ``PlanReport.from_dict`` returns the report ``to_dict``
wrote, for the reports of real plans of every kind, and reads older reports with defaults."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from scheduler.domain import MeetingRequest, MeetingsMode
from scheduler.revise import RevisionRequest, revise
from scheduler.solver import PlanReport, PlanRequest, PlanResult, plan
from tests.scheduler._events import WEIGHTS, person, random_event


def _round_trip(report: PlanReport) -> PlanReport:
    """Through REPORT.json as a file or a JSON column holds it (tuples come back as lists)."""
    return PlanReport.from_dict(json.loads(json.dumps(report.to_dict())))


def _as_written(report: PlanReport) -> PlanReport:
    """The report as ``to_dict`` writes it: the solve time to the millisecond."""
    return replace(report, solve_seconds=round(report.solve_seconds, 3))


def _fill() -> PlanResult:
    people = random_event(12, seed=3, rounds=4)
    # Two who must meet, one of them there in round 1 only with a colleague: one request unkept.
    people[0] = replace(people[0], must_meet=(people[1].id, people[2].id))
    people[2] = replace(people[2], available_rounds=frozenset({1}), company=people[0].company)
    return plan(PlanRequest(people, 4, 5, WEIGHTS, time_limit=5, seed=1, workers=1))


def _requested() -> PlanResult:
    people = [person(f"p{k}", rounds=frozenset({1, 2}) if k == 5 else None) for k in range(6)]
    requests = [MeetingRequest("p0", "p1"), MeetingRequest("p2", "p3"), MeetingRequest("p0", "p2"),
                MeetingRequest("p5", "p4", fixed_round=3)]      # p5 is gone by round 3: unscheduled
    return plan(PlanRequest(people, 3, 2, WEIGHTS, time_limit=5, workers=1,
                            meetings=MeetingsMode.REQUESTED, requests=requests))


def _revision() -> PlanResult:
    people = random_event(10, seed=7, rounds=4)
    published = plan(PlanRequest(people[:8], 4, 4, WEIGHTS, time_limit=2, seed=1, workers=1)).schedule
    return revise(RevisionRequest(published, people, 4, 5, WEIGHTS, from_round=2, time_limit=2)).result


def _time_limited() -> PlanResult:
    return plan(PlanRequest(random_event(40, seed=2, rounds=6), 6, 20, WEIGHTS, time_limit=0.01, seed=1,
                            workers=1))


@pytest.mark.parametrize("make", [_fill, _requested, _revision, _time_limited],
                         ids=["fill", "requested", "revision", "time-limited"])
def test_a_real_plans_report_reads_back_as_written(make) -> None:
    report = make().report
    assert report.status and report.meetings > 0
    read = _round_trip(report)
    assert read == _as_written(report)
    assert read.to_dict() == report.to_dict()
    assert (read.ratio is None) == (report.ratio is None)
    assert read.ratio is None or read.ratio == pytest.approx(report.ratio)


def test_the_plans_above_cover_what_the_report_can_say() -> None:
    """The round trips above are only worth as much as the figures they carry."""
    fill, requested, revision = _fill().report, _requested().report, _revision().report
    assert fill.must_meet_requested == 2 and fill.must_meet_unkept and fill.sit_outs_worst_attendee
    assert fill.meetings_mode == "fill" and fill.path and fill.breaks_bound >= 0
    assert requested.meetings_mode == "requested" and requested.requests_requested == 4
    assert [{a, b} for a, b, _cause, _why in requested.requests_unscheduled] == [{"p4", "p5"}]
    assert revision.upper_bound is None and _round_trip(revision).upper_bound is None
    assert _time_limited().report.status == "TIME_LIMIT"


def test_an_old_report_reads_with_defaults() -> None:
    """A report stored before the meetings mode, the path, breaks and requests were written."""
    old = {"status": "OPTIMAL", "message": "solved", "total_score": 120.5, "upper_bound": 130.0,
           "ratio": 0.926923, "meetings": 14,
           "sit_outs": {"total": 3, "worst": 1, "worst_attendee": "a7"},
           "must_meet": {"requested": 1, "kept": 0, "unkept": [{"a_id": "a1", "b_id": "a2", "reason": "no round"}]},
           "fairness_target": 1, "solve_seconds": 2.5, "messages": ["one"],
           "company_repeats": {"rule": "soft", "attendees": 1, "meetings": 2}}
    report = PlanReport.from_dict(old)
    assert report == PlanReport(
        "OPTIMAL", "solved", total_score=120.5, upper_bound=130.0, meetings=14, sit_outs_total=3,
        sit_outs_worst=1, sit_outs_worst_attendee="a7", must_meet_requested=1, must_meet_kept=0,
        must_meet_unkept=[("a1", "a2", "no round")], solve_seconds=2.5, fairness_target=1, messages=["one"],
        company_rule="soft", company_repeat_attendees=1, company_repeat_meetings=2)
    assert report.meetings_mode == "fill" and report.path == "" and report.breaks_total == 0
    assert report.requests_unscheduled == [] and report.ratio == pytest.approx(0.926923, abs=1e-6)
    # Oldest of all: the web kept only its own figures.
    assert PlanReport.from_dict({"rounds": 4, "tables": 6}) == PlanReport("", "")
