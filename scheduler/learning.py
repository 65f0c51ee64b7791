"""Weights learned from earlier events' meeting outcomes, proposed to the organiser.

After an event, each held meeting has an outcome on b2match's ordered scale
(:class:`Outcome`: insufficient interest < informative < cooperation possible) and whether both
sides asked to follow up. :func:`propose_weights` fits how the *terms* of the pair score (the
number of matching offers, the mutual fit, the region bonus, likely competitors, the pair of
partner types) go with better outcomes, and proposes weights on the score's own scale, each with
an interval and the number of outcomes behind it. Nothing changes until the organiser accepts:
:meth:`Proposal.apply` returns new :class:`ScoringWeights` with only the well-determined changes.

The model. Each meeting has a latent value ``eta = x . beta`` where ``x`` holds the term
features of :func:`pair_features` (counts and indicators, not the weighted score). The outcome
is a cumulative logit (proportional odds) in ``eta``: ``P(outcome >= k) = sigmoid(eta -
theta_k)``; the follow-up is a logit in the same ``eta`` with its own threshold. Both responses
share ``beta`` because both rise with how good the pair is; they are not independent given the
pair, and meetings that share an attendee are not independent either (someone keen rates
every meeting well). So the fit maximises the summed log-likelihood by Newton's method and
takes standard errors from a sandwich clustered by attendee (:func:`_meat`), robust to both,
not from the plain Fisher information. Simulated (``bench/bench_learning.py``), the 90%
intervals hold the true weights 87-93% of the time, 83-88% with strong per-attendee moods.

The scale. A logit coefficient is a weight divided by the noise of the outcomes, which nobody
knows; only ratios of coefficients mean something. So the proposal is **anchored on
``offer_match``**: ``offer_match`` keeps its current value, and every other weight is proposed
as ``coef_term / coef_offer_match * current.offer_match`` (``competitor_penalty`` with the sign
turned, since the score subtracts it). Its interval is Fieller's interval for that ratio,
which stays honest when the anchor itself is uncertain. Partner-type fit is known only up to a
constant (adding the same number to every pair of types changes no ranking), so the pair of
types with the most outcomes is the *reference* and keeps its current value; the others are
proposed relative to it. Pairs of types with too few outcomes are pooled in the fit and kept.

Never proposed: ``max_matches_counted``, ``prefer_same_region``, ``company_repeats``,
``partner_type_default``, ``must_meet_bonus`` and any wish weight: they are rules or choices,
not effects the outcomes measure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from statistics import NormalDist
from typing import Any

import numpy as np

from scheduler.domain import Attendee, Meeting, ScoringWeights
from scheduler.scoring import pair_terms, type_fit_key

MIN_OUTCOMES = 200          # below this an event's outcomes say too little to move any weight
MIN_PER_TERM = 30           # meetings where a term is non-zero (and as many where it is zero)
LEVEL = 0.90                # interval level shown to the organiser
MAX_WIDTH_SHARE = 0.6       # widest interval acted on, as a share of current.offer_match
MIN_ANCHOR_Z = 3.0          # the offer_match coefficient must be this clearly positive
PROPOSED_DECIMALS = 1       # proposals are shown and applied to one decimal


class Outcome(StrEnum):
    """A held meeting's outcome, on b2match's ordered scale (worst first)."""

    INSUFFICIENT_INTEREST = "insufficient_interest"
    INFORMATIVE = "informative"
    COOPERATION_POSSIBLE = "cooperation_possible"

    @property
    def rank(self) -> int:
        """Position on the ordered scale, 0 = worst."""
        return list(Outcome).index(self)


@dataclass(frozen=True)
class MeetingOutcome:
    """What came of one held meeting: its outcome and whether both asked to follow up."""

    a: Attendee
    b: Attendee
    outcome: Outcome
    follow_up: bool = False


class Verdict(StrEnum):
    """What the proposal does with one weight."""

    CHANGE = "change"            # well determined, current value outside the interval: proposed
    CONFIRMED = "confirmed"      # well determined, current value inside the interval: kept
    TOO_WIDE = "too_wide"        # interval too wide to act on: kept
    NO_EVIDENCE = "no_evidence"  # too few meetings with (or without) the term: kept
    ANCHOR = "anchor"            # offer_match, the scale every other weight is read on: kept
    REFERENCE = "reference"      # the partner-type pair the other type fits are relative to: kept


# The score's terms the learner proposes, with the feature behind each and its sign on the score.
CORE_TERMS: tuple[tuple[str, str, float], ...] = (
    ("offer_match", "matches", 1.0),
    ("mutual_bonus", "mutual", 1.0),
    ("region_bonus", "region", 1.0),
    ("competitor_penalty", "competitor", -1.0),
)
_OTHER_TYPES = "(other pairs of types)"


@dataclass(frozen=True)
class PairFeatures:
    """The score's terms of one pair as unweighted features.

    ``matches``: competencies offered one way and sought the other, capped per direction by
    ``max_matches_counted``; ``mutual``, ``region`` (the bonus applies under the current
    ``prefer_same_region``), ``competitor``: 0 or 1; ``type_key``: ``"A|B"``, alphabetical.
    """

    matches: float
    mutual: float
    region: float
    competitor: float
    type_key: str


def pair_features(a: Attendee, b: Attendee, current: ScoringWeights) -> PairFeatures:
    """The features of a pair, read through :func:`scheduler.scoring.pair_terms` with unit
    weights so they follow the score's own definitions (caps, region direction) exactly."""
    unit = replace(current, offer_match=1.0, mutual_bonus=1.0, region_bonus=1.0, competitor_penalty=1.0,
                   partner_type_fit={}, partner_type_default=0.0)
    terms = pair_terms(a, b, unit)
    return PairFeatures(terms.complementarity, terms.mutual, terms.region, abs(terms.competitor),
                        type_fit_key(a.partner_type, b.partner_type))


@dataclass(frozen=True)
class WeightProposal:
    """One weight, side by side: its current value, the proposal with its interval, and how
    many outcomes stand behind it (meetings where the term is non-zero).

    ``field`` is the :class:`ScoringWeights` field; ``key`` the pair of partner types for
    ``partner_type_fit``. ``proposed``, ``low`` and ``high`` are ``None`` where there is no
    evidence. Only a ``CHANGE`` is applied.
    """

    field: str
    key: str | None
    current: float
    proposed: float | None
    low: float | None
    high: float | None
    outcomes: int
    verdict: Verdict
    note: str = ""

    @property
    def name(self) -> str:
        """``offer_match``, or ``partner_type_fit[ISV|Reseller]`` for a pair of types."""
        return self.field if self.key is None else f"{self.field}[{self.key}]"

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the stated interval."""
        return self.low is not None and self.high is not None and self.low <= value <= self.high

    def to_dict(self) -> dict[str, Any]:
        def shown(value: float | None) -> float | None:
            return None if value is None else round(value, PROPOSED_DECIMALS)
        return {"name": self.name, "field": self.field, "key": self.key, "current": self.current,
                "proposed": shown(self.proposed), "low": shown(self.low), "high": shown(self.high),
                "outcomes": self.outcomes, "verdict": self.verdict.value, "note": self.note}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WeightProposal:
        return cls(str(data["field"]), data.get("key"), float(data["current"]), _float(data.get("proposed")),
                   _float(data.get("low")), _float(data.get("high")), int(data["outcomes"]),
                   Verdict(data["verdict"]), str(data.get("note", "")))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class Proposal:
    """New weights proposed from outcomes, or a refusal (``declined``) with its ``reason``.

    ``counts`` holds how many meetings had each outcome and ``follow_ups`` how many had both
    ask to follow up, so the organiser sees what the proposal stands on.
    """

    declined: bool
    reason: str
    outcomes: int
    level: float = LEVEL
    weights: tuple[WeightProposal, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)
    follow_ups: int = 0

    @property
    def changes(self) -> tuple[WeightProposal, ...]:
        """The weights the proposal would change."""
        return tuple(w for w in self.weights if w.verdict is Verdict.CHANGE)

    def apply(self, current: ScoringWeights, accepted: Collection[str] | None = None) -> ScoringWeights:
        """``current`` with the proposed changes the organiser accepted (by :attr:`WeightProposal.name`;
        ``None``: all of them). Kept, too-wide and unevidenced weights never change."""
        fits = dict(current.partner_type_fit)
        values: dict[str, float] = {}
        for weight in self.changes:
            if (accepted is not None and weight.name not in accepted) or weight.proposed is None:
                continue
            value = round(weight.proposed, PROPOSED_DECIMALS)
            if weight.key is None:
                values[weight.field] = value
            else:
                fits[weight.key] = value
        # Spelt out: only these fields can change, whatever a stored proposal says.
        return replace(current, partner_type_fit=fits,
                       mutual_bonus=values.get("mutual_bonus", current.mutual_bonus),
                       region_bonus=values.get("region_bonus", current.region_bonus),
                       competitor_penalty=values.get("competitor_penalty", current.competitor_penalty))

    def to_dict(self) -> dict[str, Any]:
        """JSON for the API and the side-by-side page."""
        return {"declined": self.declined, "reason": self.reason, "outcomes": self.outcomes,
                "level": self.level, "counts": dict(self.counts), "follow_ups": self.follow_ups,
                "weights": [w.to_dict() for w in self.weights]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Proposal:
        """A stored proposal back, so one the organiser accepts later is applied as shown."""
        return cls(bool(data["declined"]), str(data["reason"]), int(data["outcomes"]), float(data["level"]),
                   tuple(WeightProposal.from_dict(w) for w in data.get("weights", ())),
                   {str(k): int(v) for k, v in dict(data.get("counts", {})).items()},
                   int(data.get("follow_ups", 0)))


# --------------------------------------------------------------------------- the fit


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray         # one coefficient per design column
    cov: np.ndarray          # their sandwich covariance


class _FitFailed(Exception):
    """The likelihood has no finite maximum (outcomes separated by a term) or Newton stalled."""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def _derivatives(params: np.ndarray, x: np.ndarray, level: np.ndarray, cuts: int, follow: np.ndarray | None
                 ) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood, per-meeting gradients (n x q) and Hessian (q x q) at ``params``.

    ``params`` = the ``cuts`` ordinal thresholds, the follow-up threshold when ``follow`` is
    given, then ``beta``. For an outcome in category k, ``l = log(F(a) - F(b))`` with
    ``a = eta - theta_k`` and ``b = eta - theta_{k+1}`` (``F(a) = 1`` below the first cut,
    ``F(b) = 0`` above the last); the follow-up adds a plain logit in ``eta - theta_f``.
    """
    n, p = x.shape
    extra = 1 if follow is not None else 0
    q = cuts + extra + p
    theta = params[:cuts]
    beta = params[cuts + extra:]
    eta = x @ beta
    rows = np.arange(n)

    da = np.zeros((n, q))
    db = np.zeros((n, q))
    da[:, cuts + extra:] = x
    db[:, cuts + extra:] = x
    has_a = level > 0               # category above the lowest: a cut below it
    has_b = level < cuts            # category below the highest: a cut above it
    a = np.where(has_a, eta - theta[np.clip(level - 1, 0, cuts - 1)], np.inf)
    b = np.where(has_b, eta - theta[np.clip(level, 0, cuts - 1)], -np.inf)
    da[rows[has_a], level[has_a] - 1] = -1.0
    db[rows[has_b], level[has_b]] = -1.0
    da[~has_a] = 0.0
    db[~has_b] = 0.0
    fa_cdf = np.where(has_a, _sigmoid(np.where(has_a, a, 0.0)), 1.0)
    fb_cdf = np.where(has_b, _sigmoid(np.where(has_b, b, 0.0)), 0.0)
    prob = fa_cdf - fb_cdf
    if np.any(prob <= 0.0) or np.any(np.diff(theta) <= 0.0):
        return -np.inf, np.zeros((n, q)), np.zeros((q, q))
    fa = fa_cdf * (1.0 - fa_cdf) * has_a
    fb = fb_cdf * (1.0 - fb_cdf) * has_b
    grads = (fa[:, None] * da - fb[:, None] * db) / prob[:, None]
    dfa = fa * (1.0 - 2.0 * fa_cdf) / prob
    dfb = fb * (1.0 - 2.0 * fb_cdf) / prob
    hess = (da * dfa[:, None]).T @ da - (db * dfb[:, None]).T @ db - grads.T @ grads
    loglik = float(np.sum(np.log(prob)))

    if follow is not None:
        dc = np.zeros((n, q))
        dc[:, cuts] = -1.0
        dc[:, cuts + 1:] = x
        c = eta - params[cuts]
        fc = _sigmoid(c)
        if np.any((fc <= 0.0) | (fc >= 1.0)):
            return -np.inf, np.zeros((n, q)), np.zeros((q, q))
        loglik += float(np.sum(follow * np.log(fc) + (1 - follow) * np.log1p(-fc)))
        grads = grads + (follow - fc)[:, None] * dc
        hess = hess - (dc * (fc * (1.0 - fc))[:, None]).T @ dc
    return loglik, grads, hess


def _start(level: np.ndarray, cuts: int, follow: np.ndarray | None, p: int) -> np.ndarray:
    """Thresholds from the marginal shares, coefficients zero: a point the likelihood is finite at."""
    share_above = np.array([np.mean(level >= k + 1) for k in range(cuts)])
    theta = -np.log(share_above / (1.0 - share_above))
    start = [theta]
    if follow is not None:
        share = float(np.mean(follow))
        start.append(np.array([-np.log(share / (1.0 - share))]))
    start.append(np.zeros(p))
    return np.concatenate(start)


def _fit(x: np.ndarray, level: np.ndarray, cuts: int, follow: np.ndarray | None, people: np.ndarray) -> _Fit:
    """Newton's method with step halving on the joint log-likelihood; sandwich covariance
    clustered by attendee (``people``: the two attendees of each meeting, as indices)."""
    params = _start(level, cuts, follow, x.shape[1])
    loglik, grads, hess = _derivatives(params, x, level, cuts, follow)
    for _ in range(100):
        gradient = grads.sum(axis=0)
        try:
            step = np.linalg.solve(hess, -gradient)
        except np.linalg.LinAlgError as error:
            raise _FitFailed("the terms cannot be told apart in these meetings") from error
        decrement = float(gradient @ step)      # twice the gain Newton expects; >= 0 at a maximum
        if decrement < 1e-10:
            break
        scale = 1.0
        while scale > 1e-6:
            trial = params + scale * step
            new = _derivatives(trial, x, level, cuts, follow)
            if new[0] >= loglik:
                break
            scale /= 2.0
        else:
            if decrement < 1e-6:                # at the top within rounding: no step gains
                break
            raise _FitFailed("the fit did not settle")
        params = trial
        loglik, grads, hess = new
    else:
        raise _FitFailed("the fit did not settle")
    extra = 1 if follow is not None else 0
    if np.max(np.abs(params[cuts + extra:])) > 30.0:
        raise _FitFailed("a term separates the outcomes perfectly")
    try:
        bread = np.linalg.inv(-hess)
    except np.linalg.LinAlgError as error:
        raise _FitFailed("the terms cannot be told apart in these meetings") from error
    cov = bread @ _meat(grads, people) @ bread
    first = cuts + extra
    return _Fit(params[first:], cov[first:, first:])


def _meat(grads: np.ndarray, people: np.ndarray) -> np.ndarray:
    """The sandwich's middle, clustered by attendee (dyadic clustering, Fafchamps & Gubert 2007).

    Outcomes of meetings that share an attendee are not independent (someone keen rates every
    meeting well), so the scores of every two meetings with a person in common are summed too:
    ``sum_p s_p s_p^T - sum_m g_m g_m^T`` with ``s_p`` the sum over person ``p``'s meetings
    (each meeting sits in two persons' sums, hence the subtraction). Where that is not positive
    definite, which can happen with few people, the per-meeting sandwich is used instead.
    """
    n, q = grads.shape
    own = grads.T @ grads
    sums = np.zeros((int(people.max()) + 1 if people.size else 0, q))
    np.add.at(sums, people[:, 0], grads)
    np.add.at(sums, people[:, 1], grads)
    clusters = int(np.count_nonzero(np.any(sums != 0.0, axis=1)))
    dyadic = sums.T @ sums - own
    if clusters > 1 and np.min(np.linalg.eigvalsh(dyadic)) > 0.0:
        result: np.ndarray = dyadic * (clusters / (clusters - 1))
        return result
    corrected: np.ndarray = own * (n / max(1, n - q))
    return corrected


# --------------------------------------------------------------------------- the proposal


@dataclass(frozen=True)
class _Design:
    """The columns of the fit: their names (a feature or a type key), values, and the rows used."""

    names: tuple[str, ...]
    x: np.ndarray
    rows: np.ndarray
    reference: str | None


def _decline(reason: str, outcomes: Sequence[MeetingOutcome]) -> Proposal:
    counts = Counter(o.outcome.value for o in outcomes)
    return Proposal(True, reason, len(outcomes), counts={o.value: counts.get(o.value, 0) for o in Outcome},
                    follow_ups=sum(o.follow_up for o in outcomes))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _design(features: Sequence[PairFeatures], min_per_term: int) -> tuple[_Design, dict[str, int], Counter[str]]:
    """Core columns with enough meetings with the term and enough that differ (see
    :func:`_off_mode`), then one indicator per pair of types with enough meetings except the
    most common (the reference); rarer pairs share one pooled column when together they have
    enough, else their meetings are left out of the fit (kept apart, they would pull the
    reference or separate the outcomes)."""
    n = len(features)
    core = {name: np.array([getattr(f, name) for f in features], dtype=float) for _, name, _ in CORE_TERMS}
    nonzero = {name: int(np.count_nonzero(values)) for name, values in core.items()}
    names = [name for name, values in core.items()
             if nonzero[name] >= min_per_term and _off_mode(values) >= min_per_term]
    types = Counter(f.type_key for f in features)
    common = sorted((k for k, c in types.items() if c >= min_per_term), key=lambda k: (-types[k], k))
    reference = common[0] if common else None
    rare = {k for k in types if k not in common}
    pooled = sum(types[k] for k in rare)
    keys = np.array([f.type_key for f in features])
    rows = np.ones(n, dtype=bool)
    if rare and pooled < min_per_term:
        rows &= ~np.isin(keys, sorted(rare))
    columns = [core[name] for name in names]
    for key in common[1:]:
        columns.append((keys == key).astype(float))
        names.append(key)
    if rare and pooled >= min_per_term and reference is not None:
        columns.append(np.isin(keys, sorted(rare)).astype(float))
        names.append(_OTHER_TYPES)
    x = np.column_stack(columns) if columns else np.zeros((n, 0))
    kept_names, kept = _independent(names, x[rows])
    return _Design(tuple(kept_names), x[:, kept], np.flatnonzero(rows), reference), nonzero, types


def _off_mode(values: np.ndarray) -> int:
    """Meetings whose value differs from the most common one: what a term's effect is read
    from (for an indicator, the rarer side; for the count of matches, the spread of counts,
    since a planned event seats few pairs with no match at all)."""
    if values.size == 0:
        return 0
    _, counts = np.unique(values, return_counts=True)
    return int(values.size - counts.max())


def _independent(names: list[str], x: np.ndarray) -> tuple[list[str], list[int]]:
    """Columns in order, each kept only if it adds to the span of the ones before (and of the
    thresholds' constant): a term that moves in step with others cannot be told apart."""
    gram = np.column_stack([np.ones(x.shape[0]), x])
    gram = gram.T @ gram                    # ranks read from the small Gram matrix, not the rows
    kept: list[int] = []
    for j in range(x.shape[1]):
        columns = [0, *(k + 1 for k in kept), j + 1]
        values = np.linalg.eigvalsh(gram[np.ix_(columns, columns)])
        if values[0] > 1e-9 * values[-1]:
            kept.append(j)
    return [names[j] for j in kept], kept


def _fieller(a: float, b: float, v_aa: float, v_ab: float, v_bb: float, z: float) -> tuple[float, float]:
    """Fieller's interval for ``a / b`` (``b`` clearly non-zero, so it is bounded)."""
    qa = b * b - z * z * v_bb
    qb = -2.0 * (a * b - z * z * v_ab)
    qc = a * a - z * z * v_aa
    root = float(np.sqrt(max(0.0, qb * qb - 4.0 * qa * qc)))
    return (-qb - root) / (2.0 * qa), (-qb + root) / (2.0 * qa)


def _verdict(current: float, low: float, high: float, max_width: float) -> tuple[Verdict, str]:
    if high - low > max_width:
        return Verdict.TOO_WIDE, f"interval wider than {max_width:g}: kept"
    if low <= current <= high:
        return Verdict.CONFIRMED, "current value within the interval: kept"
    return Verdict.CHANGE, ""


def propose_weights(outcomes: Sequence[MeetingOutcome], current: ScoringWeights, *,
                    min_outcomes: int = MIN_OUTCOMES, min_per_term: int = MIN_PER_TERM,
                    level: float = LEVEL, max_width: float | None = None) -> Proposal:
    """Weights proposed from ``outcomes``, on ``current``'s scale, or a refusal saying why.

    Declines (proposing nothing) with fewer than ``min_outcomes`` outcomes, when every outcome
    is the same, when too few meetings differ in the number of matching offers to anchor the
    scale, or when the outcomes do not tie better meetings to matching offers clearly. A term
    non-zero (or zero) in fewer than ``min_per_term`` meetings is kept with "no evidence". An
    interval (at ``level``) wider than ``max_width`` (default 0.6 x ``current.offer_match``)
    keeps the current value; so does one that contains it. Deterministic: no random draws.
    """
    if len(outcomes) < min_outcomes:
        return _decline(f"only {_plural(len(outcomes), 'outcome')}; at least {min_outcomes} are needed",
                        outcomes)
    if current.offer_match <= 0:
        return _decline("offer_match is not positive: there is no scale to propose the other weights on",
                        outcomes)
    kinds = {o.outcome for o in outcomes}
    if len(kinds) < 2:
        return _decline(f"every outcome is {next(iter(kinds)).value}; outcomes that differ are needed",
                        outcomes)
    features = [pair_features(o.a, o.b, current) for o in outcomes]
    design, nonzero, types = _design(features, min_per_term)
    if "matches" not in design.names:
        return _decline("too few meetings differ in matching offers to set the scale", outcomes)
    present = sorted(kinds, key=lambda o: o.rank)
    level_of = {o: k for k, o in enumerate(present)}
    levels = np.array([level_of[o.outcome] for o in outcomes])[design.rows]
    follow = np.array([o.follow_up for o in outcomes], dtype=float)[design.rows]
    follow_used = follow if 0.0 < follow.mean() < 1.0 else None
    # Clustered by the attendee as given (the whole value, not the id: ids repeat across events).
    index: dict[Attendee, int] = {}
    people = np.array([[index.setdefault(o.a, len(index)), index.setdefault(o.b, len(index))]
                       for o in outcomes], dtype=np.int64).reshape(-1, 2)[design.rows]
    try:
        fit = _fit(design.x[design.rows], levels, len(present) - 1, follow_used, people)
    except _FitFailed as failed:
        return _decline(f"{failed}; nothing proposed", outcomes)
    column = {name: j for j, name in enumerate(design.names)}
    anchor = column["matches"]
    anchor_z = fit.beta[anchor] / np.sqrt(fit.cov[anchor, anchor])
    if anchor_z < MIN_ANCHOR_Z:
        return _decline("the outcomes do not yet tie better meetings to matching offers clearly enough "
                        "to set the scale", outcomes)

    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    widest = max_width if max_width is not None else MAX_WIDTH_SHARE * current.offer_match
    scale = current.offer_match

    def ratio(name: str) -> tuple[float, float, float]:
        j = column[name]
        b = float(fit.beta[anchor])
        low, high = _fieller(float(fit.beta[j]), b, float(fit.cov[j, j]), float(fit.cov[j, anchor]),
                             float(fit.cov[anchor, anchor]), z)
        return float(fit.beta[j]) / b, low, high

    weights: list[WeightProposal] = []
    for field_name, feature, sign in CORE_TERMS:
        now = float(getattr(current, field_name))
        if feature == "matches":
            weights.append(WeightProposal(field_name, None, now, now, None, None, nonzero[feature], Verdict.ANCHOR,
                                          "the scale: other weights are proposed relative to it"))
            continue
        if feature not in column:
            weights.append(WeightProposal(field_name, None, now, None, None, None, nonzero[feature],
                                          Verdict.NO_EVIDENCE, _no_evidence(nonzero[feature], len(features),
                                                                            min_per_term)))
            continue
        point, low, high = (sign * scale * v for v in ratio(feature))
        low, high = min(low, high), max(low, high)
        verdict, note = _verdict(now, low, high, widest)
        weights.append(WeightProposal(field_name, None, now, point, low, high, nonzero[feature], verdict, note))

    def fit_of(key: str) -> float:
        return float(current.partner_type_fit.get(key, current.partner_type_default))

    if design.reference is not None:
        base = fit_of(design.reference)
        weights.append(WeightProposal("partner_type_fit", design.reference, base, base, None, None,
                                      types[design.reference], Verdict.REFERENCE,
                                      "most outcomes: other type fits are proposed relative to it"))
    for key in sorted(types):
        if key == design.reference:
            continue
        now = fit_of(key)
        if key not in column:
            note = (_no_evidence(types[key], len(features), min_per_term) if types[key] < min_per_term
                    else "cannot be told apart from other terms: kept")
            weights.append(WeightProposal("partner_type_fit", key, now, None, None, None, types[key],
                                          Verdict.NO_EVIDENCE, note))
            continue
        point, low, high = (base + scale * v for v in ratio(key))
        verdict, note = _verdict(now, low, high, widest)
        weights.append(WeightProposal("partner_type_fit", key, now, point, low, high, types[key], verdict, note))

    counts = Counter(o.outcome.value for o in outcomes)
    changes = sum(w.verdict is Verdict.CHANGE for w in weights)
    reason = (f"{_plural(changes, 'change')} proposed from {_plural(len(outcomes), 'outcome')}" if changes
              else f"no change: {_plural(len(outcomes), 'outcome')} agree with the current weights or say too little")
    return Proposal(False, reason, len(outcomes), level, tuple(weights),
                    {o.value: counts.get(o.value, 0) for o in Outcome}, int(sum(o.follow_up for o in outcomes)))


def _no_evidence(nonzero: int, total: int, needed: int) -> str:
    if nonzero == 0:
        return "no evidence: the term never applied in these meetings"
    if nonzero >= needed:
        return f"no evidence: the term applied in {nonzero} of {total} meetings, too few without it to compare"
    return f"no evidence: only {_plural(nonzero, 'meeting')} with the term; at least {needed} needed"


# --------------------------------------------------------------------------- simulation


def simulate_outcomes(attendees: Iterable[Attendee], meetings: Iterable[Meeting], true_weights: ScoringWeights,
                      rng: np.random.Generator, *, noise: float = 4.0, cuts: tuple[float, float] | None = None,
                      follow_up_cut: float | None = None, follow_up_link: float = 0.7,
                      person_effect: float = 0.0) -> list[MeetingOutcome]:
    """Outcomes drawn from a known model, for tests and benchmarks.

    Each meeting's latent value is its raw score under ``true_weights`` plus logistic noise of
    scale ``noise`` (score points); the outcome is the category between ``cuts`` (default:
    the 40% and 75% quantiles of the meetings' raw scores) and both follow up above
    ``follow_up_cut`` (default: the 80% quantile). The follow-up reuses the outcome's noise
    with probability ``follow_up_link``, else draws its own: correlated, as real answers are,
    while each response alone follows the model :func:`propose_weights` fits. ``person_effect``
    (score points, a standard deviation) gives every attendee a lasting mood added to each of
    their meetings: the dependence between meetings the attendee-clustered intervals allow for.
    """
    people = {a.id: a for a in attendees}
    pairs = [(people[m.a_id], people[m.b_id]) for m in meetings]
    raw = np.array([pair_terms(a, b, true_weights).raw for a, b in pairs], dtype=float)
    if not pairs:
        return []
    low, high = cuts if cuts is not None else (float(np.quantile(raw, 0.4)), float(np.quantile(raw, 0.75)))
    follow_cut = follow_up_cut if follow_up_cut is not None else float(np.quantile(raw, 0.8))
    uniform = rng.uniform(1e-12, 1.0 - 1e-12, size=(3, len(pairs)))
    noise_outcome = np.log(uniform[0] / (1.0 - uniform[0]))
    own = np.log(uniform[1] / (1.0 - uniform[1]))
    noise_follow = np.where(uniform[2] < follow_up_link, noise_outcome, own)
    ids = sorted(people)
    mood = dict(zip(ids, rng.normal(0.0, person_effect, size=len(ids)).tolist())) if person_effect else {}
    shared = np.array([mood.get(a.id, 0.0) + mood.get(b.id, 0.0) for a, b in pairs], dtype=float)
    latent = raw + shared + noise * noise_outcome
    ranks = (latent > low).astype(int) + (latent > high).astype(int)
    follows = raw + shared + noise * noise_follow > follow_cut
    kinds = list(Outcome)
    return [MeetingOutcome(a, b, kinds[int(r)], bool(f)) for (a, b), r, f in zip(pairs, ranks, follows)]
