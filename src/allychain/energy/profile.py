"""Each country's electricity supply in one row: the latest figure of each measure, with its year and basis.

Sources differ in how they count (outage durations with or without major events, carbon
intensity over the life cycle or as combustion CO2 per kWh sold), so every figure travels with
its ``basis``; figures of different bases are not comparable and the profile never mixes them.
A measure without a figure stays ``NaN`` (*not covered*).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from allychain.energy.dataset import REGIONS, EnergyTables
from allychain.errors import UnknownMemberError
from allychain.model.members import is_iso3

__all__ = ["MEASURES", "supply_profile"]

#: the measures of a profile, each with its order of preferred bases (the first one with a figure wins)
MEASURES: dict[str, tuple[str, ...]] = {
    "share_fossil": ("all",),
    "share_nuclear": ("all",),
    "share_renewables": ("all",),
    "share_carbon_free": ("all",),
    "carbon_intensity": ("lifecycle", "direct", "all"),
    "saidi": ("all", "unplanned", "excl_major_events"),
    "saifi": ("all", "unplanned", "excl_major_events"),
}


def _latest(supply: pd.DataFrame, measure: str, bases: tuple[str, ...]) -> pd.DataFrame:
    """Per country the latest year with a figure of ``measure``, the preferred basis within that year."""
    rows = supply[(supply["measure"] == measure) & supply["value"].notna() & supply["basis"].isin(bases)]
    rank = rows["basis"].map({b: i for i, b in enumerate(bases)})
    rows = rows.assign(_rank=rank).sort_values(["country", "year", "_rank"], ascending=[True, False, True])
    return rows.drop_duplicates("country").set_index("country")


def supply_profile(tables: EnergyTables, countries: Iterable[str] | None = None) -> pd.DataFrame:
    """One row per country: the latest generation shares, carbon intensity, SAIDI and SAIFI.

    Parameters
    ----------
    tables
        The energy tables (:func:`~allychain.energy.load_builtin` or your own).
    countries
        ISO alpha-3 codes (or ``EUR``) to show, in this order; a country without rows gets a row
        of ``NaN`` (not covered).  ``None``: every country of the supply table.

    Returns
    -------
    DataFrame indexed by country with, per measure of :data:`MEASURES`, the value and its
    ``<measure>_year``, ``<measure>_basis`` and ``<measure>_source``; ``share_carbon_free`` is
    nuclear + renewables of the same year where no source states it (``carbon_free_derived`` True).
    ``covered`` counts the measures with a figure.

    Raises
    ------
    UnknownMemberError
        For a code that is neither ISO 3166 alpha-3 nor ``EUR``.

    Examples
    --------
    >>> from allychain.energy import load_builtin
    >>> p = supply_profile(load_builtin(), ["DEU", "PRT"])
    >>> float(p.loc["DEU", "saidi"]), p.loc["DEU", "saidi_basis"], bool(np.isnan(p.loc["PRT", "saidi"]))
    (12.2, 'unplanned', True)
    """
    supply = tables.supply
    if countries is None:
        order = sorted(supply["country"].unique())
    else:
        order = list(dict.fromkeys(countries))
        unknown = [c for c in order if c not in REGIONS and not is_iso3(c)]
        if unknown:
            raise UnknownMemberError(f"unknown country code(s): {', '.join(unknown)}; expected ISO 3166 alpha-3 "
                                     "codes (KOR, NLD, USA …) or EUR for the European Union")
    out = pd.DataFrame(index=pd.Index(order, name="country"))
    for measure, bases in MEASURES.items():
        got = _latest(supply, measure, bases).reindex(order)
        out[measure] = got["value"].astype(float)
        out[f"{measure}_year"] = got["year"].astype("Int64")
        out[f"{measure}_basis"] = got["basis"]
        out[f"{measure}_source"] = got["source_id"]
    out["carbon_free_derived"] = False
    nuc = _latest(supply, "share_nuclear", ("all",)).reindex(order)
    ren = _latest(supply, "share_renewables", ("all",)).reindex(order)
    can = out["share_carbon_free"].isna() & nuc["value"].notna() & ren["value"].notna() & (nuc["year"] == ren["year"])
    out.loc[can, "share_carbon_free"] = (nuc["value"] + ren["value"])[can]
    out.loc[can, "share_carbon_free_year"] = nuc["year"][can].astype("Int64")
    out.loc[can, "share_carbon_free_basis"] = "all"
    out.loc[can, "share_carbon_free_source"] = nuc["source_id"][can] + ";" + ren["source_id"][can]
    out.loc[can, "carbon_free_derived"] = True
    out["covered"] = np.isfinite(out[list(MEASURES)].to_numpy(dtype=float)).sum(axis=1)
    return out
