"""Transport lags and re-sourcing limits: hand-solved cases and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_helpers import chain_system, random_io

from allychain.simulate import Forcing, Params, SimSystem, simulate
from allychain.simulate.engine import edge_lags, prepare, run

SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _stock_and_x(sys_, T, path, params):
    res = simulate(sys_, T, capacity_path=path, params=params, stocks=True)
    return res.stocks[:, 0, 0], res.arrays["production"][:, 0, 1]


@pytest.mark.parametrize("lag", [0, 1, 3, 7])
def test_chain_with_lag_feels_a_stop_lag_steps_later(lag):
    """A stops at step t0 = 4.  Shipments leave at step t and arrive at step t + L: B's
    10-day stock of A stays full while the shipments sent before t0 arrive (steps t0 …
    t0 + L − 1), the first missing shipment is felt at step t0 + L (stock 9 at the start of
    step t0 + L + 1), and production binds from step t0 + L + 3 (stock 7 < ψ·s = 8:
    x_B = 7/8)."""
    T, t0 = 20, 4
    path = np.zeros((T, 2))
    path[t0:, 0] = 1.0
    p = Params(alpha_max=1.0, transport_lags=True, lead_time=lag)
    stock, xB = _stock_and_x(chain_system(10.0), T, path, p)
    first_drop = t0 + lag + 1
    assert np.allclose(stock[:first_drop], 10.0)
    assert stock[first_drop] == pytest.approx(9.0)
    assert np.allclose(xB[:t0 + lag + 3], 1.0)
    assert xB[t0 + lag + 3] == pytest.approx(7 / 8)


def test_lags_are_off_by_default_and_in_compat_mode():
    sys_ = chain_system(10.0)
    path = np.zeros((12, 2))
    path[4:, 0] = 1.0
    ref, _ = _stock_and_x(sys_, 12, path, Params(alpha_max=1.0))
    off, _ = _stock_and_x(sys_, 12, path, Params(alpha_max=1.0, lead_time=5))  # transport_lags off
    compat, _ = _stock_and_x(sys_, 12, path, Params(alpha_max=1.0, transport_lags=True, lead_time=5)
                             .with_compat("boario"))
    assert np.array_equal(ref, off)
    assert stock_first_drop(ref) == 5 and stock_first_drop(compat) == 5


def stock_first_drop(stock):
    return int(np.flatnonzero(stock < 10 - 1e-9)[0])


def test_lag_sources_data_then_product_then_default():
    sys_ = random_io(0)
    data = np.full(sys_.e, np.nan)
    data[0] = 4.4
    sys_ = SimSystem(**{**sys_.__dict__, "edge_lag": data})
    prod = sys_.products[1]
    p = Params(transport_lags=True, lead_time=2, lead_time_by_product={prod: 6})
    lag = edge_lags(sys_, p)
    from_prod = sys_.node_product[sys_.edge_sup] == 1
    assert lag[0] == 4
    assert np.all(lag[1:][from_prod[1:]] == 6)
    assert np.all(lag[1:][~from_prod[1:]] == 2)
    assert np.all(edge_lags(sys_, Params(lead_time=2)) == 0)
    with pytest.raises(ValueError, match="lead_time"):
        Params(lead_time=-1)


@SETTINGS
@given(seed=st.integers(0, 10_000), lags=st.lists(st.integers(0, 6), min_size=3, max_size=3))
def test_lagged_baseline_is_stationary(seed, lags):
    """With the pipeline filled with the baseline shipments, nothing moves without a shock."""
    sys_ = random_io(seed)
    p = Params(transport_lags=True, lead_time_by_product=dict(zip(sys_.products, map(float, lags), strict=False)))
    res = simulate(sys_, 30, params=p)
    assert np.allclose(res.arrays["production"][:, 0, :], sys_.x0[None, :], rtol=1e-12, atol=0)


@SETTINGS
@given(seed=st.integers(0, 10_000), node=st.integers(0, 5), loss=st.floats(0.1, 1.0), lag=st.integers(1, 5),
       r=st.sampled_from([0.02, 0.1, 0.5]))
def test_lags_and_limits_keep_inventories_non_negative(seed, node, loss, lag, r):
    sys_ = random_io(seed)
    T = 90
    path = np.zeros((T, sys_.n))
    path[3:40, node] = loss
    p = Params(inventory_days=10, transport_lags=True, lead_time=lag, resourcing_limit=r)
    res = simulate(sys_, T, capacity_path=path, params=p, stocks=True)
    assert np.all(res.stocks >= -1e-9 * np.abs(res.stocks).max())
    x = res.arrays["production"][:, 0, :]
    assert np.all(x <= res.arrays["capacity"][:, 0, :] * (1 + 1e-12)) and np.all(x >= 0)


def two_supplier_system() -> SimSystem:
    """A1 and A2 (same product) each supply half of B's input; B serves final demand 1."""
    return SimSystem(
        node_ids=["r/A1", "r/A2", "r/B"], node_region=np.array(["r", "r", "r"], dtype=object),
        node_product=np.array([0, 0, 1]), products=["A", "B"], x0=np.array([0.5, 0.5, 1.0]),
        y0=np.array([0.0, 0.0, 1.0]), slot_prod=np.array([0]), slot_buyer=np.array([2]), slot_a=np.array([1.0]),
        slot_s=np.array([10.0]), edge_sup=np.array([0, 1]), edge_buyer=np.array([2, 2]),
        edge_slot=np.array([0, 0]), edge_z0=np.array([0.5, 0.5]),
    )


def _shares(sys_, T, params, path):
    got = []
    run(sys_, Forcing(batch=1, n=sys_.n, path=path), T, params,
        observers=[lambda out, state: got.append(state.shares[:, 0].copy() if state.shares is not None
                                                 else None)])
    return got


def test_resourcing_limit_hand_solved():
    """A1 loses all capacity: the order rule asks for shares (0, 1) at once.  With a limit
    of 0.1 per step A1's share falls to 0 at once and A2's rises 0.5 → 0.6, 0.7 … 1.0; the
    orders not yet placed are not placed anywhere."""
    sys_ = two_supplier_system()
    T = 8
    path = np.zeros((T, 3))
    path[:, 0] = 1.0
    sh = np.array(_shares(sys_, T, Params(resourcing_limit=0.1), path))
    assert np.allclose(sh[:, 0], 0.0)
    assert np.allclose(sh[:, 1], [0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0])
    # demand on A2 at step 1 is B's need times A2's share.  Step 0: only A2 delivers
    # (0.5), B's stock falls 10 → 9.5 and its need is use 1 + gap 0.5 / 60
    need = 1 + 0.5 / 60
    res = simulate(sys_, 3, capacity_path=path, params=Params(resourcing_limit=0.1, alpha_max=1.0))
    assert res.arrays["demand"][1, 0, 1] == pytest.approx(0.6 * need)
    free = simulate(sys_, 3, capacity_path=path, params=Params(alpha_max=1.0))
    assert free.arrays["demand"][1, 0, 1] == pytest.approx(need)


def test_resourcing_limit_of_one_changes_nothing_without_licences():
    sys_ = random_io(3)
    T = 60
    path = np.zeros((T, sys_.n))
    path[5:30, 2] = 0.7
    a = simulate(sys_, T, capacity_path=path).arrays["production"]
    b = simulate(sys_, T, capacity_path=path, params=Params(resourcing_limit=1.0)).arrays["production"]
    assert np.allclose(a, b, rtol=1e-12, atol=0)


@SETTINGS
@given(seed=st.integers(0, 10_000), node=st.integers(0, 5), loss=st.floats(0.1, 1.0),
       r=st.sampled_from([0.01, 0.05, 0.2]))
def test_shares_rise_by_at_most_r_per_step(seed, node, loss, r):
    sys_ = random_io(seed, density=1.0)
    T = 40
    path = np.zeros((T, sys_.n))
    path[2:20, node] = loss
    sh = np.array(_shares(sys_, T, Params(resourcing_limit=r), path))
    base = prepare(sys_, Params()).noalt_w
    prev = np.vstack([base[None, :], sh[:-1]])
    assert np.all(sh - prev <= r + 1e-12)
    assert np.all(sh >= 0)
    sums = np.bincount(sys_.edge_slot, weights=sh[-1], minlength=sys_.m)
    assert np.all(sums <= 1 + 1e-12)


def test_switches_in_scenario_yaml():
    from allychain.errors import ScenarioError
    from allychain.simulate.scenario import parse_scenario

    doc = {"name": "x", "parameters": {"transport_lags": True, "lead_time": 3, "resourcing_limit": 0.1},
           "shocks": [{"nodes": ["reg1/food"], "loss_fraction": 0.5, "onset": 1, "duration": 5}]}
    sc = parse_scenario(doc, "s.yaml")
    assert sc.params.transport_lags and sc.params.lead_time == 3 and sc.params.resourcing_limit == 0.1
    assert not sc.params.with_compat("boario").transport_lags
    assert sc.params.with_compat("boario").resourcing_limit is None
    with pytest.raises(ScenarioError, match="resourcing_limit"):
        parse_scenario({**doc, "parameters": {"resourcing_limit": 1.5}}, "s.yaml")
