"""Invariants of the engine as property tests (hypothesis, modest example counts)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_helpers import random_io

from allychain.simulate import Params, simulate

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 10_000)


@SETTINGS
@given(seed=seeds, compat=st.sampled_from([None, "boario"]))
def test_no_shock_is_stationary(seed, compat):
    sys_ = random_io(seed)
    res = simulate(sys_, 40, compat=compat)
    x = res.arrays["production"][:, 0, :]
    assert np.allclose(x, sys_.x0[None, :], rtol=1e-12, atol=0)
    assert np.all(res.arrays["final_demand_unmet"][:, 0, :] <= 1e-9 * sys_.y0.max())
    assert np.all(res.arrays["overproduction"] == 1.0)


@SETTINGS
@given(seed=seeds, node=st.integers(0, 5), loss=st.floats(0.05, 1.0), onset=st.integers(0, 10),
       duration=st.integers(1, 60), s=st.sampled_from([5.0, 30.0, 90.0]))
def test_inventories_never_negative(seed, node, loss, onset, duration, s):
    sys_ = random_io(seed)
    T = 120
    path = np.zeros((T, sys_.n))
    path[onset:onset + duration, node] = loss
    res = simulate(sys_, T, capacity_path=path, params=Params(inventory_days=s), stocks=True)
    assert np.all(res.stocks >= -1e-9 * np.abs(res.stocks).max())
    x = res.arrays["production"][:, 0, :]
    assert np.all(x <= res.arrays["capacity"][:, 0, :] * (1 + 1e-12))
    assert np.all(x >= 0)


@SETTINGS
@given(seed=seeds, node=st.integers(0, 5), small=st.floats(0.05, 0.9), extra=st.floats(0.05, 0.5),
       duration=st.integers(1, 40))
def test_larger_shock_never_loses_less(seed, node, small, extra, duration):
    sys_ = random_io(seed)
    T = 150
    big = min(1.0, small + extra)

    def loss(m):
        path = np.zeros((T, sys_.n))
        path[5:5 + duration, node] = m
        x = simulate(sys_, T, capacity_path=path).arrays["production"][:, 0, :].sum(axis=1)
        return float((sys_.x0.sum() - x).clip(min=0).sum())

    assert loss(big) >= loss(small) * (1 - 1e-9)


@SETTINGS
@given(seed=seeds, node=st.integers(0, 5), loss=st.floats(0.1, 1.0), s=st.sampled_from([30.0, 60.0, 90.0]),
       frac=st.floats(0.1, 0.5))
def test_shock_shorter_than_inventory_cover_loses_nothing_downstream(seed, node, loss, s, frac):
    """A shock lasting less than the buffer above the ψ threshold ((1 − ψ)·s steps of
    use) never binds any other node's production on inventories."""
    sys_ = random_io(seed)
    p = Params(inventory_days=s)
    duration = max(1, int(frac * (1 - p.psi) * s))
    T = 200
    path = np.zeros((T, sys_.n))
    path[3:3 + duration, node] = loss
    res = simulate(sys_, T, capacity_path=path, params=p)
    x = res.arrays["production"][:, 0, :]
    xopt = np.fmin(res.arrays["demand"][:, 0, :], res.arrays["capacity"][:, 0, :])
    others = np.arange(sys_.n) != node
    assert np.all(x[:, others] >= xopt[:, others] * (1 - 1e-12))
