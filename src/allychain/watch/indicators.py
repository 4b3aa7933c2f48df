"""Indicator series: the table, its checks, the HS crosswalk and the derived series.

An indicator table holds one value per period and series, in the columns of
``schema/indicators.csv`` (:data:`COLUMNS`): ``date`` (first day of the period),
``freq`` (M, Q, A), ``kind``, ``flow``, ``reporter``, ``partner``, ``hs_code``,
``item``, ``value``, ``unit``, ``source``.  A series is the rows sharing every key
column but ``date`` (:data:`SERIES_KEY`).

Derived series (:func:`derive`) are computed, never imported:

* ``unit_price`` = trade value / trade quantity of the same series and period
  (USD per kg; a zero or missing quantity gives a gap);
* ``import_share`` = 100 · v(reporter, partner) / V(reporter) for imports, where V is
  the reporter's import total of the HS code: its ``WLD`` row when given, else the sum
  over partners (a gap when any partner's value is missing);
* ``hhi`` = Σ_p share_p² over the partners (0–10,000) per reporter, HS code and
  period, with shares of the partner sum; a gap when a partner value is missing or
  when the partners listed add up to less than 99 % of a given ``WLD`` total (the
  list is incomplete: the concentration is not assessable).

Gaps stay gaps: a period without a row, or with an empty value, is never read as 0.
"""

from __future__ import annotations

import csv
import logging
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from allychain import schema
from allychain.errors import DataError, Problem

__all__ = ["COLUMNS", "KEY", "SERIES_KEY", "KINDS", "crosswalk", "crosswalk_sources", "items_of_hs", "empty",
           "check_indicators", "derive", "series_id", "WORLD"]

log = logging.getLogger(__name__)

COLUMNS: list[str] = schema.columns("indicators")
KEY: list[str] = schema.key("indicators")
SERIES_KEY: list[str] = [c for c in KEY if c != "date"]
KINDS: tuple[str, ...] = next(r.allowed for r in schema.rules("indicators") if r.name == "kind")
WORLD = "WLD"
_MAX_LISTED = 50


@lru_cache(maxsize=1)
def crosswalk() -> pd.DataFrame:
    """The built-in HS-code ↔ item crosswalk (``watch/crosswalk/hs_items.csv``).

    Columns: ``hs_code`` (6 digits), ``hs2017``/``hs2022`` (the code exists with this
    scope in that revision), ``item`` (item ids separated by ';'), ``fit`` (``exact``:
    the code is the item; ``partial``: the code covers the item and other goods;
    ``uncertain``: classification practice varies), ``description``, ``source_id``,
    ``note``.
    """
    text = resources.files("allychain.watch").joinpath("crosswalk/hs_items.csv").read_text(encoding="utf-8")
    df = pd.DataFrame(list(csv.DictReader(text.splitlines())))
    for c in ("hs2017", "hs2022"):
        df[c] = df[c] == "true"
    return df


@lru_cache(maxsize=1)
def crosswalk_sources() -> pd.DataFrame:
    """The public sources the crosswalk cites (source_id, title, publisher, year, address)."""
    text = resources.files("allychain.watch").joinpath("crosswalk/sources.csv").read_text(encoding="utf-8")
    return pd.DataFrame(list(csv.DictReader(text.splitlines())))


def items_of_hs(code: str) -> list[str]:
    """Item ids an HS code stands for (empty when the crosswalk does not know it)."""
    cw = crosswalk()
    hit = cw.loc[cw["hs_code"] == str(code).replace(".", "").strip(), "item"]
    return hit.iloc[0].split(";") if len(hit) else []


def empty() -> pd.DataFrame:
    """An indicator table without rows, with the schema's columns."""
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    df["value"] = df["value"].astype(float)
    return df


def series_id(row: pd.Series | dict) -> str:
    """A readable id of a series: ``kind:flow:reporter:partner:hs_code:source`` (empty parts kept)."""
    return ":".join(str(row[c] if row[c] is not None and row[c] == row[c] else "") for c in SERIES_KEY
                    if c != "freq")


def _problem(msg: str, file: str | None, line: int | None, column: str | None = None, value: object = None,
             expected: str | None = None, severity: str = "error") -> Problem:
    return Problem(msg, file=file, row=line, column=column, value=value, expected=expected,
                   severity=severity)  # type: ignore[arg-type]


def check_indicators(df: pd.DataFrame, file: str | None = None, lines: pd.Series | None = None) -> list[Problem]:
    """Boundary checks of an indicator table: columns, accepted values, duplicates, signs.

    Parameters
    ----------
    df
        The table (strings for the key columns, float ``value``).
    file
        File name for the problems.
    lines
        The 1-based line of each row in its file (index-aligned); default index + 2.

    Returns
    -------
    list of Problem
        Errors (a row that cannot be used) and nothing else; empty when the table is
        valid.  Lists are capped at 50 per check, with a summary.
    """
    problems: list[Problem] = []
    missing = [c for c in schema.required("indicators") if c not in df.columns]
    if missing:
        return [_problem(f"missing column(s): {', '.join(missing)}", file, 1, expected=", ".join(COLUMNS))]
    ln = lines if lines is not None else pd.Series(np.arange(len(df)) + 2, index=df.index)
    for rule in schema.rules("indicators"):
        if rule.name not in df.columns:
            continue
        col = df[rule.name].fillna("").astype(str)
        bad = pd.Series(False, index=df.index)
        if rule.allowed:
            bad |= (col != "") & ~col.isin(rule.allowed)
        if rule.pattern:
            bad |= (col != "") & ~col.str.fullmatch(rule.pattern)
        problems += _listed(bad, ln, file, rule.name, col, f"not an accepted value of {rule.name}",
                            " | ".join(rule.allowed) if rule.allowed else f"text matching {rule.pattern}")
    for c in (c for c in schema.required("indicators") if c != "value"):
        problems += _listed(df[c].fillna("").astype(str) == "", ln, file, c, df[c], "required value is empty",
                            f"a {c}")
    v = pd.to_numeric(df["value"], errors="coerce")
    problems += _listed(df["value"].notna() & (df["value"].astype(str) != "") & v.isna(), ln, file, "value",
                        df["value"], "value is not a number", "a number or an empty cell (a gap)")
    neg = (v < 0) & df["kind"].isin(["trade_value", "trade_quantity", "unit_price", "import_share", "hhi", "price",
                                     "lead_time", "inventory_days"])
    problems += _listed(neg, ln, file, "value", v, "negative value", "a value ≥ 0 for this kind")
    dup = df.duplicated(KEY, keep=False)
    if dup.any():
        first = df[dup].groupby(KEY, dropna=False, sort=False).head(1).index
        for i in first[:_MAX_LISTED]:
            same = df.index[dup & (df[KEY].fillna("") == df.loc[i, KEY].fillna("")).all(axis=1)]
            problems.append(_problem(f"duplicate period: rows {', '.join(str(int(ln[j])) for j in same)} hold the "
                                     f"same series and date", file, int(ln[i]), "date", df.loc[i, "date"],
                                     "one row per series and period"))
    return problems


def _listed(mask: pd.Series, ln: pd.Series, file: str | None, column: str, values: pd.Series, msg: str,
            expected: str) -> list[Problem]:
    idx = mask[mask].index
    out = [_problem(msg, file, int(ln[i]), column, values[i], expected) for i in idx[:_MAX_LISTED]]
    if len(idx) > _MAX_LISTED:
        out.append(Problem(f"{msg}: {len(idx) - _MAX_LISTED} more rows", file=file, column=column,
                           omitted=len(idx) - _MAX_LISTED))
    return out


def validated(df: pd.DataFrame, file: str | None = None, lines: pd.Series | None = None) -> pd.DataFrame:
    """The table in schema order with float values, or :class:`DataError` listing every problem."""
    problems = check_indicators(df, file, lines)
    if problems:
        raise DataError(problems)
    out = df.reindex(columns=COLUMNS).copy()
    for c in COLUMNS:
        if c != "value":
            out[c] = out[c].fillna("").astype(str)
    out["value"] = pd.to_numeric(out["value"], errors="coerce").astype(float)
    return out.reset_index(drop=True)


def derive(df: pd.DataFrame) -> pd.DataFrame:
    """The derived series of an indicator table: ``unit_price``, ``import_share``, ``hhi``.

    Returns only the derived rows (source ``derived:<source>``); concatenate them with
    the input to have both.  See the module docstring for the formulas and gaps.
    """
    parts = [_unit_price(df), *_shares(df)]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True)[COLUMNS] if parts else empty()


def _unit_price(df: pd.DataFrame) -> pd.DataFrame:
    k = [c for c in KEY if c != "kind"]
    val = df[df["kind"] == "trade_value"].set_index(k)
    qty = df[(df["kind"] == "trade_quantity") & (df["unit"] == "kg")].set_index(k)
    both = val.join(qty[["value"]].rename(columns={"value": "q"}), how="inner")
    if both.empty:
        return empty()
    q = both["q"].where(both["q"] > 0)
    out = both.assign(value=both["value"] / q, kind="unit_price", unit="USD/kg").reset_index()
    return out.assign(source="derived:" + out["source"])


def _shares(df: pd.DataFrame) -> list[pd.DataFrame]:
    imp = df[(df["kind"] == "trade_value") & (df["flow"] == "import") & (df["partner"] != "")]
    if imp.empty:
        return []
    g = ["date", "freq", "reporter", "hs_code", "source"]
    partners = imp[imp["partner"] != WORLD]
    world = imp[imp["partner"] == WORLD].set_index(g)["value"]
    grp = partners.groupby(g, sort=False)["value"]
    psum = grp.sum(min_count=1).where(grp.apply(lambda s: s.notna().all()))
    denom = world.reindex(psum.index).fillna(psum) if len(world) else psum
    den = denom.reindex(pd.MultiIndex.from_frame(partners[g])).to_numpy()
    share = partners.assign(kind="import_share", unit="percent",
                            value=100.0 * partners["value"].to_numpy() / np.where(den > 0, den, np.nan))
    sh_p = 100.0 * partners["value"].to_numpy() / np.where(
        psum.reindex(pd.MultiIndex.from_frame(partners[g])).to_numpy() > 0,
        psum.reindex(pd.MultiIndex.from_frame(partners[g])).to_numpy(), np.nan)
    tmp = partners[g].assign(s2=sh_p ** 2)
    hhi = tmp.groupby(g, sort=False)["s2"].sum(min_count=1)
    hhi = hhi.where(tmp.groupby(g, sort=False)["s2"].apply(lambda s: s.notna().all()))
    if len(world):
        cover = psum / world.reindex(psum.index)
        hhi = hhi.where(~(cover < 0.99))  # partner list incomplete against the world total: not assessable
    items = partners.groupby(g, sort=False)["item"].first()
    h = hhi.rename("value").reset_index().assign(kind="hhi", flow="import", partner="", unit="HHI (0-10000)")
    h["item"] = items.reindex(pd.MultiIndex.from_frame(h[g])).to_numpy()
    out = [share, h]
    return [o.assign(source="derived:" + o["source"])[COLUMNS] for o in out]
