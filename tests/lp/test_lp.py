"""The shared HiGHS layer: hand-solved LP and MIP, statuses, duals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from allychain.errors import SolverError
from allychain.lp import LP, Status, solve_lp

pytest.importorskip("highspy")


def _lp(integer=None, sense="max", row_hi=3.5):
    # max x + y  s.t.  x + 2y ≤ 3.5,  2x + y ≤ 3.5,  x, y ≥ 0
    A = sp.csr_matrix(np.array([[1.0, 2.0], [2.0, 1.0]]))
    return LP(c=np.array([1.0, 1.0]), A=A, row_lo=np.full(2, -math.inf), row_hi=np.full(2, row_hi),
              col_lo=np.zeros(2), col_hi=np.full(2, math.inf), sense=sense, integer=integer)


def test_lp_optimum_and_duals_by_hand():
    s = solve_lp(_lp())
    assert s.status == Status.optimal and s.ok and s.has_solution
    # vertex x = y = 7/6, objective 7/3; both rows bind with dual 1/3 each
    assert s.objective == pytest.approx(7 / 3)
    np.testing.assert_allclose(s.x, [7 / 6, 7 / 6])
    np.testing.assert_allclose(s.row_dual, [1 / 3, 1 / 3], atol=1e-9)


def test_mip_rounds_down_to_the_integer_optimum():
    s = solve_lp(_lp(integer=np.array([True, True])), "test MIP")
    # integer points with x + 2y ≤ 3.5 and 2x + y ≤ 3.5: (1, 1) is the best, value 2
    assert s.status == Status.optimal
    assert s.objective == pytest.approx(2.0)
    np.testing.assert_allclose(s.x, [1.0, 1.0])
    assert s.mip_gap == pytest.approx(0.0, abs=1e-9)


def test_infeasible_and_unbounded_are_statuses_not_errors():
    infeasible = _lp(row_hi=-1.0)  # x + 2y ≤ -1 with x, y ≥ 0
    s = solve_lp(infeasible)
    assert s.status == Status.infeasible and not s.has_solution and math.isnan(s.objective)
    unbounded = LP(c=np.array([1.0]), A=sp.csr_matrix((0, 1)), row_lo=np.zeros(0), row_hi=np.zeros(0),
                   col_lo=np.zeros(1), col_hi=np.full(1, math.inf), sense="max")
    assert solve_lp(unbounded).status == Status.unbounded


def test_optimize_shares_the_status_enum():
    from allychain.optimize import Status as OptimizeStatus

    assert OptimizeStatus is Status


def test_solver_error_names_what(monkeypatch):
    import allychain.lp.solver as solver_mod

    monkeypatch.setattr(solver_mod, "status_of", lambda h: (Status.error, "Solve error"))
    with pytest.raises(SolverError, match="suppression MIP.*Solve error"):
        solve_lp(_lp(), "suppression MIP")


def test_rerun_limits_each_solve_not_the_instance_total():
    from allychain.lp import load_lp, new_highs, rerun, status_of

    rng = np.random.default_rng(1)
    n = 300
    A = sp.random(200, n, density=0.05, random_state=1, format="csc")
    lp = LP(c=np.ones(n), A=A, row_lo=np.full(200, -math.inf), row_hi=np.ones(200), col_lo=np.zeros(n),
            col_hi=np.ones(n), sense="max")
    h = load_lp(lp, new_highs())
    rerun(h)
    limit = max(10 * h.getRunTime(), 0.01)  # far above one solve, whatever the machine's load
    for k in range(500):  # cold solves until the instance's total run time is well past the per-solve limit
        h.changeColCost(int(rng.integers(n)), float(rng.uniform(0, 5)))
        h.clearSolver()
        rerun(h, limit)
        assert status_of(h)[0] == Status.optimal, k
        if h.getRunTime() > 3 * limit:
            break
    assert h.getRunTime() > 3 * limit
