"""``allychain energy profile``: each member's energy dependency for its fabs.

For the members (default KOR,NLD): the fab items each makes and the grid they run on — carbon
intensity, carbon-free share, outage duration (SAIDI) and frequency (SAIFI), each with its basis
and year — electricity per unit where known, and the energy cooperation agreements its country is
party to (:func:`allychain.energy.energy_profile`).  ``table`` and ``csv`` show the members' rows,
``json`` everything (members, items, grids, cooperation, sources, and ``imports``: the
foreign grids the members' imports run on, :func:`allychain.services.energy.import_grids`); ``--plot`` draws the grids.
Measures without a sourced figure are named on stderr: not covered is not zero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from allychain.cli.render import Format

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["app", "profile_cmd"]

app = typer.Typer(help="Energy: electricity as an input of the chain's fabs and materials.", no_args_is_help=True)

_TABLE = {"member": "member", "grid": "grid", "item_id": "item", "share": "share %",
          "carbon_intensity": "gCO2e/kWh", "share_carbon_free": "carbon-free %", "saidi": "SAIDI min",
          "saidi_basis": "SAIDI basis", "saifi": "SAIFI", "kwh_per_unit": "kWh/unit", "kwh_unit": "unit",
          "agreements": "energy agreements", "status": "status"}


def _summary(members: pd.DataFrame) -> pd.DataFrame:
    out = members[list(_TABLE)].rename(columns=_TABLE)
    out["energy agreements"] = out["energy agreements"].map(lambda s: len([a for a in str(s).split("; ") if a]))
    return out


def _warn_uncovered(members: pd.DataFrame) -> None:
    from allychain.cli.console import warn

    for (member, grid), g in members.groupby(["member", "grid"], sort=False, dropna=False):
        missing = sorted({m.strip() for s in g["status"] for m in str(s).split("not covered:")[-1].split(",")
                          if "not covered" in str(s)})
        if missing:
            warn(f"{member} (grid {grid}): not covered (no sourced figure): {', '.join(missing)}")


@app.command("profile")
def profile_cmd(
    members: str | None = typer.Option(None, "--members", "-m", help="Comma-separated members: ISO 3166 alpha-3 "
                                       "codes, firm ids or an alliance id (default KOR,NLD)."),
    data: str = typer.Option("builtin", "--data", "-d", help="builtin, eto, a folder, or a '+' combination."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table or csv (the members' fabs) or json "
                               "(members, items, grids, cooperation, sources, imports)."),
    plot: str | None = typer.Option(None, "--plot", help="Also write the grids as a chart (.png or .svg)."),
    params: str | None = typer.Option(None, "--params", help="A folder with your own rows (intensity.csv, supply.csv, "
                                      "cooperation.csv, sources.csv; columns as in docs/energy.md), added to the "
                                      "built-in tables; a row with the key of a built-in row replaces it."),
) -> None:
    """Each member's energy dependency for its fabs: the grid they run on and how clean and reliable it is."""
    from allychain.cli.analyze import DEFAULT_MEMBERS
    from allychain.cli.render import emit
    from allychain.data.load import load
    from allychain.energy import energy_profile, load_builtin
    from allychain.model.members import resolve_members

    if plot:
        from allychain.report.charts import check_plot_path

        check_plot_path(plot)
    tables = load_builtin()
    if params:
        from allychain.data.spec import read_energy_tables

        tables = read_energy_tables(params, tables)
    n = load(data)
    ms = resolve_members(members or DEFAULT_MEMBERS, n)
    prof = energy_profile(n, tables, ms)
    _warn_uncovered(prof["members"])
    if fmt == Format.json:
        from allychain.services.energy import import_grids

        emit({**prof, "imports": import_grids(n, tables, ms)}, fmt)
    else:
        emit(_summary(prof["members"]) if fmt == Format.table else prof["members"], fmt,
             title="energy dependency of the members' fabs (grid figures: latest year; not covered: —)")
    if plot:
        from allychain.report.energy_charts import energy_chart

        grids = prof["grids"].set_index("country")
        own = [g for g in prof["members"]["grid"].dropna().unique() if g]
        energy_chart(grids, plot, members=own)
        typer.echo(f"chart written to {plot}", err=True)
