"""Allocation from the registry: an MOU in force drives the allocation; conflicts name the set.

Both checked against the LP written out by hand and solved with scipy.optimize.linprog
(an independent solver and formulation) for a small case.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from allychain.errors import InfeasibleError
from allychain.optimize.allocation import allocate_plan, plan_from_dict, plan_to_dict
from allychain.workspace import agreements as ag
from allychain.workspace.emergency import registry_plan


def _mou(store: Any, steward: Any, agr_id: str, to: str, minimum: float, priority: float | None = None) -> None:
    c = {"item": "neon", "from": "KOR", "to": to, "min": minimum}
    if priority is not None:
        c["priority"] = priority
    ag.register(store, steward, {"title": f"MOU {agr_id}", "parties": ["KOR", to], "signed": "2026-01-01",
                                 "items": ["neon"], "source": "MOU text", "commitments": [c]}, agr_id)
    ag.set_status(store, steward, agr_id, "in_force")


def oracle(supply: dict[str, float], need: dict[str, float], weight: dict[str, float],
           floors: dict[tuple[str, str], float]) -> Any:
    """min Σ_m w_m u_m  s.t.  Σ_m y_{k,m} ≤ a_k;  Σ_k y_{k,m} + u_m = s_m;  y_{k,m} ≥ ℓ_{k,m};  y, u ≥ 0."""
    holders, members = list(supply), list(need)
    arcs = [(k, m) for k in holders for m in members]
    c = np.array([0.0] * len(arcs) + [weight[m] for m in members])
    a_ub = np.array([[1.0 if a[0] == k else 0.0 for a in arcs] + [0.0] * len(members) for k in holders])
    a_eq = np.array([[1.0 if a[1] == m else 0.0 for a in arcs] + [1.0 if x == m else 0.0 for x in members]
                     for m in members])
    bounds = [(floors.get(a, 0.0), None) for a in arcs] + [(0.0, None)] * len(members)
    res = linprog(c, A_ub=a_ub, b_ub=[supply[k] for k in holders], A_eq=a_eq, b_eq=[need[m] for m in members],
                  bounds=bounds, method="highs")
    return res


def test_mou_in_force_drives_the_allocation(store: Any, people: dict[str, Any]) -> None:
    """KOR holds 100 t, needs 90 t itself; NLD needs 60 t; the KOR–NLD MOU commits at least 50 t to NLD.
    Without it the LP (indifferent between members, then least cross-shipping) keeps 90 t in KOR and
    sends 10 t; with it NLD receives 50 t and KOR keeps 50 t — weighted unmet 50 t either way."""
    steward = people["p"]["steward"]
    short = pd.DataFrame({"member": ["KOR", "NLD"], "item": ["neon", "neon"], "amount": [90.0, 60.0]})
    sup = pd.DataFrame({"member": ["KOR"], "item": ["neon"], "stockpile": [100.0]})
    with store.transaction() as repo:
        before = allocate_plan(registry_plan(repo, short, sup))
    assert before["allocation"].set_index("to")["amount"].to_dict() == pytest.approx({"KOR": 90.0, "NLD": 10.0})
    _mou(store, steward, "kor-nld", "NLD", 50.0)
    with store.transaction() as repo:
        plan = registry_plan(repo, short, sup)
    res = allocate_plan(plan)
    shipped = res["allocation"].set_index(["from", "to"])["amount"].to_dict()
    assert shipped[("KOR", "NLD")] >= 50.0 - 1e-6  # the commitment is met
    assert shipped == pytest.approx({("KOR", "KOR"): 50.0, ("KOR", "NLD"): 50.0})
    comm = res["commitments"].iloc[0]
    assert comm["name"] == "kor-nld#1" and comm["min_units"] == 50.0 and bool(comm["binding"])
    ref = oracle({"KOR": 100.0}, {"KOR": 90.0, "NLD": 60.0}, {"KOR": 1.0, "NLD": 1.0}, {("KOR", "NLD"): 50.0})
    assert ref.status == 0 and res.objective == pytest.approx(ref.fun) == pytest.approx(50.0)
    # the YAML plan stays the exchange format: exported and read back, it gives the same allocation
    again = allocate_plan(plan_from_dict(plan_to_dict(plan)))
    assert again["allocation"].equals(res["allocation"])


def test_commitment_priority_weights_the_receiver(store: Any, people: dict[str, Any]) -> None:
    """Priority 3 on the MOU makes NLD's unmet need weigh 3: with 100 t for 90 + 60 t NLD is served in full
    (objective 3·0 + 1·50 = 50, by hand and by linprog)."""
    steward = people["p"]["steward"]
    _mou(store, steward, "prio", "NLD", 20.0, priority=3.0)
    short = pd.DataFrame({"member": ["KOR", "NLD"], "item": ["neon", "neon"], "amount": [90.0, 60.0]})
    sup = pd.DataFrame({"member": ["KOR"], "item": ["neon"], "stockpile": [100.0]})
    with store.transaction() as repo:
        res = allocate_plan(registry_plan(repo, short, sup))
    got = res["members"].set_index("member")["received"].to_dict()
    assert got == pytest.approx({"KOR": 40.0, "NLD": 60.0})
    ref = oracle({"KOR": 100.0}, {"KOR": 90.0, "NLD": 60.0}, {"KOR": 1.0, "NLD": 3.0}, {("KOR", "NLD"): 20.0})
    assert res.objective == pytest.approx(ref.fun) == pytest.approx(50.0)


def test_conflicting_commitments_name_the_set(store: Any, people: dict[str, Any]) -> None:
    """Two MOUs in force (50 t to NLD, 60 t to JPN) and an unrelated one (5 t to TWN from NLD) meet a
    shortage where KOR can release only 100 t: the first two conflict (110 > 100), the third is not named."""
    steward = people["p"]["steward"]
    _mou(store, steward, "nld", "NLD", 50.0)
    _mou(store, steward, "jpn", "JPN", 60.0)
    ag.register(store, steward, {"title": "NLD-TWN", "parties": ["NLD", "TWN"], "signed": "2026-01-01",
                                 "items": ["neon"], "source": "MOU text",
                                 "commitments": [{"item": "neon", "from": "NLD", "to": "TWN", "min": 5}]}, "twn")
    ag.set_status(store, steward, "twn", "in_force")
    short = pd.DataFrame({"member": ["NLD", "JPN", "TWN"], "item": ["neon"] * 3, "amount": [60.0, 70.0, 10.0]})
    sup = pd.DataFrame({"member": ["KOR", "NLD"], "item": ["neon"] * 2, "stockpile": [100.0, 10.0]})
    with store.transaction() as repo:
        plan = registry_plan(repo, short, sup)
    with pytest.raises(InfeasibleError) as err:
        allocate_plan(plan)
    assert sorted(err.value.conflicting) == ["jpn#1", "nld#1"]
    assert "KOR has 100 units of neon available" in str(err.value)
    # linprog agrees: infeasible with both floors, feasible without either (the set is irreducible)
    s, n, w = {"KOR": 100.0, "NLD": 10.0}, {"NLD": 60.0, "JPN": 70.0, "TWN": 10.0}, {"NLD": 1, "JPN": 1, "TWN": 1}
    both = {("KOR", "NLD"): 50.0, ("KOR", "JPN"): 60.0, ("NLD", "TWN"): 5.0}
    assert oracle(s, n, w, both).status == 2
    for drop in [("KOR", "NLD"), ("KOR", "JPN")]:
        assert oracle(s, n, w, {k: v for k, v in both.items() if k != drop}).status == 0
