"""The TTS/TTR linear programme: the compiled model of a site-level network.

:func:`build_model` compiles the LP once (vectorised, no solve); :class:`TTSModel` holds
it with the node attributes the results are described by.  The equations are in
:mod:`allychain.optimize.ttr_tts`.
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

from allychain.errors import AllychainError
from allychain.lp import LP
from allychain.model.network import Network

__all__ = ["TTSModel", "build_model", "site_view", "Disruptions", "normalise_disruptions", "ttr_of",
           "describe_nodes", "clean_values"]

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
    #: node owning each row (capacity, output, input and loss rows of that node)
    row_node: np.ndarray | None = None
    #: ``edges.share`` of each edge (NaN where unknown); used for the reference flows
    edge_share: np.ndarray | None = None

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

    es, ec, share = _site_edges(network.edges, pos)
    inputs = _input_requirements(network.bom, pos, es, ec, prod)
    d_nodes = np.flatnonzero(dem > 0)
    w, basis = _loss_weights(ids, margin, d_nodes, weights)
    lp = _assemble_lp(cap, inv, dem, prod, es, ec, inputs, d_nodes, w)
    row_node = np.concatenate([np.arange(N), np.arange(N), inputs.node, d_nodes]).astype(np.int64)
    return TTSModel(node_ids=ids, product=prod, country=country, capacity=cap, inventory=inv, demand=dem,
                    weight=w, ttr=ttr, demand_nodes=d_nodes, edge_supplier=es, edge_customer=ec, lp=lp,
                    weights=basis, meta={"bom_rows": int(inputs.n_rows), "inferred_bom_rows": int(inputs.n_inferred),
                                         "disruptable": list(network.meta.get("disruptable") or [])},
                    row_node=row_node, edge_share=share)


def _site_edges(edges: pd.DataFrame, pos: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Supplier and customer node positions of the edges between known nodes (others dropped, logged),
    and their ``share`` (NaN where unknown or absent)."""
    keep = edges["supplier"].isin(pos.index) & edges["customer"].isin(pos.index)
    if (~keep).any():
        log.warning("ignoring %d edge(s) with unknown nodes", int((~keep).sum()))
    es = pos[edges.loc[keep, "supplier"].astype(str)].to_numpy()
    ec = pos[edges.loc[keep, "customer"].astype(str)].to_numpy()
    if "share" in edges.columns:
        share = pd.to_numeric(edges.loc[keep, "share"], errors="coerce").to_numpy(dtype=float)
    else:
        share = np.full(len(es), math.nan)
    return es, ec, share


@dataclass
class _Inputs:
    """The input rows of the LP: one per (node, input product) that some edge supplies.

    ``node``, ``product`` and ``quantity`` (units of input per unit of output) per row;
    ``row`` maps (node position, product) to its row number (first one where duplicated).
    """

    node: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    row: pd.Series
    n_inferred: int

    @property
    def n_rows(self) -> int:
        return len(self.node)


def _input_requirements(bom: pd.DataFrame, pos: pd.Series, es: np.ndarray, ec: np.ndarray,
                        prod: np.ndarray) -> _Inputs:
    """The bill of materials as input rows: completed by the inputs edges deliver, cut to the supplied ones."""
    ep = prod[es]
    same = ep == prod[ec]
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
    brow = pd.Series(np.arange(len(b_node)), index=pd.MultiIndex.from_arrays([b_node, b_prod]))
    # aggregate duplicates (same node and input twice): keep first row number
    brow = brow[~brow.index.duplicated()]
    return _Inputs(node=b_node, product=b_prod, quantity=b_q, row=brow, n_inferred=len(extra))


def _loss_weights(ids: np.ndarray, margin: np.ndarray, d_nodes: np.ndarray,
                  weights: Mapping[str, float] | None) -> tuple[np.ndarray, str]:
    """Weight per unit of lost demand of each demand node, and its basis.

    The basis is ``"given"`` or ``"margin"``, ``"units"`` when no weight is known (all 1)
    and ``"mixed"`` when some are unknown (those set to 1).
    """
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
    return np.where(np.isnan(w), 1.0, w), basis


def _assemble_lp(cap: np.ndarray, inv: np.ndarray, dem: np.ndarray, prod: np.ndarray, es: np.ndarray,
                 ec: np.ndarray, inputs: _Inputs, d_nodes: np.ndarray, w: np.ndarray) -> LP:
    """The impact LP in the column and row blocks documented on :class:`TTSModel` (``t`` free)."""
    N, E, D, B = len(cap), len(es), len(d_nodes), inputs.n_rows
    ep = prod[es]
    same = ep == prod[ec]
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
    add(2 * N + np.arange(B), x0 + inputs.node, inputs.quantity)
    if B:
        ein = np.flatnonzero(~same)
        r_in = inputs.row.reindex(pd.MultiIndex.from_arrays([ec[ein], ep[ein]])).to_numpy()
        ok = ~np.isnan(r_in)
        add(2 * N + r_in[ok].astype(int), f0 + ein[ok], -1.0)
    # loss rows: l_n - d_n t <= 0
    add(2 * N + B + np.arange(D), l0 + np.arange(D), 1.0)
    add(2 * N + B + np.arange(D), np.full(D, tc), -dem[d_nodes])

    n_rows, n_cols = 2 * N + B + D, tc + 1
    A = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_cols))
    row_hi = np.concatenate([np.zeros(N), inv, np.zeros(B), np.zeros(D)])
    c = np.concatenate([np.zeros(N + E), w, [0.0]])
    return LP(c=c, A=A, row_lo=np.full(n_rows, -math.inf), row_hi=row_hi,
              col_lo=np.zeros(n_cols), col_hi=np.full(n_cols, math.inf))


def normalise_disruptions(model: TTSModel, disruptions: Disruptions) -> dict[str, list[str]]:
    """Disruptions as name → node ids (default: every disruptable node alone)."""
    if disruptions is None:
        ids = model.meta.get("disruptable") or model.node_ids
        return {str(i): [str(i)] for i in ids}
    if isinstance(disruptions, str):
        disruptions = [disruptions]
    if isinstance(disruptions, Mapping):
        return {str(k): [str(v)] if isinstance(v, str) else [str(x) for x in v] for k, v in disruptions.items()}
    return {str(k): [str(k)] for k in disruptions}


def ttr_of(model: TTSModel, groups: dict[str, np.ndarray], ttr: float | Mapping[str, float] | None) -> np.ndarray:
    """TTR per disruption: the override, else the largest TTR of its nodes (NaN: unknown)."""
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


def describe_nodes(model: TTSModel, idx: np.ndarray, arr: np.ndarray) -> Any:
    """The one value of ``arr`` over the nodes ``idx``, or the values joined."""
    vals = sorted({str(v) for v in arr[idx] if v is not None and v == v})
    return vals[0] if len(vals) == 1 else (", ".join(vals) if vals else None)


def clean_values(a: np.ndarray) -> np.ndarray:
    """Solver values rounded to 9 decimals (removes 1e-15 noise; inf and NaN kept)."""
    a = np.asarray(a, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(a), np.round(a, 9), a) + 0.0
