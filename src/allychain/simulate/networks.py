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

from allychain.errors import ScenarioError
from allychain.model.flows import UNKNOWN, FlowNetwork, flow_network, node_id
from allychain.model.network import Network
from allychain.model.stocks import stock_days
from allychain.simulate.system import SimSystem

__all__ = ["from_share_network", "from_site_network", "ROW"]

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


def from_site_network(net: Network, name: str | None = None) -> SimSystem:
    """Site-level system from ``nodes``, ``edges`` and ``bom`` (see the module docstring)."""
    nodes = net.nodes.reset_index(drop=True)
    ids = [str(v) for v in nodes["node_id"]]
    idx = {k: i for i, k in enumerate(ids)}
    n = len(ids)
    prod = [str(v) for v in nodes["product"]]
    products = list(dict.fromkeys(prod + [str(p) for p in net.bom["input_product"]]))
    pidx = {p: i for i, p in enumerate(products)}
    d = nodes["demand"].astype(float).fillna(0.0).to_numpy()
    q: dict[tuple[int, int], float] = {}
    for nid, p, qty in zip(net.bom["node_id"].astype(str), net.bom["input_product"].astype(str),
                           net.bom["quantity"].astype(float), strict=False):
        if nid not in idx:
            raise ScenarioError(f"bom: node {nid!r} is not in the nodes table")
        q[(pidx[p], idx[nid])] = q.get((pidx[p], idx[nid]), 0.0) + float(qty)
    ed = net.edges
    sup = np.array([idx[str(s)] for s in ed["supplier"]], dtype=np.int64)
    cus = np.array([idx[str(c)] for c in ed["customer"]], dtype=np.int64)
    share = ed["share"].astype(float).to_numpy()
    # normalise shares per (customer, product of supplier); missing → equal split
    key = pd.Series(list(zip(cus, [pidx[prod[k]] for k in sup], strict=False)))
    fill = pd.Series(share).isna()
    eq = 1.0 / key.map(key.value_counts()).to_numpy(dtype=float)
    share = np.where(fill, eq, share)
    tot = pd.Series(share).groupby(key).transform("sum").to_numpy()
    share = np.divide(share, tot, out=np.zeros_like(share), where=tot > 0)
    qty_e = np.array([q.get((pidx[prod[k]], j), 0.0) for k, j in zip(sup, cus, strict=False)])
    M = np.zeros((n, n))
    np.add.at(M, (sup, cus), share * qty_e)
    try:
        x = np.linalg.solve(np.eye(n) - M, d)
    except np.linalg.LinAlgError:
        raise ScenarioError("site network: the bills of materials and edges have no finite baseline "
                            "(I − M is singular: a node needs more of itself than it makes)") from None
    if (x < -1e-12).any():
        raise ScenarioError("site network: the baseline output is negative for some nodes; check bom quantities")
    x = np.clip(x, 0, None)
    cap = nodes["capacity"].astype(float).to_numpy()
    over = np.flatnonzero(x > cap * (1 + 1e-9))
    if len(over):
        log.warning("site network: baseline output exceeds capacity at %s", ", ".join(ids[i] for i in over[:5]))
    slots = sorted({(j, p) for (p, j) in q})  # by buyer, then product
    slot_index = {s: i for i, s in enumerate(slots)}
    slot_buyer = np.array([s[0] for s in slots], dtype=np.int64)
    slot_prod = np.array([s[1] for s in slots], dtype=np.int64)
    slot_a = np.array([q[(p, j)] for j, p in slots], dtype=float)
    inv = nodes["inventory"].astype(float).to_numpy()
    s_node = np.where(np.isfinite(inv) & (x > 0), np.maximum(np.divide(inv, x, out=np.zeros(n), where=x > 0), 1.0),
                      np.nan)
    keep = qty_e > 0
    edge_slot = np.array([slot_index[(j, pidx[prod[k]])] for k, j in zip(sup[keep], cus[keep], strict=False)], dtype=np.int64)
    region = nodes["country"].astype(object).where(nodes["country"].notna(), "unknown").astype(str).to_numpy()
    return SimSystem(
        node_ids=ids, node_region=region.astype(object), node_product=np.array([pidx[p] for p in prod]),
        products=products, x0=x, y0=d, slot_prod=slot_prod, slot_buyer=slot_buyer, slot_a=slot_a,
        slot_s=s_node[slot_buyer], edge_sup=sup[keep], edge_buyer=cus[keep], edge_slot=edge_slot,
        edge_z0=(share * qty_e * x[cus])[keep], fd=None, unit="units", name=name or net.name,
        edge_lag=(pd.to_numeric(ed["lead_time"], errors="coerce").to_numpy(dtype=float)[keep]
                  if "lead_time" in ed.columns else None),
        meta={"kind": "site", "capacity": cap})
