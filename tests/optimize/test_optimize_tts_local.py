"""TTS/TTR on regions of the network (tts_local): the same optima as the whole programme."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_optimize_tts import chain, row

from allychain.data.synthetic import firm_network
from allychain.errors import AllychainError
from allychain.lp import solve_lp
from allychain.model.network import Network
from allychain.optimize import Status
from allychain.optimize.ttr_tts import build_model, tts_ttr
from allychain.optimize.tts_local import LocalSolver, reference_plan

HORIZON = 1e6


def _full_tts(m, idx, lose_inventory=False):
    lp = m.lp_for("tts", idx, lose_inventory=lose_inventory)
    lp.col_hi[m.t_col] = HORIZON
    sol = solve_lp(lp)
    assert sol.status == Status.optimal
    v = -sol.objective
    return math.inf if v >= HORIZON * (1 - 1e-9) else v


def _full_impact(m, idx, t, lose_inventory=False):
    sol = solve_lp(m.lp_for("impact", idx, t=t, lose_inventory=lose_inventory))
    assert sol.status == Status.optimal
    return sol.objective


def _close(a, b, rel=1e-5):
    """Equal to the solver's accuracy.  HiGHS's own answers on the whole programme differ by up
    to a few 1e-6 between settings on these networks (a TTS of 213.6759 with presolve, 213.6767
    without, 213.6782 by interior point on the 2,500-site case), so 1e-5 relative."""
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _cases(m, network, rng, k):
    """The largest suppliers, random single nodes and one random pair."""
    deg = network.edges.groupby("supplier").size().sort_values(ascending=False)
    top = [int(i) for i in m.index(deg.index[:k].tolist())]
    rand = [int(i) for i in rng.choice(m.n_nodes, k, replace=False)]
    return [[i] for i in top + rand] + [list(rng.choice(m.n_nodes, 2, replace=False))]


@pytest.mark.parametrize(("sites", "seed", "lose"), [(300, 1, False), (800, 2, True), (1500, 3, False)])
def test_regions_give_the_whole_programmes_optimum_on_generated_networks(sites, seed, lose):
    network = firm_network(sites, seed=seed)
    m = build_model(network)
    ref = reference_plan(m)
    assert ref is not None  # generated capacities have 15-60 % headroom over the demand-driven plan
    s = LocalSolver(m, ref, lose_inventory=lose, horizon=HORIZON)
    rng = np.random.default_rng(seed)
    local_proofs = 0
    for idx in _cases(m, network, rng, 4):
        g = np.array(idx, dtype=np.int32)
        before = s.stats["solves"]
        tts = s.tts(g, "t")
        assert _close(tts, _full_tts(m, g, lose)), (idx, tts)
        ttr = float(np.nanmax(m.ttr[g]))
        windows = [ttr] + ([1.5 * tts, 0.5 * tts] if math.isfinite(tts) and tts > 0 else [])
        imp, _ = s.impact(g, np.array(windows), "t")
        for w, v in zip(windows, imp, strict=True):
            assert _close(v, _full_impact(m, g, w, lose)), (idx, w, v)
        if s.stats["last_region"] < m.n_nodes and s.stats["solves"] - before > 1:
            local_proofs += 1
    # the test is about regions smaller than the network that needed growing
    assert local_proofs > 0


def test_reference_plan_meets_demand_from_capacity_alone():
    m = build_model(firm_network(400, seed=5))
    z = reference_plan(m)
    A = m.lp.A.toarray()
    assert np.all(A @ z <= 1e-7 * (np.abs(A) @ np.abs(z)) + 1e-9)  # every row, no inventory, t = 1
    N = m.n_nodes
    assert np.all(z[:N] <= m.capacity + 1e-9)
    # the demand nodes make exactly their demand plus what they ship
    assert z[-1] == 1.0 and np.all(z[m.l0:m.l0 + len(m.demand_nodes)] == 0.0)


def test_no_reference_plan_when_demand_exceeds_capacity():
    short = chain(demand=14.0)  # S can make 10 per period, C needs 14
    assert reference_plan(build_model(short)) is None
    with pytest.raises(AllychainError, match="method='local'"):
        tts_ttr(short, ["S"], method="local")
    a = tts_ttr(short, ["S", "C"], method="auto").table
    b = tts_ttr(short, ["S", "C"], method="full").table
    pd.testing.assert_frame_equal(a, b)


def test_hand_solved_chain_on_the_local_path():
    r = tts_ttr(chain(), method="local")
    s = row(r, "S")
    assert s["tts"] == pytest.approx(3.0)  # 12 units of inventory, 4 used per period
    assert s["impact"] == pytest.approx(24.0) and s["lost_units"] == pytest.approx(8.0)
    assert row(r, "C")["impact"] == pytest.approx(24.0)
    alt = tts_ttr(chain(alt_cap=2.0), method="local")  # 12 / (4 - 2) = 6 periods with A's 2 per period
    assert row(alt, "S")["tts"] == pytest.approx(6.0)
    assert math.isinf(r.meta["baseline_tts"])


def test_local_and_full_tables_agree(tmp_path):
    network = firm_network(600, seed=11)
    deg = network.edges.groupby("supplier").size().sort_values(ascending=False)
    ids = deg.index[:6].tolist() + network.nodes["node_id"].sample(6, random_state=1).tolist()
    a = tts_ttr(network, ids, method="local").table
    b = tts_ttr(network, ids, method="full").table
    for col in ("tts", "impact"):
        for u, v in zip(a[col], b[col], strict=True):
            assert _close(u, v), (col, u, v)
    assert list(a["unprotected"]) == list(b["unprotected"])
    # without shares the plan splits by capacity; the answers do not depend on the split
    plain = Network(nodes=network.nodes, edges=network.edges.drop(columns="share"), bom=network.bom)
    m = build_model(plain)
    if reference_plan(m) is not None:
        c = tts_ttr(plain, ids, method="local").table
        for u, v in zip(c["tts"], b["tts"], strict=True):
            assert _close(u, v)


def test_unknown_method_is_an_error():
    with pytest.raises(AllychainError, match="method must be one of"):
        tts_ttr(chain(), method="fast")


def test_without_horizon_a_survivable_disruption_is_infinite_on_regions():
    # A alone (capacity 10) covers C's 4 per period: losing S is survivable for ever,
    # and with no horizon the TTS programme is unbounded on the region as on the whole
    m = build_model(chain(alt_cap=10.0))
    s = LocalSolver(m, reference_plan(m), horizon=math.inf)
    assert math.isinf(s.tts(m.index(["S"]), "S"))
    assert s.tts(m.index(["C"]), "C") == pytest.approx(0.0)  # C's own demand has no stock
    full = tts_ttr(chain(alt_cap=10.0), ["S"], horizon=math.inf, method="full").table
    assert math.isinf(full["tts"].iloc[0])
