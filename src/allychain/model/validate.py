"""Boundary validation: raw text tables in, typed tables and a list of problems out.

Readers load CSV files as text (every cell a string, empty = missing) and hand them
to :func:`coerce_table`, which checks them against :mod:`allychain.schema` and
collects *every* problem with its file, row, column, value and what was expected.
:func:`check_references` then checks ids across tables and :func:`find_cycles` the
``goes_into`` and ``is_type_of`` relations.  Rows are numbered as a spreadsheet shows
them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

from allychain import schema
from allychain.errors import Problem
from allychain.model.columns import capped, parse_bools, parse_numbers, script_problems, text_cells
from allychain.model.cycles import mixed_cycles

__all__ = ["coerce_table", "check_references", "find_cycles", "errors", "ROW", "ENUMS", "RANGES"]

ROW = "_row"  # hidden column carrying the source row number through import

ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("items", "kind"): ("design", "process", "tool", "material", "chemical", "raw_material", "chip", "output"),
    ("providers", "kind"): ("country", "firm", "region", "aggregate"),
    ("relations", "kind"): ("goes_into", "is_type_of"),
}

# (low, high, low inclusive, what) ranges for numeric columns
RANGES: dict[tuple[str, str], tuple[float, float, bool, str]] = {
    ("shares", "share"): (0.0, 100.0, True, "a percentage from 0 to 100"),
    ("nodes", "capacity"): (0.0, math.inf, True, "a number >= 0 (units per period)"),
    ("nodes", "inventory"): (0.0, math.inf, True, "a number >= 0 (units)"),
    ("nodes", "demand"): (0.0, math.inf, True, "a number >= 0 (units per period)"),
    ("nodes", "margin"): (0.0, math.inf, True, "a number >= 0 (per unit of lost demand)"),
    ("nodes", "ttr"): (0.0, math.inf, True, "a number >= 0 (periods)"),
    ("edges", "share"): (0.0, 1.0, True, "a fraction from 0 to 1"),
    ("edges", "lead_time"): (0.0, math.inf, True, "a number >= 0 (periods)"),
    ("bom", "quantity"): (0.0, math.inf, False, "a number > 0 (units of input per unit of output)"),
    ("stages", "market_size"): (0.0, math.inf, True, "a number >= 0 (USD)"),
    ("items", "market_size"): (0.0, math.inf, True, "a number >= 0 (USD)"),
}


def coerce_table(
    component: str,
    raw: pd.DataFrame,
    file: str,
    column_names: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and type a raw text table, column by column (vectorised).

    Parameters
    ----------
    component
        Schema component the table holds (e.g. ``"shares"``).
    raw
        Table of strings with schema column names; may carry a ``_row`` column with
        source row numbers (otherwise rows are numbered from 2).
    file
        File name used in messages.
    column_names
        Schema column → column name in the source file, for messages (importers of
        foreign formats rename columns before calling).

    Returns
    -------
    (table, problems)
        The typed table (still carrying ``_row``) and every problem found (each
        check of each column lists at most :func:`~allychain.model.columns.max_problems`
        rows, then counts the rest). Rows with errors are kept so that further
        checks can run; callers must not use the table when any problem has
        severity ``"error"``.

    Notes
    -----
    Cost O(rows × columns) in pandas/numpy operations; only failing cells are
    looked at one by one.
    """
    t = _Table(component, raw.copy(), file, dict(column_names or {}))
    if ROW not in t.df.columns:
        t.df[ROW] = np.arange(2, len(t.df) + 2)
    problems = _header_problems(t)
    if any(p.severity == "error" for p in problems):
        return t.df, problems
    for attr in t.attrs:
        if attr.name in t.df.columns:
            problems.extend(_coerce_column(t, attr))
    problems.extend(_duplicate_keys(t))
    return t.df, problems


class _Table:
    """A table being coerced: its frame, file, schema attributes and display names."""

    def __init__(self, component: str, df: pd.DataFrame, file: str, names: dict[str, str]) -> None:
        self.component, self.df, self.file, self.names = component, df, file, names
        self.attrs = schema.attributes(component)

    def shown(self, col: str) -> str:
        return self.names.get(col, col)

    @property
    def rows(self) -> np.ndarray:
        return self.df[ROW].to_numpy()


def _header_problems(t: _Table) -> list[Problem]:
    """Missing required columns (errors, with a misspelling hint) and unknown columns (warnings)."""
    problems: list[Problem] = []
    known = {a.name for a in t.attrs} | set(t.names)
    unknown = [c for c in t.df.columns if c != ROW and c not in known]
    missing = [a.name for a in t.attrs if a.required and a.name not in t.df.columns]
    folded = [u.casefold() for u in unknown]
    for col in missing:
        near = difflib.get_close_matches(t.shown(col).casefold(), folded, n=1, cutoff=0.6)
        hint = f"; is '{unknown[folded.index(near[0])]}' a misspelling?" if near else ""
        problems.append(Problem(f"required column '{t.shown(col)}' is missing{hint}", file=t.file, row=1,
                                column=t.shown(col),
                                expected=f"columns {', '.join(t.shown(a.name) for a in t.attrs if a.required)}"))
    if missing:
        return problems
    for col in unknown:
        near = difflib.get_close_matches(col.casefold(), [t.shown(a.name) for a in t.attrs], n=1, cutoff=0.6)
        problems.append(Problem(f"unknown column '{col}' is kept as text but not used"
                                + (f"; did you mean '{near[0]}'?" if near else ""),
                                file=t.file, row=1, column=col,
                                expected="columns " + ", ".join(t.shown(a.name) for a in t.attrs),
                                check="unknown_columns", severity="warning"))
        t.df[col] = t.df[col].astype("string")
    return problems


def _coerce_column(t: _Table, attr: schema.Attribute) -> list[Problem]:
    """Type one column in place; the problems of its cells (required, enum, number, range, bool, ids)."""
    raw = t.df[attr.name]
    values = _Cells(raw)  # the cells as read, fetched only for the rows with a problem
    text, blank = text_cells(raw)
    col, rows = t.shown(attr.name), t.rows
    problems: list[Problem] = []
    if attr.required:
        problems += capped(np.flatnonzero(blank), lambda i: Problem(
            f"required value '{col}' is empty", file=t.file, row=int(rows[i]), column=col,
            expected=attr.description[:80] or "a value"))
    if attr.dtype == "str":
        out = text.where(~blank, None).astype("string")
        enum = ENUMS.get((t.component, attr.name))
        if enum:
            bad = ~blank & ~text.isin(enum).to_numpy(dtype=bool)
            problems += capped(np.flatnonzero(bad), lambda i: Problem(
                f"unknown {col}", file=t.file, row=int(rows[i]), column=col, value=values[i],
                expected="one of " + ", ".join(enum)))
        if attr.key or attr.references:
            where, why = script_problems(text, blank)
            problems += capped(np.arange(len(where)), lambda k: Problem(
                why[k], file=t.file, row=int(rows[where[k]]), column=col, value=values[where[k]],
                expected="an id written in one script without invisible characters (retype the look-alike letters)"))
        t.df[attr.name] = out
    elif attr.dtype in ("float", "int"):
        parsed, found = _coerce_number(t, attr, text, blank, values)
        problems += found
        if attr.dtype == "int":
            nan = np.isnan(parsed)
            whole = np.clip(np.where(nan, 0.0, parsed), -2.0**62, 2.0**62).astype(np.int64)
            t.df[attr.name] = pd.arrays.IntegerArray(whole, mask=nan)
        else:
            t.df[attr.name] = parsed
    elif attr.dtype == "bool":
        out_b, bad = parse_bools(text, blank)
        problems += capped(np.flatnonzero(bad), lambda i: Problem(
            "not a true/false value", file=t.file, row=int(rows[i]), column=col, value=values[i],
            expected="true or false"))
        t.df[attr.name] = out_b
    return problems


class _Cells:
    """Read access to the raw cells of a column by position (``cells[i]``), without copying the column."""

    def __init__(self, col: pd.Series) -> None:
        self.col = col

    def __getitem__(self, i: int) -> object:
        v = self.col.iat[i]
        return None if v is pd.NA else v


def _coerce_number(t: _Table, attr: schema.Attribute, text: pd.Series, blank: np.ndarray,
                   values: _Cells) -> tuple[np.ndarray, list[Problem]]:
    """Parse a numeric column; check whole numbers, ranges and plausible years.

    Each bad cell gets one problem, the first that applies in this order: not a
    number, out of range (not finite), not a whole number, out of range, implausible year.
    """
    what = "a whole number (year)" if attr.dtype == "int" else "a number"
    unit = f" in {attr.unit}" if attr.unit and attr.unit != "year" else ""
    parsed, status = parse_numbers(text, blank, (t.component, attr.name) == ("shares", "share"))
    code = status.astype(np.int8)  # 1 not a number, 2 not finite
    ok = code == 0
    with np.errstate(invalid="ignore"):
        if attr.dtype == "int":
            code[ok & ~blank & (parsed != np.floor(parsed))] = 3
        rng = RANGES.get((t.component, attr.name))
        if rng is not None:
            lo, hi, lo_incl, _ = rng
            outside = (parsed > hi) | (parsed < lo) | ((parsed == lo) if not lo_incl else False)
            code[(code == 0) & outside] = 4
        if attr.dtype == "int" and attr.unit == "year":
            code[(code == 0) & ~blank & ((parsed < 1900) | (parsed > 2100))] = 5
    col, rows = t.shown(attr.name), t.rows
    finite = f"a finite number{unit} (at most about 1.8e308)"
    spec = {
        1: (f"not {what}", what + unit),
        2: ("number out of range: too large to be a finite number", finite),
        3: (f"not {what}", what),
        4: ("value out of range", rng[3] if rng is not None else what),
        5: ("implausible year", "a year between 1900 and 2100"),
    }
    bad = np.flatnonzero(code)
    problems = capped(bad, lambda i: Problem(spec[int(code[i])][0], file=t.file, row=int(rows[i]), column=col,
                                             value=values[i], expected=spec[int(code[i])][1]))
    parsed[code != 0] = np.nan
    return parsed, problems


def _duplicate_keys(t: _Table) -> list[Problem]:
    """Rows repeating the key of an earlier row (rows with an empty required key part are not compared)."""
    df = t.df
    keys = [a.name for a in t.attrs if a.key and a.name in df.columns]
    required_keys = [a.name for a in t.attrs if a.key and a.required and a.name in df.columns]
    if not required_keys or df.empty:
        return []
    later = df.duplicated(keys, keep="first").to_numpy(dtype=bool, copy=True)
    if not later.any():
        return []
    later &= df[required_keys].notna().all(axis=1).to_numpy(dtype=bool)
    group = df.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    rows = t.rows
    first_pos = pd.Series(np.arange(len(df))).groupby(group).transform("first").to_numpy()
    k0 = t.shown(keys[0])

    def make(i: int) -> Problem:
        f = int(first_pos[i])
        label = ", ".join(f"{t.shown(k)}={df[k].iat[f]!s}" for k in keys if not pd.isna(df[k].iat[f]))
        return Problem(f"duplicate {label} (first at row {int(rows[f])})", file=t.file, row=int(rows[i]),
                       column=k0, value=df[keys[0]].iat[f],
                       expected=f"each {' + '.join(t.shown(k) for k in keys)} only once")

    # listed grouped by key (as before: each group's later rows together), groups in order of first row
    order = np.flatnonzero(later)
    order = order[np.lexsort((order, first_pos[order]))]
    return capped(order, make)


def _rows_of(df: pd.DataFrame) -> np.ndarray:
    return df[ROW].to_numpy() if ROW in df.columns else np.arange(2, len(df) + 2)


def check_references(tables: Mapping[str, pd.DataFrame], files: Mapping[str, str]) -> list[Problem]:
    """Every id a table refers to must exist in the table it refers to.

    Only references whose target table is present (non-empty or explicitly given)
    are checked, so a site-level network without an ``items`` table may name any
    product.  ``files`` maps component → file name for messages.
    """
    problems: list[Problem] = []
    for comp, df in tables.items():
        if df is None or df.empty:
            continue
        for attr in schema.attributes(comp):
            if not attr.references or attr.name not in df.columns:
                continue
            targets = [r.split(".") for r in attr.references.split("|")]
            known: set[str] = set()
            checked = []
            for tcomp, tcol in targets:
                target = tables.get(tcomp)
                if target is None or tcol not in target.columns:
                    continue
                if target.empty and tcomp not in ("nodes", "items", "providers"):
                    continue
                known |= set(target[tcol].dropna().astype(str).tolist())
                checked.append((tcomp, tcol))
            if not checked:
                continue
            tcomp, tcol = checked[0]
            where = " or ".join(f"{files.get(c, c)} column '{k}'" for c, k in checked)
            col = df[attr.name]
            # object dtype: a hash look-up per cell (Arrow-backed isin converts the whole set value by value)
            ids = pd.Series(col.astype("string").tolist(), index=col.index, dtype=object)
            bad = col.notna().to_numpy(dtype=bool) & ~ids.isin(known).to_numpy(dtype=bool)
            rows = _rows_of(df)
            what = f"unknown {tcomp[:-1] if tcomp.endswith('s') else tcomp} id"
            problems += capped(np.flatnonzero(bad), _unknown_id(what, files.get(comp, comp), rows, attr.name, col,
                                                                f"an id listed in {where}"))
    return problems


def _unknown_id(what: str, file: str, rows: np.ndarray, column: str, col: pd.Series,
                expected: str) -> Callable[[int], Problem]:
    def make(i: int) -> Problem:
        return Problem(what, file=file, row=int(rows[i]), column=column, value=str(col.iloc[i]), expected=expected)

    return make


def find_cycles(relations: pd.DataFrame, file: str = "relations") -> list[Problem]:
    """Cycles in ``goes_into`` or in ``is_type_of`` relations (each kind separately), then
    cycles through both kinds (:func:`allychain.model.cycles.mixed_cycles`).

    An item cannot be an input of itself through any chain, and a variant cannot be
    its own category.
    """
    problems: list[Problem] = []
    if relations.empty or not {"source", "target", "kind"} <= set(relations.columns):
        return problems
    rows = _rows_of(relations)
    complete = relations[["source", "target"]].notna().all(axis=1).to_numpy(dtype=bool)
    for kind in ("goes_into", "is_type_of"):
        mask = (relations["kind"] == kind).fillna(False).to_numpy(dtype=bool) & complete
        if not mask.any():
            continue
        g = nx.DiGraph()
        for s, t, r in zip(relations["source"][mask], relations["target"][mask], rows[mask], strict=True):
            g.add_edge(str(s), str(t), row=int(r))
        found = []
        for comp in nx.strongly_connected_components(g):
            if len(comp) == 1:
                n = next(iter(comp))
                if not g.has_edge(n, n):
                    continue
            # start at the smallest node so the message does not depend on set order
            cyc = nx.find_cycle(g.subgraph(comp), source=min(comp))
            edge_rows = [g.edges[u, v]["row"] for u, v in cyc]
            first = edge_rows.index(min(edge_rows))
            cyc = cyc[first:] + cyc[:first]  # begin with the edge on the earliest row
            path = " -> ".join([cyc[0][0]] + [v for _, v in cyc])
            found.append(
                Problem(
                    f"cycle in '{kind}' relations: {path} (rows {', '.join(map(str, sorted(edge_rows)))})",
                    file=file,
                    row=min(edge_rows),
                    column="target",
                    value=cyc[0][1],
                    expected=f"'{kind}' relations without cycles (remove or reverse one of these rows)",
                )
            )
        problems.extend(sorted(found, key=lambda p: p.row or 0))
    problems.extend(mixed_cycles(relations, rows, file))  # goes_into and is_type_of together
    return problems


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
