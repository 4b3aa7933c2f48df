"""Thin helpers around :mod:`highspy`: a quiet solver, a model from sparse arrays, statuses.

Everything that touches HiGHS directly lives here, so the modelling modules (in
``optimize`` and ``disclosure``) work on plain numpy/scipy arrays.  ``highspy`` is imported
lazily (it is in the ``[optimize]`` extra, not the core install).
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from allychain.errors import AllychainError, SolverError
from allychain.lp.status import Status

__all__ = ["LP", "LPSolution", "highs", "new_highs", "load_lp", "solve_lp", "status_of", "solution_of", "rerun",
           "INF"]

INF = math.inf
_banner_silenced = False


def highs() -> Any:
    """The :mod:`highspy` module, or an error that says how to install it."""
    try:
        import highspy
    except ImportError:  # pragma: no cover - depends on the install
        raise AllychainError(
            "optimisation and disclosure control need the HiGHS solver; install it with: pip install 'allychain[optimize]'"
        ) from None
    return highspy


def new_highs(threads: int = 1) -> Any:
    """A :class:`highspy.Highs` instance with logging off.

    HiGHS prints a banner on stdout (from C++) when the first instance of a process is
    created; it is sent to the null device here so that JSON/CSV output stays clean.
    """
    global _banner_silenced
    hp = highs()
    if _banner_silenced:
        h = hp.Highs()
    else:
        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError):  # pragma: no cover - no file descriptor 1
            saved = None
        if saved is None:  # pragma: no cover
            h = hp.Highs()
        else:
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 1)
                h = hp.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
                os.close(null)
        _banner_silenced = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(threads))
    return h


@dataclass
class LP:
    """A linear programme ``min c·x  s.t.  row_lo ≤ A x ≤ row_hi,  col_lo ≤ x ≤ col_hi``.

    ``A`` is a scipy sparse matrix (any format); infinite bounds are ``±inf``.
    ``sense`` is ``"min"`` or ``"max"``.  ``integer`` (optional, one bool per column)
    marks integer columns and makes the programme a MIP (solved by branch and bound;
    duals are then not meaningful).
    """

    c: np.ndarray
    A: sp.spmatrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    sense: str = "min"
    integer: np.ndarray | None = None

    @property
    def is_mip(self) -> bool:
        return self.integer is not None and bool(np.any(self.integer))

    @property
    def shape(self) -> tuple[int, int]:
        return self.A.shape  # type: ignore[return-value]


@dataclass
class LPSolution:
    """Primal and dual values of a solved :class:`LP` (HiGHS sign conventions:
    for a minimisation, ``c - Aᵀ y - z = 0`` with ``y`` the row duals, ``z`` the column duals)."""

    status: Status
    objective: float
    x: np.ndarray
    row_activity: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    highs_status: str = ""
    mip_gap: float = math.nan

    @property
    def ok(self) -> bool:
        """True when the solve reached a proven optimum."""
        return self.status == Status.optimal

    @property
    def has_solution(self) -> bool:
        """True when :attr:`x` holds a feasible point (optimal, or a MIP incumbent at the time limit)."""
        if self.status == Status.optimal:
            return True
        return self.status == Status.time_limit and len(self.x) > 0 and bool(np.all(np.isfinite(self.x)))


def _inf(a: np.ndarray, big: float) -> np.ndarray:
    a = np.asarray(a, dtype=float).copy()
    a[np.isposinf(a)] = big
    a[np.isneginf(a)] = -big
    return a


def load_lp(lp: LP, h: Any | None = None) -> Any:
    """Pass ``lp`` to a (new) Highs instance and return it, not yet solved."""
    hp = highs()
    h = h or new_highs()
    A = sp.csc_matrix(lp.A, dtype=float)
    A.sort_indices()
    m = hp.HighsLp()
    m.num_col_ = int(A.shape[1])
    m.num_row_ = int(A.shape[0])
    m.col_cost_ = np.asarray(lp.c, dtype=float)
    m.col_lower_ = _inf(lp.col_lo, hp.kHighsInf)
    m.col_upper_ = _inf(lp.col_hi, hp.kHighsInf)
    m.row_lower_ = _inf(lp.row_lo, hp.kHighsInf)
    m.row_upper_ = _inf(lp.row_hi, hp.kHighsInf)
    m.a_matrix_.format_ = hp.MatrixFormat.kColwise
    m.a_matrix_.start_ = A.indptr.astype(np.int32)
    m.a_matrix_.index_ = A.indices.astype(np.int32)
    m.a_matrix_.value_ = A.data.astype(float)
    m.sense_ = hp.ObjSense.kMaximize if lp.sense == "max" else hp.ObjSense.kMinimize
    if lp.is_mip:
        kind = np.where(np.asarray(lp.integer, dtype=bool), hp.HighsVarType.kInteger, hp.HighsVarType.kContinuous)
        m.integrality_ = list(kind)
    h.passModel(m)
    return h


def rerun(h: Any, time_limit: float | None = None) -> None:
    """Run a loaded Highs instance again, this run limited to ``time_limit`` seconds.

    HiGHS's ``time_limit`` option counts the instance's *total* run time over every
    ``run()``; a per-solve limit is therefore set relative to the time already used.
    """
    if time_limit is not None:
        h.setOptionValue("time_limit", float(h.getRunTime()) + float(time_limit))
    h.run()


def status_of(h: Any) -> tuple[Status, str]:
    """Map the HiGHS model status to :class:`Status` (and its HiGHS name)."""
    hp = highs()
    ms = h.getModelStatus()
    text = h.modelStatusToString(ms)
    S = hp.HighsModelStatus
    if ms == S.kOptimal:
        return Status.optimal, text
    if ms == S.kInfeasible:
        return Status.infeasible, text
    if ms in (S.kUnbounded, S.kUnboundedOrInfeasible):
        return Status.unbounded, text
    if ms == S.kTimeLimit:
        return Status.time_limit, text
    return Status.error, text


def solution_of(h: Any, status: Status, text: str) -> LPSolution:
    """Read the solution of a solved Highs instance (NaN objective unless a solution exists)."""
    sol = h.getSolution()
    info = h.getInfo()
    has_point = status == Status.optimal or (status == Status.time_limit and int(info.primal_solution_status) == 2)
    obj = float(info.objective_function_value) if has_point else math.nan
    x = np.asarray(sol.col_value, dtype=float)
    if not has_point:
        x = np.full(len(x), math.nan)
    gap = float(info.mip_gap) if h.getLp().integrality_ else math.nan
    return LPSolution(
        status=status,
        objective=obj,
        x=x,
        row_activity=np.asarray(sol.row_value, dtype=float),
        row_dual=np.asarray(sol.row_dual, dtype=float),
        col_dual=np.asarray(sol.col_dual, dtype=float),
        highs_status=text,
        mip_gap=gap,
    )


def solve_lp(lp: LP, what: str = "linear programme", *, time_limit: float | None = None,
             mip_rel_gap: float | None = None) -> LPSolution:
    """Solve ``lp`` with HiGHS and return primal and dual values.

    Parameters
    ----------
    lp
        The programme.
    what
        What it is, for error messages ("allocation", "suppression MIP").
    time_limit
        Wall-clock limit in seconds (none by default).  When it is hit the status is
        :attr:`Status.time_limit` and, for a MIP, ``x`` holds the best solution found
        (see :attr:`LPSolution.has_solution`).
    mip_rel_gap
        Relative optimality gap at which branch and bound stops (HiGHS default 1e-4).

    Infeasible, unbounded and time-limited outcomes are returned with their status (the
    callers explain them); any other failure raises :class:`SolverError` naming ``what``.
    """
    h = load_lp(lp)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if mip_rel_gap is not None:
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.run()
    status, text = status_of(h)
    if status == Status.error:
        raise SolverError(f"HiGHS could not solve the {what}: model status '{text}'")
    return solution_of(h, status, text)
