r"""Time-to-recover and time-to-survive analysis (Simchi-Levi et al.).

For a disruption that stops one node (or a set of nodes), two numbers are compared:

* **TTR**, the time to recover: how long the node is down (an input, ``nodes.ttr``);
* **TTS**, the time to survive: the longest time the rest of the network, with its
  inventories and the spare capacity of alternative suppliers, meets all demand.

A node with **TTS < TTR** is *unprotected*: demand is lost before it recovers.  The
**performance impact** of a disruption is the least weighted lost demand over its TTR;
the **risk exposure index** is the impact divided by the largest impact.

The linear programme (one aggregate period of length :math:`t`)
-----------------------------------------------------------------
Sets: nodes :math:`n` (product :math:`p_n`), edges :math:`e = (s, c)`, bill-of-materials
rows :math:`(n, p, q_{np})`, demand nodes :math:`D`.  Variables: production
:math:`x_n \ge 0`, flows :math:`f_e \ge 0`, lost demand :math:`l_n \ge 0` for
:math:`n \in D`, window length :math:`t`.

.. math::

    \min \; & \sum_{n \in D} w_n l_n \\
    \text{capacity:}\;& x_n \le \mathrm{cap}_n\, t \quad (x_n = 0 \text{ for disrupted } n) \\
    \text{output:}\;& \textstyle\sum_{e=(n,\cdot)} f_e + (d_n t - l_n)
        \le x_n + I_n + \sum_{e=(\cdot,n),\, p_s = p_n} f_e \\
    \text{inputs:}\;& q_{np}\, x_n \le \textstyle\sum_{e=(\cdot,n),\, p_s = p} f_e \\
    \text{loss:}\;& l_n \le d_n t

with :math:`I_n` the node's inventory (units of its product, usable during the
disruption unless ``lose_inventory``) and :math:`w_n` the margin per unit.  This is the
TTR model of Simchi-Levi et al. (2015) on a site-level network: flows are aggregated
over the window, alternative suppliers may be used up to their capacity along the
existing edges, lead times are not modelled.

* **Impact**: fix :math:`t = \mathrm{TTR}` and minimise the weighted loss.
* **TTS**: fix :math:`l = 0` and *maximise* :math:`t`.  Every constraint is linear in
  :math:`(x, f, t)` jointly, and :math:`t = 0` is feasible, so the set of survivable
  window lengths is the interval :math:`[0, \mathrm{TTS}]` and one LP gives TTS exactly
  (no bisection).  An unbounded LP means TTS = ∞ (the rest of the network covers the
  demand indefinitely).  Because the feasible set is that interval,
  ``TTS ≥ TTR`` ⇔ the impact LP at :math:`t = \mathrm{TTR}` has zero loss.

Conventions: an edge whose supplier makes the customer's own product is a
distribution (transshipment) edge and adds to the customer's available output; an
edge carrying a product missing from the customer's bill of materials counts as one
unit of input per unit of output; a bill-of-materials input that no edge supplies is
taken to come from outside the network (unconstrained).  Margins weight lost demand;
where a demand node has no margin the weight is 1 per unit and ``meta["weights"]``
says so.

Speed: the LP is built once (:func:`build_model`) and passed to HiGHS; each disruption
changes a few column bounds and re-solves from the previous basis (dual simplex warm
start).  ``workers > 1`` splits the disruptions over processes (or Dask with
``backend="dask"``), each building its own solver.

References
----------
Simchi-Levi, D., Schmidt, W., Wei, Y., Zhang, P. Y., Combs, K., Ge, Y., Gusikhin, O.,
Sanders, M., Zhang, D. (2015). Identifying risks and mitigating disruptions in the
automotive supply chain. *Interfaces* 45(5), 375–390.
Simchi-Levi, D., Schmidt, W., Wei, Y. (2014). From superstorms to factory fires:
managing unpredictable supply-chain disruptions. *Harvard Business Review* 92(1–2).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allychain.errors import AllychainError, SolverError
from allychain.lp import LP, highs, load_lp, new_highs, status_of
from allychain.model.network import Network
from allychain.optimize.result import Result, Status

__all__ = [
    "TTSModel",
    "build_model",
    "tts_ttr",
    "disruption_groups",
    "site_view",
]

log = logging.getLogger(__name__)

Disruptions = Sequence[str] | Mapping[str, Sequence[str]] | None


@dataclass
class TTSModel:
    """The compiled TTS/TTR linear programme of a site-level network.

    Column blocks: ``x`` (production, one per node) at ``[0, N)``, ``f`` (flows, one
    per edge) at ``[N, N+E)``, ``l`` (lost demand, one per demand node) at
    ``[N+E, N+E+D)``, and ``t`` (window length) last.  Row blocks: capacity ``[0, N)``,
    output ``[N, 2N)``, inputs ``[2N, 2N+B)``, loss ``[2N+B, 2N+B+D)``.

    :attr:`lp` is the impact LP with ``t`` free (bounds set per solve).
    """

    node_ids: np.ndarray
    product: np.ndarray
    country: np.ndarray
    capacity: np.ndarray
    inventory: np.ndarray
    demand: np.ndarray
    weight: np.ndarray  # per demand node (length D)
    ttr: np.ndarray
    demand_nodes: np.ndarray  # node index of each loss column
    edge_supplier: np.ndarray
    edge_customer: np.ndarray
    lp: LP
    weights: str = "margin"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return len(self.edge_supplier)

    @property
    def l0(self) -> int:
        return self.n_nodes + self.n_edges

    @property
    def t_col(self) -> int:
        return self.lp.shape[1] - 1

    def index(self, node_ids: Sequence[str]) -> np.ndarray:
        pos = {str(n): i for i, n in enumerate(self.node_ids)}
        missing = [n for n in node_ids if str(n) not in pos]
        if missing:
            raise AllychainError(f"unknown node(s) {', '.join(map(repr, missing))}; the network has "
                                 f"{self.n_nodes} nodes (list them with 'allychain data info')")
        return np.array([pos[str(n)] for n in node_ids], dtype=np.int32)

    def lp_for(self, mode: str, disrupted: Sequence[int] = (), t: float | None = None,
               lose_inventory: bool = False) -> LP:
        """A copy of the LP set up for one solve (used by tests and the reference loop).

        ``mode`` is ``"impact"`` (``t`` fixed, minimise weighted loss) or ``"tts"``
        (loss fixed at 0, maximise ``t``).
        """
        lp = self.lp
        c = lp.c.copy()
        lo, hi = lp.col_lo.copy(), lp.col_hi.copy()
        rhi = lp.row_hi.copy()
        N, l0, tc = self.n_nodes, self.l0, self.t_col
        D = len(self.demand_nodes)
        idx = np.asarray(disrupted, dtype=int)
        hi[idx] = 0.0
        if lose_inventory:
            rhi[N + idx] = 0.0
        if mode == "impact":
            if t is None or not math.isfinite(t):
                raise ValueError("impact mode needs a finite window length t")
            lo[tc] = hi[tc] = float(t)
        elif mode == "tts":
            c[:] = 0.0
            c[tc] = -1.0
            hi[l0:l0 + D] = 0.0
            lo[tc], hi[tc] = 0.0, math.inf
        else:
            raise ValueError(f"mode must be 'impact' or 'tts', got {mode!r}")
        return LP(c=c, A=lp.A, row_lo=lp.row_lo, row_hi=rhi, col_lo=lo, col_hi=hi, sense="min")


# --------------------------------------------------------------------------- building
def site_view(network: Network, **country_options: Any) -> Network:
    """The network itself when it has site-level nodes; else its country × item
    mapping (:func:`allychain.optimize.country.site_network`)."""
    if len(network.nodes):
        return network
    if len(network.shares):
        from allychain.optimize.country import site_network

        return site_network(network, **country_options)
    raise AllychainError("the network has neither site-level nodes nor shares; "
                         "load a native folder with nodes.csv or a share dataset")


def build_model(network: Network, weights: Mapping[str, float] | None = None) -> TTSModel:
    """Compile the TTS/TTR LP of a site-level network (vectorised, no solve).

    Parameters
    ----------
    network
        A network with ``nodes`` (and usually ``edges`` and ``bom``).
    weights
        Optional weight per unit of lost demand by node id, overriding ``margin``.

    Raises
    ------
    AllychainError
        If the network has no nodes or a capacity is missing.
    """
    nodes = network.nodes
    if nodes.empty:
        raise AllychainError("the network has no site-level nodes (nodes.csv); "
                             "for a share network use allychain.optimize.country.site_network")
    ids = nodes["node_id"].astype(str).to_numpy()
    N = len(ids)
    pos = pd.Series(np.arange(N), index=ids)
    cap = nodes["capacity"].to_numpy(dtype=float)
    if np.isnan(cap).any():
        bad = ", ".join(ids[np.isnan(cap)][:5])
        raise AllychainError(f"nodes without capacity: {bad}; expected units per period")
    inv = nodes["inventory"].fillna(0.0).to_numpy(dtype=float)
    dem = nodes["demand"].fillna(0.0).to_numpy(dtype=float)
    margin = nodes["margin"].to_numpy(dtype=float)
    prod = nodes["product"].astype(str).to_numpy()
    country = nodes["country"].astype(object).where(nodes["country"].notna(), None).to_numpy()
    ttr = nodes["ttr"].to_numpy(dtype=float)

    e = network.edges
    keep = e["supplier"].isin(pos.index) & e["customer"].isin(pos.index)
    if (~keep).any():
        log.warning("ignoring %d edge(s) with unknown nodes", int((~keep).sum()))
    es = pos[e.loc[keep, "supplier"].astype(str)].to_numpy()
    ec = pos[e.loc[keep, "customer"].astype(str)].to_numpy()
    E = len(es)
    ep = prod[es]
    same = ep == prod[ec]

    bom = network.bom
    bom = bom[bom["node_id"].isin(pos.index)]
    b_node = pos[bom["node_id"].astype(str)].to_numpy()
    b_prod = bom["input_product"].astype(str).to_numpy()
    b_q = bom["quantity"].to_numpy(dtype=float)
    # inputs delivered by edges but absent from the bill of materials: 1 unit per unit
    known = pd.MultiIndex.from_arrays([b_node, b_prod])
    eb = pd.MultiIndex.from_arrays([ec[~same], ep[~same]]).unique()
    extra = eb[~eb.isin(known)]
    if len(extra):
        log.info("%d edge input(s) missing from the bill of materials: 1 unit per unit assumed", len(extra))
        b_node = np.concatenate([b_node, extra.get_level_values(0).to_numpy(dtype=int)])
        b_prod = np.concatenate([b_prod, extra.get_level_values(1).to_numpy(dtype=str)])
        b_q = np.concatenate([b_q, np.ones(len(extra))])
    # keep bom rows that some edge supplies; the others come from outside the network
    bkey = pd.MultiIndex.from_arrays([b_node, b_prod])
    supplied = bkey.isin(eb)
    b_node, b_prod, b_q = b_node[supplied], b_prod[supplied], b_q[supplied]
    B = len(b_node)
    brow = pd.Series(np.arange(B), index=pd.MultiIndex.from_arrays([b_node, b_prod]))
    # aggregate duplicates (same node and input twice): keep first row number
    brow = brow[~brow.index.duplicated()]

    d_nodes = np.flatnonzero(dem > 0)
    D = len(d_nodes)
    if weights is not None:
        w = np.array([float(weights.get(ids[i], margin[i])) for i in d_nodes])
        basis = "given"
    else:
        w = margin[d_nodes]
        basis = "margin"
    if D and np.isnan(w).all():
        basis = "units"
    elif D and np.isnan(w).any():
        basis = "mixed"
    w = np.where(np.isnan(w), 1.0, w)

    x0, f0, l0, tc = 0, N, N + E, N + E + D
    rows, cols, vals = [], [], []

    def add(r: np.ndarray, c: np.ndarray, v: np.ndarray | float) -> None:
        r = np.asarray(r, dtype=np.int64)
        rows.append(r)
        cols.append(np.asarray(c, dtype=np.int64))
        vals.append(np.broadcast_to(np.asarray(v, dtype=float), r.shape).copy())

    ar = np.arange(N)
    # capacity rows: x_n - cap_n t <= 0
    add(ar, x0 + ar, 1.0)
    add(ar, np.full(N, tc), -cap)
    # output rows: sum f_out - sum f_in(same product) - x_n - l_n + d_n t <= I_n
    add(N + es, f0 + np.arange(E), 1.0)
    add(N + ec[same], f0 + np.flatnonzero(same), -1.0)
    add(N + ar, x0 + ar, -1.0)
    add(N + d_nodes, l0 + np.arange(D), -1.0)
    add(N + d_nodes, np.full(D, tc), dem[d_nodes])
    # input rows: q x_n - sum f_in(product p) <= 0
    add(2 * N + np.arange(B), x0 + b_node, b_q)
    if B:
        ein = np.flatnonzero(~same)
        r_in = brow.reindex(pd.MultiIndex.from_arrays([ec[ein], ep[ein]])).to_numpy()
        ok = ~np.isnan(r_in)
        add(2 * N + r_in[ok].astype(int), f0 + ein[ok], -1.0)
    # loss rows: l_n - d_n t <= 0
    add(2 * N + B + np.arange(D), l0 + np.arange(D), 1.0)
    add(2 * N + B + np.arange(D), np.full(D, tc), -dem[d_nodes])

    n_rows, n_cols = 2 * N + B + D, tc + 1
    A = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_cols))
    row_hi = np.concatenate([np.zeros(N), inv, np.zeros(B), np.zeros(D)])
    c = np.concatenate([np.zeros(N + E), w, [0.0]])
    lp = LP(c=c, A=A, row_lo=np.full(n_rows, -math.inf), row_hi=row_hi,
            col_lo=np.zeros(n_cols), col_hi=np.full(n_cols, math.inf))
    return TTSModel(node_ids=ids, product=prod, country=country, capacity=cap, inventory=inv, demand=dem,
                    weight=w, ttr=ttr, demand_nodes=d_nodes, edge_supplier=es, edge_customer=ec, lp=lp,
                    weights=basis, meta={"bom_rows": int(B), "inferred_bom_rows": int(len(extra)),
                                         "disruptable": list(network.meta.get("disruptable") or [])})


# --------------------------------------------------------------------------- solving
class _Solver:
    """One HiGHS instance holding the model; disruptions change bounds and re-solve."""

    def __init__(self, model: TTSModel, lose_inventory: bool = False, horizon: float = 1e6) -> None:
        self.m = model
        self.horizon = float(horizon)
        self.lose_inventory = lose_inventory
        self.h = load_lp(model.lp, new_highs())
        # re-solves start from the previous basis: presolve would only redo work on each call,
        # and Dantzig pricing avoids recomputing steepest-edge weights after every bound change
        # (3-4x faster re-solves on the 1,000-node benchmark)
        self.h.setOptionValue("presolve", "off")
        self.h.setOptionValue("simplex_dual_edge_weight_strategy", 0)
        self.inf = highs().kHighsInf
        self.mode = "impact"
        self.D = len(model.demand_nodes)

    def set_mode(self, mode: str) -> None:
        m, h, D = self.m, self.h, self.D
        l_idx = np.arange(m.l0, m.l0 + D, dtype=np.int32)
        if mode == "tts":
            if D:
                h.changeColsCost(D, l_idx, np.zeros(D))
                h.changeColsBounds(D, l_idx, np.zeros(D), np.zeros(D))
            h.changeColCost(m.t_col, -1.0)
            h.changeColBounds(m.t_col, 0.0, self.horizon if math.isfinite(self.horizon) else self.inf)
        else:
            if D:
                h.changeColsCost(D, l_idx, m.weight)
                h.changeColsBounds(D, l_idx, np.zeros(D), np.full(D, self.inf))
            h.changeColCost(m.t_col, 0.0)
        self.mode = mode

    def _disrupt(self, idx: np.ndarray, on: bool) -> None:
        k = len(idx)
        if not k:
            return
        self.h.changeColsBounds(k, idx, np.zeros(k), np.zeros(k) if on else np.full(k, self.inf))
        if self.lose_inventory:
            for i in idx:
                self.h.changeRowBounds(int(self.m.n_nodes + i), -self.inf, 0.0 if on else float(self.m.inventory[i]))

    def _run(self, what: str) -> tuple[Status, str]:
        self.h.run()
        st, text = status_of(self.h)
        if st == Status.error:
            raise SolverError(f"HiGHS could not solve the {what}: model status '{text}'")
        return st, text

    def tts(self, idx: np.ndarray, what: str) -> float:
        if self.mode != "tts":
            self.set_mode("tts")
        self._disrupt(idx, True)
        try:
            st, text = self._run(what)
            value = -float(self.h.getInfo().objective_function_value)  # read before the model changes
        finally:
            self._disrupt(idx, False)
        if st == Status.unbounded or value >= self.horizon * (1 - 1e-9):
            return math.inf
        if st != Status.optimal:
            raise SolverError(f"the TTS programme for {what} is {text}; t = 0 should always be feasible — "
                              "check for negative inventories or capacities")
        return value + 0.0

    def impact(self, idx: np.ndarray, ts: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
        if self.mode != "impact":
            self.set_mode("impact")
        m = self.m
        out = np.full(len(ts), math.nan)
        lost = np.full(len(ts), math.nan)
        self._disrupt(idx, True)
        try:
            for k, t in enumerate(ts):
                if not math.isfinite(t):
                    continue
                self.h.changeColBounds(m.t_col, float(t), float(t))
                st, text = self._run(what)
                if st != Status.optimal:
                    raise SolverError(f"the impact programme for {what} at t={t:g} is {text}; "
                                      "losing all demand should always be feasible")
                out[k] = float(self.h.getInfo().objective_function_value)
                if self.D:
                    x = self.h.getSolution().col_value
                    lost[k] = float(np.sum(np.asarray(x[m.l0:m.l0 + self.D])))
                else:
                    lost[k] = 0.0
        finally:
            self._disrupt(idx, False)
        return out, lost


def _solve_chunk(model: TTSModel, names: list[str], groups: list[np.ndarray], ts: list[np.ndarray],
                 lose_inventory: bool, horizon: float = 1e6,
                 ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    s = _Solver(model, lose_inventory, horizon)
    tts = np.full(len(groups), math.nan)
    for k, (nm, g) in enumerate(zip(names, groups, strict=False)):
        tts[k] = s.tts(g, f"disruption {nm!r}")
    imp, lost = [], []
    for nm, g, t in zip(names, groups, ts, strict=False):
        a, b = s.impact(g, t, f"disruption {nm!r}")
        imp.append(a)
        lost.append(b)
    return tts, imp, lost


def _run_all(model: TTSModel, names: list[str], groups: list[np.ndarray], ts: list[np.ndarray],
             lose_inventory: bool, workers: int, backend: str, horizon: float = 1e6,
             ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    if workers <= 1 or len(groups) < 2 * workers:
        return _solve_chunk(model, names, groups, ts, lose_inventory, horizon)
    bounds = np.linspace(0, len(groups), workers + 1).astype(int)
    chunks = [(names[a:b], groups[a:b], ts[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=False) if b > a]
    if backend == "dask":
        try:
            import dask
        except ImportError:
            raise AllychainError("backend='dask' needs dask: pip install 'allychain[dask]'") from None
        tasks = [dask.delayed(_solve_chunk)(model, *ch, lose_inventory, horizon) for ch in chunks]
        parts = dask.compute(*tasks, scheduler="processes", num_workers=workers)
    elif backend == "processes":
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            futs = [pool.submit(_solve_chunk, model, *ch, lose_inventory, horizon) for ch in chunks]
            parts = [f.result() for f in futs]
    else:
        raise ValueError(f"backend must be 'processes' or 'dask', got {backend!r}")
    tts = np.concatenate([p[0] for p in parts])
    imp = [a for p in parts for a in p[1]]
    lost = [a for p in parts for a in p[2]]
    return tts, imp, lost


# --------------------------------------------------------------------------- public API
def disruption_groups(network: Network, by: str | Sequence[str] = "node") -> dict[str, list[str]]:
    """Disruption scenarios: one per node (``by="node"``) or one per group of nodes
    sharing the given node columns, e.g. ``by=("country", "product")`` (named
    ``"KOR/wafer"``) or ``by="country"``.  Nodes with a missing key are left out."""
    nodes = network.nodes
    if by == "node" or by == ["node"] or by == ("node",):
        return {str(i): [str(i)] for i in nodes["node_id"]}
    cols = [by] if isinstance(by, str) else list(by)
    bad = [c for c in cols if c not in nodes.columns]
    if bad:
        raise AllychainError(f"cannot group disruptions by {bad}; expected node columns such as country, product")
    out: dict[str, list[str]] = {}
    sub = nodes.dropna(subset=cols)
    for key, g in sub.groupby(cols, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        out["/".join(map(str, key))] = list(g["node_id"].astype(str))
    return out


def _normalise(model: TTSModel, disruptions: Disruptions) -> dict[str, list[str]]:
    if disruptions is None:
        ids = model.meta.get("disruptable") or model.node_ids
        return {str(i): [str(i)] for i in ids}
    if isinstance(disruptions, str):
        disruptions = [disruptions]
    if isinstance(disruptions, Mapping):
        return {str(k): [str(v)] if isinstance(v, str) else [str(x) for x in v] for k, v in disruptions.items()}
    return {str(k): [str(k)] for k in disruptions}


def _ttr_of(model: TTSModel, groups: dict[str, np.ndarray], ttr: float | Mapping[str, float] | None) -> np.ndarray:
    out = np.full(len(groups), math.nan)
    for k, (name, idx) in enumerate(groups.items()):
        if isinstance(ttr, Mapping) and name in ttr:
            out[k] = float(ttr[name])
        elif ttr is not None and not isinstance(ttr, Mapping):
            out[k] = float(ttr)
        else:
            vals = model.ttr[idx]
            out[k] = float(np.nanmax(vals)) if np.isfinite(vals).any() else math.nan
    return out


def _describe(model: TTSModel, idx: np.ndarray, arr: np.ndarray) -> Any:
    vals = sorted({str(v) for v in arr[idx] if v is not None and v == v})
    return vals[0] if len(vals) == 1 else (", ".join(vals) if vals else None)


def tts_ttr(
    network: Network | TTSModel,
    disruptions: Disruptions = None,
    *,
    ttr: float | Mapping[str, float] | None = None,
    weights: Mapping[str, float] | None = None,
    lose_inventory: bool = False,
    horizon: float = 1e6,
    workers: int = 1,
    backend: str = "processes",
) -> Result:
    """Time-to-survive, time-to-recover, performance impact and risk exposure index.

    Parameters
    ----------
    network
        A site-level network, a share network (mapped with
        :func:`allychain.optimize.country.site_network` defaults) or a compiled
        :class:`TTSModel`.
    disruptions
        ``None`` — every node alone (for a mapped share network: every country ×
        item node, not the market nodes); a list of node ids — each alone; a mapping
        name → node ids — each set disrupted together (see :func:`disruption_groups`).
    ttr
        Time to recover in periods: ``None`` takes ``nodes.ttr`` (the largest of a
        set), a number applies to all, a mapping overrides by disruption name.
    weights
        Weight per unit of lost demand by node id (default: ``margin``).
    lose_inventory
        Whether the disrupted node's own inventory is lost with it (default: usable).
    horizon
        Upper bound on ``t`` in the TTS programme, periods; a TTS reaching it is
        reported as ``inf`` (bounding ``t`` keeps the re-solves warm; an unbounded
        programme makes HiGHS re-check from scratch).
    workers, backend
        Solve in ``workers`` processes (``"processes"`` or ``"dask"``); default one.

    Returns
    -------
    Result
        ``status`` optimal; ``objective`` = the largest impact; table ``tts`` with
        columns ``disruption, nodes, country, product, ttr, tts, impact, lost_units,
        rei, unprotected`` (``unprotected`` is NA where TTR is unknown; impact and
        REI are NaN there too — not assessable).  ``meta`` holds ``baseline_tts``
        (TTS with nothing disrupted; finite means demand exceeds what the intact
        network can supply for long) and ``weights`` (margin, units or mixed).

    Raises
    ------
    AllychainError
        Unknown node ids; a network without nodes or shares.
    SolverError
        HiGHS fails on one of the programmes.

    Notes
    -----
    Cost: two LP re-solves per disruption (TTS and impact), each warm-started.
    """
    model = network if isinstance(network, TTSModel) else build_model(site_view(network), weights)
    named = _normalise(model, disruptions)
    groups = {k: model.index(v) for k, v in named.items()}
    ttrs = _ttr_of(model, groups, ttr)
    names = list(groups)
    tts, imp, lost = _run_all(model, names, list(groups.values()), [np.array([t]) for t in ttrs],
                              lose_inventory, workers, backend, horizon)
    base_tts = _solve_chunk(model, ["(none)"], [np.array([], dtype=np.int32)], [np.array([math.nan])],
                            lose_inventory, horizon)[0][0]
    impact = np.array([a[0] for a in imp])
    lost_u = np.array([a[0] for a in lost])
    top = np.nanmax(impact) if np.isfinite(impact).any() else math.nan
    rei = impact / top if top and top > 0 else np.where(np.isnan(impact), math.nan, 0.0)
    unprot = pd.array([None if math.isnan(r) else bool(s < r) for s, r in zip(tts, ttrs, strict=False)], dtype="boolean")
    table = pd.DataFrame({
        "disruption": names,
        "nodes": [", ".join(v) for v in named.values()],
        "country": [_describe(model, g, model.country) for g in groups.values()],
        "product": [_describe(model, g, model.product) for g in groups.values()],
        "ttr": ttrs,
        "tts": _clean(tts),
        "impact": _clean(impact),
        "lost_units": _clean(lost_u),
        "rei": rei,
        "unprotected": unprot,
    })
    n_unp = int(table["unprotected"].fillna(False).sum())
    n_unknown = int(table["unprotected"].isna().sum())
    msg = (f"{len(table)} disruption(s): {n_unp} unprotected (TTS < TTR)"
           + (f", {n_unknown} without TTR (not assessable)" if n_unknown else ""))
    if math.isfinite(base_tts):
        msg += f"; note: even undisrupted, the network meets demand only for {base_tts:.4g} periods"
    meta = {"baseline_tts": base_tts, "weights": model.weights, "nodes": model.n_nodes, "edges": model.n_edges,
            "demand_nodes": int(len(model.demand_nodes)), "lose_inventory": lose_inventory,
            "objective_unit": "largest weighted lost demand (margin × units)"}
    return Result("tts", Status.optimal, float(top) if top == top else math.nan, {"tts": table}, msg, meta)


def _clean(a: np.ndarray) -> np.ndarray:
    """Solver values rounded to 9 decimals (removes 1e-15 noise; inf and NaN kept)."""
    a = np.asarray(a, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(a), np.round(a, 9), a) + 0.0
