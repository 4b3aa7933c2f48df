"""Thin helpers around :mod:`highspy`: a quiet solver, a model from sparse arrays, statuses.

Everything that touches HiGHS directly lives here, so the modelling modules work on
plain numpy/scipy arrays.  ``highspy`` is imported lazily (it is in the ``[optimize]``
extra, not the core install).
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
from allychain.optimize.result import Status

__all__ = ["LP", "LPSolution", "highs", "new_highs", "load_lp", "solve_lp", "status_of", "INF"]

INF = math.inf
_banner_silenced = False


def highs() -> Any:
    """The :mod:`highspy` module, or an error that says how to install it."""
    try:
        import highspy
    except ImportError:  # pragma: no cover - depends on the install
        raise AllychainError(
            "the optimisation commands need the HiGHS solver; install it with: pip install 'allychain[optimize]'"
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
    ``sense`` is ``"min"`` or ``"max"``.
    """

    c: np.ndarray
    A: sp.spmatrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    sense: str = "min"

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
    h.passModel(m)
    return h


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
    return Status.error, text


def solution_of(h: Any, status: Status, text: str) -> LPSolution:
    sol = h.getSolution()
    obj = float(h.getInfo().objective_function_value) if status == Status.optimal else math.nan
    return LPSolution(
        status=status,
        objective=obj,
        x=np.asarray(sol.col_value, dtype=float),
        row_activity=np.asarray(sol.row_value, dtype=float),
        row_dual=np.asarray(sol.row_dual, dtype=float),
        col_dual=np.asarray(sol.col_dual, dtype=float),
        highs_status=text,
    )


def solve_lp(lp: LP, what: str = "linear programme") -> LPSolution:
    """Solve ``lp`` with HiGHS and return primal and dual values.

    Infeasible and unbounded outcomes are returned with their status (the callers
    explain them); any other failure raises :class:`SolverError` naming ``what``.
    """
    h = load_lp(lp)
    h.run()
    status, text = status_of(h)
    if status == Status.error:
        raise SolverError(f"HiGHS could not solve the {what}: model status '{text}'")
    return solution_of(h, status, text)
