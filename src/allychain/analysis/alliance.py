"""The alliance view: what the members hold together, what they lack, what they trade.

* :func:`alliance_shares` — per item, each member's known share and their combined
  share C_i = Σ_{m ∈ M} s_{m,i}; ``no_supplier`` is true where the item is assessable
  and no member is listed as a provider (or only with a known zero share), null
  where a member is listed with an unknown share;
* :func:`complementarity` — for each ordered pair (a, b) of members, what a supplies
  towards b's dependencies: the number of b's assessed dependencies in which a
  holds at least ``min_share`` percent, and a's share as a percentage of b's known
  foreign supply, 100 · Σ_i s_{a,i} / Σ_i F^{b}_i;
* :func:`shared_dependencies` — items every member needs on its own whose largest
  supplier outside the alliance holds at least ``critical_share`` percent: a
  dependency all members share on the same outside country;
* :func:`alliance_report` — all of the above plus the alliance's dependencies
  (members internal) and the coverage statement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from allychain.analysis.coverage import coverage, item_names, requested_items
from allychain.analysis.dependencies import CRITICAL_SHARE, MIN_ROLE_SHARE, dependency_report, member_level
from allychain.analysis.snapshot import TOLERANCE, item_stats, snapshot
from allychain.model.members import country_name, resolve_members
from allychain.model.network import Network

__all__ = ["alliance_shares", "complementarity", "complementarity_matrix", "shared_dependencies", "alliance_report"]


def _names(n: Network) -> dict[str, str]:
    names = {str(i): str(nm) for i, nm in zip(n.stages["stage_id"], n.stages["name"], strict=False)}
    names.update({str(i): str(nm) for i, nm in zip(n.items["item_id"], n.items["name"], strict=False)})
    return names


def alliance_shares(
    n: Network,
    members: str | Iterable[str],
    year: int | None = None,
    items: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per item: each member's share, the combined share, the largest outside country.

    Returns
    -------
    DataFrame
        ``item_id, item_name, status, share_<member>`` … (percent; NaN where the
        member is listed with an unknown share or the item is not assessable; 0
        where it is not listed), ``combined_share``, ``top_outside``,
        ``top_outside_share``, ``unknown_share``, ``no_supplier`` (True/False/None),
        ``year``.  Sorted by combined share, descending.
    """
    mem = resolve_members(members, n)
    level = member_level(n, mem)
    snap = snapshot(n, level=level, year=year)
    stats = item_stats(snap, level=level, exclude=mem)
    ids = requested_items(n, items, snap)
    stats = stats.reindex(ids)
    assessable = stats["assessable"].fillna(False).astype(bool)
    rows = snap[snap["provider_id"].isin(mem)]
    known = rows[rows["share"].notna()].pivot_table(index="item_id", columns="provider_id", values="share",
                                                   aggfunc="sum")
    listed_unknown = rows[rows["share"].isna()].groupby("item_id")["provider_id"].agg(set)
    names = _names(n)
    out = pd.DataFrame({"item_id": ids, "item_name": [names.get(i, i) for i in ids],
                        "status": np.where(assessable, "assessed", "not_assessable")})
    combined = np.zeros(len(ids))
    for m in mem:
        col = known[m].reindex(ids).to_numpy(dtype=float) if m in known.columns else np.full(len(ids), np.nan)
        unknown_m = np.array([m in listed_unknown.get(i, set()) for i in ids], dtype=bool)
        # not listed -> 0 known share; listed with unknown share -> NaN
        v = np.where(np.isnan(col) & ~unknown_m, 0.0, col)
        out[f"share_{m}"] = np.where(assessable, v, np.nan)
        combined = combined + np.nan_to_num(col)
    any_unknown = np.array([bool(listed_unknown.get(i, set())) for i in ids], dtype=bool)
    out["combined_share"] = np.where(assessable, combined, np.nan)
    out["top_outside"] = stats["top1"].to_numpy()
    out["top_outside_share"] = stats["top1_share"].to_numpy(dtype=float)
    out["unknown_share"] = stats["unknown_share"].to_numpy(dtype=float)
    no_sup = [None if (not a or (c <= TOLERANCE and u)) else bool(c <= TOLERANCE)
              for a, c, u in zip(assessable, combined, any_unknown, strict=False)]
    out["no_supplier"] = pd.array(no_sup, dtype="boolean")
    out["year"] = pd.array([None if pd.isna(y) else int(y) for y in stats["year"]], dtype="Int64")
    out = out.assign(_a=out["status"].ne("assessed"), _c=-out["combined_share"].fillna(-1.0))
    return out.sort_values(["_a", "_c", "item_id"]).drop(columns=["_a", "_c"]).reset_index(drop=True)


def complementarity(
    n: Network,
    members: str | Iterable[str],
    year: int | None = None,
    min_share: float = MIN_ROLE_SHARE,
    stages: Iterable[str] | None = None,
) -> pd.DataFrame:
    """What each member supplies towards each other member's dependencies (long form).

    For supplier a and customer b ≠ a, over b's assessed dependencies D_b (b alone
    as member): ``items`` = #{i ∈ D_b : s_{a,i} ≥ min_share}, ``share_of_foreign`` =
    100 · Σ_{i ∈ D_b} s_{a,i} / Σ_{i ∈ D_b} F^b_i (NaN when b has no known foreign
    supply), and ``item_ids`` the items counted.
    """
    mem = resolve_members(members, n)
    level = member_level(n, mem)
    snap = snapshot(n, level=level, year=year)
    known = snap[snap["share"].notna()]
    share = known.pivot_table(index="item_id", columns="provider_id", values="share", aggfunc="sum")
    rows = []
    for b in mem:
        deps = dependency_report(n, [b], stages=stages, year=year, min_share=min_share)["dependencies"]
        deps = deps[deps["status"] == "assessed"]
        foreign_total = float(deps["foreign_share"].sum())
        for a in mem:
            if a == b:
                continue
            s_a = share[a].reindex(deps["item_id"]).fillna(0.0) if a in share.columns else \
                pd.Series(0.0, index=deps["item_id"])
            hit = s_a[s_a >= min_share - TOLERANCE]
            rows.append({"supplier": a, "customer": b, "items": int(len(hit)),
                         "share_of_foreign": 100.0 * float(s_a.sum()) / foreign_total if foreign_total > 0 else np.nan,
                         "item_ids": list(hit.index.astype(str))})
    return pd.DataFrame(rows, columns=["supplier", "customer", "items", "share_of_foreign", "item_ids"])


def complementarity_matrix(comp: pd.DataFrame, value: str = "items") -> pd.DataFrame:
    """Supplier × customer matrix of a :func:`complementarity` table (diagonal NaN)."""
    members = list(dict.fromkeys([*comp["customer"], *comp["supplier"]]))
    m = comp.pivot_table(index="supplier", columns="customer", values=value, aggfunc="sum")
    return m.reindex(index=members, columns=members).astype(float)


def shared_dependencies(
    n: Network,
    members: str | Iterable[str],
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    min_share: float = MIN_ROLE_SHARE,
    stages: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Items every member needs whose largest outside-alliance supplier holds ≥ ``critical_share``.

    Returns
    -------
    DataFrame
        ``item_id, item_name, outside_country, outside_share`` (percent), ``year``,
        ``members`` (all of them, by construction).
    """
    mem = resolve_members(members, n)
    needed: set[str] | None = None
    for m in mem:
        ids = set(dependency_report(n, [m], stages=stages, year=year, min_share=min_share)["dependencies"]["item_id"])
        needed = ids if needed is None else needed & ids
    alli = dependency_report(n, mem, stages=stages, year=year, critical_share=critical_share,
                             min_share=min_share)["dependencies"]
    d = alli[alli["item_id"].isin(needed or set()) & (alli["status"] == "assessed")
             & (alli["top_foreign_share"] >= critical_share - TOLERANCE)]
    return pd.DataFrame({
        "item_id": d["item_id"], "item_name": d["item_name"], "outside_country": d["top_foreign_country"],
        "outside_name": d["top_foreign_name"], "outside_share": d["top_foreign_share"], "year": d["year"],
        "members": [list(mem)] * len(d),
    }).reset_index(drop=True)


def alliance_report(
    n: Network,
    members: str | Iterable[str],
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    min_share: float = MIN_ROLE_SHARE,
    stages: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Everything the alliance view answers, as one dict of DataFrames.

    Keys: ``members``, ``member_names``, ``dependencies`` (members internal, see
    :func:`~allychain.analysis.dependencies.dependencies`), ``shares``
    (:func:`alliance_shares`), ``no_supplier`` (item ids), ``item_names`` (their display
    names, id → name), ``complementarity``
    (long form), ``complementarity_matrix`` (item counts), ``shared_dependencies``,
    ``coverage``.
    """
    mem = resolve_members(members, n)
    rep = dependency_report(n, mem, stages=stages, year=year, critical_share=critical_share, min_share=min_share)
    shares = alliance_shares(n, mem, year=year)
    comp = complementarity(n, mem, year=year, min_share=min_share, stages=stages)
    shared = shared_dependencies(n, mem, year=year, critical_share=critical_share, min_share=min_share, stages=stages)
    cov = coverage(n, rep["dependencies"])
    no_supplier = [str(i) for i in shares.loc[shares["no_supplier"].fillna(False).astype(bool), "item_id"]]
    return {
        "members": mem,
        "member_names": [country_name(m) for m in mem],
        "roots": rep["roots"],
        "dependencies": rep["dependencies"],
        "shares": shares,
        "no_supplier": no_supplier,
        "item_names": item_names(n, no_supplier, shares),
        "complementarity": comp,
        "complementarity_matrix": complementarity_matrix(comp) if len(comp) else pd.DataFrame(),
        "shared_dependencies": shared,
        "coverage": cov,
    }
