"""The published baseline: one maximum-weight matching per round, round after round.

Vaggi et al., eLife 2014, "A network approach to mixing delegates at meetings": each round
pairs everyone present by a maximum-weight matching (``networkx.max_weight_matching``, maximum
cardinality first) over the pairs who have not met yet. To compare fairly it obeys the same hard
rules as our solver: availability, colleagues and avoid lists (only allowed pairs are edges) and
the table limit. The published method seats everyone; with fewer tables than pairs it has to
decide who sits out, in one of two ways (``sit_outs``):

* ``"lightest"``: match everyone, then keep the heaviest meetings that fit the tables (the
  lightest pairs sit out, so the same low-scoring people tend to sit out again and again);
* ``"rotate"``: first choose who sits out this round, those who have sat out least so far,
  then match the others (sit-outs spread as evenly as the solver's objective (1) asks).
"""

from __future__ import annotations

from typing import Literal

import networkx as nx

from scheduler.domain import Attendee, Meeting, Schedule, ScoringWeights
from scheduler.scoring import reason_for, score_matrix

SitOutRule = Literal["lightest", "rotate"]


def baseline_schedule(attendees: list[Attendee], rounds: int, tables: int | None,
                      weights: ScoringWeights, sit_outs: SitOutRule = "lightest") -> Schedule:
    matrix = score_matrix(attendees, weights)
    people = matrix.attendees
    tables = len(people) // 2 if tables is None else tables
    rows, cols = matrix.pairs()
    unmet = {(int(i), int(j)) for i, j in zip(rows.tolist(), cols.tolist())}
    sat_out = [0] * len(people)
    meetings: list[Meeting] = []
    for r in range(1, rounds + 1):
        present = {k for k, a in enumerate(people) if a.is_available(r)}
        seated = present
        if sit_outs == "rotate" and len(present) > 2 * tables:
            # Those who sat out least sit out now (ties: the list order, which is the file's).
            by_turn = sorted(present, key=lambda k: (sat_out[k], k))
            seated = set(by_turn[len(present) - 2 * tables:])
        graph = nx.Graph()
        graph.add_nodes_from(sorted(seated))
        graph.add_weighted_edges_from((i, j, int(matrix.scores[i, j])) for i, j in sorted(unmet)
                                      if i in seated and j in seated)
        matching = nx.max_weight_matching(graph, maxcardinality=True)
        pairs = sorted((tuple(sorted(p)) for p in matching), key=lambda p: (-int(matrix.scores[p]), p))
        met: set[int] = set()
        for table, (i, j) in enumerate(pairs[:tables], start=1):
            unmet.discard((i, j))
            met.update((i, j))
            a, b = sorted((people[i], people[j]), key=lambda p: p.id)
            meetings.append(Meeting(r, table, a.id, b.id, float(matrix.scores[i, j]), reason_for(a, b, weights)))
        for k in present - met:
            sat_out[k] += 1
    return Schedule(rounds, tables, tuple(meetings))
