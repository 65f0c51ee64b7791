"""Pair scores an organiser can read and reason about.

Every term of the score is visible in the reason text:

* complementarity: ``offer_match`` for each competency A offers that B seeks, counted up to
  ``max_matches_counted`` per direction, plus ``mutual_bonus`` once when it runs both ways;
* partner-type fit: ``partner_type_fit["A|B"]`` (alphabetical key), else ``partner_type_default``;
* region: ``region_bonus`` for a cross-region pair (or a same-region pair when
  ``prefer_same_region`` is set);
* likely competitors (same partner type, same region, overlapping offers): ``-competitor_penalty``.

The raw sum is rounded to an integer and clipped at zero. **A pair scoring 0 may still meet**:
the solver maximises the number of meetings before the total score, because a meeting beats
sitting out, so such a pair simply ranks last.

Colleagues (same ``company_key``), avoided pairs (either side's ``avoid``) and pairs whose
availability never overlaps are not allowed to meet and get no score at all.

Two implementations share these rules: :func:`pair_terms` explains one pair in words (used for
reasons and the attendee's view) and :func:`score_matrix` computes every pair at once with numpy
bitmasks (2,000 attendees, 2M pairs, in about a second). A test keeps them equal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.domain import Attendee, ScoringWeights

SHOWN_COMPETENCIES = 3   # competencies named in a reason, per direction


@dataclass(frozen=True)
class PairScore:
    """The score of an allowed pair and a short neutral explanation."""

    score: int
    reason: str


@dataclass(frozen=True)
class PairTerms:
    """The score of one pair split into its visible terms."""

    a_offers_b_seeks: tuple[str, ...]
    b_offers_a_seeks: tuple[str, ...]
    complementarity: float
    mutual: float
    type_fit: float
    region: float
    competitor: float
    shared_offers: tuple[str, ...]

    @property
    def raw(self) -> float:
        return self.complementarity + self.mutual + self.type_fit + self.region + self.competitor

    @property
    def score(self) -> int:
        return clip_score(self.raw)


def clip_score(raw: float) -> int:
    """Round half up and clip at zero, identically to the vectorised path."""
    return max(0, int(np.floor(raw + 0.5)))


def type_fit_key(type_a: str, type_b: str) -> str:
    return "|".join(sorted((type_a, type_b)))


def display_party(attendee: Attendee) -> str:
    """Readers know partners by company; fall back to the person's name."""
    return attendee.company.strip() or attendee.name


def pair_key(a_id: str, b_id: str) -> tuple[str, str]:
    return (a_id, b_id) if a_id <= b_id else (b_id, a_id)


def why_not_allowed(a: Attendee, b: Attendee) -> str | None:
    """The reason two attendees may not meet, or ``None`` when they may."""
    if a.id == b.id:
        return "same person"
    if a.company_key == b.company_key:
        return "colleagues"
    if b.id in a.avoid or a.id in b.avoid:
        return "avoided"
    if (a.available_rounds is not None and b.available_rounds is not None
            and not (a.available_rounds & b.available_rounds)):
        return "no common round"
    return None


def _ordered_intersection(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    wanted = set(second)
    seen: list[str] = []
    for item in first:
        if item in wanted and item not in seen:
            seen.append(item)
    return tuple(seen)


def pair_terms(a: Attendee, b: Attendee, weights: ScoringWeights) -> PairTerms:
    """Every term of the score of ``a`` meeting ``b``, with the competencies behind it."""
    ab = _ordered_intersection(a.offers, b.seeks)
    ba = _ordered_intersection(b.offers, a.seeks)
    cap = max(0, weights.max_matches_counted)
    complementarity = weights.offer_match * (min(len(ab), cap) + min(len(ba), cap))
    mutual = weights.mutual_bonus if ab and ba else 0.0
    type_fit = float(weights.partner_type_fit.get(type_fit_key(a.partner_type, b.partner_type),
                                                  weights.partner_type_default))
    same_region = a.region == b.region
    region = weights.region_bonus if same_region == weights.prefer_same_region else 0.0
    shared = _ordered_intersection(a.offers, b.offers)
    competitor = (-weights.competitor_penalty
                  if same_region and a.partner_type == b.partner_type and shared else 0.0)
    return PairTerms(ab, ba, complementarity, mutual, type_fit, region, competitor, shared)


def _names(items: Sequence[str]) -> str:
    shown = list(items[:SHOWN_COMPETENCIES])
    if len(items) > SHOWN_COMPETENCIES:
        shown.append(f"{len(items) - SHOWN_COMPETENCIES} more")
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _describe(a: Attendee, b: Attendee, terms: PairTerms, a_label: str, b_label: str,
              a_is_viewer: bool) -> str:
    """Shared wording of a reason; ``a_is_viewer`` switches to second person for ``a``."""
    parts: list[str] = []
    a_seek_verb = "seek" if a_is_viewer else "seeks"
    a_offer_verb = "offer" if a_is_viewer else "offers"
    if terms.b_offers_a_seeks and a_is_viewer:
        parts.append(f"{b_label} offers {_names(terms.b_offers_a_seeks)}, which {a_label} {a_seek_verb}")
    if terms.a_offers_b_seeks:
        parts.append(f"{a_label} {a_offer_verb} {_names(terms.a_offers_b_seeks)}, which {b_label} seeks")
    if terms.b_offers_a_seeks and not a_is_viewer:
        parts.append(f"{b_label} offers {_names(terms.b_offers_a_seeks)}, which {a_label} {a_seek_verb}")
    if terms.mutual:
        parts.append("a fit both ways")
    if terms.type_fit:
        sign = "+" if terms.type_fit > 0 else "-"
        parts.append(f"{a.partner_type}/{b.partner_type} fit {sign}{abs(terms.type_fit):g}")
    if a.region == b.region:
        parts.append(f"same region ({a.region})")
    else:
        parts.append(f"cross-region ({a.region}-{b.region})")
    if terms.competitor:
        parts.append(f"likely competitors (both {a.partner_type} in {a.region} offering "
                     f"{_names(terms.shared_offers)})")
    if not (terms.a_offers_b_seeks or terms.b_offers_a_seeks):
        parts.insert(0, "open networking")
    return "; ".join(parts)


def reason_for(a: Attendee, b: Attendee, weights: ScoringWeights) -> str:
    """Neutral reason, e.g. "Contoso Hosting offers Hosting, which Fabrikam seeks; cross-region (EMEA-APAC)"."""
    terms = pair_terms(a, b, weights)
    return _describe(a, b, terms, display_party(a), display_party(b), a_is_viewer=False)


def explain_for(viewer: Attendee, partner: Attendee, weights: ScoringWeights) -> str:
    """The reason from ``viewer``'s side: "Contoso Hosting offers Hosting, which you seek"."""
    terms = pair_terms(viewer, partner, weights)
    return _describe(viewer, partner, terms, "you", display_party(partner), a_is_viewer=True)


# --------------------------------------------------------------------------- vectorised path


@dataclass(frozen=True)
class ScoreMatrix:
    """Scores of every pair at once: ``scores[i, j]`` (int32, symmetric) is meaningful where
    ``allowed[i, j]``; the diagonal is never allowed. Indices follow ``attendees``."""

    attendees: tuple[Attendee, ...]
    scores: np.ndarray
    allowed: np.ndarray

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Allowed pairs ``(i, j)`` with ``i < j``, in row-major order."""
        rows, cols = np.nonzero(np.triu(self.allowed, k=1))
        return rows, cols


def _bitmasks(lists: Sequence[Sequence[str]], index: dict[str, int], words: int) -> np.ndarray:
    masks = np.zeros((len(lists), max(words, 1)), dtype=np.uint64)
    for row, items in enumerate(lists):
        for item in items:
            bit = index[item]
            masks[row, bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    return masks


def _popcount_and(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``popcount(left[i] & right[j])`` for every i (block rows) and j, summed over words."""
    total = np.zeros((left.shape[0], right.shape[0]), dtype=np.int32)
    for word in range(left.shape[1]):
        total += np.bitwise_count(left[:, word][:, None] & right[:, word][None, :]).astype(np.int32)
    return total


def availability_masks(attendees: Sequence[Attendee]) -> np.ndarray:
    """Rounds each attendee can attend as a bitmask (bit r-1 = round r; all ones when always there).

    The masks cover rounds 1..63, enough to test whether two attendees ever overlap.
    """
    limit = 63
    full = (1 << limit) - 1
    masks = np.zeros(len(attendees), dtype=np.int64)
    for row, attendee in enumerate(attendees):
        if attendee.available_rounds is None:
            masks[row] = full
        else:
            masks[row] = sum(1 << (r - 1) for r in attendee.available_rounds if 1 <= r <= limit)
    return masks


def _codes(values: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Distinct ``values`` sorted, and each value's position among them (a dict lookup, not
    ``list.index``: one company per attendee would make that quadratic)."""
    distinct = sorted(set(values))
    position = {value: k for k, value in enumerate(distinct)}
    return distinct, np.array([position[value] for value in values], dtype=np.int32)


def score_matrix(attendees: Sequence[Attendee], weights: ScoringWeights,
                 block: int = 512) -> ScoreMatrix:
    """All pair scores and the allowed mask, computed with bitmask sets in row blocks."""
    people = tuple(attendees)
    n = len(people)
    vocabulary = sorted({c for a in people for c in (*a.offers, *a.seeks)})
    index = {c: k for k, c in enumerate(vocabulary)}
    words = (len(vocabulary) + 63) // 64
    offers = _bitmasks([a.offers for a in people], index, words)
    seeks = _bitmasks([a.seeks for a in people], index, words)

    types, type_id = _codes([a.partner_type for a in people])
    fit = np.full((len(types), len(types)), float(weights.partner_type_default))
    for x, tx in enumerate(types):
        for y, ty in enumerate(types):
            fit[x, y] = float(weights.partner_type_fit.get(type_fit_key(tx, ty), weights.partner_type_default))
    _, region_id = _codes([a.region for a in people])
    _, company_id = _codes([a.company_key for a in people])
    avail = availability_masks(people)

    cap = max(0, weights.max_matches_counted)
    scores = np.zeros((n, n), dtype=np.int32)
    allowed = np.zeros((n, n), dtype=bool)
    for start in range(0, n, block):
        rows = slice(start, min(n, start + block))
        ab = _popcount_and(offers[rows], seeks)            # row offers what column seeks
        ba = _popcount_and(seeks[rows], offers)            # column offers what row seeks
        shared = _popcount_and(offers[rows], offers) > 0
        raw = weights.offer_match * (np.minimum(ab, cap) + np.minimum(ba, cap)).astype(np.float64)
        raw += np.where((ab > 0) & (ba > 0), weights.mutual_bonus, 0.0)
        raw += fit[type_id[rows][:, None], type_id[None, :]]
        same_region = region_id[rows][:, None] == region_id[None, :]
        raw += np.where(same_region == weights.prefer_same_region, weights.region_bonus, 0.0)
        same_type = type_id[rows][:, None] == type_id[None, :]
        raw -= np.where(same_region & same_type & shared, weights.competitor_penalty, 0.0)
        scores[rows] = np.maximum(0.0, np.floor(raw + 0.5)).astype(np.int32)
        allowed[rows] = ((company_id[rows][:, None] != company_id[None, :])
                         & ((avail[rows][:, None] & avail[None, :]) != 0))
    position = {a.id: k for k, a in enumerate(people)}
    for k, attendee in enumerate(people):
        for other in attendee.avoid:
            if other in position:
                allowed[k, position[other]] = allowed[position[other], k] = False
    np.fill_diagonal(allowed, False)
    return ScoreMatrix(people, scores, allowed)


class PairScores(Mapping[tuple[str, str], PairScore]):
    """Read-only mapping of every allowed pair (ids sorted) to its :class:`PairScore`.

    Scores come from the matrix; reasons are worded on access, because a 2,000-person event has
    two million pairs and only the few thousand that meet ever need words.
    """

    def __init__(self, matrix: ScoreMatrix, weights: ScoringWeights) -> None:
        self._matrix = matrix
        self._weights = weights
        self._position = {a.id: k for k, a in enumerate(matrix.attendees)}
        rows, cols = matrix.pairs()
        self._rows, self._cols = rows, cols

    def _indices(self, key: object) -> tuple[int, int] | None:
        if not isinstance(key, tuple) or len(key) != 2:
            return None
        i, j = self._position.get(key[0]), self._position.get(key[1])
        if i is None or j is None or key[0] > key[1] or not self._matrix.allowed[i, j]:
            return None
        return i, j

    def __getitem__(self, key: tuple[str, str]) -> PairScore:
        found = self._indices(key)
        if found is None:
            raise KeyError(key)
        i, j = found
        a, b = self._matrix.attendees[i], self._matrix.attendees[j]
        return PairScore(int(self._matrix.scores[i, j]), reason_for(a, b, self._weights))

    def __contains__(self, key: object) -> bool:
        return self._indices(key) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        people = self._matrix.attendees
        for i, j in zip(self._rows.tolist(), self._cols.tolist()):
            yield pair_key(people[i].id, people[j].id)

    def __len__(self) -> int:
        return len(self._rows)

    def score(self, a_id: str, b_id: str) -> int:
        """Score alone, without wording the reason."""
        found = self._indices(pair_key(a_id, b_id))
        if found is None:
            raise KeyError((a_id, b_id))
        return int(self._matrix.scores[found])

    def scores_only(self) -> Iterator[tuple[str, str, int]]:
        """``(a_id, b_id, score)`` for every allowed pair, ids sorted: what PAIRS.csv lists."""
        people = self._matrix.attendees
        values = self._matrix.scores[self._rows, self._cols].tolist()
        for i, j, value in zip(self._rows.tolist(), self._cols.tolist(), values):
            a_id, b_id = pair_key(people[i].id, people[j].id)
            yield a_id, b_id, value


def score_pairs(attendees: Sequence[Attendee], weights: ScoringWeights) -> PairScores:
    """Scores of every pair allowed to meet, keyed by the two ids sorted.

    The result is a read-only mapping (dict-like); a pair missing from it may not meet.
    """
    return PairScores(score_matrix(attendees, weights), weights)
