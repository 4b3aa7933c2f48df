"""The share rows the analyses work on, and per-item share statistics.

Every analysis reads one coherent set of share rows per item and provider level —
one (dataset, year), the latest with a known share unless a year is asked for —
from :func:`allychain.model.views.share_snapshot`.  Site-level networks (``nodes``
with capacities) add capacity-based shares for products that have no share rows.

Provider classes
----------------
Only individual providers are ranked, counted or squared: ``country`` at country
level, ``firm`` at firm level.  Regions (``EUR``) and aggregates (``Various
countries``) keep their known share in the totals but are never counted as one
country; a provider whose kind says ``country`` but whose name says otherwise
(``Various countries``, ``Europe``) is reclassified.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from allychain.model.members import is_iso3
from allychain.model.network import Network
from allychain.model.views import share_snapshot

__all__ = ["cached", "provider_classes", "snapshot", "item_stats", "share_matrix", "SNAPSHOT_COLUMNS", "TOLERANCE"]

#: Shares are percentages; comparisons with thresholds allow this much rounding slack.
TOLERANCE = 1e-9

SNAPSHOT_COLUMNS = ["item_id", "provider_id", "share", "year", "dataset", "basis", "source_id", "cls"]

_AGGREGATE = re.compile(r"\b(?:various|other|others|rest of|unknown|unallocated|multiple|world|misc\.?)\b", re.I)
_REGIONS = {
    "europe", "eu", "eur", "european union", "asia", "africa", "americas", "north america", "south america",
    "latin america", "middle east", "oceania", "southeast asia", "asia pacific", "apac", "emea", "row",
}


_CACHE: weakref.WeakKeyDictionary[Network, dict[Any, Any]] = weakref.WeakKeyDictionary()


def cached(n: Network, key: Any, make: Callable[[], Any]) -> Any:
    """Memoise a derived view of ``n`` (networks are immutable: capabilities never mutate
    them).  DataFrames come back as shallow copies, which copy-on-write keeps independent."""
    try:
        per = _CACHE.setdefault(n, {})
    except TypeError:  # not weak-referenceable
        return make()
    if key not in per:
        per[key] = make()
    v = per[key]
    return v.copy(deep=False) if isinstance(v, (pd.DataFrame, pd.Series)) else v


def provider_classes(n: Network, extra_ids: pd.Index | list[str] | None = None) -> pd.Series:
    """Class of every provider: ``country``, ``firm``, ``region`` or ``aggregate``.

    The ``kind`` column is trusted except where the name contradicts it: a
    ``country`` or ``firm`` named like an aggregate ("Various countries", "Other
    firms") becomes ``aggregate`` and a ``country`` named like a region ("Europe")
    becomes ``region``.  Ids in ``extra_ids`` that are not providers (site-level
    ``nodes.country``) are ``country`` when they are ISO 3166 alpha-3 codes.
    """
    out = cached(n, "provider_classes", lambda: _provider_classes(n))
    if extra_ids is not None:
        missing = [str(i) for i in extra_ids if str(i) not in out.index]
        if missing:
            out = pd.concat([out, pd.Series(["country" if is_iso3(i) else "aggregate" for i in missing],
                                            index=pd.Index(missing, dtype=object), dtype=object)])
    return out[~out.index.duplicated()]


def _provider_classes(n: Network) -> pd.Series:
    p = n.providers
    ids = [str(i) for i in p["provider_id"]]
    names = [str(x) if isinstance(x, str) else "" for x in p["name"]]
    kinds = [str(k) if isinstance(k, str) else "aggregate" for k in p["kind"]]
    cls_list = []
    for pid, name, kind in zip(ids, names, kinds, strict=False):
        agg = bool(_AGGREGATE.search(name) or _AGGREGATE.search(pid))
        region = name.strip().casefold() in _REGIONS or (pid.casefold() in _REGIONS and not is_iso3(pid))
        if kind in ("country", "firm") and agg:
            kind = "aggregate"
        elif kind == "country" and region:
            kind = "region"
        cls_list.append(kind)
    cls = pd.Series(cls_list, dtype=object)
    out = pd.Series(cls.to_numpy(), index=pd.Index(ids, dtype=object), dtype=object)
    return out[~out.index.duplicated()]


def _site_rows(n: Network, level: str) -> pd.DataFrame:
    """Capacity shares (percent) per product from site-level nodes, by country or firm."""
    col = "country" if level == "country" else "firm"
    nd = n.nodes.dropna(subset=["product", "capacity"])
    if nd.empty:
        return pd.DataFrame(columns=SNAPSHOT_COLUMNS[:-1])
    total = nd.groupby("product")["capacity"].sum()
    nd = nd.assign(_who=nd[col].astype(object).where(nd[col].notna(), None))
    known = nd.dropna(subset=["_who"]).groupby(["product", "_who"])["capacity"].sum().reset_index()
    known = known[known["product"].map(total) > 0]
    return pd.DataFrame({
        "item_id": known["product"].astype(str),
        "provider_id": known["_who"].astype(str),
        "share": 100.0 * known["capacity"].to_numpy() / known["product"].map(total).to_numpy(),
        "year": pd.array([pd.NA] * len(known), dtype="Int64"),
        "dataset": "site",
        "basis": "site_capacity",
        "source_id": pd.NA,
    })


def snapshot(n: Network, level: str = "country", year: int | None = None) -> pd.DataFrame:
    """Share rows per item for one provider level, one (dataset, year) per item.

    The latest (dataset, year) holding a known share is used unless ``year`` is
    given (see :func:`~allychain.model.views.share_snapshot` with
    ``prefer_known=True``).  Products of site-level nodes without share rows get
    capacity shares (``basis = "site_capacity"``, ``dataset = "site"``).

    Returns
    -------
    DataFrame
        Columns ``item_id, provider_id, share`` (percent; NaN = unknown), ``year,
        dataset, basis, source_id`` and ``cls`` (provider class, see
        :func:`provider_classes`).
    """
    if level not in ("country", "firm"):
        raise ValueError(f"level must be 'country' or 'firm', got {level!r}")
    return cached(n, ("snapshot", level, year), lambda: _snapshot(n, level, year))


def _snapshot(n: Network, level: str, year: int | None) -> pd.DataFrame:
    s = share_snapshot(n, level=level, year=year, prefer_known=True)
    s = s[[c for c in SNAPSHOT_COLUMNS[:-1]]] if len(s) else pd.DataFrame(columns=SNAPSHOT_COLUMNS[:-1])
    if year is None and len(n.nodes):
        site = _site_rows(n, level)
        site = site[~site["item_id"].astype(object).isin(set(s["item_id"]))]
        if len(site):
            s = pd.concat([s.astype(object), site.astype(object)], ignore_index=True)
    cls = provider_classes(n, extra_ids=pd.Index(s["provider_id"].astype(str).unique()))
    s = s.assign(item_id=s["item_id"].astype(str), provider_id=s["provider_id"].astype(str),
                 share=pd.to_numeric(s["share"], errors="coerce").astype(float))
    s = s.assign(cls=s["provider_id"].map(cls))
    return s.reset_index(drop=True)


def item_stats(snap: pd.DataFrame, level: str = "country", exclude: list[str] | tuple[str, ...] = ()) -> pd.DataFrame:
    """Per-item statistics over the individual providers of a snapshot.

    ``exclude`` (member ids) are left out of the ranking (``top*``) and the HHI but
    stay in the totals; pass nothing for market concentration.

    Returns
    -------
    DataFrame indexed by item_id
        ``providers`` (individual providers with a known share > 0), ``hhi``
        (Σ s_i² over individual providers with a known share, 0–10,000), ``top1``,
        ``top1_share``, ``top2``, ``top3_share`` (percent), ``known_share`` (Σ of all
        known shares incl. aggregates), ``aggregate_share`` (regions and
        aggregates), ``unknown_share`` (max(0, 100 − known_share)),
        ``unknown_providers`` (rows with an unknown share), ``assessable`` (at least
        one individual provider with a known share), ``year``, ``dataset``,
        ``basis``, ``source_id`` (of the top provider's row, else of any row).
    """
    indiv_cls = "country" if level == "country" else "firm"
    # object ids: the group-bys and re-indexings below hash Python strings (Arrow-backed ids convert on every look-up)
    snap = snap.assign(item_id=snap["item_id"].astype(str).astype(object),
                       provider_id=snap["provider_id"].astype(object))
    items = pd.Index(pd.unique(snap["item_id"]), name="item_id", dtype=object)
    s = snap.assign(_known=snap["share"].notna())
    indiv = s[(s["cls"] == indiv_cls) & ~s["provider_id"].isin(list(exclude))]
    ik = indiv[indiv["_known"]].sort_values(["item_id", "share", "provider_id"], ascending=[True, False, True])
    rank = ik.groupby("item_id").cumcount()
    out = pd.DataFrame(index=items)
    out["providers"] = ik[ik["share"] > TOLERANCE].groupby("item_id").size().reindex(items).fillna(0).astype(int)
    out["hhi"] = np.minimum(ik.assign(_sq=ik["share"] ** 2).groupby("item_id")["_sq"].sum(), 10_000.0)
    top = ik[rank == 0].set_index("item_id")
    second = ik[rank == 1].set_index("item_id")
    out["top1"] = top["provider_id"]
    out["top1_share"] = top["share"]
    out["top2"] = second["provider_id"]
    out["top2_share"] = second["share"]
    third = ik[rank == 2].set_index("item_id")["provider_id"]
    first3 = zip(top["provider_id"], second["provider_id"].reindex(top.index), third.reindex(top.index), strict=True)
    out["top3"] = pd.Series([[p for p in t if isinstance(p, str)] for t in first3], index=top.index, dtype=object)
    out["top3_share"] = ik[rank < 3].groupby("item_id")["share"].sum()
    known_all = s[s["_known"]]
    out["known_share"] = known_all.groupby("item_id")["share"].sum().reindex(items).fillna(0.0)
    aggr = known_all[known_all["cls"].isin(["region", "aggregate"])]
    out["aggregate_share"] = aggr.groupby("item_id")["share"].sum().reindex(items).fillna(0.0)
    out["unknown_share"] = (100.0 - out["known_share"]).clip(lower=0.0).round(9)
    out["unknown_providers"] = s[~s["_known"]].groupby("item_id").size().reindex(items).fillna(0).astype(int)
    assessable = s[(s["cls"] == indiv_cls) & s["_known"]].groupby("item_id").size()
    out["assessable"] = assessable.reindex(items).fillna(0).gt(0)
    first = s.drop_duplicates("item_id").set_index("item_id")
    for col in ("year", "dataset", "basis"):
        out[col] = first[col]
    out["source_id"] = top["source_id"].combine_first(first["source_id"]) if len(top) else first["source_id"]
    # an item with no individual known share has no HHI and no top provider (not zero)
    out.loc[~out["assessable"], ["hhi", "top1_share", "top3_share"]] = np.nan
    return out


def share_matrix(
    n: Network,
    items: list[str],
    level: str = "country",
    year: int | None = None,
    providers: list[str] | None = None,
    limit: int = 12,
) -> pd.DataFrame:
    """Items × providers table of known shares (percent; NaN where unknown or not listed).

    Columns are ``providers`` when given (in that order), followed by the largest
    individual providers over these items up to ``limit`` columns in all.
    """
    snap = snapshot(n, level=level, year=year)
    indiv = "country" if level == "country" else "firm"
    s = snap[snap["item_id"].isin(items) & (snap["cls"] == indiv) & snap["share"].notna()]
    m = s.pivot_table(index="item_id", columns="provider_id", values="share", aggfunc="sum")
    first = [p for p in (providers or [])]
    rest = [p for p in m.sum().sort_values(ascending=False).index if p not in first]
    cols = first + rest[: max(0, limit - len(first))]
    return m.reindex(index=items, columns=cols).astype(float)
