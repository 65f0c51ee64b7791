"""The published baseline: one maximum-weight matching per round, round after round.

Vaggi et al., eLife 2014, "A network approach to mixing delegates at meetings": each round
pairs everyone present by a maximum-weight matching (``networkx.max_weight_matching``, maximum
cardinality first) over the pairs who have not met yet. To compare fairly it obeys the same hard
rules as our solver: availability, colleagues and avoid lists (only allowed pairs are edges) and
the table limit (when the matching is larger than the tables, the heaviest meetings are kept).
"""

from __future__ import annotations

import networkx as nx

from scheduler.domain import Attendee, Meeting, Schedule, ScoringWeights
from scheduler.scoring import reason_for, score_matrix


def baseline_schedule(attendees: list[Attendee], rounds: int, tables: int | None,
                      weights: ScoringWeights) -> Schedule:
    matrix = score_matrix(attendees, weights)
    people = matrix.attendees
    tables = len(people) // 2 if tables is None else tables
    rows, cols = matrix.pairs()
    unmet = {(int(i), int(j)) for i, j in zip(rows.tolist(), cols.tolist())}
    meetings: list[Meeting] = []
    for r in range(1, rounds + 1):
        present = {k for k, a in enumerate(people) if a.is_available(r)}
        graph = nx.Graph()
        graph.add_nodes_from(sorted(present))
        graph.add_weighted_edges_from((i, j, int(matrix.scores[i, j])) for i, j in sorted(unmet)
                                      if i in present and j in present)
        matching = nx.max_weight_matching(graph, maxcardinality=True)
        pairs = sorted((tuple(sorted(p)) for p in matching), key=lambda p: (-int(matrix.scores[p]), p))
        for table, (i, j) in enumerate(pairs[:tables], start=1):
            unmet.discard((i, j))
            a, b = sorted((people[i], people[j]), key=lambda p: p.id)
            meetings.append(Meeting(r, table, a.id, b.id, float(matrix.scores[i, j]), reason_for(a, b, weights)))
    return Schedule(rounds, tables, tuple(meetings))
