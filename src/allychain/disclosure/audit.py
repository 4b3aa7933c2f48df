"""The attacker's linear programmes: what a reader of a published table can infer.

The attacker is assumed to know every published cell exactly, the additivity equations
(every total is the sum of its parts), and that every figure is non-negative.  For each
suppressed cell ``c`` they can compute the tightest interval ``[lo_c, hi_c]``::

    lo_c = min x_c   and   hi_c = max x_c
    subject to  E x = 0,  x_j = published value of j for every published cell j,  x ≥ 0

(Hundepool et al. 2012, §4.3.1 "audit"; τ-ARGUS ``RunAudit``; sdcTable ``attack``).  A
sensitive cell is **safe** when ``hi ≥ value + UPL`` and ``lo ≤ value − LPL``: neither
bound gets closer to the true figure than its protection levels.  Both LPs are solved
with HiGHS for every suppressed cell; the suppressed cells are split into the connected
components of the equations first (cells in unrelated parts of a table do not interact),
and each component's LP is loaded once and re-solved with a new objective per cell.

Any solve that ends neither optimal nor (for a maximum) unbounded raises
:class:`~allychain.errors.SolverError` — an unknown interval is never taken as safe.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from allychain.disclosure.table import Table
from allychain.errors import DisclosureError, SolverError
from allychain.lp import LP, Status, load_lp, new_highs, rerun, status_of

__all__ = ["AuditReport", "attacker_intervals", "audit", "protection_met", "LP_TIME_LIMIT"]

LP_TIME_LIMIT = 120.0
"""Seconds one attacker LP may take (it takes milliseconds on the 130 × 40 benchmark)."""

log = logging.getLogger(__name__)


def _tol(values: np.ndarray) -> np.ndarray:
    return 1e-6 * np.maximum(1.0, np.abs(values))


def attacker_intervals(values: np.ndarray, equations: sp.spmatrix, suppressed: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Feasible interval of every cell given the published ones.

    Parameters
    ----------
    values
        True values of all cells (only the published ones are used), length ``n``.
    equations
        ``m × n`` additivity equations ``E x = 0``.
    suppressed
        Boolean mask of the suppressed cells.

    Returns
    -------
    (lo, hi)
        Arrays of length ``n``; published cells get ``lo = hi = value``; ``hi`` is
        ``inf`` where the attacker has no upper bound.

    Raises
    ------
    DisclosureError
        The published cells contradict the equations (nothing fits them).
    SolverError
        A solve ended in a state other than optimal or unbounded.
    """
    v = np.asarray(values, dtype=float)
    s = np.asarray(suppressed, dtype=bool)
    lo, hi = v.copy(), v.copy()
    S = np.flatnonzero(s)
    if not len(S):
        return lo, hi
    E = sp.csr_matrix(equations, dtype=float)
    A = E[:, S].tocsr()
    rhs = -(E[:, ~s] @ v[~s])
    touched = np.diff(A.indptr) > 0
    A, rhs = A[touched], rhs[touched]
    adj = (A.T @ A).tocsr()
    ncomp, label = connected_components(adj, directed=False)
    for k in range(ncomp):
        cols = np.flatnonzero(label == k)
        rows = np.flatnonzero(np.asarray(A[:, cols].getnnz(axis=1)).ravel() > 0)
        a, b = _component(A[rows][:, cols], rhs[rows], [int(S[j]) for j in cols])
        lo[S[cols]], hi[S[cols]] = a, b
    return lo, hi


def _component(A: sp.csr_matrix, rhs: np.ndarray, where: list[int]) -> tuple[np.ndarray, np.ndarray]:
    n = A.shape[1]
    lp = LP(c=np.zeros(n), A=A, row_lo=rhs, row_hi=rhs, col_lo=np.zeros(n), col_hi=np.full(n, math.inf))
    h = load_lp(lp, new_highs())
    h.setOptionValue("presolve", "off")  # n re-solves from the previous basis
    lo, hi = np.zeros(n), np.zeros(n)
    for j in range(n):
        for sign, out in ((1.0, lo), (-1.0, hi)):
            h.changeColCost(j, sign)
            rerun(h, LP_TIME_LIMIT)
            st, text = status_of(h)
            if st == Status.optimal:
                out[j] = sign * float(h.getInfo().objective_function_value)
            elif st == Status.unbounded and sign < 0:
                out[j] = math.inf
            elif st == Status.infeasible or (st == Status.unbounded and sign > 0):
                raise DisclosureError(f"the published cells contradict the table's equations around cell "
                                      f"#{where[j]} (HiGHS: {text}); nothing can be released")
            else:
                raise SolverError(f"the attacker LP for cell #{where[j]} ended '{text}'; "
                                  "an unknown interval is not taken as safe")
        h.changeColCost(j, 0.0)
    return lo, hi


def protection_met(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, lpl: np.ndarray,
                   upl: np.ndarray) -> np.ndarray:
    """``hi ≥ value + UPL`` and ``lo ≤ value − LPL`` (with a relative tolerance of 1e-6)."""
    t = _tol(values)
    return (hi >= values + upl - t) & (lo <= values - lpl + t)


@dataclass(frozen=True)
class AuditReport:
    """Per suppressed cell: its feasible interval for an attacker and whether it is safe.

    ``cells`` has the table's key columns, ``value``, ``sensitive``, ``lpl``, ``upl``,
    ``lower``, ``upper`` (the attacker's bounds; ``inf`` for no upper bound) and ``safe``
    (protection met, or not sensitive).  Published sensitive cells appear too, with
    ``lower = upper = value`` and ``safe = False``.
    """

    cells: pd.DataFrame

    @property
    def safe(self) -> bool:
        return bool(self.cells["safe"].all())

    @property
    def unsafe(self) -> pd.DataFrame:
        return self.cells[~self.cells["safe"]]

    def summary(self) -> str:
        n = len(self.cells)
        bad = len(self.unsafe)
        return (f"{n} cell(s) audited, all protected" if not bad else
                f"{bad} of {n} audited cell(s) can be narrowed below their protection levels")


def audit(table: Table, suppressed: np.ndarray) -> AuditReport:
    """Audit one table released with the cells in ``suppressed`` withheld.

    See the module docstring for the attacker model.  Linked releases are audited
    together by :func:`allychain.disclosure.release.audit_releases`.
    """
    s = np.asarray(suppressed, dtype=bool)
    v = table.values
    lo, hi = attacker_intervals(v, table.equations, s)
    c = table.cells
    sens = c["sensitive"].to_numpy(dtype=bool)
    lpl, upl = c["lpl"].to_numpy(dtype=float), c["upl"].to_numpy(dtype=float)
    ok = protection_met(v, lo, hi, lpl, upl) | ~sens
    show = s | sens
    out = c.loc[show, [*table.keys, "value", "sensitive", "reason", "lpl", "upl"]].copy()
    out["suppressed"] = s[show]
    out["lower"], out["upper"], out["safe"] = lo[show], hi[show], ok[show]
    return AuditReport(out.reset_index(drop=True))
