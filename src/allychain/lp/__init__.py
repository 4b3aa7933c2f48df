"""The thin HiGHS layer every capability that solves linear or mixed-integer programmes shares.

build → solve → typed result: a capability builds an :class:`LP` from numpy/scipy arrays
(``min c·x  s.t.  row_lo ≤ A x ≤ row_hi,  col_lo ≤ x ≤ col_hi``, some columns optionally
integer), :func:`solve_lp` solves it and returns an :class:`LPSolution` whose
:class:`Status` says what happened.  ``highspy`` (the ``[optimize]`` extra) is imported
lazily, on the first solve.  For repeated re-solves of one model with changed bounds,
:func:`load_lp` returns the loaded ``highspy.Highs`` instance and :func:`status_of` /
:func:`solution_of` read it back.

Used by :mod:`allychain.optimize` and :mod:`allychain.disclosure`; it imports nothing of
allychain but :mod:`allychain.errors`.
"""

from allychain.lp.solver import (
    INF,
    LP,
    LPSolution,
    highs,
    load_lp,
    new_highs,
    rerun,
    solution_of,
    solve_lp,
    status_of,
)
from allychain.lp.status import Status

__all__ = ["INF", "LP", "LPSolution", "Status", "highs", "load_lp", "new_highs", "rerun", "solution_of",
           "solve_lp", "status_of"]
