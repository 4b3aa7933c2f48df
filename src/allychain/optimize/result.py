"""Typed results of the decision models.

Every optimisation returns a :class:`Result`: a :class:`Status`, the objective value,
named solution tables (pandas DataFrames) and a message in words.  A model that has
no solution raises :class:`~allychain.errors.InfeasibleError` with the conflicting
constraints named; a solver failure raises :class:`~allychain.errors.SolverError`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from allychain.lp.status import Status

__all__ = ["Status", "Result"]


@dataclass(frozen=True)
class Result:
    """Outcome of a decision model.

    Parameters
    ----------
    kind
        Which model: ``"tts"``, ``"tts-montecarlo"``, ``"allocation"``, ``"stockpile"``.
    status
        :class:`Status` of the (last) solve.
    objective
        Objective value in the model's unit (see ``meta["objective_unit"]``), NaN
        where the model has none.
    solution
        Named result tables; the first one is the main table.
    message
        One or two sentences for a person: what was solved, what binds.
    meta
        Parameters and figures that describe the run (plain JSON-able values).
    """

    kind: str
    status: Status
    objective: float
    solution: Mapping[str, pd.DataFrame]
    message: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> pd.DataFrame:
        """The main solution table."""
        return next(iter(self.solution.values()))

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.solution[name]
        except KeyError:
            raise KeyError(f"no table {name!r}; tables: {', '.join(self.solution)}") from None

    @property
    def ok(self) -> bool:
        return self.status == Status.optimal

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: status, objective, message, meta and every table.

        Missing values become ``None``; an infinite value (e.g. a time to survive
        when the rest of the network covers demand indefinitely) becomes the string
        ``"inf"`` — JSON has no infinity.
        """
        obj = self.objective
        return {
            "kind": self.kind,
            "status": self.status.value,
            "objective": None if obj is None or (isinstance(obj, float) and math.isnan(obj)) else _finite(obj),
            "message": self.message,
            "meta": _finite(dict(self.meta)),
            **{name: _records(df) for name, df in self.solution.items()},
        }

    def __repr__(self) -> str:
        tables = ", ".join(f"{k}[{len(v)}]" for k, v in self.solution.items())
        return f"Result({self.kind}, {self.status.value}, objective={self.objective:.6g}, tables: {tables})"


def _finite(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if hasattr(v, "dtype") and getattr(v, "shape", None) == () and isinstance(v.item(), float):
        return _finite(v.item())
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict("records"):
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                row[str(k)] = None
            else:
                row[str(k)] = _finite(v.item() if hasattr(v, "item") and not isinstance(v, str) else v)
        out.append(row)
    return out
