"""The second stage of an allocation (fewest units shipped between members among the optimal
allocations) keeps each item's weighted unmet demand at its optimum with one sparse row per item.
Checked against the single dense row over all columns it replaces, on random plans."""

from __future__ import annotations

import math

import numpy as np
import pytest

from allychain.lp import solve_lp
from allychain.optimize import allocation as A


@pytest.mark.parametrize("seed", range(6))
def test_per_item_rows_give_the_same_second_stage_as_one_dense_row(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ms, its = [f"M{k}" for k in range(4)], [f"i{j}" for j in range(5)]
    doc = {"items": [{"id": i} for i in its],
           "members": {m: {"priority": int(rng.integers(1, 4))} for m in ms},
           "shortfalls": [{"member": m, "item": i, "amount": int(rng.integers(0, 50))} for m in ms for i in its],
           "supply": [{"member": m, "item": i, "stockpile": int(rng.integers(0, 40))} for m in ms for i in its]}
    plan = A.plan_from_dict(doc)
    m = A.compile_plan(plan)
    active = list(range(len(m.bounds)))
    base = solve_lp(A.build_lp(m, active), "allocation")
    w = np.concatenate([np.zeros(m.n_y), m.needs["weight"].to_numpy(float)])
    obj = float(w @ base.x[: m.n_cols])
    holder = m.sources["member"].to_numpy()[m.arcs["source"]]
    taker = m.needs["member"].to_numpy()[m.arcs["need"]]
    c = np.concatenate([(holder != taker).astype(float), np.zeros(len(m.needs))])
    dense = solve_lp(A.build_lp(m, active, [(w, -math.inf, obj + 1e-9 * max(1.0, abs(obj)))], c=c), "allocation")
    sparse = solve_lp(A.build_lp(m, active, A._keep_unmet(m, base, w, obj, fairness=False), c=c), "allocation")
    assert dense.objective == pytest.approx(sparse.objective, abs=1e-6)
    assert float(w @ sparse.x[: m.n_cols]) == pytest.approx(obj, abs=1e-6)
    assert len(A._keep_unmet(m, base, w, obj, fairness=False)) == len(its)
