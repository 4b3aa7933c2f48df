"""Emergency allocation: hand cases, brute force, infeasible commitments explained."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from allychain.data.spec import read_allocation_plan as read_plan
from allychain.errors import InfeasibleError, ScenarioError
from allychain.optimize.allocation import allocate, plan_from_dict

NaN = math.nan


def short(*rows):
    return pd.DataFrame(rows, columns=["member", "item", "amount"])


def supply(*rows):
    return pd.DataFrame(rows, columns=["member", "item", "stockpile"])


def comm(*rows):
    return pd.DataFrame(rows, columns=["name", "from", "to", "item", "min", "max", "min_share", "max_share"])


def received(res):
    return res["members"].set_index(["member", "item"])["received"]


def test_max_min_fairness_by_hand():
    # 90 units for shortfalls 100 and 50: equal served fraction z = 90 / 150 = 0.6
    r = allocate(short(("KOR", "resist", 100), ("NLD", "resist", 50)), supply(("JPN", "resist", 90)), fairness=True)
    got = received(r)
    assert got[("KOR", "resist")] == pytest.approx(60, abs=1e-6)
    assert got[("NLD", "resist")] == pytest.approx(30, abs=1e-6)
    assert r.objective == pytest.approx(60)
    assert r.meta["served_levels"] == pytest.approx({"KOR": 0.6, "NLD": 0.6})


def test_max_min_fairness_across_items():
    # KOR lacks 10 of a; NLD lacks 10 of a and 5 of b; 10 a and plenty of b.  Served fractions
    # KOR r_ka / 10 and NLD (r_na + 5) / 15 equal with r_ka + r_na = 10:  r_ka = 6, r_na = 4, level 0.6
    r = allocate(short(("KOR", "a", 10), ("NLD", "a", 10), ("NLD", "b", 5)),
                 supply(("USA", "a", 10), ("USA", "b", 100)), fairness=True)
    got = received(r)
    assert got[("KOR", "a")] == pytest.approx(6, abs=1e-6)
    assert got[("NLD", "a")] == pytest.approx(4, abs=1e-6)
    assert got[("NLD", "b")] == pytest.approx(5, abs=1e-6)


def test_max_min_fairness_lexicographic_second_level():
    # DEU can reach at most 3/10 (only 3 of b exist): the first level is 0.3 and DEU freezes there;
    # KOR and NLD then share a equally (0.5 each) — a single max-min LP would leave them undetermined
    r = allocate(short(("KOR", "a", 10), ("NLD", "a", 10), ("DEU", "b", 10)),
                 supply(("USA", "a", 10), ("USA", "b", 3)), fairness=True)
    got = received(r)
    assert got[("DEU", "b")] == pytest.approx(3, abs=1e-6)
    assert got[("KOR", "a")] == pytest.approx(5, abs=1e-6)
    assert got[("NLD", "a")] == pytest.approx(5, abs=1e-6)
    assert r.meta["served_levels"] == pytest.approx({"DEU": 0.3, "KOR": 0.5, "NLD": 0.5}, abs=1e-6)


def test_priorities_and_shadow_price():
    r = allocate(short(("KOR", "resist", 100), ("NLD", "resist", 50)), supply(("JPN", "resist", 90)),
                 priorities={"NLD": 2.0})
    got = received(r)
    assert got[("NLD", "resist")] == pytest.approx(50) and got[("KOR", "resist")] == pytest.approx(40)
    assert r.objective == pytest.approx(60)  # KOR's 60 unmet at weight 1
    # one more unit of JPN supply would serve KOR: shadow price 1; with LP duality the
    # objective equals sum(weight * shortfall) - price * supply here
    sp = r["sources"].set_index("member").loc["JPN", "shadow_price"]
    assert sp == pytest.approx(1.0)
    assert r.objective == pytest.approx(100 * 1 + 50 * 2 - (2 * 50 + 1 * 40))


def test_mou_minimum_and_maximum_bind():
    c = comm(("mou-min", "JPN", "KOR", "resist", 70, NaN, NaN, NaN),
             ("mou-cap", "JPN", "NLD", "resist", NaN, NaN, NaN, 0.2))
    r = allocate(short(("KOR", "resist", 100), ("NLD", "resist", 50)), supply(("JPN", "resist", 90)), c,
                 priorities={"NLD": 5.0})
    got = received(r)
    # NLD would take 50 by priority, but the MOU guarantees KOR 70 and caps NLD at 20 % of 90 = 18
    assert got[("KOR", "resist")] == pytest.approx(72)
    assert got[("NLD", "resist")] == pytest.approx(18)
    cm = r["commitments"].set_index("name")
    assert bool(cm.loc["mou-cap", "binding"]) and cm.loc["mou-cap", "max_units"] == pytest.approx(18)
    assert not bool(cm.loc["mou-min", "binding"])


def test_infeasible_commitments_named():
    c = comm(("A", "JPN", "KOR", "resist", 60, NaN, NaN, NaN),
             ("B", "JPN", "NLD", "resist", 40, NaN, NaN, NaN),
             ("C", "USA", "NLD", "resist", 5, NaN, NaN, NaN))
    s = supply(("JPN", "resist", 90), ("USA", "resist", 10))
    with pytest.raises(InfeasibleError) as e:
        allocate(short(("KOR", "resist", 100), ("NLD", "resist", 50)), s, c)
    msg = str(e.value)
    assert "A (JPN→KOR resist: min 60)" in msg and "B (JPN→NLD resist: min 40)" in msg
    assert "C (" not in msg
    assert "JPN has 90 units of resist available" in msg


def test_infeasible_min_above_max_and_above_shortfall():
    c = comm(("lo", "JPN", "KOR", "resist", 30, NaN, NaN, NaN), ("hi", "JPN", "KOR", "resist", NaN, 20, NaN, NaN))
    with pytest.raises(InfeasibleError, match="contradict each other"):
        allocate(short(("KOR", "resist", 100)), supply(("JPN", "resist", 90)), c)
    c = comm(("big", "JPN", "KOR", "resist", 60, NaN, NaN, NaN))
    with pytest.raises(InfeasibleError, match="KOR's shortfall of resist is 50"):
        allocate(short(("KOR", "resist", 50)), supply(("JPN", "resist", 90)), c)


def _brute(sh, sup, w, lo, hi):
    """Enumerate integer shipments (one item): sources × members."""
    best = math.inf
    S, M = len(sup), len(sh)
    ranges = [range(int(min(sup[k], sh[m])) + 1) for k in range(S) for m in range(M)]
    for y in itertools.product(*ranges):
        Y = np.array(y).reshape(S, M)
        if (Y.sum(axis=1) > sup).any() or (Y.sum(axis=0) > sh).any():
            continue
        if (Y < lo).any() or (Y > hi).any():
            continue
        best = min(best, float(np.dot(w, sh - Y.sum(axis=0))))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_random_allocations_match_brute_force(seed):
    # the constraint matrix is a bipartite transportation matrix (totally unimodular), so with
    # integer data an integer allocation is optimal and enumeration finds the LP optimum
    rng = np.random.default_rng(seed)
    M, S = 3, 2
    sh = rng.integers(0, 6, M).astype(float)
    sup = rng.integers(0, 6, S).astype(float)
    w = rng.integers(1, 4, M).astype(float)
    lo = np.zeros((S, M))
    hi = np.full((S, M), np.inf)
    rows = []
    k, m = int(rng.integers(S)), int(rng.integers(M))
    lo[k, m] = int(rng.integers(0, 3))
    rows.append(("c1", f"s{k}", f"m{m}", "x", lo[k, m], NaN, NaN, NaN))
    k2, m2 = int(rng.integers(S)), int(rng.integers(M))
    if (k2, m2) != (k, m):
        hi[k2, m2] = int(rng.integers(0, 3))
        rows.append(("c2", f"s{k2}", f"m{m2}", "x", NaN, hi[k2, m2], NaN, NaN))
    best = _brute(sh, sup, w, lo, hi)
    args = (pd.DataFrame({"member": [f"m{i}" for i in range(M)], "item": "x", "amount": sh, "priority": w}),
            pd.DataFrame({"member": [f"s{i}" for i in range(S)], "item": "x", "stockpile": sup}), comm(*rows))
    if math.isinf(best):
        with pytest.raises(InfeasibleError):
            allocate(*args)
        return
    r = allocate(*args)
    assert r.objective == pytest.approx(best, abs=1e-6)
    a = r["allocation"]
    assert (a.groupby("from")["amount"].sum() <= pd.Series(sup, index=[f"s{i}" for i in range(S)]).reindex(
        a.groupby("from")["amount"].sum().index) + 1e-9).all()


PLAN = {
    "items": [{"id": "resist", "unit": "t"}],
    "members": {"KOR": {"priority": 1}, "NLD": {"priority": 2}},
    "shortfalls": [{"member": "KOR", "item": "resist", "amount": 100}, {"member": "NLD", "item": "resist", "amount": 50}],
    "supply": [{"member": "JPN", "item": "resist", "spare_capacity": 60, "stockpile": 30}],
    "commitments": [{"name": "mou", "from": "JPN", "to": "KOR", "item": "resist", "min": 45}],
}


def test_plan_from_dict_and_validation(tmp_path):
    p = plan_from_dict(PLAN)
    assert p.priorities == {"KOR": 1.0, "NLD": 2.0}
    bad = {**PLAN, "shortfalls": [{"member": "KOR", "item": "resist", "amount": -5}]}
    with pytest.raises(ScenarioError, match=r"key 'shortfalls\[0\]\.amount': got -5; expected units >= 0"):
        plan_from_dict(bad, "PLAN.yaml")
    with pytest.raises(ScenarioError, match="key 'suply'"):
        plan_from_dict({**PLAN, "suply": []}, "PLAN.yaml")
    with pytest.raises(ScenarioError, match="min_fraction.*fraction from 0 to 1"):
        plan_from_dict({**PLAN, "commitments": [{"from": "JPN", "to": "KOR", "item": "resist", "min_fraction": 1.5}]})
    f = tmp_path / "plan.yaml"
    f.write_text("shortfalls: [1, 2\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        read_plan(f)
