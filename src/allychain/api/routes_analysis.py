"""Every analysis of :mod:`allychain.analysis`, and the decision model's unprotected nodes.

Answers are computed once per parameter set and served from the cache after that.
Shares are in percent; ``null`` is "unknown" or "not assessable", never zero; every
answer that can miss items carries its ``coverage`` statement.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from allychain.api.deps import cached, split, state_of
from allychain.api.problems import PROBLEM_SCHEMA
from allychain.model.rules import CHOKEPOINT_RULES, DEPENDENCY_RULES

__all__ = ["router", "decisions", "concentration", "chokepoints", "dependencies", "alliance_payload", "alliance",
           "complementarity", "shared_dependencies", "partners", "severity", "coverage", "unprotected_payload", "tts"]

router = APIRouter(prefix="/api/analysis", tags=["analysis"],
                   responses={400: PROBLEM_SCHEMA, 422: PROBLEM_SCHEMA})
decisions = APIRouter(prefix="/api/decisions", tags=["decisions"],
                      responses={400: PROBLEM_SCHEMA, 422: PROBLEM_SCHEMA, 503: PROBLEM_SCHEMA})

MembersQ = Query(None, max_length=200, description="Comma-separated members: ISO 3166 alpha-3 codes, country names, "
                                                   "firm ids or an alliance id (default: the server's members).")
YearQ = Query(None, ge=1900, le=2100, description="Shares of this year (default: per item, the latest known).")
CriticalQ = Query(DEPENDENCY_RULES.critical_share, ge=0, le=100, description="Critical when one outside country holds at least this share (%).")
MinShareQ = Query(DEPENDENCY_RULES.min_role_share, ge=0, le=100, description="Members perform a stage or item where they hold at least this (%).")
StagesQ = Query(None, max_length=2000, description="Comma-separated stage or item ids the members perform.")
ItemsQ = Query(None, max_length=4000, description="Comma-separated item ids or names (default: all).")


def _members(request: Request, members: str | None) -> list[str]:
    from allychain.model.members import resolve_members

    st = state_of(request)
    return resolve_members(members if members else st.members, st.network)


def _tuple(v: list[str] | None) -> tuple[str, ...] | None:
    return tuple(v) if v is not None else None


@router.get("/concentration", summary="HHI, top-1 and top-3 shares per item at country or firm level")
def concentration(request: Request, level: Literal["country", "firm", "both"] = "country",
                  year: int | None = YearQ, items: str | None = ItemsQ) -> Response:
    req = split(items)

    def compute() -> dict[str, Any]:
        from allychain.analysis import concentration, coverage

        n = state_of(request).network
        c = concentration(n, level=level, year=year, items=req)
        base = c if level != "both" else c[c["level"] == "country"]
        return {"level": level, "rows": c, "coverage": coverage(n, base.drop_duplicates("item_id"), requested=req)}

    return cached(request, ("concentration", level, year, _tuple(req)), compute)


@router.get("/chokepoints", summary="Items where one country, three firms or a high HHI control supply")
def chokepoints(request: Request,
                country_share: float = Query(CHOKEPOINT_RULES.country_share, ge=0, le=100, description="Rule country_share threshold (%)."),
                firm_top3: float = Query(CHOKEPOINT_RULES.firm_top3, ge=0, le=100, description="Rule firm_top3 threshold (%)."),
                hhi: float = Query(CHOKEPOINT_RULES.hhi, ge=0, le=10_000, description="Rule hhi threshold (0–10,000)."),
                rules: str | None = Query(None, max_length=100, description="Comma-separated rules to apply "
                                             "(country_share, firm_top3, hhi; default all)."),
                year: int | None = YearQ, items: str | None = ItemsQ,
                include_all: bool = Query(False, alias="all", description="Every item, also where no rule fires.")
                ) -> Response:
    req = split(items)
    enabled = split(rules)

    def compute() -> dict[str, Any]:
        from allychain.analysis import RULE_NAMES, ChokepointRules, chokepoints, coverage

        n = state_of(request).network
        r = ChokepointRules(country_share=country_share, firm_top3=firm_top3, hhi=hhi,
                            enabled=tuple(enabled or RULE_NAMES))
        every = chokepoints(n, r, year=year, items=req, include_all=True)
        out = every if include_all else every[every["rules"].map(len) > 0]
        return {"rules": r.describe(), "count": int(len(out)), "rows": out,
                "coverage": coverage(n, every, requested=req)}

    return cached(request, ("chokepoints", country_share, firm_top3, hhi, _tuple(enabled), year, _tuple(req),
                            include_all), compute)


@router.get("/dependencies", summary="Everything the members' production needs, through all tiers, with foreign "
                                      "share and criticality")
def dependencies(request: Request, members: str | None = MembersQ, year: int | None = YearQ,
                 critical_share: float = CriticalQ, min_share: float = MinShareQ,
                 stages: str | None = StagesQ, items: str | None = ItemsQ,
                 critical_only: bool = Query(False, description="Only critical dependencies.")) -> Response:
    mem = _members(request, members)
    stg, req = split(stages), split(items)

    def compute() -> dict[str, Any]:
        from allychain.analysis import dependency_report

        rep = dependency_report(state_of(request).network, mem, stages=stg, year=year,
                                critical_share=critical_share, min_share=min_share, items=req)
        deps = rep["dependencies"]
        crit = deps["critical"].fillna(False).astype(bool)
        return {**rep, "critical_count": int(crit.sum()),
                "dependencies": deps[crit] if critical_only else deps}

    return cached(request, ("dependencies", tuple(mem), year, critical_share, min_share, _tuple(stg), _tuple(req),
                            critical_only), compute)


def alliance_payload(n: Any, mem: list[str], year: int | None, critical_share: float, min_share: float,
                     stages: list[str] | None) -> dict[str, Any]:
    """:func:`allychain.analysis.alliance_report` with its matrix as rows × columns."""
    from allychain.analysis import alliance_report

    rep = alliance_report(n, mem, year=year, critical_share=critical_share, min_share=min_share, stages=stages)
    m = rep["complementarity_matrix"]
    deps = rep["dependencies"]
    return {**rep, "critical_share": critical_share,
            "critical_count": int(deps["critical"].fillna(False).astype(bool).sum()),
            "complementarity_matrix": {"suppliers": [str(i) for i in m.index], "customers": [str(c) for c in m.columns],
                                       "values": m.to_numpy().tolist() if len(m) else []}}


@router.get("/alliance", summary="The alliance view: combined shares, gaps, complementarity, shared outside "
                                  "dependencies, coverage")
def alliance(request: Request, members: str | None = MembersQ, year: int | None = YearQ,
             critical_share: float = CriticalQ, min_share: float = MinShareQ,
             stages: str | None = StagesQ) -> Response:
    mem = _members(request, members)
    stg = split(stages)
    return cached(request, ("alliance", tuple(mem), year, critical_share, min_share, _tuple(stg)),
                  lambda: alliance_payload(state_of(request).network, mem, year, critical_share, min_share, stg))


@router.get("/complementarity", summary="What each member supplies towards the others' dependencies")
def complementarity(request: Request, members: str | None = MembersQ, year: int | None = YearQ,
                    min_share: float = MinShareQ, stages: str | None = StagesQ,
                    value: Literal["items", "share_of_foreign"] = "items") -> Response:
    mem = _members(request, members)
    stg = split(stages)

    def compute() -> dict[str, Any]:
        from allychain.analysis import complementarity, complementarity_matrix

        comp = complementarity(state_of(request).network, mem, year=year, min_share=min_share, stages=stg)
        m = complementarity_matrix(comp, value=value) if len(comp) else None
        return {"members": mem, "value": value, "rows": comp,
                "matrix": {"suppliers": [] if m is None else [str(i) for i in m.index],
                           "customers": [] if m is None else [str(c) for c in m.columns],
                           "values": [] if m is None else m.to_numpy().tolist()}}

    return cached(request, ("complementarity", tuple(mem), year, min_share, _tuple(stg), value), compute)


@router.get("/shared-dependencies", summary="Items every member needs whose largest outside supplier is critical")
def shared_dependencies(request: Request, members: str | None = MembersQ, year: int | None = YearQ,
                        critical_share: float = CriticalQ, min_share: float = MinShareQ,
                        stages: str | None = StagesQ) -> Response:
    mem = _members(request, members)
    stg = split(stages)

    def compute() -> dict[str, Any]:
        from allychain.analysis import shared_dependencies

        d = shared_dependencies(state_of(request).network, mem, year=year, critical_share=critical_share,
                                min_share=min_share, stages=stg)
        return {"members": mem, "critical_share": critical_share, "rows": d}

    return cached(request, ("shared", tuple(mem), year, critical_share, min_share, _tuple(stg)), compute)


@router.get("/severity", summary="Dependencies (or items) ranked by severity, with components, tiers and rules")
def severity(request: Request, members: str | None = MembersQ, year: int | None = YearQ,
             critical_share: float = CriticalQ, min_share: float = MinShareQ, stages: str | None = StagesQ,
             items_only: bool = Query(False, description="Score items without members (the item view)."),
             top: int = Query(10, ge=1, le=500, description="The N most severe rows returned.")) -> Response:
    mem = None if items_only else _members(request, members)
    stg = split(stages)

    def compute() -> dict[str, Any]:
        from allychain.analysis import severity_report

        n = state_of(request).network
        rep = severity_report(n, mem, top=top, year=year, critical_share=critical_share, min_share=min_share,
                              stages=stg)
        rows = rep["rows"][rep["rows"]["status"].eq("assessed")]
        return {"members": rep["members"], "assessed": rep["assessed"], "tiers": rep["tiers"],
                "definition": rep["definition"], "rows": rows, "coverage": rep["coverage"]}

    return cached(request, ("severity", None if mem is None else tuple(mem), year, critical_share, min_share,
                            _tuple(stg), top), compute)


@router.get("/partners", summary="Candidate partners ranked by the critical alliance dependencies they resolve")
def partners(request: Request, members: str | None = MembersQ, year: int | None = YearQ,
             critical_share: float = CriticalQ, min_share: float = MinShareQ, stages: str | None = StagesQ,
             weight: Literal["count", "market"] = "count",
             k: int | None = Query(None, ge=1, le=10, description="Also choose a best set of k partners (greedy)."),
             candidates: str = Query("like-minded", max_length=500,
                                     description="Candidate pool: like-minded (default), all, or grouping ids and "
                                                 "countries joined by ',' (union) or '&' (intersection)."),
             limit: int = Query(50, ge=1, le=500, description="Ranked candidates returned.")) -> Response:
    mem = _members(request, members)
    stg = split(stages)

    def compute() -> dict[str, Any]:
        from allychain.analysis import best_partners, dependency_report, partners
        from allychain.data.load import builtin_groupings

        n = state_of(request).network
        kw: dict[str, Any] = dict(year=year, critical_share=critical_share, weight=weight, min_share=min_share,
                                  stages=stg, candidates=candidates, groupings=builtin_groupings())
        ranked = partners(n, mem, **kw)
        best = best_partners(n, mem, k=k, **kw) if k is not None else None
        rep = dependency_report(n, mem, stages=stg, year=year, critical_share=critical_share, min_share=min_share)
        return {"members": mem, "weight": weight, "pool": candidates, "candidates": int(len(ranked)),
                "rows": ranked.head(limit),
                "best": best, "coverage": rep["coverage"]}

    return cached(request, ("partners", tuple(mem), year, critical_share, min_share, _tuple(stg), weight, k, limit,
                            candidates), compute)


@router.get("/coverage", summary="What an analysis could not look at: items not in the data or not assessable")
def coverage(request: Request, analysis: Literal["concentration", "chokepoints", "dependencies"] = "dependencies",
             members: str | None = MembersQ, year: int | None = YearQ, items: str | None = ItemsQ) -> Response:
    mem = _members(request, members) if analysis == "dependencies" else []
    req = split(items)

    def compute() -> dict[str, Any]:
        from allychain.analysis import chokepoints, concentration, coverage, coverage_text, dependency_report

        n = state_of(request).network
        if analysis == "concentration":
            cov = coverage(n, concentration(n, year=year, items=req), requested=req)
        elif analysis == "chokepoints":
            cov = coverage(n, chokepoints(n, year=year, items=req, include_all=True), requested=req)
        else:
            cov = dependency_report(n, mem, year=year, items=req)["coverage"]
        names = dict(zip(n.stages["stage_id"].astype(str), n.stages["name"].astype(str), strict=True))
        names.update(n.item_names())
        if cov.get("not_in_data"):
            from allychain.analysis.coverage import with_pointers
            from allychain.data.load import builtin_concepts

            cov = with_pointers(n, cov, builtin_concepts())
        return {"analysis": analysis, "members": mem or None, **cov, "text": coverage_text(cov, names)}

    return cached(request, ("coverage", analysis, tuple(mem), year, _tuple(req)), compute)


def unprotected_payload(n: Any, members: list[str] | None, only_unprotected: bool) -> dict[str, Any]:
    """TTS vs TTR for every node (provider × item on share networks), optionally for members only."""
    from allychain.optimize import unprotected_nodes

    u = unprotected_nodes(n, members or None, only_unprotected=only_unprotected)
    return {"members": members, "message": u.result.message, "period": u.period,
            "unprotected_count": u.count, "rows": u.rows, "meta": u.result.meta}


@decisions.get("/tts", summary="Time to survive vs time to recover per node; unprotected nodes (TTS < TTR)")
def tts(request: Request, members: str | None = Query(None, max_length=200, description="Only nodes in these "
                                                         "countries (comma-separated; default all)."),
        unprotected: bool = Query(False, description="Only unprotected nodes.")) -> Response:
    mem = _members(request, members) if members else None

    def compute() -> dict[str, Any]:
        return unprotected_payload(state_of(request).network, mem, unprotected)

    return cached(request, ("tts", _tuple(mem), unprotected), compute)
