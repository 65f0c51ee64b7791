"""Attendees' wishes: Must and Want weigh in the plan, No forbids the pair, reasons stay private."""

from __future__ import annotations

import io
import json
import re
import statistics
from dataclasses import replace
from pathlib import Path

import pytest

from scheduler.baseline import baseline_schedule
from scheduler.checker import check_schedule
from scheduler.cli import main
from scheduler.domain import Attendee, Meeting, MeetingsMode, Schedule, ScoringWeights
from scheduler.generator import generate_event, generate_wishes
from scheduler.importer import AttendeeFileError, RowError, read_attendee_file, write_attendee_file
from scheduler.replan import replan
from scheduler.requests import collect_requests
from scheduler.revise import RevisionRequest, revise
from scheduler.scoring import (
    WishTier,
    explain_for,
    explain_points,
    max_competency_score,
    pair_terms,
    score_matrix,
    score_pairs,
    why_not_allowed,
    wish_tier,
    wish_tiers_dominate,
)
from scheduler.solver import PlanReport, PlanRequest, plan
from scheduler.taxonomy import ConfigError, load_weights
from scheduler.wishes import count_wishes

from ._events import WEIGHTS, person

HEADER = "id,name,company,region,partner_type,offers,seeks,must_meet,avoid,wish_must,wish_want,wish_no"
DEFAULT = load_weights()


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode("utf-8")


def errors_of(data: bytes) -> list[RowError]:
    with pytest.raises(AttendeeFileError) as caught:
        read_attendee_file(data, filename="people.csv")
    return caught.value.errors


def wishing(attendee: Attendee, *, must: tuple[str, ...] = (), want: tuple[str, ...] = (),
            no: tuple[str, ...] = ()) -> Attendee:
    return replace(attendee, wish_must=must, wish_want=want, wish_no=no)


def wished_event(n: int, *, rounds: int, seed: int) -> list[Attendee]:
    return generate_wishes(generate_event(n, rounds=rounds, seed=seed), seed=seed)


# ---------------------------------------------------------------- importer


def test_wish_columns_are_read_and_written_back() -> None:
    data = csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,,,a2; a3,a4,",
                     "a2,Bo,Beta,NA,ISV,Hosting,,,,a1,,a4",
                     "a3,Cy,Gamma,NA,ISV,Hosting,,,,,a1 ; a1,",
                     "a4,Di,Delta,NA,ISV,Hosting,,,,,,")
    people = read_attendee_file(data, filename="people.csv").attendees
    assert [(p.wish_must, p.wish_want, p.wish_no) for p in people] == [
        (("a2", "a3"), ("a4",), ()), (("a1",), (), ("a4",)), ((), ("a1",), ()), ((), (), ())]
    for fmt in ("csv", "xlsx"):
        buffer = io.BytesIO()
        write_attendee_file(people, buffer, fmt)
        assert read_attendee_file(buffer.getvalue(), filename=f"again.{fmt}").attendees == people


def test_a_file_without_wish_columns_has_no_wishes() -> None:
    people = read_attendee_file(b"id,name,company,region,partner_type,offers,seeks\na1,Ana,Acme,NA,ISV,Hosting,\n",
                                filename="x.csv").attendees
    assert (people[0].wish_must, people[0].wish_want, people[0].wish_no) == ((), (), ())


def test_wish_references_are_checked_like_must_meet_with_line_and_column() -> None:
    data = csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,,,A2,,",
                     "a2,Bo,Beta,NA,ISV,Hosting,,,,,a2,zz",
                     "a3,Cy,Gamma,NA,ISV,Hosting,,,,a1,a1,",
                     "a4,Di,Delta,NA,ISV,Hosting,,,,a1,,a1",
                     "a5,Ed,Echo,NA,ISV,Hosting,,,a1,a1,,",
                     "a6,Fa,Foxtrot,NA,ISV,Hosting,,a1,,,,a1")
    assert [str(e) for e in errors_of(data)] == [
        "line 2, wish_must: unknown id 'A2' (did you mean 'a2'?)",
        "line 3, wish_want: lists the attendee's own id 'a2'",
        "line 3, wish_no: unknown id 'zz'",
        "line 4, wish_want: 'a1' is also listed in wish_must",
        "line 5, wish_no: 'a1' is also listed in wish_must",
        "line 6, avoid: 'a1' is also listed in wish_must",
        "line 7, wish_no: 'a1' is also listed in must_meet",
    ]


def test_must_meet_beside_a_wish_for_the_same_person_is_accepted() -> None:
    data = csv_bytes("a1,Ana,Acme,NA,ISV,Hosting,,a2,,a2,,", "a2,Bo,Beta,NA,ISV,Hosting,,,a3,,,a3",
                     "a3,Cy,Gamma,NA,ISV,Hosting,,,,,,")
    assert len(read_attendee_file(data, filename="x.csv").attendees) == 3


# ---------------------------------------------------------------- weights


def test_wish_weights_load_from_the_file_and_as_overrides() -> None:
    assert (DEFAULT.wish_must_mutual, DEFAULT.wish_must, DEFAULT.wish_want_mutual, DEFAULT.wish_want) == \
        (400.0, 300.0, 200.0, 100.0)
    weights = load_weights(overrides={"wish_want": 0, "wish_want_mutual": "150"})
    assert (weights.wish_want, weights.wish_want_mutual) == (0.0, 150.0)
    zero = load_weights(overrides=dict.fromkeys(("wish_want", "wish_want_mutual", "wish_must",
                                                 "wish_must_mutual"), 0))
    assert zero.wish_must_mutual == 0.0


@pytest.mark.parametrize(("overrides", "key"), [
    ({"wish_must": "a lot"}, "wish_must"),
    ({"wish_want": True}, "wish_want"),
    ({"wish_want": -1}, "wish_want"),
    ({"wish_must": 150}, "wish_must"),            # below wish_want_mutual (200)
    ({"wish_want": 250}, "wish_want_mutual"),     # the mutual Want would weigh less than one-sided
    ({"wish_must_mutual": float("inf")}, "wish_must_mutual"),
])
def test_bad_wish_weights_name_the_key(overrides: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_weights(overrides=overrides)
    assert caught.value.key == key


# ---------------------------------------------------------------- ordering of the tiers


def test_default_weights_put_each_tier_above_the_next_plus_any_competency_score() -> None:
    ceiling = max_competency_score(DEFAULT)
    assert ceiling == 80          # 2 x 3 x 10 + 8 + 8 (ISV|SI) + 4
    assert DEFAULT.wish_want > ceiling
    assert DEFAULT.wish_want_mutual > DEFAULT.wish_want + ceiling
    assert DEFAULT.wish_must > DEFAULT.wish_want_mutual + ceiling
    assert DEFAULT.wish_must_mutual > DEFAULT.wish_must + ceiling
    assert wish_tiers_dominate(DEFAULT)
    assert not wish_tiers_dominate(replace(DEFAULT, wish_want=50.0))
    assert not wish_tiers_dominate(replace(DEFAULT, wish_must_mutual=350.0))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_pair_of_a_stronger_tier_outscores_every_pair_of_a_weaker_one(seed: int) -> None:
    people = wished_event(150, rounds=8, seed=seed)
    matrix = score_matrix(people, DEFAULT)
    rows, cols = matrix.pairs()
    by_tier: dict[WishTier | None, list[int]] = {}
    for i, j in zip(rows.tolist(), cols.tolist()):
        by_tier.setdefault(wish_tier(people[i], people[j]), []).append(int(matrix.scores[i, j]))
    ladder = [WishTier.MUST_MUTUAL, WishTier.MUST, WishTier.WANT_MUTUAL, WishTier.WANT, None]
    present = [tier for tier in ladder if by_tier.get(tier)]
    assert len(present) >= 4
    for stronger, weaker in zip(present, present[1:]):
        assert min(by_tier[stronger]) > max(by_tier[weaker]), (stronger, weaker)


def test_the_readable_terms_equal_the_matrix_with_wishes() -> None:
    people = wished_event(60, rounds=6, seed=4)
    matrix = score_matrix(people, DEFAULT)
    rows, cols = matrix.pairs()
    for i, j in zip(rows.tolist(), cols.tolist()):
        assert pair_terms(people[i], people[j], DEFAULT).score == int(matrix.scores[i, j])


# ---------------------------------------------------------------- No is a hard rule


def _declined_event() -> tuple[list[Attendee], str, str]:
    """a and b are each other's best match by far (b even marks a Must), but a marked b No."""
    people = [person(f"p{k}", offers=("Support",), seeks=("Training",), region="NA") for k in range(8)]
    a = wishing(person("a", offers=("Hosting", "Security", "Data"), seeks=("AI", "Migration")), no=("b",))
    b = wishing(person("b", region="APAC", offers=("AI", "Migration"), seeks=("Hosting", "Security", "Data")),
                must=("a",))
    return [a, b, *people], "a", "b"


def _met(schedule: Schedule, x: str, y: str) -> bool:
    return any(m.pair == {x, y} for m in schedule.meetings)


@pytest.mark.parametrize("flip", [False, True])
def test_no_from_either_side_forbids_the_pair_in_scores_and_checker(flip: bool) -> None:
    people, x, y = _declined_event()
    if flip:   # the No written on the other row
        people[0], people[1] = wishing(people[0], must=("b",)), wishing(people[1], no=("a",))
    assert why_not_allowed(people[0], people[1]) == "avoided"
    assert ("a", "b") not in score_pairs(people, DEFAULT)
    forged = Schedule(1, 1, (Meeting(1, 1, x, y),))
    assert any("marked the other No" in problem for problem in check_schedule(forged, people))


@pytest.mark.parametrize("time_limit", [5.0, 0.01])   # the LP (and exact model), and round by round
def test_no_pair_never_meets_in_a_plan(time_limit: float) -> None:
    people, x, y = _declined_event()
    result = plan(PlanRequest(people, 6, 5, DEFAULT, time_limit=time_limit, seed=0))
    assert result.report.meetings > 0
    assert not _met(result.schedule, x, y)
    assert check_schedule(result.schedule, people) == []
    assert result.report.wishes.no_pairs_met == 0


def test_no_pair_never_meets_in_a_bigger_plan_with_improvement() -> None:
    people = wished_event(120, rounds=8, seed=5)
    result = plan(PlanRequest(people, 8, 60, DEFAULT, time_limit=5, seed=0))
    assert any(p.wish_no for p in people)
    assert result.report.wishes.no_pairs_met == 0
    assert check_schedule(result.schedule, people) == []


def test_no_pair_never_meets_in_revise_replan_baseline_and_requested_mode() -> None:
    people, x, y = _declined_event()
    published = plan(PlanRequest(people, 6, 5, DEFAULT, time_limit=2, seed=0)).schedule
    revised = revise(RevisionRequest(published, people, 6, 5, DEFAULT, from_round=2, time_limit=2))
    assert not _met(revised.schedule, x, y) and revised.report.wishes.no_pairs_met == 0
    again, _ = replan(published, people, 3, DEFAULT, time_limit=2)
    assert not _met(again.schedule, x, y) and check_schedule(again.schedule, people) == []
    assert not _met(baseline_schedule(people, 6, 5, DEFAULT), x, y)
    asking = [replace(people[0]), replace(people[1], must_meet=("a",)), *people[2:]]
    requested = plan(PlanRequest(asking, 6, 5, DEFAULT, time_limit=2, meetings=MeetingsMode.REQUESTED))
    assert not _met(requested.schedule, x, y)
    assert [(a, b, cause) for a, b, cause, _ in requested.report.requests_unscheduled] == [("a", "b", "not allowed")]


# ---------------------------------------------------------------- mutual Musts are granted


@pytest.mark.parametrize(("n", "rounds", "share", "seed"), [
    (24, 6, 0.5, 0), (40, 8, 0.5, 1), (60, 6, 0.4, 2), (90, 10, 0.5, 3), (150, 8, 0.5, 4), (200, 12, 0.35, 5),
])
def test_every_possible_mutual_must_is_granted(n: int, rounds: int, share: float, seed: int) -> None:
    people = wished_event(n, rounds=rounds, seed=seed)
    result = plan(PlanRequest(people, rounds, max(1, int(n * share)), DEFAULT, time_limit=4, seed=seed))
    mutual = result.report.wishes.tiers[WishTier.MUST_MUTUAL]
    assert mutual.requested > 0
    assert mutual.granted == mutual.possible
    assert check_schedule(result.schedule, people) == []


def test_wishes_are_granted_far_more_than_when_ignored() -> None:
    people = wished_event(120, rounds=8, seed=6)
    ignored = replace(DEFAULT, wish_must_mutual=0.0, wish_must=0.0, wish_want_mutual=0.0, wish_want=0.0)
    with_wishes = plan(PlanRequest(people, 8, 60, DEFAULT, time_limit=4, seed=0)).report.wishes
    without = plan(PlanRequest(people, 8, 60, ignored, time_limit=4, seed=0)).report.wishes
    for tier in (WishTier.MUST_MUTUAL, WishTier.MUST, WishTier.WANT):
        assert with_wishes.tiers[tier].granted > without.tiers[tier].granted


@pytest.mark.parametrize("seed", [7, 8])
def test_people_who_mark_no_one_still_get_their_best_matches(seed: int) -> None:
    """Half the room wishes, half marks no one. The silent half keeps its meetings, and the
    meetings no wish brought about score, on competencies alone, about what a plan without
    any wishes gives them (those someone else wished to meet trade a little score for it)."""
    event = generate_event(120, rounds=8, seed=seed)
    people = generate_wishes(event, seed=seed, silent_share=0.5)
    by_id = {p.id: p for p in people}
    silent = {p.id for p in people if not (p.wish_must or p.wish_want)}
    unwished = silent - {other for p in people for other in (*p.wish_must, *p.wish_want)}
    assert 50 <= len(silent) <= 70 and unwished
    competency = score_matrix(event, DEFAULT)
    position = {p.id: k for k, p in enumerate(event)}

    def scores(schedule: Schedule, group: set[str], *, unwished_pairs: bool = False) -> list[float]:
        return [float(competency.scores[position[m.a_id], position[m.b_id]])
                for m in schedule.meetings for ident in (m.a_id, m.b_id) if ident in group
                and not (unwished_pairs and wish_tier(by_id[m.a_id], by_id[m.b_id]) is not None)]

    wished = plan(PlanRequest(people, 8, 60, DEFAULT, time_limit=4, seed=0)).schedule
    plain = plan(PlanRequest(event, 8, 60, DEFAULT, time_limit=4, seed=0)).schedule
    assert len(scores(wished, silent)) >= len(scores(plain, silent)) - 2
    plain_mean = statistics.mean(scores(plain, silent))
    assert statistics.mean(scores(wished, silent, unwished_pairs=True)) >= 0.95 * plain_mean
    assert statistics.mean(scores(wished, unwished)) >= 0.92 * statistics.mean(scores(plain, unwished))


def test_mutual_musts_are_requests_in_requested_mode_and_one_sided_ones_are_not() -> None:
    people = [wishing(person("a"), must=("b", "c")), wishing(person("b"), must=("a",)),
              wishing(person("c"), want=("a",)), wishing(person("d"), must=("c",)), person("e", must_meet=("d",))]
    assert [(r.a_id, r.b_id) for r in collect_requests(people)] == [("a", "b"), ("d", "e")]
    result = plan(PlanRequest(people, 3, 2, DEFAULT, time_limit=2, meetings=MeetingsMode.REQUESTED))
    assert {m.pair for m in result.schedule.meetings} == {frozenset("ab"), frozenset("de")}


# ---------------------------------------------------------------- reasons in words


def test_reasons_speak_to_the_viewer_without_points() -> None:
    ana = wishing(replace(person("a", "Fabrikam", region="EMEA", partner_type="ISV", seeks=("Hosting",)),
                          name="Ana Lima"), must=("b",))
    bo = wishing(replace(person("b", "Contoso Hosting", region="APAC", partner_type="Systems Integrator",
                                offers=("Hosting",)), name="Bo Chen"), want=("a",))
    cy = replace(person("c", "Northwind", region="EMEA", partner_type="ISV"), name="Cy Diaz")
    text = explain_for(ana, bo, DEFAULT)
    for fact in ("You both asked to meet", "Contoso Hosting offers Hosting, which you seek",
                 "A systems integrator who builds on ISV products like yours", "From another region: APAC"):
        assert fact in text
    assert explain_for(wishing(ana, must=("c",)), cy, DEFAULT).startswith("You asked to meet Cy Diaz")
    organisers = explain_for(replace(cy, must_meet=("a",)), ana, DEFAULT)
    assert "The organisers asked you two to meet" in organisers and "asked to meet Ana" not in organisers
    assert "+400" in explain_points(ana, bo, WEIGHTS) or "+" in explain_points(ana, bo, WEIGHTS)
    assert "score" in explain_points(ana, bo, DEFAULT)


def test_a_negative_fit_is_never_told() -> None:
    one = person("a", partner_type="Distributor", region="EMEA")
    other = person("b", partner_type="Distributor", region="EMEA")
    assert explain_for(one, other, DEFAULT) == "A chance to meet someone new."


@pytest.mark.parametrize("seed", [8, 9])
def test_attendee_reasons_hold_no_digits_and_never_reveal_a_one_sided_wish(seed: int) -> None:
    people = wished_event(80, rounds=8, seed=seed)
    result = plan(PlanRequest(people, 8, 40, DEFAULT, time_limit=3, seed=0))
    by_id = {p.id: p for p in people}
    told = 0
    for m in result.schedule.meetings:
        for viewer, partner in ((by_id[m.a_id], by_id[m.b_id]), (by_id[m.b_id], by_id[m.a_id])):
            text = explain_for(viewer, partner, DEFAULT)
            assert not re.search(r"\d|points|score|\+", text), text
            asked = partner.id in (*viewer.wish_must, *viewer.wish_want)
            asked_back = viewer.id in (*partner.wish_must, *partner.wish_want)
            assert ("You both asked to meet" in text) == (asked and asked_back)
            assert (f"You asked to meet {partner.name}" in text) == (asked and not asked_back)
            told += asked_back and not asked
    assert told > 0     # one-sided wishes of the partner were there to leak, and did not


def test_organiser_reason_of_a_meeting_names_the_wishes() -> None:
    people = [wishing(replace(person("a"), name="Ana Lima"), must=("b",)), replace(person("b"), name="Bo Chen")]
    result = plan(PlanRequest(people, 1, 1, DEFAULT, time_limit=2))
    assert "Ana Lima marked Bo Chen Must" in result.schedule.meetings[0].reason
    assert "marked Bo Chen Must +300" in explain_points(people[0], people[1], DEFAULT)


# ---------------------------------------------------------------- report


def test_wishes_are_counted_once_per_pair_in_their_strongest_tier() -> None:
    people = [wishing(person("a"), must=("b",), want=("c",)), wishing(person("b"), must=("a",)),
              wishing(person("c"), want=("a", "d")), wishing(person("d"), must=("a",), no=("e",)),
              wishing(person("e"), want=("d",))]
    meetings = [Meeting(1, 1, "a", "b"), Meeting(1, 2, "c", "d"), Meeting(2, 1, "a", "d")]
    summary = count_wishes(meetings, people, 2)
    assert summary.to_dict() == {
        "must_mutual": {"requested": 1, "possible": 1, "granted": 1},
        "must": {"requested": 1, "possible": 1, "granted": 1},
        "want_mutual": {"requested": 1, "possible": 1, "granted": 0},
        "want": {"requested": 1, "possible": 1, "granted": 1},
        "no_pairs_met": 0,
    }
    assert count_wishes([Meeting(1, 1, "d", "e")], people, 2).no_pairs_met == 1


def test_report_round_trip_and_older_reports_without_wishes() -> None:
    people = wished_event(40, rounds=6, seed=10)
    report = plan(PlanRequest(people, 6, 20, DEFAULT, time_limit=2, seed=0)).report
    stored = json.loads(json.dumps(report.to_dict()))
    assert set(stored["wishes"]) == {"must_mutual", "must", "want_mutual", "want", "no_pairs_met"}
    assert PlanReport.from_dict(stored).wishes == report.wishes
    del stored["wishes"]
    old = PlanReport.from_dict(stored).wishes
    assert old.requested == 0 and old.no_pairs_met == 0


def test_cli_generates_wishes_and_prints_what_the_plan_granted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people_file, out = tmp_path / "people.csv", tmp_path / "schedule.csv"
    assert main(["generate", "40", "--rounds", "6", "--seed", "2", "--wishes", "--out", str(people_file)]) == 0
    people = read_attendee_file(people_file, rounds=6).attendees
    assert any(p.wish_must for p in people) and any(p.wish_no for p in people)
    assert main(["plan", str(people_file), "--rounds", "6", "--time-limit", "2", "--out", str(out),
                 "--report", str(tmp_path / "report.json")]) == 0
    printed = capsys.readouterr().out
    assert "wishes granted: mutual Must" in printed
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["wishes"]["no_pairs_met"] == 0


# ---------------------------------------------------------------- generator


def test_generated_wishes_are_skewed_with_quotas_and_silent_people() -> None:
    people = wished_event(300, rounds=8, seed=11)
    assert people == wished_event(300, rounds=8, seed=11)
    assert all(len(p.wish_must) <= 3 and len(p.wish_want) <= 5 and len(p.wish_no) <= 1 for p in people)
    silent = [p for p in people if not (p.wish_must or p.wish_want or p.wish_no)]
    assert 60 <= len(silent) <= 120
    wished: dict[str, int] = {}
    for p in people:
        for other in (*p.wish_must, *p.wish_want):
            wished[other] = wished.get(other, 0) + 1
    counts = sorted(wished.values(), reverse=True)
    assert counts[0] >= 10 * statistics.median(counts)       # a few are wished by many
    assert count_wishes([], people, 8).tiers[WishTier.MUST_MUTUAL].requested > 0
    buffer = io.BytesIO()
    write_attendee_file(people, buffer, "csv")
    assert read_attendee_file(buffer.getvalue(), filename="w.csv", rounds=8).attendees == people


def test_scoring_weights_default_match_the_file() -> None:
    assert ScoringWeights().wish_must_mutual == DEFAULT.wish_must_mutual
