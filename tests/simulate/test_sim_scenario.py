"""Scenario YAML: validation messages, shocks, export restrictions, demand shocks, capacity paths."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from allychain.data.mrio import load_pymrio_test
from allychain.data.spec import read_scenario as load_scenario
from allychain.errors import ScenarioError
from allychain.simulate import Params, build_system, simulate
from allychain.simulate.api import run_scenario
from allychain.simulate.scenario import parse_scenario, to_forcing

SCEN = Path(str(resources.files("allychain").joinpath("scenarios")))


@pytest.fixture(scope="module")
def net():
    return load_pymrio_test()


@pytest.fixture(scope="module")
def system(net):
    return build_system(net)


def _write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, key, expected", [
    ("horizon: -3\n", "horizon", "positive"),
    ("shocks:\n  - nodes: [reg1/food]\n    loss_fraction: 1.5\n", "shocks[0].loss_fraction", "from 0 to 1"),
    ("shocks:\n  - nodes: [reg1/food]\n", "shocks[0].loss_fraction", "share of capacity lost"),
    ("shocks:\n  - loss_fraction: 0.5\n", "shocks[0]", "naming what is hit"),
    ("shocks:\n  - nodes: [reg1/food]\n    loss_fraction: 0.5\n    recovery: {profile: cubic, steps: 3}\n",
     "shocks[0].recovery.profile", "one of linear, exponential, step"),
    ("parameters: {psi: 2}\n", "parameters", "psi"),
    ("parameters: {speed: 2}\n", "parameters.speed", "one of"),
    ("shock: []\n", "shock", "one of the keys"),
    ("export_restrictions:\n  - {from: reg1}\n", "export_restrictions[0]", "'to'"),
    ("capacity_path: nothere.csv\n", "capacity_path", "an existing CSV"),
])
def test_validation_errors_name_file_key_value_expected(tmp_path, text, key, expected):
    p = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    msg = str(exc.value)
    assert str(p) in msg and f"'{key}" in msg and expected in msg


def test_unknown_node_and_region_are_named(tmp_path, system):
    sc = parse_scenario({"shocks": [{"nodes": ["reg9/food"], "loss_fraction": 0.5}]}, source="x.yaml")
    with pytest.raises(ScenarioError, match=r"x.yaml: key 'shocks\[0\]': node 'reg9/food'"):
        to_forcing(sc, system)
    sc = parse_scenario({"shocks": [{"countries": "mars", "loss_fraction": 0.5}]}, source="x.yaml")
    with pytest.raises(ScenarioError, match="country 'mars' is not in the data"):
        to_forcing(sc, system)


def test_shock_profiles_give_documented_capacity_path(system):
    sc = parse_scenario({"horizon": 40, "shocks": [
        {"nodes": ["reg1/food"], "loss_fraction": 0.5, "onset": 2, "duration": 3, "recovery": {"profile": "linear",
                                                                                          "steps": 4}},
        {"nodes": ["reg2/food"], "loss_fraction": 0.8, "onset": 0, "duration": 2, "recovery": {"profile": "step"}},
        {"nodes": ["reg3/food"], "loss_fraction": 1.0, "onset": 0, "duration": 0, "recovery": {"profile": "exponential",
                                                                                          "steps": 10}},
    ]})
    f = to_forcing(sc, system)
    j1, j2, j3 = (system.node_index(k) for k in ("reg1/food", "reg2/food", "reg3/food"))
    d = np.array([f.capacity_loss(t)[0] for t in range(12)])
    assert np.allclose(d[:, j1], [0, 0, .5, .5, .5, .5, .375, .25, .125, 0, 0, 0])
    assert np.allclose(d[:, j2], [.8, .8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert np.allclose(d[:3, j3], np.exp(-np.arange(3) / 10))
    assert np.count_nonzero(d) == np.count_nonzero(d[:, [j1, j2, j3]])


def test_region_shock_hits_every_node_of_the_region(system):
    sc = parse_scenario({"shocks": [{"countries": "reg2", "loss_fraction": 0.4, "duration": 5}]})
    d = to_forcing(sc, system).capacity_loss(0)[0]
    reg = np.asarray(system.node_region)
    assert np.allclose(d[reg == "reg2"], 0.4) and np.all(d[reg != "reg2"] == 0)


def test_capacity_path_file_matches_array(tmp_path, net, system):
    _write(tmp_path, "step,reg3/food,reg2/trade\n5,0.5,0.1\n6,0.5,0\n7,0.25,0\n", "cp.csv")
    sc_path = _write(tmp_path, "horizon: 30\ncapacity_path: cp.csv\n")
    res = run_scenario(load_scenario(sc_path), net)
    arr = np.zeros((30, system.n))
    arr[5:7, system.node_index("reg3/food")] = 0.5
    arr[7, system.node_index("reg3/food")] = 0.25
    arr[5, system.node_index("reg2/trade")] = 0.1
    ref = simulate(net, 30, capacity_path=arr)
    assert np.array_equal(res.arrays["production"], ref.arrays["production"])
    bad = _write(tmp_path, "step,reg3/food\n1,1.5\n", "bad.csv")
    with pytest.raises(ScenarioError, match=r"row 2, column 'reg3/food'.*fraction from 0 to 1"):
        load_scenario(_write(tmp_path, f"capacity_path: {bad}\n", "b.yaml"))
    wrong = _write(tmp_path, "step,reg3/fud\n1,0.5\n", "wrong.csv")
    with pytest.raises(ScenarioError, match="'reg3/fud' is not a node"):
        run_scenario(load_scenario(_write(tmp_path, f"capacity_path: {wrong}\n", "w.yaml")), net)
    late = _write(tmp_path, "step,reg3/food\n30,0.5\n", "late.csv")
    with pytest.raises(ScenarioError, match="step 30 is beyond the run; expected steps from 0 to 29"):
        run_scenario(load_scenario(_write(tmp_path, f"horizon: 30\ncapacity_path: {late}\n", "l.yaml")), net)
    with pytest.raises(ScenarioError, match="was not read"):
        run_scenario(parse_scenario({"capacity_path": str(bad)}), net)


def test_export_ban_shifts_orders_and_full_licence_changes_nothing(net, system):
    base = simulate(net, 60)
    doc = {"horizon": 60, "export_restrictions": [{"from": "reg2", "to": "reg1", "items": ["manufactoring"],
                                                   "licensed_fraction": 1.0}]}
    same = run_scenario(parse_scenario(doc), net)
    assert np.allclose(same.arrays["production"], base.arrays["production"], rtol=1e-13)
    doc["export_restrictions"][0]["licensed_fraction"] = 0.0
    ban = run_scenario(parse_scenario(doc), net)
    x = ban.arrays["production"][:, 0, :]
    j = system.node_index("reg2/manufactoring")
    others = [system.node_index(f"reg{r}/manufactoring") for r in (3, 4, 5, 6)]
    # from step 1 reg2 loses exactly reg1's baseline orders; the other manufacturers pick them up
    to_reg1 = sum(z for k, b, z in zip(system.edge_sup, system.edge_buyer, system.edge_z0, strict=False)
                  if k == j and system.node_region[b] == "reg1")
    assert to_reg1 > 0
    assert ban.arrays["demand"][1, 0, j] == pytest.approx(system.x0[j] - to_reg1, rel=1e-9)
    assert x[-1, j] < system.x0[j] - 0.9 * to_reg1
    assert all(x[-1, k] > system.x0[k] for k in others)


def test_demand_shock_by_consumer_region(net, system):
    doc = {"horizon": 5, "demand_shocks": [{"consumers": ["reg4"], "change_fraction": -0.5}]}
    res = run_scenario(parse_scenario(doc), net)
    fd = system.fd
    reg4 = [c for c in fd.columns if c[0] == "reg4"]
    expected = system.y0 - 0.5 * fd[reg4].to_numpy().sum(axis=1)
    demand0 = res.arrays["demand"][0, 0, :]
    orders0 = np.bincount(system.edge_sup, weights=system.edge_z0, minlength=system.n)
    assert np.allclose(demand0 - orders0, expected)


@pytest.mark.parametrize("path", sorted(SCEN.glob("pymrio-test-*.yaml")), ids=lambda p: p.stem)
def test_example_scenarios_validate(path):
    if "montecarlo" in path.stem:
        from allychain.data.spec import read_montecarlo

        assert read_montecarlo(path).shocks
    else:
        sc = load_scenario(path)
        assert sc.shocks or sc.export_restrictions or sc.demand_shocks


@pytest.mark.parametrize("name", ["euv-deliveries-halted-kor", "photoresist-licensing-kor", "neon-loss",
                                  "fab-earthquake-twn"])
def test_semiconductor_scenarios_run_on_builtin(name):
    from allychain.data.load import load

    sc = load_scenario(SCEN / f"{name}.yaml")
    res = run_scenario(sc, load(sc.data), steps=120)
    s = res.summary(alliances={"KOR-NLD": ["KOR", "NLD"]})
    assert s["total"]["total_loss"] > 0
    assert "KOR-NLD" in s["alliances"]


def test_params_in_yaml_reach_the_engine(tmp_path, net):
    p = _write(tmp_path, "parameters: {inventory_days: 30, psi: 0.9}\ncompat: boario\n")
    sc = load_scenario(p)
    assert sc.params == Params(inventory_days=30, psi=0.9)
    assert run_scenario(sc, net, steps=2).params.relevance_rule == "boario"


def test_capacity_paths_of_different_lengths_merge_without_touching_the_callers_forcing(system, net):
    from allychain.simulate import Forcing

    j = system.node_index("reg3/food")
    short = np.zeros((5, system.n))
    short[:, j] = 0.2
    forcing = Forcing(batch=1, n=system.n, e=system.e, path=short.copy())
    longer = np.zeros((12, system.n))
    longer[8:, j] = 0.6
    res = simulate(system, 12, forcing=forcing, capacity_path=longer)
    assert np.array_equal(forcing.path, short)  # the caller's forcing is not changed
    both = np.maximum(np.pad(short, ((0, 7), (0, 0))), longer)
    ref = simulate(system, 12, capacity_path=both)
    assert np.array_equal(res.arrays["production"], ref.arrays["production"])
    with pytest.raises(ScenarioError, match=r"shape \(12, 3\); expected \(steps, "):
        simulate(system, 12, capacity_path=np.zeros((12, 3)))
