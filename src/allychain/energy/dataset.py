"""The energy tables: electricity per unit of output, each country's supply, the alliance's cooperation.

The tables' columns, accepted values and ranges are data (``schema/energy.csv``, components
``intensity``, ``supply`` and ``cooperation``); the built-in rows live in ``energy/tables/`` and
cite the public sources of ``energy/tables/sources.csv``.  :func:`validated` is the boundary
tier: every problem found is reported at once, each naming its file, row (the line in the
file), column and value, as :class:`~allychain.errors.DataError` does everywhere in allychain.

A row may keep its value empty: the item or country is in scope, but no figure with a public
source is known.  Such a value stays ``NaN`` (*not covered*), never 0; a row with a value must
cite its source and confidence.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from allychain import schema
from allychain.errors import DataError, Problem
from allychain.model.columns import read_text_table as read_table
from allychain.model.members import is_iso3

__all__ = ["EnergyTables", "TABLES", "SHARE_PARTS", "UNITS", "REGIONS", "load_builtin", "builtin_sources",
           "read_table", "check_table", "check_sources", "validated", "from_frames", "extend"]

log = logging.getLogger(__name__)

#: the tables of the energy capability, in schema order
TABLES: tuple[str, ...] = schema.ENERGY
#: region codes accepted besides ISO 3166 alpha-3 country codes
REGIONS: dict[str, str] = {"EUR": "European Union (EU-27)"}
#: generation shares that do not overlap: their sum per country, year and basis is at most 100 %
SHARE_PARTS: tuple[str, ...] = ("share_coal", "share_gas", "share_oil", "share_nuclear", "share_hydro",
                                "share_wind", "share_solar", "share_bioenergy")
#: the unit each supply measure is given in
UNITS: dict[str, str] = {
    **{m: "percent" for r in schema.rules("supply") if r.name == "measure" for m in r.allowed
       if m.startswith("share_")},
    "carbon_intensity": "gCO2e/kWh", "saifi": "interruptions/customer/year", "saidi": "minutes/customer/year"}
_MAX_LISTED = 50
_SUM_TOLERANCE = 1.0  # percentage points of rounding allowed in a sum of stated shares
_SIGNED_MIN, _SIGNED_MAX = 1950, 2100


@dataclass(frozen=True)
class EnergyTables:
    """The energy tables, validated and typed (``year`` int, ``value`` float, NaN = not covered).

    Attributes
    ----------
    intensity
        Electricity per unit of output: item_id, country, provider, year, value, unit, source_id,
        confidence, note.
    supply
        Each country's supply: country, measure, year, basis, value, unit, source_id, confidence, note.
    cooperation
        Energy agreements: agreement_id, parties (a tuple of codes), signatories, kind, instrument,
        signed (a date), title, scope, source_id, confidence, note.
    sources
        The public sources cited: source_id, title, publisher, year, url, note.
    """

    intensity: pd.DataFrame
    supply: pd.DataFrame
    cooperation: pd.DataFrame
    sources: pd.DataFrame


def _csv(name: str) -> str:
    return resources.files("allychain.energy").joinpath(f"tables/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def builtin_sources() -> pd.DataFrame:
    """The public sources of the built-in rows (source_id, title, publisher, year, url, note)."""
    return pd.DataFrame(list(csv.DictReader(_csv("sources.csv").splitlines())))


@lru_cache(maxsize=1)
def load_builtin() -> EnergyTables:
    """The built-in energy tables, validated (see :func:`validated`).

    >>> from allychain.energy import load_builtin
    >>> t = load_builtin()
    >>> t.supply.query("country == 'DEU' and measure == 'saidi'")["value"].item()
    12.2
    """
    src = builtin_sources()
    frames = {name: read_table(_csv(f"{name}.csv")) for name in TABLES}
    return from_frames(frames, src, {name: f"energy/tables/{name}.csv" for name in TABLES})


def from_frames(frames: dict[str, pd.DataFrame], sources: pd.DataFrame,
                files: dict[str, str] | None = None) -> EnergyTables:
    """:class:`EnergyTables` from raw tables (strings, as :func:`read_table` gives them).

    Every problem of every table is collected before raising one :class:`DataError`.
    """
    files = files or {}
    problems: list[Problem] = []
    for name in TABLES:
        problems += check_table(name, frames[name], files.get(name), sources["source_id"])
    if problems:
        raise DataError(problems)
    typed = {name: _typed(name, frames[name]) for name in TABLES}
    return EnergyTables(typed["intensity"], typed["supply"], typed["cooperation"], sources.reset_index(drop=True))


def _listed(mask: pd.Series, df: pd.DataFrame, file: str | None, column: str, msg: str,
            expected: str) -> list[Problem]:
    idx = mask[mask].index
    out = [Problem(msg, file=file, row=int(df.at[i, "_line"]), column=column, value=df.at[i, column],
                   expected=expected) for i in idx[:_MAX_LISTED]]
    if len(idx) > _MAX_LISTED:
        out.append(Problem(f"{msg}: {len(idx) - _MAX_LISTED} more rows", file=file, column=column,
                           omitted=len(idx) - _MAX_LISTED))
    return out


def _rule_problems(name: str, df: pd.DataFrame, file: str | None) -> list[Problem]:
    out: list[Problem] = []
    for c in schema.required(name):
        out += _listed(df[c].str.strip() == "", df, file, c, "required value is empty", f"a {c}")
    for rule in schema.rules(name):
        col = df[rule.name]
        bad = pd.Series(False, index=df.index)
        if rule.allowed:
            bad |= (col != "") & ~col.isin(rule.allowed)
        if rule.pattern:
            bad |= (col != "") & ~col.str.fullmatch(rule.pattern)
        out += _listed(bad, df, file, rule.name, f"not an accepted value of {rule.name}",
                       " | ".join(rule.allowed) if rule.allowed else f"text matching {rule.pattern}")
    return out


def _known_code(code: str) -> bool:
    return code in REGIONS or is_iso3(code)


def _country_problems(df: pd.DataFrame, file: str | None, column: str) -> list[Problem]:
    col = df[column]
    if column == "parties":
        bad = col.map(lambda v: v != "" and not all(_known_code(c) for c in v.split(";")))
    else:
        bad = col.map(lambda v: v != "" and not _known_code(v))
    return _listed(bad.astype(bool), df, file, column, "unknown country",
                   "an ISO 3166 alpha-3 country code (KOR, NLD, USA …) or EUR for the European Union")


def _number_problems(name: str, df: pd.DataFrame, file: str | None) -> list[Problem]:
    rule = {r.name: r for r in schema.rules(name)}["year"]
    lo, hi = int(rule.min or 2000), int(rule.max or 2100)
    year = pd.to_numeric(df["year"], errors="coerce")
    value = pd.to_numeric(df["value"], errors="coerce")
    filled_v = df["value"] != ""
    out = _listed((df["year"] != "") & ((year != year.round()) | ~year.between(lo, hi)), df, file, "year",
                  "year out of range", f"a whole year from {lo} to {hi}")
    out += _listed(filled_v & ~np.isfinite(value.fillna(np.nan)), df, file, "value", "value is not a number",
                   "a finite number, or empty where not covered")
    out += _listed(value < 0, df, file, "value", "negative value", "a number >= 0")
    for c in ("source_id", "confidence"):
        out += _listed(filled_v & (df[c].str.strip() == ""), df, file, c,
                       "a row with a value must cite its source and confidence", f"a {c}")
    if name == "supply":
        share = df["measure"].str.startswith("share_")
        out += _listed(share & (value > 100), df, file, "value", "share above 100 %",
                       "a percentage from 0 to 100")
        known = df["measure"].isin(list(UNITS)) & (df["unit"] != "")
        unit_bad = known & (df["unit"] != df["measure"].map(UNITS))
        for measure in df.loc[unit_bad, "measure"].unique():
            out += _listed(unit_bad & (df["measure"] == measure), df, file, "unit",
                           f"wrong unit for measure {measure}", UNITS[measure])
    return out


def _share_sum_problems(df: pd.DataFrame, file: str | None) -> list[Problem]:
    value = pd.to_numeric(df["value"], errors="coerce")
    parts = df.assign(_v=value)[df["measure"].isin(SHARE_PARTS) & value.notna()]
    out: list[Problem] = []
    for (country, year, basis), g in parts.groupby(["country", "year", "basis"], sort=True):
        total = float(g["_v"].sum())
        if len(g) > 1 and total > 100 + _SUM_TOLERANCE:  # one share above 100 % is reported on its own
            lines = ", ".join(str(int(x)) for x in g["_line"])
            where = "" if basis == "all" else f" ({basis})"
            out.append(Problem(f"generation shares of {country} {year}{where} add up to {total:g} % (lines {lines})",
                               file=file, row=int(g["_line"].iloc[0]), column="value", value=total,
                               expected="shares of coal, gas, oil, nuclear, hydro, wind, solar and bioenergy "
                                        "summing to at most 100 %"))
    return out


def _date_problems(df: pd.DataFrame, file: str | None) -> list[Problem]:
    signed = pd.to_datetime(df["signed"], format="%Y-%m-%d", errors="coerce")
    pattern_ok = df["signed"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    out = _listed(pattern_ok & signed.isna(), df, file, "signed", "not a calendar date", "a date YYYY-MM-DD")
    out += _listed(signed.notna() & ~signed.dt.year.between(_SIGNED_MIN, _SIGNED_MAX), df, file, "signed",
                   "year out of range", f"a date from {_SIGNED_MIN} to {_SIGNED_MAX}")
    return out


def _duplicates(name: str, df: pd.DataFrame, file: str | None) -> list[Problem]:
    key = schema.key(name)
    dup = df.duplicated(key, keep=False)
    out: list[Problem] = []
    for i in df[dup].drop_duplicates(key).index[:_MAX_LISTED]:
        same = df.index[dup & (df[key] == df.loc[i, key]).all(axis=1)]
        lines = ", ".join(str(int(df.at[j, "_line"])) for j in same)
        out.append(Problem(f"duplicate row: lines {lines} give the same {', '.join(key)}", file=file,
                           row=int(df.at[i, "_line"]), column=key[-1], value=df.at[i, key[-1]],
                           expected=f"one row per {', '.join(key)}"))
    return out


def check_table(name: str, df: pd.DataFrame, file: str | None = None,
                sources: pd.Series | None = None) -> list[Problem]:
    """Every problem of a raw energy table (strings; ``_line`` the file line of each row).

    Parameters
    ----------
    name
        ``intensity``, ``supply`` or ``cooperation``.
    df
        The table as read by :func:`read_table`.
    file
        File name for the problems.
    sources
        Known source ids; a row citing another is an error.  ``None`` skips the check.

    Examples
    --------
    >>> import pandas as pd
    >>> from allychain.energy.dataset import check_table, read_table
    >>> bad = read_table("country,measure,year,basis,value,unit,source_id,confidence,note\\n"
    ...                  "KOR,share_nuclear,2023,all,130,percent,s,high,\\n")
    >>> [(p.row, p.column, p.message) for p in check_table("supply", bad, "supply.csv", pd.Series(["s"]))]
    [(2, 'value', 'share above 100 %')]
    """
    if name not in TABLES:
        raise KeyError(f"unknown energy table {name!r}; expected one of {', '.join(TABLES)}")
    columns = schema.columns(name)
    missing = [c for c in schema.required(name) if c not in df.columns]
    if missing:
        return [Problem(f"missing column(s): {', '.join(missing)}", file=file, row=1, expected=", ".join(columns))]
    if "_line" not in df.columns:
        df = df.assign(_line=np.arange(2, len(df) + 2))
    df = df.reindex(columns=[*columns, "_line"], fill_value="")
    df[columns] = df[columns].fillna("").astype(str)
    problems = _rule_problems(name, df, file)
    if name == "cooperation":
        problems += _country_problems(df, file, "parties") + _date_problems(df, file)
    else:
        problems += _country_problems(df, file, "country") + _number_problems(name, df, file)
    if name == "supply":
        problems += _share_sum_problems(df, file)
    if sources is not None:
        problems += _listed((df["source_id"] != "") & ~df["source_id"].isin(set(sources)), df, file, "source_id",
                            "unknown source", "a source_id of the sources table")
    return problems + _duplicates(name, df, file)


def _typed(name: str, df: pd.DataFrame) -> pd.DataFrame:
    out = df.reindex(columns=schema.columns(name), fill_value="").fillna("").astype(str).copy()
    if name == "cooperation":
        out["parties"] = out["parties"].map(lambda v: tuple(v.split(";")))
        out["signed"] = pd.to_datetime(out["signed"], format="%Y-%m-%d").dt.date
        return out.sort_values(["signed", "agreement_id"]).reset_index(drop=True)
    if name == "supply":
        out["basis"] = out["basis"].replace("", "all")
    out["year"] = out["year"].astype(int)
    out["value"] = pd.to_numeric(out["value"].replace("", np.nan)).astype(float)
    return out.sort_values(schema.key(name)).reset_index(drop=True)


def validated(name: str, df: pd.DataFrame, file: str | None = None,
              sources: pd.Series | None = None) -> pd.DataFrame:
    """One table typed and sorted, or :class:`DataError` listing every problem (see :func:`check_table`)."""
    problems = check_table(name, df, file, sources)
    if problems:
        raise DataError(problems)
    log.debug("energy table %s (%s): %d rows", name, file, len(df))
    return _typed(name, df)


_SOURCE_COLUMNS = ("source_id", "title", "publisher", "year", "url")


def check_sources(df: pd.DataFrame, file: str | None = None) -> list[Problem]:
    """Every problem of a sources table: each row needs a source_id, title, publisher, year (1900-2100) and
    address, once per source_id."""
    missing = [c for c in _SOURCE_COLUMNS if c not in df.columns]
    if missing:
        return [Problem(f"missing column(s): {', '.join(missing)}", file=file, row=1,
                        expected=", ".join(_SOURCE_COLUMNS) + ", note")]
    if "_line" not in df.columns:
        df = df.assign(_line=np.arange(2, len(df) + 2))
    df = df.fillna("").astype({c: str for c in _SOURCE_COLUMNS})
    out: list[Problem] = []
    for c in _SOURCE_COLUMNS:
        out += _listed(df[c].str.strip() == "", df, file, c, "required value is empty",
                       f"a {c} (every source cites title, publisher, year and address)")
    year = pd.to_numeric(df["year"], errors="coerce")
    out += _listed((df["year"] != "") & ~year.between(1900, 2100), df, file, "year", "year out of range",
                   "a year from 1900 to 2100")
    out += _listed(df["source_id"].duplicated() & (df["source_id"] != ""), df, file, "source_id",
                   "duplicate source_id", "one row per source")
    return out


def extend(base: EnergyTables, frames: dict[str, pd.DataFrame], sources: pd.DataFrame | None = None,
           files: dict[str, str] | None = None) -> EnergyTables:
    """``base`` with your own rows: each table of ``frames`` (raw, as :func:`read_table` gives it) is checked
    like the built-in ones — citing a source of ``base`` or of ``sources`` — and a row with the key of a
    ``base`` row (intensity: item, country, provider, year; supply: country, measure, year, basis;
    cooperation: agreement_id) replaces it.  Every problem of every table is raised at once.
    """
    files = files or {}
    problems: list[Problem] = []
    src = base.sources
    if sources is not None:
        problems += check_sources(sources, files.get("sources"))
        src = pd.concat([base.sources[~base.sources["source_id"].isin(sources["source_id"])],
                         sources.drop(columns=["_line"], errors="ignore")], ignore_index=True).fillna("")
    for name, df in frames.items():
        problems += check_table(name, df, files.get(name), src["source_id"])
    if problems:
        raise DataError(problems)
    out = {name: getattr(base, name) for name in TABLES}
    for name, df in frames.items():
        extra = _typed(name, df)
        key = schema.key(name)
        old = out[name]
        keep = old.merge(extra[key].drop_duplicates(), on=key, how="left", indicator=True)["_merge"].eq("left_only")
        merged = pd.concat([old[keep.to_numpy()], extra], ignore_index=True)
        out[name] = merged.sort_values(key if name != "cooperation" else ["signed", "agreement_id"]).reset_index(
            drop=True)
    return EnergyTables(out["intensity"], out["supply"], out["cooperation"], src.reset_index(drop=True))
