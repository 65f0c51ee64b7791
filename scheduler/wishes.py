"""How many of the attendees' wishes a schedule grants, for REPORT.json and the benchmarks.

Each wished pair is counted once, in the strongest tier it reaches (:class:`WishTier`): a
mutual Must counts in ``must_mutual`` only, not also in ``must``. A pair that one side marked
No is not a request at all (the No wins; the pair may never meet), so it is left out of every
tier; ``no_pairs_met`` counts pairs with a No that meet anyway, which a valid schedule never
does. ``possible`` counts the requested pairs the rules allow and that share a round both
attend: the pairs a plan could grant at all, which is what "every mutual Must" can mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scheduler.domain import Attendee, Meeting
from scheduler.scoring import WISH_TIERS, WishTier, declined, why_not_allowed, wish_pairs


@dataclass
class WishCount:
    """Wished pairs of one tier: asked for, that could meet, and that do meet."""

    requested: int = 0
    possible: int = 0
    granted: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"requested": self.requested, "possible": self.possible, "granted": self.granted}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WishCount:
        return cls(int(data.get("requested") or 0), int(data.get("possible") or 0), int(data.get("granted") or 0))


@dataclass
class WishSummary:
    """Every tier's counts and the pairs with a No that met (REPORT.json's ``wishes``)."""

    tiers: dict[WishTier, WishCount] = field(default_factory=lambda: {t: WishCount() for t in WISH_TIERS})
    no_pairs_met: int = 0

    def to_dict(self) -> dict[str, object]:
        return {**{tier.value: self.tiers[tier].to_dict() for tier in WISH_TIERS},
                "no_pairs_met": self.no_pairs_met}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> WishSummary:
        """Read back what :meth:`to_dict` wrote; a report without wishes reads as all zeros."""
        data = data if isinstance(data, Mapping) else {}
        tiers = {}
        for tier in WISH_TIERS:
            part = data.get(tier.value)
            tiers[tier] = WishCount.from_dict(part if isinstance(part, Mapping) else {})
        return cls(tiers, int(data.get("no_pairs_met") or 0))

    @property
    def requested(self) -> int:
        return sum(count.requested for count in self.tiers.values())


def _share_a_round(a: Attendee, b: Attendee, rounds: int) -> bool:
    return any(a.is_available(r) and b.is_available(r) for r in range(1, rounds + 1))


def count_wishes(meetings: Iterable[Meeting], attendees: Sequence[Attendee], rounds: int) -> WishSummary:
    """The wishes of ``attendees`` that ``meetings`` grant, tier by tier (see the module)."""
    people = tuple(attendees)
    met = {m.pair for m in meetings}
    summary = WishSummary()
    for (i, j), tier in wish_pairs(people).items():
        a, b = people[i], people[j]
        if declined(a, b):
            continue
        count = summary.tiers[tier]
        count.requested += 1
        granted = frozenset((a.id, b.id)) in met
        count.granted += granted
        count.possible += granted or (why_not_allowed(a, b) is None and _share_a_round(a, b, rounds))
    by_id = {a.id: a for a in people}
    for pair in met:
        x, y = sorted(pair)
        if x in by_id and y in by_id and declined(by_id[x], by_id[y]):
            summary.no_pairs_met += 1
    return summary


def describe(summary: WishSummary) -> str:
    """One line for the CLI: "wishes granted: mutual Must 12 of 12 (12 possible), ..."."""
    labels = {WishTier.MUST_MUTUAL: "mutual Must", WishTier.MUST: "one-sided Must",
              WishTier.WANT_MUTUAL: "mutual Want", WishTier.WANT: "one-sided Want"}
    parts = [f"{labels[t]} {c.granted} of {c.requested} ({c.possible} possible)"
             for t, c in summary.tiers.items()]
    return "wishes granted: " + ", ".join(parts) + f"; pairs with a No that meet: {summary.no_pairs_met}"
