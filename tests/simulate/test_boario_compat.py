"""BoARIO 0.7's ARIOPsiModel (the peer implementation) against our engine in
``compat="boario"`` mode, on pymrio's test system, 365 daily steps."""

from __future__ import annotations

import numpy as np
import pytest

boario = pytest.importorskip("boario")
pymrio = pytest.importorskip("pymrio")

from boario.extended_models import ARIOPsiModel  # noqa: E402
from boario.simulation import Simulation  # noqa: E402

from allychain.data.mrio import load_pymrio_test  # noqa: E402
from allychain.simulate import Params, build_system, simulate  # noqa: E402

# BoARIO's own warnings (raised from its modules) are its business; a warning raised from
# allychain's code, or anywhere else, still fails the test (the suite runs with warnings as errors)
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:boario"),
    pytest.mark.filterwarnings("ignore::FutureWarning:boario"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:boario"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:boario"),
]

T = 365
RTOL = 1e-6


class PathSimulation(Simulation):
    """BoARIO driven by an explicit per-step arbitrary capacity loss: ``Δarb(t) = path[t]``
    (set through the model's public setter, so it takes effect in the same step)."""

    path: np.ndarray

    def update_prod_cap_delta_arb(self) -> None:
        t = self.current_temporal_unit
        row = self.path[t] if t < len(self.path) else np.zeros(self.path.shape[1])
        self.model.prod_cap_delta_arbitrary = row.copy()


@pytest.fixture(scope="module")
def mrio():
    return pymrio.load_test().calc_all()


@pytest.fixture(scope="module")
def net():
    return load_pymrio_test()


@pytest.fixture(scope="module")
def system(net):
    return build_system(net, Params().with_compat("boario"))


def _path(system, nodes, magnitude, onset, duration, recovery):
    path = np.zeros((T, system.n))
    idx = [system.node_ids.index(k) for k in nodes]
    path[onset:onset + duration, idx] = magnitude
    ramp = magnitude * np.linspace(1.0, 0.0, recovery)
    path[onset + duration:onset + duration + recovery, idx] = ramp[:, None]
    return path


def _boario_frame(df):
    df = df.copy()
    df.columns = [f"{r}/{s}" for r, s in df.columns]
    return df


def _relerr(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


SHOCKS = {
    # a small sector: reg3 food, 30 % for 30 days, 30 days linear recovery
    "small": (["reg3/food"], 0.3, 10, 30, 30),
    # manufacturing everywhere at half capacity for 120 days: inventories bind at every node
    "large": ([f"reg{r}/manufactoring" for r in range(1, 7)], 0.5, 5, 120, 60),
}


@pytest.mark.parametrize("shock", sorted(SHOCKS))
def test_production_matches_boario_per_node_per_step(mrio, net, system, shock):
    path = _path(system, *SHOCKS[shock])
    sim = PathSimulation(ARIOPsiModel(mrio), n_temporal_units_to_sim=T)
    sim.path = path
    sim.loop()
    ref = _boario_frame(sim.production_realised)
    ref_cap = _boario_frame(sim.production_capacity)
    ref_undist = _boario_frame(sim.final_demand_undist)

    res = simulate(net, T, capacity_path=path, compat="boario")
    ours = res.frame("production")
    assert list(ours.columns) == list(ref.columns)  # same lexicographic order
    assert ours.shape == (T, 48)
    assert _relerr(ours.to_numpy(), ref.to_numpy()) < RTOL
    assert _relerr(res.frame("capacity").to_numpy(), ref_cap.to_numpy()) < RTOL
    # unmet final demand by supplier: compare with a tolerance scaled to final demand
    scale = np.abs(system.y0).max()
    assert np.max(np.abs(res.frame("final_demand_unmet").to_numpy() - ref_undist.to_numpy())) < RTOL * scale
    # the shock matters: world output falls by more than 0.1 %
    world = ref.to_numpy().sum(axis=1)
    assert world.min() < 0.999 * world[0]
    if shock == "large":
        # inventories bind production at (nearly) every node at some step
        x = res.arrays["production"][:, 0, :]
        limited = x < np.fmin(res.arrays["demand"][:, 0, :], res.arrays["capacity"][:, 0, :]) * (1 - 1e-9)
        assert limited.any(axis=0).sum() >= 40


def test_native_boario_event_reproduced_from_its_capacity_record(mrio, net, system, tmp_path):
    """A BoARIO 'arbitrary' event (its own timing and recovery function); the capacity
    path applied is recovered from BoARIO's records as Δ = 1 − cap / (α X0)."""
    import pandas as pd
    from boario.event import from_series

    model = ARIOPsiModel(mrio)
    impact = pd.Series([0.6], index=pd.MultiIndex.from_tuples([("reg2", "manufactoring")], names=["region", "sector"]))
    ev = from_series(impact, event_type="arbitrary", occurrence=10, duration=40, recovery_tau=30,
                     recovery_function="linear")
    sim = Simulation(model, n_temporal_units_to_sim=T, save_records=["overproduction"], boario_output_dir=tmp_path)
    sim.add_event(ev)
    sim.loop()
    cap = sim.production_capacity.to_numpy()
    alpha = sim.overproduction.to_numpy()
    delta = 1.0 - cap / (alpha * model.X_0[None, :])
    delta[np.abs(delta) < 1e-12] = 0.0
    j = system.node_ids.index("reg2/manufactoring")
    # the documented timing: one-step lag, full loss for duration + 2 steps, then linear recovery
    assert np.allclose(delta[11:11 + 42, j], 0.6) and delta[10, j] == 0
    assert np.count_nonzero(np.delete(delta, j, axis=1)) == 0
    res = simulate(net, T, capacity_path=delta, compat="boario")
    ref = _boario_frame(sim.production_realised)
    assert _relerr(res.frame("production").to_numpy(), ref.to_numpy()) < RTOL
