"""The fused kernel against the numpy engine (the reference): every shipped scenario, both
modes, transport lags, noalt orders, random networks; Monte Carlo on threads."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("numba", reason="the fused engine needs numba (pip install 'allychain[fast]')")

from sim_helpers import RTOL, SCENARIOS, assert_batch_kernel_widening_matches, pairs_loss, random_io  # noqa: E402
from sim_helpers import assert_same_result as _same  # noqa: E402
from sim_helpers import cached_data as _data  # noqa: E402

from allychain.data.spec import read_montecarlo, read_scenario  # noqa: E402
from allychain.errors import ScenarioError  # noqa: E402
from allychain.simulate import Params, build_system, simulate  # noqa: E402
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
    T = min(sc.horizon, 120)
    ref = run_scenario(sc, net, steps=T, compat=compat, stocks=True, engine="numpy")
    got = run_scenario(sc, net, steps=T, compat=compat, stocks=True, engine="fused")
    _same(ref, got)
    lost = 1 - ref.arrays["production"][-1].sum() / ref.arrays["production"][0].sum()
    assert np.isfinite(lost)


def _shocked_pair(system, params, B, seed, T=80):
    """The same random shocks run by both engines; returns both results and the static of
    the fused run (to see that the kernel ran)."""
    rng = np.random.default_rng(seed)
    path = np.zeros((B, T, system.n))
    onset = rng.integers(0, 10, B)
    for b in range(B):
        hit = rng.random(system.n) < 0.4
        path[b, onset[b]:onset[b] + 30, :] = np.where(hit, rng.uniform(0.1, 0.9, system.n), 0.0)
    out = []
    for eng in ("numpy", "fused"):
        static = prepare(system, params)
        rec = Recorder(system, T, B, stocks=True, relevant=static.relevant)
        run(system, Forcing(batch=B, n=system.n, e=system.e, path=path), T, params, observers=[rec], static=static,
            engine=eng)
        out.append((rec.result(params), static))
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), regions=st.integers(1, 3), sectors=st.integers(1, 5),
       density=st.floats(0.2, 1.0), B=st.integers(1, 4), compat=st.sampled_from([None, "boario"]),
       order=st.sampled_from(["alt", "noalt"]), inv=st.sampled_from([2.0, 15.0, 90.0, float("inf")]))
def test_random_networks_agree(seed, regions, sectors, density, B, compat, order, inv):
    system = random_io(seed, regions, sectors, density)
    params = Params(order_type=order, inventory_days=inv).with_compat(compat)
    (ref, _), (got, static) = _shocked_pair(system, params, B, seed)
    assert "fused" in static.cache  # the kernel ran, not the fallback
    _same(ref, got)


@pytest.mark.parametrize("lead", [1.0, 4.0])
def test_transport_lags_agree(lead):
    system = random_io(3, 2, 4)
    params = Params(transport_lags=True, lead_time=lead)
    (ref, _), (got, static) = _shocked_pair(system, params, 3, 5)
    assert "fused" in static.cache
    _same(ref, got)
    # a lag changes the result (the pipeline is really in play)
    (nolag, _), _ = _shocked_pair(system, Params(), 3, 5)
    assert not np.allclose(nolag.arrays["production"], ref.arrays["production"])


def test_licences_and_resourcing_limits_fall_back_to_the_reference():
    sc = read_scenario(SCENARIOS / "pymrio-test-export-ban.yaml")
    net = _data("pymrio-test")
    _same(run_scenario(sc, net, steps=60, engine="numpy"), run_scenario(sc, net, steps=60, engine="fused"))
    system = random_io(1, 2, 3)
    params = Params(resourcing_limit=0.05)
    (ref, _), (got, static) = _shocked_pair(system, params, 2, 1)
    assert "fused" not in static.cache
    _same(ref, got)


def test_engine_choice():
    assert F.resolve_engine(None) == "fused" and F.resolve_engine("auto") == "fused"
    assert F.resolve_engine("numpy") == "numpy"
    with pytest.raises(ScenarioError, match="engine='gpu'; expected one of auto, numpy, fused"):
        F.resolve_engine("gpu")
    system = build_system(_data("pymrio-test"))  # type: ignore[arg-type]
    res = simulate(system, 5, engine="fused")
    assert np.allclose(res.arrays["production"], system.x0)  # no shock: the baseline holds


def test_montecarlo_same_numbers_whatever_batch_engine_and_threads():
    spec = read_montecarlo(SCENARIOS / "pymrio-test-montecarlo.yaml")
    spec = dataclasses.replace(spec, horizon=60)
    system = build_system(_data("pymrio-test"), spec.params)  # type: ignore[arg-type]
    ref = run_montecarlo(spec, system, runs=10, seed=3, batch_size=10, engine="numpy").runs.to_numpy()
    for batch, workers in ((10, 1), (3, 1), (3, 2), (4, 3)):
        got = run_montecarlo(spec, system, runs=10, seed=3, batch_size=batch, workers=workers,
                             engine="fused").runs.to_numpy()
        np.testing.assert_allclose(got, ref, rtol=RTOL, atol=1e-300, err_msg=f"batch {batch}, workers {workers}")
    assert (ref[:, 0] == np.arange(10)).all()


def test_cli_engine_option_gives_the_same_numbers():
    from typer.testing import CliRunner

    from allychain.cli.main import app

    runner = CliRunner()
    scen = str(SCENARIOS / "pymrio-test-food-fire.yaml")
    outs = []
    for eng in ("numpy", "fused"):
        r = runner.invoke(app, ["simulate", scen, "--steps", "40", "--engine", eng, "--format", "json"])
        assert r.exit_code == 0, r.output
        outs.append(r.stdout)
    assert outs[0] == outs[1] and '"total"' in outs[0]
    r = runner.invoke(app, ["montecarlo", str(SCENARIOS / "pymrio-test-montecarlo.yaml"), "--runs", "2",
                            "--engine", "cuda"])
    assert r.exit_code != 0 and "engine='cuda'; expected one of auto, numpy, fused" in str(r.exception)
    assert isinstance(r.exception, ScenarioError)  # the console turns it into a message and a status


@pytest.mark.parametrize(("compat", "order"), [(None, "alt"), ("boario", "alt"), (None, "noalt")])
def test_whole_batch_kernel_is_the_step_loop_bit_for_bit(compat, order):
    """The Monte Carlo batch kernel (one compiled call for the whole time loop) against the
    per-step loop on the numpy engine: runs joining at different steps, shocks overlapping
    on a node (the larger one counts), a run never shocked."""
    import scipy.sparse as sp

    from allychain.simulate.mcbatch import ShockPairs, fused_loop, step_loop

    system = random_io(7, 3, 4, 0.7)
    params = Params(order_type=order).with_compat(compat)
    static = prepare(system, params)
    T, B = 60, 5
    start = np.array([0, 3, 3, 17, T])  # sorted; the last run never starts
    rng = np.random.default_rng(1)
    run = np.array([0, 0, 1, 2, 3, 3])
    node = np.array([0, 4, 4, 1, 2, 2])  # run 3 hits node 2 twice
    onset = start[run].astype(float)
    value = rng.uniform(0.1, 0.9, (T, len(run))) * (np.arange(T)[:, None] < onset + 25)
    pairs = ShockPairs(node=node, run=run, onset=onset, value=value)
    loss = pairs_loss(system.n, pairs)

    R = sp.csr_matrix(np.eye(system.n)[[0, 1, 2]] + np.eye(system.n)[[3, 4, 5]])
    base = np.full((T, 3, B), -1.0)
    ref, got = base.copy(), base.copy()
    step_loop(system, static, params, loss, start, R, ref, "numpy")
    fused_loop(system, static, params, pairs, start, R, got)
    assert np.array_equal(got, ref)
    blocks = base.copy()  # runs in blocks of two (each block its own call)
    fused_loop(system, static, params, pairs, start, R, blocks, block=2)
    assert np.array_equal(blocks, ref)
    assert (got[:, :, 4] == -1).all() and (got[17:, :, 3] != -1).all() and (got[:17, :, 3] == -1).all()
    assert not np.allclose(got[30, :, 0], R @ system.x0)  # the shocks are in play


def test_whole_batch_kernel_widening_past_a_lane_group_is_the_step_loop_bit_for_bit():
    """Runs joining a few at a time: the kernel widens its arrays eight lanes at a time and
    sets each joining run, in a lane that held a baseline run, to the baseline exactly
    (BoARIO's mode: tests/simulate/test_sim_fused_boario_guess.py)."""
    assert_batch_kernel_widening_matches(Params())


def test_shock_pairs_table_is_the_per_step_loss():
    """The batch kernel's table of shock values (profiles evaluated only where they can be
    above 0) against the per-step losses the numpy loop uses, for every profile."""
    from allychain.simulate.montecarlo import NodeShocks

    rng = np.random.default_rng(0)
    B, K, T = 20, 12, 120
    mag = np.where(rng.random((B, K)) < 0.6, rng.random((B, K)), 0.0)
    ns = NodeShocks(node=np.sort(rng.integers(0, 5, K)), magnitude=mag,
                    onset=rng.integers(0, 60, (B, K)).astype(float), duration=rng.integers(0, 20, (B, K)).astype(float),
                    recovery=np.where(rng.random((B, K)) < 0.2, 0.0, rng.uniform(0, 40, (B, K))),
                    profile=rng.integers(0, 3, (B, K)), n=5)
    pairs = ns.pairs(T)
    for t in range(T):
        for k in (B, 7):
            got = np.zeros((5, k))
            live = (pairs.onset <= t) & (pairs.run < k)
            np.maximum.at(got, (pairs.node[live], pairs.run[live]), pairs.value[t, live])
            assert np.array_equal(got, ns.loss_nodes_first(t, k)), (t, k)
