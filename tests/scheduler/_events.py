"""Small hand-made events for scheduler tests, independent of the generator."""

from __future__ import annotations

import random

from scheduler.domain import Attendee, ScoringWeights

COMPETENCIES = ("Hosting", "Security", "Data", "AI", "Migration", "Licensing", "Support", "Training")
REGIONS = ("APAC", "EMEA", "LATAM", "NA")
TYPES = ("ISV", "Integrator", "Hosting provider", "Reseller")

WEIGHTS = ScoringWeights(partner_type_fit={"ISV|Reseller": 6.0, "Integrator|ISV": 4.0,
                                           "Hosting provider|Hosting provider": -5.0})


def person(ident: str, company: str | None = None, *, region: str = "EMEA", partner_type: str = "ISV",
           offers: tuple[str, ...] = (), seeks: tuple[str, ...] = (),
           rounds: frozenset[int] | None = None, must_meet: tuple[str, ...] = (),
           avoid: tuple[str, ...] = ()) -> Attendee:
    return Attendee(id=ident, name=f"Person {ident}", company=company or f"Company {ident}",
                    region=region, partner_type=partner_type, offers=offers, seeks=seeks,
                    available_rounds=rounds, must_meet=must_meet, avoid=avoid)


def random_event(n: int, *, seed: int, rounds: int = 6, colleagues: bool = True,
                 partial: float = 0.15) -> list[Attendee]:
    """Random attendees with 1-2 person companies and some partial availability."""
    rng = random.Random(seed)
    people: list[Attendee] = []
    company = 0
    while len(people) < n:
        company += 1
        size = rng.choice((1, 1, 2)) if colleagues else 1
        for _ in range(min(size, n - len(people))):
            ident = f"p{len(people) + 1:04d}"
            available = None
            if rng.random() < partial:
                start = rng.randint(1, max(1, rounds // 2))
                available = frozenset(range(start, rounds + 1))
            people.append(person(
                ident, f"Firm {company}", region=rng.choice(REGIONS), partner_type=rng.choice(TYPES),
                offers=tuple(rng.sample(COMPETENCIES, rng.randint(0, 3))),
                seeks=tuple(rng.sample(COMPETENCIES, rng.randint(0, 3))), rounds=available))
    return people
