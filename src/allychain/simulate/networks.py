"""Share networks and site-level networks as simulation systems.

**Share networks** (country × item; the built-in data and ETO): there are no bilateral
flows in the data, only who makes what (shares) and what goes into what (relations).
The nodes, their shares, the unknown part of each market (``ROW/<item>``) and the
inputs come from :func:`allychain.model.flows.flow_network` — the same derivation the
TTS/TTR model uses.  On top of it (documented in ``docs/simulation.md``):

1. Units: each item's baseline world output is ``X_i = 1`` per step (an index: "one
   day of world supply"), so every flow is a share of a day of world supply; a node's
   baseline output is its share.
2. Requirements: an input's world output is split equally over the items it goes into
   (the flow network's ``quantity``): ``z(i→t) = X_i / k_i``.  Final items (going into
   nothing) have final demand ``y = x``.
3. Flows between countries are proportional (no bilateral data): the node
   ``(d, t)`` buys input ``i`` from ``(c, i)`` in proportion to ``c``'s share,
   ``z[(c,i),(d,t)] = share_c(i) · z(i→t) · share_d(t)``.  The technical coefficient of
   the slot ``(i, (d,t))`` is ``z(i→t)/X_t``.
4. Stocks: an input's target in days of use comes from its class
   (:func:`allychain.model.stocks.stock_days`: tools are capital goods, five years of
   deliveries); the other inputs take the engine's ``inventory_days``.

5. Local inputs (labour, electricity; only when the flow network has them): the node
   ``(d, t)`` draws them from ``(d, input)`` alone, ``z = z(i→t) · share_d(t)``, and holds
   one step of them (``slot_s = 1``: power and people cannot be stocked; one day is the
   shortest the daily model resolves), so a grid outage at ``d`` stops ``d``'s fabs
   within a step and nobody else's.

This gives a balanced baseline (output = deliveries + final demand at every node) on
which the ARIO engine runs unchanged; export restrictions act on country pairs.

**Site-level networks** (``nodes``, ``edges``, ``bom``): node ``j`` needs
``quantity[j, p]`` units of product ``p`` per unit of output, ordered from its suppliers
of ``p`` in proportion to the edge ``share`` (equal where missing).  The baseline output
solves ``x = M x + d`` (``M[k, j] = share_kj · quantity[j, product(k)]``, ``d`` = node
demand), i.e. ``x = (I − M)^-1 d``.  A node's ``inventory`` over its baseline output is
its inventory target in steps (for all its inputs); missing means the parameter default.
An edge's ``lead_time`` (periods, i.e. steps) becomes its transport lag when
``Params(transport_lags=True)``; missing means the parameter default.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allychain.errors import ScenarioError
from allychain.model.flows import UNKNOWN, FlowNetwork, flow_network, node_id
from allychain.model.network import Network
from allychain.model.stocks import stock_days
from allychain.simulate.system import SimSystem

__all__ = ["from_share_network", "from_site_network", "baseline_output", "ROW"]

log = logging.getLogger(__name__)

#: provider id of the unknown part of a market (see :data:`allychain.model.flows.UNKNOWN`)
ROW = UNKNOWN


def from_share_network(net: Network | FlowNetwork, name: str | None = None, **flow_options: Any) -> SimSystem:
    """Provider × item system of a share network (see the module docstring).

    ``net`` may be an already derived :class:`~allychain.model.flows.FlowNetwork`;
    ``flow_options`` go to :func:`~allychain.model.flows.flow_network`.
    """
    flows = net if isinstance(net, FlowNetwork) else flow_network(net, **flow_options)
    items = flows.items
    nodes = flows.nodes
    node_ids = nodes["node_id"].tolist()
    node_item = nodes["item_id"].tolist()
    n = len(node_ids)
    idx = {k: i for i, k in enumerate(node_ids)}
    pidx = {p: i for i, p in enumerate(items)}
    producers = flows.producers()
    x0 = nodes["share"].to_numpy(dtype=float)
    finals = set(flows.finals)
    y0 = np.where([it in finals for it in node_item], x0, 0.0)
    inputs_of: dict[str, list[tuple[str, float]]] = {}
    for tgt, src, q in zip(flows.inputs["item_id"], flows.inputs["input_id"], flows.inputs["quantity"], strict=True):
        inputs_of.setdefault(tgt, []).append((src, float(q)))
    provider = nodes["provider_id"].tolist()
    slot_rows: list[tuple[int, int, float]] = []
    slot_local: list[bool] = []
    edges: list[tuple[int, int, int, float]] = []
    for j in range(n):
        for src, a in sorted(inputs_of.get(node_item[j], []), key=lambda sq: pidx[sq[0]]):
            slot = len(slot_rows)
            slot_rows.append((pidx[src], j, a))
            slot_local.append(src in flows.local)
            sources = {provider[j]: 1.0} if src in flows.local else producers[src]
            for c, sc in sources.items():
                edges.append((idx[node_id(c, src)], j, slot, sc * a * x0[j]))
    e = np.array(edges, dtype=float).reshape(-1, 4)
    return SimSystem(
        node_ids=node_ids,
        node_region=nodes["country"].astype(str).to_numpy(dtype=object),
        node_product=np.array([pidx[i] for i in node_item], dtype=np.int64),
        products=items,
        x0=x0,
        y0=y0,
        slot_prod=np.array([r[0] for r in slot_rows], dtype=np.int64),
        slot_buyer=np.array([r[1] for r in slot_rows], dtype=np.int64),
        slot_a=np.array([r[2] for r in slot_rows], dtype=float),
        slot_s=np.array([1.0 if loc else stock_days(flows.kinds.get(items[r[0]]))
                         for r, loc in zip(slot_rows, slot_local, strict=True)], dtype=float),
        edge_sup=e[:, 0].astype(np.int64),
        edge_buyer=e[:, 1].astype(np.int64),
        edge_slot=e[:, 2].astype(np.int64),
        edge_z0=e[:, 3],
        fd=None,
        steps_per_year=365.0,
        unit="share of a day of world supply",
        name=name or (net.name if isinstance(net, Network) else "flow network"),
        meta={"kind": "shares", "row": ROW, "flows": flows.choices},
    )


def _index_of(values: pd.Series, index: pd.Index, what: str) -> np.ndarray:
    pos = index.get_indexer(values.astype(str))
    if (pos < 0).any():
        bad = values.astype(str).to_numpy()[pos < 0][0]
        raise ScenarioError(f"{what}: node {bad!r} is not in the nodes table")
    return pos.astype(np.int64)


def baseline_output(M: sp.spmatrix, d: np.ndarray) -> np.ndarray:
    """The baseline output ``x = M x + d`` (``M[k, j]``: units of ``k``'s output per unit of
    ``j``'s), sparse: an acyclic network is solved exactly level by level from the final
    customers down (each level one product over the flows); a network with cycles by a sparse
    LU factorisation (SuperLU).  Memory grows with the non-zeros of ``M``, never ``n²``.

    Raises
    ------
    ScenarioError
        When ``I − M`` is singular (a node needs more of itself than it makes).

    Examples
    --------
    >>> M = sp.csr_matrix(np.array([[0.0, 2.0], [0.0, 0.0]]))  # node 0 supplies 2 per unit of node 1
    >>> baseline_output(M, np.array([0.0, 3.0])).tolist()
    [6.0, 3.0]
    """
    n = len(d)
    R = sp.csr_matrix(M)
    C = R.tocsc()
    left = np.diff(R.indptr).astype(np.int64)  # customers not yet solved, per node
    x = np.zeros(n)
    ready = np.flatnonzero(left == 0)
    done = 0
    while len(ready) and done < n:
        x[ready] = d[ready] + R[ready] @ x
        done += len(ready)
        left[ready] = -1
        left -= np.bincount(C[:, ready].indices, minlength=n)  # their suppliers have one customer fewer to wait for
        ready = np.flatnonzero(left == 0)
    if done == n:
        return x
    import warnings

    from scipy.sparse.linalg import MatrixRankWarning, splu

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", MatrixRankWarning)
            x = splu(sp.csc_matrix(sp.identity(n) - C)).solve(np.asarray(d, dtype=float))
    except (RuntimeError, MatrixRankWarning):
        raise ScenarioError("site network: the bills of materials and edges have no finite baseline "
                            "(I − M is singular: a node needs more of itself than it makes)") from None
    if not np.isfinite(x).all():
        raise ScenarioError("site network: the bills of materials and edges have no finite baseline "
                            "(I − M is singular: a node needs more of itself than it makes)")
    return np.asarray(x)


def from_site_network(net: Network, name: str | None = None) -> SimSystem:
    """Site-level system from ``nodes``, ``edges`` and ``bom`` (see the module docstring).

    Vectorised and sparse: time and memory grow with the number of edges and BOM rows."""
    nodes = net.nodes.reset_index(drop=True)
    ids = [str(v) for v in nodes["node_id"]]
    id_index = pd.Index(ids)
    n = len(ids)
    prod = [str(v) for v in nodes["product"]]
    products = list(dict.fromkeys(prod + [str(p) for p in net.bom["input_product"]]))
    P = len(products)
    p_index = pd.Index(products)
    node_prod = p_index.get_indexer(prod).astype(np.int64)
    d = nodes["demand"].astype(float).fillna(0.0).to_numpy()
    # bom: quantity per (buyer, input product), duplicates added up; key = buyer · P + product
    b_node = _index_of(net.bom["node_id"], id_index, "bom")
    b_prod = p_index.get_indexer(net.bom["input_product"].astype(str)).astype(np.int64)
    q_keys, inv = np.unique(b_node * P + b_prod, return_inverse=True)
    q_val = np.bincount(inv.ravel(), weights=net.bom["quantity"].astype(float).to_numpy(), minlength=len(q_keys))
    ed = net.edges
    sup = _index_of(ed["supplier"], id_index, "edges (supplier)")
    cus = _index_of(ed["customer"], id_index, "edges (customer)")
    share = ed["share"].astype(float).to_numpy()
    # normalise shares per (customer, product of supplier); missing → equal split
    e_key = cus * P + node_prod[sup]
    _, g, cnt = np.unique(e_key, return_inverse=True, return_counts=True)
    g = g.ravel()
    share = np.where(np.isnan(share), 1.0 / cnt[g], share)
    tot = np.bincount(g, weights=share, minlength=len(cnt))[g]
    share = np.divide(share, tot, out=np.zeros_like(share), where=tot > 0)
    hit = np.minimum(np.searchsorted(q_keys, e_key), max(len(q_keys) - 1, 0))
    qty_e = np.where((len(q_keys) > 0) & (q_keys[hit] == e_key), q_val[hit] if len(q_keys) else 0.0, 0.0)
    M = sp.csr_matrix((share * qty_e, (sup, cus)), shape=(n, n))  # duplicates are added, as before
    x = baseline_output(M, d)
    if (x < -1e-12).any():
        raise ScenarioError("site network: the baseline output is negative for some nodes; check bom quantities")
    x = np.clip(x, 0, None)
    cap = nodes["capacity"].astype(float).to_numpy()
    over = np.flatnonzero(x > cap * (1 + 1e-9))
    if len(over):
        log.warning("site network: baseline output exceeds capacity at %s", ", ".join(ids[i] for i in over[:5]))
    slot_buyer = q_keys // P  # slots by buyer, then product
    slot_prod = q_keys % P
    inv_n = nodes["inventory"].astype(float).to_numpy()
    s_node = np.where(np.isfinite(inv_n) & (x > 0), np.maximum(np.divide(inv_n, x, out=np.zeros(n), where=x > 0),
                                                                1.0), np.nan)
    keep = qty_e > 0
    region = nodes["country"].astype(object).where(nodes["country"].notna(), "unknown").astype(str).to_numpy()
    return SimSystem(
        node_ids=ids, node_region=region.astype(object), node_product=node_prod,
        products=products, x0=x, y0=d, slot_prod=slot_prod, slot_buyer=slot_buyer, slot_a=q_val.astype(float),
        slot_s=s_node[slot_buyer], edge_sup=sup[keep], edge_buyer=cus[keep],
        edge_slot=np.searchsorted(q_keys, e_key[keep]).astype(np.int64),
        edge_z0=(share * qty_e * x[cus])[keep], fd=None, unit="units", name=name or net.name,
        edge_lag=(pd.to_numeric(ed["lead_time"], errors="coerce").to_numpy(dtype=float)[keep]
                  if "lead_time" in ed.columns else None),
        meta={"kind": "site", "capacity": cap})
