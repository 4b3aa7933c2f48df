"""``allychain optimize …`` commands (decisions).

* ``optimize tts`` — time to survive vs time to recover per disruption, risk exposure;
* ``optimize allocate PLAN.yaml`` — emergency allocation of key items;
* ``optimize stockpile SPEC.yaml`` — least-cost stockpiles so that TTS ≥ TTR.

Each command parses its options, calls the public functions of
:mod:`allychain.optimize`, renders the result with :func:`allychain.cli.render.emit`
(``--format table|json|csv``) and optionally writes a chart (``--plot FILE``).
Errors allychain raises on purpose (bad YAML, infeasible commitments, solver
failures) are printed as one message on stderr; exit status 3 for invalid input,
1 for an infeasible plan or a solver failure.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from allychain.cli.options import MAX_SEED, finite
from allychain.cli.render import Format, emit
from allychain.errors import AllychainError

__all__ = ["app", "DEFAULT_MEMBERS", "tts_cmd", "allocate_cmd", "stockpile_cmd", "demo"]

app = typer.Typer(help="Decide: time-to-survive vs time-to-recover, emergency allocation, stockpile sizing.",
                  no_args_is_help=True, rich_markup_mode=None)

FormatOpt = typer.Option(Format.table, "--format", "-f", help="Output format.")
PlotOpt = typer.Option(None, "--plot", help="Also write a chart to this file (.png or .svg).")
DEFAULT_MEMBERS = ("KOR", "NLD")


@contextmanager
def _clean_errors() -> Iterator[None]:
    """Show allychain errors as one message, never a traceback; the exit status follows
    :mod:`allychain.cli.console` (1 infeasible or solver failure, 3 invalid input)."""
    try:
        yield
    except AllychainError as exc:
        from allychain.cli.console import error, exit_code_for

        error(str(exc))
        raise SystemExit(exit_code_for(exc)) from None


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [p.strip() for p in text.split(",") if p.strip()]


def _emit_result(res: Any, fmt: Format, main: str, title: str) -> None:
    if fmt == Format.json:
        emit(res.to_dict(), fmt)
        return
    emit(res[main], fmt, title=title)
    if fmt == Format.table:
        typer.echo(res.message)
    else:
        typer.echo(res.message, err=True)


@app.command("tts")
def tts_cmd(
    data: str = typer.Option("builtin", "--data", "-d", help="builtin, eto, a folder (native or ETO), or a '+' combination."),
    nodes: str | None = typer.Option(None, "--nodes", help="Comma-separated node ids to disrupt, each alone "
                                                               "(default: every node)."),
    by: str | None = typer.Option(None, "--by", help="Disrupt groups of nodes together: 'country', 'product' "
                                                         "or 'country,product'."),
    ttr: float | None = typer.Option(None, "--ttr", min=0, callback=finite, help="Time to recover for every disruption, periods "
                                                            "(default: nodes.ttr)."),
    members: str | None = typer.Option(None, "--members", help="Show only disruptions in these countries "
                                                                  "(comma-separated ISO codes)."),
    unprotected: bool = typer.Option(False, "--unprotected", help="Show only unprotected disruptions (TTS < TTR)."),
    samples: int = typer.Option(0, "--samples", min=0, help="Monte Carlo: TTR samples per disruption (triangular ±spread)."),
    spread: float = typer.Option(0.5, "--spread", min=0, callback=finite, help="Monte Carlo: relative half-width of the TTR distribution."),
    seed: int | None = typer.Option(None, "--seed", min=0, max=MAX_SEED, help="Monte Carlo: random seed (0 or more)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Solve in this many processes."),
    lose_inventory: bool = typer.Option(False, "--lose-inventory", help="A disrupted node's own stock is lost too."),
    fmt: Format = FormatOpt,
    plot: Path | None = PlotOpt,
    inputs: str | None = typer.Option(None, "--inputs", help="Add local inputs to a share network: labour, "
                                      "electricity (nodes KOR/electricity …; no stock, TTR by class). Default none."),
) -> None:
    """Time to survive vs time to recover for each disruption, with its impact and risk exposure index.

    Works on site-level networks (native nodes/edges/bom) and on share networks (mapped to
    country × item nodes with TTR defaults per item class, see allychain.optimize.country).
    """
    with _clean_errors():
        _check_plot(plot)
        from allychain.data.inputs import parse_inputs, with_inputs
        from allychain.data.load import load
        from allychain.optimize.montecarlo import triangular_sampler, tts_ttr_montecarlo
        from allychain.optimize.ttr_tts import build_model, disruption_groups, site_view, tts_ttr

        net = site_view(with_inputs(load(data), parse_inputs(inputs)))
        if by and nodes:
            raise AllychainError("give either --nodes or --by, not both")
        disruptions: Any = _split(nodes)
        if by:
            disruptions = disruption_groups(net, tuple(_split(by) or ["node"]))
        model = build_model(net)
        if samples > 0:
            res = tts_ttr_montecarlo(model, samples, disruptions=disruptions, ttr=ttr,
                                     sampler=triangular_sampler(spread), seed=seed,
                                     lose_inventory=lose_inventory, workers=workers)
            if fmt == Format.json:
                emit({**res.to_dict(), "samples": None}, fmt)
            else:
                _emit_result(res, fmt, "summary", f"Monte Carlo TTS/TTR ({samples} samples)")
            return
        res = tts_ttr(model, disruptions, ttr=ttr, lose_inventory=lose_inventory, workers=workers)
        table = res.table
        if members:
            table = table[table["country"].isin(_split(members) or [])]
        if unprotected:
            table = table[table["unprotected"].fillna(False)]
        table = table.sort_values(["rei", "tts"], ascending=[False, True], na_position="last").reset_index(drop=True)
        if plot is not None:
            from allychain.report.decision_charts import tts_ttr_chart

            p = tts_ttr_chart(table, plot, unit=str(net.meta.get("period", "periods")))
            typer.echo(f"chart written to {p}", err=True)
        if fmt != Format.json and (table["nodes"] == table["disruption"]).all():
            table = table.drop(columns=["nodes"])
        res = type(res)(res.kind, res.status, res.objective, {"tts": table}, res.message, res.meta)
        _emit_result(res, fmt, "tts", f"TTS vs TTR — {net.name}")


def _check_plot(plot: Path | None) -> None:
    """A --plot path checked before any work (suffix, folder, writable; see report.charts.check_plot_path)."""
    if plot is not None:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)


@app.command("allocate")
def allocate_cmd(
    plan: Path = typer.Argument(..., help="PLAN.yaml: shortfalls, supply, commitments (see docs/decisions.md)."),
    fairness: bool | None = typer.Option(None, "--fairness/--no-fairness",
                                            help="Max-min fairness between members (default: as in the plan)."),
    fmt: Format = FormatOpt,
    plot: Path | None = PlotOpt,
) -> None:
    """Emergency allocation of key items: minimise weighted unmet shortfall under MOU commitments."""
    with _clean_errors():
        _check_plot(plot)
        from allychain.data.spec import read_allocation_plan
        from allychain.optimize.allocation import allocate_plan

        p = read_allocation_plan(plan)
        if fairness is not None:
            p.fairness = fairness
        res = allocate_plan(p)
        if plot is not None:
            from allychain.report.decision_charts import allocation_chart

            typer.echo(f"chart written to {allocation_chart(res['members'], plot)}", err=True)
        if fmt == Format.json:
            emit(res.to_dict(), fmt)
            return
        emit(res["allocation"], fmt, title="shipments")
        if fmt == Format.table:
            emit(res["members"], fmt, title="members")
            if len(res["commitments"]):
                emit(res["commitments"], fmt, title="commitments")
            typer.echo(res.message)
        else:
            typer.echo(res.message, err=True)


@app.command("stockpile")
def stockpile_cmd(
    spec: Path = typer.Argument(..., help="SPEC.yaml: candidate stocks and disruptions (see docs/decisions.md)."),
    data: str | None = typer.Option(None, "--data", "-d", help="Network to use (default: the spec's 'data', "
                                                                  "else builtin)."),
    fmt: Format = FormatOpt,
    plot: Path | None = PlotOpt,
) -> None:
    """Least-cost stockpiles (days of cover) per key item and member so that TTS ≥ TTR."""
    with _clean_errors():
        _check_plot(plot)
        from allychain.data.load import load
        from allychain.data.spec import read_stockpile_spec
        from allychain.optimize.stockpile import size_stockpile

        s = read_stockpile_spec(spec)
        source = data or s.data or "builtin"
        if data is None and s.data and not Path(s.data).is_absolute() and (spec.parent / s.data).exists():
            source = str(spec.parent / s.data)
        res = size_stockpile(load(source), s)
        if plot is not None:
            from allychain.report.decision_charts import stockpile_chart

            typer.echo(f"chart written to {stockpile_chart(res['stockpiles'], plot)}", err=True)
        if fmt == Format.json:
            emit(res.to_dict(), fmt)
            return
        emit(res["stockpiles"], fmt, title="stockpiles")
        if fmt == Format.table:
            emit(res["disruptions"], fmt, title="disruptions")
            typer.echo(res.message)
        else:
            typer.echo(res.message, err=True)


def _alliance_members(network: Any) -> list[str]:
    """The KOR+NLD alliance's members from the data, else KOR and NLD."""
    a = network.alliances
    for _, g in a.groupby("alliance_id"):
        if set(g["member"].astype(str)) == set(DEFAULT_MEMBERS):
            return sorted(g["member"].astype(str))
    return list(DEFAULT_MEMBERS)


def demo(network: Any, console: Any, limit: int = 15) -> Any:
    """Print the KOR+NLD unprotected disruptions (TTS < TTR) on a loaded network.

    A share network is first mapped to country × item nodes
    (:func:`allychain.optimize.country.site_network`, TTR defaults per item class).
    Every node is disrupted (so the risk exposure index is relative to the worst
    disruption anywhere); the members' unprotected ones are shown, worst first.
    Returns the :class:`~allychain.optimize.result.Result`, or ``None`` when the
    solver is not installed.
    """
    from rich.text import Text

    try:
        from allychain.optimize import unprotected_nodes
    except ImportError:  # pragma: no cover
        return None
    members = _alliance_members(network)
    try:
        u = unprotected_nodes(network, members)
    except AllychainError as exc:
        console.print(f"time to survive: not assessable — {exc}", style="yellow", markup=False)
        return None
    net, res, mine, bad, period = u.network, u.result, u.rows, u.unprotected, u.period
    console.rule(Text.assemble(("Time to survive vs time to recover", "bold"), f" — {'+'.join(members)}"))
    console.print(f"{len(mine)} {'+'.join(members)} node(s) disrupted one at a time: {len(bad)} unprotected "
                  f"(the rest of the network runs out before they recover); TTS and TTR in {period}s.")
    if len(bad):
        names = dict(zip(net.nodes["node_id"].astype(str), net.nodes["name"].astype(str), strict=False))
        show = bad.head(limit).assign(name=lambda d: d["disruption"].map(names))
        from rich.table import Table

        tab = Table(header_style="bold")
        for col in ("disruption", "name", "ttr", "tts", "rei"):
            tab.add_column(col, justify="right" if col in ("ttr", "tts", "rei") else "left")
        for r in show.itertuples(index=False):
            tab.add_row(str(r.disruption), str(r.name), f"{r.ttr:.3g}",
                        "∞" if math.isinf(r.tts) else f"{r.tts:.3g}", f"{r.rei:.3f}" if r.rei == r.rei else "—")
        console.print(tab)
    if net is not network and net.meta.get("assumptions"):
        console.print("provider × item mapping: TTR defaults per item class (months) "
                      f"{net.meta['assumptions']['ttr_months']}; override with allychain.optimize.country",
                      style="dim", markup=False)
    return res
