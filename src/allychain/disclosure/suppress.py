"""Secondary suppression: complementary cells so that no sensitive cell can be narrowed.

Suppressing only the sensitive (primary) cells of a table with totals is rarely enough: a
single suppressed cell in a row is its row total minus the published rest.  This module
chooses complementary cells.

Method (``"pattern"``, the default; the LP-based heuristic family of Kelly, Golden & Assad
1992 and Castro 2006, a relative of τ-ARGUS's *network* method generalised to any
additive table).  For each sensitive cell ``p`` and each direction it solves one LP over
*deviation patterns* ``z`` — changes to the cell values that keep the table additive and
non-negative::

    min  Σ_c w_c (z⁺_c + z⁻_c)
    s.t. E (z⁺ − z⁻) = 0,   z⁺_p = UPL_p (upward; z⁻_p = LPL_p downward),
         0 ≤ z⁻_c ≤ value_c (non-negativity),  z_c = 0 for cells that must stay published.

Suppressing every cell where ``z ≠ 0`` makes ``value + z`` indistinguishable from the truth
for the attacker, so ``p`` can then move by its full protection level in that direction.
Because suppressing more cells only widens what the attacker must allow, the union of the
patterns protects every sensitive cell at once — the release is safe by construction, and
the auditor (:mod:`allychain.disclosure.audit`, independent LPs) confirms it before anything
is published.  Weights: ``w_c`` is the cell's cost (its value for ``objective="value"``, 1
for ``"count"``) and nearly zero for cells already suppressed, so patterns reuse them.

Objective: the *suppressed value* (default) or the *number* of suppressed cells.  The
heuristic does not prove minimality (the exact MIP of Fischetti & Salazar-González 2001,
τ-ARGUS "Optimal", is not implemented); the result is safe by construction and audited.

Size: one LP over ``2n`` columns per sensitive cell and direction, re-solved from the
previous basis (the model is loaded once, only bounds and weights change); the 130 × 40
benchmark table (5,371 cells) is protected in seconds (docs/benchmarks.md).

References
----------
Kelly, J. P., Golden, B. L., Assad, A. A. (1992). Cell suppression: disclosure protection
for sensitive tabular data. *Networks* 22(4), 397–417.
Castro, J. (2006). Minimum-distance controlled perturbation methods for large-scale
tabular data protection. *European Journal of Operational Research* 171(1), 39–52.
Hundepool et al. (2012), *Statistical Disclosure Control*, Wiley, §4.3 (secondary
cell suppression).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from allychain.errors import DisclosureError, SolverError
from allychain.lp import LP, Status, load_lp, new_highs, rerun, status_of

__all__ = ["pattern_suppression", "cell_costs"]

log = logging.getLogger(__name__)

_REUSE = 1e-6  # weight of an already suppressed cell relative to the mean cost
LP_TIME_LIMIT = 120.0
"""Seconds one pattern LP may take; a solve that hits it raises SolverError (never a silent pass)."""


def cell_costs(values: np.ndarray, objective: str = "value") -> np.ndarray:
    """The cost of suppressing each cell: its value (``"value"``) or 1 (``"count"``)."""
    v = np.asarray(values, dtype=float)
    if objective == "value":
        return np.maximum(v, 1e-9 * max(1.0, float(v.max(initial=0.0))))
    if objective == "count":
        return np.ones(len(v))
    raise ValueError(f"objective must be 'value' or 'count', got {objective!r}")


def pattern_suppression(values: np.ndarray, equations: sp.spmatrix, sensitive: np.ndarray, lpl: np.ndarray,
                        upl: np.ndarray, *, allowed: np.ndarray, suppressed: np.ndarray | None = None,
                        cost: np.ndarray | None = None, targets: Sequence[int] | None = None,
                        labels: Sequence[str] | None = None) -> np.ndarray:
    """Suppression mask protecting every sensitive cell (see the module docstring).

    Parameters
    ----------
    values
        True cell values (``n``), non-negative.
    equations
        ``m × n`` additivity equations ``E x = 0``.
    sensitive, lpl, upl
        Sensitive cells and their lower/upper protection levels (value units).
    allowed
        Cells that may be suppressed (not: empty cells, cells already published in a
        linked release).  Sensitive cells must be allowed.
    suppressed
        Cells already suppressed (e.g. the primaries, or a previous pattern); kept.
    cost
        Cost per cell (default: :func:`cell_costs` by value).
    targets
        Only protect these cells (default: every sensitive cell).
    labels
        Names of the cells for error messages.

    Returns
    -------
    numpy.ndarray
        Boolean mask: the primaries plus the complementary cells.

    Raises
    ------
    DisclosureError
        A sensitive cell cannot be protected at all (the cells that would have to be
        withheld are already published, e.g. in an earlier linked release).
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    sens = np.asarray(sensitive, dtype=bool)
    ok = np.asarray(allowed, dtype=bool)
    if (sens & ~ok).any():
        i = int(np.flatnonzero(sens & ~ok)[0])
        name = labels[i] if labels is not None else f"#{i}"
        raise DisclosureError(f"sensitive cell {name} is already published and can no longer be protected")
    s = sens.copy() if suppressed is None else (np.asarray(suppressed, dtype=bool) | sens)
    w = cell_costs(v) if cost is None else np.asarray(cost, dtype=float)
    reuse = _REUSE * float(np.mean(w)) if n else 0.0
    # only cells that may move are columns: published ones stay at z = 0
    M = np.flatnonzero(ok)
    local = np.full(n, -1)
    local[M] = np.arange(len(M))
    m = len(M)
    E = sp.csr_matrix(equations, dtype=float)[:, M]
    E = E[np.diff(E.indptr) > 0]
    A = sp.hstack([E, -E]).tocsc()
    zero = np.zeros(E.shape[0])
    hi_minus = v[M]
    lp = LP(c=np.zeros(2 * m), A=A, row_lo=zero, row_hi=zero, col_lo=np.zeros(2 * m),
            col_hi=np.concatenate([np.full(m, math.inf), hi_minus]))
    h = load_lp(lp, new_highs())
    h.setOptionValue("presolve", "off")  # one re-solve per target from the previous basis
    weight = np.where(s[M], reuse, w[M])
    h.changeColsCost(2 * m, np.arange(2 * m, dtype=np.int32), np.concatenate([weight, weight]))
    order = np.flatnonzero(sens) if targets is None else np.asarray(list(targets), dtype=int)
    order = order[np.argsort(-np.maximum(upl[order], lpl[order]), kind="stable")]
    for p in order:
        for up in (True, False):
            level = float(upl[p] if up else lpl[p])
            if level <= 0:
                continue
            z = _pattern(h, m, int(local[p]), level, up, float(v[p]), labels[p] if labels is not None else f"#{p}")
            new_local = (np.abs(z) > 1e-9 * max(1.0, level)) & ~s[M]
            if new_local.any():
                s[M[new_local]] = True
                idx = np.flatnonzero(new_local).astype(np.int32)
                h.changeColsCost(len(idx), idx, np.full(len(idx), reuse))
                h.changeColsCost(len(idx), idx + m, np.full(len(idx), reuse))
    return s


def _pattern(hh: Any, n: int, p: int, level: float, up: bool, value: float, name: str) -> np.ndarray:
    plus, minus = p, p + n
    if up:
        hh.changeColBounds(plus, level, level)
        hh.changeColBounds(minus, 0.0, 0.0)
    else:
        hh.changeColBounds(plus, 0.0, 0.0)
        hh.changeColBounds(minus, level, level)
    try:
        rerun(hh, LP_TIME_LIMIT)
        st, text = status_of(hh)
        if st == Status.infeasible:
            raise DisclosureError(f"sensitive cell {name} cannot be protected {'upwards' if up else 'downwards'} "
                                  f"by {level:g}: every pattern needs a cell that must stay published")
        if st != Status.optimal:
            raise SolverError(f"the suppression pattern LP for cell {name} ended '{text}'")
        x = np.asarray(hh.getSolution().col_value, dtype=float)
    finally:
        hh.changeColBounds(plus, 0.0, math.inf)
        hh.changeColBounds(minus, 0.0, value)
    return x[:n] - x[n:]
