"""Whom to bring in: candidate partners ranked by the critical dependency they would internalise.

Let D be the alliance's critical dependencies (assessed items whose largest outside
country holds ≥ t = 65 %), S[i, c] the known share of country c in item i and w_i
a weight (1 for ``weight="count"``, the item's market size in USD for
``weight="market"``; items without a market size weigh 0 there).  Adding a set P of
partners *resolves* item i when no country outside M ∪ P still holds ≥ t:

    f(P) = Σ_{i ∈ D} w_i · [ max_{c ∉ M ∪ P} S[i, c] < t ]

:func:`partners` ranks single candidates by f({c}) (ties: the share points they
would internalise, Σ_{i ∈ D} S[i, c]).  :func:`best_partners` picks k partners
greedily, each step adding the candidate with the largest marginal gain.  With
t > 50 % at most one country per item can reach t, so f is modular and greedy is
exact; with lower thresholds it is a heuristic (``method="exhaustive"`` tries all
k-subsets).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from allychain.analysis.dependencies import CRITICAL_SHARE, MIN_ROLE_SHARE, dependency_report
from allychain.analysis.pools import candidate_pool, country_groupings
from allychain.analysis.snapshot import TOLERANCE, snapshot
from allychain.errors import AllychainError
from allychain.model.members import country_name, resolve_members
from allychain.model.network import Network

__all__ = ["critical_matrix", "objective", "partners", "best_partners", "PARTNER_COLUMNS"]

PARTNER_COLUMNS = ["rank", "country", "country_name", "groupings", "score", "resolved", "resolved_market_usd",
                   "internalised_share", "largest_share", "largest_share_item", "concentrated_items",
                   "resolved_items", "resolved_item_names"]


def critical_matrix(
    n: Network,
    members: str | Iterable[str],
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    min_share: float = MIN_ROLE_SHARE,
    stages: Iterable[str] | None = None,
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """The alliance's critical dependencies as a share matrix.

    Returns
    -------
    (S, market, members)
        ``S``: items × outside countries, known shares in percent (0 where not
        listed or unknown); ``market``: market size per item in USD (NaN unknown);
        ``members``: resolved member codes.
    """
    mem = resolve_members(members, n)
    rep = dependency_report(n, mem, stages=stages, year=year, critical_share=critical_share, min_share=min_share)
    if rep["level"] != "country":
        raise AllychainError("partner recommendation needs country members (ISO 3166 alpha-3 codes)")
    deps = rep["dependencies"]
    crit = deps.loc[deps["critical"].fillna(False).astype(bool), "item_id"].astype(str).tolist()
    snap = snapshot(n, "country", year=year)
    snap = snap[snap["item_id"].isin(crit) & (snap["cls"] == "country") & ~snap["provider_id"].isin(mem)
                & snap["share"].notna()]
    S = snap.pivot_table(index="item_id", columns="provider_id", values="share", aggfunc="sum")
    S = S.reindex(index=crit).fillna(0.0)
    S.columns = S.columns.astype(str)
    sizes = dict(zip(n.stages["stage_id"].astype(str), n.stages["market_size"], strict=False))
    sizes.update(zip(n.items["item_id"].astype(str), n.items["market_size"], strict=False))
    market = pd.Series([float(sizes.get(i, np.nan)) for i in crit], index=pd.Index(crit, name="item_id"),
                       dtype=float)
    return S, market, mem


def objective(S: pd.DataFrame, weights: pd.Series, partners: Iterable[str], threshold: float = CRITICAL_SHARE) -> float:
    """f(P): total weight of the items of ``S`` no outside country still holds ≥ threshold once P joins."""
    P = set(partners)
    rest = S[[c for c in S.columns if c not in P]]
    still = rest.max(axis=1) >= threshold - TOLERANCE if rest.shape[1] else pd.Series(False, index=S.index)
    return float(weights[~still.to_numpy()].sum())


def _weights(S: pd.DataFrame, market: pd.Series, weight: str) -> pd.Series:
    if weight == "count":
        return pd.Series(1.0, index=S.index)
    if weight == "market":
        return market.reindex(S.index).fillna(0.0)
    raise AllychainError(f"weight must be 'count' or 'market', got {weight!r}")


def _row(S: pd.DataFrame, market: pd.Series, P: list[str], t: float,
         names: dict[str, str] | None = None) -> dict[str, Any]:
    rest = S[[c for c in S.columns if c not in set(P)]]
    still = rest.max(axis=1) >= t - TOLERANCE if rest.shape[1] else pd.Series(False, index=S.index)
    resolved = list(S.index[~still.to_numpy()])
    return {
        "resolved": int(len(resolved)),
        "resolved_market_usd": float(market.reindex(resolved).sum()) if resolved else 0.0,
        "internalised_share": float(S[[c for c in P if c in S.columns]].to_numpy().sum()),
        "resolved_items": resolved,
        "resolved_item_names": [(names or {}).get(i, i) for i in resolved],
    }


def partners(
    n: Network,
    members: str | Iterable[str],
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    weight: str = "count",
    candidates: str | Iterable[str] | None = None,
    min_share: float = MIN_ROLE_SHARE,
    stages: Iterable[str] | None = None,
    groupings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Candidate countries ranked by the critical alliance dependency they would turn internal.

    Returns
    -------
    DataFrame
        Columns :data:`PARTNER_COLUMNS`, best first: ``score`` = f({c}) (count of
        resolved critical items, or their market size in USD), ``resolved``,
        ``resolved_market_usd``, ``internalised_share`` (Σ of c's shares over the
        critical items, percent points), ``resolved_items`` (ids) and ``resolved_item_names``;
        ``groupings`` (ids of the
        groupings c belongs to) and the concentration c would create inside the
        alliance: ``largest_share`` (its largest share of a critical item, percent;
        NaN when it holds no known share of one), ``largest_share_item`` and
        ``concentrated_items`` (critical items it would hold ≥ the threshold alone).

    Notes
    -----
    ``candidates`` is a pool expression (:func:`allychain.analysis.pools.candidate_pool`):
    by default ``"like-minded"``, the members of the groupings flagged like-minded in
    the data; ``"all"`` ranks every country; ``"G7,EU"``, ``"OECD&WASSENAAR"`` or a list
    of countries name other pools.  ``groupings`` (``alliances`` schema) supply the
    groupings when the network marks none like-minded.
    """
    S, market, mem = critical_matrix(n, members, year, critical_share, min_share, stages)
    w = _weights(S, market, weight)
    cand = _candidates(n, mem, candidates, groupings)
    groups = country_groupings(n, groupings)
    names = dict(zip(n.items["item_id"].astype(str), n.items["name"].astype(str), strict=False))
    rows = []
    for c in cand:
        r = _row(S, market, [c], critical_share, names)
        rows.append({"country": c, "country_name": country_name(c), "groupings": groups.get(c, []),
                     "score": objective(S, w, [c], critical_share), **r,
                     **_concentration(S, c, names, critical_share)})
    out = pd.DataFrame(rows, columns=PARTNER_COLUMNS[1:])
    out = out.sort_values(["score", "internalised_share", "country"], ascending=[False, False, True])
    out.insert(0, "rank", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def _candidates(n: Network, mem: list[str], candidates: str | Iterable[str] | None,
                groupings: pd.DataFrame | None) -> list[str]:
    return candidate_pool(n, candidates, mem, extra=groupings)


def _concentration(S: pd.DataFrame, c: str, names: dict[str, str], t: float) -> dict[str, Any]:
    """The concentration a candidate would create inside the enlarged alliance: its largest
    share of a critical item, and how many critical items it would hold ≥ t alone."""
    if c not in S.columns or not (S[c] > 0).any():
        return {"largest_share": np.nan, "largest_share_item": None, "concentrated_items": 0}
    col = S[c]
    top = str(col.idxmax())
    return {"largest_share": float(col.max()), "largest_share_item": names.get(top, top),
            "concentrated_items": int((col >= t - TOLERANCE).sum())}


def best_partners(
    n: Network,
    members: str | Iterable[str],
    k: int = 2,
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    weight: str = "count",
    method: str = "greedy",
    candidates: str | Iterable[str] | None = None,
    min_share: float = MIN_ROLE_SHARE,
    stages: Iterable[str] | None = None,
    groupings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A best set of ``k`` partners: greedy (default) or exhaustive over all k-subsets.

    Returns
    -------
    DataFrame
        One row per chosen partner in the order added: ``step``, ``country``,
        ``country_name``, ``gain`` (marginal f), ``score`` (f of the set so far),
        ``resolved``, ``resolved_market_usd``, ``internalised_share``,
        ``resolved_items`` and ``resolved_item_names`` (cumulative).  Greedy stops early when no candidate adds
        anything.  Complexity: greedy O(k · candidates · items); exhaustive
        O(C(candidates, k) · items).
    """
    if k < 1:
        raise AllychainError(f"k must be at least 1, got {k}")
    S, market, mem = critical_matrix(n, members, year, critical_share, min_share, stages)
    w = _weights(S, market, weight)
    cand = _candidates(n, mem, candidates, groupings)
    chosen: list[str] = []
    if method == "exhaustive":
        best: tuple[float, float, tuple[str, ...]] = (-1.0, -1.0, ())
        for combo in combinations(cand, min(k, len(cand))):
            val = objective(S, w, combo, critical_share)
            pts = float(S[[c for c in combo if c in S.columns]].to_numpy().sum())
            if (val, pts) > best[:2]:
                best = (val, pts, combo)
        order = sorted(best[2], key=lambda c: -objective(S, w, [c], critical_share))
        chosen = list(order)
    elif method == "greedy":
        current = objective(S, w, [], critical_share)
        for _ in range(min(k, len(cand))):
            scored = []
            for c in cand:
                if c in chosen:
                    continue
                gain = objective(S, w, [*chosen, c], critical_share) - current
                pts = float(S[c].sum()) if c in S.columns else 0.0
                scored.append((gain, pts, c))
            if not scored:
                break
            gain, pts, c = min(scored, key=lambda x: (-x[0], -x[1], x[2]))
            if gain <= 0 and pts <= 0:
                break
            chosen.append(c)
            current += gain
    else:
        raise AllychainError(f"method must be 'greedy' or 'exhaustive', got {method!r}")
    rows = []
    names = dict(zip(n.items["item_id"].astype(str), n.items["name"].astype(str), strict=False))
    prev = objective(S, w, [], critical_share)
    for step, c in enumerate(chosen, 1):
        val = objective(S, w, chosen[:step], critical_share)
        rows.append({"step": step, "country": c, "country_name": country_name(c), "gain": val - prev,
                     "score": val, **_row(S, market, chosen[:step], critical_share, names)})
        prev = val
    return pd.DataFrame(rows, columns=["step", "country", "country_name", "gain", "score", "resolved",
                                       "resolved_market_usd", "internalised_share", "resolved_items",
                                       "resolved_item_names"])
