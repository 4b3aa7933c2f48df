"""Submitted tables through the boundary tier: the same checks and messages as any dataset.

A submitted file is parsed by :func:`allychain.data.csvread.parse_text_csv` and typed by
:func:`allychain.model.validate.coerce_table` against ``schema/submissions.csv``; then
the accepted values of that schema (units, patterns, ranges), the item ids of the
reference dataset and the cross-column rules are checked.  Every problem names file,
row, column, value and what was expected; one :class:`DataError` carries them all.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from allychain import schema
from allychain.errors import DataError, PayloadTooLarge, Problem, WorkspaceError

__all__ = ["validate_submission", "MAX_BYTES", "KINDS", "reference_items"]

KINDS = schema.SUBMISSIONS
MAX_BYTES = 2 * 1024 * 1024  # 2 MiB per uploaded file
SHARE_TOLERANCE = 0.5  # percentage points above 100 accepted for rounding


@lru_cache(maxsize=4)
def reference_items(data: str = "builtin") -> frozenset[str]:
    """Item ids a submission may name: those of the reference dataset.

    The built-in dataset's ids are read straight from its ``items.csv`` (it is
    validated by its own tests); any other dataset is loaded and validated.
    """
    if data == "builtin":
        import csv
        from importlib import resources

        text = resources.files("allychain.data").joinpath("builtin", "items.csv").read_text(encoding="utf-8")
        return frozenset(r["item_id"].strip() for r in csv.DictReader(text.splitlines()) if r.get("item_id"))
    from allychain.data.load import load

    return frozenset(load(data).items["item_id"].dropna().astype(str))


def validate_submission(kind: str, data: bytes, filename: str, reference: str = "builtin") -> Any:
    """Check an uploaded table; return it typed (a DataFrame without the row column).

    Raises
    ------
    WorkspaceError
        For an unknown ``kind``.
    PayloadTooLarge
        Beyond :data:`MAX_BYTES`.
    DataError
        With every problem found (file, row, column, value, expected).
    """
    from allychain.data.csvread import parse_text_csv
    from allychain.model.validate import ROW, coerce_table, errors

    if kind not in KINDS:
        raise WorkspaceError(f"unknown submission kind {kind!r}; expected one of {', '.join(KINDS)}")
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(f"{filename}: {len(data)} bytes; the limit is {MAX_BYTES} bytes per file")
    raw = parse_text_csv(data, filename)
    df, found = coerce_table(kind, raw, filename)
    problems = [p if p.severity == "error" else Problem(p.message.replace(" is kept as text but not used", ""),
                                                        file=p.file, row=p.row, column=p.column,
                                                        expected=p.expected)
                for p in found]
    if len(df) == 0:
        problems.append(Problem("no data rows", file=filename, row=2, expected=f"at least one {kind} row"))
    if not errors(problems) or all(p.row != 1 for p in problems):
        problems += _rules(kind, df, filename, reference)
    if problems:
        raise DataError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    return df.drop(columns=[ROW])


def _rules(kind: str, df: Any, file: str, reference: str) -> list[Problem]:
    import pandas as pd

    from allychain.model.members import is_iso3
    from allychain.model.validate import ROW

    out: list[Problem] = []
    rows = df[ROW].tolist()
    for rule in schema.rules(kind):
        if rule.name not in df.columns:
            continue
        for r, v in zip(rows, df[rule.name].tolist(), strict=True):
            if v is None or pd.isna(v):
                continue
            if rule.allowed and str(v) not in rule.allowed:
                out.append(Problem(f"unknown {rule.name}", file=file, row=r, column=rule.name, value=v,
                                   expected="one of " + ", ".join(rule.allowed)))
            if rule.pattern and not re.match(rule.pattern, str(v)):
                what = next(a.description for a in schema.attributes(kind) if a.name == rule.name)
                out.append(Problem(f"malformed {rule.name}", file=file, row=r, column=rule.name, value=v,
                                   expected=what))
            if isinstance(v, float) and ((rule.min is not None and v < rule.min)
                                         or (rule.max is not None and v > rule.max)):
                lo = "" if rule.min is None else f"{rule.min:g}"
                hi = "" if rule.max is None else f"{rule.max:g}"
                out.append(Problem("value out of range", file=file, row=r, column=rule.name, value=v,
                                   expected=f"a number from {lo} to {hi}" if hi else f"a number >= {lo}"))
    items = reference_items(reference)
    for r, item in zip(rows, df["item"].tolist(), strict=True):
        if isinstance(item, str) and item not in items:
            out.append(Problem("unknown item", file=file, row=r, column="item", value=item,
                               expected=f"an item id of the {reference} dataset (see `allychain items`)"))
    if "country" in df.columns:
        for r, c in zip(rows, df["country"].tolist(), strict=True):
            if isinstance(c, str) and re.match(r"^[A-Z]{3}$", c) and not is_iso3(c):
                out.append(Problem("unknown country", file=file, row=r, column="country", value=c,
                                   expected="an ISO 3166 alpha-3 code such as KOR or NLD"))
    out += _cross(kind, df, file, rows)
    return out


def _cross(kind: str, df: Any, file: str, rows: list[int]) -> list[Problem]:
    import pandas as pd

    from allychain.model.members import is_iso3

    out: list[Problem] = []
    if kind == "inventory":
        for r, d, q, u in zip(rows, df["days"].tolist(), df["quantity"].tolist(), df["unit"].tolist(), strict=True):
            if pd.isna(d) and pd.isna(q):
                out.append(Problem("no stock given", file=file, row=r, column="days",
                                   expected="days of cover, a quantity, or both"))
            if not pd.isna(q) and (u is None or pd.isna(u)):
                out.append(Problem("quantity without a unit", file=file, row=r, column="unit",
                                   expected="the unit of the quantity (units, wafers, t, kg, m3)"))
    if kind == "sourcing":
        for r, s, k in zip(rows, df["supplier"].tolist(), df["supplier_kind"].tolist(), strict=True):
            if k == "country" and isinstance(s, str) and not is_iso3(s):
                out.append(Problem("unknown country", file=file, row=r, column="supplier", value=s,
                                   expected="an ISO 3166 alpha-3 code (supplier_kind is country)"))
        total = df.groupby(["item", "year"], dropna=True)["share"].sum()
        for (item, year), s in total.items():
            if s > 100 + SHARE_TOLERANCE:
                r = int(df.loc[(df["item"] == item) & (df["year"] == year), "_row"].max())
                out.append(Problem(f"shares of {item} in {year} add up to {s:g}%", file=file, row=r,
                                   column="share", value=round(float(s), 6),
                                   expected="at most 100 per item and year"))
    return out
