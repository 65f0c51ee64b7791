"""The report stored with a schedule version, typed: the solver's REPORT.json
(:class:`scheduler.solver.PlanReport`) plus the figures the web keeps beside it.

``ScheduleVersion.report`` is JSON: the solver's report with ``rounds``, ``tables``, ``params``
and ``revision`` added at its top level (an interface: the API, exports and tests read it as
stored). :class:`StoredReport` writes that shape and reads it back, so the pages read fields
rather than ``report.get(...)``. Reports stored by older versions read with defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scheduler.solver import PlanReport

# Seconds: the console's and the API's default, and the limit offered for revising a version
# that kept none.
DEFAULT_TIME_LIMIT = 30.0


@dataclass(frozen=True)
class PlanParams:
    """What the organiser asked the plan for (the stored ``params``): offered again when
    the version is revised."""

    time_limit: float
    seed: int
    mode: str

    def to_dict(self) -> dict[str, Any]:
        return {"time_limit": self.time_limit, "seed": self.seed, "mode": self.mode}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanParams:
        return cls(time_limit=float(data.get("time_limit") or DEFAULT_TIME_LIMIT),
                   seed=int(data.get("seed") or 0), mode=str(data.get("mode") or ""))


@dataclass(frozen=True)
class StoredReport:
    """A version's stored report.

    ``plan`` is the solver's report; ``solved`` is False for a version stored without one (made
    by hand, or stored before reports were kept), whose ``plan`` is all defaults and whose
    figures pages leave blank. ``breaks_counted`` is False for a report stored before breaks
    were counted, so its zero breaks are not shown as a figure. ``rounds`` and ``tables`` are
    the plan's grid (0: not kept, the event's own apply). ``revision`` holds the figures against
    the published version it revised (``agendas_changed``, ``meetings_moved``, ...), as the
    planning job also reports them."""

    plan: PlanReport
    rounds: int = 0
    tables: int = 0
    params: PlanParams | None = None
    revision: dict[str, Any] = field(default_factory=dict)
    solved: bool = True
    breaks_counted: bool = True

    @property
    def time_limit(self) -> float:
        """The time limit to offer when revising this version again."""
        return self.params.time_limit if self.params is not None else DEFAULT_TIME_LIMIT

    def to_dict(self) -> dict[str, Any]:
        """The JSON stored in ``ScheduleVersion.report``."""
        data: dict[str, Any] = self.plan.to_dict()
        data["rounds"] = self.rounds
        data["tables"] = self.tables
        if self.params is not None:
            data["params"] = self.params.to_dict()
        if self.revision:
            data["revision"] = dict(self.revision)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> StoredReport:
        """Read a stored report; ``None`` (no report) and older shapes read with defaults."""
        data = data or {}
        params = data.get("params")
        revision = data.get("revision")
        return cls(plan=PlanReport.from_dict(data),
                   rounds=int(data.get("rounds") or 0), tables=int(data.get("tables") or 0),
                   params=PlanParams.from_dict(params) if isinstance(params, Mapping) else None,
                   revision=dict(revision) if isinstance(revision, Mapping) else {},
                   solved="status" in data, breaks_counted=bool(data.get("breaks")))
