"""Country-level share networks as site-like networks for the TTS/TTR model.

A share network (items, providers, market shares, ``goes_into`` relations) has no
capacities, inventories or demand.  :func:`site_network` maps it to a site-level
network in normalised units so that the TTS/TTR model applies:

* **Nodes** — one per country (or region/aggregate) × item with a known, positive
  share: ``node_id = "KOR:N26"``; items with only firm shares use the firms' home
  countries.  The unit of an item is *one period of world
  supply* (default period: one month), with shares renormalised over the providers
  whose share is known (unknown shares are left out, never read as zero).
  ``capacity = share × (1 + headroom)`` (spare capacity, default 10 %),
  ``inventory = share × cover`` (months of normal output held, by item class).
* **Edges** — every provider of an input to every provider of the item it goes into
  (``goes_into`` relations; variants linked only by ``is_type_of`` are left out).
* **Bills of materials** — an input that goes into ``k`` items is split equally:
  ``quantity = 1 / k`` units per unit of each (so world input supply 1 serves world
  output 1 of each).
* **Demand** — items that go into no other item with shares are final: a market node
  ``"market:<item>"`` with demand 1 (the world's normal consumption) receives them;
  its margin is the item's market size per period (USD) when every final item's
  market size is known, else none (lost demand is then counted in units of world
  supply, one basis for all markets).
* **TTR** — by item class, from :data:`TTR_DEFAULTS` (months), overridable by class,
  kind or item id.

TTR defaults and their sources
------------------------------
=========  ===========  ===================================================================
class      TTR, months  basis
=========  ===========  ===================================================================
process    21           rebuilding or requalifying a fab / assembly-test site: 18–24 months
chip       21           as process (chips come from fabs)
tool       15           equipment lead times of 12–18 months
material   9            qualifying a new material or chemical supplier: 6–12 months
=========  ===========  ===================================================================

The ranges are the orders of magnitude reported in SIA & BCG (2021), *Strengthening the
Global Semiconductor Supply Chain in an Uncertain Era* (fab construction and
equipment lead times) and in industry accounts of supplier qualification for
materials; defaults are the mid-points.  They are planning assumptions, not
measurements: override them (``ttr={"tool": 12}``) with your own.

The default inventory cover (:data:`COVER_DEFAULTS`) and headroom are illustrative
assumptions (no published source), shown in the output so a user can replace them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from allychain.errors import AllychainError
from allychain.model.network import Network
from allychain.model.views import share_snapshot

__all__ = ["site_network", "TTR_DEFAULTS", "TTR_SOURCES", "COVER_DEFAULTS", "CLASS_OF_KIND", "item_class"]

#: item kind → TTR class
CLASS_OF_KIND: dict[str, str] = {
    "tool": "tool",
    "material": "material",
    "chemical": "material",
    "raw_material": "material",
    "chip": "chip",
    "output": "chip",
    "process": "process",
    "design": "process",
}

#: default time to recover per class, months
TTR_DEFAULTS: dict[str, float] = {"process": 21.0, "chip": 21.0, "tool": 15.0, "material": 9.0}

TTR_SOURCES: dict[str, str] = {
    "process": "fab / assembly-test rebuild or requalification 18–24 months (SIA & BCG 2021, order of magnitude)",
    "chip": "as process: chips are made in fabs (SIA & BCG 2021, order of magnitude)",
    "tool": "semiconductor equipment lead times 12–18 months (SIA & BCG 2021, order of magnitude)",
    "material": "qualification of a new material or chemical supplier 6–12 months (industry accounts)",
}

#: default months of normal output held as inventory per class (illustrative assumptions)
COVER_DEFAULTS: dict[str, float] = {"process": 1.0, "chip": 2.0, "tool": 3.0, "material": 2.0}


def item_class(kind: object) -> str:
    """TTR class of an item kind (unknown kinds count as ``process``)."""
    return CLASS_OF_KIND.get(str(kind), "process")


def _lookup(table: Mapping[str, float], defaults: Mapping[str, float], item: str, kind: str, cls: str) -> float:
    for key in (item, kind, cls):
        if key in table:
            return float(table[key])
    return float(defaults[cls])


def site_network(
    network: Network,
    *,
    headroom: float = 0.10,
    ttr: Mapping[str, float] | None = None,
    cover: Mapping[str, float] | None = None,
    year: int | None = None,
    period: str = "month",
    firm_shares: bool = True,
) -> Network:
    """Map a country-level share network to a site-like network (see module docs).

    Parameters
    ----------
    network
        A network with ``items``, ``providers``, ``shares`` and ``goes_into`` relations.
    headroom
        Spare capacity as a fraction of normal output (0.10 = 10 %).
    ttr, cover
        Overrides of :data:`TTR_DEFAULTS` (months) and :data:`COVER_DEFAULTS`
        (months of output held), keyed by item id, item kind or class.
    year
        Share year (default: the latest per item, see :func:`share_snapshot`).
    firm_shares
        For items without country rows, sum firm shares by the firms' home country.

    Returns
    -------
    Network
        With ``nodes``, ``edges``, ``bom``; ``meta["disruptable"]`` lists the
        country × item nodes (market nodes are not disrupted), ``meta["assumptions"]``
        the parameters used.

    Raises
    ------
    AllychainError
        If no item has a known positive country share.
    """
    if headroom < 0:
        raise ValueError(f"headroom must be >= 0, got {headroom}")
    ttr, cover = dict(ttr or {}), dict(cover or {})
    s = share_snapshot(network, level="country", year=year)
    s = s[s["share"].notna() & (s["share"] > 0)]
    if firm_shares:
        f = share_snapshot(network, level="firm", year=year)
        f = f[f["share"].notna() & (f["share"] > 0) & f["provider_country"].notna()
              & ~f["item_id"].isin(set(s["item_id"]))]
        if len(f):
            f = f.assign(provider_id=f["provider_country"].astype(str))
            s = pd.concat([s, f], ignore_index=True)
    if s.empty:
        raise AllychainError("no item has a known positive country share; cannot build a country × item network")
    s = s.groupby(["item_id", "provider_id"], as_index=False)["share"].sum()
    s["share"] = s["share"] / s.groupby("item_id")["share"].transform("sum")
    items = network.items.drop_duplicates("item_id").set_index("item_id")
    kind = s["item_id"].map(items["kind"]).astype(object).fillna("process").astype(str)
    cls = kind.map(item_class)
    with_shares = set(s["item_id"])
    rel = network.relations
    rel = rel[(rel["kind"] == "goes_into") & rel["source"].isin(with_shares) & rel["target"].isin(with_shares)]
    rel = rel.drop_duplicates(["source", "target"])
    rel = rel[rel["source"] != rel["target"]]
    names = {str(i): str(nm) for i, nm in zip(network.stages["stage_id"], network.stages["name"], strict=False)}
    names.update({str(i): str(nm) for i, nm in zip(network.items["item_id"], network.items["name"], strict=False)})
    names = pd.Series(names, dtype=object)
    ids = s["provider_id"].astype(str) + ":" + s["item_id"].astype(str)
    nodes = pd.DataFrame({
        "node_id": ids.to_numpy(),
        "product": s["item_id"].astype(str).to_numpy(),
        "capacity": (s["share"] * (1 + headroom)).to_numpy(),
        "inventory": [sh * _lookup(cover, COVER_DEFAULTS, i, k, c)
                      for sh, i, k, c in zip(s["share"], s["item_id"], kind, cls, strict=False)],
        "ttr": [_lookup(ttr, TTR_DEFAULTS, i, k, c) for i, k, c in zip(s["item_id"], kind, cls, strict=False)],
        "country": s["provider_id"].astype(str).to_numpy(),
        "name": (s["provider_id"].astype(str) + " " + s["item_id"].map(names).astype(str)).to_numpy(),
        "stage": s["item_id"].map(items["stage_id"]).to_numpy(),
    })
    by_item = nodes.groupby("product")["node_id"].apply(list).to_dict()
    # bills of materials: each input split equally over the items it goes into
    fanout = rel.groupby("source")["target"].transform("count")
    bom_pairs = pd.DataFrame({"target": rel["target"].astype(str), "source": rel["source"].astype(str),
                              "q": 1.0 / fanout.to_numpy()})
    bom_rows: list[tuple[str, str, float]] = []
    edge_rows: list[tuple[str, str]] = []
    for t, src, q in bom_pairs.itertuples(index=False):
        for cust in by_item.get(t, []):
            bom_rows.append((cust, src, q))
            edge_rows.extend((sup, cust) for sup in by_item.get(src, []))
    # final items: markets
    finals = sorted(set(nodes["product"]) - set(rel["source"]))
    per_period = {"month": 12.0, "week": 52.0, "day": 365.0, "year": 1.0}.get(period)
    if per_period is None:
        raise ValueError(f"period must be month, week, day or year, got {period!r}")
    sizes = {it: items["market_size"].get(it, math.nan) for it in finals}
    if any(pd.isna(v) for v in sizes.values()):
        # one unit basis for all markets: mixing values and units would skew the exposure index
        sizes = {it: math.nan for it in finals}
    markets = []
    for it in finals:
        size = sizes[it]
        markets.append({"node_id": f"market:{it}", "product": it, "capacity": 0.0, "inventory": 0.0,
                        "demand": 1.0, "margin": float(size) / per_period if pd.notna(size) else math.nan,
                        "ttr": math.nan, "country": None, "name": f"world market for {it}", "stage": None})
        edge_rows.extend((sup, f"market:{it}") for sup in by_item.get(it, []))
    out_nodes = pd.concat([nodes, pd.DataFrame(markets)], ignore_index=True) if markets else nodes
    edges = pd.DataFrame(edge_rows, columns=["supplier", "customer"]).drop_duplicates()
    bom = pd.DataFrame(bom_rows, columns=["node_id", "input_product", "quantity"])
    meta = {
        "description": f"country × item mapping of {network.name}",
        "source_network": network.name,
        "period": period,
        "unit": f"one {period} of world supply of the item",
        "disruptable": list(nodes["node_id"]),
        "assumptions": {"headroom": headroom, "ttr_months": {**TTR_DEFAULTS, **ttr},
                        "cover_months": {**COVER_DEFAULTS, **cover}, "ttr_sources": TTR_SOURCES},
    }
    return Network(name=f"{network.name}:country-items", nodes=out_nodes, edges=edges, bom=bom,
                   alliances=network.alliances, meta=meta)
