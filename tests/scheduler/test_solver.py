from __future__ import annotations

import itertools
import threading

import pytest

from scheduler.checker import check_schedule
from scheduler.domain import Attendee, Meeting, ScoringWeights
from scheduler.scoring import score_pairs
from scheduler.solver import PlanRequest, Progress, plan
from tests.scheduler._events import WEIGHTS, person, random_event


def _plan(people: list[Attendee], rounds: int, **kwargs: object):
    result = plan(PlanRequest(people, rounds, weights=kwargs.pop("weights", WEIGHTS), **kwargs))  # type: ignore[arg-type]
    assert check_schedule(result.schedule, people, kwargs.get("fixed", ())) == []  # type: ignore[arg-type]
    return result


def _matchings(people: list[str], allowed: set[frozenset[str]], tables: int) -> list[list[frozenset[str]]]:
    """Every set of disjoint allowed pairs with at most ``tables`` pairs."""
    found: list[list[frozenset[str]]] = [[]]
    pairs = sorted((p for p in allowed), key=sorted)
    def extend(start: int, used: set[str], chosen: list[frozenset[str]]) -> None:
        for k in range(start, len(pairs)):
            if len(chosen) >= tables:
                return
            if not (pairs[k] & used):
                found.append(chosen + [pairs[k]])
                extend(k + 1, used | pairs[k], chosen + [pairs[k]])
    extend(0, set(), [])
    return found


def _repeats(people: list[Attendee], pairs: list[frozenset[str]]) -> int:
    """Per attendee, meetings with a company they already met (the soft one-per-company rule)."""
    company = {p.id: p.company_key for p in people}
    seen: dict[tuple[str, str], int] = {}
    for pair in pairs:
        a, b = sorted(pair)
        for me, other in ((a, b), (b, a)):
            seen[(me, company[other])] = seen.get((me, company[other]), 0) + 1
    return sum(count - 1 for count in seen.values())


def _brute_force_best(people: list[Attendee], rounds: int, tables: int) -> tuple[int, int, int, int]:
    """(meetings, -worst avoidable sit-outs, -company repeats, score) of the best schedule, by
    enumeration."""
    scores = score_pairs(people, WEIGHTS)
    allowed = {frozenset(k) for k in scores}
    ids = [p.id for p in people]
    capacity = {i: min(rounds, sum(1 for pair in allowed if i in pair)) for i in ids}
    options = _matchings(ids, allowed, tables)
    best = None
    # Everyone is present in every round, so round order does not matter: sorted combinations.
    for combo in itertools.combinations_with_replacement(options, rounds):
        flat = [p for rnd in combo for p in rnd]
        if len(set(flat)) != len(flat):
            continue
        met = {i: sum(1 for p in flat if i in p) for i in ids}
        key = (len(flat), -max(capacity[i] - met[i] for i in ids), -_repeats(people, flat),
               sum(scores[tuple(sorted(p))].score for p in flat))
        best = key if best is None or key > best else best
    assert best is not None
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tiny_events_match_the_brute_force_optimum(seed: int) -> None:
    people = random_event(6, seed=seed, rounds=3, partial=0.0)
    assert all(p.available_rounds is None for p in people)
    result = _plan(people, 3, tables=2, time_limit=5)
    ids = [p.id for p in people]
    met = {i: len(result.schedule.for_attendee(i)) for i in ids}
    scores = score_pairs(people, WEIGHTS)
    capacity = {i: min(3, sum(1 for k in scores if i in k)) for i in ids}
    got = (result.report.meetings, -max(capacity[i] - met[i] for i in ids),
           -result.report.company_repeat_meetings, int(result.report.total_score))
    assert got == _brute_force_best(people, 3, 2)
    assert result.report.status == "OPTIMAL"


def test_odd_event_spreads_sit_outs_evenly() -> None:
    people = random_event(7, seed=4, rounds=7, colleagues=False, partial=0.0)
    result = _plan(people, 7, time_limit=5)
    sat_out = [7 - len(result.schedule.for_attendee(p.id)) for p in people]
    assert sorted(sat_out) == [1] * 7          # 7 rounds x 1 sit-out each, nobody twice
    assert result.report.sit_outs_worst == 1 and result.report.meetings == 21


@pytest.mark.slow
def test_medium_event_is_valid_fair_and_close_to_the_bound() -> None:
    people = random_event(120, seed=5, rounds=8)
    result = _plan(people, 8, tables=55, time_limit=4)
    report = result.report
    assert report.upper_bound >= report.total_score > 0
    assert report.ratio > 0.95
    assert report.meetings <= 8 * 55


def test_must_meet_kept_when_possible_and_explained_when_not() -> None:
    people = random_event(10, seed=6, rounds=4, partial=0.0, colleagues=False)
    a, b, c, d = people[0], people[1], people[2], people[3]
    people[0] = Attendee(**{**a.__dict__, "must_meet": (b.id, "ghost", c.id)})
    people[2] = Attendee(**{**c.__dict__, "avoid": (a.id,)})
    people[3] = Attendee(**{**d.__dict__, "company": people[4].company, "must_meet": (people[4].id,)})
    result = _plan(people, 4, time_limit=5)
    report = result.report
    pairs = {m.pair for m in result.schedule.meetings}
    assert frozenset((a.id, b.id)) in pairs
    assert report.must_meet_requested == 4 and report.must_meet_kept == 1
    reasons = {(x, y): why for x, y, why in report.must_meet_unkept}
    assert reasons[tuple(sorted((a.id, c.id)))] == "avoided"
    assert reasons[tuple(sorted((d.id, people[4].id)))] == "colleagues"
    assert reasons[tuple(sorted((a.id, "ghost")))] == "ghost is not attending"


def test_must_meet_without_common_round() -> None:
    people = [person("a", rounds=frozenset({1}), must_meet=("b",)), person("b", rounds=frozenset({2})),
              person("c"), person("d")]
    report = _plan(people, 2, time_limit=5).report
    assert report.must_meet_unkept == [("a", "b", "no common round")]


def test_fixed_rounds_are_kept_exactly_and_not_repeated() -> None:
    people = random_event(12, seed=7, rounds=5, partial=0.0, colleagues=False)
    first = _plan(people, 5, time_limit=5).schedule
    fixed = [m for m in first.meetings if m.round <= 2][:-1]     # a held round may have gaps
    result = _plan(people, 5, fixed=fixed, fixed_rounds=frozenset({1, 2}), time_limit=5)
    held = sorted((m.round, m.table, m.pair) for m in result.schedule.meetings if m.round <= 2)
    assert held == sorted((m.round, m.table, m.pair) for m in fixed)


@pytest.mark.slow
def test_same_input_and_seed_give_the_same_schedule() -> None:
    people = random_event(80, seed=8, rounds=6)
    first = _plan(people, 6, tables=35, time_limit=20, seed=3).schedule
    second = _plan(people, 6, tables=35, time_limit=20, seed=3).schedule
    assert first == second


def test_progress_is_reported_and_cancel_keeps_a_valid_schedule() -> None:
    people = random_event(60, seed=9, rounds=6)
    seen: list[Progress] = []
    cancel = threading.Event()
    def on_progress(p: Progress) -> None:
        seen.append(p)
        if p.phase == "placing" and p.rounds_placed == 2:
            cancel.set()
    result = plan(PlanRequest(people, 6, weights=WEIGHTS, time_limit=20), on_progress, cancel)
    assert check_schedule(result.schedule, people) == []
    assert result.report.status == "CANCELLED"
    assert {p.phase for p in seen} >= {"scoring", "selecting", "placing", "done"}
    assert max(p.rounds_placed for p in seen) == 6 and result.report.meetings > 0


@pytest.mark.parametrize("people, rounds, tables, status", [
    ([], 3, None, "EMPTY"),
    ([person("a")], 3, None, "EMPTY"),
    ([person("a", "Same"), person("b", "Same"), person("c", "same ")], 3, None, "EMPTY"),
    ([person("a"), person("b")], 3, 0, "EMPTY"),
    ([person("a"), person("b")], 0, None, "EMPTY"),
    ([person("a"), person("a")], 2, None, "INVALID"),
])
def test_degenerate_inputs_give_a_message_and_a_valid_schedule(people: list[Attendee], rounds: int,
                                                               tables: int | None, status: str) -> None:
    result = plan(PlanRequest(people, rounds, tables=tables, weights=WEIGHTS, time_limit=2))
    assert result.report.status == status and result.report.message
    assert result.schedule.meetings == ()


def test_tiny_time_limit_still_returns_a_valid_schedule() -> None:
    people = random_event(150, seed=10, rounds=8)
    result = _plan(people, 8, time_limit=0.01)
    assert result.report.meetings > 0 and result.report.status in {"TIME_LIMIT", "FEASIBLE", "OPTIMAL"}


def test_zero_score_pairs_still_meet_rather_than_sit_out() -> None:
    weights = ScoringWeights(region_bonus=0, offer_match=0, mutual_bonus=0)
    people = [person(i) for i in "abcd"]
    result = _plan(people, 3, weights=weights, time_limit=5)
    assert result.report.meetings == 6 and result.report.total_score == 0


@pytest.mark.slow
def test_report_dict_has_the_published_keys() -> None:
    report = _plan(random_event(10, seed=11, rounds=3), 3, time_limit=5).report.to_dict()
    assert {"status", "total_score", "upper_bound", "meetings", "sit_outs", "must_meet",
            "solve_seconds"} <= set(report)
    assert set(report["sit_outs"]) >= {"total", "worst", "worst_attendee"}  # type: ignore[arg-type]
    assert set(report["must_meet"]) >= {"kept", "requested"}  # type: ignore[arg-type]


def test_fixed_meeting_pair_is_not_planned_again() -> None:
    people = [person(i) for i in "abcd"]
    fixed = [Meeting(1, 1, "a", "b", 3.0), Meeting(1, 2, "c", "d", 1.0)]
    result = _plan(people, 3, fixed=fixed, time_limit=5)
    assert result.report.meetings == 6
    assert result.report.total_score >= 4.0
