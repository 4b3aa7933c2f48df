"""Kernels and engine against hand-solved cases."""

from __future__ import annotations

import numpy as np
import pytest
from sim_helpers import chain_system

from allychain.simulate import Forcing, Params, simulate
from allychain.simulate import kernels as K
from allychain.simulate.recorder import loss_metrics


def test_segment_sum_and_min_match_loops():
    # node-major layout: rows are edges / slots, the batch is the last axis
    rng = np.random.default_rng(0)
    v = rng.random((7, 3))
    idx = np.array([2, 0, 2, 1, 4, 4, 0])
    out = K.segment_sum(v, idx, 5)
    for b in range(3):
        for k in range(5):
            assert out[k, b] == pytest.approx(v[idx == k, b].sum())
    starts = np.array([0, 2, 5])
    has = np.array([True, False, True, True])
    mins = K.segment_min(v, starts, has, 4)
    assert np.allclose(mins[0], v[0:2].min(axis=0))
    assert np.all(mins[1] == 1.0)
    assert np.allclose(mins[3], v[5:].min(axis=0))


def test_chain_hand_solved():
    """A loses half its capacity; B's 10-day stock of A falls by 0.5/step and binds
    production once below ψ·s = 8 units: at step 5 the stock is 7.5 → x_B = 7.5/8."""
    sys_ = chain_system(10.0)
    path = np.zeros((8, 2))
    path[:, 0] = 0.5
    p = Params(alpha_max=1.0, psi=0.8, inventory_tau=60)
    res = simulate(sys_, 8, capacity_path=path, params=p, stocks=True)
    xA = res.arrays["production"][:, 0, 0]
    xB = res.arrays["production"][:, 0, 1]
    assert np.allclose(xA, 0.5)
    assert np.allclose(xB[:5], 1.0)
    assert xB[5] == pytest.approx(0.9375)
    assert np.allclose(res.stocks[:6, 0, 0], [10, 9.5, 9.0, 8.5, 8.0, 7.5])
    # orders after step 0: use 1 + gap 0.5 / 60
    d = res.arrays["demand"][:, 0, 0]
    assert d[1] == pytest.approx(1 + 0.5 / 60)
    # unmet final demand at B from step 5 on: 1 − x_B (B has no other customer)
    assert res.arrays["final_demand_unmet"][5, 0, 1] == pytest.approx(1 - 0.9375)


def test_overproduction_rises_with_scarcity_and_relaxes():
    sys_ = chain_system(10.0)
    path = np.zeros((40, 2))
    path[:20, 0] = 0.5
    res = simulate(sys_, 40, capacity_path=path)
    a = res.arrays["overproduction"][:, 0, 0]
    assert a[0] == a[1] == 1.0
    # step 2: σ = (D − x_prev)/D with D = 1 + 1/60 (gap of 1 after two steps … one step)
    assert a[2] > 1.0 and np.all(np.diff(a[2:20]) > 0)
    assert a.max() <= 1.25


def test_licence_redistribution():
    # one slot, three suppliers with equal weight; supplier 0 licensed at 0.25
    z0 = np.array([1.0, 1.0, 1.0])
    w = K.order_weights(z0, np.ones((3, 1)), np.arange(3), np.zeros(3, dtype=int), 1,
                        licence=np.array([[0.25], [1.0], [1.0]]))
    assert np.allclose(w[:, 0], [0.25 / 3, 1 / 3 + 0.375 / 3, 1 / 3 + 0.375 / 3])
    assert w.sum() == pytest.approx(1.0)
    # the only supplier restricted: its share is cut, nothing to move to
    w1 = K.order_weights(np.array([2.0]), np.ones((1, 1)), np.array([0]), np.array([0]), 1,
                         licence=np.array([[0.4]]))
    assert w1[0, 0] == pytest.approx(0.4)


def test_loss_metrics_hand_computed():
    x = np.array([10, 8, 6, 9, 10, 10], dtype=float)[:, None]
    m = loss_metrics(x, np.array([10.0]))
    assert m["total_loss"][0] == pytest.approx(2 + 4 + 1)
    assert m["total_loss_share"][0] == pytest.approx(7 / 60)
    assert m["peak_loss_share"][0] == pytest.approx(0.4)
    assert m["peak_step"][0] == 2
    assert m["time_to_recover"][0] == 3  # steps 1..3 below baseline
    never = loss_metrics(np.array([10, 8, 8], dtype=float)[:, None], np.array([10.0]))
    assert np.isnan(never["time_to_recover"][0])


def test_loss_metrics_of_many_series_at_once_are_the_whole_array_definitions():
    """Steps taken one at a time give what numpy's whole-array reductions give (argmax's
    first peak, the last hit from the reversed array), for every series and run, ties and
    zero baselines included; the total adds the steps in time order whatever the shape."""
    rng = np.random.default_rng(5)
    T, S, B = 40, 4, 6
    x0 = np.array([10.0, 0.0, 3.0, 7.0])
    x = x0[None, :, None] * (1 - rng.choice([0.0, 0.0005, 0.2, 0.5], size=(T, S, B)))
    x[:, 3, 0] = x0[3]  # never hit
    x[-1, 2, 1] = 1.0  # hit at the last step: never recovers
    m = loss_metrics(x, x0[:, None])
    gap = x0[None, :, None] - x
    rel = np.divide(gap, x0[None, :, None], out=np.zeros_like(gap), where=x0[None, :, None] != 0)
    hit = rel > 1e-3
    last = T - 1 - hit[::-1].argmax(axis=0)
    assert np.array_equal(m["peak_loss_share"], np.clip(rel.max(axis=0), 0, None))
    assert np.array_equal(m["peak_step"], rel.argmax(axis=0))
    ttr = np.where(hit.any(axis=0), (last + 1 - hit.argmax(axis=0)).astype(float), 0.0)
    ttr[hit.any(axis=0) & (last == T - 1)] = np.nan
    assert np.array_equal(m["time_to_recover"], ttr, equal_nan=True)
    assert np.isnan(m["time_to_recover"][2, 1]) and m["time_to_recover"][3, 0] == 0.0
    seq = np.clip(gap[0], 0, None)
    for t in range(1, T):
        seq = seq + np.clip(gap[t], 0, None)
    assert np.array_equal(m["total_loss"], seq)
    assert np.array_equal(m["total_loss_share"][1], np.zeros(B))  # zero baseline: no share
    # one series of one run alone: the same bits (numpy alone would sum that column pairwise)
    lone = loss_metrics(x[:, 2:3, 4:5], x0[2:3, None])
    assert lone["total_loss"][0, 0] == m["total_loss"][2, 4]


def test_batch_equals_single_runs():
    sys_ = chain_system(5.0)
    paths = np.zeros((3, 30, 2))
    for b, m in enumerate([0.2, 0.6, 1.0]):
        paths[b, 3:10, 0] = m
    batch = simulate(sys_, 30, forcing=Forcing(batch=3, n=2, path=paths))
    for b in range(3):
        single = simulate(sys_, 30, capacity_path=paths[b])
        assert np.array_equal(batch.arrays["production"][:, b], single.arrays["production"][:, 0])


def test_result_tables_and_xarray():
    import pytest as _pytest

    xr = _pytest.importorskip("xarray")
    sys_ = chain_system(10.0)
    path = np.zeros((10, 2))
    path[:, 0] = 0.5
    res = simulate(sys_, 10, capacity_path=path)
    ds = res.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert ds["production"].dims == ("step", "run", "node")
    assert float(ds["production"].sel(node="r/A", step=1, run=0)) == _pytest.approx(0.5)
    # inventory cover in days of baseline use: 10 at the start, then 9.5, 9 …
    assert np.allclose(res.frame("inventory_cover")["r/B"].iloc[:3], [10, 9.5, 9])
    by_region = res.by_region("production", relative=True)
    assert by_region["r"].iloc[0] == _pytest.approx(0.75)


def test_inventory_days_by_product():
    sys_ = chain_system(np.nan)
    path = np.zeros((30, 2))
    path[:, 0] = 1.0
    # 5 days of A: binds once the stock is below 0.8 × 5 = 4 units, i.e. from step 2
    res = simulate(sys_, 30, capacity_path=path, params=Params(inventory_days_by_product={"A": 5.0}))
    xB = res.arrays["production"][:, 0, 1]
    assert np.allclose(xB[:2], 1.0) and xB[2] == pytest.approx(3 / 4)
    # an infinite target never binds
    res = simulate(sys_, 30, capacity_path=path, params=Params(inventory_days_by_product={"A": float("inf")}))
    assert np.allclose(res.arrays["production"][:, 0, 1], 1.0)
    with pytest.raises(ValueError, match="inventory_days_by_product"):
        Params(inventory_days_by_product={"A": 0})


@pytest.mark.parametrize("compat", [None, "boario"])
def test_product_layout_does_not_change_the_numbers(monkeypatch, compat):
    """Slot-major and supplier-major sparse products add each output's terms in the same
    order: bit-identical trajectories (and the same for a batch of 3 and single runs)."""
    from sim_helpers import random_io

    from allychain.simulate import engine

    sys_ = random_io(5, regions=3, sectors=4)
    paths = np.zeros((3, 60, sys_.n))
    for b, m in enumerate([0.3, 0.7, 1.0]):
        paths[b, 2:30, b] = m
    runs = []
    for threshold in (10**9, 0):
        monkeypatch.setattr(engine, "SLOT_MAJOR_MIN_SLOTS", threshold)
        runs.append(simulate(sys_, 60, forcing=Forcing(batch=3, n=sys_.n, path=paths), compat=compat))
    for v in runs[0].arrays:
        assert np.array_equal(runs[0].arrays[v], runs[1].arrays[v], equal_nan=True), v
    single = simulate(sys_, 60, capacity_path=paths[1], compat=compat)
    assert np.array_equal(single.arrays["production"][:, 0], runs[1].arrays["production"][:, 1])
