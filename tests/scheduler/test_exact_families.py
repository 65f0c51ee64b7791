"""Events whose best schedule is known exactly: every pair that may meet does, sit-outs minimal.

A complete round robin (n - 1 rounds for even n, n rounds for odd n), a complete multipartite
event (equal companies, as many rounds as each attendee has partners, an even number of people)
and two companies meeting across (a x b people, max(a, b) rounds) all have a schedule in which
every allowed pair meets once, nobody sits out an even event and everybody sits out once in an
odd one. The planner must find it through its ordinary path, under the default time limit,
whatever the profiles make the pair scores.
"""

from __future__ import annotations

import itertools
import random

import pytest

from scheduler.checker import check_schedule
from scheduler.domain import Attendee
from scheduler.solver import PlanRequest, plan
from scheduler.taxonomy import load_weights
from tests.scheduler._events import COMPETENCIES, REGIONS, TYPES
from tests.support.marks import slow_if

WEIGHTS = load_weights()


def _company_event(sizes: list[int], seed: int, must_across: bool = False) -> list[Attendee]:
    """Companies of the given sizes with random profiles (so scores differ from pair to pair)."""
    rng = random.Random(seed)
    people: list[Attendee] = []
    ids = [[f"c{c:02d}-{k:02d}" for k in range(size)] for c, size in enumerate(sizes)]
    for c, members in enumerate(ids):
        others = tuple(i for d, group in enumerate(ids) if d != c for i in group) if must_across and c == 0 else ()
        for ident in members:
            people.append(Attendee(
                id=ident, name=f"Person {ident}", company=f"Company {c}", region=rng.choice(REGIONS),
                partner_type=rng.choice(TYPES), offers=tuple(rng.sample(COMPETENCIES, rng.randint(0, 3))),
                seeks=tuple(rng.sample(COMPETENCIES, rng.randint(0, 3))), must_meet=others))
    return people


def _assert_complete(people: list[Attendee], rounds: int, worst: int) -> None:
    result = plan(PlanRequest(people, rounds, weights=WEIGHTS, seed=1))
    assert check_schedule(result.schedule, people, ()) == []
    company = {p.id: p.company for p in people}
    wanted = {frozenset((a.id, b.id)) for a, b in itertools.combinations(people, 2)
              if company[a.id] != company[b.id]}
    met = [m.pair for m in result.schedule.meetings]
    assert len(met) == len(set(met))
    assert set(met) == wanted, f"{len(wanted - set(met))} pairs never meet"
    assert result.report.sit_outs_worst == worst
    assert result.report.status == "OPTIMAL"
    assert result.report.must_meet_kept == result.report.must_meet_requested


@pytest.mark.parametrize("n", [slow_if(n > 28, n) for n in range(6, 61)])
def test_complete_round_robin_meets_every_pair_once(n: int) -> None:
    rounds = n - 1 if n % 2 == 0 else n
    _assert_complete(_company_event([1] * n, seed=n), rounds, worst=n % 2)


@pytest.mark.parametrize(("companies", "size"),
                         [slow_if(c * s > 24, c, s) for s in (2, 3, 4, 5) for c in range(3, 17)
                          if (c * s) % 2 == 0 and c * s <= 48])
def test_complete_multipartite_meets_every_pair_across_companies(companies: int, size: int) -> None:
    rounds = (companies - 1) * size
    _assert_complete(_company_event([size] * companies, seed=31 * companies + size), rounds, worst=0)


@pytest.mark.parametrize(("a", "b"), [slow_if(a * b > 60, a, b) for a in range(1, 21, 3) for b in range(a, 27, 5)])
@pytest.mark.parametrize("must_across", [False, True])
def test_two_companies_meet_every_cross_pair(a: int, b: int, must_across: bool) -> None:
    # The larger company sits out the rounds it has no partner for: forced, and the minimum.
    _assert_complete(_company_event([a, b], seed=a * 100 + b, must_across=must_across), max(a, b), worst=b - a)
