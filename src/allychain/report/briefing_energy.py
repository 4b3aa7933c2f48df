"""The briefing pack's energy section: each member's energy dependency for its fabs — the fab items it makes,
the grid they run on (carbon intensity, carbon-free share, outage duration and frequency, each with its basis
and year), electricity per unit where known, the energy agreements its country is party to — the grids of the
chain's fab items, and a chart; what has no sourced figure is named as not covered
(:func:`allychain.energy.energy_profile`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from allychain.model.network import Network
from allychain.report.briefing_sections import _svg_uri, records

__all__ = ["energy_section", "energy_summary"]

MEMBER_COLUMNS = ["member", "grid", "item_id", "name", "share", "carbon_intensity", "carbon_intensity_basis",
                  "carbon_intensity_year", "share_carbon_free", "saidi", "saidi_basis", "saidi_year", "saifi",
                  "kwh_per_unit", "kwh_unit", "status"]
#: the members' imports shown, largest foreign share first
IMPORTS_SHOWN = 10
ITEM_COLUMNS = ["item_id", "name", "grids", "top_grid", "top_grid_share", "carbon_intensity",
                "carbon_intensity_covered", "share_carbon_free", "top_grid_saidi", "top_grid_saidi_basis",
                "kwh_per_unit", "kwh_unit", "status"]


def _grid_of(fabs: pd.DataFrame, member: str) -> dict[str, Any]:
    g = fabs[fabs["member"] == member].iloc[0]
    made = fabs[(fabs["member"] == member) & fabs["item_id"].notna()]
    return {"member": member, "grid": g["grid"], "fab_items": len(made),
            "largest": [f"{r['name']} {r['share']:.0f} %" for _, r in made.head(3).iterrows()],
            **{k: (None if pd.isna(g[k]) else g[k]) for k in ("carbon_intensity", "carbon_intensity_basis",
                                                              "share_carbon_free", "saidi", "saidi_basis",
                                                              "saidi_year", "saifi")},
            "agreements": [a for a in str(g["agreements"]).split("; ") if a],
            "not_covered": [m for m, col in (("carbon intensity", "carbon_intensity"),
                                             ("carbon-free share", "share_carbon_free"),
                                             ("outage duration (SAIDI)", "saidi"),
                                             ("outage frequency (SAIFI)", "saifi")) if pd.isna(g[col])]}


def energy_section(network: Network, members: Sequence[str], year: int | None = None) -> dict[str, Any]:
    """The energy section's data: one summary per member (its grid and fab items), the rows per member and
    fab item, the fab items' grids, the members' energy agreements, a chart (SVG ``data:`` address) and the
    sources."""
    from allychain.analysis import dependencies
    from allychain.energy import energy_profile, foreign_grids, load_builtin
    from allychain.report.energy_charts import energy_chart

    tables = load_builtin()
    prof = energy_profile(network, tables, members, year=year)
    deps = dependencies(network, list(members), year=year)
    imports = foreign_grids(network, tables, deps, members, year=year).head(IMPORTS_SHOWN)
    fabs, grids = prof["members"], prof["grids"].set_index("country")
    own = [g for g in dict.fromkeys(fabs["grid"].dropna()) if g]
    chart = _svg_uri(lambda p: energy_chart(grids, p, members=own, title="Grids the members' fabs and the chain's "
                                                                        "fab items run on")) if len(grids) else None
    coop = prof["cooperation"]
    return {
        "members": [_grid_of(fabs, m) for m in dict.fromkeys(fabs["member"])],
        "rows": records(fabs[fabs["item_id"].notna()], MEMBER_COLUMNS),
        "items": records(prof["items"], ITEM_COLUMNS),
        "imports": records(imports, ["item_id", "item_name", "foreign_share", "grids", "top_grid",
                                     "carbon_intensity", "carbon_intensity_basis", "carbon_intensity_covered",
                                     "top_grid_saidi", "top_grid_saidi_basis"]),
        "agreements": records(coop, ["agreement_id", "parties", "kind", "instrument", "signed", "title",
                                     "source_id"]),
        "chart": chart,
        "sources": records(prof["sources"], ["source_id", "title", "publisher", "year", "url"]),
    }


def energy_summary(section: dict[str, Any]) -> str | None:
    """One sentence for the executive summary."""
    parts = []
    for m in section["members"]:
        if not m["fab_items"]:
            parts.append(f"{m['member']} has no fab output in the data")
            continue
        ci = f"{m['carbon_intensity']:.0f} gCO2e/kWh" if m["carbon_intensity"] is not None else "carbon intensity not covered"
        cf = f"{m['share_carbon_free']:.0f} % carbon-free" if m["share_carbon_free"] is not None else "carbon-free share not covered"
        sd = (f"{m['saidi']:.4g} min of outage a year" if m["saidi"] is not None else "outage duration not covered")
        parts.append(f"{m['member']}'s fabs ({m['fab_items']} items) run on the {m['grid']} grid: {ci}, {cf}, {sd}")
    if not parts:
        return None
    n = len({a["agreement_id"] for a in section["agreements"]})
    return "Power: " + "; ".join(parts) + (f"; {n} energy agreements among the members" if n else "") + "."
