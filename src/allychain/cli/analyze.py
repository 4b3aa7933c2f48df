"""``allychain analyze …`` commands (alliance analysis).

Each command parses its options, calls the public functions of
:mod:`allychain.analysis`, renders the result with :func:`allychain.cli.render.emit`
and states its coverage: below the table, inside the JSON object (dependencies,
alliance) or on stderr where the JSON shape is a list or the output is CSV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from allychain.cli.agreement_cover import CoverDbOpt, CoverWsOpt
from allychain.cli.options import MAX_YEAR, MIN_YEAR, finite
from allychain.cli.render import Format, emit
from allychain.model.rules import CHOKEPOINT_RULES, DEPENDENCY_RULES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rich.console import Console

    from allychain.analysis.chokepoints import ChokepointRules
    from allychain.model.network import Network

__all__ = ["app", "DEFAULT_MEMBERS", "concentration_cmd", "chokepoints_cmd", "dependencies_cmd", "alliance_cmd",
           "partners_cmd", "severity_cmd", "demo"]

app = typer.Typer(help="Alliance analysis: concentration, chokepoints, dependencies, alliance view, partners, "
                       "severity.",
                  no_args_is_help=True, rich_markup_mode=None)

DataOpt = typer.Option("builtin", "--data", "-d", help="builtin, eto, a folder, or a '+' combination (builtin+eto).")
FormatOpt = typer.Option(Format.table, "--format", "-f", help="Output format.")
YearOpt = typer.Option(None, "--year", min=MIN_YEAR, max=MAX_YEAR, help="Use shares of this year (default: per item, the latest with a known share).")
PlotOpt = typer.Option(None, "--plot", help="Also write a chart to this file (.png or .svg).")
ItemsOpt = typer.Option(None, "--items", help="Comma-separated item ids or names to report (default: all).")
CriticalOpt = typer.Option(DEPENDENCY_RULES.critical_share, "--critical-share", min=0, max=100, callback=finite,
                           help="A dependency is critical when one foreign country holds at least this share (%).")
MinShareOpt = typer.Option(DEPENDENCY_RULES.min_role_share, "--min-share", min=0, max=100, callback=finite,
                           help="Members perform a stage or item where they hold at least this share (%).")
StagesOpt = typer.Option(None, "--stages", help="Comma-separated stage or item ids the members perform "
                                                "(default: read from the data).")
DEFAULT_MEMBERS = "KOR,NLD"


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [p.strip() for p in text.split(",") if p.strip()]


def _load(data: str) -> Network:
    from allychain.data.load import load

    return load(data)


def _names(n: Network) -> dict[str, str]:
    names = {str(i): str(nm) for i, nm in zip(n.stages["stage_id"], n.stages["name"], strict=False)}
    names.update({str(i): str(nm) for i, nm in zip(n.items["item_id"], n.items["name"], strict=False)})
    return names


def _pointed(cov: dict[str, Any], n: Network) -> dict[str, Any]:
    """``cov`` with, for each request not in the data, the nearest item the data covers."""
    if not cov.get("not_in_data"):
        return cov
    from allychain.analysis.coverage import with_pointers
    from allychain.data.load import builtin_concepts

    return with_pointers(n, cov, builtin_concepts())


def _statement(cov: dict[str, Any], fmt: Format, names: dict[str, str], n: Network | None = None) -> None:
    """Print the coverage statement where it does not break the output format; with the network,
    each request not in the data points to the nearest item the data covers."""
    from allychain.analysis.coverage import coverage_text

    text = coverage_text(cov if n is None else _pointed(cov, n), names)
    if fmt == Format.table:
        typer.echo(text)
    else:
        typer.echo(text, err=True)


def _flat(df: pd.DataFrame) -> pd.DataFrame:
    """Lists as '; '-joined text (CSV cells)."""
    out = df.copy()
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, list)).any():
            out[c] = out[c].map(lambda v: "; ".join(map(str, v)) if isinstance(v, list) else v)
    return out


def _display(df: pd.DataFrame) -> pd.DataFrame:
    """Table view: HHI as whole numbers (10,000 rather than 1e+04)."""
    out = df.copy()
    for c in ("hhi", "hhi_upper"):
        if c in out.columns:
            out[c] = out[c].round().astype("Int64")
    return out


def _emit_table(df: pd.DataFrame, fmt: Format, title: str, table_cols: list[str]) -> None:
    if fmt == Format.table:
        emit(_display(df[[c for c in table_cols if c in df.columns]]), fmt, title=title)
    elif fmt == Format.csv:
        emit(_flat(df), fmt)
    else:
        emit(df, fmt)


def _rules(country_share: float, firm_top3: float, hhi: float, rules: str | None) -> ChokepointRules:
    from allychain.analysis.chokepoints import RULE_NAMES, ChokepointRules

    enabled = tuple(_split(rules) or RULE_NAMES)
    return ChokepointRules(country_share=country_share, firm_top3=firm_top3, hhi=hhi, enabled=enabled)


def _members(n: Network, members: str | None) -> list[str]:
    from allychain.model.members import resolve_members

    return resolve_members(members or DEFAULT_MEMBERS, n)


@app.command("concentration")
def concentration_cmd(
    data: str = DataOpt,
    level: str = typer.Option("country", "--level", help="country, firm or both."),
    year: int | None = YearOpt,
    items: str | None = ItemsOpt,
    fmt: Format = FormatOpt,
    plot: str | None = PlotOpt,
) -> None:
    """HHI, top-1 and top-3 shares, known providers and unknown part per item."""
    from allychain.analysis import concentration, coverage
    from allychain.errors import AllychainError

    if level not in ("country", "firm", "both"):
        raise AllychainError(f"--level must be country, firm or both, got {level!r}")
    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    n = _load(data)
    req = _split(items)
    c = concentration(n, level=level, year=year, items=req)
    _emit_table(c, fmt, f"concentration ({level} level)",
                ["item_id", "item_name", "level", "status", "year", "hhi", "top1", "top1_share", "top3_share",
                 "providers", "aggregate_share", "unknown_share"])
    _statement(coverage(n, c.drop_duplicates("item_id") if level != "both" else c[c["level"] == "country"],
                        requested=req), fmt, _names(n), n)
    if plot:
        from allychain.report.charts import share_bars

        share_bars(c[c["status"] == "assessed"], plot, share="top1_share", who="top1",
                   title=f"Largest {'firm' if level == 'firm' else 'country'}'s share per item")


@app.command("chokepoints")
def chokepoints_cmd(
    data: str = DataOpt,
    country_share: float = typer.Option(CHOKEPOINT_RULES.country_share, "--country-share", min=0, max=100, callback=finite, help="Rule country_share: one country holds ≥ this %."),
    firm_top3: float = typer.Option(CHOKEPOINT_RULES.firm_top3, "--firm-top3", min=0, max=100, callback=finite, help="Rule firm_top3: the three largest firms hold ≥ this %."),
    hhi: float = typer.Option(CHOKEPOINT_RULES.hhi, "--hhi", min=0, max=10_000, callback=finite, help="Rule hhi: country HHI ≥ this (0–10,000)."),
    rules: str | None = typer.Option(None, "--rules", help="Comma-separated rules to apply "
                                                              "(country_share,firm_top3,hhi; default all)."),
    year: int | None = YearOpt,
    items: str | None = ItemsOpt,
    show_all: bool = typer.Option(False, "--all", help="List every item, also where no rule fires."),
    fmt: Format = FormatOpt,
    plot: str | None = PlotOpt,
) -> None:
    """Items where one country, three firms or a high HHI control supply."""
    from allychain.analysis import chokepoints, coverage

    r = _rules(country_share, firm_top3, hhi, rules)
    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    n = _load(data)
    req = _split(items)
    every = chokepoints(n, r, year=year, items=req, include_all=True)
    out = every if show_all else every[every["rules"].map(len) > 0].reset_index(drop=True)
    _emit_table(out, fmt, f"chokepoints ({len(out)} item(s); rules: {', '.join(r.enabled)})",
                ["item_id", "item_name", "rules", "top_country", "top_country_share", "hhi", "top_firm_names",
                 "top3_firm_share", "country_year", "firm_year"])
    _statement(coverage(n, every, requested=req), fmt, _names(n), n)
    if plot:
        from allychain.report.charts import share_bars

        share_bars(out, plot, threshold=r.country_share, title="Chokepoints: largest country's share")


def _dependency_plot(n: Network, deps: pd.DataFrame, members: list[str], plot: str, year: int | None,
                     title: str) -> None:
    from allychain.analysis.snapshot import share_matrix
    from allychain.report.charts import dependency_heatmap

    d = deps[deps["status"] == "assessed"].head(30)
    m = share_matrix(n, list(d["item_id"]), year=year, providers=members, limit=14)
    names = _names(n)
    m.index = [names.get(i, i) if len(names.get(i, i)) <= 48 else names.get(i, i)[:47] + "…" for i in m.index]
    dependency_heatmap(m, plot, title=title, members=members)


@app.command("dependencies")
def dependencies_cmd(
    members: str = typer.Option(..., "--members", "-m", help="Comma-separated members: ISO 3166 alpha-3 codes "
                                                               "(country names accepted), or firm ids."),
    data: str = DataOpt,
    stages: str | None = StagesOpt,
    critical_share: float = CriticalOpt,
    min_share: float = MinShareOpt,
    year: int | None = YearOpt,
    items: str | None = ItemsOpt,
    only_critical: bool = typer.Option(False, "--critical", help="Show only critical dependencies."),
    fmt: Format = FormatOpt,
    plot: str | None = PlotOpt,
) -> None:
    """Every item the members' production needs through all tiers, with foreign share and criticality."""
    from allychain.analysis import dependency_report

    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    n = _load(data)
    mem = _members(n, members)
    rep = dependency_report(n, mem, stages=_split(stages), year=year, critical_share=critical_share,
                            min_share=min_share, items=_split(items))
    deps = rep["dependencies"]
    shown = deps[deps["critical"].fillna(False).astype(bool)] if only_critical else deps
    if fmt == Format.json:
        emit({"members": rep["members"], "member_names": rep["member_names"], "level": rep["level"],
              "critical_share": critical_share, "roots": rep["roots"], "assumptions": rep["assumptions"],
              "dependencies": shown, "coverage": _pointed(rep["coverage"], n)}, fmt)
    else:
        _emit_table(shown, fmt, f"dependencies of {'+'.join(mem)} ({len(shown)} item(s))",
                    ["item_id", "item_name", "tier", "status", "internal_share", "foreign_share", "unknown_share",
                     "top_foreign_country", "top_foreign_share", "critical", "exposure", "year"])
        _statement(rep["coverage"], fmt, _names(n), n)
        for line in rep["assumptions"]:
            typer.echo(f"assumed: {line}", err=fmt != Format.table)
    if plot:
        _dependency_plot(n, deps, mem, plot, year, f"Who supplies the dependencies of {'+'.join(mem)} (%)")


@app.command("alliance")
def alliance_cmd(
    members: str | None = typer.Option(None, "--members", "-m",
                                          help="Comma-separated members or an alliance id of the data (default KOR,NLD)."),
    data: str = DataOpt,
    stages: str | None = StagesOpt,
    critical_share: float = CriticalOpt,
    min_share: float = MinShareOpt,
    year: int | None = YearOpt,
    fmt: Format = FormatOpt,
    plot: str | None = PlotOpt,
) -> None:
    """Members' combined shares, gaps, complementarity and shared outside dependencies."""
    from allychain.analysis import alliance_report

    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    n = _load(data)
    mem = _members(n, members)
    rep = alliance_report(n, mem, year=year, critical_share=critical_share, min_share=min_share,
                          stages=_split(stages))
    matrix = rep["complementarity_matrix"]
    if fmt == Format.json:
        emit({**rep, "complementarity_matrix": {str(r): {str(c): matrix.at[r, c] for c in matrix.columns}
                                                for r in matrix.index}}, fmt)
    elif fmt == Format.csv:
        emit(_flat(rep["dependencies"]), fmt)
        _statement(rep["coverage"], fmt, _names(n), n)
    else:
        label = "+".join(mem)
        deps = rep["dependencies"]
        crit = deps[deps["critical"].fillna(False).astype(bool)]
        emit(crit[["item_id", "item_name", "tier", "internal_share", "foreign_share", "top_foreign_country",
                   "top_foreign_share", "exposure", "year"]], fmt,
             title=f"critical dependencies of the alliance {label} ({len(crit)} of {len(deps)} needed items)")
        sh = rep["shares"]
        emit(sh[sh["status"] == "assessed"].head(25).drop(columns=["status"]), fmt,
             title="members' combined share (top 25)")
        names = _names(n)
        typer.echo(f"no member supplies ({len(rep['no_supplier'])}): "
                   + (", ".join(f"{names.get(i, i)} ({i})" for i in rep["no_supplier"][:20]) or "—")
                   + (" …" if len(rep["no_supplier"]) > 20 else ""))
        if len(matrix):
            emit(matrix.reset_index().rename(columns={"supplier": "supplier \\ customer"}), fmt,
                 title="complementarity: items of the customer's dependencies the supplier provides (≥ min share)")
        emit(rep["shared_dependencies"].drop(columns=["members"]), fmt,
             title=f"dependencies all members share on the same outside country (≥ {critical_share:g} %)")
        _statement(rep["coverage"], fmt, names)
    if plot:
        from allychain.report.charts import complementarity_heatmap

        complementarity_heatmap(matrix, plot)


@app.command("partners")
def partners_cmd(
    members: str | None = typer.Option(None, "--members", "-m",
                                          help="Comma-separated members or an alliance id of the data (default KOR,NLD)."),
    k: int | None = typer.Option(None, "--k", min=1, help="Also choose a best set of k partners (greedy)."),
    weight: str = typer.Option("count", "--weight", help="count (critical items resolved) or market (their USD size)."),
    method: str = typer.Option("greedy", "--method", help="greedy or exhaustive (all k-subsets) for --k."),
    candidates: str = typer.Option("like-minded", "--candidates",
                                   help="Candidate pool: like-minded (default: members of the like-minded groupings "
                                        "of the data), all (every country), grouping ids and countries joined by "
                                        "',' (union) or '&' (intersection), e.g. G7,EU or OECD&WASSENAAR."),
    exclude: str | None = typer.Option(None, "--exclude",
                                       help="Never consider these countries (e.g. those under export controls)."),
    data: str = DataOpt,
    stages: str | None = StagesOpt,
    critical_share: float = CriticalOpt,
    min_share: float = MinShareOpt,
    year: int | None = YearOpt,
    fmt: Format = FormatOpt,
    plot: str | None = PlotOpt,
) -> None:
    """Candidate countries ranked by the critical alliance dependency they would turn internal."""
    from allychain.analysis import best_partners, candidate_pool, dependency_report, partners
    from allychain.data.load import builtin_groupings

    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    n = _load(data)
    mem = _members(n, members)
    kw: dict[str, Any] = dict(year=year, critical_share=critical_share, weight=weight, min_share=min_share,
                              stages=_split(stages))
    banned = set(_members(n, exclude)) if exclude else set()
    groups = builtin_groupings()
    kw["candidates"] = [c for c in candidate_pool(n, candidates, mem, extra=groups) if c not in banned]
    kw["groupings"] = groups
    ranked = partners(n, mem, **kw)
    out = best_partners(n, mem, k=k, method=method, **kw) if k is not None else ranked
    title = (f"best {k} partner(s) for {'+'.join(mem)} ({method}; pool: {candidates})" if k is not None
             else f"partner candidates for {'+'.join(mem)} (score: {weight}; pool: {candidates})")
    cols = ["step", "rank", "country", "country_name", "groupings", "gain", "score", "resolved",
            "resolved_market_usd", "internalised_share", "largest_share", "largest_share_item", "concentrated_items"]
    _emit_table(out, fmt, title, cols)
    rep = dependency_report(n, mem, stages=_split(stages), year=year, critical_share=critical_share,
                            min_share=min_share)
    _statement(rep["coverage"], fmt, _names(n), n)
    if plot:
        from allychain.report.charts import partner_bars

        partner_bars(out if k is None else out.assign(score=out["gain"]), plot)


@app.command("severity")
def severity_cmd(
    members: str | None = typer.Option(None, "--members", "-m",
                                       help="Comma-separated members or an alliance id (default KOR,NLD); "
                                            "'none' scores items without members."),
    top: int | None = typer.Option(10, "--top", min=1, help="Show the N most severe (default 10)."),
    all_rows: bool = typer.Option(False, "--all", help="Show every row, not assessable ones included."),
    data: str = DataOpt,
    stages: str | None = StagesOpt,
    critical_share: float = CriticalOpt,
    min_share: float = MinShareOpt,
    year: int | None = YearOpt,
    fmt: Format = FormatOpt,
    db: str | None = CoverDbOpt,
    workspace: bool = CoverWsOpt,
) -> None:
    """The most severe dependencies (or items), with the score's components and the rules that fired.

    Score: weighted mean of the known components (concentration, substitutability, time to build
    alternative capacity, exposure, agreement cover), with its range were the unknown ones 0 or 1;
    tiers critical / high / watch (docs/analysis.md, "Severity").
    """
    from allychain.analysis import severity_report
    from allychain.cli.agreement_cover import read_cover

    n = _load(data)
    mem = None if (members or "").strip().casefold() == "none" else _members(n, members)
    cover = read_cover(db, workspace, mem) if mem else None
    if cover is not None:
        from allychain.services.agreement_cover import severity_cover

        cover = severity_cover(n, cover)
    rep = severity_report(n, mem, top=None if all_rows else top, year=year, critical_share=critical_share,
                          min_share=min_share, stages=_split(stages), agreement_cover=cover)
    rows = rep["rows"] if all_rows else rep["rows"][rep["rows"]["status"].eq("assessed")]
    label = "+".join(mem) if mem else "all items"
    if fmt == Format.json:
        emit({"members": rep["members"], "member_names": rep["member_names"], "assessed": rep["assessed"],
              "tiers": rep["tiers"], "definition": rep["definition"], "rows": rows, "coverage": rep["coverage"]},
             fmt)
    else:
        tiers = ", ".join(f"{v} {k}" for k, v in rep["tiers"].items())
        _emit_table(rows, fmt, f"severity, {label}: top {len(rows)} of {rep['assessed']} scored ({tiers})",
                    ["rank", "item_name", "item_id", "tier", "score", "score_low", "score_high", "concentration",
                     "substitutability", "time_to_build", "exposure", "agreement_cover", "supplier_name",
                     "supplier_share", "rules"])
    if fmt == Format.table:
        typer.echo("components 0–1, blank = unknown (not 0); agreement cover is read from the workspace's "
                   "agreements in force with --db/--workspace, else unknown; score = weighted mean of the known components, low/high = unknown ones at 0/1")
    if rep["coverage"] is not None:
        _statement(rep["coverage"], fmt, _names(n), n)


def demo(network: Network, console: Console, members: str = DEFAULT_MEMBERS) -> None:
    """Print a compact alliance analysis (default KOR+NLD) of ``network`` on a Rich ``console``:
    top chokepoints, the alliance's critical dependencies and the best partners, with the
    coverage statement."""
    from rich.table import Table
    from rich.text import Text

    from allychain.analysis import best_partners, chokepoints, coverage_text, dependency_report

    def table(df: pd.DataFrame, title: str) -> Table:
        from allychain.cli.render import _fmt_cell

        t = Table(title=Text(title), header_style="bold")
        for c in df.columns:
            t.add_column(Text(str(c)), overflow="fold")
        for rec in df.itertuples(index=False):
            t.add_row(*[Text(_fmt_cell(v)) for v in rec])
        return t

    mem = _members(network, members)
    label = "+".join(mem)
    cp = chokepoints(network)
    console.print(table(_display(cp.head(8)[["item_name", "rules", "top_country", "top_country_share", "hhi",
                                             "country_year"]]), f"top chokepoints ({len(cp)} in all)"))
    rep = dependency_report(network, mem)
    deps = rep["dependencies"]
    crit = deps[deps["critical"].fillna(False).astype(bool)]
    console.print(table(crit.head(10)[["item_name", "tier", "foreign_share", "top_foreign_country",
                                       "top_foreign_share", "year"]],
                        f"critical dependencies of {label} ({len(crit)} of {len(deps)} needed items)"))
    from allychain.data.load import builtin_groupings

    best = best_partners(network, mem, k=3, groupings=builtin_groupings())
    console.print(table(best[["step", "country", "country_name", "gain", "score"]],
                        f"best partners for {label} (critical dependencies resolved, greedy)"))
    console.print(coverage_text(rep["coverage"], _names(network)), highlight=False, markup=False)


@app.command("inputs")
def inputs_cmd(
    data: str = DataOpt,
    inputs: str = typer.Option("labour,electricity", "--inputs", help="Local inputs to add to the flow network: "
                               "labour, electricity (comma-separated)."),
    members: str | None = typer.Option(None, "--members", "-m", help="Members (marked in the table)."),
    year: int | None = YearOpt,
    fmt: Format = FormatOpt,
) -> None:
    """Labour and electricity as inputs: the share of each item's world supply that stops when one
    country's grid or labour pool fails (items without a sourced figure are named: not covered)."""
    from allychain.analysis.inputs import input_exposure
    from allychain.cli.console import warn
    from allychain.data.inputs import parse_inputs, with_inputs

    kinds = parse_inputs(inputs)
    n = with_inputs(_load(data), kinds)
    mem = _members(n, members) if members else []
    out = input_exposure(n, mem, year=year)
    _emit_table(out, fmt, f"local inputs ({', '.join(kinds)}): share of world supply on one country's input",
                ["input_node", "item_id", "item_name", "share", "member"])
    gaps = n.meta.get("inputs_not_covered")
    if gaps is not None and len(gaps):
        for (kind, reason), g in gaps.groupby(["kind", "reason"]):
            warn(f"{kind}: not covered ({reason}): {', '.join(g['item_id'])}")
