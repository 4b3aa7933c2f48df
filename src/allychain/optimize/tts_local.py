r"""Solving one disruption of the TTS/TTR programme on a region of the network, exactly.

On a large network a disruption changes the flows near the disrupted sites; far from them
the intact network keeps running as before.  :class:`LocalSolver` solves each programme
(TTS or impact, :mod:`allychain.optimize.ttr_tts`) on a *region* :math:`R` of nodes,
with everything outside it held at a reference plan, proves from the region's dual
solution that the result is the optimum of the whole programme, and grows the region
where the proof fails.  The answer is the full programme's optimum, not an approximation.

Reference plan
--------------
A per-period plan :math:`\bar z = (\bar x, \bar f)` of the *intact* network that meets all
demand with no inventory and no lost demand: :math:`\bar x_n = d_n + \sum_{e=(n,\cdot)}
\bar f_e`, each input row :math:`(n, p)` split over the edges delivering :math:`p` to
:math:`n` in proportion to ``edges.share`` (capacities where shares are missing),
:math:`\bar f_e = s_e q_{np} \bar x_n`, distribution edges carry nothing.  It is computed by
iterating :math:`\bar x \leftarrow d + P \bar x` (exact after as many passes as the
network is deep) and **checked** row by row against the programme with :math:`t = 1` and
:math:`I = 0` (:func:`reference_plan`).  Every row is homogeneous in :math:`(x, f, l, t)`
apart from the inventories :math:`I \ge 0` on the right, so :math:`t \bar z` is feasible
for every :math:`t \ge 0`: the intact network survives indefinitely (baseline TTS = ∞)
and needs no solve.  Where no such plan exists (``None``: demand beyond capacity, cycles
that do not converge, a row the split violates), the whole programme is solved as before
(:class:`~allychain.optimize.tts_solve.Solver`).

The region programme and why its optimum is the full optimum
-----------------------------------------------------------
Write the programme as :math:`\min c^\top z` s.t. :math:`A z \le b`, bounds, with the
disruption's bounds and the mode's (``t`` fixed at TTR for impact; ``l = 0`` and
:math:`\max t \le` horizon for TTS).  For a node set :math:`R` containing the disrupted
nodes, the *region programme* keeps the rows of the nodes in :math:`R` (their capacity,
output, input and loss rows), the columns that appear only in those rows (``x`` and ``l``
of nodes in :math:`R`, flows on edges with both ends in :math:`R`) and ``t``; every other
column is fixed at :math:`t \bar z_j` — so a *boundary* edge (one end in :math:`R`)
enters the region's rows as :math:`a_{ie} \bar f_e` added to the ``t`` column.

1. *Feasible.*  Its solution together with :math:`t^* \bar z` outside is feasible for the
   full programme: the region's rows hold by construction, every other row involves only
   columns at :math:`t^* \bar z` and no disrupted node, and holds because :math:`\bar z`
   is feasible at every scale.  So the region's optimum is at least as bad as the full
   optimum.
2. *Optimal when the duals say so.*  Let :math:`y_R` be the region's optimal row duals
   and set :math:`y = 0` on every other row.  Rows: :math:`y` has the right sign and
   complementary slackness holds (zero outside, the region's own inside).  Columns: one
   that appears only in rows outside :math:`R` has reduced cost :math:`d_j = c_j`, which
   is 0 for ``x`` and ``f`` and :math:`w_n \ge 0` for a loss column at its lower bound
   0 — optimal.  A column inside the region has the region's reduced cost.  What is
   left are the boundary edges, :math:`d_e = -\sum_{i \in R} a_{ie} y_i`, and ``t``,
   whose full column :math:`a_{\cdot t}` differs from the region's by the substituted
   boundary flows.  If every boundary edge with :math:`t^* \bar f_e > 0` has
   :math:`d_e = 0`, every other one :math:`d_e \ge 0`, and ``t``'s full reduced cost
   fits its bound status, then :math:`(z, y)` satisfies the KKT conditions of the full
   programme: the region's objective *is* the full optimum (TTS and impact alike).
3. *Otherwise* the outside ends of the violating boundary edges join :math:`R` and the
   region is solved again; an infeasible impact region (a node in it cannot deliver its
   outside customers' reference flows) takes in those customers.  The region only grows;
   once it holds more than half the network the whole network is taken, where there is
   no boundary and the check is empty.  The answer is therefore always the full
   programme's optimum (up to the solver's tolerances; the reduced-cost test uses
   ``1e-9``, stricter than HiGHS's own ``1e-7``).

An unbounded TTS region (no horizon, and the region survives any window) means the whole
programme is unbounded too: the combined solution is feasible for every ``t``.

Regions start from the disrupted nodes and their customers; each later solve starts from
the previous region's basis.  The cost follows how far a disruption reaches, not the size
of the network: on the synthetic firm networks a site drawn at random needs regions of a
few hundred to a few thousand sites at 10⁶ links, while the largest suppliers there reach
tens of thousands of sites and take minutes (docs/benchmarks.md, "Firm-scale networks").
"""

from __future__ import annotations

import logging
import math

import numpy as np
import scipy.sparse as sp

from allychain.errors import SolverError
from allychain.lp import LP, highs, load_lp, new_highs, status_of
from allychain.optimize.result import Status
from allychain.optimize.tts_model import TTSModel

__all__ = ["LocalSolver", "reference_plan"]

log = logging.getLogger(__name__)

_DUAL_TOL = 1e-9
_REL_FEAS = 1e-9


def _edge_inputs(model: TTSModel) -> tuple[np.ndarray, np.ndarray]:
    """Input row of each edge (``-1``: distribution edge or none) and the quantity of each input row."""
    N, E = model.n_nodes, model.n_edges
    A = model.lp.A.tocsc()
    if model.row_node is None:
        raise SolverError("the TTS model has no row owners; rebuild it with build_model")
    B = len(model.row_node) - 2 * N - len(model.demand_nodes)
    blk = A[2 * N:2 * N + B, :N].tocoo()
    q = np.zeros(B)
    q[blk.row] = blk.data
    fb = A[2 * N:2 * N + B, N:N + E].tocoo()
    edge_row = np.full(E, -1, dtype=np.int64)
    edge_row[fb.col] = fb.row
    return edge_row, q


def reference_plan(model: TTSModel) -> np.ndarray | None:
    r"""A per-period plan of the intact network meeting all demand without inventory.

    Returns the column vector :math:`\bar z` (``x``, ``f``, ``l = 0``, ``t = 1``) checked
    against every row with zero inventories, or ``None`` when the share (or capacity)
    split of the demand upstream violates a row or does not converge.  See the module
    docstring for why such a plan makes the intact network's TTS infinite.
    """
    N, E = model.n_nodes, model.n_edges
    es, ec = model.edge_supplier, model.edge_customer
    edge_row, q = _edge_inputs(model)
    has = edge_row >= 0
    share = model.edge_share if model.edge_share is not None else np.full(E, math.nan)
    A = model.lp.A
    d = model.demand.astype(float)
    for basis in ("share", "capacity"):
        raw = model.capacity[es].astype(float)
        if basis == "share":
            ok_e = np.isfinite(share) & (share > 0)
            bad_row = np.zeros(len(q) + 1, dtype=bool)
            bad_row[np.where(has & ~ok_e, edge_row, len(q))] = True
            use = ok_e & ~bad_row[np.where(has, edge_row, len(q))]
            if not use[has].any():
                continue
            raw = np.where(use, share, raw)
        raw = np.where(has, np.maximum(raw, 0.0), 0.0)
        tot = np.bincount(edge_row[has], weights=raw[has], minlength=len(q))
        cnt = np.bincount(edge_row[has], minlength=len(q)).astype(float)
        er = np.where(has, edge_row, 0)
        s = np.where(has, np.where(tot[er] > 0, raw / np.where(tot[er] > 0, tot[er], 1.0), 1.0 / np.maximum(cnt[er], 1)),
                     0.0)
        per_unit = s * np.where(has, q[er], 0.0)  # units on edge e per unit made by its customer
        P = sp.csr_matrix((per_unit, (es, ec)), shape=(N, N))
        x = d.copy()
        for _ in range(1000):
            nxt = d + P @ x
            if np.max(np.abs(nxt - x), initial=0.0) <= 1e-13 * max(1.0, float(np.max(np.abs(nxt), initial=0.0))):
                x = nxt
                break
            x = nxt
        else:
            continue
        z = np.zeros(A.shape[1])
        z[:N] = x
        z[N:N + E] = per_unit * x[ec]
        z[-1] = 1.0
        r = A @ z
        scale = abs(A) @ np.abs(z)
        if np.all(np.isfinite(r)) and np.all(r <= _REL_FEAS * scale + 1e-12):
            return z
    return None


class LocalSolver:
    """Disruptions of one model solved on growing regions, each result proved optimal for the whole
    programme (see the module docstring).

    Same interface as :class:`~allychain.optimize.tts_solve.Solver`: :meth:`tts` and :meth:`impact`.
    ``stats`` counts region solves, the largest region and the last one (nodes).
    """

    def __init__(self, model: TTSModel, ref: np.ndarray, lose_inventory: bool = False,
                 horizon: float = 1e6) -> None:
        if model.row_node is None:
            raise SolverError("the TTS model has no row owners; rebuild it with build_model")
        self.m = model
        self.ref = ref
        self.lose_inventory = lose_inventory
        self.horizon = float(horizon)
        self.csr = model.lp.A.tocsr()
        self.N, self.E = model.n_nodes, model.n_edges
        self.es, self.ec = model.edge_supplier.astype(np.int64), model.edge_customer.astype(np.int64)
        self.D = len(model.demand_nodes)
        self.row_node = model.row_node
        self.l_col = np.full(self.N, -1, dtype=np.int64)
        self.l_col[model.demand_nodes] = model.l0 + np.arange(self.D)
        peak = float(np.max(np.abs(model.weight))) if self.D else 0.0
        self.wscale = peak if math.isfinite(peak) and peak > 0 else 1.0
        self.stats = {"solves": 0, "largest_region": 0, "last_region": 0}

    @staticmethod
    def _warm(h: object, prev: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], cols: np.ndarray,
              rows: np.ndarray) -> None:
        """Start from the previous region's basis: its columns and rows keep their status, new
        columns start at their lower bound and new rows basic."""
        pc, pr, cs, rs = prev
        col = np.zeros(len(cols), dtype=np.int8)  # kLower
        k = np.searchsorted(pc, cols)
        hit = (k < len(pc)) & (pc[np.minimum(k, len(pc) - 1)] == cols)
        col[hit] = cs[k[hit]]
        row = np.ones(len(rows), dtype=np.int8)  # kBasic
        k = np.searchsorted(pr, rows)
        hit = (k < len(pr)) & (pr[np.minimum(k, len(pr) - 1)] == rows)
        row[hit] = rs[k[hit]]
        S = highs().HighsBasisStatus
        table = [S(v) for v in range(5)]
        b = highs().HighsBasis()
        b.col_status = [table[v] for v in col]
        b.row_status = [table[v] for v in row]
        b.valid = True
        h.setBasis(b)  # type: ignore[attr-defined]

    def _start(self, idx: np.ndarray) -> np.ndarray:
        """The first region: the disrupted nodes and their customers."""
        inR = np.zeros(self.N, dtype=bool)
        inR[idx] = True
        inR[self.ec[inR[self.es]]] = True
        return inR

    # -- one programme ---------------------------------------------------------------------------
    def _bounds(self, mode: str, idx: np.ndarray, t: float | None) -> tuple[np.ndarray, ...]:
        lp = self.m.lp_for(mode, idx.tolist(), t, self.lose_inventory)
        c = lp.c.copy()
        if mode == "impact":
            c[self.m.l0:self.m.l0 + self.D] /= self.wscale
        else:
            lp.col_hi[self.m.t_col] = self.horizon if math.isfinite(self.horizon) else math.inf
        return c, lp.col_lo, lp.col_hi, lp.row_hi

    def _solve(self, mode: str, idx: np.ndarray, t: float | None, what: str) -> tuple[float, float]:
        """Objective (``t`` for TTS, scaled-back weighted loss for impact) and lost units."""
        N, es, ec = self.N, self.es, self.ec
        c, lo, hi, rhi = self._bounds(mode, idx, t)
        tc = self.m.t_col
        inR = self._start(idx)
        prev: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        while True:
            if inR.sum() * 2 > N:
                inR[:] = True
            rows = np.flatnonzero(inR[self.row_node])
            ins, inc = inR[es], inR[ec]
            inner = np.flatnonzero(ins & inc)
            bnd = np.flatnonzero(ins ^ inc)
            nodes = np.flatnonzero(inR)
            lcols = self.l_col[nodes]
            cols = np.concatenate([nodes, N + inner, lcols[lcols >= 0], [tc]])
            sub = self.csr[rows]
            Bsub = sub[:, N + bnd].tocsc()
            t_orig = np.asarray(sub[:, [tc]].todense()).ravel()
            t_col = t_orig + Bsub @ self.ref[N + bnd]
            Asub = sp.hstack([sub[:, cols[:-1]], sp.csc_matrix(t_col.reshape(-1, 1))], format="csc")
            lp = LP(c=c[cols], A=Asub, row_lo=np.full(len(rows), -math.inf), row_hi=rhi[rows],
                    col_lo=lo[cols], col_hi=hi[cols])
            h = load_lp(lp, new_highs())
            if prev is not None:
                self._warm(h, prev, cols, rows)
                # devex pricing: steepest-edge weights would be recomputed from scratch for the new basis
                h.setOptionValue("simplex_dual_edge_weight_strategy", 1)
            h.run()
            st, text = status_of(h)
            self.stats["solves"] += 1
            self.stats["largest_region"] = max(self.stats["largest_region"], int(inR.sum()))
            self.stats["last_region"] = int(inR.sum())
            log.debug("%s %s: region of %d nodes, %d rows, %s in %.2f s (%d simplex iterations)", what, mode,
                      int(inR.sum()), len(rows), text, h.getRunTime(), h.getInfo().simplex_iteration_count)
            if st == Status.infeasible and mode == "impact" and not inR.all():
                # a node of the region cannot deliver an outside customer's reference flow
                out = bnd[ins[bnd] & (self.ref[N + bnd] > 0)]
                grow = ec[out] if len(out) else np.flatnonzero(~inR)
                inR[grow] = True
                continue
            if st == Status.unbounded and mode == "tts":
                return math.inf, 0.0
            if st != Status.optimal:
                raise SolverError(f"HiGHS could not solve the {mode} programme of {what} "
                                  f"(region of {int(inR.sum())} nodes): model status '{text}'")
            sol = h.getSolution()
            bas = h.getBasis()
            prev = (cols, rows, np.array([int(v) for v in bas.col_status], dtype=np.int8),
                    np.array([int(v) for v in bas.row_status], dtype=np.int8))
            xv = np.asarray(sol.col_value)
            y = np.asarray(sol.row_dual)
            ts = float(xv[-1])
            if not len(bnd):
                break
            d_b = -(Bsub.T @ y)
            v_b = ts * self.ref[N + bnd]
            bad = ((v_b > 0) & (np.abs(d_b) > _DUAL_TOL)) | (d_b < -_DUAL_TOL)
            if mode == "tts":
                d_t = c[tc] - float(t_orig @ y)
                tol_t = _DUAL_TOL * (1.0 + float(np.sum(self.ref[N + bnd])))
                at_lo, at_hi = ts <= 1e-12, ts >= hi[tc] * (1 - 1e-12)
                t_ok = (d_t >= -tol_t) if at_lo else ((d_t <= tol_t) if at_hi else abs(d_t) <= tol_t)
                if not t_ok:
                    bad |= (self.ref[N + bnd] > 0) & (np.abs(d_b) > _DUAL_TOL)
                    if not bad.any():
                        bad[:] = True
            if not bad.any():
                break
            b = bnd[bad]
            inR[np.where(ins[b], ec[b], es[b])] = True
        self._last = (cols, xv)
        obj = float(h.getInfo().objective_function_value)
        k = int((lcols >= 0).sum())
        lost = float(np.sum(xv[len(nodes) + len(inner):len(nodes) + len(inner) + k])) if k else 0.0
        if mode == "tts":
            return -obj, 0.0
        return obj * self.wscale, lost

    def last_solution(self) -> np.ndarray:
        """The last solve's solution of the whole programme: the region's values, ``t* z̄`` elsewhere."""
        cols, xv = self._last
        z = xv[-1] * self.ref
        z[cols] = xv
        return z

    # -- the Solver interface --------------------------------------------------------------------
    def tts(self, idx: np.ndarray, what: str) -> float:
        if not len(idx):
            return math.inf  # the reference plan survives any window
        value, _ = self._solve("tts", np.asarray(idx), None, what)
        if value >= self.horizon * (1 - 1e-9):
            return math.inf
        return value + 0.0

    def impact(self, idx: np.ndarray, ts: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
        out = np.full(len(ts), math.nan)
        lost = np.full(len(ts), math.nan)
        for k, t in enumerate(ts):
            if not math.isfinite(t):
                continue
            if not len(idx):
                out[k], lost[k] = 0.0, 0.0
                continue
            out[k], lost[k] = self._solve("impact", np.asarray(idx), float(t), what)
        return out, lost
