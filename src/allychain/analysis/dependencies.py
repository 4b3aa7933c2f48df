"""Dependencies of a member or an alliance on supply from outside, through all tiers.

For members *M* (one country, or several — an alliance) and each item *i* their
production needs (see :mod:`allychain.analysis.requirements`), with known
country shares s_{c,i} in percent:

* internal share  I_i = Σ_{c ∈ M} s_{c,i}  (a member's own share counts as domestic;
  in an alliance every member's share is internal);
* foreign share   F_i = Σ_{c ∉ M, known} s_{c,i}  (regions and aggregates included);
* unknown share   U_i = max(0, 100 − I_i − F_i);
* largest foreign supplier: the individual non-member country with the largest
  known share (aggregates never count as one country);
* critical: largest foreign share ≥ 65 % (inclusive) — true/false, or null when
  the item is not assessable (no individual country with a known share);
* role weight w_i: the members' combined share of the stage or item that needs
  *i* (e.g. their share of fabrication capacity for fab tools and materials; the
  largest over the roots reaching *i*); exposure E_i = w_i · F_i / 100.

The stages a member performs (the roots) are read from the data: every stage and
item where the members' combined known share is at least ``min_share`` (default
1 %), plus the products of site-level nodes located in a member country, plus — for a
member inside a region that a dataset reports as one provider (ETO's "Europe") — every
stage and item where that region holds at least ``min_share`` and the member has no row
of its own: the member may perform it, its weight is unknown, and the report's
``assumptions`` say so (see :mod:`allychain.model.regions`).  A member
without any such share is assumed to perform the whole chain (roots = the final
outputs); ``stages=`` overrides both.  Firm members (all members firms) are
analysed at firm level, where "foreign" means "another firm".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from allychain.analysis.coverage import coverage, resolve_items
from allychain.analysis.requirements import closure, requirement_graph
from allychain.analysis.snapshot import TOLERANCE, cached, item_stats, provider_classes, snapshot
from allychain.errors import AllychainError
from allychain.model.members import country_name, resolve_members
from allychain.model.network import Network
from allychain.model.regions import region_countries
from allychain.model.rules import DependencyRules

__all__ = ["member_level", "member_roots", "regional_assumptions", "ROOT_COLUMNS", "dependencies", "dependency_report", "DEPENDENCY_COLUMNS",
           "DependencyRules", "CRITICAL_SHARE", "MIN_ROLE_SHARE"]


#: One foreign country holding at least this share (percent, inclusive) makes a dependency critical (SIA/BCG 2021).
CRITICAL_SHARE = DependencyRules().critical_share
#: Members perform a stage or item where their combined known share is at least this (percent).
MIN_ROLE_SHARE = DependencyRules().min_role_share
#: Item kinds that are steps of production rather than things supplied; traversed, not reported.
STEP_KINDS = ("process",)

DEPENDENCY_COLUMNS = [
    "item_id", "item_name", "kind", "tier", "status", "internal_share", "foreign_share", "unknown_share",
    "top_foreign_country", "top_foreign_name", "top_foreign_share", "critical", "role_weight", "exposure",
    "year", "dataset", "source", "via", "via_names", "required",
]

_VIA_SPLIT = re.compile(r" (is_type_of|goes_into) ")


def via_names(via: object, names: dict[str, str]) -> str | None:
    """A ``via`` chain of ids with names instead: ``N20 is_type_of N19`` → ``EUV lithography tools
    is a type of Lithography tools`` (an id without a name stays as it is)."""
    if not isinstance(via, str):
        return None
    words = {"is_type_of": "is a type of", "goes_into": "goes into"}
    return " ".join(words[p] if k % 2 else names.get(p, p) for k, p in enumerate(_VIA_SPLIT.split(via)))


def _names(n: Network) -> dict[str, str]:
    names = {str(i): str(nm) for i, nm in zip(n.stages["stage_id"].tolist(), n.stages["name"].tolist(), strict=False)}
    names.update({str(i): str(nm) for i, nm in zip(n.items["item_id"].tolist(), n.items["name"].tolist(), strict=False)})
    return names


def member_level(n: Network, members: list[str]) -> str:
    """``"country"`` when every member is a country, ``"firm"`` when every member is a firm.

    Raises
    ------
    AllychainError
        For a mix of countries and firms, or a region/aggregate member.
    """
    cls = provider_classes(n, extra_ids=members)
    kinds = {m: cls.get(m, "country") for m in members}
    if all(k == "country" for k in kinds.values()):
        return "country"
    if all(k == "firm" for k in kinds.values()):
        return "firm"
    bad = {m: k for m, k in kinds.items() if k not in ("country", "firm")}
    if bad:
        raise AllychainError(f"members must be countries or firms; {', '.join(f'{m} is a {k}' for m, k in bad.items())}")
    raise AllychainError("members mix countries and firms; analyse countries and firms separately "
                         f"({', '.join(f'{m}: {k}' for m, k in kinds.items())})")


def member_roots(
    n: Network,
    members: list[str],
    stages: Iterable[str] | None = None,
    min_share: float = MIN_ROLE_SHARE,
    year: int | None = None,
) -> pd.DataFrame:
    """The stages and items the members perform, with the members' combined share (role weight).

    Returns
    -------
    DataFrame
        ``root_id`` (stage or item id), ``kind`` (``stage``, ``item``, ``site``,
        ``given``, ``regional`` or ``assumed``), ``weight`` (members' combined known share in
        percent; NaN when unknown), ``items`` (the item ids that start the
        requirement closure: a stage's items, or the root itself); for ``regional`` roots
        ``region``, ``region_share`` and ``region_year``: the regional figure the role was
        assumed from (see :func:`regional_assumptions`).
    """
    level = member_level(n, members)
    snap = snapshot(n, level=level, year=year)
    mine = snap[snap["provider_id"].isin(members) & snap["share"].notna()]
    weight = mine.groupby("item_id")["share"].sum()
    stage_ids = set(n.stages["stage_id"].astype(str))
    by_stage: dict[str, list[str]] = {}
    for i, s in zip(n.items["item_id"].astype(str).tolist(), n.items["stage_id"].tolist(), strict=False):
        if isinstance(s, str):
            by_stage.setdefault(s, []).append(i)
    rows: list[dict[str, Any]] = []

    def add(root: str, kind: str, w: float) -> None:
        expand = by_stage.get(root, [root]) if root in stage_ids else [root]
        rows.append({"root_id": root, "kind": kind, "weight": w, "items": expand, "region": None,
                     "region_share": np.nan, "region_year": None})

    if stages is not None:
        found, missing = resolve_items(n, stages)
        if missing:
            raise AllychainError(f"unknown stage or item(s) {', '.join(map(repr, missing))}; "
                                 "list them with 'allychain items'")
        for r in found:
            add(r, "given", float(weight.get(r, np.nan)))
        return pd.DataFrame(rows, columns=ROOT_COLUMNS)
    for r, w in weight.items():
        if w >= min_share - TOLERANCE:
            add(str(r), "stage" if r in stage_ids else "item", float(w))
    if level == "country":
        seen = {r["root_id"] for r in rows}
        for hit in _regional_roots(n, snap, members, min_share):
            if hit["root_id"] not in seen:
                seen.add(hit["root_id"])
                add(hit["root_id"], "regional", np.nan)
                rows[-1].update(region=hit["region"], region_share=hit["region_share"], region_year=hit["year"])
    col = "country" if level == "country" else "firm"
    if len(n.nodes):
        nd = n.nodes[n.nodes[col].isin(members)]
        seen = {r["root_id"] for r in rows}
        for p in pd.unique(nd["product"].dropna().astype(str)):
            if p not in seen:
                seen.add(p)
                add(p, "site", float(weight.get(p, np.nan)))
    if not rows:
        for r in requirement_graph(n).sinks():
            add(r, "assumed", np.nan)
    return pd.DataFrame(rows, columns=ROOT_COLUMNS)


#: Columns of :func:`member_roots`; ``region*`` only for roots of kind ``regional``.
ROOT_COLUMNS = ["root_id", "kind", "weight", "items", "region", "region_share", "region_year"]


def _regional_roots(n: Network, snap: pd.DataFrame, members: list[str], min_share: float) -> list[dict[str, Any]]:
    """Stages and items where a region holding a member has a share and no member has a row of its own.

    The member's part of the regional figure is unknown: it may perform the stage, so the
    stage counts as one of its roles (weight unknown) and the report says so, instead of
    the member coming out self-sufficient (ETO gives Europe's fabrication share, not the
    Netherlands').
    """
    pnames = dict(zip(n.providers["provider_id"].astype(str), n.providers["name"].astype(str), strict=False))
    regional = snap[(snap["cls"] == "region") & snap["share"].notna()]
    if regional.empty:
        return []
    covers = {p: region_countries(p, pnames.get(p)) for p in pd.unique(regional["provider_id"].astype(str))}
    holding = {p for p, cs in covers.items() if cs & set(members)}
    own = set(snap.loc[snap["provider_id"].isin(members), "item_id"].astype(str))
    hits = regional[regional["provider_id"].astype(str).isin(holding) & (regional["share"] >= min_share - TOLERANCE)]
    out: list[dict[str, Any]] = []
    for item, g in hits.groupby("item_id", sort=True):
        if str(item) in own:
            continue
        top = g.sort_values("share", ascending=False).iloc[0]
        pid = str(top["provider_id"])
        year = top.get("year")
        out.append({"root_id": str(item), "region": pnames.get(pid, pid), "region_share": float(top["share"]),
                    "year": None if pd.isna(year) else int(year)})
    return out


def regional_assumptions(roots: pd.DataFrame, members: list[str], names: dict[str, str]) -> list[str]:
    """Plain sentences saying which roles were assumed from a regional figure."""
    out = []
    reg = roots[roots["kind"] == "regional"] if len(roots) else roots
    who = "+".join(members)
    for r in reg.itertuples(index=False):
        year = "" if r.region_year is None or pd.isna(r.region_year) else f" ({int(r.region_year)})"
        out.append(f"{who}'s share of {names.get(r.root_id, r.root_id)} ({r.root_id}) is not reported on its own: "
                   f"it is part of {r.region}'s {r.region_share:g} %{year}; {who} is assumed to perform it, "
                   "with an unknown weight")
    return out


def dependencies(
    n: Network,
    members: str | Iterable[str],
    stages: Iterable[str] | None = None,
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    min_share: float = MIN_ROLE_SHARE,
    items: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Every item the members' production needs, with its foreign share and criticality.

    Parameters
    ----------
    n
        Network (share network, site-level network, or both).
    members
        ISO alpha-3 codes, country names, firm ids, an alliance id, or a
        comma-separated string of these; all members count as internal.
    stages
        Stage or item ids the members perform (default: read from the data, see
        module docstring).
    year
        Shares of this year (default: per item, the latest year with a known share).
    critical_share
        Threshold (percent, inclusive) on the largest foreign country's share.
    min_share
        Combined share (percent) from which the members perform a stage or item.
    items
        Report these items (ids or names) instead of the requirement closure; those
        not required carry ``required = False``.

    Returns
    -------
    DataFrame
        Columns :data:`DEPENDENCY_COLUMNS`; shares in percent; ``status`` is
        ``assessed`` or ``not_assessable``; ``critical`` is True/False, or None when
        not assessable.  Sorted critical first, then by foreign share.
    """
    return dependency_report(n, members, stages, year, critical_share, min_share, items)["dependencies"]


def dependency_report(
    n: Network,
    members: str | Iterable[str],
    stages: Iterable[str] | None = None,
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    min_share: float = MIN_ROLE_SHARE,
    items: Iterable[str] | None = None,
) -> dict[str, Any]:
    """:func:`dependencies` with its context: ``members``, ``level``, ``roots``,
    ``dependencies`` and the ``coverage`` statement (see :mod:`allychain.analysis.coverage`)."""
    mem = resolve_members(members, n)
    stages = None if stages is None else [str(x) for x in stages]
    items = None if items is None else [str(x) for x in items]
    key = ("dependency_report", tuple(mem), None if stages is None else tuple(stages), year, float(critical_share),
           float(min_share), None if items is None else tuple(items))
    rep = cached(n, key, lambda: _dependency_report(n, mem, stages, year, critical_share, min_share, items))
    return {k: (v.copy(deep=False) if isinstance(v, pd.DataFrame) else
                dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in rep.items()}


def _dependency_report(
    n: Network,
    mem: list[str],
    stages: Iterable[str] | None,
    year: int | None,
    critical_share: float,
    min_share: float,
    items: Iterable[str] | None,
) -> dict[str, Any]:
    level = member_level(n, mem)
    roots = member_roots(n, mem, stages=stages, min_share=min_share, year=year)
    kinds = dict(zip(n.items["item_id"].astype(str).tolist(), n.items["kind"].tolist(), strict=False))
    req = _required_items(n, roots, items, kinds)
    role = req["weight"].to_numpy(dtype=float)

    snap = snapshot(n, level=level, year=year)
    snap = snap[snap["item_id"].astype(object).isin(set(req["item_id"]))]  # object: a hash look-up, not Arrow's
    stats = item_stats(snap, level=level, exclude=mem).reindex(req["item_id"])
    known = snap[snap["share"].notna()]
    internal = known[known["provider_id"].isin(mem)].groupby("item_id")["share"].sum()
    total = known.groupby("item_id")["share"].sum()
    ids = pd.Series([str(i) for i in req["item_id"].tolist()], index=req.index, dtype=object)
    assessable = stats["assessable"].fillna(False).astype(bool).to_numpy()
    internal_v = ids.map(internal).fillna(0.0).to_numpy(dtype=float)
    # known shares may sum above 100 by rounding (e.g. ETO): the foreign part is capped at 100 − internal
    foreign_v = np.clip(ids.map(total).fillna(0.0).to_numpy(dtype=float) - internal_v, 0.0,
                        np.maximum(100.0 - internal_v, 0.0))
    top_share = stats["top1_share"].to_numpy(dtype=float)
    top_share = np.where(assessable & np.isnan(top_share), 0.0, top_share)  # only members hold known shares
    critical = [None if not a else bool(t >= critical_share - TOLERANCE) for a, t in zip(assessable, top_share, strict=False)]
    names = _names(n)
    src = n.sources.drop_duplicates("source_id").set_index("source_id")["title"]
    pnames = dict(zip(n.providers["provider_id"].astype(str).tolist(), n.providers["name"].astype(str).tolist(), strict=False))
    top = stats["top1"].to_numpy()
    shown_name = {t: (country_name(t) if level == "country" and len(t) == 3 else pnames.get(t, t))
                  for t in pd.unique(top) if isinstance(t, str)}
    role_v = np.asarray(role, dtype=float)
    out = pd.DataFrame({
        "item_id": ids.to_numpy(),
        "item_name": [names.get(i, i) for i in ids],
        "kind": [kinds.get(i) for i in ids],
        "tier": pd.array([None if pd.isna(t) else int(t) for t in req["tier"]], dtype="Int64"),
        "status": np.where(assessable, "assessed", "not_assessable"),
        "internal_share": np.where(assessable, internal_v, np.nan),
        "foreign_share": np.where(assessable, foreign_v, np.nan),
        "unknown_share": np.where(assessable, np.round(np.clip(100.0 - internal_v - foreign_v, 0.0, None), 9), np.nan),
        "top_foreign_country": [t if isinstance(t, str) else None for t in top],
        "top_foreign_name": [shown_name[t] if isinstance(t, str) else None for t in top],
        "top_foreign_share": np.where(assessable, top_share, np.nan),
        "critical": pd.array(critical, dtype="boolean"),
        "role_weight": role_v,
        "exposure": np.where(assessable, role_v * foreign_v / 100.0, np.nan),
        "year": pd.array([None if pd.isna(y) else int(y) for y in stats["year"]], dtype="Int64"),
        "dataset": stats["dataset"].to_numpy(),
        "source": [src.get(s) if isinstance(s, str) else None for s in stats["source_id"]],
        "via": req["via"].to_numpy(),
        "via_names": [via_names(v, names) for v in req["via"].tolist()],
        "required": req["required"].to_numpy(dtype=bool),
    })
    out = out.assign(_c=-out["critical"].fillna(False).astype(int), _a=out["status"].ne("assessed"),
                     _f=-out["foreign_share"].fillna(-1.0), _t=-out["top_foreign_share"].fillna(-1.0))
    out = out.sort_values(["_a", "_c", "_t", "_f", "item_id"]).drop(columns=["_c", "_a", "_f", "_t"])
    out = out.reset_index(drop=True)[DEPENDENCY_COLUMNS]
    cov = coverage(n, out, requested=items)
    return {
        "members": mem,
        "member_names": [country_name(m) if level == "country" else pnames.get(m, m) for m in mem],
        "level": level,
        "critical_share": critical_share,
        "roots": roots.assign(root_name=roots["root_id"].map(lambda r: names.get(r, r))),
        "assumptions": regional_assumptions(roots, mem, names),
        "dependencies": out,
        "coverage": cov,
    }


def _required_items(n: Network, roots: pd.DataFrame, items: Iterable[str] | None,
                    kinds: dict[str, Any]) -> pd.DataFrame:
    """The goods the members' roles require (closure of the roots, process steps and stages left out).

    Each with its tier, ``via``, role ``weight`` (the largest of the roots whose closure
    holds it) and ``required``; with ``items``, exactly those items, in that order
    (``required`` False for the ones no role needs).
    """
    g = cached(n, "requirement_graph", lambda: requirement_graph(n))
    root_items = [i for lst in roots["items"] for i in lst]
    w_of_item: dict[str, float] = {}
    for lst, w in zip(roots["items"].tolist(), roots["weight"].tolist(), strict=False):
        for i in lst:
            if not np.isnan(w):
                w_of_item[i] = max(w, w_of_item.get(i, -np.inf))
    req = closure(g, root_items, weights=w_of_item)
    stage_ids = set(n.stages["stage_id"].astype(str))
    step = [kinds.get(i) in STEP_KINDS or i in stage_ids for i in req["item_id"]]
    req = req[~np.asarray(step, dtype=bool)]
    if items is not None:
        wanted, _ = resolve_items(n, items)
        req = req.set_index("item_id").reindex(wanted).reset_index()
        req["required"] = req["tier"].notna()
    else:
        req = req.assign(required=True)
    return req
