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
