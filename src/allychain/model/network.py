"""The network container: a few typed pandas tables, nothing more.

One :class:`Network` holds any of the three granularities allychain works with:

* **share networks** (country- and firm-level market shares per item, the shape of the
  ETO dataset): ``stages``, ``items``, ``providers``, ``shares``, ``relations``;
* **site-level networks** (explicit supply links, capacities, inventories, demand and
  bills of materials): ``nodes``, ``edges``, ``bom``;
* **region × sector input-output tables** (pymrio): :attr:`Network.io`, an
  :class:`IOTables` holding ``Z``, ``Y`` and ``x``.

Members and alliances are the ``alliances`` table; provenance is the ``dataset``
column and the ``sources`` table.  Columns, dtypes and units come from
:mod:`allychain.schema`.  The container does no I/O, no solving, and never mutates
itself: capabilities take a network and return new objects.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from allychain import schema
from allychain.errors import DataError, Problem

__all__ = ["Network", "IOTables", "conform", "empty_table", "DTYPES"]

DTYPES: dict[str, Any] = {
    "str": "string",
    "float": "float64",
    "int": "Int64",
    "bool": "boolean",
}


def empty_table(component: str) -> pd.DataFrame:
    """An empty table with the schema's columns and dtypes."""
    return pd.DataFrame(
        {a.name: pd.Series(dtype=DTYPES[a.dtype]) for a in schema.attributes(component)}
    )


def conform(component: str, df: pd.DataFrame | None) -> pd.DataFrame:
    """Return ``df`` with every schema column present (missing optional ones as NA),
    schema columns first in schema order, extra columns kept after them, and the
    schema's dtypes applied.  Values must already be valid (see
    :func:`allychain.model.validate.coerce_table` for the boundary check)."""
    if df is None:
        return empty_table(component)
    out = df.reset_index(drop=True).copy()
    names = []
    for attr in schema.attributes(component):
        names.append(attr.name)
        dtype = DTYPES[attr.dtype]
        if attr.name not in out.columns:
            out[attr.name] = pd.Series(np.nan if attr.dtype == "float" else pd.NA, index=out.index, dtype=dtype)
        elif str(out[attr.name].dtype) != str(dtype):
            col = out[attr.name]
            if attr.dtype == "str" and pd.api.types.infer_dtype(col, skipna=True) not in ("string", "empty"):
                col = col.astype(object).where(col.notna(), None)
                col = col.map(lambda v: v if v is None else str(v))
            out[attr.name] = col.astype(dtype)
    extra = [c for c in out.columns if c not in names]
    return out[names + extra]


@dataclass(frozen=True, eq=False)
class IOTables:
    """Multi-regional input-output tables in pymrio's convention.

    Parameters
    ----------
    Z
        Intermediate flows, monetary units per period; rows and columns are a
        ``(region, sector)`` MultiIndex, ``Z[i, j]`` = flow from i to j.
    Y
        Final demand; rows ``(region, sector)``, columns ``(region, category)``.
    x
        Gross output per ``(region, sector)``; computed as row sums of Z and Y
        where not given.
    unit
        Monetary unit, e.g. ``"M.EUR"``.
    """

    Z: pd.DataFrame
    Y: pd.DataFrame
    x: pd.Series | None = None
    unit: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        problems = []
        if self.Z.shape[0] != self.Z.shape[1] or not self.Z.index.equals(self.Z.columns):
            problems.append(Problem("Z must be square with identical row and column labels", file="Z"))
        if not self.Y.index.equals(self.Z.index):
            problems.append(Problem("Y rows must equal Z rows", file="Y"))
        for nm, df in (("Z", self.Z), ("Y", self.Y)):
            vals = df.to_numpy(dtype=float)
            if not np.isfinite(vals).all():
                problems.append(Problem("non-finite values", file=nm, expected="finite numbers"))
        if problems:
            raise DataError(problems)
        if self.x is None:
            object.__setattr__(self, "x", self.Z.sum(axis=1) + self.Y.sum(axis=1))

    @property
    def node_ids(self) -> list[str]:
        """Node ids as ``region/sector``, the names used in outputs and capacity paths."""
        return [f"{r}/{s}" for r, s in self.Z.index]


@dataclass(frozen=True, eq=False)
class Network:
    """Supply-chain network as typed tables (see :mod:`allychain.schema`).

    Build one with a reader (:func:`allychain.data.load`) or by passing DataFrames;
    missing tables are empty, missing optional columns are NA.  Use
    :meth:`replace` to derive a modified copy.
    """

    name: str = "network"
    stages: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    items: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    providers: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    shares: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    relations: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    sources: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    nodes: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    edges: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    bom: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    alliances: pd.DataFrame = field(default=None)  # type: ignore[assignment]
    io: IOTables | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for comp in schema.COMPONENTS:
            object.__setattr__(self, comp, conform(comp, getattr(self, comp)))
        object.__setattr__(self, "meta", dict(self.meta))
        from allychain.model import invariants  # noqa: PLC0415 - cheap after the first import

        if invariants.enabled():
            invariants.guard_network(self)

    # -- container helpers -------------------------------------------------
    def table(self, component: str) -> pd.DataFrame:
        if component not in schema.COMPONENTS:
            raise KeyError(f"unknown table {component!r}; expected one of {', '.join(schema.COMPONENTS)}")
        return getattr(self, component)

    def tables(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for comp in schema.COMPONENTS:
            yield comp, getattr(self, comp)

    def replace(self, **changes: Any) -> Network:
        """A new network with some tables (or name, io, meta) replaced."""
        allowed = {f.name for f in fields(self)}
        bad = set(changes) - allowed
        if bad:
            raise TypeError(f"unknown fields {sorted(bad)}; expected some of {sorted(allowed)}")
        return replace(self, **changes)

    @property
    def granularities(self) -> list[str]:
        """Which kinds of data the network holds: ``shares``, ``site``, ``io``."""
        out = []
        if len(self.items) or len(self.shares):
            out.append("shares")
        if len(self.nodes):
            out.append("site")
        if self.io is not None:
            out.append("io")
        return out

    @property
    def datasets(self) -> list[str]:
        seen: list[str] = []
        for comp in ("shares", "relations", "sources"):
            for d in self.table(comp)["dataset"].dropna().unique():
                if d not in seen:
                    seen.append(str(d))
        return seen

    def item_names(self) -> dict[str, str]:
        return dict(zip(self.items["item_id"], self.items["name"], strict=True))

    def provider_names(self) -> dict[str, str]:
        return dict(zip(self.providers["provider_id"], self.providers["name"], strict=True))

    def countries(self) -> list[str]:
        """Provider ids of kind ``country`` (ISO 3166 alpha-3), sorted."""
        p = self.providers
        return sorted(p.loc[p["kind"] == "country", "provider_id"].astype(str))

    def firms(self) -> list[str]:
        p = self.providers
        return sorted(p.loc[p["kind"] == "firm", "provider_id"].astype(str))

    def alliance_members(self, alliance_id: str) -> list[str]:
        a = self.alliances
        members = a.loc[a["alliance_id"] == alliance_id, "member"]
        if members.empty:
            known = ", ".join(sorted(a["alliance_id"].dropna().unique())) or "none"
            raise KeyError(f"unknown alliance {alliance_id!r}; known alliances: {known}")
        return list(members.astype(str))

    def __repr__(self) -> str:
        counts = ", ".join(f"{c}={len(t)}" for c, t in self.tables() if len(t))
        io = f", io={len(self.io.Z)} region-sectors" if self.io is not None else ""
        return f"Network({self.name!r}: {counts or 'empty'}{io})"
