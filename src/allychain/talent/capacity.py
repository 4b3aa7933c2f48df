"""Demand from capacity: workers per unit of capacity by stage.

``demand(country, level, year) = Σ_stage capacity(country, stage, year) × intensity(stage, level)``

so that new fabs (in the data or a scenario's capacity path) raise the workforce demand.  A
country-year with capacity at a stage that has no intensity is not assessable: it gets no
demand row and is listed in the second result, never counted as needing no workers.
"""

from __future__ import annotations

import pandas as pd

from allychain.errors import DataError, Problem

__all__ = ["demand_from_capacity"]


def demand_from_capacity(capacity: pd.DataFrame, intensity: pd.DataFrame, *,
                         source_id: str = "capacity") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Workforce demand rows from capacity and workers per unit of capacity.

    Parameters
    ----------
    capacity
        Columns country, stage, year, capacity (units of capacity, e.g. wafer starts per month).
    intensity
        Columns stage, level, workers_per_unit (persons per unit of capacity, in the same unit).
    source_id
        Source id written into the rows.

    Returns
    -------
    (rows, uncovered)
        ``rows``: workforce rows (flow ``demand``, unit ``persons``) for every country, level and
        year whose stages all have an intensity; ``uncovered``: country, stage, year with capacity
        but no intensity (those country-years get no demand).

    Raises
    ------
    DataError
        Negative capacity or intensity, or missing columns.
    """
    for df, cols, name in ((capacity, ("country", "stage", "year", "capacity"), "capacity"),
                           (intensity, ("stage", "level", "workers_per_unit"), "intensity")):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise DataError(Problem(f"missing column(s): {', '.join(missing)}", file=name,
                                    expected=", ".join(cols)))
        col = cols[-1]
        neg = df.index[pd.to_numeric(df[col], errors="coerce") < 0]
        if len(neg):
            raise DataError([Problem("negative value", file=name, row=int(i) + 2, column=col,
                                     value=df.at[i, col], expected="a number >= 0") for i in neg])
    known = set(intensity["stage"])
    uncovered = capacity[~capacity["stage"].isin(known)][["country", "stage", "year"]]
    bad = set(zip(uncovered["country"], uncovered["year"], strict=True))
    ok = capacity[[(c, y) not in bad for c, y in zip(capacity["country"], capacity["year"], strict=True)]]
    joined = ok.merge(intensity, on="stage")
    joined["value"] = joined["capacity"].astype(float) * joined["workers_per_unit"].astype(float)
    rows = joined.groupby(["country", "level", "year"], as_index=False)["value"].sum()
    rows = rows.assign(flow="demand", unit="persons", source_id=source_id, confidence="low",
                       note="demand from capacity x workers per unit of capacity")
    return rows, uncovered.reset_index(drop=True)
