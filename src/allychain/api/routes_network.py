"""The network: overview, value-chain map, items, providers, shares, search."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from allychain.api.deps import cached, state_of
from allychain.api.problems import PROBLEM_SCHEMA, ApiProblem
from allychain.api.serialize import records
from allychain.model.network import Network

__all__ = ["router", "health", "network_info", "value_chain", "chain_map", "items", "item_detail", "item",
           "providers", "provider_detail", "provider", "shares", "search"]

router = APIRouter(prefix="/api", tags=["network"], responses={422: PROBLEM_SCHEMA, 400: PROBLEM_SCHEMA})



def _id() -> Any:
    return Path(..., min_length=1, max_length=200, description="Identifier as in the data.")


def _rows(df: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    return records(df[[c for c in cols if c in df.columns]])


@router.get("/health", summary="Liveness and what the server holds")
def health(request: Request) -> dict[str, Any]:
    st = state_of(request)
    return {"status": "ok", "data": st.data, "network": st.network.name, "load_seconds": round(st.load_seconds, 3),
            "cached_answers": len(st.cache), "members": st.members}


@router.get("/network", summary="Counts, datasets, years and default members of the loaded network")
def network_info(request: Request) -> Response:
    def compute() -> dict[str, Any]:
        from allychain.model.info import info

        st = state_of(request)
        n = st.network
        al = n.alliances
        alliances = [{"alliance_id": a, "name": str(g["name"].dropna().iloc[0]) if g["name"].notna().any() else a,
                      "members": list(g["member"].astype(str))}
                     for a, g in al.groupby("alliance_id", sort=False)] if len(al) else []
        return {**info(n), "data": st.data, "default_members": st.members, "alliance_list": alliances,
                "sources": _rows(n.sources.drop_duplicates("source_id"),
                                 ["source_id", "title", "publisher", "year", "url", "dataset"])}

    return cached(request, ("network",), compute)


def value_chain(n: Network) -> dict[str, Any]:
    """Stages with their items (id, name, kind, providers) and the relations between items."""
    from allychain.model.views import item_table

    items = item_table(n)
    stages = []
    for rec in n.stages.to_dict("records"):
        sid = rec["stage_id"]
        stages.append({"stage_id": sid, "name": rec["name"], "description": rec.get("description"),
                       "items": records(items[items["stage_id"] == sid].drop(columns=["stage_id"]))})
    known = set(n.stages["stage_id"].astype(str))
    other = items[~items["stage_id"].isin(known) | items["stage_id"].isna()]
    if len(other):
        stages.append({"stage_id": None, "name": "Other items", "description": "Items not assigned to a stage",
                       "items": records(other.drop(columns=["stage_id"]))})
    rel = n.relations
    return {"stages": stages, "relations": _rows(rel, ["source", "target", "kind", "dataset"])}


@router.get("/map", summary="The value-chain map: stages → items, and the relations between items")
def chain_map(request: Request) -> Response:
    return cached(request, ("map",), lambda: value_chain(state_of(request).network))


@router.get("/items", summary="Items of the value chain")
def items(request: Request,
          kind: str | None = Query(None, max_length=50, description="Only items of this kind (tool, material …)."),
          stage: str | None = Query(None, max_length=200, description="Only items of this stage id.")) -> Response:
    def compute() -> Any:
        from allychain.model.views import item_table

        t = item_table(state_of(request).network, kind=kind)
        if stage is not None:
            t = t[t["stage_id"] == stage]
        return t

    return cached(request, ("items", kind, stage), compute)


def item_detail(n: Network, item_id: str) -> dict[str, Any]:
    from allychain.analysis import concentration
    from allychain.model.views import item_shares

    it = n.items[n.items["item_id"] == item_id]
    if it.empty:
        from allychain.model.views import find_item

        try:
            hint = find_item(n, item_id)
        except Exception as exc:  # noqa: BLE001 - the message carries the suggestions
            raise ApiProblem(404, "unknown-item", "Unknown item", str(exc)) from None
        raise ApiProblem(404, "unknown-item", "Unknown item", f"unknown item id {item_id!r}; did you mean {hint!r}?")
    rec = records(it.head(1))[0]
    names = n.item_names()
    stage_names = dict(zip(n.stages["stage_id"], n.stages["name"], strict=True))
    shares = item_shares(n, item_id)
    rel = n.relations
    conc = concentration(n, level="both", items=[item_id])
    years = sorted({int(y) for y in shares["year"].dropna()})

    def linked(df: pd.DataFrame, col: str) -> list[dict[str, Any]]:
        return [{"item_id": str(i), "name": names.get(i, stage_names.get(i, i)), "kind": str(k)}
                for i, k in zip(df[col], df["kind"], strict=True)]

    srcs = shares.dropna(subset=["source"]).drop_duplicates("source")
    return {
        **rec,
        "stage_name": stage_names.get(rec.get("stage_id")),
        "shares": records(shares),
        "years": years,
        "concentration": records(conc),
        "inputs": linked(rel[(rel["target"] == item_id) & (rel["kind"] == "goes_into")], "source"),
        "used_in": linked(rel[(rel["source"] == item_id) & (rel["kind"] == "goes_into")], "target"),
        "types": linked(rel[(rel["target"] == item_id) & (rel["kind"] == "is_type_of")], "source"),
        "type_of": linked(rel[(rel["source"] == item_id) & (rel["kind"] == "is_type_of")], "target"),
        "sources": _rows(srcs.rename(columns={"source": "title"}), ["title", "publisher", "source_year", "url"]),
    }


@router.get("/items/{item_id}", summary="One item: providers and shares (with years and sources), concentration, "
                                         "inputs and uses")
def item(request: Request, item_id: str = _id()) -> Response:
    return cached(request, ("item", item_id), lambda: item_detail(state_of(request).network, item_id))


@router.get("/providers", summary="Providers: countries, firms, regions and aggregates")
def providers(request: Request,
              kind: str | None = Query(None, pattern="^(country|firm|region|aggregate)$",
                                          description="Only providers of this kind.")) -> Response:
    def compute() -> Any:
        n = state_of(request).network
        p = n.providers.drop_duplicates("provider_id")
        if kind:
            p = p[p["kind"] == kind]
        rows = n.shares.groupby("provider_id")["item_id"].nunique()
        p = p.assign(items=p["provider_id"].map(rows).fillna(0).astype(int))
        return _rows(p, ["provider_id", "name", "kind", "country", "aliases", "items"])

    return cached(request, ("providers", kind), compute)


def provider_detail(n: Network, provider_id: str) -> dict[str, Any]:
    p = n.providers.drop_duplicates("provider_id")
    row = p[p["provider_id"] == provider_id]
    if row.empty:
        from allychain.model.members import resolve_members

        try:
            code = resolve_members(provider_id, n)
        except Exception:  # noqa: BLE001
            code = []
        hint = f"; did you mean {code[0]!r}?" if code and code[0] in set(p["provider_id"]) else ""
        raise ApiProblem(404, "unknown-provider", "Unknown provider",
                         f"unknown provider id {provider_id!r}{hint} (list them at /api/providers)")
    rec = records(row.head(1))[0]
    names = n.item_names()
    s = n.shares[n.shares["provider_id"] == provider_id]
    supplies = pd.DataFrame({"item_id": s["item_id"], "item_name": s["item_id"].map(names), "share": s["share"],
                             "year": s["year"], "dataset": s["dataset"], "via": provider_id})
    firms = p[(p["kind"] == "firm") & (p["country"] == provider_id)]
    if rec.get("kind") == "country" and len(firms):
        fs = n.shares[n.shares["provider_id"].isin(set(firms["provider_id"]))]
        fn = dict(zip(firms["provider_id"], firms["name"], strict=True))
        supplies = pd.concat([supplies, pd.DataFrame({
            "item_id": fs["item_id"], "item_name": fs["item_id"].map(names), "share": fs["share"], "year": fs["year"],
            "dataset": fs["dataset"], "via": fs["provider_id"].map(fn)})], ignore_index=True)
    supplies = supplies.sort_values(["share", "item_id"], ascending=[False, True], na_position="last")
    return {**rec, "supplies": records(supplies), "firms": _rows(firms, ["provider_id", "name"])}


@router.get("/providers/{provider_id}", summary="One provider: what it supplies (own rows and its firms')")
def provider(request: Request, provider_id: str = _id()) -> Response:
    return cached(request, ("provider", provider_id), lambda: provider_detail(state_of(request).network, provider_id))


@router.get("/shares", summary="Share rows, filtered (percent; null = unknown share, never zero)")
def shares(request: Request,
           item_id: str | None = Query(None, max_length=200), provider_id: str | None = Query(None, max_length=200),
           year: int | None = Query(None, ge=1900, le=2100), dataset: str | None = Query(None, max_length=100),
           limit: int = Query(500, ge=1, le=10_000), offset: int = Query(0, ge=0, le=1_000_000)) -> Response:
    def compute() -> dict[str, Any]:
        s = state_of(request).network.shares
        if item_id is not None:
            s = s[s["item_id"] == item_id]
        if provider_id is not None:
            s = s[s["provider_id"] == provider_id]
        if year is not None:
            s = s[s["year"] == year]
        if dataset is not None:
            s = s[s["dataset"] == dataset]
        page = s.iloc[offset:offset + limit]
        return {"total": int(len(s)), "offset": offset, "limit": limit,
                "rows": _rows(page, ["item_id", "provider_id", "share", "year", "basis", "dataset", "source_id"])}

    return cached(request, ("shares", item_id, provider_id, year, dataset, limit, offset), compute)


@router.get("/search", summary="Items, stages and providers whose id or name contains the query")
def search(request: Request, q: str = Query(..., min_length=1, max_length=100),
           limit: int = Query(20, ge=1, le=200)) -> Response:
    def compute() -> list[dict[str, Any]]:
        n = state_of(request).network
        needle = q.strip().casefold()
        hits: list[tuple[int, dict[str, Any]]] = []
        tables = ((n.stages, "stage_id", "stage"), (n.items, "item_id", "item"),
                  (n.providers.drop_duplicates("provider_id"), "provider_id", None))
        for df, key, kind in tables:
            for i, nm, k in zip(df[key].astype(str), df["name"].astype(str),
                                df["kind"] if kind is None else [kind] * len(df), strict=True):
                ci, cn = i.casefold(), nm.casefold()
                if not needle:
                    continue
                if needle == ci or needle == cn:
                    rank = 0
                elif cn.startswith(needle) or ci.startswith(needle):
                    rank = 1
                elif needle in cn or needle in ci:
                    rank = 2
                else:
                    continue
                typ = kind or "provider"
                hits.append((rank, {"type": typ, "id": i, "name": nm, "kind": str(k)}))
        hits.sort(key=lambda h: (h[0], h[1]["name"]))
        return [h for _, h in hits[:limit]]

    return cached(request, ("search", q, limit), compute)
