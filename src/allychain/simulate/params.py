"""Model parameters of the ARIO engine, with units and defaults."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

__all__ = ["Params", "BOARIO_QUIRKS"]


@dataclass(frozen=True)
class Params:
    """Parameters of the ARIO engine.

    Parameters
    ----------
    inventory_days : float, default 90
        Inventory target ``s`` in steps of use, for every input without its own value.
    inventory_days_by_product : dict, default {}
        Target per input product (sector or item), overriding ``inventory_days`` and any
        value from the data; ``inf`` means the input never binds.
    psi : float, default 0.8
        ``ψ`` (dimensionless): production is limited once a stock falls below ``ψ`` times
        its target.
    inventory_tau : float, default 60
        ``τ_inv`` (steps): a stock gap is closed at ``1/τ_inv`` per step.
    alpha_base, alpha_max : float, default 1.0, 1.25
        Overproduction floor and cap (multiples of baseline output).
    alpha_tau : float, default 365
        ``τ_α`` (steps): characteristic time of overproduction.
    order_type : {"alt", "noalt"}, default "alt"
        ``alt`` splits orders over suppliers by baseline flow × current capacity ratio;
        ``noalt`` keeps baseline shares.
    relevance_threshold : float, default 1e-5
        An input binds production only if its coefficient exceeds this (input per unit of
        output).
    relevance_rule : {"consistent", "boario"}
        ``consistent`` compares the technical coefficient with the threshold;
        ``boario`` compares the annual input flow with the threshold times the per-step
        output (365 × looser, BoARIO 0.7).
    alpha_relax : {"nonpositive", "exact_zero"}
        When ``α`` relaxes towards ``α_b``: whenever demand was met (``σ ≤ 0``), or only
        when scarcity is exactly 0 (BoARIO 0.7).
    stock_update : {"exact", "boario"}
        ``exact`` always applies ``St ← St − use + deliveries`` and the exact gap;
        ``boario`` skips the update when deliveries and use are ``allclose`` and zeroes the
        gap when stocks and goals are ``allclose`` (BoARIO 0.7).
    sort_labels : bool
        Re-sort regions and sectors lexicographically (BoARIO does; only affects order).
    transport_lags : bool, default False
        Shipments arrive a number of steps after they leave the supplier (off: the same
        step, as in BoARIO).  The lag of an edge is its lead time from the data
        (``edges.lead_time``) where known, else ``lead_time_by_product`` for the
        supplier's product, else ``lead_time``; rounded to whole steps.
    lead_time : float, default 0
        Transport lag (steps) of edges without a value of their own.
    lead_time_by_product : dict, default {}
        Transport lag (steps) by the supplier's product (sector or item).
    resourcing_limit : float or None, default None
        Re-sourcing limit ``r`` (share of a slot's orders per step, in (0, 1]): an edge's
        share of its slot's orders rises by at most ``r`` per step towards the share the
        order rule asks for (falls at once).  ``None``: shares move at once (BoARIO).
    """

    inventory_days: float = 90.0
    psi: float = 0.8
    inventory_tau: float = 60.0
    alpha_base: float = 1.0
    alpha_max: float = 1.25
    alpha_tau: float = 365.0
    order_type: str = "alt"
    relevance_threshold: float = 1e-5
    relevance_rule: str = "consistent"
    alpha_relax: str = "nonpositive"
    stock_update: str = "exact"
    sort_labels: bool = False
    inventory_days_by_product: dict[str, float] = field(default_factory=dict)
    transport_lags: bool = False
    lead_time: float = 0.0
    lead_time_by_product: dict[str, float] = field(default_factory=dict)
    resourcing_limit: float | None = None

    def __post_init__(self) -> None:
        for prod, days in self.inventory_days_by_product.items():
            if isinstance(days, bool) or not isinstance(days, (int, float)) or not days > 0:
                raise ValueError(f"parameter inventory_days_by_product[{prod!r}]={days!r}; expected a positive "
                                 "number of steps (or inf)")
        for prod, steps in self.lead_time_by_product.items():
            if isinstance(steps, bool) or not isinstance(steps, (int, float)) or not 0 <= steps < math.inf:
                raise ValueError(f"parameter lead_time_by_product[{prod!r}]={steps!r}; expected a number of steps "
                                 ">= 0")
        r = self.resourcing_limit
        checks = [
            (isinstance(self.lead_time, (int, float)) and 0 <= self.lead_time < math.inf, "lead_time",
             "a number of steps >= 0"),
            (r is None or (isinstance(r, (int, float)) and not isinstance(r, bool) and 0 < r <= 1),
             "resourcing_limit", "a share per step in (0, 1], or null for no limit"),
            (self.inventory_days > 0, "inventory_days", "a positive number of steps (or inf)"),
            (0 < self.psi <= 1, "psi", "a number in (0, 1]"),
            (self.inventory_tau >= 1, "inventory_tau", "a number of steps >= 1"),
            (self.alpha_base >= 1, "alpha_base", ">= 1"),
            (self.alpha_max >= self.alpha_base, "alpha_max", ">= alpha_base"),
            (self.alpha_tau > 0, "alpha_tau", "a positive number of steps"),
            (self.order_type in ("alt", "noalt"), "order_type", "alt or noalt"),
            (self.relevance_rule in ("consistent", "boario"), "relevance_rule", "consistent or boario"),
            (self.alpha_relax in ("nonpositive", "exact_zero"), "alpha_relax", "nonpositive or exact_zero"),
            (self.stock_update in ("exact", "boario"), "stock_update", "exact or boario"),
        ]
        for ok, name, expected in checks:
            if not ok:
                raise ValueError(f"parameter {name}={getattr(self, name)!r}; expected {expected}")

    def with_compat(self, compat: str | None) -> Params:
        """These parameters with BoARIO 0.7's choices switched on (``compat="boario"``)."""
        if compat is None or compat == "none":
            return self
        if compat != "boario":
            raise ValueError(f"compat={compat!r}; expected 'boario' or None")
        return replace(self, **BOARIO_QUIRKS)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


BOARIO_QUIRKS: dict[str, Any] = {
    "relevance_rule": "boario",
    "alpha_relax": "exact_zero",
    "stock_update": "boario",
    "sort_labels": True,
    "transport_lags": False,
    "resourcing_limit": None,
}
