"""The graded watchlist: items where one country supplies at least half of what a member needs.

For each member *m* (alone) and each item *i* its production needs through all tiers
(:func:`allychain.analysis.dependencies`), with s = the largest known share of one
foreign country (percent of world supply, from the shares table), U = the unknown
share and w = the role weight (the member's share of the stage that needs *i*):

====  ===========================================================  ==============
grade rule (defaults of :class:`WatchlistRules`)                    check cadence
====  ===========================================================  ==============
A     s ≥ 80 %                                                     weekly
B     65 % ≤ s < 80 % (the SIA/BCG 2021 critical-dependency line)  monthly
C     50 % ≤ s < 65 %                                              quarterly
D     not assessable, or s < 50 % but s + U ≥ 50 % (one country    at each data
      could hold half: the data cannot tell)                       release
====  ===========================================================  ==============

A grade drops one step (A → B, B → C, C → D) when w < 10 % (the member barely
performs the stage that needs the item).  Items with s + U < 50 % are not listed.
Time to survive against time to recover, and agreement cover, do not grade yet
(they need :mod:`allychain.optimize` and the workspace's agreements: next steps).
Each row names the HS codes (from :func:`allychain.watch.indicators.crosswalk`) whose
series watch the item, or none where the crosswalk has no code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from allychain.model.network import Network

__all__ = ["WatchlistRules", "watchlist", "GRADES"]

log = logging.getLogger(__name__)

GRADES = ("A", "B", "C", "D")


@dataclass(frozen=True)
class WatchlistRules:
    """Thresholds (percent) and cadences of the grades."""

    a: float = 80.0
    b: float = 65.0
    c: float = 50.0
    low_role: float = 10.0
    cadence: dict[str, str] = field(default_factory=lambda: {"A": "weekly", "B": "monthly", "C": "quarterly",
                                                             "D": "each data release"})


def _grade(s: float, u: float, w: float, r: WatchlistRules) -> str | None:
    if np.isnan(s):
        g = "D"
    elif s >= r.a:
        g = "A"
    elif s >= r.b:
        g = "B"
    elif s >= r.c:
        g = "C"
    elif s + (0.0 if np.isnan(u) else u) >= r.c:
        g = "D"
    else:
        return None
    if not np.isnan(w) and w < r.low_role and g != "D":
        g = GRADES[GRADES.index(g) + 1]
    return g


def watchlist(n: Network, members: str | Iterable[str] | None = None,
              rules: WatchlistRules | None = None) -> pd.DataFrame:
    """The graded watchlist, one row per member and item, grade A first.

    Returns
    -------
    DataFrame
        member, item_id, item_name, grade, cadence, top_country, top_in_members (the top
        supplier is one of the members assessed: a dependency inside the alliance), top_share (percent),
        unknown_share (percent), role_weight (percent), tier, via, status
        (``assessed`` / ``not_assessable``), hs_codes (';'-separated, empty when none), reason.
        ``attrs["not_covered"]``: members whose production has no recorded inputs in the network (nothing
        can be graded for them — not "nothing to watch").
    """
    from allychain.analysis import dependencies
    from allychain.model.members import resolve_members
    from allychain.watch.indicators import crosswalk

    r = rules or WatchlistRules()
    mem = resolve_members(list(members) if members is not None and not isinstance(members, str) else
                          (members or "KOR,NLD"), n)
    cw = crosswalk()
    codes: dict[str, list[str]] = {}
    for code, items in zip(cw["hs_code"], cw["item"], strict=True):
        for i in items.split(";"):
            codes.setdefault(i, []).append(code)
    rows = []
    not_covered = []
    for m in mem:
        d = dependencies(n, [m])
        d = d[d["required"].fillna(False).astype(bool)]
        if d.empty:
            not_covered.append(m)
        for rec in d.to_dict("records"):
            s = float(rec["top_foreign_share"]) if pd.notna(rec["top_foreign_share"]) else float("nan")
            u = float(rec["unknown_share"]) if pd.notna(rec["unknown_share"]) else float("nan")
            w = float(rec["role_weight"]) if pd.notna(rec["role_weight"]) else float("nan")
            g = _grade(s, u, w, r)
            if g is None:
                continue
            rows.append({"member": m, "item_id": rec["item_id"], "item_name": rec["item_name"], "grade": g,
                         "cadence": r.cadence[g], "top_country": rec["top_foreign_country"]
                         if isinstance(rec["top_foreign_country"], str) else None,
                         "top_in_members": rec["top_foreign_country"] in mem,
                         "top_share": None if np.isnan(s) else s, "unknown_share": None if np.isnan(u) else u,
                         "role_weight": None if np.isnan(w) else w,
                         "tier": None if pd.isna(rec["tier"]) else int(rec["tier"]),
                         "via": rec["via"] if isinstance(rec["via"], str) else None, "status": rec["status"],
                         "hs_codes": ";".join(codes.get(str(rec["item_id"]), [])), "reason": _reason(g, s, u, r)})
    cols = ["member", "item_id", "item_name", "grade", "cadence", "top_country", "top_in_members", "top_share", "unknown_share",
            "role_weight", "tier", "via", "status", "hs_codes", "reason"]
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["grade", "member", "top_share", "item_id"], ascending=[True, True, False, True],
                          kind="stable").reset_index(drop=True)
    out.attrs["not_covered"] = not_covered
    if not_covered:
        log.warning("not covered: the network records no inputs of the production of %s", ", ".join(not_covered))
    return out


def _reason(g: str, s: float, u: float, r: WatchlistRules) -> str:
    if np.isnan(s):
        return "not assessable: no country share of the item is known"
    if g == "D" and s < r.c:
        return f"the largest known share is {s:.3g} %, but {u:.3g} % is unknown: one country could hold half"
    return f"one country supplies {s:.3g} % of world supply"
