"""Sensitivity of the gap to each flow: one-at-a-time elasticities.

Each input the parameters cover (the base stock, demand, every flow and rate) is scaled by
``1 + step`` alone; the change of the gap in the target year gives

.. math::  \\varepsilon_f = \\frac{\\Delta \\text{gap} / \\text{gap}}{\\text{step}}

(``NaN`` where the gap is zero or not assessable) and ``change`` = Δgap in persons.
Inputs the parameters do not cover are listed with ``covered = False`` and no numbers:
not covered is not "no effect".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from allychain.talent.params import ANNUAL, RATES
from allychain.talent.stockflow import Programme, project

__all__ = ["sensitivity", "INPUTS"]

INPUTS: tuple[str, ...] = ("stock", "demand", "graduates", "entry_share", *ANNUAL[1:], *RATES)


def sensitivity(table: pd.DataFrame, *, countries: Iterable[str] | None = None, until: int | None = None,
                programmes: Sequence[Programme] = (), step: float = 0.1) -> pd.DataFrame:
    """One-at-a-time sensitivity of the gap in the last year to each input.

    Returns
    -------
    DataFrame
        country, level, year, input, covered, gap (persons), change (persons, for the input
        scaled by ``1 + step``), elasticity (dimensionless).
    """
    wanted = list(countries) if countries is not None else None
    base = project(table, countries=wanted, until=until, programmes=programmes)
    last = int(base.series["year"].max())
    ref = base.at(last).set_index(["country", "level"])["gap"]
    cov = base.coverage.set_index(["country", "level", "flow"])["covered"]
    out = []
    for name in INPUTS:
        run = project(table, countries=wanted, until=last, programmes=programmes, scale={name: 1.0 + step})
        gap = run.at(last).set_index(["country", "level"])["gap"].reindex(ref.index)
        for (country, level), g0 in ref.items():
            covered = True if name == "stock" else bool(cov.get((country, level, name), False))
            change = float(gap[(country, level)] - g0) if covered else np.nan
            elastic = change / g0 / step if covered and g0 == g0 and g0 != 0 else np.nan
            out.append({"country": country, "level": level, "year": last, "input": name, "covered": covered,
                        "gap": g0, "change": change, "elasticity": elastic})
    return pd.DataFrame(out)
