"""Country-level share networks as site-like networks for the TTS/TTR model.

A share network (items, providers, market shares, ``goes_into`` relations) has no
capacities, inventories or demand.  :func:`site_network` maps it to a site-level
network in normalised units so that the TTS/TTR model applies:

* **Nodes** — the provider × item nodes of :func:`allychain.model.flows.flow_network`
  (the same derivation the simulation uses): ``node_id = "KOR/N26"``, the unknown part
  of each market as ``ROW/<item>`` (not renormalised away, not disruptable: a disruption
  at an unknown location cannot be assessed).  The unit of an item is *one period of
  world supply* (default period: one month).
  ``capacity = share × (1 + headroom)`` (spare capacity, default 10 %),
  ``inventory = share × cover`` (months of normal output held, by item class).
* **Edges** — every provider of an input to every provider of the item it goes into
  (the flow network's inputs: ``goes_into``, and ``is_type_of`` read as variant →
  category unless ``is_type_of="ignore"``).
* **Bills of materials** — the flow network's quantities: an input that goes into ``k``
  items is split equally, ``quantity = 1 / k`` units per unit of each (so world input
  supply 1 serves world output 1 of each).
* **Local inputs** (labour, electricity; only when the flow network has them) — a
  consumer ``(c, t)`` is supplied by ``(c, input)`` alone; their nodes hold no inventory
  (power and people cannot be stocked) and recover in :data:`TTR_DEFAULTS` of their class.
* **Demand** — final items (going into no other item) feed a market node
  ``"market/<item>"`` with demand 1 (the world's normal consumption); its margin is the
  item's market size per period (USD) when every final item's market size is known,
  else none (lost demand is then counted in units of world supply, one basis for all
  markets).
* **TTR** — by item class, from :data:`TTR_DEFAULTS` (months; defined in
  :mod:`allychain.model.recovery`, shared with the severity score), overridable by class,
  kind or item id.

TTR defaults and their sources
------------------------------
The defaults per item class and the sources they rest on are tabled once, in
:mod:`allychain.model.recovery`.  They are planning assumptions, not measurements:
override them (``ttr={"tool": 12}``) with your own.

The default inventory cover (:data:`COVER_DEFAULTS`) and headroom are illustrative
assumptions (no published source), shown in the output so a user can replace them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from allychain.errors import AllychainError
from allychain.model.flows import UNKNOWN, FlowNetwork, flow_network, node_id
from allychain.model.network import Network
from allychain.model.recovery import CLASS_OF_KIND, TTR_DEFAULTS, TTR_SOURCES, item_class

__all__ = ["site_network", "TTR_DEFAULTS", "TTR_SOURCES", "COVER_DEFAULTS", "CLASS_OF_KIND", "item_class"]

#: default months of normal output held as inventory per class (illustrative assumptions)
COVER_DEFAULTS: dict[str, float] = {"process": 1.0, "chip": 2.0, "tool": 3.0, "material": 2.0,
                                    "electricity": 0.0, "labour": 0.0}


def _lookup(table: Mapping[str, float], defaults: Mapping[str, float], item: str, kind: str, cls: str) -> float:
    for key in (item, kind, cls):
        if key in table:
            return float(table[key])
    return float(defaults[cls])


def site_network(
    network: Network | FlowNetwork,
    *,
    headroom: float = 0.10,
    ttr: Mapping[str, float] | None = None,
    cover: Mapping[str, float] | None = None,
    year: int | None = None,
    period: str = "month",
    firm_shares: bool = True,
    is_type_of: str = "input",
    granularity: str = "country",
    source: Network | None = None,
) -> Network:
    """Map a share network to a site-like network (see module docs).

    Parameters
    ----------
    network
        A network with ``items``, ``providers``, ``shares`` and relations, or its
        already derived :class:`~allychain.model.flows.FlowNetwork` (then ``source``
        is the network it came from, for item names, kinds and market sizes).
    headroom
        Spare capacity as a fraction of normal output (0.10 = 10 %).
    ttr, cover
        Overrides of :data:`TTR_DEFAULTS` (months) and :data:`COVER_DEFAULTS`
        (months of output held), keyed by item id, item kind or class.
    year, firm_shares, is_type_of, granularity
        Passed to :func:`~allychain.model.flows.flow_network` (``granularity="firm"``:
        firm × item nodes, each in its firm's home country).

    Returns
    -------
    Network
        With ``nodes``, ``edges``, ``bom``; ``meta["disruptable"]`` lists the
        provider × item nodes of known location (market nodes and the unknown parts
        are not disrupted), ``meta["unknown"]`` the unknown part of each item's
        market, ``meta["assumptions"]`` the parameters used.

    Raises
    ------
    AllychainError
        If no item has a known positive share.
    """
    if headroom < 0:
        raise ValueError(f"headroom must be >= 0, got {headroom}")
    per_period = {"month": 12.0, "week": 52.0, "day": 365.0, "year": 1.0}.get(period)
    if per_period is None:
        raise ValueError(f"period must be month, week, day or year, got {period!r}")
    if isinstance(network, FlowNetwork):
        if source is None:
            raise ValueError("site_network(FlowNetwork) needs source=, the network the flows come from")
        flows, network = network, source
    else:
        flows = flow_network(network, year=year, firm_shares=firm_shares, is_type_of=is_type_of,
                             granularity=granularity)
    ttr, cover = dict(ttr or {}), dict(cover or {})
    f = flows.nodes
    if not (f["provider_id"] != UNKNOWN).any():
        raise AllychainError("no item has a known positive share; cannot build a provider × item network")
    nodes = _site_nodes(network, f, headroom, ttr, cover, flows.local)
    by_item = nodes.groupby("product", sort=False)["node_id"].apply(list).to_dict()
    provider_of = dict(zip(f["node_id"], f["provider_id"], strict=True))
    bom_rows: list[tuple[str, str, float]] = []
    edge_rows: list[tuple[str, str]] = []
    for t, src, q in zip(flows.inputs["item_id"], flows.inputs["input_id"], flows.inputs["quantity"], strict=True):
        for cust in by_item.get(t, []):
            bom_rows.append((cust, src, float(q)))
            if src in flows.local:
                edge_rows.append((node_id(provider_of[cust], src), cust))
            else:
                edge_rows.extend((sup, cust) for sup in by_item.get(src, []))
    markets = _markets(network, flows.finals, per_period)
    for it in flows.finals:
        edge_rows.extend((sup, node_id("market", it)) for sup in by_item.get(it, []))
    out_nodes = pd.concat([nodes, pd.DataFrame(markets)], ignore_index=True) if markets else nodes
    meta = {
        "description": f"provider × item mapping of {network.name}",
        "source_network": network.name,
        "period": period,
        "unit": f"one {period} of world supply of the item",
        "disruptable": list(f.loc[f["provider_id"] != UNKNOWN, "node_id"]),
        "unknown": flows.unknown().to_dict(),
        "flows": flows.choices,
        "assumptions": {"headroom": headroom, "ttr_months": {**TTR_DEFAULTS, **ttr},
                        "cover_months": {**COVER_DEFAULTS, **cover}, "ttr_sources": TTR_SOURCES},
    }
    return Network(name=f"{network.name}:country-items", nodes=out_nodes,
                   edges=pd.DataFrame(edge_rows, columns=["supplier", "customer"]).drop_duplicates(),
                   bom=pd.DataFrame(bom_rows, columns=["node_id", "input_product", "quantity"]),
                   alliances=network.alliances, meta=meta)


def _site_nodes(network: Network, f: pd.DataFrame, headroom: float, ttr: Mapping[str, float],
                cover: Mapping[str, float], local: Mapping[str, str]) -> pd.DataFrame:
    items = network.items.drop_duplicates("item_id").set_index("item_id")
    kind = f["item_id"].map(items["kind"]).astype(object)
    kind = kind.fillna(f["item_id"].map(pd.Series(dict(local), dtype=object))).fillna("process").astype(str)
    cls = kind.map(item_class)
    names = {str(i): str(nm) for i, nm in zip(network.stages["stage_id"], network.stages["name"], strict=False)}
    names.update({str(i): str(nm) for i, nm in zip(network.items["item_id"], network.items["name"], strict=False)})
    names.update({i: i for i in local})
    provider = f["provider_id"].where(f["provider_id"] != UNKNOWN, "unknown location")
    return pd.DataFrame({
        "node_id": f["node_id"].to_numpy(),
        "product": f["item_id"].to_numpy(),
        "capacity": (f["share"] * (1 + headroom)).to_numpy(),
        "inventory": [sh * _lookup(cover, COVER_DEFAULTS, i, k, c)
                      for sh, i, k, c in zip(f["share"], f["item_id"], kind, cls, strict=True)],
        "ttr": [_lookup(ttr, TTR_DEFAULTS, i, k, c) for i, k, c in zip(f["item_id"], kind, cls, strict=True)],
        "country": f["country"].astype(object).to_numpy(),
        "name": (provider.astype(str) + " " + f["item_id"].map(pd.Series(names, dtype=object)).astype(str)).to_numpy(),
        "stage": f["item_id"].map(items["stage_id"]).to_numpy(),
    })


def _markets(network: Network, finals: list[str], per_period: float) -> list[dict[str, object]]:
    items = network.items.drop_duplicates("item_id").set_index("item_id")
    sizes = {it: items["market_size"].get(it, math.nan) for it in finals}
    if any(pd.isna(v) for v in sizes.values()):
        # one unit basis for all markets: mixing values and units would skew the exposure index
        sizes = {it: math.nan for it in finals}
    return [{"node_id": node_id("market", it), "product": it, "capacity": 0.0, "inventory": 0.0, "demand": 1.0,
             "margin": float(sizes[it]) / per_period if pd.notna(sizes[it]) else math.nan, "ttr": math.nan,
             "country": None, "name": f"world market for {it}", "stage": None} for it in finals]
