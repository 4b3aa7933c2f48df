"""Energy dependency and carbon intensity per item and per member: which grids the chain's fabs and
energy-hungry materials steps run on, how reliable and how carbon-intensive they are.

Both functions take the network (country shares, from :func:`allychain.model.views.share_snapshot`) and
the energy tables; nothing here reads files.  A figure a grid lacks stays ``NaN`` and the rows say which
measures are *not covered*; shares of output on grids without a figure are not counted as clean or dirty.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from allychain.energy.dataset import EnergyTables
from allychain.energy.profile import supply_profile
from allychain.model.members import is_iso3, resolve_members
from allychain.model.network import Network
from allychain.model.views import share_snapshot

__all__ = ["ENERGY_ITEMS", "FAB_STAGE", "GRID_COLUMNS", "IMPORT_COLUMNS", "default_items", "energy_profile",
           "foreign_grids", "item_exposure", "member_fabs"]

#: the stage whose items are made in fabs
FAB_STAGE = "fabrication"
#: energy-hungry materials steps reported besides the fab items (where the network has them)
ENERGY_ITEMS: tuple[str, ...] = ("polysilicon", "silicon-wafers", "silicon-metal", "electronic-gases", "neon")
#: the grid measures carried into the results
GRID_COLUMNS: tuple[str, ...] = ("carbon_intensity", "share_carbon_free", "saidi", "saifi")


def _intensity(tables: EnergyTables) -> pd.DataFrame:
    """Per item (and country, '' = any) the latest known kWh per unit, its unit and source."""
    t = tables.intensity
    known = t[t["value"].notna()].sort_values(["item_id", "country", "year"])
    return known.drop_duplicates(["item_id", "country"], keep="last")


def _kwh(table: pd.DataFrame, item: str, country: str = "") -> tuple[float, str, str]:
    rows = table[(table["item_id"] == item) & table["country"].isin([country, ""])]
    if rows.empty:
        return np.nan, "", ""
    r = rows.sort_values("country", ascending=False).iloc[0]  # the country's own figure first
    return float(r["value"]), str(r["unit"]), f"{r['provider'] or r['country'] or 'industry'} {r['year']}"


def _not_covered(row: pd.Series, columns: Iterable[str]) -> str:
    missing = [c for c in columns if pd.isna(row.get(c))]
    return "covered" if not missing else "not covered: " + ", ".join(missing)


def default_items(n: Network) -> list[str]:
    """The fab items (stage ``fabrication`` with a share row) and the energy-hungry materials of the network."""
    it = n.items
    fab = it.loc[it["stage_id"] == FAB_STAGE, "item_id"].tolist()
    with_shares = set(n.shares["item_id"])
    return [i for i in fab if i in with_shares] + [i for i in ENERGY_ITEMS if i in set(it["item_id"])]


def item_exposure(n: Network, tables: EnergyTables, items: Iterable[str] | None = None,
                  year: int | None = None, exclude: Iterable[str] = ()) -> pd.DataFrame:
    """Per item: the grids its output comes from, their share-weighted carbon intensity and carbon-free
    share, the largest single grid and its reliability, and electricity per unit.

    Weights are the known country shares of the item (percent); a weighted figure is over the output whose
    grid has that figure, and ``<measure>_covered`` says how much of the known output that is (percent).
    ``top_grid`` is the country with the largest share: a region's fabs on one grid.  ``exclude`` leaves
    countries out (say the members, for the grids their imports run on).

    Returns
    -------
    DataFrame, one row per item: item_id, name, stage_id, known_share, top_grid, top_grid_share, grids
    (``KOR 58 %; …``), carbon_intensity (gCO2e/kWh), carbon_intensity_covered, carbon_intensity_basis (the
    bases averaged: ``direct+lifecycle`` says the mean mixes figures counted differently), share_carbon_free,
    share_carbon_free_covered, top_grid_saidi, top_grid_saidi_basis, top_grid_saifi, kwh_per_unit,
    kwh_unit, kwh_source, status.
    """
    items = list(items) if items is not None else default_items(n)
    snap = share_snapshot(n, "country", year=year, prefer_known=True)
    snap = snap[snap["item_id"].isin(items) & snap["share"].notna() & (snap["share"] > 0)
                & ~snap["provider_id"].isin(list(exclude))]
    countries = sorted(c for c in snap["provider_id"].unique() if is_iso3(c) or c == "EUR")
    prof = supply_profile(tables, countries)
    kwh = _intensity(tables)
    names = n.items.set_index("item_id")
    rows = []
    for item in items:
        s = snap[snap["item_id"] == item].sort_values("share", ascending=False)
        w = s.set_index("provider_id")["share"].astype(float)
        rec: dict[str, object] = {"item_id": item, "name": names["name"].get(item, item),
                                  "stage_id": names["stage_id"].get(item), "known_share": float(w.sum()) if len(w)
                                  else np.nan}
        rec["top_grid"] = str(w.index[0]) if len(w) else None
        rec["top_grid_share"] = float(w.iloc[0]) if len(w) else np.nan
        rec["grids"] = "; ".join(f"{c} {v:.0f} %" for c, v in w.items())
        for m in ("carbon_intensity", "share_carbon_free"):
            vals = prof[m].reindex(w.index) if len(w) else pd.Series(dtype=float)
            ok = vals.notna()
            covered = float(w[ok].sum())
            rec[m] = float((vals[ok] * w[ok]).sum() / covered) if covered > 0 else np.nan
            rec[f"{m}_covered"] = 100.0 * covered / float(w.sum()) if len(w) and w.sum() > 0 else np.nan
        bases = prof["carbon_intensity_basis"].reindex(w.index).dropna() if len(w) else pd.Series(dtype=str)
        rec["carbon_intensity_basis"] = "+".join(sorted(set(bases))) or None  # mixed bases: not comparable
        top = rec["top_grid"]
        for m in ("saidi", "saifi"):
            rec[f"top_grid_{m}"] = float(prof.at[top, m]) if top in prof.index else np.nan
            rec[f"top_grid_{m}_basis"] = prof.at[top, f"{m}_basis"] if top in prof.index else None
        rec["kwh_per_unit"], rec["kwh_unit"], rec["kwh_source"] = _kwh(kwh, item, str(top or ""))
        rows.append(rec)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["status"] = out.apply(lambda r: "no known shares" if pd.isna(r["known_share"]) else _not_covered(
        r, ("carbon_intensity", "share_carbon_free", "top_grid_saidi", "kwh_per_unit")), axis=1)
    return out


def member_fabs(n: Network, tables: EnergyTables, members: str | Iterable[str], year: int | None = None
                ) -> pd.DataFrame:
    """Each member's energy dependency for its fabs: per member and fab item it makes, its share of world
    output and the grid it runs on (the member's), with that grid's carbon intensity, carbon-free share,
    SAIDI and SAIFI (each with basis and year), electricity per unit where known, and the member's energy
    cooperation agreements.

    A member with no fab output in the data gets one row with ``item_id`` None (it depends on others' fabs;
    see :func:`item_exposure`).  Firm members run on the grid of their provider country.

    Returns
    -------
    DataFrame: member, grid, item_id, name, share (percent of world output), the columns of
    :data:`GRID_COLUMNS` with ``_basis`` and ``_year``, kwh_per_unit, kwh_unit, agreements, status.
    """
    ms = resolve_members(members, n)
    country_of = n.providers.set_index("provider_id")["country"]
    grid = {m: (m if is_iso3(m) else str(country_of.get(m) or "")) for m in ms}
    prof = supply_profile(tables, sorted({g for g in grid.values() if g}))
    fab = set(n.items.loc[n.items["stage_id"] == FAB_STAGE, "item_id"])
    snap = share_snapshot(n, "country", year=year, prefer_known=True)
    firm = share_snapshot(n, "firm", year=year, prefer_known=True)
    kwh = _intensity(tables)
    coop = tables.cooperation
    rows = []
    for m in ms:
        g = grid[m]
        s = (snap if is_iso3(m) else firm)
        s = s[(s["provider_id"] == m) & s["item_id"].isin(fab) & s["share"].notna() & (s["share"] > 0)]
        agreements = "; ".join(coop.loc[coop["parties"].map(lambda p, g=g: g in p), "agreement_id"])
        base: dict[str, object] = {"member": m, "grid": g or None, "agreements": agreements}
        for c in GRID_COLUMNS:
            has = g in prof.index
            base[c] = float(prof.at[g, c]) if has else np.nan
            base[f"{c}_basis"] = prof.at[g, f"{c}_basis"] if has else None
            base[f"{c}_year"] = prof.at[g, f"{c}_year"] if has else None
        items = s.sort_values("share", ascending=False)
        if items.empty:
            rows.append({**base, "item_id": None, "name": None, "share": np.nan, "kwh_per_unit": np.nan,
                         "kwh_unit": ""})
        for _, r in items.iterrows():
            v, unit, _src = _kwh(kwh, r["item_id"], g)
            rows.append({**base, "item_id": r["item_id"], "name": n.items.set_index("item_id")["name"].get(
                r["item_id"], r["item_id"]), "share": float(r["share"]), "kwh_per_unit": v, "kwh_unit": unit})
    out = pd.DataFrame(rows)
    out["status"] = out.apply(lambda r: "no fab output in the data; grid " + _not_covered(r, GRID_COLUMNS)
                              if pd.isna(r["item_id"]) else _not_covered(r, (*GRID_COLUMNS, "kwh_per_unit")), axis=1)
    return out



def energy_profile(n: Network, tables: EnergyTables, members: str | Iterable[str],
                   year: int | None = None) -> dict[str, pd.DataFrame]:
    """Everything the ``energy profile`` command, the REST API and the briefing pack show.

    Returns
    -------
    dict of tables: ``members`` (:func:`member_fabs`), ``items`` (:func:`item_exposure` of the fab items and
    energy-hungry materials), ``grids`` (:func:`~allychain.energy.supply_profile` of the members' grids and
    of every country making those items, members first), ``cooperation`` (the agreements a member's country
    is party to; ``parties`` as ``KOR;NLD``, ``signed`` as an ISO date) and ``sources`` (the sources cited by those rows).
    """
    fabs = member_fabs(n, tables, members, year=year)
    items = item_exposure(n, tables, year=year)
    own = [g for g in dict.fromkeys(fabs["grid"].dropna()) if g]
    producing = [p.split(" ")[0] for g in items.get("grids", pd.Series(dtype=str)) for p in str(g).split("; ") if p]
    countries = list(dict.fromkeys([*own, *[c for c in producing if is_iso3(c) or c == "EUR"]]))
    grids = supply_profile(tables, countries)
    coop = tables.cooperation[tables.cooperation["parties"].map(lambda p: bool(set(p) & set(own)))]
    cited: set[str] = set(coop["source_id"])
    for m in ("share_fossil", "share_nuclear", "share_renewables", "share_carbon_free", "carbon_intensity",
              "saidi", "saifi"):
        cited |= {s for v in grids[f"{m}_source"].dropna() for s in str(v).split(";")}
    cited |= set(tables.intensity.loc[tables.intensity["value"].notna(), "source_id"])
    src = tables.sources[tables.sources["source_id"].isin(cited)].reset_index(drop=True)
    coop = coop.assign(parties=coop["parties"].map(";".join), signed=coop["signed"].map(lambda d: d.isoformat()))
    return {"members": fabs, "items": items, "grids": grids.reset_index(), "cooperation": coop.reset_index(drop=True),
            "sources": src}


#: the columns of :func:`foreign_grids`
IMPORT_COLUMNS = ["item_id", "item_name", "tier", "foreign_share", "critical", "grids", "top_grid", "top_grid_share",
                  "carbon_intensity", "carbon_intensity_covered", "carbon_intensity_basis", "share_carbon_free",
                  "top_grid_saidi", "top_grid_saidi_basis", "top_grid_saifi", "kwh_per_unit", "kwh_unit", "status"]


def foreign_grids(n: Network, tables: EnergyTables, deps: pd.DataFrame, members: Iterable[str],
                  year: int | None = None) -> pd.DataFrame:
    """Per item the members need from outside: the foreign grids it runs on.

    ``deps`` is a dependency table (columns item_id, item_name, tier, status, foreign_share, critical — as
    :func:`allychain.analysis.dependencies` gives it; this function only reads it).  One row per assessed
    dependency with a foreign share, largest first, with the grid columns of :func:`item_exposure` computed
    over the non-member countries only (:data:`IMPORT_COLUMNS`).
    """
    ms = list(members)
    deps = deps[(deps["status"] == "assessed") & (deps["foreign_share"].fillna(0) > 0)]
    if deps.empty:
        return pd.DataFrame(columns=IMPORT_COLUMNS)
    exp = item_exposure(n, tables, deps["item_id"].tolist(), year=year, exclude=ms)
    out = deps[["item_id", "item_name", "tier", "foreign_share", "critical"]].merge(
        exp.drop(columns=["name", "stage_id", "known_share"]), on="item_id", how="left")
    return out.sort_values("foreign_share", ascending=False, kind="stable")[IMPORT_COLUMNS].reset_index(drop=True)
