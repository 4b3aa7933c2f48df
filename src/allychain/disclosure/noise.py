"""Differentially private counts (an option for cells with many contributors), with a privacy budget.

For *counts* — e.g. how many member firms are exposed to an item — each organisation
changes a cell by at most one, and noise hides whether any one organisation is in the
data.  :func:`noisy_counts` adds discrete Laplace noise through OpenDP (``make_laplace``
on integer vectors under the L1 distance) with scale ``sensitivity / ε``, where the
sensitivity is the number of cells one organisation can change (``cells_per_organisation``);
OpenDP's own privacy map confirms the loss before anything is released.  Negative
noisy counts are shown as 0 (post-processing, no extra privacy cost).

:class:`PrivacyBudget` tracks the ε spent per release; a release that would exceed the
total is refused with :class:`~allychain.errors.DisclosureError` (sequential
composition: the losses of releases on the same data add up).

Not for magnitude tables dominated by a few organisations (capacities, purchases): there
the sensitivity is the dominant organisation's own figure, so noise that hides it
destroys the cell; use cell suppression (docs/disclosure.md).

Needs the ``opendp`` package (``pip install 'allychain[privacy]'``).

References
----------
Dwork, C., Roth, A. (2014). *The Algorithmic Foundations of Differential Privacy*. Now
Publishers. https://doi.org/10.1561/0400000042 — Laplace mechanism, composition.
Ghosh, A., Roughgarden, T., Sundararajan, M. (2012). Universally utility-maximizing privacy
mechanisms. *SIAM Journal on Computing* 41(6) — the discrete Laplace (geometric) mechanism.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from allychain.errors import AllychainError, DataError, DisclosureError

__all__ = ["PrivacyBudget", "noisy_counts"]


def _opendp() -> Any:
    try:
        import opendp.prelude as dp
    except ImportError:  # pragma: no cover - depends on the install
        raise AllychainError("differentially private counts need OpenDP; install it with: "
                             "pip install 'allychain[privacy]'") from None
    dp.enable_features("contrib")
    return dp


@dataclass(frozen=True)
class PrivacyBudget:
    """A total privacy-loss budget ``epsilon`` and what was spent, per release label.

    Immutable: :meth:`spend` returns a new budget.

    Examples
    --------
    >>> b = PrivacyBudget(1.0).spend(0.4, "r1")
    >>> round(b.remaining, 10)
    0.6
    >>> b.spend(0.7, "r2")
    Traceback (most recent call last):
    ...
    allychain.errors.DisclosureError: release r2 needs ε = 0.7 but only 0.6 of the budget of 1 is left
    """

    epsilon: float
    spent: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not (self.epsilon > 0 and math.isfinite(self.epsilon)):
            raise ValueError(f"the privacy budget must be a positive number, got {self.epsilon}")

    @property
    def used(self) -> float:
        return float(sum(e for _, e in self.spent))

    @property
    def remaining(self) -> float:
        return self.epsilon - self.used

    def spend(self, epsilon: float, label: str) -> PrivacyBudget:
        if not epsilon > 0:
            raise ValueError(f"ε must be positive, got {epsilon}")
        if epsilon > self.remaining * (1 + 1e-12):
            raise DisclosureError(f"release {label} needs ε = {epsilon:g} but only {self.remaining:g} of the "
                                  f"budget of {self.epsilon:g} is left")
        return PrivacyBudget(self.epsilon, (*self.spent, (label, float(epsilon))))

    def to_dict(self) -> dict[str, Any]:
        return {"epsilon": self.epsilon, "spent": [list(s) for s in self.spent]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PrivacyBudget:
        return cls(float(d["epsilon"]), tuple((str(a), float(b)) for a, b in d.get("spent", [])))


def noisy_counts(counts: pd.Series | Sequence[int], epsilon: float, budget: PrivacyBudget, label: str, *,
                 cells_per_organisation: int = 1) -> tuple[pd.DataFrame, PrivacyBudget]:
    """Release counts with discrete Laplace noise calibrated to ``epsilon``.

    Parameters
    ----------
    counts
        Non-negative integer counts (e.g. organisations exposed to each item), indexed by
        cell.
    epsilon
        Privacy loss of this release (ε-differential privacy with respect to adding or
        removing one organisation).
    budget
        The budget it is charged to.
    label
        The release's name, recorded in the budget.
    cells_per_organisation
        How many of the cells one organisation can change by one (the L1 sensitivity).

    Returns
    -------
    (pandas.DataFrame, PrivacyBudget)
        Per cell ``count`` (noisy, clamped at 0), ``scale`` (noise scale) and
        ``ci95`` (half-width of the interval that holds the noise with 95 %
        probability); and the budget after the release.

    Raises
    ------
    DisclosureError
        The budget does not cover ``epsilon`` (nothing is released).
    DataError
        A count is negative, missing or not an integer.
    """
    s = pd.Series(counts)
    v = pd.to_numeric(s, errors="coerce")
    if v.isna().any() or (v < 0).any() or (v != np.round(v)).any():
        raise DataError("counts must be non-negative integers", value=str(s[v.isna() | (v < 0)].head(3).tolist()))
    k = int(cells_per_organisation)
    if k < 1:
        raise ValueError(f"cells_per_organisation must be ≥ 1, got {cells_per_organisation}")
    after = budget.spend(epsilon, label)  # refuse before any noise is drawn
    dp = _opendp()
    scale = k / float(epsilon)
    meas = dp.m.make_laplace(dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale)
    loss = float(meas.map(k))
    if loss > epsilon * (1 + 1e-9):  # OpenDP's privacy map is the authority
        raise DisclosureError(f"OpenDP reports ε = {loss:g} for this release, above the requested {epsilon:g}")
    noisy = np.asarray(meas([int(x) for x in v.astype(int)]), dtype=float)
    # discrete Laplace with t = exp(-1/scale): P(|X| ≥ m) = 2 t^m / (1 + t) for m ≥ 1; the 95 % half-width h
    # is the smallest with P(|X| ≥ h + 1) ≤ 0.05
    t = math.exp(-1.0 / scale)
    ci = max(0, math.ceil(math.log(0.05 * (1 + t) / 2) / math.log(t)) - 1)
    out = pd.DataFrame({"count": np.maximum(noisy, 0.0), "scale": scale, "ci95": float(ci)}, index=s.index)
    return out, after
