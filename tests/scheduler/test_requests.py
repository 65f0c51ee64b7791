"""Requested-only mode: the requested set exactly, causes, fairness, sessions, fixed rounds, and
the optimum against an independent brute force over families of small events."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from scheduler.breaks import compact_rounds, count_breaks
from scheduler.checker import check_schedule
from scheduler.cli import main
from scheduler.domain import Attendee, Meeting, MeetingRequest, MeetingsMode
from scheduler.generator import generate_requests_event
from scheduler.importer import AttendeeFileError, read_requests_file, write_attendee_file
from scheduler.requests import UnscheduledCause, collect_requests, session_rounds
from scheduler.solver import PlanRequest, PlanResult, plan
from tests.scheduler._events import WEIGHTS, person


def _plan(people: list[Attendee], rounds: int, tables: int | None = None, **kwargs: object) -> PlanResult:
    request = PlanRequest(people, rounds, tables, WEIGHTS, meetings=MeetingsMode.REQUESTED,
                          workers=1, **kwargs)  # type: ignore[arg-type]
    result = plan(request)
    assert check_schedule(result.schedule, people, request.fixed) == []
    return result


def _pairs(result: PlanResult) -> set[frozenset[str]]:
    return {m.pair for m in result.schedule.meetings}


def _causes(result: PlanResult) -> dict[frozenset[str], str]:
    return {frozenset((a, b)): cause for a, b, cause, _ in result.report.requests_unscheduled}


def _tiny_event(seed: int, n: int, rounds: int, requests: int) -> tuple[list[Attendee], list[MeetingRequest]]:
    """Random small requested-only event: partial availability, sessions and fixed rounds."""
    rng = random.Random(seed)
    people = []
    for k in range(n):
        available = None
        if rng.random() < 0.3:
            available = frozenset(r for r in range(1, rounds + 1) if rng.random() < 0.75) or frozenset({1})
        people.append(person(f"p{k}", rounds=available))
    pairs = rng.sample([(a, b) for a, b in itertools.combinations(range(n), 2)], requests)
    extra = []
    for a, b in pairs:
        draw = rng.random()
        session = session_rounds(rng.choice(["morning", "afternoon"]), rounds) if draw < 0.2 else None
        fixed = rng.randint(1, rounds) if 0.2 <= draw < 0.3 else None
        extra.append(MeetingRequest(f"p{a}", f"p{b}", session, fixed))
    return people, extra


def _brute_force(people: list[Attendee], rounds: int, tables: int, requests: list[MeetingRequest],
                 spread: int) -> tuple[int, int, int]:
    """(most requests placed, then least spread excess, then fewest breaks) by enumeration.

    Written from the problem statement, not from scheduler.requests."""
    avail = {p.id: p.available_rounds for p in people}
    options = []
    for req in requests:
        slots = [r for r in range(1, rounds + 1)
                 if (avail[req.a_id] is None or r in avail[req.a_id])  # type: ignore[operator]
                 and (avail[req.b_id] is None or r in avail[req.b_id])  # type: ignore[operator]
                 and (req.rounds is None or r in req.rounds)
                 and (req.fixed_round is None or r == req.fixed_round)]
        options.append([None, *slots])
    participants = sorted({i for req in requests for i in (req.a_id, req.b_id)})
    best: tuple[int, int, int] | None = None
    busy: dict[str, set[int]] = {i: set() for i in participants}
    used = [0] * (rounds + 1)

    def walk(k: int, placed: int) -> None:
        nonlocal best
        if best is not None and placed + (len(requests) - k) < best[0]:
            return
        if k == len(requests):
            counts = [count_breaks(busy[i]) for i in participants]
            excess = max(0, max(counts) - min(counts) - spread)
            key = (placed, -excess, -sum(counts))
            if best is None or key > best:
                best = key
            return
        req = requests[k]
        for r in options[k]:
            if r is None:
                walk(k + 1, placed)
            elif r not in busy[req.a_id] and r not in busy[req.b_id] and used[r] < tables:
                busy[req.a_id].add(r)
                busy[req.b_id].add(r)
                used[r] += 1
                walk(k + 1, placed + 1)
                busy[req.a_id].discard(r)
                busy[req.b_id].discard(r)
                used[r] -= 1

    walk(0, 0)
    assert best is not None
    return best[0], -best[1], -best[2]


# --------------------------------------------------------------------------- the requested set


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n,rounds", [(10, 5), (16, 6)])
def test_exactly_the_requested_set_is_scheduled(seed: int, n: int, rounds: int) -> None:
    event = generate_requests_event(n, rounds=rounds, seed=seed)
    result = _plan(event.attendees, rounds, time_limit=5, requests=event.requests)
    requested = {r.pair for r in collect_requests(event.attendees, event.requests)}
    met = _pairs(result)
    assert met <= requested
    unscheduled = set(_causes(result))
    assert met | unscheduled == requested and not met & unscheduled
    report = result.report.to_dict()
    assert report["requests"]["requested"] == len(requested)          # type: ignore[index]
    assert report["requests"]["scheduled"] == len(met)                # type: ignore[index]
    assert set(report["breaks"]) == {"total", "worst", "spread", "bound", "optimal"}  # type: ignore[arg-type]


def test_must_meet_column_is_the_request_list_and_nobody_else_meets() -> None:
    people = [person("a", must_meet=("b", "c")), person("b"), person("c", must_meet=("d",)), person("d"),
              person("e"), person("f")]
    result = _plan(people, 4, time_limit=5)
    assert _pairs(result) == {frozenset("ab"), frozenset("ac"), frozenset("cd")}
    assert result.report.status == "OPTIMAL" and result.report.breaks_total == 0
    assert result.report.path == "requests"


# --------------------------------------------------------------------------- causes


def test_each_cause_of_an_unscheduled_request_is_named() -> None:
    people = [
        person("a", "Acme", must_meet=("b", "ghost")), person("b", "Acme"),          # colleagues, not attending
        person("c", rounds=frozenset({1, 2}), must_meet=("d",)), person("d", rounds=frozenset({3, 4})),
        person("e", must_meet=("f", "g", "h", "i", "j")), person("f"), person("g"), person("h"), person("i"),
        person("j"),                                                                   # e: 5 requests, 4 rounds
        person("k"), person("l", rounds=frozenset({3, 4})),
    ]
    extra = [MeetingRequest("k", "l", session_rounds("morning", 4))]                  # l only in the afternoon
    result = _plan(people, 4, time_limit=5, requests=extra)
    causes = _causes(result)
    assert causes[frozenset(("a", "b"))] == UnscheduledCause.NOT_ALLOWED
    assert causes[frozenset(("a", "ghost"))] == UnscheduledCause.NOT_ATTENDING
    assert causes[frozenset(("c", "d"))] == UnscheduledCause.NO_SHARED_ROUND
    assert causes[frozenset(("k", "l"))] == UnscheduledCause.NO_SHARED_ROUND
    assert [cause for pair, cause in causes.items() if "e" in pair] == [UnscheduledCause.OVERBOOKED]
    for a, b, cause, reason in result.report.requests_unscheduled:
        assert reason.startswith(cause) and len(reason) > len(cause) + 5, (a, b, reason)


def test_table_capacity_is_named() -> None:
    people = [person(ident) for ident in "abcdef"]
    extra = [MeetingRequest("a", "b", fixed_round=1), MeetingRequest("c", "d", fixed_round=1),
             MeetingRequest("e", "f", session_rounds("1-2", 4))]
    result = _plan(people, 4, tables=1, time_limit=5, requests=extra)
    causes = _causes(result)
    assert list(causes.values()) == [UnscheduledCause.TABLES]
    assert result.report.requests_scheduled == 2
    assert "every table (1) is taken" in result.report.requests_unscheduled[0][3]


def test_overbooked_participant_keeps_as_many_requests_as_rounds() -> None:
    people = [person("star", must_meet=tuple(f"q{k}" for k in range(6)))] + [person(f"q{k}") for k in range(6)]
    result = _plan(people, 4, time_limit=5)
    assert result.report.requests_scheduled == 4
    causes = _causes(result)
    assert list(causes.values()) == [UnscheduledCause.OVERBOOKED] * 2
    assert "star has 6 requests" in result.report.requests_unscheduled[0][3]


def test_clash_with_their_own_meetings_is_named() -> None:
    people = [person("a"), person("b"), person("c")]
    extra = [MeetingRequest("a", "b", fixed_round=1), MeetingRequest("a", "c", fixed_round=1)]
    result = _plan(people, 3, time_limit=5, requests=extra)
    assert list(_causes(result).values()) in ([UnscheduledCause.CLASH], [UnscheduledCause.OVERBOOKED])


# --------------------------------------------------------------------------- fairness, sessions, fixed rounds


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("spread", [0, 1, 2])
def test_the_fairness_limit_holds(seed: int, spread: int) -> None:
    people, extra = _tiny_event(seed, 8, 6, 12)
    result = _plan(people, 6, time_limit=5, requests=extra, break_spread=spread)
    assert result.report.breaks_spread <= spread or any("differ by up to" in m for m in result.report.messages)
    by_person: dict[str, set[int]] = {}
    for m in result.schedule.meetings:
        by_person.setdefault(m.a_id, set()).add(m.round)
        by_person.setdefault(m.b_id, set()).add(m.round)
    participants = {i for r in collect_requests(people, extra) for i in (r.a_id, r.b_id)}
    counts = [count_breaks(by_person.get(i, set())) for i in participants]
    assert max(counts) - min(counts) == result.report.breaks_spread
    assert sum(counts) == result.report.breaks_total


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow),
                                  pytest.param(3, marks=pytest.mark.slow)])
def test_sessions_and_fixed_rounds_hold(seed: int) -> None:
    event = generate_requests_event(30, rounds=8, seed=seed)
    result = _plan(event.attendees, 8, time_limit=2, requests=event.requests)
    held = {m.pair: m.round for m in result.schedule.meetings}
    for req in event.requests:
        if req.pair in held:
            assert req.allows(held[req.pair])
    assert any(r.rounds for r in event.requests) and any(r.fixed_round for r in event.requests)


def test_fixed_meetings_are_kept_and_count_as_held() -> None:
    people = [person("a", must_meet=("b", "c")), person("b"), person("c")]
    fixed = (Meeting(1, 1, "a", "b"),)
    result = _plan(people, 3, time_limit=5, fixed=fixed)
    assert result.report.requests_scheduled == 2
    assert {m.round for m in result.schedule.meetings if m.pair == frozenset("ac")} <= {2, 3}


# --------------------------------------------------------------------------- the optimum


@pytest.mark.parametrize("seed", range(12))
def test_reported_optimum_equals_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    n, rounds = rng.choice([(5, 4), (6, 4), (6, 5), (7, 5)])
    requests = rng.randint(5, 8)
    tables = rng.choice([1, 2, 3])
    spread = rng.choice([0, 1, 2])
    people, extra = _tiny_event(seed, n, rounds, requests)
    result = _plan(people, rounds, tables, time_limit=10, requests=extra, break_spread=spread)
    placed, excess, breaks = _brute_force(people, rounds, tables, collect_requests(people, extra), spread)
    assert result.report.breaks_optimal
    assert result.report.requests_scheduled == placed
    assert result.report.breaks_total == breaks == result.report.breaks_bound
    assert (result.report.breaks_spread <= spread) == (excess == 0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(12, 40))
def test_reported_optimum_equals_brute_force_family(seed: int) -> None:
    test_reported_optimum_equals_brute_force(seed)


# --------------------------------------------------------------------------- fill mode


def test_fill_mode_reports_breaks_and_moves_sit_outs_to_the_edges() -> None:
    people = [person(f"p{k}") for k in range(5)]
    result = plan(PlanRequest(people, 5, weights=WEIGHTS, time_limit=5, workers=1))
    report = result.report.to_dict()
    assert "requests" not in report and report["meetings_mode"] == "fill"
    assert set(report["breaks"]) == {"total", "worst", "spread", "bound", "optimal"}  # type: ignore[arg-type]
    assert result.report.path in ("lp", "greedy")


def test_compacting_rounds_never_adds_breaks_and_keeps_availability() -> None:
    import numpy as np

    rng = random.Random(3)
    n, rounds = 9, 6
    avail = np.ones((n, rounds + 1), dtype=bool)
    avail[:, 0] = False
    avail[0, 6] = False
    plan_rounds: dict[int, list[tuple[int, int]]] = {}
    for r in range(1, rounds + 1):
        order = [i for i in range(n) if avail[i, r]]
        rng.shuffle(order)
        plan_rounds[r] = [tuple(sorted(order[k:k + 2])) for k in range(0, len(order) - 1, 2)]  # type: ignore[misc]
    fixed = np.zeros_like(avail)

    def total(p: dict[int, list[tuple[int, int]]]) -> int:
        busy: dict[int, set[int]] = {}
        for r, pairs in p.items():
            for a, b in pairs:
                busy.setdefault(a, set()).add(r)
                busy.setdefault(b, set()).add(r)
        return sum(count_breaks(v) for v in busy.values())

    compacted = compact_rounds(plan_rounds, avail, fixed)
    assert total(compacted) <= total(plan_rounds)
    assert sorted(map(sorted, compacted.values())) == sorted(map(sorted, plan_rounds.values()))
    assert all(avail[a, r] and avail[b, r] for r, pairs in compacted.items() for a, b in pairs)


# --------------------------------------------------------------------------- files and CLI


def test_requests_file_errors_name_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text("a_id,b_id,session,round\na,b,evening,\na,zz,,\nc,d,morning,9\na,b,,\n", encoding="utf-8")
    with pytest.raises(AttendeeFileError) as caught:
        read_requests_file(path, rounds=6, known_ids=["a", "b", "c", "d"])
    text = str(caught.value)
    assert "line 2, session" in text and "line 3, b_id" in text and "line 4, round" in text
    assert "line 5" in text and "already requested on line 2" in text


def test_cli_requested_mode_writes_breaks_and_requests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = generate_requests_event(24, rounds=6, seed=5)
    attendees = tmp_path / "a.csv"
    write_attendee_file(event.attendees, attendees)
    requests = tmp_path / "r.csv"
    requests.write_text("a_id,b_id,session,round\n"
                        f"{event.requests[0].a_id},{event.requests[0].b_id},afternoon,\n", encoding="utf-8")
    report_path = tmp_path / "REPORT.json"
    code = main(["plan", str(attendees), "--rounds", "6", "--meetings", "requested", "--break-spread", "1",
                 "--requests-file", str(requests), "--time-limit", "5", "--workers", "1",
                 "--out", str(tmp_path / "s.csv"), "--report", str(report_path)])
    assert code == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["meetings_mode"] == "requested"
    assert set(report["requests"]) == {"requested", "scheduled", "unscheduled"}
    assert set(report["breaks"]) == {"total", "worst", "spread", "bound", "optimal"}
    assert "breaks:" in capsys.readouterr().out


def test_cli_generates_requested_events(tmp_path: Path) -> None:
    out, extra = tmp_path / "a.csv", tmp_path / "r.csv"
    assert main(["generate", "40", "--rounds", "8", "--seed", "2", "--requests", "--meetings", "100",
                 "--out", str(out), "--requests-out", str(extra)]) == 0
    rows = extra.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "a_id,b_id,session,round" and len(rows) == 101


@pytest.mark.parametrize("seed", range(3))
def test_generated_events_have_real_shapes(seed: int) -> None:
    event = generate_requests_event(80, rounds=10, seed=seed, meetings=250)
    assert len(event.requests) == 250
    assert event == generate_requests_event(80, rounds=10, seed=seed, meetings=250)
    degree: dict[str, int] = {}
    for r in event.requests:
        degree[r.a_id] = degree.get(r.a_id, 0) + 1
        degree[r.b_id] = degree.get(r.b_id, 0) + 1
    available = {a.id: len(a.rounds_present(10)) for a in event.attendees}
    assert any(degree[i] > available[i] for i in degree)                  # more requests than rounds
    assert max(degree.values()) >= 2 * sorted(degree.values())[len(degree) // 2]  # a few very popular
    assert sum(1 for a in event.attendees if a.available_rounds is not None) >= 10
    assert {r.pair for r in event.requests} == {r.pair for r in collect_requests(event.attendees)}


# --------------------------------------------------------------------------- the path without an LP answer


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("rule", ["hard", "soft"])
def test_without_an_lp_answer_must_meets_and_the_company_rule_are_kept(
        seed: int, rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    import scheduler.solver as solver_module
    from scheduler.checker import company_repeats
    from tests.scheduler._events import random_event

    real = solver_module.solve_selection

    def no_time(*args: object, **kwargs: object) -> object:
        """The LP as it is when its share of the time ends before its first answer: candidates
        but no values, the seats bound."""
        import numpy as np

        from scheduler.bounds import seats_bound

        outcome = real(*args, **kwargs)  # type: ignore[arg-type]
        inst, _, _, weights = args[:4]
        seats = float(sum(inst.seats(r) for r in inst.free_rounds))  # type: ignore[attr-defined]
        return dataclasses.replace(outcome, values=np.zeros(len(outcome.values)), objective=0.0,
                                   bound=seats_bound(weights, seats), answered=False)  # type: ignore[arg-type]

    monkeypatch.setattr(solver_module, "solve_selection", no_time)
    # and the rounding, with nothing to round, returns no pairs (as at 5,000 attendees)
    from scheduler.rounding import Rounding
    monkeypatch.setattr(solver_module, "round_selection", lambda *args, **kwargs: Rounding([], "LP", 0))
    people = random_event(60, seed=seed, rounds=6)
    rng = random.Random(seed)
    wishes: dict[str, list[str]] = {}
    for _ in range(12):
        a, b = rng.sample(people, 2)
        if a.company_key != b.company_key:
            wishes.setdefault(a.id, []).append(b.id)
    people = [dataclasses.replace(p, must_meet=tuple(wishes.get(p.id, ()))) for p in people]
    weights = dataclasses.replace(WEIGHTS, company_repeats=rule)
    result = plan(PlanRequest(people, 6, weights=weights, time_limit=6, seed=seed, workers=1))
    assert check_schedule(result.schedule, people) == []
    report = result.report
    assert report.path == "greedy"
    assert report.must_meet_kept == report.must_meet_requested, report.must_meet_unkept
    if rule == "hard":
        assert company_repeats(result.schedule, people) == (0, 0)
