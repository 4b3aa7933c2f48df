"""The briefing pack's talent section: the members' workforce gap per year and skill level,
with and without the alliance's programme (table and chart), members without sourced
figures named as not covered (:func:`allychain.talent.members.talent_gap`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from allychain.model.network import Network
from allychain.report.briefing_sections import _svg_uri, records
from allychain.talent.members import ALLIANCE_PROGRAMME, talent_gap

__all__ = ["talent_section", "talent_summary"]

ROW_COLUMNS = ["country", "level", "year", "demand", "stock", "gap", "gap_with", "closed"]


def _in_chain(network: Network, members: Sequence[str]) -> list[dict[str, Any]]:
    """Labour as an input of the chain: the share of each item's world supply made with each
    member's own workforce (``--inputs labour``; :func:`allychain.analysis.inputs.input_exposure`)."""
    from allychain.analysis.inputs import input_exposure
    from allychain.data.inputs import with_inputs
    from allychain.errors import AllychainError

    try:
        rows = input_exposure(with_inputs(network, ["labour"]), members)
    except AllychainError:  # no item of this network has a sourced labour figure
        return []
    return records(rows[rows["member"]], ["input_node", "country", "item_id", "item_name", "share"])


def talent_section(members: Sequence[str], programme: str | None = ALLIANCE_PROGRAMME,
                   network: Network | None = None) -> dict[str, Any]:
    """The talent section's data: rows per member, level and year; the alliance total; a chart
    (SVG ``data:`` address) of the gap with (dashed) and without the programme; coverage; sources;
    with ``network``, each member's labour as an input of the chain (``in_chain``)."""
    from allychain.data.spec import read_programmes
    from allychain.report.talent_charts import gap_chart
    from allychain.talent import builtin_workforce

    table = builtin_workforce()
    view = talent_gap(table, members, read_programmes(programme, table) if programme else (), programme)
    rows: pd.DataFrame = view["rows"]
    both = pd.concat([rows, view["total"]], ignore_index=True) if len(view["total"]) else rows
    chart = _svg_uri(lambda p: gap_chart(both, p, title="Workforce gap: without (solid) and with (dashed) the "
                                                        "programme")) if len(rows) else None
    last = rows.loc[rows.groupby(["country", "level"])["year"].idxmax()] if len(rows) else rows
    flows = view["uncovered_flows"]
    return {
        "programme": programme, "covered": view["covered"], "not_covered": view["not_covered"],
        "rows": records(rows, ROW_COLUMNS), "total": records(view["total"], ROW_COLUMNS),
        "last": records(last, ROW_COLUMNS), "chart": chart,
        "programmes": records(view["programmes"], ["name", "country", "level", "per_year", "from", "until",
                                                   "entry_share", "source_id"]) if len(view["programmes"]) else [],
        "left_out": view["left_out"],
        "uncovered_flows": [{"country": c, "level": lv, "flows": ", ".join(g["flow"])}
                            for (c, lv), g in flows.groupby(["country", "level"])] if len(flows) else [],
        "sources": records(view["sources"], ["source_id", "title", "publisher", "year", "url"]),
        "in_chain": _in_chain(network, view["members"]) if network is not None else [],
    }


def talent_summary(section: dict[str, Any]) -> str | None:
    """One sentence for the executive summary."""
    parts = [f"{r['country']} {r['gap']:,.0f} in {r['year']}" for r in section["last"] if r.get("gap") is not None]
    if not parts and not section["not_covered"]:
        return None
    text = "Talent: the workforce gap (workers needed − available) is " + ("; ".join(parts) if parts else "—")
    closed = [f"{r['closed']:,.0f} ({r['country']})" for r in section["last"] if r.get("closed")]
    if section["programmes"]:
        text += "; the alliance's programme closes " + (", ".join(closed) if closed else "none of it")
    if section["not_covered"]:
        text += f"; not covered (no sourced figures): {', '.join(section['not_covered'])}"
    return text + "."
