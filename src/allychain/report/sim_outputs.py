"""Writing a simulation result to a folder: CSV tables, summary.json, chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from allychain.simulate.recorder import SimResult

__all__ = ["write_result", "write_montecarlo", "check_out", "TABLES", "FORMATS"]

TABLES = {
    "production": "production.csv",
    "capacity": "capacity.csv",
    "final_demand_unmet": "final_demand_unmet.csv",
    "inventory_cover": "inventory_cover.csv",
    "overproduction": "overproduction.csv",
}


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    return v


FORMATS = ("csv", "parquet", "netcdf")
_EXTRA = {"production_by_region.csv", "final_demand_unmet_by_consumer.csv", "summary.json", "production.png",
          "result.nc", "runs.csv", "risk.csv", "losses.png"}
_KNOWN = {*TABLES.values(), *(f.replace(".csv", ".parquet") for f in TABLES.values()), *_EXTRA}


def _earlier_result(path: Path) -> bool:
    """An empty folder, one allychain marked as a simulation result, or (results written
    before the marker existed) one holding only files a simulation writes."""
    from allychain.durable import is_result_folder

    if is_result_folder(path):
        return True
    names = {p.name for p in path.iterdir()}
    return names <= _KNOWN


def check_out(out: str | Path, overwrite: bool = False) -> Path:
    """Check an ``--out`` folder before the run (see :func:`allychain.durable.check_output`)."""
    from allychain.durable import check_output

    return check_output(out, "folder", overwrite=overwrite, accept=_earlier_result, what="--out")


def write_result(result: SimResult, out: str | Path, plot: bool = True, run: int = 0,
                 summary: dict[str, Any] | None = None, formats: tuple[str, ...] = ("csv",),
                 overwrite: bool = False) -> dict[str, Path]:
    """Write one run: one table per variable (a row per step, a column per node, named as
    in the data) as CSV and/or Parquet, ``production_by_region.csv`` (share of baseline),
    ``summary.json``, with ``"netcdf"`` in ``formats`` every variable of every run as
    ``result.nc`` (an xarray Dataset, dims step × run × node), and with ``plot``
    ``production.png``.  Returns the paths written.

    The folder is written whole or not at all (:func:`allychain.durable.output_folder`):
    an earlier result there is replaced only once the new one is complete, a folder of
    other files only with ``overwrite``, and a second writer of the same folder fails.

    Parquet needs pyarrow and NetCDF needs xarray (the ``sim`` extra)."""
    from allychain.durable import output_folder

    bad = [f for f in formats if f not in FORMATS]
    if bad:
        from allychain.errors import AllychainError

        raise AllychainError(f"unknown output format(s) {bad}; expected some of {', '.join(FORMATS)}")
    final = Path(out)
    with output_folder(final, overwrite=overwrite, accept=_earlier_result, kind="simulation", what="--out") as tmp:
        written = _write_tables(result, tmp, plot, run, summary, formats)
    return {k: final / p.name for k, p in written.items()}


def _write_tables(result: SimResult, out: Path, plot: bool, run: int, summary: dict[str, Any] | None,
                  formats: tuple[str, ...]) -> dict[str, Path]:
    written: dict[str, Path] = {}
    for var, fname in TABLES.items():
        frame = result.frame(var, run)
        if "csv" in formats:
            p = out / fname
            frame.to_csv(p, float_format="%.12g")
            written[var] = p
        if "parquet" in formats:
            p = out / fname.replace(".csv", ".parquet")
            frame.to_parquet(p)
            written.setdefault(var, p)
            written[f"{var}_parquet"] = p
    if "netcdf" in formats:
        p = out / "result.nc"
        result.to_xarray().to_netcdf(p, engine="scipy")
        written["netcdf"] = p
    p = out / "production_by_region.csv"
    result.by_region("production", run, relative=True).to_csv(p, float_format="%.12g")
    written["production_by_region"] = p
    if result.system.fd is not None:
        p = out / "final_demand_unmet_by_consumer.csv"
        result.unmet_by_consumer(run).to_csv(p, float_format="%.12g")
        written["final_demand_unmet_by_consumer"] = p
    summ = summary or result.summary(run, alliances=result.meta.get("alliances") or None)
    summ = {"scenario": result.meta.get("scenario"), "compat": result.meta.get("compat"), **summ}
    p = out / "summary.json"
    p.write_text(json.dumps(_jsonable(summ), indent=2) + "\n", encoding="utf-8")
    written["summary"] = p
    if plot:
        from allychain.report.sim_charts import plot_production

        written["chart"] = plot_production(result, out / "production.png", run=run)
    return written


def write_montecarlo(runs: Any, risk: Any, losses: dict[str, np.ndarray], out: str | Path, *, title: str,
                     level: float, overwrite: bool = False) -> dict[str, Path]:
    """Write a Monte Carlo result folder whole or not at all: ``runs.csv`` (one row per
    sampled run), ``risk.csv`` (VaR/CVaR per region and group) and ``losses.png``
    (histograms of ``losses``, shares of output lost)."""
    from allychain.durable import output_folder
    from allychain.report.sim_charts import plot_loss_distribution

    final = Path(out)
    with output_folder(final, overwrite=overwrite, accept=_earlier_result, kind="montecarlo", what="--out") as tmp:
        runs.to_csv(tmp / "runs.csv", index=False, float_format="%.12g")
        risk.to_csv(tmp / "risk.csv", index=False, float_format="%.12g")
        plot_loss_distribution(losses, tmp / "losses.png", title=title, var_level=level)
    return {"runs": final / "runs.csv", "risk": final / "risk.csv", "chart": final / "losses.png"}
