"""Pair scores an organiser can read and reason about.

Every term of the score is visible in the reason text:

* complementarity: ``offer_match`` for each competency A offers that B seeks, counted up to
  ``max_matches_counted`` per direction, plus ``mutual_bonus`` once when it runs both ways;
* partner-type fit: ``partner_type_fit["A|B"]`` (alphabetical key), else ``partner_type_default``;
* region: ``region_bonus`` for a cross-region pair (or a same-region pair when
  ``prefer_same_region`` is set);
* likely competitors (same partner type, same region, overlapping offers): ``-competitor_penalty``;
* wishes (:class:`WishTier`): the strongest tier the two attendees' ``wish_must`` and
  ``wish_want`` reach, ``wish_must_mutual``, ``wish_must``, ``wish_want_mutual`` or
  ``wish_want``, added after the competency terms are rounded and clipped, so a wished pair
  always scores at least its tier's weight (see :func:`wish_tiers_dominate` for the ordering).

The raw competency sum is rounded to an integer and clipped at zero. **A pair scoring 0 may still meet**:
the solver maximises the number of meetings before the total score, because a meeting beats
sitting out, so such a pair simply ranks last.

Colleagues (same ``company_key``), avoided pairs (either side's ``avoid`` or ``wish_no``) and pairs whose
availability never overlaps are not allowed to meet and get no score at all.

Reasons come in three voices: :func:`explain_for` speaks to one attendee in plain sentences
(no points, no jargon, never a one-sided wish of the partner), :func:`explain_points` gives the
organiser every term with its points, and :func:`reason_for` is the short organiser line stored
with each meeting.

Two implementations share these rules: :func:`pair_terms` explains one pair in words (used for
reasons and the attendee's view) and :func:`score_matrix` computes every pair at once with numpy
bitmasks (2,000 attendees, 2M pairs, in about a second). A test keeps them equal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from scheduler.domain import Attendee, ScoringWeights

SHOWN_COMPETENCIES = 3   # competencies named in a reason, per direction


@dataclass(frozen=True)
class PairScore:
    """The score of an allowed pair and a short neutral explanation."""

    score: int
    reason: str


class WishTier(StrEnum):
    """How strongly two attendees wished to meet, strongest first (REPORT.json's keys).

    A pair takes the strongest tier it reaches: both marked the other Must (``must_mutual``);
    one marked Must, whatever the other did (``must``); both marked Want (``want_mutual``);
    one marked Want (``want``)."""

    MUST_MUTUAL = "must_mutual"
    MUST = "must"
    WANT_MUTUAL = "want_mutual"
    WANT = "want"


WISH_TIERS = tuple(WishTier)   # strongest first


def wish_tier(a: Attendee, b: Attendee) -> WishTier | None:
    """The tier of ``a`` and ``b``'s wishes for each other, or ``None`` when neither asked."""
    a_must, b_must = b.id in a.wish_must, a.id in b.wish_must
    if a_must and b_must:
        return WishTier.MUST_MUTUAL
    if a_must or b_must:
        return WishTier.MUST
    a_want, b_want = b.id in a.wish_want, a.id in b.wish_want
    if a_want and b_want:
        return WishTier.WANT_MUTUAL
    if a_want or b_want:
        return WishTier.WANT
    return None


def wish_weight(tier: WishTier | None, weights: ScoringWeights) -> float:
    """The weight of a tier (``ScoringWeights.wish_<tier>``); nothing for no wish."""
    return 0.0 if tier is None else float(getattr(weights, f"wish_{tier.value}"))


def declined(a: Attendee, b: Attendee) -> bool:
    """Either side marked the other No: the pair never meets, as with ``avoid``."""
    return b.id in a.wish_no or a.id in b.wish_no


def max_competency_score(weights: ScoringWeights) -> int:
    """The highest score competencies, partner types and regions alone can give a pair: the
    spread the wish tiers must rise above."""
    cap = max(0, weights.max_matches_counted)
    fits = [weights.partner_type_default, *weights.partner_type_fit.values()]
    best = (max(0.0, weights.offer_match) * 2 * cap + max(0.0, weights.mutual_bonus)
            + max(0.0, *fits) + max(0.0, weights.region_bonus) + max(0.0, -weights.competitor_penalty))
    return clip_score(best)


def wish_tiers_dominate(weights: ScoringWeights) -> bool:
    """Whether every pair of a stronger tier outscores every pair of a weaker one (and a
    one-sided Want outscores any pair without a wish), whatever their competencies: each
    tier's weight exceeds the next one's plus :func:`max_competency_score`."""
    ceiling = max_competency_score(weights)
    below = 0
    for tier in reversed(WISH_TIERS):
        bonus = clip_score(wish_weight(tier, weights))
        if bonus <= below + ceiling:
            return False
        below = bonus
    return True


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
    wish_tier: WishTier | None = None
    wish: float = 0.0

    @property
    def raw(self) -> float:
        """The competency terms (wishes aside)."""
        return self.complementarity + self.mutual + self.type_fit + self.region + self.competitor

    @property
    def competency_score(self) -> int:
        return clip_score(self.raw)

    @property
    def score(self) -> int:
        return clip_score(self.raw) + clip_score(self.wish)


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
    if b.id in a.avoid or a.id in b.avoid or declined(a, b):
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
    tier = wish_tier(a, b)
    return PairTerms(ab, ba, complementarity, mutual, type_fit, region, competitor, shared,
                     tier, wish_weight(tier, weights))


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


def _organiser_wish(a: Attendee, b: Attendee, tier: WishTier | None) -> str:
    """What each of the two marked, for the organiser (who may see one-sided wishes)."""
    if tier is None:
        return ""
    if tier is WishTier.MUST_MUTUAL:
        return "both marked each other Must"
    if tier is WishTier.WANT_MUTUAL:
        return "both marked each other Want"
    marks = []
    for x, y in ((a, b), (b, a)):
        mark = "Must" if y.id in x.wish_must else "Want" if y.id in x.wish_want else ""
        if mark:
            marks.append(f"{x.name} marked {y.name} {mark}")
    return " and ".join(marks)


def reason_for(a: Attendee, b: Attendee, weights: ScoringWeights) -> str:
    """The organiser's short reason stored with a meeting, e.g. "Contoso Hosting offers Hosting,
    which Fabrikam seeks; cross-region (EMEA-APAC)", led by the pair's wishes when they have any.
    It may name a one-sided wish: attendees read :func:`explain_for` instead."""
    terms = pair_terms(a, b, weights)
    text = _describe(a, b, terms, display_party(a), display_party(b), a_is_viewer=False)
    wish = _organiser_wish(a, b, terms.wish_tier)
    return f"{wish}; {text}" if wish else text


def _points(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}{abs(value):g}"


def explain_points(a: Attendee, b: Attendee, weights: ScoringWeights) -> str:
    """Every term of the pair's score with its points, for the organiser: "both marked each
    other Must +400; Contoso Hosting offers Hosting, which Fabrikam seeks +10; ...; score 418"."""
    terms = pair_terms(a, b, weights)
    a_label, b_label = display_party(a), display_party(b)
    cap = max(0, weights.max_matches_counted)
    parts: list[str] = []
    if terms.wish_tier is not None:
        parts.append(f"{_organiser_wish(a, b, terms.wish_tier)} {_points(clip_score(terms.wish))}")
    if b.id in a.must_meet or a.id in b.must_meet:
        parts.append("organisers' must-meet (planned before scores)")
    if terms.a_offers_b_seeks:
        points = weights.offer_match * min(len(terms.a_offers_b_seeks), cap)
        parts.append(f"{a_label} offers {_names(terms.a_offers_b_seeks)}, which {b_label} seeks {_points(points)}")
    if terms.b_offers_a_seeks:
        points = weights.offer_match * min(len(terms.b_offers_a_seeks), cap)
        parts.append(f"{b_label} offers {_names(terms.b_offers_a_seeks)}, which {a_label} seeks {_points(points)}")
    if terms.mutual:
        parts.append(f"a fit both ways {_points(terms.mutual)}")
    if terms.type_fit:
        parts.append(f"{a.partner_type}/{b.partner_type} fit {_points(terms.type_fit)}")
    where = f"same region ({a.region})" if a.region == b.region else f"cross-region ({a.region}-{b.region})"
    parts.append(f"{where} {_points(terms.region)}" if terms.region else where)
    if terms.competitor:
        parts.append(f"likely competitors {_points(terms.competitor)}")
    parts.append(f"score {terms.score}")
    return "; ".join(parts)


# How a partner of each type is described to the viewer: a noun phrase, and what they do for
# the viewer's kind of business (keyed by the viewer's partner type; "" = any other). Only fits
# the weights count as positive are said: a person is never told why a partner fits badly.
_TYPE_PHRASES: dict[str, tuple[str, dict[str, str]]] = {
    "Systems Integrator": ("A systems integrator", {
        "ISV": "who builds on ISV products like yours",
        "Hosting Provider": "who deploys solutions on platforms like yours",
        "": "who delivers projects with partners like you"}),
    "Hosting Provider": ("A hosting provider", {
        "ISV": "who can run and host software like yours",
        "": "who can host what you deliver"}),
    "Managed Services Provider": ("A managed services provider", {
        "ISV": "who can run and support products like yours for customers",
        "": "who can run and support what you offer"}),
    "Reseller": ("A reseller", {"": "who can sell what you offer to customers"}),
    "Distributor": ("A distributor", {
        "Reseller": "who supplies resellers like you",
        "": "who can take what you offer to many resellers"}),
    "Consultancy": ("A consultancy", {"": "who advises customers on solutions like yours"}),
    "ISV": ("A software vendor", {
        "Systems Integrator": "whose products you can build on",
        "Hosting Provider": "whose software you can host",
        "Managed Services Provider": "whose products you can run for customers",
        "Reseller": "whose products you can sell",
        "Distributor": "whose products you can distribute",
        "Consultancy": "whose products you can recommend",
        "": "whose products can work with yours"}),
}


def _type_sentence(viewer: Attendee, partner: Attendee) -> str:
    """The partner's type as a reason, from the viewer's side."""
    known = _TYPE_PHRASES.get(partner.partner_type)
    if known is None:
        article = "An" if partner.partner_type[:1].casefold() in "aeiou" else "A"
        return f"{article} {partner.partner_type}, a partner type that fits yours well"
    noun, clauses = known
    return f"{noun} {clauses.get(viewer.partner_type, clauses[''])}"


def _topics(items: Sequence[str]) -> str:
    """At most three competencies by name, then "and more" (no counts for attendees)."""
    shown = list(items[:SHOWN_COMPETENCIES])
    if len(items) > SHOWN_COMPETENCIES:
        return ", ".join(shown) + " and more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def explain_sentences(viewer: Attendee, partner: Attendee, weights: ScoringWeights) -> list[str]:
    """The reasons ``viewer`` meets ``partner``, as sentences a person would say: no points, no
    jargon, no negative fit, and never a wish the partner made alone (a one-sided wish is told
    only to whoever made it)."""
    terms = pair_terms(viewer, partner, weights)
    party = display_party(partner)
    sentences: list[str] = []
    asked = partner.id in viewer.wish_must or partner.id in viewer.wish_want
    asked_back = viewer.id in partner.wish_must or viewer.id in partner.wish_want
    if asked and asked_back:
        sentences.append("You both asked to meet")
    elif asked:
        sentences.append(f"You asked to meet {partner.name}")
    if partner.id in viewer.must_meet or viewer.id in partner.must_meet:
        sentences.append("The organisers asked you two to meet")
    if terms.b_offers_a_seeks:
        sentences.append(f"{party} offers {_topics(terms.b_offers_a_seeks)}, which you seek")
    if terms.a_offers_b_seeks:
        sentences.append(f"You offer {_topics(terms.a_offers_b_seeks)}, which {party} seeks")
    if terms.type_fit > 0:
        sentences.append(_type_sentence(viewer, partner))
    if terms.region > 0:
        sentences.append(f"From another region: {partner.region}" if viewer.region != partner.region
                         else f"From your region too: {partner.region}")
    return sentences or ["A chance to meet someone new"]


def explain_for(viewer: Attendee, partner: Attendee, weights: ScoringWeights) -> str:
    """The reason from ``viewer``'s side, for the attendee's own pages, calendar and printed
    agenda: "You both asked to meet. Contoso Hosting offers Hosting, which you seek." The
    organiser reads :func:`explain_points`."""
    return "".join(f"{sentence}. " for sentence in explain_sentences(viewer, partner, weights)).strip()


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
        for other in (*attendee.avoid, *attendee.wish_no):
            if other in position:
                allowed[k, position[other]] = allowed[position[other], k] = False
    for (i, j), bonus in wish_bonuses(people, weights, position).items():
        scores[i, j] += bonus
        scores[j, i] += bonus
    np.fill_diagonal(allowed, False)
    return ScoreMatrix(people, scores, allowed)


def wish_pairs(people: Sequence[Attendee], position: Mapping[str, int] | None = None
               ) -> dict[tuple[int, int], WishTier]:
    """Every pair (indices, ``i < j``) that one of them wished to meet, with its tier; wishes
    naming someone not in ``people`` are left out. Only the few wished pairs are visited."""
    where = position if position is not None else {a.id: k for k, a in enumerate(people)}
    tiers: dict[tuple[int, int], WishTier] = {}
    for k, person in enumerate(people):
        for other in (*person.wish_must, *person.wish_want):
            j = where.get(other)
            if j is None or j == k:
                continue
            pair = (min(j, k), max(j, k))
            if pair not in tiers:
                tier = wish_tier(people[pair[0]], people[pair[1]])
                if tier is not None:
                    tiers[pair] = tier
    return tiers


def wish_bonuses(people: Sequence[Attendee], weights: ScoringWeights,
                 position: Mapping[str, int] | None = None) -> dict[tuple[int, int], int]:
    """What each wished pair adds to its score (its tier's weight, rounded)."""
    bonuses = {pair: clip_score(wish_weight(tier, weights))
               for pair, tier in wish_pairs(people, position).items()}
    return {pair: bonus for pair, bonus in bonuses.items() if bonus}


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
