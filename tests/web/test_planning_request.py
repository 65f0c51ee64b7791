"""One planning vocabulary: a request resolved once where it enters, the kinds derived from it."""

from __future__ import annotations

import datetime as dt

import pytest

from web.schedules.models import VersionKind
from web.schedules.revisions import (
    MAX_TIME_LIMIT,
    PlanMode,
    PlanningError,
    PlanningJob,
    PlanningRequest,
    planning_request,
)

# Round 1 starts 14:00 Amsterdam (12:00 UTC) on 12 June 2031; rounds take 10 minutes with changeovers.
BEFORE = dt.datetime(2031, 6, 12, 11, 0, tzinfo=dt.UTC)
IN_ROUND_2 = dt.datetime(2031, 6, 12, 12, 15, tzinfo=dt.UTC)


@pytest.mark.parametrize(("mode", "job", "kind"), [
    (PlanMode.PLAN, PlanningJob.PLAN, VersionKind.PLAN),
    (PlanMode.REGENERATE, PlanningJob.PLAN, VersionKind.PLAN),
    (PlanMode.REVISE, PlanningJob.PLAN, VersionKind.REVISION),
    (PlanMode.REVISE, PlanningJob.REPLAN, VersionKind.REPLAN),
    (PlanMode.REVISE, PlanningJob.AUTO_REVISE, VersionKind.REPLAN),
])
def test_the_version_kind_follows_from_the_mode_and_who_asked(mode, job, kind):
    assert PlanningRequest(mode, 5.0, job=job).version_kind is kind


def test_a_request_travels_as_job_params_unchanged():
    request = PlanningRequest(PlanMode.REVISE, 8.0, job=PlanningJob.REPLAN, from_round=3,
                              leave_out_not_checked_in=True, seed=4)
    assert PlanningRequest.from_params(request.to_params()) == request


def test_before_a_publish_every_mode_is_a_plan_and_the_time_limit_is_kept_in_bounds(make_event):
    event = make_event()
    for asked in (None, "revise", PlanMode.REGENERATE):
        assert planning_request(event, BEFORE, mode=asked).mode is PlanMode.PLAN
    assert planning_request(event, BEFORE).time_limit == 30.0
    assert planning_request(event, BEFORE, time_limit=10_000).time_limit == MAX_TIME_LIMIT
    assert planning_request(event, BEFORE, time_limit=0).time_limit > 0


def test_the_first_round_is_checked_at_the_entry_and_pinned_on_request(make_event):
    event = make_event()
    assert planning_request(event, IN_ROUND_2).from_round is None  # the first open round when it runs
    assert planning_request(event, IN_ROUND_2, pin_from_round=True).from_round == 3
    assert planning_request(event, IN_ROUND_2, from_round=5).from_round == 5
    with pytest.raises(PlanningError, match="2"):
        planning_request(event, IN_ROUND_2, from_round=2)
    with pytest.raises(PlanningError, match="8"):
        planning_request(event, IN_ROUND_2, from_round=9)
