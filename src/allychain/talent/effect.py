"""The effect of programmes on the gap: the projection with and without them, side by side."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from allychain.talent.stockflow import Programme, project

__all__ = ["programme_effect"]


def programme_effect(table: pd.DataFrame, programmes: Sequence[Programme], *,
                     countries: Iterable[str] | None = None, until: int | None = None) -> pd.DataFrame:
    """Gap per country, level and year without and with ``programmes``.

    Returns
    -------
    DataFrame
        country, level, year, demand, stock, gap (persons, without the programmes),
        stock_with, gap_with (persons, with them), closed = gap − gap_with (persons).
    """
    wanted = list(countries) if countries is not None else None
    without = project(table, countries=wanted, until=until).series
    last = int(without["year"].max())
    with_ = project(table, countries=wanted, until=last, programmes=programmes).series
    keys = ["country", "level", "year"]
    out = without[[*keys, "demand", "stock", "gap"]].merge(
        with_[[*keys, "stock", "gap"]].rename(columns={"stock": "stock_with", "gap": "gap_with"}), on=keys)
    out["closed"] = out["gap"] - out["gap_with"]
    return out
