"""Technology lead: the members' combined world share and rank per item, across data years and releases.

A **vintage** of an item is its share rows from one dataset and one year — ETO's 2019
(CSET) rows and its 2022/2025 rows, the built-in rows of each year — the same unit
:func:`allychain.model.views.share_snapshot` picks one of.  Per vintage, with the
country rows of the item (shares in percent of world supply; a vintage without country
rows is read from its firm rows, summed by home country):

* K = Σ known country shares; U = max(0, 100 − K), the share no country row states
  (regions, aggregates and unknown shares included).  Unknown is not zero: a country
  without a known share holds anything in [0, U].
* alliance share A ∈ [A_low, A_high]: A_low = Σ known member shares; A_high = A_low + U
  when a member's share is not known (else A_low).
* top outside country: the largest known share of a non-member, T_low; an unlisted
  country could hold up to U, so T ∈ [T_low, max(T_low, U)].
* lead margin M = A − T ∈ [A_low − max(T_low, U), A_high − T_low]; the point value
  A_low − T_low is what the known rows say.
* rank of the alliance (the members as one bloc) among countries: 1 + the number of
  outside countries with a known share above A_low; ``rank_certain`` when nothing
  unknown could change it (no unlisted country could pass the alliance, U ≤ A_low, and
  no known outside share lies in (A_low, A_high]).

Between the previous vintage *p* and the latest *l* of an item (ordered by year, then
by dataset precedence): the change of A is in [A_low,l − A_high,p, A_high,l − A_low,p];
an outside country's gain is in [s_l − s_p,high, s_l − s_p,low] (s_p,high = U_p when it
had no known share).  **Catching up**: the outside country with the largest certain gain
(the low end), when that is above 0.

**Alerts** (:class:`LeadRules`, documented defaults):

=============  ====================================================================  ========
kind           rule                                                                  severity
=============  ====================================================================  ========
share_fall     A fell by at least ``share_fall`` points (the certain fall:            medium;
               A_high,l − A_low,p ≤ −share_fall)                                    high at 2×
margin_below   the margin was ≥ ``margin_floor`` (certain: M_low,p) and is now below   medium
               it (M_high,l < margin_floor)
lead_lost      the alliance was certainly first (M_low,p > 0) and certainly is not    high
               any more (M_high,l < 0)
=============  ====================================================================  ========

Defaults: 10 points of world share (the same size as the watch's share-shift rule on a
member's imports) and a 20-point margin (below it, the runner-up can close the gap within
one data release at the pace of the moves seen between releases, e.g. lithography tools
2024 → 2025).  Different sources measure differently (revenue, units, capacity): each
vintage names its sources and basis, and a move between two sources may be a difference
of method — read the sources before acting on an alert.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from allychain.model.network import Network

__all__ = ["LeadRules", "LeadResult", "lead", "vintages"]

log = logging.getLogger(__name__)

_EPS = 1e-9


@dataclass(frozen=True)
class LeadRules:
    """Thresholds of the lead alerts (percentage points of world share)."""

    share_fall: float = 10.0
    margin_floor: float = 20.0

    def describe(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LeadResult:
    """Per item and vintage, per item (latest against previous), and the alerts."""

    vintages: pd.DataFrame
    items: pd.DataFrame
    alerts: list[dict[str, Any]]
    members: list[str]
    rules: LeadRules

    def to_dict(self) -> dict[str, Any]:
        def recs(df: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]

        return {"members": self.members, "rules": self.rules.describe(), "items": recs(self.items),
                "vintages": recs(self.vintages), "alerts": self.alerts}


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _country_rows(n: Network) -> pd.DataFrame:
    """Share rows with provider kind and home country; firm rows carry their home country."""
    p = n.providers.set_index("provider_id")
    s = n.shares.assign(kind=n.shares["provider_id"].map(p["kind"]),
                        home=n.shares["provider_id"].map(p["country"]))
    s = s[s["year"].notna()].copy()
    s["year"] = s["year"].astype(int)
    s["dataset"] = s["dataset"].fillna(n.name).astype(str) if "dataset" in s else n.name
    return s


def _vintage_shares(recs: list[dict[str, Any]]) -> tuple[dict[str, float], set[str], str]:
    """(known country shares, countries listed without a known share, how read) of one vintage's rows."""
    c = [(str(r["provider_id"]), r["share"]) for r in recs if r["kind"] == "country"]
    how = "country rows"
    if not c:
        c = [(str(r["home"]), r["share"]) for r in recs if r["kind"] == "firm" and isinstance(r["home"], str)]
        how = "firm rows summed by home country"
        if not c:
            return {}, set(), "none"
    known: dict[str, float] = {}
    unknown: set[str] = set()
    for pid, share in c:
        if share is None or share != share:
            unknown.add(pid)
        elif how == "country rows":
            # several country rows in one vintage (two sources of one year) disagree: the largest is taken,
            # the merge records the conflict
            known[pid] = max(known.get(pid, 0.0), float(share))
        else:
            known[pid] = known.get(pid, 0.0) + float(share)   # firm rows add up to their home country
    for pid in unknown:
        known.pop(pid, None)      # a country with any unknown part is unknown
    return known, unknown, how


def _one_vintage(known: dict[str, float], unknown: set[str], mem: list[str]) -> dict[str, Any]:
    total = sum(known.values())
    u = max(0.0, 100.0 - total)
    a_low = sum(known.get(m, 0.0) for m in mem)
    missing = [m for m in mem if m not in known]
    a_high = min(100.0, a_low + (u if missing else 0.0))
    outside = sorted(((s, c) for c, s in known.items() if c not in mem), key=lambda x: (-x[0], x[1]))
    t_low, top = (outside[0][0], outside[0][1]) if outside else (0.0, None)
    t_high = max(t_low, u)
    rank = 1 + sum(1 for s, _ in outside if s > a_low + _EPS)
    certain = u <= a_low + _EPS and not any(a_low + _EPS < s <= a_high + _EPS for s, _ in outside)
    status = ("not_assessable" if not known else "assessed" if a_high - a_low < 0.05 else "bounded")
    if status == "not_assessable":   # no country share known: nothing to state, not a share of 0
        nan = float("nan")
        return {"alliance_share": nan, "alliance_share_high": nan, "unknown": u, "known_total": total,
                "members_without_share": ";".join(missing), "top_outside": None, "top_outside_share": None,
                "margin": nan, "margin_low": nan, "margin_high": nan, "rank": None, "rank_certain": False,
                "status": status, "_known": known, "_unknown": unknown}
    return {"alliance_share": a_low, "alliance_share_high": a_high, "unknown": u, "known_total": total,
            "members_without_share": ";".join(missing), "top_outside": top, "top_outside_share": t_low if top else None,
            "margin": a_low - t_low, "margin_low": a_low - t_high, "margin_high": a_high - t_low,
            "rank": rank, "rank_certain": bool(certain), "status": status,
            "_known": known, "_unknown": unknown}


def vintages(n: Network, members: str | Iterable[str] | None = None,
             items: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per item and vintage (dataset, year): the alliance's share, rank and margin.

    Columns: item_id, item_name, year, dataset, sources (';'-separated source ids), basis,
    read_from (``country rows`` or ``firm rows summed by home country``), member_shares
    (``NLD 94.1; KOR ?``), members_listed (a member has a row), alliance_share (known, = low end), alliance_share_high,
    unknown (U), known_total, members_without_share, top_outside, top_outside_share,
    margin, margin_low, margin_high, rank, rank_certain, status (``assessed``,
    ``bounded``: a range, ``not_assessable``: no known share).
    """
    from allychain.model.members import resolve_members

    mem = resolve_members(members if members is not None else "KOR,NLD", n)
    return _vintages(n, mem, items)[0]


def _vintages(n: Network, mem: list[str], items: Iterable[str] | None) -> tuple[pd.DataFrame, dict]:
    """:func:`vintages` and the known and unknown country shares per (item, dataset, year)."""
    s = _country_rows(n)
    s.attrs = {}
    if items is not None:
        s = s[s["item_id"].isin(list(items))]
    names = n.item_names()
    prec = {d: i for i, d in enumerate(n.meta.get("precedence", n.datasets))}
    rows, shares = [], {}
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in s[["item_id", "dataset", "year", "provider_id", "kind", "home", "share", "source_id",
                *(["basis"] if "basis" in s else [])]].to_dict("records"):
        groups.setdefault((str(r["item_id"]), str(r["dataset"]), int(r["year"])), []).append(r)
    for (item, ds, yr), g in sorted(groups.items()):
        known, unknown, how = _vintage_shares(g)
        if how == "none":
            continue
        v = _one_vintage(known, unknown, mem)
        shares[(str(item), str(ds), int(yr))] = (v.pop("_known"), v.pop("_unknown"))
        ms = "; ".join(f"{m} {known[m]:.3g}" if m in known else f"{m} ?" for m in mem)
        basis = ";".join(sorted({str(r["basis"]) for r in g if isinstance(r.get("basis"), str)}))
        listed = any(m in known or m in unknown for m in mem)
        rows.append({"item_id": str(item), "item_name": names.get(str(item), str(item)), "year": int(yr),
                     "dataset": str(ds), "_p": prec.get(str(ds), len(prec)),
                     "sources": ";".join(sorted({str(r["source_id"]) for r in g if isinstance(r["source_id"], str)})),
                     "basis": basis,
                     "read_from": how, "member_shares": ms, "members_listed": listed, **v})
    cols = ["item_id", "item_name", "year", "dataset", "sources", "basis", "read_from", "member_shares",
            "members_listed", "alliance_share", "alliance_share_high", "unknown", "known_total", "members_without_share",
            "top_outside", "top_outside_share", "margin", "margin_low", "margin_high", "rank", "rank_certain",
            "status"]
    out = pd.DataFrame(rows, columns=[*cols, "_p"])
    out = out.sort_values(["item_id", "year", "_p"], ascending=[True, True, False], kind="stable")
    out = out.drop(columns="_p").reset_index(drop=True)
    out["rank"] = out["rank"].astype("Int64")
    return out, shares


def _gain(latest: dict[str, float], prev: tuple[dict[str, float], set[str]], u_prev: float,
          mem: list[str]) -> tuple[str | None, float, float]:
    """The outside country with the largest certain gain: (country, gain_low, gain_high)."""
    pk, _ = prev
    best: tuple[str | None, float, float] = (None, -math.inf, -math.inf)
    for c, s in sorted(latest.items()):
        if c in mem:
            continue
        lo, hi = (s - pk[c], s - pk[c]) if c in pk else (s - u_prev, s)
        if lo > best[1] + _EPS or (abs(lo - best[1]) <= _EPS and hi > best[2]):
            best = (c, lo, hi)
    return best


def _label(r: pd.Series) -> str:
    return f"{int(r['year'])} {r['dataset']} ({r['sources'] or 'no source id'})"


def _item_row(g: pd.DataFrame, shares: dict, mem: list[str], rules: LeadRules,
              alerts: list[dict[str, Any]]) -> dict[str, Any]:
    last = g.iloc[-1]
    row: dict[str, Any] = {"item_id": last["item_id"], "item_name": last["item_name"], "vintages": len(g),
                           "latest": _label(last), "latest_year": int(last["year"]),
                           "alliance_share": last["alliance_share"], "alliance_share_high": last["alliance_share_high"],
                           "member_shares": last["member_shares"], "rank": last["rank"],
                           "rank_certain": last["rank_certain"], "top_outside": last["top_outside"],
                           "top_outside_share": last["top_outside_share"], "margin": last["margin"],
                           "status": last["status"], "previous": None, "previous_year": None,
                           "previous_member_shares": None, "change_low": None, "change_high": None,
                           "catching_up": None, "gain_low": None, "gain_high": None, "alerts": ""}
    if len(g) < 2:
        return row
    prev = g.iloc[-2]
    row.update(previous=_label(prev), previous_year=int(prev["year"]), previous_member_shares=prev["member_shares"])
    if "not_assessable" in (prev["status"], last["status"]):
        return row
    lo = last["alliance_share"] - prev["alliance_share_high"]
    hi = last["alliance_share_high"] - prev["alliance_share"]
    row.update(change_low=lo, change_high=hi)
    lk, _ = shares[(last["item_id"], last["dataset"], int(last["year"]))]
    pv = shares[(prev["item_id"], prev["dataset"], int(prev["year"]))]
    c, glo, ghi = _gain(lk, pv, float(prev["unknown"]), mem)
    if c is not None and glo > _EPS:
        row.update(catching_up=c, gain_low=glo, gain_high=ghi)
    fired = _alerts(row, prev, last, rules)
    alerts += fired
    row["alerts"] = ";".join(a["kind"] for a in fired)
    return row


def _alerts(row: dict[str, Any], prev: pd.Series, last: pd.Series, rules: LeadRules) -> list[dict[str, Any]]:
    out = []
    base = {"item_id": row["item_id"], "item_name": row["item_name"], "from": row["previous"], "to": row["latest"],
            "from_year": row["previous_year"], "to_year": row["latest_year"],
            "from_member_shares": prev["member_shares"], "to_member_shares": last["member_shares"],
            "catching_up": row["catching_up"]}
    if row["change_high"] <= -rules.share_fall + _EPS:
        sev = "high" if row["change_high"] <= -2 * rules.share_fall + _EPS else "medium"
        out.append({**base, "kind": "share_fall", "severity": sev,
                    "message": f"the alliance's share fell by {-row['change_high']:.3g} to {-row['change_low']:.3g} "
                               f"points ({prev['alliance_share']:.3g} → {last['alliance_share']:.3g} %)"})
    if prev["margin_low"] > _EPS and last["margin_high"] < -_EPS:
        out.append({**base, "kind": "lead_lost", "severity": "high",
                    "message": f"the alliance is no longer first: {last['top_outside']} "
                               f"{last['top_outside_share']:.3g} % against {last['alliance_share_high']:.3g} %"})
    elif prev["margin_low"] >= rules.margin_floor - _EPS and last["margin_high"] < rules.margin_floor - _EPS:
        out.append({**base, "kind": "margin_below", "severity": "medium",
                    "message": f"the lead margin fell below {rules.margin_floor:g} points "
                               f"({prev['margin']:.3g} → {last['margin']:.3g})"})
    return out


def lead(n: Network, members: str | Iterable[str] | None = None, rules: LeadRules | None = None,
         items: Iterable[str] | None = None, min_share: float = 0.0) -> LeadResult:
    """The technology lead of the members per item, across the network's data years and releases.

    Parameters
    ----------
    n
        A network with share rows of one or several years or datasets (``builtin+eto``).
    members
        Members (codes, names or an alliance id; default KOR, NLD).
    rules
        Alert thresholds (:class:`LeadRules`).
    items
        Restrict to these item ids.
    min_share
        List only items where a member is named in some vintage and could hold more than
        this share (percent; default 0: every item a member is named for).

    Returns
    -------
    LeadResult
        ``vintages`` (:func:`vintages`), ``items`` (one row per item: the latest
        vintage, the previous one, the change of the alliance's share as a range, who is
        catching up, the alerts fired), ``alerts`` (dicts: kind, severity, item, years,
        member shares before and after, message).
    """
    from allychain.model.members import resolve_members

    r = rules or LeadRules()
    mem = resolve_members(members if members is not None else "KOR,NLD", n)
    full, shares = _vintages(n, mem, items)
    listed = full.groupby("item_id")["members_listed"].any()
    held = full.groupby("item_id")["alliance_share_high"].max()
    keep = listed.index[listed & (held.reindex(listed.index) > min_share + _EPS)]
    v = full[full["item_id"].isin(keep)].reset_index(drop=True)
    alerts: list[dict[str, Any]] = []
    rows = [_item_row(g, shares, mem, r, alerts) for _, g in v.groupby("item_id", sort=True)]
    it = pd.DataFrame(rows)
    for df in (it, v):   # sums of shares stated to one decimal: no floating-point tails in the output
        num = df.select_dtypes("float").columns
        df[num] = df[num].round(6)
    if len(it):
        for c in ("previous_year", "rank"):
            it[c] = it[c].astype("Int64")
        it["_a"] = it["alerts"].eq("")
        it = it.sort_values(["_a", "alliance_share", "item_id"], ascending=[True, False, True],
                            kind="stable").drop(columns="_a").reset_index(drop=True)
    log.info("lead: %d item(s), %d vintage(s), %d alert(s)", len(it), len(v), len(alerts))
    return LeadResult(v, it, alerts, mem, r)
