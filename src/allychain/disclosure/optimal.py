"""Exact secondary suppression for small tables: a MIP with attacker cuts (τ-ARGUS "Optimal").

One binary ``y_c`` per cell (1 = withheld); minimise ``Σ cost_c y_c`` such that every
sensitive cell's attacker interval covers ``[value − LPL, value + UPL]``.  The protection
condition is enforced by cuts (Fischetti & Salazar-González 2001): for the current master
solution ``y*`` the attacker LP of a sensitive cell ``p`` and a direction is::

    max ± z_p   s.t.  E z = 0,   −value_c · y*_c ≤ z_c ≤ U · y*_c

(``z`` the deviation from the true values; ``U`` a finite a-priori upper bound on any
deviation, the largest cell value plus the largest protection level — a *weaker* attacker
than the auditor's unbounded one, so protection against it implies protection against the
auditor's).  For any row multipliers ``λ`` the box bound gives, with ``r = ±e_p − Eᵀλ``::

    max ≤ Σ_c y_c · (r_c⁺ · U + r_c⁻ · value_c)

so ``Σ_c (r_c⁺ U + r_c⁻ value_c) y_c ≥ level`` is valid for every feasible pattern; with
``λ`` the optimal duals at ``y*`` it is violated by ``y*`` whenever ``p`` is under-protected.
The master MIP is solved with HiGHS, cuts are added, and the loop stops when no cut is
violated (then ``y*`` is optimal) or at the time limit (then :class:`TimeoutError`-like
fallback: the caller uses the pattern heuristic).  Initial cuts: every equation through a
sensitive cell needs a second withheld cell.

Use for tables of up to a few hundred cells; larger tables go to
:func:`~allychain.disclosure.suppress.pattern_suppression`.

References
----------
Fischetti, M., Salazar-González, J.-J. (2001). Solving the cell suppression problem on
tabular data with linear constraints. *Management Science* 47(7), 1008–1027.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from allychain.errors import DisclosureError, SolverError
from allychain.lp import LP, Status, load_lp, new_highs, rerun, solve_lp, status_of

__all__ = ["optimal_suppression", "OptimalResult"]

log = logging.getLogger(__name__)


class OptimalResult:
    """Outcome of :func:`optimal_suppression`: ``mask``, ``cost``, ``proven`` (no cut violated
    and the master solved to optimality), ``rounds`` and ``cuts``."""

    def __init__(self, mask: np.ndarray, cost: float, proven: bool, rounds: int, cuts: int) -> None:
        self.mask, self.cost, self.proven, self.rounds, self.cuts = mask, cost, proven, rounds, cuts


def _attacker(E: sp.csr_matrix, n: int) -> Any:
    A = sp.csc_matrix(E)
    lp = LP(c=np.zeros(n), A=A, row_lo=np.zeros(E.shape[0]), row_hi=np.zeros(E.shape[0]),
            col_lo=np.zeros(n), col_hi=np.zeros(n))
    h = load_lp(lp, new_highs())
    return h


def _separate(h: Any, E: sp.csr_matrix, y: np.ndarray, v: np.ndarray, U: float, p: int, sign: float,
              level: float) -> np.ndarray | None:
    """Cut coefficients if ``p`` cannot move by ``level`` in direction ``sign`` under ``y``, else None."""
    n = len(v)
    h.changeColsBounds(n, np.arange(n, dtype=np.int32), -v * y, U * y)
    c = np.zeros(n)
    c[p] = -sign  # HiGHS minimises: min −sign·z_p
    h.changeColsCost(n, np.arange(n, dtype=np.int32), c)
    rerun(h, 120.0)
    st, text = status_of(h)
    if st != Status.optimal:
        raise SolverError(f"the attacker LP of the exact suppression ended '{text}'")
    best = -float(h.getInfo().objective_function_value)
    if best >= level * (1 - 1e-9) - 1e-9:
        return None
    lam = np.asarray(h.getSolution().row_dual, dtype=float)
    e = np.zeros(n)
    e[p] = sign
    cands = []
    for s in (1.0, -1.0):
        r = e - E.T @ (s * lam)
        coef = np.maximum(r, 0.0) * U + np.maximum(-r, 0.0) * v
        cands.append((float(coef @ y), coef))
    bound, coef = min(cands, key=lambda t: t[0])
    if bound > best + 1e-6 * max(1.0, abs(best)):  # duals not tight (should not happen): no valid cut from them
        raise SolverError(f"exact suppression: attacker duals give {bound:g}, LP optimum {best:g}")
    return coef


def optimal_suppression(values: np.ndarray, equations: sp.spmatrix, sensitive: np.ndarray, lpl: np.ndarray,
                        upl: np.ndarray, *, allowed: np.ndarray, cost: np.ndarray,
                        forced: np.ndarray | None = None, time_limit: float = 60.0,
                        max_rounds: int = 200) -> OptimalResult:
    """Minimum-cost suppression pattern by MIP with attacker cuts (see the module docstring).

    Parameters
    ----------
    values, equations, sensitive, lpl, upl, allowed, cost
        As for :func:`~allychain.disclosure.suppress.pattern_suppression`.
    forced
        Cells withheld already (e.g. in an earlier linked release): kept, at no cost.
    time_limit
        Seconds for the whole loop; when it runs out the result has ``proven = False``
        and ``mask`` is the last master solution that passed the cut check, or ``None``.
    max_rounds
        Upper bound on master solves.

    Returns
    -------
    OptimalResult
        With ``proven = True`` the mask is a minimum-cost protecting pattern (for the
        a-priori bound ``U``); otherwise the caller must fall back to the heuristic.

    Raises
    ------
    DisclosureError
        No pattern can protect a sensitive cell (the master MIP is infeasible).
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    sens = np.asarray(sensitive, dtype=bool)
    ok = np.asarray(allowed, dtype=bool)
    if (sens & ~ok).any():
        raise DisclosureError(f"sensitive cell #{int(np.flatnonzero(sens & ~ok)[0])} can no longer be withheld")
    E = sp.csr_matrix(equations, dtype=float)
    U = float(v.max(initial=0.0) + max(upl.max(initial=0.0), lpl.max(initial=0.0))) + 1.0
    cuts: list[np.ndarray] = []
    rhs: list[float] = []
    for p in np.flatnonzero(sens):  # every equation through p needs a second withheld cell
        for row in np.flatnonzero(np.asarray(E[:, p].todense()).ravel()):
            a = np.zeros(n)
            a[E[row].indices] = 1.0
            a[p] = 0.0
            cuts.append(a)
            rhs.append(1.0)
    fixed = sens | (np.zeros(n, dtype=bool) if forced is None else np.asarray(forced, dtype=bool))
    cost = np.where(fixed & ~sens, 0.0, np.asarray(cost, dtype=float))
    col_lo = np.where(fixed, 1.0, 0.0)
    col_hi = np.where(ok | fixed, 1.0, 0.0)
    h = _attacker(E, n)
    start = time.perf_counter()
    targets = [(int(p), s, float(upl[p] if s > 0 else lpl[p])) for p in np.flatnonzero(sens) for s in (1.0, -1.0)]
    targets = [t for t in targets if t[2] > 0]
    for rounds in range(1, max_rounds + 1):
        left = time_limit - (time.perf_counter() - start)
        if left <= 0:
            break
        A = sp.csr_matrix(np.array(cuts)) if cuts else sp.csr_matrix((0, n))
        master = LP(c=cost, A=A, row_lo=np.array(rhs), row_hi=np.full(len(rhs), math.inf),
                    col_lo=col_lo, col_hi=col_hi, integer=np.ones(n, dtype=bool))
        sol = solve_lp(master, "suppression MIP", time_limit=left, mip_rel_gap=1e-9)
        if sol.status == Status.infeasible:
            raise DisclosureError("no suppression pattern can protect every sensitive cell")
        if sol.status != Status.optimal:
            break
        y = np.round(sol.x).clip(0, 1)
        new = 0
        for tp, s, level in targets:
            coef = _separate(h, E, y, v, U, tp, s, level)
            if coef is not None:
                cuts.append(coef)
                rhs.append(level)
                new += 1
        log.debug("exact suppression round %d: cost %g, %d new cut(s)", rounds, sol.objective, new)
        if not new:
            return OptimalResult(y.astype(bool), float(sol.objective), True, rounds, len(cuts))
    return OptimalResult(np.zeros(n, dtype=bool), math.nan, False, rounds, len(cuts))
