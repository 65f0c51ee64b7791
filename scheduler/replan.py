"""Event-day re-plan: no-shows out, late arrivals in, as little change as possible.

Rounds before ``from_round`` have been held (or announced) and are kept exactly. The rest is
planned again for the attendees present, with the previous plan as the preferred answer: its
meetings between attendees still present earn a stability bonus and keep their round and table
where they can. ``changes`` lists what an organiser has to announce.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from scheduler.changes import Change, diff_schedules
from scheduler.domain import Attendee, Schedule, ScoringWeights
from scheduler.solver import DEFAULT_STABILITY_BONUS, PlanRequest, PlanResult, ProgressCallback, plan


def replan(previous: Schedule, attendees_present: Sequence[Attendee], from_round: int,
           weights: ScoringWeights, time_limit: float = 10.0, *, registered: Sequence[Attendee] = (),
           tables: int | None = None, seed: int = 0, stability_bonus: int = DEFAULT_STABILITY_BONUS,
           progress: ProgressCallback | None = None,
           cancel: threading.Event | None = None) -> tuple[PlanResult, list[Change]]:
    """Re-plan rounds ``from_round``.. for ``attendees_present``.

    ``registered`` may list everyone registered; those not present are kept only for the held
    rounds (so held meetings with today's no-shows still name real people).
    """
    present_ids = {a.id for a in attendees_present}
    first_open = max(1, from_round)
    held_rounds = frozenset(range(1, min(first_open, previous.rounds + 1)))
    held = [m for m in previous.meetings if m.round in held_rounds]
    people = list(attendees_present)
    for person in registered:
        if person.id not in present_ids:
            earlier = frozenset(r for r in held_rounds if person.is_available(r))
            people.append(replace(person, available_rounds=earlier, must_meet=()))
    request = PlanRequest(people, previous.rounds, previous.tables if tables is None else tables, weights,
                          fixed=held, fixed_rounds=held_rounds, time_limit=time_limit, seed=seed,
                          previous=previous, stability_bonus=stability_bonus)
    result = plan(request, progress, cancel)
    return result, diff_schedules(previous, result.schedule, first_open, present_ids)
