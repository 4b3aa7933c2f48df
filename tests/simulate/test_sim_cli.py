"""The simulate / montecarlo commands and the demo hook."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from allychain.cli.main import app
from allychain.data.mrio import load_pymrio_test
from allychain.simulate import simulate

SCEN = Path(str(resources.files("allychain").joinpath("scenarios")))
runner = CliRunner()


def test_scripted_capacity_path_boario_mode(tmp_path):
    cp = tmp_path / "cp.csv"
    cp.write_text("step,reg3/food,reg2/manufactoring\n10,0.5,0.2\n11,0.5,0.2\n12,0.4,0\n")
    out = tmp_path / "out"
    r = runner.invoke(app, ["simulate", "--data", "pymrio-test", "--capacity-path", str(cp), "--steps", "60",
                            "--compat", "boario", "--out", str(out)])
    assert r.exit_code == 0, r.output
    for f in ("production.csv", "capacity.csv", "final_demand_unmet.csv", "inventory_cover.csv", "summary.json",
              "production.png", "production_by_region.csv"):
        assert (out / f).exists(), f
    prod = pd.read_csv(out / "production.csv", index_col="step")
    assert prod.shape == (60, 48) and prod.columns[0] == "reg1/construction"
    net = load_pymrio_test()
    path = np.zeros((60, 48))
    ids = list(prod.columns)
    path[10:12, ids.index("reg3/food")] = 0.5
    path[12, ids.index("reg3/food")] = 0.4
    path[10:12, ids.index("reg2/manufactoring")] = 0.2
    ref = simulate(net, 60, capacity_path=path, compat="boario").frame("production")
    assert np.allclose(prod.to_numpy(), ref.to_numpy(), rtol=1e-11)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["compat"] == "boario" and summary["total"]["total_loss"] > 0


def test_scenario_json_summary():
    r = runner.invoke(app, ["simulate", str(SCEN / "pymrio-test-food-fire.yaml"), "--steps", "90", "-f", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert set(d["regions"]) == {f"reg{i}" for i in range(1, 7)}
    assert d["regions"]["reg3"]["total_loss"] > 0


def test_bad_scenario_exits_cleanly(tmp_path):
    from allychain.cli.main import main  # noqa: F401  (error handling lives in main)

    bad = tmp_path / "bad.yaml"
    bad.write_text("shocks:\n  - nodes: [reg1/food]\n    loss_fraction: 3\n")
    r = runner.invoke(app, ["simulate", str(bad)])
    assert r.exit_code != 0
    assert "shocks[0].loss_fraction" in str(r.exception)


def test_montecarlo_command(tmp_path):
    out = tmp_path / "mc"
    args = ["montecarlo", str(SCEN / "pymrio-test-montecarlo.yaml"), "--runs", "6", "--seed", "2", "-f", "csv",
            "--batch-size", "4"]
    r = runner.invoke(app, [*args, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "runs.csv").exists() and (out / "risk.csv").exists() and (out / "losses.png").exists()
    r2 = runner.invoke(app, args)
    assert r.stdout == r2.stdout
    assert "VaR95" in r.stdout


def test_demo_prints_chart_path(tmp_path):
    from rich.console import Console

    from allychain.cli.simulate import demo

    console = Console(record=True, width=200)
    chart = demo(console, out=tmp_path)
    assert chart.exists() and chart.suffix == ".png"
    assert str(chart) in console.export_text()


def test_out_formats_parquet_and_netcdf_hold_the_same_numbers(tmp_path) -> None:
    import numpy as np
    import pandas as pd
    import xarray as xr
    from typer.testing import CliRunner

    from allychain.cli.main import app

    here = Path(__file__).resolve().parents[2] / "src" / "allychain" / "scenarios" / "pymrio-test-earthquake-reg2.yaml"
    res = CliRunner().invoke(app, ["simulate", str(here), "--steps", "20", "--out", str(tmp_path),
                                   "--out-format", "csv,parquet,netcdf"])
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(tmp_path / "production.csv", index_col=0)
    pq = pd.read_parquet(tmp_path / "production.parquet")
    assert list(pq.columns) == list(csv.columns) and pq.shape == (20, 48)
    np.testing.assert_allclose(csv.to_numpy(), pq.to_numpy(), rtol=1e-11)
    with xr.open_dataset(tmp_path / "result.nc", engine="scipy") as ds:
        assert ds["production"].dims == ("step", "run", "node")
        np.testing.assert_array_equal(ds["production"].values[:, 0, :], pq.to_numpy())
        assert list(ds["node"].values) == list(pq.columns)
    bad = CliRunner().invoke(app, ["simulate", str(here), "--steps", "5", "--out", str(tmp_path / "b"),
                                   "--out-format", "xlsx"])
    assert bad.exit_code != 0 and "unknown output format" in str(bad.exception or bad.output)
