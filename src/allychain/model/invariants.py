"""Internal invariant guards (the third validation tier).

Cheap, vectorised checks of facts that hold for every :class:`Network` allychain
builds: the schema's columns in order with the schema's dtypes, unique non-missing
ids, shares within 0-100 % or unknown, fractions within 0-1, no negative
capacities.  A failure is a bug in allychain (or in code that builds networks by
hand), never bad input: input is checked at the boundary
(:mod:`allychain.model.validate`) and reported as :class:`~allychain.errors.DataError`.

The guards run only when the environment variable ``ALLYCHAIN_INVARIANTS`` is set to
``1`` (the test suite sets it), so production code pays nothing for them.

Examples
--------
>>> import os, pandas as pd
>>> from allychain.model.network import Network
>>> from allychain.model.invariants import guard_network
>>> n = Network(shares=pd.DataFrame({"item_id": ["N1"], "provider_id": ["USA"], "share": [40.0]}))
>>> guard_network(n)  # fine: returns None
>>> bad = Network.__new__(Network)  # bypassing the constructor is how bugs slip in
>>> object.__setattr__(bad, "shares", n.shares.assign(share=[140.0]))
>>> for comp in ("stages", "items", "providers", "relations", "sources", "nodes", "edges", "bom", "alliances"):
...     object.__setattr__(bad, comp, getattr(n, comp))
>>> guard_network(bad)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
allychain.errors.InvariantError: network invariant violated: shares.share: 1 value(s) outside [0, 100]...
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import cache

import numpy as np
import pandas as pd

from allychain import schema
from allychain.errors import InvariantError

__all__ = ["enabled", "guard_network", "guard_union", "ENV", "UNIQUE"]

ENV = "ALLYCHAIN_INVARIANTS"

# Columns that identify a row; no two rows of a network share them.
UNIQUE: dict[str, tuple[str, ...]] = {
    "stages": ("stage_id",),
    "items": ("item_id",),
    "providers": ("provider_id",),
    "nodes": ("node_id",),
    "sources": ("source_id",),
    "shares": ("item_id", "provider_id", "year", "basis", "dataset"),
    "relations": ("source", "target", "kind"),
    "edges": ("supplier", "customer"),
    "bom": ("node_id", "input_product"),
    "alliances": ("alliance_id", "member"),
}

# (low, high) for numeric columns; NaN (unknown) always passes, ±inf only where the bound is infinite
_BOUNDS: dict[tuple[str, str], tuple[float, float]] = {
    ("shares", "share"): (0.0, 100.0),
    ("edges", "share"): (0.0, 1.0),
    ("nodes", "capacity"): (0.0, math.inf),
    ("nodes", "inventory"): (0.0, math.inf),
    ("nodes", "demand"): (0.0, math.inf),
    ("nodes", "ttr"): (0.0, math.inf),
    ("edges", "lead_time"): (0.0, math.inf),
    ("bom", "quantity"): (0.0, math.inf),
}

_BOUNDS_BY_TABLE: dict[str, list[tuple[str, tuple[float, float]]]] = {}
for (_comp, _col), _b in _BOUNDS.items():
    _BOUNDS_BY_TABLE.setdefault(_comp, []).append((_col, _b))

_DTYPES = {"str": "string", "float": "float64", "int": "Int64", "bool": "boolean"}


@cache
def _wanted(component: str) -> tuple[str, ...]:
    return tuple(_DTYPES[a.dtype] for a in schema.attributes(component))


def enabled() -> bool:
    """Whether the guards are switched on (``ALLYCHAIN_INVARIANTS=1``)."""
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _table_violations(component: str, df: pd.DataFrame) -> list[str]:
    out: list[str] = []
    cols = schema.columns(component)
    if list(df.columns[: len(cols)]) != cols:
        missing = [c for c in cols if c not in df.columns]
        out.append(f"{component}: columns are not the schema's in order"
                   + (f" (missing {missing})" if missing else f" (got {list(df.columns)})"))
        return out
    if "_row" in df.columns:
        out.append(f"{component}: import-only column '_row' leaked into the network")
    got = [str(d) for d in df.dtypes.tolist()[: len(cols)]]
    for name, g, want in zip(cols, got, _wanted(component), strict=True):
        if g != want:
            out.append(f"{component}.{name}: dtype {g}, expected {want}")
    if out or df.empty:
        return out
    key = list(UNIQUE[component])
    if len(key) == 1:
        ids = df[key[0]]
        nulls = int(ids.isna().sum())
        if nulls:
            out.append(f"{component}.{key[0]}: {nulls} missing id(s)")
        unique = ids.is_unique
    else:
        unique = False
    if not unique:
        dup = df.duplicated(key, keep="first")
        if dup.any():
            first = df.loc[dup, key].iloc[0].tolist()
            out.append(f"{component}: {int(dup.sum())} duplicate row(s) on {'+'.join(key)}, e.g. {first}")
    for col, (lo, hi) in _BOUNDS_BY_TABLE.get(component, ()):
        v = df[col].to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(v) & ((v < lo) | (v > hi) | (np.isinf(v) & math.isfinite(hi)))
        if bad.any():
            out.append(f"{component}.{col}: {int(bad.sum())} value(s) outside [{lo:g}, {hi:g}], "
                       f"e.g. {float(v[bad][0])!r}")
    return out


def guard_network(n: object) -> None:
    """Check the invariants of every table of ``n`` (a :class:`Network`).

    Cost: one pass over each table (duplicate detection is a hash of the key
    columns), O(rows).

    Raises
    ------
    InvariantError
        Listing every violation found.
    """
    problems: list[str] = []
    for comp in schema.COMPONENTS:
        df = getattr(n, comp, None)
        if not isinstance(df, pd.DataFrame):
            problems.append(f"{comp}: not a DataFrame ({type(df).__name__})")
            continue
        problems.extend(_table_violations(comp, df))
    if problems:
        raise InvariantError("network invariant violated: " + "; ".join(problems))


def _na_to_none(v: object) -> object:
    return None if v is None or v is pd.NA or v != v else v


def _keys(df: pd.DataFrame, cols: Sequence[str]) -> set[tuple[object, ...]]:
    if df.empty:
        return set()
    columns = [[_na_to_none(v) for v in df[c].tolist()] for c in cols]
    return set(zip(*columns, strict=True))


def guard_union(out: object, parts: Iterable[object], keys: Mapping[str, Sequence[str]]) -> None:
    """A combination of ``parts`` holds exactly the row keys of its parts.

    For each table in ``keys`` the set of key tuples of ``out`` must equal the union
    of the parts' key tuples: a merge loses no entity or row and invents none.

    Raises
    ------
    InvariantError
        Naming the table and an example key that was lost or invented.
    """
    parts = list(parts)
    problems: list[str] = []
    for comp, cols in keys.items():
        got = _keys(getattr(out, comp), cols)
        want: set[tuple[object, ...]] = set()
        for p in parts:
            want |= _keys(getattr(p, comp), cols)
        lost, extra = want - got, got - want
        if lost:
            problems.append(f"{comp}: {len(lost)} key(s) lost, e.g. {sorted(map(str, lost))[0]}")
        if extra:
            problems.append(f"{comp}: {len(extra)} key(s) not in any part, e.g. {sorted(map(str, extra))[0]}")
    if problems:
        raise InvariantError("combination invariant violated: " + "; ".join(problems))
