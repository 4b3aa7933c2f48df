"""The dialogue briefing pack: one self-contained HTML file for ministers and analysts.

:func:`build_briefing` gathers what the pack states — chokepoints, each member's
critical dependencies, the alliance's coverage and shared outside dependencies,
partner recommendation, scenario results, unprotected nodes, methods and data —
from the public analysis, simulation and decision functions; :func:`render_html`
writes it with the Jinja2 template ``templates/briefing.html.j2``.  Charts are
matplotlib SVG embedded as ``data:`` addresses (vector: sharp in print and on
screen; text drawn as paths, so no font is needed).  Nothing refers to the
internet: the file opens offline.

>>> from allychain.data.load import load                          # doctest: +SKIP
>>> pack = build_briefing(load("builtin"), ["KOR", "NLD"])          # doctest: +SKIP
>>> write_briefing(pack, "brief.html")                              # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as _dt
import logging
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allychain.model.network import Network
from allychain.model.rules import CHOKEPOINT_RULES, DEPENDENCY_RULES

__all__ = ["build_briefing", "render_html", "write_briefing", "run_scenario_outcome", "scenario_series",
           "scenario_chart"]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
#: matplotlib is not thread-safe: charts of concurrent jobs are drawn one at a time
_CHART_LOCK = threading.Lock()
TOP = 15


def _noop(fraction: float, message: str = "") -> None:
    return None


def _svg_uri(draw: Callable[[Path], Any]) -> str:
    """Run ``draw(path_to_svg)`` and return the file as a ``data:image/svg+xml;base64`` address."""
    with _CHART_LOCK, tempfile.TemporaryDirectory(prefix="allychain-chart-") as tmp:
        p = Path(tmp) / "chart.svg"
        draw(p)
        return "data:image/svg+xml;base64," + base64.b64encode(p.read_bytes()).decode("ascii")


def _records(df: pd.DataFrame, cols: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for rec in df[[c for c in cols if c in df.columns]].to_dict("records"):
        out.append({k: (None if (v is pd.NA or v is None or (isinstance(v, float) and np.isnan(v))) else v)
                    for k, v in rec.items()})
    return out


# --------------------------------------------------------------------------- scenarios
def scenario_series(res: Any, groups: dict[str, list[str]] | None = None, max_regions: int = 8,
                    max_points: int = 1000) -> dict[str, Any]:
    """Production in percent of baseline per step: total, each group, the regions losing most.

    Returns ``{"step": [...], "total": [...], "alliances": {name: [...]}, "regions": {name: [...]}}``;
    long runs are thinned to at most ``max_points`` steps.
    """
    x = res.arrays["production"][:, 0, :]
    x0 = np.asarray(res.system.x0, dtype=float)
    reg = np.asarray(res.system.node_region)
    stride = max(1, int(np.ceil(len(x) / max_points)))
    idx = np.arange(0, len(x), stride)

    def pct(mask: np.ndarray) -> list[float | None]:
        base = x0[mask].sum()
        v = x[:, mask].sum(axis=1) / base * 100 if base > 0 else np.full(len(x), np.nan)
        return [None if not np.isfinite(f) else round(float(f), 4) for f in v[idx]]

    rel = res.by_region("production", relative=True)
    worst = (1 - rel).clip(lower=0).sum().sort_values(ascending=False)
    worst = [str(r) for r in worst.index[:max_regions] if worst[r] > 1e-9]
    out = {"step": [int(i) for i in idx], "total": pct(np.ones(len(x0), dtype=bool)),
           "alliances": {g: pct(np.isin(reg, m)) for g, m in (groups or {}).items() if np.isin(reg, m).any()},
           "regions": {r: pct(reg == r) for r in worst}}
    return out


def run_scenario_outcome(scenario: Any, network: Network, steps: int | None = None,
                         progress: Progress | None = None) -> dict[str, Any]:
    """Run one scenario on ``network``; its description, loss summary and production series.

    ``progress(fraction, message)`` is called as the steps advance.
    """
    from allychain.simulate.api import run_scenario

    prog = progress or _noop
    total = int(steps or scenario.horizon)
    every = max(1, total // 50)

    def on_step(t: int) -> None:
        if t % every == 0 or t + 1 == total:
            prog((t + 1) / total, f"step {t + 1} of {total}")

    res = run_scenario(scenario, network, steps=total, progress=on_step)
    groups = scenario.alliances or {}
    summary = res.summary(alliances=groups or None)
    return {"scenario": {"name": scenario.name, "description": scenario.description.strip(),
                         "data": scenario.data or network.name, "horizon": total, "alliances": groups},
            "unit": summary.get("unit"), "summary": summary, "series": scenario_series(res, groups)}


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
        ax.plot(steps, arr(v), lw=2.4, ls="--", color="#6a3d9a", label=f"{g} (group)")
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


# --------------------------------------------------------------------------- the pack
def build_briefing(
    network: Network,
    members: str | Iterable[str],
    scenarios: Sequence[Any] = (),
    data_label: str | None = None,
    year: int | None = None,
    decisions: bool = True,
    progress: Progress | None = None,
    network_for: Callable[[str | None], Network] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """Everything the briefing pack states, as a plain dict (the template's context).

    Parameters
    ----------
    network
        The network the analyses run on.
    members
        Alliance members (codes, names or an alliance id).
    scenarios
        :class:`~allychain.simulate.scenario.Scenario` objects or YAML paths to run.
    data_label
        How the data was named (``builtin``, ``eto`` …) for the methods section.
    decisions
        Include unprotected nodes (TTS < TTR) from :func:`allychain.optimize.tts_ttr`.
    network_for
        Resolves a scenario's ``data`` key to a network (default: ``network`` when the
        key is empty or names it, else :func:`allychain.data.load.load`).
    """
    from allychain import __version__
    from allychain.analysis import (
        ChokepointRules,
        alliance_report,
        best_partners,
        chokepoints,
        coverage,
        coverage_text,
        dependency_report,
        partners,
    )
    from allychain.model.info import info
    from allychain.model.members import country_name, resolve_members
    from allychain.report import charts

    prog = progress or _noop
    mem = resolve_members(members, network)
    names = dict(zip(network.stages["stage_id"].astype(str), network.stages["name"].astype(str), strict=True))
    names.update(network.item_names())
    label = data_label or network.name
    steps_total = 6 + len(scenarios) + (1 if decisions else 0)
    done = 0

    def step(message: str) -> None:
        nonlocal done
        prog(done / steps_total, message)
        done += 1

    step("chokepoints")
    rules = ChokepointRules()
    every = chokepoints(network, rules, year=year, include_all=True)
    cp = every[every["rules"].map(len) > 0].reset_index(drop=True)
    cp_cov = coverage(network, every)
    cp_chart = _svg_uri(lambda p: chokepoint_chart(cp, p, threshold=rules.country_share))

    step("members' dependencies")
    member_deps = []
    for m in mem:
        rep = dependency_report(network, [m], year=year)
        d = rep["dependencies"]
        crit = d[d["critical"].fillna(False).astype(bool)]
        member_deps.append({
            "code": m, "name": rep["member_names"][0], "needed": int(len(d)),
            "assessed": int((d["status"] == "assessed").sum()), "critical_count": int(len(crit)),
            "critical": _records(crit.head(TOP), ["item_id", "item_name", "tier", "foreign_share",
                                                  "top_foreign_country", "top_foreign_name", "top_foreign_share",
                                                  "year"]),
            "coverage_text": coverage_text(rep["coverage"], names),
        })

    step("alliance view")
    al = alliance_report(network, mem, year=year)
    deps = al["dependencies"]
    crit = deps[deps["critical"].fillna(False).astype(bool)]
    matrix = al["complementarity_matrix"]
    comp_chart = _svg_uri(lambda p: charts.complementarity_heatmap(matrix, p)) if len(matrix) else None
    shares = al["shares"]
    top_shares = shares[shares["status"] == "assessed"].head(TOP)
    share_cols = ["item_id", "item_name", *[f"share_{m}" for m in mem], "combined_share", "top_outside",
                  "top_outside_share", "year"]

    step("partners")
    ranked = partners(network, mem, year=year)
    best = best_partners(network, mem, k=3, year=year)
    partner_chart = _svg_uri(lambda p: charts.partner_bars(ranked[ranked["score"] > 0], p)) \
        if (ranked["score"] > 0).any() else None

    scenario_results = []
    for sc in scenarios:
        from allychain.simulate.scenario import Scenario

        if not isinstance(sc, Scenario):
            from allychain.data.spec import read_scenario

            sc = read_scenario(sc)
        step(f"scenario: {sc.name}")
        if network_for is not None:
            net = network_for(sc.data)
        elif sc.data in (None, label, network.name):
            net = network
        else:
            from allychain.data.load import load

            net = load(sc.data)
        out = run_scenario_outcome(sc, net)
        out["chart"] = _svg_uri(partial(scenario_chart, out))
        summ = out["summary"]
        rows = [{"name": "total (all regions)", **summ["total"]}]
        rows += [{"name": f"{g} (group)", **v} for g, v in (summ.get("alliances") or {}).items()]
        rows += [{"name": r, **summ["regions"][r]} for r in out["series"]["regions"] if r in summ["regions"]]
        out["table"] = rows
        scenario_results.append(out)

    unprotected: dict[str, Any] | None = None
    if decisions:
        step("time to survive vs time to recover")
        unprotected = _unprotected(network, mem)

    step("methods and data")
    inf = info(network)
    src = network.sources.drop_duplicates("source_id")
    not_assessable = al["coverage"]["not_assessable"]
    pack = {
        "title": title or f"Supply-chain briefing: {' + '.join(country_name(m) for m in mem)}",
        "members": mem,
        "member_names": [country_name(m) for m in mem],
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "data_label": label,
        "info": inf,
        "rules": rules.describe(),
        "critical_share": DEPENDENCY_RULES.critical_share,
        "chokepoints": {"count": int(len(cp)), "assessed": int((every["status"] == "assessed").sum()),
                        "rows": _records(cp.head(TOP), ["item_id", "item_name", "rules", "top_country_name",
                                                        "top_country_share", "hhi", "top_firm_names",
                                                        "top3_firm_share", "country_year"]),
                        "chart": cp_chart, "coverage_text": coverage_text(cp_cov, names)},
        "member_deps": member_deps,
        "alliance": {
            "needed": int(len(deps)), "critical_count": int(len(crit)),
            "critical": _records(crit.head(TOP), ["item_id", "item_name", "tier", "internal_share", "foreign_share",
                                                  "top_foreign_name", "top_foreign_share", "year"]),
            "shares": _records(top_shares, share_cols), "share_cols": share_cols,
            "no_supplier": [{"item_id": i, "item_name": names.get(i, i)} for i in al["no_supplier"]],
            "shared": _records(al["shared_dependencies"], ["item_id", "item_name", "outside_name", "outside_share",
                                                          "year"]),
            "matrix": {"suppliers": [str(i) for i in matrix.index], "customers": [str(c) for c in matrix.columns],
                       "values": matrix.to_numpy().tolist() if len(matrix) else []},
            "comp_chart": comp_chart,
            "coverage": al["coverage"],
            "coverage_text": coverage_text(al["coverage"], names),
        },
        "partners": {"ranked": _records(ranked[ranked["score"] > 0].head(10),
                                        ["rank", "country", "country_name", "score", "resolved",
                                         "internalised_share"]),
                     "best": _records(best, ["step", "country", "country_name", "gain", "score", "resolved_items"]),
                     "chart": partner_chart},
        "scenarios": scenario_results,
        "unprotected": unprotected,
        "methods": {
            "datasets": inf["datasets"], "years": inf["years"],
            "sources": _records(src, ["source_id", "title", "publisher", "year", "url", "dataset"]),
            "not_assessable": [{"item_id": i, "item_name": names.get(i, i)} for i in not_assessable],
            "not_in_data": al["coverage"]["not_in_data"],
        },
    }
    pack["summary"] = _summary(pack)
    prog(1.0, "done")
    return pack


def _unprotected(network: Network, mem: list[str]) -> dict[str, Any]:
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
            "rows": _records(u.unprotected.head(TOP), ["disruption", "country", "product", "ttr", "tts", "rei"]),
            "chart": chart, "message": u.result.message}


def _summary(pack: dict[str, Any]) -> list[str]:
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
    u = pack["unprotected"]
    if u and u.get("available"):
        out.append(f"{u['count']} of {u['nodes']} member nodes are unprotected: they cannot survive a disruption "
                   "for as long as it takes to recover (TTS < TTR).")
    out.append(f"Coverage: {al['coverage']['assessed']} of {al['coverage']['requested']} needed items assessed; "
               "not covered is not “no risk”.")
    return out


# --------------------------------------------------------------------------- rendering
def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return "—"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v)) or "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if np.isinf(v):
            return "∞"
        return f"{v:,.{digits}f}"
    return str(v)


def render_html(pack: dict[str, Any]) -> str:
    """The briefing pack as one HTML document (styles and charts inline)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = Path(str(resources.files("allychain.report").joinpath("templates")))
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    return env.get_template("briefing.html.j2").render(p=pack)


def write_briefing(pack: dict[str, Any], path: str | Path, overwrite: bool = False) -> Path:
    """Write the HTML whole or not at all (:func:`allychain.durable.output_file`: a
    temporary sibling replaces ``path`` when complete; an existing file that is not an
    HTML document is replaced only with ``overwrite``)."""
    from allychain.durable import output_file

    path = Path(path)
    html = render_html(pack)
    with output_file(path, overwrite=overwrite, what="--out") as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
