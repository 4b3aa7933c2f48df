"""Monte Carlo: reproducibility whatever the batch size or backend; VaR/CVaR."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from allychain.data.mrio import load_pymrio_test
from allychain.data.spec import read_montecarlo as load_spec
from allychain.errors import ScenarioError
from allychain.simulate import build_system
from allychain.simulate.montecarlo import parse_spec, risk_table, run_montecarlo, run_seed

SPEC = Path(str(resources.files("allychain").joinpath("scenarios"))) / "pymrio-test-montecarlo.yaml"


@pytest.fixture(scope="module")
def setup():
    spec = load_spec(SPEC)
    spec = type(spec)(**{**spec.__dict__, "horizon": 60})
    return spec, build_system(load_pymrio_test(), spec.params)


def test_same_seed_same_numbers_whatever_the_batch_size(setup):
    spec, system = setup
    a = run_montecarlo(spec, system, runs=12, seed=7, batch_size=12).runs
    b = run_montecarlo(spec, system, runs=12, seed=7, batch_size=5).runs
    assert np.array_equal(a.to_numpy(), b.to_numpy(), equal_nan=True)
    # one run per batch too (numpy would add a lone contiguous column pairwise: the totals
    # and the loss sums add in a fixed order instead)
    one = run_montecarlo(spec, system, runs=12, seed=7, batch_size=1).runs
    assert np.array_equal(a.to_numpy(), one.to_numpy(), equal_nan=True)
    c = run_montecarlo(spec, system, runs=12, seed=8, batch_size=12).runs
    assert not np.array_equal(a.to_numpy(), c.to_numpy(), equal_nan=True)
    # run i draws from SeedSequence(seed).spawn(...)[i], whose key is (i,): the first runs of a
    # longer experiment are the same runs
    d = run_montecarlo(spec, system, runs=6, seed=7, batch_size=4).runs
    assert np.array_equal(a.to_numpy()[:6], d.to_numpy(), equal_nan=True)


@pytest.mark.parametrize("seed", [0, 7, 2**63 + 5, 2**130])
def test_run_seeds_are_the_spawned_children(seed: int) -> None:
    """run_seed(seed, i) builds SeedSequence(seed).spawn(n)[i] directly: the same state words."""
    children = np.random.SeedSequence(seed).spawn(300)
    for i in (0, 1, 127, 128, 299):
        assert np.array_equal(run_seed(seed, i).generate_state(8), children[i].generate_state(8))


def test_results_are_those_of_seeding_by_spawn(setup, monkeypatch):
    """Bit-identical to the earlier seeding, which spawned every run's seed in each batch."""
    import allychain.simulate.montecarlo as mc

    spec, system = setup
    new = run_montecarlo(spec, system, runs=10, seed=11, batch_size=4).runs
    monkeypatch.setattr(mc, "run_seed", lambda seed, i: np.random.SeedSequence(seed).spawn(10)[i])
    old = run_montecarlo(spec, system, runs=10, seed=11, batch_size=4).runs
    assert np.array_equal(new.to_numpy(), old.to_numpy(), equal_nan=True)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_dask_local_cluster_gives_the_same_numbers(setup):
    distributed = pytest.importorskip("distributed")
    spec, system = setup
    ref = run_montecarlo(spec, system, runs=8, seed=3, batch_size=3).runs
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        got = run_montecarlo(spec, system, runs=8, seed=3, batch_size=3, dask=client).runs
    assert np.array_equal(ref.to_numpy(), got.to_numpy(), equal_nan=True)


def test_worker_processes_give_the_same_numbers(setup):
    spec, system = setup
    ref = run_montecarlo(spec, system, runs=6, seed=5, batch_size=3).runs
    got = run_montecarlo(spec, system, runs=6, seed=5, batch_size=3, workers=2).runs
    assert np.array_equal(ref.to_numpy(), got.to_numpy(), equal_nan=True)


def test_runs_joining_at_their_first_shock_match_runs_from_step_zero(setup):
    """A run is at its baseline equilibrium until its first shock; starting it there gives
    the numbers of a run simulated from step 0 (up to rounding)."""
    from allychain.simulate.montecarlo import _run_batch

    spec, system = setup
    late = _run_batch(system, spec, 11, 10, list(range(10)))
    full = _run_batch(system, spec, 11, 10, list(range(10)), late_start=False)
    assert late.keys() == full.keys()
    for k in late:
        assert np.allclose(late[k], full[k], rtol=1e-9, atol=1e-12, equal_nan=True), k
    assert (late["shocks_hit"] < 2).any()  # some runs start late or never


def test_zero_probability_hazards_lose_nothing(setup):
    spec, system = setup
    doc = {"horizon": 30, "shocks": [{"candidates": {"countries": "reg1"}, "probability": 0.0, "loss_fraction": 0.9}]}
    res = run_montecarlo(parse_spec(doc), system, runs=5, seed=1)
    assert np.allclose(res.runs["total|total_loss"], 0.0, atol=1e-6)


def _var_cvar_by_hand(sample: list[float], level: float) -> tuple[float, float]:
    """The oracle, written out without numpy: sort the sample; VaR is the quantile at 0-based
    position h = (n - 1) * level, interpolated linearly between the two sorted values around h
    (Hyndman & Fan's definition 7, the usual default); CVaR is the mean of the losses at or
    above VaR."""
    xs = sorted(sample)
    h = (len(xs) - 1) * level
    lo = int(h)
    hi = min(lo + 1, len(xs) - 1)
    var = xs[lo] + (h - lo) * (xs[hi] - xs[lo])
    tail = [x for x in xs if x >= var]
    return var, sum(tail) / len(tail)


def test_risk_table_hand_computed():
    v = np.arange(1, 21, dtype=float)  # 1..20
    t = risk_table({"x": v}, level=0.9).iloc[0]
    # h = 19 * 0.9 = 17.1: between the 18th and 19th sorted losses (18 and 19), a tenth of the way
    assert t["VaR90"] == pytest.approx(18.1)
    assert t["CVaR90"] == pytest.approx((19 + 20) / 2)  # the losses at or above 18.1
    assert t["mean"] == pytest.approx(10.5)


@pytest.mark.parametrize("seed", range(5))
def test_risk_table_against_a_sorted_sample(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    sample = [float(x) for x in rng.choice([0.0, 0.0, *rng.exponential(0.1, 8)], size=n)]  # ties and zeros
    for level in (0.5, 0.9, 0.95, 0.99):
        t = risk_table({"x": np.array(sample)}, level=level).iloc[0]
        var, cvar = _var_cvar_by_hand(sample, level)
        key = int(round(level * 100))
        assert t[f"VaR{key}"] == pytest.approx(var, rel=1e-12, abs=1e-15)
        assert t[f"CVaR{key}"] == pytest.approx(cvar, rel=1e-12, abs=1e-15)
        assert t["max"] == max(sample) and t["mean"] == pytest.approx(sum(sample) / n)


def test_spec_validation_names_key():
    with pytest.raises(ScenarioError, match=r"'shocks\[0\].loss_fraction'.*dist"):
        parse_spec({"shocks": [{"candidates": {"countries": "reg1"}, "loss_fraction": {"dist": "weird"}}]}, "mc.yaml")
    with pytest.raises(ScenarioError, match="'shocks'"):
        parse_spec({"shocks": []}, "mc.yaml")
