"""Weights learned from meeting outcomes: recovered from outcomes simulated from known weights,
within the stated intervals, and refused on too little to learn from."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from scheduler.domain import Attendee, Meeting, ScoringWeights
from scheduler.generator import generate_event
from scheduler.learning import (
    MeetingOutcome,
    Outcome,
    Proposal,
    Verdict,
    WeightProposal,
    propose_weights,
    simulate_outcomes,
)
from scheduler.scoring import why_not_allowed
from scheduler.taxonomy import load_weights

TRUTH = replace(load_weights(), mutual_bonus=6.0, region_bonus=2.0, competitor_penalty=8.0)
# A wrong start: every learnable weight off, and no partner-type fit at all.
WRONG = replace(TRUTH, mutual_bonus=12.0, region_bonus=7.0, competitor_penalty=14.0, partner_type_fit={})
LEARNABLE = {"offer_match", "mutual_bonus", "region_bonus", "competitor_penalty", "partner_type_fit"}


def random_meetings(people: list[Attendee], count: int, rng: np.random.Generator) -> list[Meeting]:
    """``count`` distinct pairs allowed to meet, drawn at random (rounds and tables nominal)."""
    seen: set[tuple[str, str]] = set()
    meetings: list[Meeting] = []
    while len(meetings) < count:
        i, j = (int(k) for k in rng.integers(0, len(people), 2))
        a, b = people[i], people[j]
        key = (min(a.id, b.id), max(a.id, b.id))
        if i == j or key in seen or why_not_allowed(a, b):
            continue
        seen.add(key)
        meetings.append(Meeting(1 + len(meetings) % 12, 1, a.id, b.id))
    return meetings


def simulated(count: int, seed: int, truth: ScoringWeights = TRUTH,
              people: list[Attendee] | None = None, person_effect: float = 0.0) -> list[MeetingOutcome]:
    rng = np.random.default_rng(seed)
    people = people or generate_event(max(150, count // 8), rounds=12, seed=seed)
    return simulate_outcomes(people, random_meetings(people, count, rng), truth, rng,
                             person_effect=person_effect)


def target(weight: WeightProposal, proposal: Proposal, truth: ScoringWeights) -> float:
    """What a weight should come out as: the truth, and for a type fit the truth relative to
    the reference pair (type fits are only known up to a constant)."""
    if weight.key is None:
        return float(getattr(truth, weight.field))
    reference = next(w for w in proposal.weights if w.verdict is Verdict.REFERENCE)
    assert reference.key is not None

    def fit(key: str) -> float:
        return float(truth.partner_type_fit.get(key, truth.partner_type_default))
    return reference.current + fit(weight.key) - fit(reference.key)


def test_true_weights_lie_in_the_stated_intervals_at_about_the_stated_rate() -> None:
    inside = total = 0
    for count in (300, 1_000, 3_000):
        for seed in range(5):
            proposal = propose_weights(simulated(count, seed), WRONG)
            assert not proposal.declined, proposal.reason
            assert proposal.level == 0.9
            for weight in proposal.weights:
                if weight.low is not None:
                    total += 1
                    inside += weight.contains(target(weight, proposal, TRUTH))
    assert total > 200
    assert inside / total >= 0.8, f"{inside} of {total}"


def test_intervals_allow_for_attendees_who_rate_every_meeting_alike() -> None:
    inside = total = 0
    for count in (1_000, 3_000):
        for seed in range(4):
            proposal = propose_weights(simulated(count, seed, person_effect=4.0), WRONG)
            assert not proposal.declined, proposal.reason
            for weight in proposal.weights:
                if weight.low is not None:
                    total += 1
                    inside += weight.contains(target(weight, proposal, TRUTH))
    assert inside / total >= 0.8, f"{inside} of {total}"


def test_a_wrong_start_moves_towards_the_truth() -> None:
    proposal = propose_weights(simulated(3_000, seed=11), WRONG)
    changed = {w.name for w in proposal.changes}
    assert {"mutual_bonus", "region_bonus"} <= changed
    learned = proposal.apply(WRONG)
    for weight in proposal.changes:
        before = weight.current
        after = (float(getattr(learned, weight.field)) if weight.key is None
                 else float(learned.partner_type_fit[weight.key]))
        goal = target(weight, proposal, TRUTH)
        assert abs(after - goal) < abs(before - goal), weight.name
    assert learned.offer_match == WRONG.offer_match          # the anchor keeps the scale
    assert (learned.company_repeats, learned.prefer_same_region, learned.max_matches_counted) == (
        WRONG.company_repeats, WRONG.prefer_same_region, WRONG.max_matches_counted)


def test_each_weight_shows_current_proposed_interval_and_outcomes_behind_it() -> None:
    proposal = propose_weights(simulated(1_000, seed=3), WRONG)
    region = next(w for w in proposal.weights if w.name == "region_bonus")
    assert region.current == 7.0
    assert region.low is not None and region.high is not None and region.proposed is not None
    assert region.low < region.proposed < region.high
    assert 0 < region.outcomes < 1_000
    assert {w.field for w in proposal.weights} <= LEARNABLE
    assert sum(proposal.counts.values()) == proposal.outcomes == 1_000
    offer = next(w for w in proposal.weights if w.name == "offer_match")
    assert offer.verdict is Verdict.ANCHOR and offer.proposed == WRONG.offer_match


def test_too_few_outcomes_are_declined_with_the_numbers() -> None:
    outcomes = simulated(300, seed=1)[:37]
    proposal = propose_weights(outcomes, WRONG)
    assert proposal.declined
    assert "37" in proposal.reason and "200" in proposal.reason
    assert proposal.weights == ()
    assert proposal.apply(WRONG) == WRONG


def test_outcomes_all_of_one_kind_are_declined() -> None:
    same = [replace(o, outcome=Outcome.INFORMATIVE) for o in simulated(400, seed=2)]
    proposal = propose_weights(same, WRONG)
    assert proposal.declined
    assert "informative" in proposal.reason
    assert proposal.counts["informative"] == 400


def test_no_scale_without_a_positive_offer_match() -> None:
    proposal = propose_weights(simulated(300, seed=2), replace(WRONG, offer_match=0.0))
    assert proposal.declined and "offer_match" in proposal.reason


def test_outcomes_unrelated_to_the_offers_are_declined() -> None:
    blind = replace(TRUTH, offer_match=0.0, mutual_bonus=0.0)
    proposal = propose_weights(simulated(1_000, seed=4, truth=blind), WRONG)
    assert proposal.declined
    assert "matching offers" in proposal.reason


def test_a_term_that_never_applies_is_kept_with_no_evidence() -> None:
    people = [replace(a, region="EMEA") for a in generate_event(200, rounds=12, seed=5)]
    proposal = propose_weights(simulated(1_000, seed=5, people=people), WRONG)
    assert not proposal.declined
    region = next(w for w in proposal.weights if w.name == "region_bonus")
    assert region.verdict is Verdict.NO_EVIDENCE and region.outcomes == 0
    assert region.proposed is None and "no evidence" in region.note
    assert proposal.apply(WRONG).region_bonus == WRONG.region_bonus


def test_rare_pairs_of_types_are_kept_and_one_pair_is_the_reference() -> None:
    proposal = propose_weights(simulated(300, seed=6), WRONG)
    fits = [w for w in proposal.weights if w.field == "partner_type_fit"]
    assert sum(w.verdict is Verdict.REFERENCE for w in fits) == 1
    rare = [w for w in fits if w.outcomes < 30]
    assert rare and all(w.verdict is Verdict.NO_EVIDENCE for w in rare)
    assert all(w.key not in proposal.apply(WRONG).partner_type_fit for w in rare)


def test_an_interval_too_wide_keeps_the_current_value() -> None:
    proposal = propose_weights(simulated(1_000, seed=7), WRONG, max_width=0.5)
    assert proposal.changes == ()
    assert all(w.verdict in {Verdict.TOO_WIDE, Verdict.NO_EVIDENCE, Verdict.ANCHOR, Verdict.REFERENCE}
               for w in proposal.weights)
    assert proposal.apply(WRONG) == WRONG


def test_only_the_accepted_changes_are_applied() -> None:
    proposal = propose_weights(simulated(3_000, seed=8), WRONG)
    region = next(w for w in proposal.changes if w.name == "region_bonus")
    assert region.proposed is not None
    learned = proposal.apply(WRONG, accepted={"region_bonus"})
    assert learned.region_bonus == pytest.approx(round(region.proposed, 1))
    assert (learned.mutual_bonus, learned.partner_type_fit) == (WRONG.mutual_bonus, WRONG.partner_type_fit)


def test_same_seed_same_proposal_and_json_round_trip() -> None:
    first = propose_weights(simulated(1_000, seed=9), WRONG).to_dict()
    again = propose_weights(simulated(1_000, seed=9), WRONG).to_dict()
    assert first == again
    stored = Proposal.from_dict(json.loads(json.dumps(first)))
    assert stored.to_dict() == first
    assert stored.apply(WRONG) == propose_weights(simulated(1_000, seed=9), WRONG).apply(WRONG)


def test_outcomes_of_several_events_are_learned_together() -> None:
    series = simulated(600, seed=12) + simulated(600, seed=13)   # the same ids in both events
    proposal = propose_weights(series, WRONG)
    assert proposal.outcomes == 1_200 and not proposal.declined
    region = next(w for w in proposal.weights if w.name == "region_bonus")
    assert region.contains(TRUTH.region_bonus)
