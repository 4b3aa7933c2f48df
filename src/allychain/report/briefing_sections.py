"""The sections of the briefing pack, one builder each.

Each builder takes the network (and the members) and returns the plain data its part of
the template shows; :func:`allychain.report.briefing.build_briefing` calls them in order.
They use only the public functions of the analysis, simulation and decision layers.
"""

from __future__ import annotations

import base64
import tempfile
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allychain.analysis import (
    ChokepointRules,
    alliance_report,
    best_partners,
    chokepoints,
    coverage,
    coverage_text,
    dependency_report,
    partners,
    severity_report,
)
from allychain.model.network import Network
from allychain.model.rules import CHOKEPOINT_RULES
from allychain.simulate.outcome import scenario_outcome
from allychain.simulate.scenario import Scenario

__all__ = ["TOP", "lead_section", "chokepoint_section", "member_section", "alliance_section", "severity_section", "partner_section",
           "scenario_section", "unprotected_section", "methods_section", "summary_lines", "scenario_chart",
           "chokepoint_chart", "records"]

#: rows shown per table
TOP = 15
#: matplotlib is not thread-safe: charts of concurrent jobs are drawn one at a time
_CHART_LOCK = threading.Lock()


def _svg_uri(draw: Callable[[Path], Any]) -> str:
    """Run ``draw(path_to_svg)`` and return the file as a ``data:image/svg+xml;base64`` address."""
    with _CHART_LOCK, tempfile.TemporaryDirectory(prefix="allychain-chart-") as tmp:
        p = Path(tmp) / "chart.svg"
        draw(p)
        return "data:image/svg+xml;base64," + base64.b64encode(p.read_bytes()).decode("ascii")


def records(df: pd.DataFrame, cols: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for rec in df[[c for c in cols if c in df.columns]].to_dict("records"):
        out.append({k: (None if (v is pd.NA or v is None or (isinstance(v, float) and np.isnan(v))) else v)
                    for k, v in rec.items()})
    return out


def scenario_chart(outcome: dict[str, Any], path: Path) -> Path:
    """Line chart of production (% of baseline) per step: total, groups (thick), worst regions."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    s = outcome["series"]
    fig = Figure(figsize=(7.0, 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    steps = s["step"]
    palette = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb", "#994455"]

    def arr(v: list[Any]) -> np.ndarray:
        return np.array([np.nan if x is None else x for x in v], dtype=float)

    for k, (r, v) in enumerate(s["regions"].items()):
        ax.plot(steps, arr(v), lw=1.1, color=palette[k % len(palette)], label=str(r))
    for g, v in s["alliances"].items():
        ax.plot(steps, arr(v), lw=2.4, ls="--", color="#6a3d9a", label=f"{g} (alliance)")
    ax.plot(steps, arr(s["total"]), lw=2.4, color="black", label="total")
    ax.axhline(100, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("step (day)")
    ax.set_ylabel("production, % of baseline")
    ax.set_title(outcome["scenario"]["name"], fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=3, loc="lower left")
    fig.savefig(path, format="svg")
    return path


def chokepoint_chart(cp: pd.DataFrame, path: Path, threshold: float = CHOKEPOINT_RULES.country_share,
                     limit: int = 20) -> Path:
    """Horizontal bars of the largest country's share per chokepoint, sized for an A4 page
    (7 inches wide, 8-point labels: printed at about their own size)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    d = cp.dropna(subset=["top_country_share"]).head(limit)
    fig = Figure(figsize=(7.0, max(2.0, 0.27 * len(d) + 0.9)), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    colours = {3: "#8b0000", 2: "#d7301f", 1: "#fc8d59"}
    y = np.arange(len(d))[::-1]
    ax.barh(y, d["top_country_share"].to_numpy(dtype=float), color=[colours.get(min(len(r), 3), "#9e9e9e")
                                                                    for r in d["rules"]])
    for yi, v, who in zip(y, d["top_country_share"], d["top_country"], strict=True):
        ax.text(float(v) + 1.0, yi, str(who) if isinstance(who, str) else "", va="center", fontsize=8)
    names = [str(x) if len(str(x)) <= 38 else str(x)[:37] + "…" for x in d["item_name"]]
    ax.set_yticks(y, names, fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlim(0, 110)
    ax.axvline(threshold, color="black", ls="--", lw=0.8)
    ax.set_xlabel("largest country's share of the global market (%)", fontsize=9)
    fig.savefig(path, format="svg")
    return path



def chokepoint_section(network: Network, names: dict[str, str], year: int | None = None,
                       rules: ChokepointRules = CHOKEPOINT_RULES) -> dict[str, Any]:
    """Chokepoints: how many, the most concentrated, a chart, coverage."""
    every = chokepoints(network, rules, year=year, include_all=True)
    cp = every[every["rules"].map(len) > 0].reset_index(drop=True)
    chart = _svg_uri(lambda p: chokepoint_chart(cp, p, threshold=rules.country_share))
    return {"count": int(len(cp)), "assessed": int((every["status"] == "assessed").sum()),
            "rows": records(cp.head(TOP), ["item_id", "item_name", "rules", "top_country_name", "top_country_share",
                                           "hhi", "top_firm_names", "top3_firm_share", "country_year"]),
            "chart": chart, "coverage_text": coverage_text(coverage(network, every), names)}


def member_section(network: Network, members: list[str], names: dict[str, str],
                   year: int | None = None) -> list[dict[str, Any]]:
    """Each member's critical dependencies through all tiers."""
    out = []
    for m in members:
        rep = dependency_report(network, [m], year=year)
        d = rep["dependencies"]
        crit = d[d["critical"].fillna(False).astype(bool)]
        out.append({
            "code": m, "name": rep["member_names"][0], "needed": int(len(d)),
            "assessed": int((d["status"] == "assessed").sum()), "critical_count": int(len(crit)),
            "critical": records(crit.head(TOP), ["item_id", "item_name", "tier", "foreign_share",
                                                 "top_foreign_country", "top_foreign_name", "top_foreign_share",
                                                 "year"]),
            "coverage_text": coverage_text(rep["coverage"], names),
            "assumptions": list(rep.get("assumptions") or []),
        })
    return out


def alliance_section(network: Network, members: list[str], names: dict[str, str],
                     year: int | None = None) -> dict[str, Any]:
    """The alliance view: critical dependencies, shares, shared outside dependencies,
    complementarity, coverage."""
    from allychain.report import charts

    al = alliance_report(network, members, year=year)
    deps = al["dependencies"]
    crit = deps[deps["critical"].fillna(False).astype(bool)]
    matrix = al["complementarity_matrix"]
    comp_chart = _svg_uri(lambda p: charts.complementarity_heatmap(matrix, p)) if len(matrix) else None
    shares = al["shares"]
    share_cols = ["item_id", "item_name", *[f"share_{m}" for m in members], "combined_share", "top_outside",
                  "top_outside_share", "year"]
    return {
        "needed": int(len(deps)), "critical_count": int(len(crit)),
        "critical": records(crit.head(TOP), ["item_id", "item_name", "tier", "internal_share", "foreign_share",
                                             "top_foreign_name", "top_foreign_share", "year"]),
        "shares": records(shares[shares["status"] == "assessed"].head(TOP), share_cols), "share_cols": share_cols,
        "no_supplier": [{"item_id": i, "item_name": names.get(i, i)} for i in al["no_supplier"]],
        "shared": records(al["shared_dependencies"], ["item_id", "item_name", "outside_name", "outside_share",
                                                      "year"]),
        "matrix": {"suppliers": [str(i) for i in matrix.index], "customers": [str(c) for c in matrix.columns],
                   "values": matrix.to_numpy().tolist() if len(matrix) else []},
        "comp_chart": comp_chart,
        "coverage": al["coverage"],
        "coverage_text": coverage_text(al["coverage"], names),
    }


def severity_section(network: Network, members: list[str], names: dict[str, str], year: int | None = None,
                     top: int = 10) -> dict[str, Any]:
    """The ``top`` most severe dependencies of the alliance, with the score's components and the rules
    that fired (:func:`allychain.analysis.severity_report`)."""
    rep = severity_report(network, members, top=top, year=year)
    rows = rep["rows"][rep["rows"]["status"].eq("assessed")]
    recs = records(rows, ["rank", "item_id", "item_name", "tier", "score", "score_low", "score_high",
                          "concentration", "substitutability", "time_to_build", "exposure", "agreement_cover",
                          "supplier", "supplier_name", "supplier_share", "rules", "unknown_components"])
    return {"rows": recs, "tiers": rep["tiers"], "assessed": rep["assessed"], "definition": rep["definition"],
            "coverage_text": coverage_text(rep["coverage"], names) if rep["coverage"] else ""}


def partner_section(network: Network, members: list[str], year: int | None = None,
                    candidates: str = "like-minded") -> dict[str, Any]:
    """Partner recommendation from a candidate pool: ranked candidates and the greedy best three."""
    from allychain.data.load import builtin_groupings
    from allychain.report import charts

    groups = builtin_groupings()
    ranked = partners(network, members, year=year, candidates=candidates, groupings=groups)
    best = best_partners(network, members, k=3, year=year, candidates=candidates, groupings=groups)
    chart = _svg_uri(lambda p: charts.partner_bars(ranked[ranked["score"] > 0], p)) \
        if (ranked["score"] > 0).any() else None
    return {"pool": candidates, "candidates": int(len(ranked)),
            "ranked": records(ranked[ranked["score"] > 0].head(10),
                              ["rank", "country", "country_name", "groupings", "score", "resolved",
                               "internalised_share", "largest_share", "largest_share_item", "concentrated_items"]),
            "best": records(best, ["step", "country", "country_name", "gain", "score", "resolved_items",
                                   "resolved_item_names"]),
            "chart": chart}


def lead_section(network: Network, members: list[str]) -> dict[str, Any]:
    """The technology lead (:func:`allychain.watch.lead.lead`): the alerts, the items with an alert or a
    move between vintages first, and the chart."""
    from allychain.report.watch_charts import lead_chart
    from allychain.watch.lead import lead

    res = lead(network, members)
    it = res.items
    chart = _svg_uri(lambda p: lead_chart(it, res.vintages, p)) if len(it) else None
    return {"rules": res.rules.describe(), "alerts": res.alerts, "items": int(len(it)),
            "vintages": int(len(res.vintages)),
            "rows": records(it.head(TOP), ["item_id", "item_name", "previous", "previous_member_shares", "latest",
                                           "member_shares", "alliance_share", "alliance_share_high", "rank",
                                           "top_outside", "top_outside_share", "margin", "catching_up",
                                           "gain_low", "gain_high", "alerts"]),
            "chart": chart}


def scenario_section(scenario: Scenario, network: Network) -> dict[str, Any]:
    """One scenario's outcome with its chart and loss table."""
    out = scenario_outcome(scenario, network)
    out["chart"] = _svg_uri(partial(scenario_chart, out))
    summ = out["summary"]
    rows = [{"name": "total (all regions)", **summ["total"]}]
    rows += [{"name": f"{g} (alliance)", **v} for g, v in (summ.get("alliances") or {}).items()]
    rows += [{"name": r, **summ["regions"][r]} for r in out["series"]["regions"] if r in summ["regions"]]
    out["table"] = rows
    return out


def unprotected_section(network: Network, mem: list[str]) -> dict[str, Any]:
    """Unprotected member nodes (TTS < TTR) or a note why they cannot be shown."""
    try:
        from allychain.optimize import unprotected_nodes
        from allychain.report.decision_charts import tts_ttr_chart

        u = unprotected_nodes(network, mem)
    except ImportError as exc:
        return {"available": False, "note": f"the decision models need the optimize extra ({exc.name} missing): "
                                            "pip install 'allychain[optimize]'"}
    except Exception as exc:  # noqa: BLE001 - a pack without this section is still useful
        from allychain.errors import AllychainError

        if not isinstance(exc, AllychainError):
            raise
        return {"available": False, "note": str(exc)}
    chart = _svg_uri(lambda p: tts_ttr_chart(u.rows, p, unit=f"{u.period}s",
                                             title="Member nodes: time to survive vs time to recover")) \
        if len(u.rows) else None
    return {"available": True, "period": u.period, "count": u.count, "nodes": u.nodes,
            "rows": records(u.unprotected.head(TOP), ["disruption", "country", "product", "ttr", "tts", "rei"]),
            "chart": chart, "message": u.result.message}


def methods_section(network: Network, alliance: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """Methods and data: datasets, years, sources, what could not be assessed."""
    from allychain.model.info import info

    inf = info(network)
    src = network.sources.drop_duplicates("source_id")
    return {"datasets": inf["datasets"], "years": inf["years"],
            "sources": records(src, ["source_id", "title", "publisher", "year", "url", "dataset"]),
            "not_assessable": [{"item_id": i, "item_name": names.get(i, i)}
                               for i in alliance["coverage"]["not_assessable"]],
            "not_in_data": alliance["coverage"]["not_in_data"], "info": inf}


def summary_lines(pack: dict[str, Any]) -> list[str]:
    """The executive summary: a few sentences computed from the pack."""
    out = []
    cp = pack["chokepoints"]
    top = ", ".join(f"{r['item_name']} ({r['top_country_name']}, {r['top_country_share']:.0f} %)"
                    for r in cp["rows"][:3] if r.get("top_country_share") is not None)
    out.append(f"{cp['count']} of {cp['assessed']} assessed items are chokepoints"
               + (f"; the most concentrated: {top}." if top else "."))
    al = pack["alliance"]
    out.append(f"The alliance ({' + '.join(pack['member_names'])}) needs {al['needed']} items through all tiers; "
               f"{al['critical_count']} depend critically (≥ {pack['critical_share']:g} %) on one outside country.")
    if al["shared"]:
        items = ", ".join(f"{r['item_name']} ({r['outside_name']})" for r in al["shared"][:3])
        out.append(f"{len(al['shared'])} critical dependencies are shared by every member, e.g. {items}.")
    if al["no_supplier"]:
        out.append(f"No member supplies {len(al['no_supplier'])} assessed items.")
    sev = (pack.get("severity") or {}).get("rows") or []
    if sev:
        out.append("Most severe dependencies: " + ", ".join(
            f"{r['item_name']} ({r['supplier_name'] or '—'}, {r['tier'] or 'below watch'}, {r['score']:.2f})"
            for r in sev[:3]) + ".")
    best = pack["partners"]["best"]
    if best:
        out.append("Recommended partners (greedy, critical dependencies resolved): "
                   + ", ".join(f"{r['country_name']} (+{r['gain']:.0f})" for r in best) + ".")
    for s in pack["scenarios"]:
        t = s["summary"]["total"]
        grp = next(iter((s["summary"].get("alliances") or {}).items()), None)
        text = f"Scenario “{s['scenario']['name']}”: world output falls by up to {t['peak_loss_share'] * 100:.1f} %"
        if grp:
            text += f"; {grp[0]} loses up to {grp[1]['peak_loss_share'] * 100:.1f} %"
        out.append(text + f" ({s['scenario']['horizon']} days).")
    for a in (pack.get("lead") or {}).get("alerts", [])[:3]:
        out.append(f"Technology lead, {a['item_name']}: {a['message']} ({a['from_year']} → {a['to_year']}).")
    u = pack["unprotected"]
    if u and u.get("available"):
        out.append(f"{u['count']} of {u['nodes']} member nodes are unprotected: they cannot survive a disruption "
                   "for as long as it takes to recover (TTS < TTR).")
    out.append(f"Coverage: {al['coverage']['assessed']} of {al['coverage']['requested']} needed items assessed; "
               "not covered is not “no risk”.")
    return out


