"""``allychain hindcast``: the engine held against documented disruptions.

Runs the built-in cases (or ``--case`` names or files) and prints, for each measure, the
model's value beside the record's, the tolerance chosen before the run and the verdict;
then how many cases are within their tolerances and why the others miss.  Progress goes to
stderr; ``--plot`` writes the distances from the record as a chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from allychain.cli.render import Format

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["hindcast_cmd", "display"]


def _value(v: Any, unit: str) -> str:
    if v is None or v != v:
        return "—"
    if unit == "share":
        return f"{100 * float(v):.2f} %"
    if unit in ("days", "day"):
        return f"{float(v):.0f} d"
    return f"{float(v):,.4g}"


def display(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows as the table shows them: values with their units, tolerance as ±."""
    import pandas as pd

    out = []
    for r in rows.to_dict("records"):
        unit = r["unit"]
        tol = r["tolerance"]
        rep = not str(r["verdict"]).startswith("not ")
        out.append({"case": r["case"], "measure": r["label"], "tests": r["tests"],
                    "model": _value(r["model"], unit) if rep else "—",
                    "record": _value(r["record"], unit) if rep else f"{r['record']:,.6g}",
                    "tolerance": ("± " + _value(tol, unit)) if rep and tol is not None and tol == tol else "—",
                    "verdict": r["verdict"]})
    return pd.DataFrame(out)


def hindcast_cmd(
    case: list[str] | None = typer.Option(None, "--case", "-c", help="A built-in case name or a case file "
                                          "(.yaml); repeat for several. Default: every built-in case."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, json (everything, with sources) or "
                               "csv (one row per measure)."),
    plot: str | None = typer.Option(None, "--plot", help="Also write each measure's distance from the record "
                                    "in tolerances as a chart (.png or .svg)."),
) -> None:
    """Model against the record for documented disruptions (docs/simulation.md, "Hindcasts")."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from allychain.cli.console import console
    from allychain.cli.render import emit
    from allychain.services.hindcast import hindcast

    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    names = [c.strip() for c in ",".join(case).split(",") if c.strip()] if case else None
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                  console=console(stderr=True), transient=True) as prog:
        tasks: dict[str, Any] = {}

        def tick(name: str, step: int, steps: int) -> None:
            if name not in tasks:
                tasks[name] = prog.add_task(f"hindcast {name}", total=steps)
            prog.update(tasks[name], completed=step)

        res = hindcast(cases=names, progress=tick)
    if fmt == Format.json:
        emit(res.to_dict(), fmt)
    elif fmt == Format.csv:
        emit(res.rows.drop(columns=["sources"]).assign(sources=res.rows["sources"].map(";".join)), fmt)
    else:
        emit(display(res.rows), fmt, title="hindcasts: model and record side by side")
        ver = res.verdicts()
        typer.echo(f"{res.within()} of {len(ver)} cases within their tolerances.")
        limits = {c.name: c.limits for c in res.cases}
        for r in ver[ver["verdict"] != "within"].to_dict("records"):
            why = limits.get(r["case"]) or "see docs/simulation.md, 'Hindcasts'"
            typer.echo(f"{r['case']}: {r['verdict']}: {why}")
    if plot:
        from allychain.report.hindcast_charts import hindcast_chart

        hindcast_chart(res.rows, plot)
        typer.echo(f"chart written to {plot}", err=True)
