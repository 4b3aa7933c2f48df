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
That is the **base grade**; two steps of criticality then move it:

* **time to survive against time to recover** (:func:`allychain.optimize.unprotected_nodes`,
  every node disrupted alone): when the top supplier's node of the item (country × item on a
  share network; the supplier country's nodes making the item on a site network) is
  *unprotected* — the network cannot survive its loss (TTS) for as long as it takes to
  recover (TTR) — the grade rises one step (C → B, B → A); ``tts_ttr`` says
  ``unprotected``, ``protected`` or ``not assessed`` (no such node, or the optimize extra
  missing);
* **agreement cover** (:class:`allychain.services.agreement_cover.AgreementCover`, read
  from the workspace's registry): when an agreement in force commits a supply of the item
  to the member, the grade drops one step (A → B, B → C, C → D); without a registry the
  cover is ``not assessed`` — never read as "not covered".

A grade D (not assessable) moves neither way: the data cannot tell.  Each row names the
HS codes (from :func:`allychain.watch.indicators.crosswalk`) whose series watch the item,
or none where the crosswalk has no code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from allychain.model.network import Network
from allychain.services.agreement_cover import AgreementCover

__all__ = ["WatchlistRules", "watchlist", "GRADES", "tts_by_supplier"]

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


def tts_by_supplier(n: Network) -> dict[tuple[str, str], tuple[float, float, bool]] | None:
    """(country, item) → (TTS, TTR, unprotected) of the supplier's node(s) disrupted alone (the worst of a
    country's nodes on a site network), or None when the decision models cannot run (extra missing,
    nothing to assess)."""
    from allychain.errors import AllychainError

    try:
        from allychain.optimize import unprotected_nodes

        t = unprotected_nodes(n).result.table
    except ImportError as exc:
        log.warning("time to survive vs time to recover not assessed: the optimize extra is missing (%s)", exc.name)
        return None
    except AllychainError as exc:
        log.warning("time to survive vs time to recover not assessed: %s", exc)
        return None
    out: dict[tuple[str, str], tuple[float, float, bool]] = {}
    for rec in t[["country", "product", "tts", "ttr", "unprotected"]].to_dict("records"):
        if not isinstance(rec["country"], str) or rec["unprotected"] is pd.NA or pd.isna(rec["unprotected"]):
            continue
        key = (rec["country"], str(rec["product"]))
        cur = out.get(key)
        gap = float(rec["tts"]) - float(rec["ttr"])
        if cur is None or gap < cur[0] - cur[1]:
            out[key] = (float(rec["tts"]), float(rec["ttr"]), bool(rec["unprotected"]))
    return out


def _criticality(g: str, m: str, item: str, top: str | None, tts: dict | None,
                 cover: AgreementCover | None) -> tuple[str, dict[str, object]]:
    """The grade after TTS/TTR and agreement cover, and the columns that say why."""
    out: dict[str, object] = {"tts": None, "ttr": None, "tts_ttr": "not assessed", "agreement_cover": "not assessed",
                              "agreements": ""}
    step = 0
    got = tts.get((top, item)) if (tts is not None and top) else None
    if got is not None:
        out.update(tts=got[0], ttr=got[1], tts_ttr="unprotected" if got[2] else "protected")
        step -= 1 if got[2] else 0
    if cover is not None:
        agr = cover.of(item, m)
        out.update(agreement_cover="covered" if agr else "not covered", agreements=";".join(agr))
        step += 1 if agr else 0
    if g == "D":
        return g, out
    return GRADES[min(max(GRADES.index(g) + step, 0), len(GRADES) - 1)], out


def watchlist(n: Network, members: str | Iterable[str] | None = None,
              rules: WatchlistRules | None = None, tts_ttr: bool = True,
              cover: AgreementCover | None = None) -> pd.DataFrame:
    """The graded watchlist, one row per member and item, grade A first.

    Parameters
    ----------
    tts_ttr
        Grade by time to survive against time to recover (runs :mod:`allychain.optimize`;
        false: ``not assessed``).
    cover
        The agreement cover read from the workspace's registry; None: ``not assessed``.

    Returns
    -------
    DataFrame
        member, item_id, item_name, grade, base_grade (from the shares alone), cadence,
        tts, ttr (periods of the decision model), tts_ttr, agreement_cover (``covered``,
        ``not covered``, ``not assessed``), agreements (ids), top_country, top_in_members (the top
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
    tts = tts_by_supplier(n) if tts_ttr else None
    for m in mem:
        d = dependencies(n, [m])
        d = d[d["required"].fillna(False).astype(bool)]
        if d.empty:
            not_covered.append(m)
        for rec in d.to_dict("records"):
            s = float(rec["top_foreign_share"]) if pd.notna(rec["top_foreign_share"]) else float("nan")
            u = float(rec["unknown_share"]) if pd.notna(rec["unknown_share"]) else float("nan")
            w = float(rec["role_weight"]) if pd.notna(rec["role_weight"]) else float("nan")
            g0 = _grade(s, u, w, r)
            if g0 is None:
                continue
            top = rec["top_foreign_country"] if isinstance(rec["top_foreign_country"], str) else None
            g, crit = _criticality(g0, m, str(rec["item_id"]), top, tts, cover)
            rows.append({"member": m, "item_id": rec["item_id"], "item_name": rec["item_name"], "grade": g,
                         "base_grade": g0, "cadence": r.cadence[g], **crit, "top_country": top,
                         "top_in_members": rec["top_foreign_country"] in mem,
                         "top_share": None if np.isnan(s) else s, "unknown_share": None if np.isnan(u) else u,
                         "role_weight": None if np.isnan(w) else w,
                         "tier": None if pd.isna(rec["tier"]) else int(rec["tier"]),
                         "via": rec["via"] if isinstance(rec["via"], str) else None, "status": rec["status"],
                         "hs_codes": ";".join(codes.get(str(rec["item_id"]), [])),
                         "reason": _reason(g0, s, u, r) + _why(g0, g, crit)})
    cols = ["member", "item_id", "item_name", "grade", "base_grade", "cadence", "tts", "ttr", "tts_ttr",
            "agreement_cover", "agreements", "top_country", "top_in_members", "top_share", "unknown_share",
            "role_weight", "tier", "via", "status", "hs_codes", "reason"]
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["grade", "member", "top_share", "item_id"], ascending=[True, True, False, True],
                          kind="stable").reset_index(drop=True)
    out.attrs["not_covered"] = not_covered
    if not_covered:
        log.warning("not covered: the network records no inputs of the production of %s", ", ".join(not_covered))
    return out


def _why(g0: str, g: str, crit: dict[str, object]) -> str:
    parts = []
    if crit["tts_ttr"] == "unprotected":
        parts.append(f"the supplier's node cannot be covered until it recovers (TTS {crit['tts']:.3g} < "
                     f"TTR {crit['ttr']:.3g})")
    if crit["agreement_cover"] == "covered":
        parts.append(f"an agreement in force commits supply to the member ({crit['agreements']})")
    if not parts:
        return ""
    return "; " + "; ".join(parts) + (f": {g0} → {g}" if g != g0 else f": stays {g}")


def _reason(g: str, s: float, u: float, r: WatchlistRules) -> str:
    if np.isnan(s):
        return "not assessable: no country share of the item is known"
    if g == "D" and s < r.c:
        return f"the largest known share is {s:.3g} %, but {u:.3g} % is unknown: one country could hold half"
    return f"one country supplies {s:.3g} % of world supply"
