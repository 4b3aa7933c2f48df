"""``allychain simulate`` and ``allychain montecarlo``: disruption simulation commands.

Results (summary tables) go to stdout; progress and the list of files written to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from allychain.cli.options import MAX_SEED, MAX_STEPS, open_unit_interval
from allychain.cli.render import Format, emit
from allychain.errors import ScenarioError

__all__ = ["simulate_cmd", "montecarlo_cmd", "demo"]


ENGINE_HELP = ("auto (fused when numba is installed, except numpy for single runs of systems over 8,000 input "
               "slots), numpy (the reference engine), fused (compiled kernel, pip install 'allychain[fast]') or "
               "torch (accelerator backend on --device, pip install 'allychain[gpu]'); the numbers are the same.")
DEVICE_HELP = "Device of --engine torch: auto (cuda when available), cpu, cuda or cuda:N."


def _engine(name: str, device: str = "auto") -> tuple[str, str | None]:
    """The engine for ``--engine`` and its device for ``--device`` (a clear error for an
    unknown name, a missing library or a missing GPU); ``auto`` stays ``auto``, for the
    run to choose by its batch and system size."""
    from allychain.simulate.fused import resolve

    engine, dev = resolve(name, device)
    return (name if name == "auto" else engine), dev


def _summary_table(summary: dict[str, Any]) -> Any:
    import pandas as pd

    rows = [{"name": "total", **summary["total"]}]
    rows += [{"name": f"alliance {g}", **v} for g, v in (summary.get("alliances") or {}).items()]
    rows += [{"name": r, **v} for r, v in summary["regions"].items()]
    df = pd.DataFrame(rows)
    for c in ("total_loss_share", "peak_loss_share"):
        df[c] = df[c] * 100
    return df.rename(columns={"total_loss_share": "loss_%", "peak_loss_share": "peak_loss_%",
                              "time_to_recover": "steps_to_recover", "final_demand_unmet": "unmet_final_demand"})[
        ["name", "total_loss", "loss_%", "peak_loss_%", "peak_step", "steps_to_recover", "unmet_final_demand"]]


def _progress(total: int, label: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from allychain.cli.console import console

    return Progress(TextColumn(label.replace("{", "{{").replace("}", "}}"), markup=False), BarColumn(),
                    MofNCompleteColumn(), TimeRemainingColumn(), console=console(stderr=True), transient=True)


def simulate_cmd(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML (see src/allychain/scenarios/)."),
    data: str | None = typer.Option(None, "--data", "-d",
                                       help="pymrio-test, builtin, eto, a folder … (default: the scenario's data)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for CSV tables, summary.json and chart."),
    plot: bool = typer.Option(False, "--plot", help="Also draw production.png (always drawn with --out)."),
    capacity_path: Path | None = typer.Option(None, "--capacity-path",
                                                 help="CSV: step column + one column per node, share of capacity "
                                                      "lost."),
    steps: int | None = typer.Option(None, "--steps", min=1, max=MAX_STEPS,
                                     help="Steps to simulate (default: scenario horizon, 365)."),
    compat: str | None = typer.Option(None, "--compat", help="boario: reproduce BoARIO 0.7's ARIOPsiModel."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format of the summary."),
    out_format: str = typer.Option("csv", "--out-format",
                                   help="Tables written with --out: csv, parquet, netcdf, comma-separated."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an --out folder that holds other files."),
    engine: str = typer.Option("auto", "--engine", help=ENGINE_HELP),
    inputs: str | None = typer.Option(None, "--inputs", help="Add local inputs to a share network's flow network: "
                                      "labour, electricity (comma-separated; nodes KOR/electricity, KOR/labour …, "
                                      "shockable like any node). Default: none, as before."),
    device: str = typer.Option("auto", "--device", help=DEVICE_HELP),
) -> None:
    """Run one disruption scenario and report production losses by region.

    --out is written whole or not at all: an earlier result there is replaced only when
    the new one is complete, and a second run writing the same folder stops at once.
    """
    from contextlib import nullcontext

    from allychain.durable import lock_output
    from allychain.report.sim_outputs import check_out

    if out is not None:
        check_out(out, overwrite)
    with lock_output(out) if out is not None else nullcontext():
        _simulate(scenario, data, out, plot, capacity_path, steps, compat, fmt, out_format, overwrite, engine,
                  inputs, device)


def _simulate(scenario: Path | None, data: str | None, out: Path | None, plot: bool, capacity_path: Path | None,
              steps: int | None, compat: str | None, fmt: Format, out_format: str, overwrite: bool,
              engine: str = "auto", inputs: str | None = None, device: str = "auto") -> None:
    from allychain.data.load import load
    from allychain.data.spec import read_capacity_path, read_scenario
    from allychain.report.sim_outputs import write_result
    from allychain.simulate.api import run_scenario
    from allychain.simulate.scenario import Scenario

    if compat not in (None, "boario", "none"):
        raise ScenarioError(f"--compat {compat!r}; expected boario")
    engine, dev = _engine(engine, device)
    sc = read_scenario(scenario) if scenario is not None else Scenario(
        name="capacity path" if capacity_path else "baseline", horizon=365)
    extra = read_capacity_path(capacity_path) if capacity_path is not None else None
    network = load(data or sc.data or "pymrio-test")
    if inputs:
        from allychain.data.inputs import parse_inputs, with_inputs

        network = with_inputs(network, parse_inputs(inputs))
    T = steps or sc.horizon
    with _progress(T, "simulating") as prog:
        task = prog.add_task("steps", total=T)
        res = run_scenario(sc, network, steps=T, compat=compat, capacity_path=extra,
                           progress=lambda t: prog.advance(task), engine=engine, device=dev)
    summary = res.summary(alliances=sc.alliances or None)
    if out is not None:
        formats = tuple(f.strip().lower() for f in out_format.split(",") if f.strip())
        written = write_result(res, out, plot=True, summary=summary, formats=formats, overwrite=overwrite)
        typer.echo(f"wrote {len(written)} files to {out} (chart: {written['chart']})", err=True)
    elif plot:
        from allychain.report.sim_charts import plot_production

        p = plot_production(res, Path("production.png"))
        typer.echo(f"chart: {p}", err=True)
    if fmt == Format.json:
        emit(summary, fmt)
    else:
        emit(_summary_table(summary), fmt, title=f"{sc.name}: production loss over {T} steps ({summary.get('unit') or 'per step'})")


def _client(address: str) -> Any:
    from allychain.simulate.montecarlo import dask_client

    return dask_client(address)


def montecarlo_cmd(
    spec: Path = typer.Argument(..., help="Monte Carlo specification YAML (random shocks with distributions)."),
    runs: int | None = typer.Option(None, "--runs", "-n", min=1, help="Number of sampled runs (default: spec's runs)."),
    seed: int = typer.Option(0, "--seed", "-s", min=0, max=MAX_SEED,
                             help="Seed (0 or more): the same seed gives the same numbers."),
    dask: str | None = typer.Option(None, "--dask", help="Run batches on a Dask cluster: ADDRESS or local."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder for runs.csv, risk.csv and a chart."),
    data: str | None = typer.Option(None, "--data", "-d", help="Data (default: the spec's data)."),
    batch_size: int = typer.Option(128, "--batch-size", min=1, help="Runs simulated together in one vectorised state."),
    workers: int = typer.Option(1, "--workers", "-w", min=1,
                                help="Local worker processes (same numbers whatever the count)."),
    level: float = typer.Option(0.95, "--level", callback=open_unit_interval,
                                help="VaR/CVaR level, strictly between 0 and 1."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an --out folder that holds other files."),
    engine: str = typer.Option("auto", "--engine", help=ENGINE_HELP),
    device: str = typer.Option("auto", "--device", help=DEVICE_HELP),
) -> None:
    """Sample many disruptions, run them vectorised, report loss distributions (VaR/CVaR)."""
    from contextlib import nullcontext

    from allychain.durable import lock_output
    from allychain.report.sim_outputs import check_out

    if out is not None:
        check_out(out, overwrite)
    with lock_output(out) if out is not None else nullcontext():
        _montecarlo(spec, runs, seed, dask, out, data, batch_size, workers, level, fmt, overwrite, engine, device)


def _montecarlo(spec: Path, runs: int | None, seed: int, dask: str | None, out: Path | None, data: str | None,
                batch_size: int, workers: int, level: float, fmt: Format, overwrite: bool,
                engine: str = "auto", device: str = "auto") -> None:
    from allychain.data.load import load
    from allychain.data.spec import read_montecarlo
    from allychain.simulate.api import build_system
    from allychain.simulate.montecarlo import run_montecarlo

    engine, dev = _engine(engine, device)
    sp = read_montecarlo(spec)
    system = build_system(load(data or sp.data or "pymrio-test"), sp.params)
    n = sp.runs if runs is None else runs
    client = _client(dask) if dask else None
    try:
        with _progress(n, "runs") as prog:
            task = prog.add_task("runs", total=n)
            res = run_montecarlo(sp, system, runs=n, seed=seed, batch_size=batch_size, dask=client,
                                 progress=lambda k: prog.advance(task, k), workers=workers, engine=engine,
                                 device=dev)
    finally:
        if client is not None:
            client.close()
    risk = res.risk(level)
    if out is not None:
        from allychain.report.sim_outputs import write_montecarlo

        losses = res.losses()
        keys = ["total", *[g for g in sp.alliances if g in losses]]
        keys += [k for k in losses if k not in keys][: max(0, 4 - len(keys))]
        written = write_montecarlo(res.runs, risk, {k: losses[k] for k in keys}, out, title=sp.name, level=level,
                                   overwrite=overwrite)
        typer.echo(f"wrote runs.csv, risk.csv, {written['chart'].name} to {out}", err=True)
    emit(risk, fmt, title=f"{sp.name}: share of output lost over {sp.horizon} steps, {n} runs, seed {seed}")


def demo(console: Any, out: Path | None = None) -> Path:
    """A short disruption run on pymrio's test system: an earthquake in reg2; prints the
    loss summary and the path of the chart file, and returns that path."""
    import tempfile

    from rich.text import Text

    from allychain.data.load import load
    from allychain.data.spec import read_scenario
    from allychain.report.sim_outputs import write_result
    from allychain.simulate.api import run_scenario

    here = Path(__file__).resolve().parents[1] / "scenarios" / "pymrio-test-earthquake-reg2.yaml"
    sc = read_scenario(here)
    res = run_scenario(sc, load(sc.data or "pymrio-test"), steps=180)
    out = out or Path(tempfile.mkdtemp(prefix="allychain-sim-"))
    written = write_result(res, out, plot=True)
    s = res.summary(alliances=res.meta.get("alliances") or None)
    t = s["total"]
    console.print(Text.assemble(("disruption simulation", "bold"), f" — {res.meta['scenario']} "
                  f"(pymrio test system, 180 days): world output lost {t['total_loss_share'] * 100:.2f} % of the period, peak "
                  f"{t['peak_loss_share'] * 100:.1f} % at day {t['peak_step']}"))
    console.print(f"chart: {written['chart']}")
    return written["chart"]
