"""The outcome of one solve, as an enum shared by every capability that solves LPs or MIPs."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Status"]


class Status(StrEnum):
    """Outcome of a solve.

    ``time_limit`` means the solver stopped at its time limit; for a MIP the returned
    solution is the best feasible one found (if any, see :attr:`LPSolution.has_solution`).
    """

    optimal = "optimal"
    infeasible = "infeasible"
    unbounded = "unbounded"
    time_limit = "time_limit"
    error = "error"
