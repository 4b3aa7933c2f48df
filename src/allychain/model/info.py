"""Counts that describe a network (``allychain data info``)."""

from __future__ import annotations

from typing import Any

from allychain.model.network import Network

__all__ = ["info"]


def info(n: Network) -> dict[str, Any]:
    """Counts that describe a network, and the granularities it holds.

    Definitions
    -----------
    items
        Rows of ``items`` (stages are counted separately under ``stages``).
    providers
        Distinct providers: countries, firms, regions and aggregates together.
    countries
        Providers of kind ``country`` (ISO 3166 alpha-3).  Regions (``EUR``) and
        aggregates (``Various countries``) are not countries; they are counted in
        ``regions_and_aggregates``.
    firms
        Providers of kind ``firm``.  Aggregates of firms (ETO's "Various companies")
        are not firms.
    share_rows, share_rows_unknown
        Rows of ``shares``; of these, rows whose share is unknown (empty, NaN).
    items_with_known_country_shares
        Items (not stages) with at least one share row of a ``country`` provider whose
        share is known (a number, 0 included).
    years
        Distinct years of share rows (rows of unknown year are not counted).
    """
    p = n.providers.drop_duplicates("provider_id")
    kinds = p.set_index("provider_id")["kind"]
    s = n.shares
    country_rows = s[s["provider_id"].map(kinds).eq("country").fillna(False) & s["share"].notna()]
    items = set(n.items["item_id"])
    years = sorted({int(y) for y in s["year"].dropna()})
    return {
        "name": n.name,
        "datasets": n.datasets,
        "granularities": n.granularities,
        "stages": int(len(n.stages)),
        "items": int(len(n.items)),
        "providers": int(len(p)),
        "countries": int((p["kind"] == "country").sum()),
        "firms": int((p["kind"] == "firm").sum()),
        "regions_and_aggregates": int(p["kind"].isin(["region", "aggregate"]).sum()),
        "share_rows": int(len(s)),
        "share_rows_unknown": int(s["share"].isna().sum()),
        "items_with_known_country_shares": int(len(set(country_rows["item_id"]) & items)),
        "relations": int(len(n.relations)),
        "sources": int(len(n.sources)),
        "nodes": int(len(n.nodes)),
        "edges": int(len(n.edges)),
        "bom_rows": int(len(n.bom)),
        "alliances": sorted(str(a) for a in n.alliances["alliance_id"].dropna().unique()),
        "io_region_sectors": int(len(n.io.Z)) if n.io is not None else 0,
        "years": years,
    }
