from __future__ import annotations

import itertools

from scheduler.domain import ScoringWeights
from scheduler.scoring import clip_score, explain_for, pair_terms, reason_for, score_matrix, score_pairs
from tests.scheduler._events import WEIGHTS, person, random_event


def test_complementarity_counts_each_direction_with_cap_and_mutual_bonus() -> None:
    weights = ScoringWeights(offer_match=10, mutual_bonus=8, max_matches_counted=2, region_bonus=0)
    a = person("a", offers=("Hosting", "Data", "AI"), seeks=("Security",))
    b = person("b", offers=("Security",), seeks=("Hosting", "Data", "AI"))
    one_way = person("c", seeks=("Hosting",))
    assert score_pairs([a, b], weights)[("a", "b")].score == 10 * 2 + 10 * 1 + 8
    assert score_pairs([a, one_way], weights)[("a", "c")].score == 10


def test_partner_type_fit_uses_alphabetical_key_and_default() -> None:
    weights = ScoringWeights(region_bonus=0, partner_type_fit={"ISV|Reseller": 6}, partner_type_default=1)
    isv, reseller, other = (person("a", partner_type="Reseller"), person("b", partner_type="ISV"),
                            person("c", partner_type="Integrator"))
    pairs = score_pairs([isv, reseller, other], weights)
    assert pairs[("a", "b")].score == 6
    assert pairs[("a", "c")].score == 1


def test_region_bonus_cross_region_by_default_and_same_region_when_preferred() -> None:
    a, b, c = person("a", region="EMEA"), person("b", region="APAC"), person("c", region="EMEA")
    cross = score_pairs([a, b, c], ScoringWeights(region_bonus=4))
    assert (cross[("a", "b")].score, cross[("a", "c")].score) == (4, 0)
    same = score_pairs([a, b, c], ScoringWeights(region_bonus=4, prefer_same_region=True))
    assert (same[("a", "b")].score, same[("a", "c")].score) == (0, 4)
    assert "cross-region (EMEA-APAC)" in cross[("a", "b")].reason


def test_competitors_scored_down_and_clipped_at_zero() -> None:
    weights = ScoringWeights(region_bonus=4, competitor_penalty=5, offer_match=10)
    a = person("a", partner_type="Hosting provider", offers=("Hosting",), seeks=("Data",))
    b = person("b", partner_type="Hosting provider", offers=("Hosting", "Data"))
    c = person("c", partner_type="Hosting provider", offers=("Hosting",))
    pairs = score_pairs([a, b, c], weights)
    assert pairs[("a", "b")].score == 10 - 5                 # b offers Data that a seeks
    assert pairs[("a", "c")].score == 0                      # -5 clipped, still allowed to meet
    assert "likely competitors" in pairs[("a", "c")].reason


def test_colleagues_avoid_and_disjoint_availability_are_not_allowed() -> None:
    a = person("a", "Contoso")
    b = person("b", " contoso ")
    c = person("c", avoid=("a",))
    d = person("d", rounds=frozenset({1}))
    e = person("e", rounds=frozenset({2}))
    pairs = score_pairs([a, b, c, d, e], WEIGHTS)
    assert ("a", "b") not in pairs and ("a", "c") not in pairs and ("d", "e") not in pairs
    assert ("a", "d") in pairs and ("b", "c") in pairs
    assert len(pairs) == 10 - 3
    assert set(pairs) == {k for k in pairs}


def test_reason_is_neutral_and_explain_for_speaks_to_the_viewer() -> None:
    contoso = person("a", "Contoso Hosting", region="EMEA", offers=("Hosting",))
    fabrikam = person("b", "Fabrikam", region="APAC", seeks=("Hosting",), offers=("Data",))
    reason = reason_for(contoso, fabrikam, WEIGHTS)
    assert reason.startswith("Contoso Hosting offers Hosting, which Fabrikam seeks")
    assert "cross-region (EMEA-APAC)" in reason
    assert explain_for(fabrikam, contoso, WEIGHTS).startswith("Contoso Hosting offers Hosting, which you seek")
    assert "You offer Hosting, which Fabrikam seeks" in explain_for(contoso, fabrikam, WEIGHTS)


def test_vectorised_scores_equal_the_readable_terms() -> None:
    people = random_event(60, seed=3)
    for weights in (WEIGHTS, ScoringWeights(prefer_same_region=True, max_matches_counted=1,
                                            offer_match=2.5, partner_type_default=-1.5)):
        matrix = score_matrix(people, weights, block=7)
        for i, j in itertools.combinations(range(len(people)), 2):
            assert matrix.scores[i, j] == matrix.scores[j, i]
            assert matrix.scores[i, j] == pair_terms(people[i], people[j], weights).score
            assert matrix.allowed[i, j] == (people[i].company_key != people[j].company_key)


def test_clip_score_rounds_half_up() -> None:
    assert [clip_score(x) for x in (-3.0, 0.4, 0.5, 2.5, 7.0)] == [0, 0, 1, 3, 7]


def test_scores_only_matches_mapping() -> None:
    people = random_event(30, seed=1)
    pairs = score_pairs(people, WEIGHTS)
    listed = list(pairs.scores_only())
    assert len(listed) == len(pairs)
    assert all(pairs[(a, b)].score == s and a < b for a, b, s in listed)
