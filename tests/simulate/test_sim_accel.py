"""The accelerator backend (PyTorch, CPU build here) against the numpy engine (the
reference): every shipped scenario in both modes, transport lags, random networks, Monte
Carlo; engine and device choice, and clear errors without PyTorch or without a GPU."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="the accelerator backend needs PyTorch (pip install 'allychain[gpu]')")
torch.set_num_threads(1)  # tiny systems: one thread is faster, and the test machines are shared

from sim_helpers import RTOL, SCENARIOS, random_io  # noqa: E402
from sim_helpers import assert_same_result as _same  # noqa: E402
from sim_helpers import cached_data as _data  # noqa: E402

from allychain.data.spec import read_montecarlo, read_scenario  # noqa: E402
from allychain.errors import DeviceUnavailableError, MissingExtraError, ScenarioError  # noqa: E402
from allychain.simulate import Params, build_system, estimate_memory  # noqa: E402
from allychain.simulate import accel as A  # noqa: E402
from allychain.simulate import fused as F  # noqa: E402
from allychain.simulate.api import run_scenario  # noqa: E402
from allychain.simulate.engine import prepare, run  # noqa: E402
from allychain.simulate.forcing import Forcing  # noqa: E402
from allychain.simulate.montecarlo import run_montecarlo  # noqa: E402
from allychain.simulate.recorder import Recorder  # noqa: E402


@pytest.mark.parametrize("compat", [None, "boario"])
@pytest.mark.parametrize("name", sorted(p.name for p in SCENARIOS.glob("*.yaml") if "montecarlo" not in p.name))
def test_every_shipped_scenario_agrees(name, compat):
    sc = read_scenario(SCENARIOS / name)
    net = _data(sc.data or "pymrio-test")
    T = min(sc.horizon, 50)
    ref = run_scenario(sc, net, steps=T, compat=compat, stocks=True, engine="numpy")
    got = run_scenario(sc, net, steps=T, compat=compat, stocks=True, engine="torch", device="cpu")
    _same(ref, got)
    # the shock is in play within the compared steps (not two copies of the baseline)
    assert not np.array_equal(ref.arrays["production"][-1], ref.arrays["production"][0])


def _shocked_pair(system, params, B, seed, T=40):
    """The same random shocks run by both engines; returns both results and the static of
    the torch run (to see that the kernel ran)."""
    rng = np.random.default_rng(seed)
    path = np.zeros((B, T, system.n))
    onset = rng.integers(0, 10, B)
    for b in range(B):
        hit = rng.random(system.n) < 0.4
        path[b, onset[b]:onset[b] + 20, :] = np.where(hit, rng.uniform(0.1, 0.9, system.n), 0.0)
    out = []
    for eng, dev in (("numpy", None), ("torch", "cpu")):
        static = prepare(system, params)
        rec = Recorder(system, T, B, stocks=True, relevant=static.relevant)
        run(system, Forcing(batch=B, n=system.n, e=system.e, path=path), T, params, observers=[rec], static=static,
            engine=eng, device=dev)
        out.append((rec.result(params), static))
    return out


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), regions=st.integers(1, 3), sectors=st.integers(1, 5),
       density=st.floats(0.2, 1.0), B=st.integers(1, 4), compat=st.sampled_from([None, "boario"]),
       order=st.sampled_from(["alt", "noalt"]), inv=st.sampled_from([2.0, 15.0, 90.0, float("inf")]))
def test_random_networks_agree(seed, regions, sectors, density, B, compat, order, inv):
    system = random_io(seed, regions, sectors, density)
    params = Params(order_type=order, inventory_days=inv).with_compat(compat)
    (ref, _), (got, static) = _shocked_pair(system, params, B, seed)
    assert "torch:cpu" in static.cache  # the kernel ran, not the fallback
    _same(ref, got)


def test_transport_lag_agrees_and_resourcing_limits_fall_back():
    system = random_io(3, 2, 4)
    (ref, _), (got, static) = _shocked_pair(system, Params(transport_lags=True, lead_time=3.0), 3, 5)
    assert "torch:cpu" in static.cache
    _same(ref, got)
    (nolag, _), _ = _shocked_pair(system, Params(), 3, 5)
    assert not np.allclose(nolag.arrays["production"], ref.arrays["production"])  # the pipeline is in play
    (ref, _), (got, static) = _shocked_pair(system, Params(resourcing_limit=0.05), 2, 1)
    assert "torch:cpu" not in static.cache  # the whole run on the numpy engine
    _same(ref, got)


def test_montecarlo_same_runs_on_every_engine_and_batch_size():
    spec = dataclasses.replace(read_montecarlo(SCENARIOS / "pymrio-test-montecarlo.yaml"), horizon=50)
    system = build_system(_data("pymrio-test"), spec.params)  # type: ignore[arg-type]
    ref = run_montecarlo(spec, system, runs=8, seed=3, batch_size=8, engine="numpy").runs.to_numpy()
    assert np.nanmax(ref[:, 1:].std(axis=0)) > 0  # the runs differ (random shocks drawn)
    for batch in (8, 3):
        got = run_montecarlo(spec, system, runs=8, seed=3, batch_size=batch, engine="torch", device="cpu",
                             workers=2).runs.to_numpy()
        np.testing.assert_allclose(got, ref, rtol=RTOL, atol=1e-300, err_msg=f"batch {batch}")


def test_engine_and_device_choice(monkeypatch):
    assert F.resolve("torch", "cpu") == ("torch", "cpu")
    assert F.resolve("numpy") == ("numpy", None) and F.resolve("fused", "auto") == ("fused", None)
    with pytest.raises(ScenarioError, match="device='cpu' needs engine='torch'"):
        F.resolve("numpy", "cpu")
    with pytest.raises(ScenarioError, match="device='tpu'; expected one of auto, cpu, cuda"):
        A.resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert A.resolve_device("auto") == "cpu" and A.resolve_device(None) == "cpu"
    with pytest.raises(DeviceUnavailableError, match="no CUDA device is available.*use --device cpu"):
        A.resolve_device("cuda")
    with pytest.raises(DeviceUnavailableError):
        A.resolve_device("cuda:1")


def test_memory_estimate_follows_the_device():
    system = random_io(1, 2, 3)
    host = estimate_memory(system, 100, 64, engine="torch", device="cpu")
    assert host.parts["torch flows"] > 0 and not host.device
    gpu = estimate_memory(system, 100, 64, engine="torch", device="cuda")
    assert gpu.device["torch flows"] == host.parts["torch flows"] and gpu.parts["state"] == 0.0
    assert gpu.device["state"] == host.parts["state"] > 0
    assert "on the device" in str(gpu)
    assert "torch flows" not in estimate_memory(system, 100, 64, engine="numpy").parts


def test_cli_torch_engine_and_missing_pytorch(monkeypatch, capsys):
    from typer.testing import CliRunner

    from allychain.cli.main import app, main

    scen = str(SCENARIOS / "pymrio-test-food-fire.yaml")
    outs = []
    for args in (["--engine", "numpy"], ["--engine", "torch", "--device", "cpu"]):
        r = CliRunner().invoke(app, ["simulate", scen, "--steps", "30", "--format", "json", *args])
        assert r.exit_code == 0, r.output
        outs.append(r.stdout)
    assert outs[0] == outs[1] and '"total"' in outs[0]
    # a GPU asked for where there is none: environment error (4), no traceback
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit) as exc:
        main(["simulate", scen, "--steps", "3", "--engine", "torch", "--device", "cuda"])
    err = capsys.readouterr().err
    assert exc.value.code == 4 and "no CUDA device" in err and "Traceback" not in err
    # PyTorch not installed: environment error (4) naming the extra
    monkeypatch.setattr(A, "available", lambda: False)
    with pytest.raises(MissingExtraError, match=r"pip install 'allychain\[gpu\]'"):
        F.resolve_engine("torch")
    with pytest.raises(SystemExit) as exc:
        main(["montecarlo", str(SCENARIOS / "pymrio-test-montecarlo.yaml"), "--runs", "2", "--engine", "torch"])
    err = capsys.readouterr().err
    assert exc.value.code == 4 and "pip install 'allychain[gpu]'" in err and "Traceback" not in err


def test_torch_is_imported_only_by_the_backend_and_lazily():
    """PyTorch stays out of every other simulate module (import-linter keeps the other
    packages out) and is imported inside a function, so ``import allychain`` never pays for it."""
    root = Path(A.__file__).parent
    users = {p.name: [ln for ln in p.read_text(encoding="utf-8").splitlines() if "import torch" in ln]
             for p in root.glob("*.py")}
    users = {k: v for k, v in users.items() if v}
    assert list(users) == ["accel.py"]
    assert all(ln.startswith("    ") for ln in users["accel.py"])  # inside a function
