"""The thresholds of the analyses — the one home of their defaults.

They live in ``model`` (below the capabilities and the adapters that all read them).

:class:`ChokepointRules` (chokepoints) and :class:`DependencyRules` (dependencies, the
alliance view, partners) hold every default threshold with its source.  The CLI options,
the REST API's query parameters, the briefing pack and its template, and the dashboard
(through the API's ``rules``) take their defaults from here, so changing a default here
changes it everywhere.  This module imports nothing heavy (the CLI builds its help from it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["RULE_NAMES", "ChokepointRules", "DependencyRules", "CHOKEPOINT_RULES", "DEPENDENCY_RULES",
           "SEVERITY_COMPONENTS", "SeverityRules", "SEVERITY_RULES"]

RULE_NAMES = ("country_share", "firm_top3", "hhi")


@dataclass(frozen=True)
class ChokepointRules:
    """Thresholds of the chokepoint rules (all inclusive, shares in percent).

    Parameters
    ----------
    country_share
        Share of the largest single country, percent (default 65).
    firm_top3
        Combined share of the three largest firms, percent (default 90).
    hhi
        Country-level Herfindahl–Hirschman index, 0–10,000 (default 2,500).
    enabled
        Names of the rules that are evaluated (default all of :data:`RULE_NAMES`).
    """

    country_share: float = 65.0
    firm_top3: float = 90.0
    hhi: float = 2500.0
    enabled: tuple[str, ...] = RULE_NAMES
    sources: dict[str, str] = field(default_factory=lambda: {
        "country_share": "SIA/BCG (2021), Strengthening the global semiconductor supply chain in an uncertain era: "
                         "points where one region holds more than 65 % of the global market (applied inclusively)",
        "firm_top3": "Concentration-ratio convention (CR3): three firms holding 90 % or more — a tight oligopoly",
        "hhi": "US DOJ/FTC Horizontal Merger Guidelines (2010): HHI above 2,500 is highly concentrated "
               "(the 2023 guidelines lower this to 1,800)",
    }, compare=False)

    def __post_init__(self) -> None:
        bad = [r for r in self.enabled if r not in RULE_NAMES]
        if bad:
            from allychain.errors import AllychainError

            raise AllychainError(f"unknown chokepoint rule(s) {', '.join(bad)}; expected some of "
                                 f"{', '.join(RULE_NAMES)}")
        for name, lo, hi in (("country_share", 0, 100), ("firm_top3", 0, 100), ("hhi", 0, 10_000)):
            v = getattr(self, name)
            if not (lo <= v <= hi):
                from allychain.errors import AllychainError

                raise AllychainError(f"rule threshold {name}={v} out of range; expected {lo}–{hi}")

    def describe(self) -> list[dict[str, Any]]:
        """The rules as records: name, threshold, unit, enabled, source."""
        units = {"country_share": "percent", "firm_top3": "percent", "hhi": "index 0-10,000"}
        d = asdict(self)
        return [{"rule": r, "threshold": d[r], "unit": units[r], "enabled": r in self.enabled,
                 "source": self.sources[r]} for r in RULE_NAMES]


@dataclass(frozen=True)
class DependencyRules:
    """Thresholds of the dependency analysis (inclusive, shares in percent) — the one home
    of their defaults, as :class:`~allychain.analysis.chokepoints.ChokepointRules` is for
    chokepoints; the CLI, the REST API, the briefing pack and the dashboard take them from here.

    Parameters
    ----------
    critical_share
        One foreign country holding at least this share makes a dependency critical (65).
    min_role_share
        Members perform a stage or item where their combined known share is at least this (1).
    """

    critical_share: float = 65.0
    min_role_share: float = 1.0
    sources: dict[str, str] = field(default_factory=lambda: {
        "critical_share": "SIA/BCG (2021), Strengthening the global semiconductor supply chain in an uncertain "
                          "era: one region holding more than 65 % of the global market (applied inclusively)",
        "min_role_share": "allychain convention: a member with at least 1 % of a stage performs it",
    }, compare=False)

    def describe(self) -> list[dict[str, Any]]:
        """The thresholds as records: name, threshold, unit, source."""
        d = asdict(self)
        return [{"rule": r, "threshold": d[r], "unit": "percent", "source": self.sources[r]}
                for r in ("critical_share", "min_role_share")]


#: the default chokepoint rules
CHOKEPOINT_RULES = ChokepointRules()
#: the default dependency thresholds
DEPENDENCY_RULES = DependencyRules()


#: the components of the severity score, in the order shown
SEVERITY_COMPONENTS = ("concentration", "substitutability", "time_to_build", "exposure", "agreement_cover")


@dataclass(frozen=True)
class SeverityRules:
    """Weights, scale and tier thresholds of the criticality (severity) score — the one home of
    their defaults (see docs/analysis.md, "Severity").

    Each component is a number in [0, 1] (1 = most severe) or unknown; the score is the
    weighted mean of the known components, and the range the score would take were the
    unknown ones 0 or 1 is shown beside it.

    Parameters
    ----------
    weights
        Weight of each of :data:`SEVERITY_COMPONENTS` (non-negative, not all zero).
    ttr_scale
        Months of time to build alternative capacity that count as the maximum (24).
    critical, high, watch
        Lowest score of each tier (inclusive); below ``watch`` an item is in no tier.
    """

    weights: dict[str, float] = field(default_factory=lambda: {
        "concentration": 0.30, "substitutability": 0.20, "time_to_build": 0.20, "exposure": 0.20,
        "agreement_cover": 0.10})
    ttr_scale: float = 24.0
    critical: float = 0.70
    high: float = 0.55
    watch: float = 0.40
    sources: dict[str, str] = field(default_factory=lambda: {
        "concentration": "largest single supplier country's share (outside the members), as in the 65 % rule of "
                         "SIA/BCG (2021)",
        "substitutability": "firm concentration CR3 (US Census Bureau concentration ratios): how few firms could "
                            "replace a lost supplier",
        "time_to_build": "time to build alternative capacity by item class, 9–21 months (SIA/BCG 2021 orders of "
                         "magnitude; allychain.model.recovery), over 24 months (the upper end of a fab rebuild)",
        "exposure": "the members' role weight × foreign share through all tiers (docs/analysis.md §3)",
        "agreement_cover": "share of the dependency not covered by an agreement in force of the members; unknown "
                           "unless the cover is given (agreement_cover=, e.g. from the agreement registry)",
        "weights": "allychain convention: concentration weighs most; exposure, substitutability and time to build "
                   "equally; agreement cover least until it is measured",
        "tiers": "allychain convention (no official cut-off): critical ≥ 0.70, high ≥ 0.55, watch ≥ 0.40",
    }, compare=False)

    def __post_init__(self) -> None:
        from allychain.errors import AllychainError

        bad = [k for k in self.weights if k not in SEVERITY_COMPONENTS]
        if bad or any(v < 0 for v in self.weights.values()) or not any(v > 0 for v in self.weights.values()):
            raise AllychainError(f"severity weights must be non-negative numbers for {', '.join(SEVERITY_COMPONENTS)}"
                                 f", not all zero; got {self.weights}")
        if not 0 <= self.watch <= self.high <= self.critical <= 1:
            raise AllychainError("severity tiers must satisfy 0 ≤ watch ≤ high ≤ critical ≤ 1; got "
                                 f"watch={self.watch}, high={self.high}, critical={self.critical}")
        if self.ttr_scale <= 0:
            raise AllychainError(f"ttr_scale must be positive months, got {self.ttr_scale}")

    def tier(self, score: float) -> str | None:
        """``critical``, ``high``, ``watch`` or None (below watch, or an unknown score)."""
        if score != score:  # NaN
            return None
        for name, lo in (("critical", self.critical), ("high", self.high), ("watch", self.watch)):
            if score >= lo - 1e-9:
                return name
        return None

    def describe(self) -> list[dict[str, Any]]:
        """The components as records: component, weight, source; then the tiers."""
        rows = [{"rule": c, "threshold": self.weights.get(c, 0.0), "unit": "weight", "source": self.sources[c]}
                for c in SEVERITY_COMPONENTS]
        rows += [{"rule": t, "threshold": getattr(self, t), "unit": "score 0-1", "source": self.sources["tiers"]}
                 for t in ("critical", "high", "watch")]
        return rows


#: the default severity score
SEVERITY_RULES = SeverityRules()
