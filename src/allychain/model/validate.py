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
import re
from collections.abc import Iterable, Mapping

import networkx as nx
import numpy as np
import pandas as pd

from allychain import schema
from allychain.errors import Problem
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

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _is_blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and v.strip() == "") or v is pd.NA


def _parse_float(text: str, percent_ok: bool) -> float | None:
    t = text.strip().replace("\u00a0", "")
    if percent_ok and t.endswith("%"):
        t = t[:-1].strip()
    if not _NUM.match(t):
        return None
    return float(t)


def coerce_table(
    component: str,
    raw: pd.DataFrame,
    file: str,
    column_names: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and type a raw text table.

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
        The typed table (still carrying ``_row``) and every problem found. Rows with
        errors are kept so that further checks can run; callers must not use the
        table when any problem has severity ``"error"``.
    """
    names = dict(column_names or {})

    def shown(c: str) -> str:
        return names.get(c, c)

    problems: list[Problem] = []
    df = raw.copy()
    if ROW not in df.columns:
        df[ROW] = np.arange(2, len(df) + 2)
    rows = df[ROW].to_numpy()

    attrs = schema.attributes(component)
    known = {a.name for a in attrs} | set(names)
    unknown = [c for c in df.columns if c != ROW and c not in known]
    missing = [a.name for a in attrs if a.required and a.name not in df.columns]
    for col in missing:
        near = difflib.get_close_matches(shown(col).casefold(), [u.casefold() for u in unknown], n=1, cutoff=0.6)
        hint = f"; is '{unknown[[u.casefold() for u in unknown].index(near[0])]}' a misspelling?" if near else ""
        problems.append(
            Problem(
                f"required column '{shown(col)}' is missing{hint}",
                file=file,
                row=1,
                column=shown(col),
                expected=f"columns {', '.join(shown(a.name) for a in attrs if a.required)}",
            )
        )
    if missing:
        return df, problems
    for col in unknown:
        near = difflib.get_close_matches(col.casefold(), [shown(a.name) for a in attrs], n=1, cutoff=0.6)
        problems.append(
            Problem(
                f"unknown column '{col}' is kept as text but not used"
                + (f"; did you mean '{near[0]}'?" if near else ""),
                file=file,
                row=1,
                column=col,
                expected="columns " + ", ".join(shown(a.name) for a in attrs),
                check="unknown_columns",
                severity="warning",
            )
        )
        df[col] = df[col].astype("string")

    for attr in attrs:
        if attr.name not in df.columns:
            continue
        col = df[attr.name]
        values = col.to_numpy(dtype=object)
        blank = np.fromiter((_is_blank(v) for v in values), dtype=bool, count=len(values))
        if attr.required:
            for i in np.flatnonzero(blank).tolist():
                problems.append(
                    Problem(
                        f"required value '{shown(attr.name)}' is empty",
                        file=file,
                        row=int(rows[i]),
                        column=shown(attr.name),
                        expected=attr.description[:80] or "a value",
                    )
                )
        if attr.dtype == "str":
            out = pd.Series(
                [None if b else str(v).strip() for v, b in zip(values, blank, strict=True)], index=df.index, dtype="string"
            )
            enum = ENUMS.get((component, attr.name))
            if enum:
                bad = ~blank & ~out.isin(enum).fillna(False).to_numpy(dtype=bool)
                for i in np.flatnonzero(bad).tolist():
                    problems.append(
                        Problem(
                            f"unknown {shown(attr.name)}",
                            file=file,
                            row=int(rows[i]),
                            column=shown(attr.name),
                            value=values[i],
                            expected="one of " + ", ".join(enum),
                        )
                    )
            df[attr.name] = out
        elif attr.dtype in ("float", "int"):
            parsed = np.full(len(df), np.nan)
            percent_ok = (component, attr.name) == ("shares", "share")
            for i, (v, b) in enumerate(zip(values, blank, strict=True)):
                if b:
                    continue
                f: float | None
                if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                    f = float(v)
                else:
                    f = _parse_float(str(v), percent_ok)
                what = "a whole number (year)" if attr.dtype == "int" else "a number"
                if f is None or not math.isfinite(f):
                    problems.append(
                        Problem(f"not {what}", file=file, row=int(rows[i]), column=shown(attr.name), value=v,
                                expected=what + (f" in {attr.unit}" if attr.unit and attr.unit != "year" else ""))
                    )
                    continue
                if attr.dtype == "int" and f != int(f):
                    problems.append(Problem(f"not {what}", file=file, row=int(rows[i]), column=shown(attr.name),
                                            value=v, expected=what))
                    continue
                rng = RANGES.get((component, attr.name))
                if rng is not None:
                    lo, hi, lo_incl, desc = rng
                    if f > hi or f < lo or (f == lo and not lo_incl):
                        problems.append(Problem("value out of range", file=file, row=int(rows[i]),
                                                column=shown(attr.name), value=v, expected=desc))
                        continue
                if attr.dtype == "int" and not (1900 <= f <= 2100) and attr.unit == "year":
                    problems.append(Problem("implausible year", file=file, row=int(rows[i]), column=shown(attr.name),
                                            value=v, expected="a year between 1900 and 2100"))
                    continue
                parsed[i] = f
            if attr.dtype == "int":
                df[attr.name] = pd.array([pd.NA if math.isnan(p) else int(p) for p in parsed], dtype="Int64")
            else:
                df[attr.name] = parsed
        elif attr.dtype == "bool":
            out_b: list[object] = []
            for i, (v, b) in enumerate(zip(values, blank, strict=True)):
                if b:
                    out_b.append(pd.NA)
                    continue
                if isinstance(v, (bool, np.bool_)):
                    out_b.append(bool(v))
                    continue
                t = str(v).strip().lower()
                if t in _TRUE:
                    out_b.append(True)
                elif t in _FALSE:
                    out_b.append(False)
                else:
                    out_b.append(pd.NA)
                    problems.append(Problem("not a true/false value", file=file, row=int(rows[i]),
                                            column=shown(attr.name), value=v, expected="true or false"))
            df[attr.name] = pd.array(out_b, dtype="boolean")

    keys = [a.name for a in attrs if a.key and a.name in df.columns]
    required_keys = [k for k in keys if next(a for a in attrs if a.name == k).required]
    if required_keys:
        dup = df.duplicated(keys, keep=False) & df[required_keys].notna().all(axis=1)
        if dup.any():
            for _, grp in df[dup].groupby(keys, dropna=False, sort=False):
                first, *others = grp[ROW].tolist()
                label = ", ".join(f"{shown(k)}={grp.iloc[0][k]!s}" for k in keys if not _is_blank(grp.iloc[0][k]))
                for r in others:
                    problems.append(
                        Problem(f"duplicate {label} (first at row {first})", file=file, row=int(r),
                                column=shown(keys[0]), value=grp.iloc[0][keys[0]],
                                expected=f"each {' + '.join(shown(k) for k in keys)} only once")
                    )
    return df, problems


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
                known |= set(target[tcol].dropna().astype(str))
                checked.append((tcomp, tcol))
            if not checked:
                continue
            tcomp, tcol = checked[0]
            where = " or ".join(f"{files.get(c, c)} column '{k}'" for c, k in checked)
            col = df[attr.name]
            bad = col.notna().to_numpy(dtype=bool) & ~col.astype("string").isin(known).fillna(False).to_numpy(dtype=bool)
            rows = _rows_of(df)
            for i in np.flatnonzero(bad):
                problems.append(
                    Problem(
                        f"unknown {tcomp[:-1] if tcomp.endswith('s') else tcomp} id",
                        file=files.get(comp, comp),
                        row=int(rows[i]),
                        column=attr.name,
                        value=str(col.iloc[i]),
                        expected=f"an id listed in {where}",
                    )
                )
    return problems


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
