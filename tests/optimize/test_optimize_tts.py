"""TTS/TTR: hand-solved networks, an independent formulation, LP duality."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from optimize_reference import loss, random_network, tts_bisect

from allychain.data.native import read_native
from allychain.lp import solve_lp
from allychain.optimize import Status
from allychain.optimize.montecarlo import triangular_sampler, tts_ttr_montecarlo
from allychain.optimize.ttr_tts import build_model, disruption_groups, tts_ttr
from conftest import net

NaN = math.nan


def chain(inv_s=12.0, alt_cap=None, q=1.0, inv_c=0.0, warehouse=None, demand=4.0, margin=3.0):
    """Supplier S (wafers) → customer C (chips, final demand); optional alternative
    supplier A with capacity ``alt_cap`` and a chip warehouse W."""
    nodes = [
        {"node_id": "S", "product": "wafer", "capacity": 10.0, "inventory": inv_s, "ttr": 5.0},
        {"node_id": "C", "product": "chip", "capacity": 100.0, "inventory": inv_c, "demand": demand,
         "margin": margin, "ttr": 2.0},
    ]
    edges = [{"supplier": "S", "customer": "C"}]
    if alt_cap is not None:
        nodes.append({"node_id": "A", "product": "wafer", "capacity": alt_cap, "inventory": 0.0, "ttr": 3.0})
        edges.append({"supplier": "A", "customer": "C"})
    if warehouse is not None:
        nodes.append({"node_id": "W", "product": "chip", "capacity": 0.0, "inventory": warehouse, "ttr": 1.0})
        edges.append({"supplier": "W", "customer": "C"})
    return net(nodes, edges, [{"node_id": "C", "input_product": "wafer", "quantity": q}])


def row(res, name):
    t = res.table.set_index("disruption")
    return t.loc[name]


def test_single_supplier_tts_is_inventory_over_usage():
    r = tts_ttr(chain())  # I = 12, u = 4 per period
    s = row(r, "S")
    assert s["tts"] == pytest.approx(12 / 4)
    # lost over TTR = 5: 4*5 - 12 = 8 units at margin 3
    assert s["lost_units"] == pytest.approx(8.0)
    assert s["impact"] == pytest.approx(24.0)
    assert bool(s["unprotected"]) is True
    c = row(r, "C")  # the demand node itself: no finished stock, loses 4*2 units
    assert c["tts"] == pytest.approx(0.0)
    assert c["impact"] == pytest.approx(3 * 8.0)
    assert r.status == Status.optimal
    assert r.objective == pytest.approx(24.0)
    assert set(r.table["rei"]) == {1.0}


def test_alternative_supplier_extends_tts():
    r = tts_ttr(chain(alt_cap=1.0))  # A supplies 1 per period: draw on stock 4 - 1 = 3
    s = row(r, "S")
    assert s["tts"] == pytest.approx(12 / 3)
    assert s["lost_units"] == pytest.approx(4 * 5 - 12 - 1 * 5)
    assert s["impact"] == pytest.approx(3 * 3.0)
    a = row(r, "A")  # S alone covers 4 <= 10 forever
    assert math.isinf(a["tts"]) and a["impact"] == 0 and bool(a["unprotected"]) is False
    assert row(r, "C")["rei"] == pytest.approx(1.0)
    assert s["rei"] == pytest.approx(9.0 / 24.0)


def test_bill_of_materials_quantity_and_finished_stock():
    assert row(tts_ttr(chain(q=2.0)), "S")["tts"] == pytest.approx(12 / 8)
    assert row(tts_ttr(chain(inv_c=8.0)), "S")["tts"] == pytest.approx((12 + 8) / 4)
    # a chip warehouse on a distribution edge adds to C's available output
    assert row(tts_ttr(chain(warehouse=6.0)), "S")["tts"] == pytest.approx((12 + 6) / 4)


def test_lose_inventory_and_groups():
    r = tts_ttr(chain(alt_cap=1.0), lose_inventory=True)
    assert row(r, "S")["tts"] == pytest.approx(0.0)
    assert row(r, "S")["lost_units"] == pytest.approx(4 * 5 - 5)
    g = tts_ttr(chain(alt_cap=1.0), {"both": ["S", "A"]})
    assert row(g, "both")["tts"] == pytest.approx(3.0)
    assert row(g, "both")["ttr"] == 5.0  # the larger TTR of the set
    assert tts_ttr(chain(), ttr=1.0).table["ttr"].tolist() == [1.0, 1.0]


def test_unknown_ttr_is_not_assessable_and_unknown_node_errors():
    n = chain()
    n = n.replace(nodes=n.nodes.assign(ttr=[NaN, 2.0]))
    r = tts_ttr(n)
    s = row(r, "S")
    assert pd.isna(s["unprotected"]) and math.isnan(s["impact"]) and s["tts"] == pytest.approx(3.0)
    from allychain.errors import AllychainError

    with pytest.raises(AllychainError, match="unknown node"):
        tts_ttr(n, ["nope"])


def test_baseline_shortage_is_reported():
    r = tts_ttr(chain(demand=12.0))  # S makes only 10 per period
    assert r.meta["baseline_tts"] == pytest.approx(12 / 2)
    assert "even undisrupted" in r.message


def test_margin_missing_counts_units():
    r = tts_ttr(chain(margin=NaN))
    assert r.meta["weights"] == "units"
    assert row(r, "S")["impact"] == pytest.approx(8.0)


def test_example_network_hand_checked(example_dir):
    n = read_native(example_dir)
    r = tts_ttr(n).table.set_index("disruption")
    # fab-kr is the only memory source: modules need memory 1:1; stocks 30 memory + 15 modules, demand 50/month
    assert r.loc["fab-kr", "tts"] == pytest.approx((30 + 15) / 50)
    # wafer-kr down: wafers needed 100t - 120 (after fab and module stocks), available 60t + 40 + 90
    assert r.loc["wafer-kr", "tts"] == pytest.approx((40 + 90 + 120) / 40)
    assert r.loc["wafer-kr", "unprotected"] == False  # noqa: E712
    assert r.loc["fab-kr", "rei"] == 1.0


def test_groups_by_country():
    g = disruption_groups(chain(alt_cap=1.0).replace(
        nodes=chain(alt_cap=1.0).nodes.assign(country=["KOR", "KOR", "JPN"])), "country")
    assert g == {"JPN": ["A"], "KOR": ["S", "C"]}


def _survives(nodes, edges, bom, node, t):
    _, lost = loss(nodes, edges, bom, [node], t, weights={n: 1.0 for n in nodes["node_id"]})
    return lost <= 1e-9 * max(1.0, t)


@pytest.mark.parametrize("seed", range(10))
def test_random_instances_match_independent_formulation(seed):
    """Impact equals linprog's optimum on a separately built model; TTS is confirmed by
    feasibility just below it and infeasibility just above it (the survivable set is
    an interval)."""
    rng = np.random.default_rng(seed)
    nodes, edges, bom = random_network(rng)
    n = net(nodes, edges, bom)
    r = tts_ttr(n, horizon=1e3).table.set_index("disruption")
    for node in nodes["node_id"]:
        ttr = float(nodes.set_index("node_id").loc[node, "ttr"])
        imp, lost = loss(nodes, edges, bom, [node], ttr)
        assert r.loc[node, "impact"] == pytest.approx(imp, abs=1e-6)
        got = r.loc[node, "tts"]
        if math.isinf(got):
            assert _survives(nodes, edges, bom, node, 1e3)
            continue
        assert _survives(nodes, edges, bom, node, got * (1 - 1e-6))
        assert not _survives(nodes, edges, bom, node, got * (1 + 1e-4) + 1e-4)
        assert bool(r.loc[node, "unprotected"]) == (got < ttr)
        assert (imp > 1e-9) == (got < ttr - 1e-9)  # TTS < TTR  <=>  some demand is lost over TTR


@pytest.mark.parametrize("seed", [0, 3])
def test_random_instances_tts_by_bisection(seed):
    rng = np.random.default_rng(seed)
    nodes, edges, bom = random_network(rng)
    r = tts_ttr(net(nodes, edges, bom), horizon=1e3).table.set_index("disruption")
    for node in nodes["node_id"][:3]:
        ref = tts_bisect(nodes, edges, bom, [node], hi=1e3)
        got = r.loc[node, "tts"]
        assert math.isinf(got) if math.isinf(ref) else got == pytest.approx(ref, rel=1e-5, abs=1e-5)


def _dual_check(lp, sol):
    """Strong duality, dual feasibility and complementary slackness (HiGHS signs)."""
    A = lp.A.toarray()
    y, z, x = sol.row_dual, sol.col_dual, sol.x
    tol = 1e-6
    # stationarity: c - A^T y - z = 0
    assert np.allclose(lp.c - A.T @ y - z, 0, atol=tol)
    # dual objective from the active bounds
    dual = sum(v * (lp.row_lo[i] if v > 0 else lp.row_hi[i]) for i, v in enumerate(y) if abs(v) > 1e-12)
    dual += sum(v * (lp.col_lo[j] if v > 0 else lp.col_hi[j]) for j, v in enumerate(z) if abs(v) > 1e-12)
    assert dual == pytest.approx(sol.objective, abs=1e-6)
    ax = A @ x
    for i, v in enumerate(y):  # a priced row is tight at the side its sign says
        if v > tol:
            assert ax[i] == pytest.approx(lp.row_lo[i], abs=1e-6)
        elif v < -tol:
            assert ax[i] == pytest.approx(lp.row_hi[i], abs=1e-6)
    for j, v in enumerate(z):
        if v > tol:
            assert x[j] == pytest.approx(lp.col_lo[j], abs=1e-6)
        elif v < -tol:
            assert x[j] == pytest.approx(lp.col_hi[j], abs=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_duality_and_complementary_slackness(seed):
    rng = np.random.default_rng(100 + seed)
    n = net(*random_network(rng))
    m = build_model(n)
    for k in range(m.n_nodes):
        lp = m.lp_for("impact", [k], t=float(m.ttr[k]))
        sol = solve_lp(lp)
        assert sol.status == Status.optimal
        _dual_check(lp, sol)
        lp = m.lp_for("tts", [k])
        lp.col_hi[m.t_col] = 1e3
        sol = solve_lp(lp)
        assert sol.status == Status.optimal
        _dual_check(lp, sol)


def test_montecarlo_reproducible_and_degenerate_case():
    n = chain()
    a = tts_ttr_montecarlo(n, 40, seed=7)
    b = tts_ttr_montecarlo(n, 40, seed=7)
    pd.testing.assert_frame_equal(a["summary"], b["summary"])
    # spread 0: every sample is the TTR itself, impacts equal the deterministic ones
    z = tts_ttr_montecarlo(n, 5, sampler=triangular_sampler(0.0), seed=1)["summary"].set_index("disruption")
    det = tts_ttr(n).table.set_index("disruption")
    assert z.loc["S", "impact_mean"] == pytest.approx(det.loc["S", "impact"])
    assert z.loc["S", "p_unprotected"] == 1.0


def test_montecarlo_probability_unprotected():
    # TTS = 3; TTR ~ triangular(2.5, 5, 7.5): P(TTR > 3) = 1 - 0.5^2 / (5 * 2.5) = 0.98
    r = tts_ttr_montecarlo(chain(), 400, disruptions=["S"], seed=3)
    p = r["summary"].set_index("disruption").loc["S", "p_unprotected"]
    assert p == pytest.approx(0.98, abs=0.03)
    s = r["samples"]
    # impact of each sample = 3 * max(0, 4 * TTR - 12)
    assert np.allclose(s["impact"], 3 * np.maximum(0, 4 * s["ttr"] - 12), atol=1e-6)


def test_parallel_equals_serial(example_dir):
    n = read_native(example_dir)
    serial = tts_ttr(n).table
    par = tts_ttr(n, workers=2).table
    pd.testing.assert_frame_equal(serial, par)


def test_money_weights_survive_warm_resolves_on_the_builtin_chain():
    """Margins of ~4e10 per unit beside quantities near 1 once made HiGHS fail ('Not Set')
    on the warm re-solve after the TTS mode; the impact must equal an independent cold
    linprog solve of the same programme, for TTRs on both sides of the TTS."""
    import allychain
    from allychain.optimize.country import site_network

    site = site_network(allychain.load("builtin"))
    nodes, edges, bom = site.nodes, site.edges, site.bom
    weights = {n: (1.0 if pd.isna(m) else float(m)) for n, m in zip(nodes["node_id"], nodes["margin"], strict=False)}
    assert max(weights.values()) > 1e9  # the badly scaled case this test is about
    r = tts_ttr(site, {"x": ["UKR/neon"]}, ttr={"x": 60.0}).table.iloc[0]
    assert 0 < r["tts"] < 60 and bool(r["unprotected"])
    imp, lost = loss(nodes, edges, bom, ["UKR/neon"], 60.0, weights=weights)
    assert r["impact"] == pytest.approx(imp, rel=1e-6)
    assert r["lost_units"] == pytest.approx(lost, rel=1e-6)
    short = tts_ttr(site, {"x": ["UKR/neon"]}, ttr={"x": r["tts"] * 0.5}).table.iloc[0]
    assert short["impact"] == pytest.approx(0.0, abs=1e-6) and not bool(short["unprotected"])
