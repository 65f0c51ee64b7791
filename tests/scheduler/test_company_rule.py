"""One meeting per other company, soft by default, hard or off by configuration; CP-SAT workers."""

from __future__ import annotations

import dataclasses

import pytest

from scheduler.checker import check_schedule
from scheduler.domain import Attendee
from scheduler.exact import default_workers
from scheduler.solver import PlanRequest, plan
from scheduler.taxonomy import ConfigError, load_weights
from tests.scheduler._events import WEIGHTS, person, random_event
from tests.support.marks import slow_if


def _repeats(people: list[Attendee], schedule) -> int:
    company = {p.id: p.company_key for p in people}
    seen: dict[tuple[str, str], int] = {}
    for m in schedule.meetings:
        for me, other in ((m.a_id, m.b_id), (m.b_id, m.a_id)):
            seen[(me, company[other])] = seen.get((me, company[other]), 0) + 1
    return sum(count - 1 for count in seen.values())


def _teams(companies: int, size: int, singles: int) -> list[Attendee]:
    """Companies of ``size`` colleagues plus single attendees (who like the teams' profiles)."""
    people = [person(f"t{c}-{k}", f"Team {c}", offers=("Data", "AI"), seeks=("Hosting",))
              for c in range(companies) for k in range(size)]
    people += [person(f"s{k:02d}", offers=("Hosting",), seeks=("Data", "AI")) for k in range(singles)]
    return people


def _plan(people: list[Attendee], rounds: int, rule: str, **kwargs: object):
    weights = dataclasses.replace(WEIGHTS, company_repeats=rule)
    result = plan(PlanRequest(people, rounds, weights=weights, time_limit=10, **kwargs))  # type: ignore[arg-type]
    assert check_schedule(result.schedule, people, ()) == []
    return result


@pytest.mark.parametrize(("companies", "size", "singles", "rounds"),
                         [(2, 3, 6, 2), (3, 2, 6, 3), slow_if(True, 4, 3, 12, 4), slow_if(True, 5, 2, 14, 4)])
def test_soft_rule_avoids_repeats_that_cost_no_meeting(companies: int, size: int, singles: int,
                                                       rounds: int) -> None:
    people = _teams(companies, size, singles)
    off = _plan(people, rounds, "off")
    soft = _plan(people, rounds, "soft")
    assert soft.report.meetings == off.report.meetings
    assert soft.report.sit_outs_worst <= off.report.sit_outs_worst
    # Each single can meet one person of each team in a different round: no repeat is needed.
    assert _repeats(people, soft.schedule) == 0 == soft.report.company_repeat_meetings
    assert soft.report.to_dict()["company_repeats"] == {"rule": "soft", "attendees": 0, "meetings": 0}


def test_soft_rule_allows_a_repeat_rather_than_a_sit_out() -> None:
    # One single and one team of three over three rounds: meeting the team three times is the
    # only way the single does not sit out.
    people = _teams(1, 3, 1)
    soft = _plan(people, 3, "soft")
    hard = _plan(people, 3, "hard")
    assert soft.report.meetings == 3 and soft.report.company_repeat_meetings == 2
    assert soft.report.company_repeat_attendees == 1
    assert hard.report.meetings == 1 and _repeats(people, hard.schedule) == 0


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hard_rule_never_repeats_a_company(seed: int) -> None:
    people = random_event(40, seed=seed, rounds=6)
    result = _plan(people, 6, "hard")
    assert _repeats(people, result.schedule) == 0
    assert result.report.company_repeat_meetings == 0
    assert result.report.meetings > 0


def test_rule_is_read_from_the_weights_file_and_overrides(tmp_path) -> None:
    assert load_weights().company_repeats == "soft"
    assert load_weights(overrides={"company_repeats": "hard"}).company_repeats == "hard"
    file = tmp_path / "scoring.yaml"
    file.write_text("company_repeats: off\n")     # YAML reads this as false
    assert load_weights(file).company_repeats == "off"
    with pytest.raises(ConfigError, match="company_repeats.*soft, hard, off"):
        load_weights(overrides={"company_repeats": "sometimes"})


@pytest.mark.slow
def test_workers_are_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    people = random_event(12, seed=4, rounds=4)
    one = plan(PlanRequest(people, 4, weights=WEIGHTS, time_limit=5, workers=1))
    assert one.report.status in ("OPTIMAL", "FEASIBLE")
    bad = plan(PlanRequest(people, 4, weights=WEIGHTS, workers=0))
    assert bad.report.status == "INVALID" and "workers" in bad.report.message
    monkeypatch.setenv("SPEEDNET_SOLVER_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("SPEEDNET_SOLVER_WORKERS", "many")
    with pytest.raises(ValueError, match="SPEEDNET_SOLVER_WORKERS"):
        default_workers()
    assert plan(PlanRequest(people, 4, weights=WEIGHTS)).report.status == "INVALID"
    monkeypatch.delenv("SPEEDNET_SOLVER_WORKERS")
    assert default_workers() >= 1


def test_unkept_must_meet_under_the_hard_rule_names_the_company() -> None:
    # s00 must meet both members of Team 0, but the hard rule allows only one of them.
    people = _teams(1, 2, 1)
    people[2] = dataclasses.replace(people[2], must_meet=("t0-0", "t0-1"))
    result = _plan(people, 2, "hard")
    assert result.report.must_meet_kept == 1
    (_, _, why), = result.report.must_meet_unkept
    assert "one meeting per company" in why
