"""Derived views of a network: look-ups, per-item share tables, graphs.

Views are computed from the tables on demand and never stored.
"""

from __future__ import annotations

import difflib

import networkx as nx
import pandas as pd

from allychain.errors import AllychainError
from allychain.model.network import Network

__all__ = ["find_item", "find_stage", "item_table", "item_shares", "relation_graph", "supply_graph",
           "share_snapshot"]


def _lookup(ids: list[str], names: list[str], query: str, what: str) -> str | None:
    """An id matched exactly, else an id or name matched ignoring case; ``None`` when
    nothing matches.  Two ids that differ only in case make a case-insensitive query
    ambiguous: that is an error naming both."""
    q = query.strip()
    if q in ids:
        return q
    folded = q.casefold()
    same = list(dict.fromkeys(i for i in ids if i.casefold() == folded))
    if len(same) > 1:
        raise AllychainError(f"{what} {q!r} is ambiguous: ids {', '.join(same)} differ only in case; "
                             "write the id exactly")
    if same:
        return same[0]
    by_name = list(dict.fromkeys(i for i, nm in zip(ids, names, strict=True) if nm.casefold() == folded))
    if len(by_name) > 1:
        raise AllychainError(f"{what} name {q!r} is ambiguous: ids {', '.join(by_name)}; use the id")
    return by_name[0] if by_name else None


def find_item(n: Network, query: str) -> str:
    """Resolve an item id or name, ignoring case; suggest close matches otherwise.

    >>> from allychain.data.load import load
    >>> find_item(load("builtin"), "C4F6")
    'c4f6'
    """
    ids = list(n.items["item_id"].astype(str))
    names = [str(nm) for nm in n.items["name"]]
    hit = _lookup(ids, names, query, "item")
    if hit is not None:
        return hit
    to_id = {nm.casefold(): i for i, nm in zip(ids, names, strict=True)}
    to_id.update({i.casefold(): i for i in ids})
    close = difflib.get_close_matches(query.strip().casefold(), list(to_id), n=3, cutoff=0.5)
    label = dict(zip(ids, names, strict=True))
    shown = [f"{i!r} ({label[i]})" for i in dict.fromkeys(to_id[c] for c in close)]
    hint = f"; did you mean {', '.join(shown)}?" if shown else ""
    raise AllychainError(f"unknown item {query!r}{hint} (list them with 'allychain items')")


def find_stage(n: Network, query: str) -> str | None:
    """Resolve a stage id or name ignoring case; ``None`` when no stage matches."""
    return _lookup(list(n.stages["stage_id"].astype(str)), [str(nm) for nm in n.stages["name"]], query, "stage")


def item_table(n: Network, kind: str | None = None, stage: str | None = None) -> pd.DataFrame:
    """Items (of one kind, of one stage) with their kind, stage and how many providers have
    known shares."""
    it = n.items
    if kind:
        it = it[it["kind"] == kind]
    if stage:
        it = it[it["stage_id"] == stage]
    s = n.shares
    known = s[s["share"].notna()].groupby("item_id")["provider_id"].nunique()
    rows = s.groupby("item_id")["provider_id"].nunique()
    out = pd.DataFrame(
        {
            "item_id": it["item_id"],
            "name": it["name"],
            "kind": it["kind"],
            "stage_id": it["stage_id"],
            "providers": it["item_id"].map(rows).fillna(0).astype(int),
            "providers_with_known_share": it["item_id"].map(known).fillna(0).astype(int),
        }
    )
    return out.reset_index(drop=True)


def item_shares(n: Network, item_id: str) -> pd.DataFrame:
    """All share rows of one item: provider, kind, country, share (NaN = unknown), year,
    basis, dataset and the source's title, publisher, year and address."""
    s = n.shares[n.shares["item_id"] == item_id]
    p = n.providers.set_index("provider_id")
    src = n.sources.drop_duplicates("source_id").set_index("source_id")
    out = pd.DataFrame(
        {
            "provider_id": s["provider_id"],
            "provider": s["provider_id"].map(p["name"]),
            "kind": s["provider_id"].map(p["kind"]),
            "country": s["provider_id"].map(p["country"]),
            "share": s["share"],
            "year": s["year"],
            "basis": s["basis"],
            "dataset": s["dataset"],
            "source": s["source_id"].map(src["title"]),
            "publisher": s["source_id"].map(src["publisher"]),
            "source_year": s["source_id"].map(src["year"]),
            "url": s["source_id"].map(src["url"]),
        }
    )
    order = {"country": 0, "region": 1, "aggregate": 2, "firm": 3}
    out = out.assign(_k=out["kind"].map(order).fillna(9), _s=-out["share"].fillna(-1))
    return out.sort_values(["_k", "year", "_s"], ascending=[True, False, True]).drop(columns=["_k", "_s"]).reset_index(
        drop=True
    )


def share_snapshot(n: Network, level: str = "country", year: int | None = None,
                   prefer_known: bool = False) -> pd.DataFrame:
    """One coherent set of share rows per item for a provider level.

    For each item, the rows of a single (dataset, year) are taken: the given ``year``
    (or the latest year with any row), and among datasets the first in
    ``meta["precedence"]`` (the leftmost part of a ``+`` combination).  Rows with an
    unknown share are kept (share NaN). Adds columns ``kind`` and ``provider_country``.

    Parameters
    ----------
    level
        ``"country"`` (countries, regions and aggregates: every geographic row) or
        ``"firm"``.
    prefer_known
        When true, only (dataset, year) groups holding at least one known share
        compete, so a newer year whose shares are all unknown does not hide an
        older year with numbers; items with no known share at all still get their
        latest group (all NaN).  Default false (the behaviour described above).
    """
    kinds = n.providers.set_index("provider_id")
    s = n.shares.assign(kind=n.shares["provider_id"].map(kinds["kind"]),
                        provider_country=n.shares["provider_id"].map(kinds["country"]))
    if level == "country":
        s = s[s["kind"].isin(["country", "region", "aggregate"])]
    elif level == "firm":
        s = s[s["kind"] == "firm"]
    else:
        raise ValueError(f"level must be 'country' or 'firm', got {level!r}")
    if year is not None:
        s = s[s["year"] == year]
    if s.empty:
        return s.reset_index(drop=True)
    prec = {d: i for i, d in enumerate(n.meta.get("precedence", n.datasets))}
    s = s.assign(_y=s["year"].fillna(-1).astype(int), _p=s["dataset"].map(prec).fillna(len(prec)))
    order = ["item_id", "_y", "_p"]
    asc = [True, False, True]
    if prefer_known:
        known = s["share"].notna().groupby([s["item_id"], s["_y"], s["_p"]]).transform("any")
        s = s.assign(_k=~known.astype(bool))
        order, asc = ["item_id", "_k", "_y", "_p"], [True, True, False, True]
    best = s.sort_values(order, ascending=asc).drop_duplicates("item_id")
    key = best.set_index("item_id")[["_y", "_p"]]
    s = s[(s["_y"].values == s["item_id"].map(key["_y"]).values) & (s["_p"].values == s["item_id"].map(key["_p"]).values)]
    return s.drop(columns=[c for c in ("_y", "_p", "_k") if c in s.columns]).reset_index(drop=True)


def relation_graph(n: Network, kinds: tuple[str, ...] = ("goes_into", "is_type_of")) -> nx.DiGraph:
    """Directed item graph: edge source → target for each relation of the given kinds
    (attribute ``kind``). Items without relations are nodes too."""
    g = nx.DiGraph()
    g.add_nodes_from(n.items["item_id"].astype(str))
    r = n.relations[n.relations["kind"].isin(list(kinds))]
    for s, t, k in zip(r["source"], r["target"], r["kind"], strict=True):
        g.add_edge(str(s), str(t), kind=str(k))
    return g


def supply_graph(n: Network) -> nx.DiGraph:
    """Site-level supply graph: node attributes from ``nodes``, edges supplier → customer."""
    g = nx.DiGraph()
    for rec in n.nodes.to_dict("records"):
        g.add_node(rec["node_id"], **{k: v for k, v in rec.items() if k != "node_id"})
    for rec in n.edges.to_dict("records"):
        g.add_edge(rec["supplier"], rec["customer"], **{k: v for k, v in rec.items() if k not in ("supplier", "customer")})
    return g
