"""The seeded event generator: reproducible, and shaped like a real partner event."""

from __future__ import annotations

from collections import Counter

import pytest

from scheduler.domain import Attendee, Taxonomy, index_attendees
from scheduler.generator import generate_event
from scheduler.taxonomy import load_taxonomy

ROUNDS = 10


@pytest.fixture(scope="module")
def event() -> list[Attendee]:
    return generate_event(1000, rounds=ROUNDS, seed=11)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy()


def test_same_seed_same_event_other_seed_other_event(event: list[Attendee]) -> None:
    assert generate_event(1000, rounds=ROUNDS, seed=11) == event
    assert generate_event(1000, rounds=ROUNDS, seed=12) != event


def test_count_and_unique_ids(event: list[Attendee]) -> None:
    assert len(event) == 1000
    assert len({a.id for a in event}) == 1000


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_tiny_events(n: int) -> None:
    people = generate_event(n, rounds=3, seed=1)
    assert len(people) == n
    assert all(not a.must_meet or a.must_meet[0] != a.id for a in people)


def test_companies_have_one_to_three_representatives_and_a_real_mix(event: list[Attendee]) -> None:
    sizes = Counter(Counter(a.company_key for a in event).values())
    assert set(sizes) <= {1, 2, 3}
    assert all(sizes[s] > 50 for s in (1, 2, 3))


def test_colleagues_share_company_profile(event: list[Attendee]) -> None:
    by_company: dict[str, list[Attendee]] = {}
    for a in event:
        by_company.setdefault(a.company_key, []).append(a)
    for colleagues in by_company.values():
        assert len({(a.region, a.partner_type) for a in colleagues}) == 1
        assert len({a.name for a in colleagues}) == len(colleagues)


def test_everything_comes_from_the_taxonomy(event: list[Attendee], taxonomy: Taxonomy) -> None:
    for a in event:
        assert a.region in taxonomy.regions
        assert a.partner_type in taxonomy.partner_types
        assert set(a.offers) | set(a.seeks) <= set(taxonomy.competencies)


def test_offers_and_seeks_sizes_and_mostly_different(event: list[Attendee]) -> None:
    assert all(1 <= len(a.offers) <= 4 and 1 <= len(a.seeks) <= 4 for a in event)
    overlapping = sum(bool(set(a.offers) & set(a.seeks)) for a in event)
    assert overlapping < 0.15 * len(event)


def test_competency_popularity_is_skewed(event: list[Attendee], taxonomy: Taxonomy) -> None:
    counts = Counter(c for a in event for c in a.offers + a.seeks)
    ranked = [count for _, count in counts.most_common()]
    assert ranked[0] > 4 * ranked[len(ranked) // 2]
    assert len(counts) >= len(taxonomy.competencies) * 0.8


def test_partner_types_and_regions_are_mixed(event: list[Attendee], taxonomy: Taxonomy) -> None:
    types = Counter(a.partner_type for a in event)
    assert set(types) == set(taxonomy.partner_types)
    assert types["ISV"] > types["Distributor"]
    regions = Counter(a.region for a in event)
    assert set(regions) == set(taxonomy.regions)
    assert max(regions.values()) < 0.5 * len(event)


def test_about_fifteen_percent_arrive_late_or_leave_early(event: list[Attendee]) -> None:
    partial = [a for a in event if a.available_rounds is not None]
    assert 0.12 <= len(partial) / len(event) <= 0.18
    for a in partial:
        present = sorted(a.available_rounds or ())
        assert present == list(range(present[0], present[-1] + 1)), "not a contiguous range"
        assert 1 <= len(present) < ROUNDS
        assert present[0] == 1 or present[-1] == ROUNDS


def test_requests_are_few_and_never_to_colleagues_or_absent_people(event: list[Attendee]) -> None:
    people = index_attendees(event)
    requesters = [a for a in event if a.must_meet]
    avoiders = [a for a in event if a.avoid]
    assert 0.03 <= len(requesters) / len(event) <= 0.07
    assert 0.01 <= len(avoiders) / len(event) <= 0.03
    for a in requesters + avoiders:
        assert len(a.must_meet) + len(a.avoid) == 1
        other = people[(a.must_meet + a.avoid)[0]]
        assert other.id != a.id
        assert other.company_key != a.company_key
    for a in requesters:
        other = people[a.must_meet[0]]
        assert set(a.rounds_present(ROUNDS)) & set(other.rounds_present(ROUNDS))
        assert a.id not in other.avoid


def test_names_are_varied_and_include_non_ascii(event: list[Attendee]) -> None:
    assert len({a.name for a in event}) > 0.3 * len(event)
    assert sum(not a.name.isascii() for a in event) > 0.1 * len(event)
    assert len({a.company for a in event}) == len({a.company_key for a in event})
    assert all(a.email.isascii() and "@" in a.email for a in event)


def test_custom_taxonomy_is_used() -> None:
    custom = Taxonomy(("Quantum", "Robotics", "Space"), ("Moon", "Mars"), ("Builder", "Seller"))
    people = generate_event(50, rounds=4, seed=5, taxonomy=custom)
    assert {a.region for a in people} <= {"Moon", "Mars"}
    assert {c for a in people for c in a.offers + a.seeks} <= {"Quantum", "Robotics", "Space"}


def test_single_round_event_has_no_partial_attendance() -> None:
    assert all(a.available_rounds is None for a in generate_event(100, rounds=1, seed=3))


def test_two_thousand_attendees_each_with_their_own_id() -> None:
    """The largest size the product plans for (its speed is printed by bench/bench_generator.py)."""
    people = generate_event(2000, rounds=12, seed=99)
    assert len(people) == 2000 and len({a.id for a in people}) == 2000
    assert all(a.name and a.company and a.offers for a in people)
