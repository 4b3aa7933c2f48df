"""``allychain talent gap``: the semiconductor workforce gap per country and skill level.

Projects the built-in workforce parameters (:mod:`allychain.talent`) to ``--until``,
optionally with the programmes of a ``--programme`` file, and prints the gap in the last
year (table), every year (``csv``) or everything with the sensitivity, coverage and sources
(``json``).  ``--plot`` writes the gap per year as a chart.  Flows the parameters do not
cover are named on stderr: not covered is not zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from allychain.cli.options import MAX_YEAR, MIN_YEAR
from allychain.cli.render import Format

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["app", "gap_cmd"]

app = typer.Typer(help="Talent: the semiconductor workforce gap and what closes it.", no_args_is_help=True)


def _countries(text: str | None) -> list[str] | None:
    return [c.strip().upper() for c in text.split(",") if c.strip()] if text else None


def _warn_uncovered(coverage: pd.DataFrame) -> None:
    from allychain.cli.console import warn

    missing = coverage[~coverage["covered"]]
    for (country, level), g in missing.groupby(["country", "level"], sort=True):
        warn(f"{country} {level}: not covered (no sourced figure; counted as no flow): {', '.join(g['flow'])}")


def _payload(frame: pd.DataFrame, sens: pd.DataFrame, coverage: pd.DataFrame, last: int) -> dict[str, Any]:
    from allychain.talent import builtin_sources

    return {"until": last, "gap": frame, "sensitivity": sens, "coverage": coverage,
            "sources": builtin_sources()}


def _summary(frame: pd.DataFrame, until: int | None) -> pd.DataFrame:
    """One row per country and level: the year asked for, or (no --until) each one's last
    assessable year; persons rounded to whole workers, not assessable shown as such."""
    cols = [c for c in ("country", "level", "year", "demand", "stock", "gap", "gap_with", "closed")
            if c in frame.columns]
    if until is not None:
        out = frame[frame["year"] == until]
    else:
        known = frame[frame["gap"].notna()]
        out = known.loc[known.groupby(["country", "level"])["year"].idxmax()]
        out = out if len(out) else frame[frame["year"] == frame["year"].max()]
    out = out[cols].reset_index(drop=True)
    for c in cols[3:]:
        out[c] = out[c].round().astype("Int64")
    return out


@app.command("gap")
def gap_cmd(
    country: str | None = typer.Option(None, "--country", "-c", help="Countries (ISO alpha-3, comma-separated; "
                                       "default: every country with parameters)."),
    until: int | None = typer.Option(None, "--until", min=MIN_YEAR, max=MAX_YEAR,
                                     help="Last year (default: the last year with a demand figure)."),
    programme: str | None = typer.Option(None, "--programme", "-p", help="Programme file (YAML; see "
                                         "docs/talent.md): the gap is shown with and without it."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table (last year), json (everything) or csv "
                               "(every year)."),
    plot: str | None = typer.Option(None, "--plot", help="Also write the gap per year as a chart (.png or .svg)."),
    params: str | None = typer.Option(None, "--params", help="Your own workforce rows (CSV, columns as in "
                                      "docs/talent.md), added to the built-in ones; a row with the same country, "
                                      "level, flow and year replaces the built-in row."),
) -> None:
    """The workforce gap (workers needed − workers available) per country, skill level and year."""
    from allychain.cli.render import emit
    from allychain.talent import builtin_workforce, programme_effect, project, sensitivity

    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    table = builtin_workforce()
    if params:
        from allychain.data.spec import read_workforce
        from allychain.talent.params import combine

        table = combine(table, read_workforce(params))
    progs = []
    if programme:
        from allychain.data.spec import read_programmes

        progs = read_programmes(programme, table)
    wanted = _countries(country)
    proj = project(table, countries=wanted, until=until, programmes=progs)
    last = int(proj.series["year"].max())
    frame = programme_effect(table, progs, countries=wanted, until=last) if progs else proj.series
    _warn_uncovered(proj.coverage)
    if fmt == Format.json:
        sens = sensitivity(table, countries=wanted, until=last, programmes=progs)
        emit(_payload(frame, sens, proj.coverage, last), fmt)
    elif fmt == Format.csv:
        emit(frame, fmt)
    else:
        emit(_summary(frame, until), fmt, title="workforce gap (persons; positive: shortfall)")
    if plot:
        from allychain.report.talent_charts import gap_chart

        gap_chart(frame, plot)
        typer.echo(f"chart written to {plot}", err=True)
