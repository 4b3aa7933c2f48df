"""Severity: a criticality score per item and per member dependency, with tiers and evidence.

The rules (chokepoints, critical dependencies) say *whether* a threshold is crossed; on
rich data most items cross one.  The score says *how much* an item matters, so that the
ten that matter most can be named.  Each component is a number in [0, 1] (1 = most
severe) or **unknown** (NaN, never 0):

==================  =====================================================================
component           value
==================  =====================================================================
concentration       s₁ / 100, the largest single supplier country's share (outside the
                    members for a dependency; any country for an item)
substitutability    CR3 / 100 of firms: how few firms could replace a lost supplier
time_to_build       TTR(kind) / 24 months, capped at 1 (:mod:`allychain.model.recovery`)
exposure            E / 100, the members' role weight × foreign share through all tiers
                    (:func:`~allychain.analysis.dependencies.dependencies`); dependencies only
agreement_cover     1 − the part of the members' need covered by agreements in force, when the
                    caller passes them (``agreement_cover={item: fraction}``, e.g. from the
                    workspace's agreement registry; an item not listed then has no cover, 1);
                    unknown without them; dependencies only
==================  =====================================================================

With weights w_k (:class:`~allychain.model.rules.SeverityRules`) and K the known
components::

    score      = Σ_{k∈K} w_k c_k / Σ_{k∈K} w_k          (the weighted mean of what is known)
    score_low  = Σ_{k∈K} w_k c_k / Σ_k w_k              (unknown components at 0)
    score_high = (Σ_{k∈K} w_k c_k + Σ_{k∉K} w_k) / Σ_k w_k   (unknown components at 1)

An item whose concentration is unknown is ``not_assessable`` (no score, no tier).  Tiers:
``critical`` ≥ 0.70, ``high`` ≥ 0.55, ``watch`` ≥ 0.40.  The rules that fired are kept as
evidence for each ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from allychain.analysis.chokepoints import chokepoints
from allychain.analysis.dependencies import CRITICAL_SHARE, MIN_ROLE_SHARE, dependency_report
from allychain.errors import AllychainError
from allychain.model.network import Network
from allychain.model.recovery import ttr_months
from allychain.model.rules import SEVERITY_COMPONENTS, ChokepointRules, SeverityRules

__all__ = ["severity", "severity_report", "score_components", "SEVERITY_COLUMNS"]

SEVERITY_COLUMNS = [
    "rank", "item_id", "item_name", "kind", "tier", "score", "score_low", "score_high", *SEVERITY_COMPONENTS,
    "unknown_components", "supplier", "supplier_name", "supplier_share", "ttr_months", "rules", "status", "via",
]


def score_components(components: pd.DataFrame, rules: SeverityRules | None = None,
                     applicable: Iterable[str] = SEVERITY_COMPONENTS) -> pd.DataFrame:
    """Score, range and tier from a table of components (columns :data:`SEVERITY_COMPONENTS`,
    values in [0, 1] or NaN for unknown).

    Returns
    -------
    DataFrame
        ``score``, ``score_low``, ``score_high`` (0–1; NaN where concentration is unknown),
        ``tier`` and ``unknown_components`` (list of names), on the index of ``components``.
    """
    rules = rules or SeverityRules()
    app = [c for c in SEVERITY_COMPONENTS if c in set(applicable)]
    C = components.reindex(columns=app).to_numpy(dtype=float)
    w = np.array([rules.weights.get(c, 0.0) for c in app], dtype=float)
    known = ~np.isnan(C)
    num = np.where(known, C * w, 0.0).sum(axis=1)
    den_known = np.where(known, w, 0.0).sum(axis=1)
    den_all = float(w.sum())
    assessable = known[:, app.index("concentration")] if "concentration" in app else np.ones(len(C), bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(assessable & (den_known > 0), num / den_known, np.nan)
    low = np.where(assessable, num / den_all, np.nan)
    high = np.where(assessable, (num + np.where(known, 0.0, w).sum(axis=1)) / den_all, np.nan)
    unknown = [[c for c, k in zip(app, row, strict=True) if not k] for row in known]
    return pd.DataFrame({"score": score, "score_low": low, "score_high": high,
                         "tier": [rules.tier(float(s)) for s in score], "unknown_components": unknown},
                        index=components.index)


def severity(
    n: Network,
    members: str | Iterable[str] | None = None,
    top: int | None = None,
    rules: SeverityRules | None = None,
    chokepoint_rules: ChokepointRules | None = None,
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    min_share: float = MIN_ROLE_SHARE,
    stages: Iterable[str] | None = None,
    agreement_cover: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Items ranked by severity: per member dependency (``members`` given) or per item.

    Returns
    -------
    DataFrame
        Columns :data:`SEVERITY_COLUMNS`, most severe first (not assessable last);
        ``top`` keeps the first ``top`` rows.  Components and scores are 0–1, NaN when
        unknown; ``exposure`` and ``agreement_cover`` are NaN in the item view, where
        they do not apply.  ``rules``: the chokepoint rules that fired, plus
        ``critical_dependency`` where one outside country holds ≥ ``critical_share``.
        ``agreement_cover`` maps item ids to the fraction (0–1) of the members' need that
        agreements in force cover; without it the component is unknown.
    """
    rep = severity_report(n, members, top, rules, chokepoint_rules, year, critical_share, min_share, stages,
                          agreement_cover)
    return rep["rows"]


def severity_report(
    n: Network,
    members: str | Iterable[str] | None = None,
    top: int | None = None,
    rules: SeverityRules | None = None,
    chokepoint_rules: ChokepointRules | None = None,
    year: int | None = None,
    critical_share: float = CRITICAL_SHARE,
    min_share: float = MIN_ROLE_SHARE,
    stages: Iterable[str] | None = None,
    agreement_cover: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """:func:`severity` with its context: ``members`` (empty in the item view), ``rows``,
    ``tiers`` (count per tier over every scored row), ``assessed``, ``definition`` (the
    weights and tiers with their sources) and ``coverage``."""
    rules = rules or SeverityRules()
    if members is None:
        out, mem, names, cov = _item_view(n, chokepoint_rules, year), [], [], None
        applicable: tuple[str, ...] = ("concentration", "substitutability", "time_to_build")
    else:
        dep = dependency_report(n, members, stages=stages, year=year, critical_share=critical_share,
                                min_share=min_share)
        out = _dependency_view(n, dep["dependencies"], chokepoint_rules, year, critical_share)
        if agreement_cover is not None:
            out["agreement_cover"] = [1.0 - _fraction(agreement_cover.get(i, 0.0), i) for i in out["item_id"]]
        mem, names, cov = dep["members"], dep["member_names"], dep["coverage"]
        applicable = SEVERITY_COMPONENTS
    kinds = out["kind"].tolist()
    months = [ttr_months(k) for k in kinds]
    out["ttr_months"] = [np.nan if m is None else m for m in months]
    out["time_to_build"] = np.minimum(out["ttr_months"].to_numpy(dtype=float) / rules.ttr_scale, 1.0)
    scored = score_components(out[list(SEVERITY_COMPONENTS)], rules, applicable)
    out = pd.concat([out.drop(columns=[c for c in scored.columns if c in out.columns]), scored], axis=1)
    out["status"] = np.where(out["score"].notna(), "assessed", "not_assessable")
    out = out.assign(_a=out["score"].isna(), _s=-out["score"].fillna(0.0), _c=-out["concentration"].fillna(0.0))
    out = out.sort_values(["_a", "_s", "_c", "item_id"]).drop(columns=["_a", "_s", "_c"]).reset_index(drop=True)
    out.insert(0, "rank", pd.array([i + 1 if s else None for i, s in enumerate(out["status"].eq("assessed"))],
                                   dtype="Int64"))
    tiers = {t: int(out["tier"].eq(t).sum()) for t in ("critical", "high", "watch")}
    rows = out[SEVERITY_COLUMNS]
    return {"members": mem, "member_names": names, "assessed": int(out["status"].eq("assessed").sum()),
            "tiers": tiers, "rows": rows.head(top) if top is not None else rows,
            "definition": rules.describe(), "applicable": list(applicable), "coverage": cov}


def _fraction(v: float, item: str) -> float:
    f = float(v)
    if not 0.0 <= f <= 1.0:
        raise AllychainError(f"agreement cover of {item!r} must be a fraction from 0 to 1, got {v!r}")
    return f


def _rules_fired(n: Network, items: list[str], chokepoint_rules: ChokepointRules | None,
                 year: int | None) -> pd.DataFrame:
    cp = chokepoints(n, chokepoint_rules, year=year, items=items, include_all=True)
    return cp.drop_duplicates("item_id").set_index("item_id")


def _dependency_view(n: Network, deps: pd.DataFrame, chokepoint_rules: ChokepointRules | None, year: int | None,
                     critical_share: float) -> pd.DataFrame:
    ids = deps["item_id"].astype(str).tolist()
    cp = _rules_fired(n, ids, chokepoint_rules, year).reindex(ids)
    assessed = deps["status"].eq("assessed").to_numpy()
    fired = [list(r) if isinstance(r, list) else [] for r in cp["rules"]]
    fired = [f + (["critical_dependency"] if c is True else []) for f, c in zip(fired, deps["critical"].tolist(),
                                                                                strict=True)]
    return pd.DataFrame({
        "item_id": ids, "item_name": deps["item_name"].to_numpy(), "kind": deps["kind"].to_numpy(),
        "concentration": np.where(assessed, deps["top_foreign_share"].to_numpy(dtype=float) / 100.0, np.nan),
        "substitutability": cp["top3_firm_share"].to_numpy(dtype=float) / 100.0,
        "exposure": deps["exposure"].to_numpy(dtype=float) / 100.0,
        "agreement_cover": np.nan,  # not known until the agreement registry exists
        "supplier": deps["top_foreign_country"].to_numpy(), "supplier_name": deps["top_foreign_name"].to_numpy(),
        "supplier_share": deps["top_foreign_share"].to_numpy(dtype=float),
        "rules": fired, "via": deps["via"].to_numpy(),
    })


def _item_view(n: Network, chokepoint_rules: ChokepointRules | None, year: int | None) -> pd.DataFrame:
    cp = chokepoints(n, chokepoint_rules, year=year, include_all=True).drop_duplicates("item_id")
    kinds = dict(zip(n.items["item_id"].astype(str), n.items["kind"], strict=False))
    return pd.DataFrame({
        "item_id": cp["item_id"].astype(str).to_numpy(), "item_name": cp["item_name"].to_numpy(),
        "kind": [kinds.get(str(i)) for i in cp["item_id"]],
        "concentration": cp["top_country_share"].to_numpy(dtype=float) / 100.0,
        "substitutability": cp["top3_firm_share"].to_numpy(dtype=float) / 100.0,
        "exposure": np.nan, "agreement_cover": np.nan,
        "supplier": cp["top_country"].to_numpy(), "supplier_name": cp["top_country_name"].to_numpy(),
        "supplier_share": cp["top_country_share"].to_numpy(dtype=float),
        "rules": [list(r) for r in cp["rules"]], "via": None,
    })
