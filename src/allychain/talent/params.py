"""The workforce parameter table: stocks, demand, flows and rates per country and skill level.

The table's columns, accepted values and ranges are data (``schema/talent.csv``, component
``workforce``); the built-in rows live in ``talent/tables/workforce.csv`` and cite the public
sources of ``talent/tables/sources.csv``.  :func:`validated` is the boundary tier of the table:
every problem found is reported at once, each naming its file, row (the line in the file),
column and value, as :class:`~allychain.errors.DataError` does everywhere in allychain.
"""

from __future__ import annotations

import csv
import io
import logging
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from allychain import schema
from allychain.errors import DataError, Problem
from allychain.model.columns import read_text_table as read_table

__all__ = ["COLUMNS", "LEVELS", "FLOWS", "STOCKS", "ANNUAL", "RATES", "UNITS", "builtin_workforce",
           "builtin_sources", "builtin_intensity", "read_table", "validated", "check_workforce", "combine"]

log = logging.getLogger(__name__)

COMPONENT = "workforce"
COLUMNS: list[str] = schema.columns(COMPONENT)
KEY: list[str] = schema.key(COMPONENT)
_RULES = {r.name: r for r in schema.rules(COMPONENT)}
LEVELS: tuple[str, ...] = _RULES["level"].allowed
FLOWS: tuple[str, ...] = _RULES["flow"].allowed
YEAR_MIN, YEAR_MAX = int(_RULES["year"].min or 2000), int(_RULES["year"].max or 2100)

#: persons at a year
STOCKS: tuple[str, ...] = ("stock", "demand")
#: persons per year into the industry
ANNUAL: tuple[str, ...] = ("graduates", "migration", "retraining", "pipeline")
#: fractions of the stock leaving per year
RATES: tuple[str, ...] = ("attrition", "retirement", "emigration")
#: the unit each flow is given in
UNITS: dict[str, str] = {**{f: "persons" for f in STOCKS}, **{f: "persons/year" for f in ANNUAL},
                         "entry_share": "fraction", **{f: "fraction/year" for f in RATES}}
_MAX_LISTED = 50


def _csv(name: str) -> str:
    return resources.files("allychain.talent").joinpath(f"tables/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def builtin_sources() -> pd.DataFrame:
    """The public sources of the built-in parameters (source_id, title, publisher, year, url, note)."""
    return pd.DataFrame(list(csv.DictReader(_csv("sources.csv").splitlines())))


@lru_cache(maxsize=1)
def builtin_intensity() -> pd.DataFrame:
    """Workers per unit of capacity by stage or item (``tables/intensity.csv``: stage, level,
    workers_per_unit, unit, source_id, confidence, note), each row citing a listed source —
    the intensities :func:`allychain.talent.demand_from_capacity` takes."""
    df = pd.read_csv(io.StringIO(_csv("intensity.csv")), dtype={"stage": str, "level": str})
    unknown = sorted(set(df["source_id"]) - set(builtin_sources()["source_id"]))
    if unknown or (df["workers_per_unit"] < 0).any() or not df["level"].isin(LEVELS).all():
        raise DataError(Problem("talent intensity table: unknown source, negative value or unknown level",
                                file="talent/tables/intensity.csv", value=", ".join(unknown) or None))
    return df


@lru_cache(maxsize=1)
def builtin_workforce() -> pd.DataFrame:
    """The built-in workforce parameter table, validated (see :func:`validated`)."""
    return validated(read_table(_csv("workforce.csv")), "talent/tables/workforce.csv",
                     sources=builtin_sources()["source_id"])


def _listed(mask: pd.Series, df: pd.DataFrame, file: str | None, column: str, msg: str,
            expected: str) -> list[Problem]:
    idx = mask[mask].index
    out = [Problem(msg, file=file, row=int(df.at[i, "_line"]), column=column, value=df.at[i, column],
                   expected=expected) for i in idx[:_MAX_LISTED]]
    if len(idx) > _MAX_LISTED:
        out.append(Problem(f"{msg}: {len(idx) - _MAX_LISTED} more rows", file=file, column=column,
                           omitted=len(idx) - _MAX_LISTED))
    return out


def _rule_problems(df: pd.DataFrame, file: str | None) -> list[Problem]:
    out: list[Problem] = []
    for c in schema.required(COMPONENT):
        out += _listed(df[c].str.strip() == "", df, file, c, "required value is empty", f"a {c}")
    for rule in _RULES.values():
        col = df[rule.name]
        bad = pd.Series(False, index=df.index)
        if rule.allowed:
            bad |= (col != "") & ~col.isin(rule.allowed)
        if rule.pattern:
            bad |= (col != "") & ~col.str.fullmatch(rule.pattern)
        out += _listed(bad, df, file, rule.name, f"not an accepted value of {rule.name}",
                       " | ".join(rule.allowed) if rule.allowed else f"text matching {rule.pattern}")
    return out


def _number_problems(df: pd.DataFrame, file: str | None) -> list[Problem]:
    year = pd.to_numeric(df["year"], errors="coerce")
    value = pd.to_numeric(df["value"], errors="coerce")
    filled_y, filled_v = df["year"] != "", df["value"] != ""
    out = _listed(filled_y & ((year != year.round()) | ~year.between(YEAR_MIN, YEAR_MAX)), df, file, "year",
                  "year out of range", f"a whole year from {YEAR_MIN} to {YEAR_MAX}")
    out += _listed(filled_v & ~np.isfinite(value.fillna(np.nan)), df, file, "value", "value is not a number",
                   "a finite number")
    out += _listed(value < 0, df, file, "value", "negative value (flows, stocks and rates cannot be negative)",
                   "a number >= 0")
    share = df["flow"].isin(("entry_share", *RATES))
    out += _listed(share & (value > 1), df, file, "value", "share or rate above 100 %",
                   "a fraction from 0 to 1 (write 35 % as 0.35)")
    known = df["flow"].isin(list(UNITS)) & (df["unit"] != "")
    unit_bad = known & (df["unit"] != df["flow"].map(UNITS))
    for flow in df.loc[unit_bad, "flow"].unique():
        out += _listed(unit_bad & (df["flow"] == flow), df, file, "unit", f"wrong unit for flow {flow}",
                       UNITS[flow])
    return out


def check_workforce(df: pd.DataFrame, file: str | None = None, sources: pd.Series | None = None) -> list[Problem]:
    """Every problem of a raw workforce table (strings; ``_line`` the file line of each row).

    Parameters
    ----------
    df
        The table as read by :func:`read_table`.
    file
        File name for the problems.
    sources
        Known source ids; a row citing another is an error.  ``None`` skips the check.
    """
    missing = [c for c in schema.required(COMPONENT) if c not in df.columns]
    if missing:
        return [Problem(f"missing column(s): {', '.join(missing)}", file=file, row=1,
                        expected=", ".join(COLUMNS))]
    df = df.reindex(columns=[*COLUMNS, "_line"], fill_value="")
    df[COLUMNS] = df[COLUMNS].fillna("").astype(str)
    problems = _rule_problems(df, file) + _number_problems(df, file)
    if sources is not None:
        problems += _listed((df["source_id"] != "") & ~df["source_id"].isin(set(sources)), df, file, "source_id",
                            "unknown source", "a source_id of the sources table")
    dup = df.duplicated(KEY, keep=False)
    for i in df[dup].drop_duplicates(KEY).index[:_MAX_LISTED]:
        same = df.index[dup & (df[KEY] == df.loc[i, KEY]).all(axis=1)]
        lines = ", ".join(str(int(df.at[j, "_line"])) for j in same)
        problems.append(Problem(f"duplicate row: lines {lines} give the same country, level, flow and year",
                                file=file, row=int(df.at[i, "_line"]), column="flow", value=df.at[i, "flow"],
                                expected="one row per country, level, flow and year"))
    return problems


def validated(df: pd.DataFrame, file: str | None = None, sources: pd.Series | None = None) -> pd.DataFrame:
    """The table typed (``year`` int, ``value`` float) and sorted, or :class:`DataError` listing
    every problem (see :func:`check_workforce`)."""
    if "_line" not in df.columns:
        df = df.assign(_line=np.arange(2, len(df) + 2))
    problems = check_workforce(df, file, sources)
    if problems:
        raise DataError(problems)
    out = df.reindex(columns=[*COLUMNS, "_line"], fill_value="").copy()
    out["level"] = out["level"].replace("", "all")
    out["year"] = out["year"].astype(int)
    out["value"] = out["value"].astype(float)
    log.debug("workforce table %s: %d rows", file, len(out))
    return out.sort_values(KEY).reset_index(drop=True)


def combine(base: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """``base`` with the rows of ``extra`` added; a row of ``extra`` with the key (country, level,
    flow, year) of a ``base`` row replaces it.  Both tables validated."""
    keep = base.merge(extra[KEY], on=KEY, how="left", indicator=True)["_merge"].eq("left_only").to_numpy()
    return pd.concat([base[keep], extra], ignore_index=True).sort_values(KEY).reset_index(drop=True)
