"""Tables with marginal totals as cells plus additivity equations.

A :class:`Table` is the shape every part of disclosure control works on: one row per cell
(interior cells and totals alike) and a sparse matrix of equations ``E x = 0``, each row
saying ``total − Σ parts = 0``.  :func:`margin_table` builds the item × country table with
row, column and grand totals from organisations' contributions (optionally with a
hierarchy of items, e.g. from ``is_type_of`` relations: a parent row is the sum of its
children's rows).  The total label is ``"_total"``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allychain.disclosure.rules import PrimaryRules, assess_cells
from allychain.errors import DataError

__all__ = ["TOTAL", "Table", "item_hierarchy", "margin_table"]

TOTAL = "_total"


@dataclass(frozen=True)
class Table:
    """Cells and additivity equations of one table.

    Parameters
    ----------
    cells
        One row per cell, index ``0 … n−1``: the key columns (``keys``), ``value``,
        ``contributors``, ``sensitive``, ``reason``, ``upl``, ``lpl`` (see
        :func:`~allychain.disclosure.rules.assess_cells`).
    equations
        ``m × n`` sparse matrix; each row is one additivity equation ``Σ_j E_ij x_j = 0``.
    keys
        The columns that name a cell (e.g. ``("item", "country")``).
    name
        What the table is (e.g. ``"capacity"``); cells of tables with the same name and key
        are the same cells across releases.
    meta
        Parameters (the primary rules) and other JSON-able facts.
    """

    cells: pd.DataFrame
    equations: sp.csr_matrix
    keys: tuple[str, ...]
    name: str = ""
    meta: Mapping[str, object] = field(default_factory=dict)

    @property
    def values(self) -> np.ndarray:
        return self.cells["value"].to_numpy(dtype=float)

    @property
    def empty(self) -> np.ndarray:
        """Cells nobody contributes to: published as zero and never suppressed."""
        return self.cells["contributors"].to_numpy() == 0

    def residual(self) -> float:
        """Largest ``|E x|`` of the true values (0 for a consistent table)."""
        r = self.equations @ self.values
        return float(np.max(np.abs(r))) if len(r) else 0.0

    def cell_ids(self) -> list[tuple[str, ...]]:
        """The key of each cell, with the table name first (identity across releases)."""
        k = self.cells[list(self.keys)].astype(str).itertuples(index=False, name=None)
        return [(self.name, *t) for t in k]

    def fingerprint(self) -> str:
        """SHA-256 over the keys, values and equations (recorded with each release)."""
        payload = {"name": self.name, "keys": list(self.keys),
                   "cells": self.cells[[*self.keys, "value"]].astype(str).values.tolist(),
                   "eq": [self.equations.indptr.tolist(), self.equations.indices.tolist(),
                          self.equations.data.tolist()]}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def item_hierarchy(relations: pd.DataFrame, items: Sequence[str] | None = None) -> dict[str, str]:
    """``{child: parent}`` from the ``is_type_of`` rows of a network's relations table.

    Parameters
    ----------
    relations
        Columns ``source``, ``target``, ``kind`` (``source`` is a variant of ``target``
        where ``kind == "is_type_of"``).
    items
        Keep only the ancestors of these items (default: every ``is_type_of`` row).

    Raises
    ------
    DataError
        An item is a variant of two parents: a table's rows must form a tree.

    Examples
    --------
    >>> r = pd.DataFrame({"source": ["ArF", "KrF"], "target": ["DUV", "DUV"], "kind": "is_type_of"})
    >>> item_hierarchy(r)
    {'ArF': 'DUV', 'KrF': 'DUV'}
    """
    r = relations[relations["kind"] == "is_type_of"][["source", "target"]].astype(str).drop_duplicates()
    twice = r[r["source"].duplicated(keep=False)]
    parents = dict(zip(r["source"], r["target"], strict=True))
    if items is not None:
        keep: dict[str, str] = {}
        for it in map(str, items):
            while it in parents and it not in keep:
                keep[it] = parents[it]
                it = parents[it]
        parents = keep
    clash = twice[twice["source"].isin(list(parents))]
    if len(clash):
        s = clash["source"].iloc[0]
        raise DataError(f"item {s!r} is a variant of several items ({', '.join(sorted(clash[clash['source'] == s]['target']))}); "
                        "a table's item hierarchy must be a tree", column="target", value=s)
    return parents


def _leaves(items: Sequence[str], parents: Mapping[str, str]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {}
    for c, p in parents.items():
        children.setdefault(p, []).append(c)
    out: dict[str, list[str]] = {}

    def walk(r: str, seen: tuple[str, ...]) -> list[str]:
        if r in seen:
            raise DataError(f"the item hierarchy has a cycle through {r!r}", column="parent")
        if r in out:
            return out[r]
        kids = children.get(r, [])
        out[r] = [r] if not kids else sorted({x for k in kids for x in walk(k, (*seen, r))})
        return out[r]

    for r in [*items, *parents.values()]:
        walk(r, ())
    return out


def margin_table(contributions: pd.DataFrame, rules: PrimaryRules = PrimaryRules(), *, row: str = "item",
                 col: str = "country", contributor: str = "organisation", value: str = "value",
                 parents: Mapping[str, str] | None = None, name: str = "") -> Table:
    """Item × country table with row, column and grand totals, assessed by the primary rules.

    Parameters
    ----------
    contributions
        One row per figure: ``row`` (item), ``col`` (country), ``contributor``
        (organisation at holding level) and ``value`` (non-negative, the table's unit).
    rules
        Primary rules applied to every cell, totals included (a total with two
        contributors is as sensitive as an interior cell).
    row, col, contributor, value
        Column names.
    parents
        Optional item hierarchy ``{child: parent}`` (e.g. from ``is_type_of``).  Parent
        rows are added as the sums of their children; contributions must be to leaf items.
        The column totals then sum the top-level rows.
    name
        The table's name (cell identity across releases).

    Returns
    -------
    Table
        Cells for every (row, column) pair including ``"_total"`` ones; a pair without
        contributors is an *empty* cell (value 0, published, never suppressed).

    Raises
    ------
    DataError
        Missing columns, bad figures, a contribution to a non-leaf item, a cycle in the
        hierarchy, or a key equal to ``"_total"``.
    """
    parents = dict(parents or {})
    for k in (row, col):
        if k in contributions.columns and (contributions[k].astype(str) == TOTAL).any():
            raise DataError(f"{TOTAL!r} is reserved for totals", column=k)
    c = contributions.copy()
    for k in (row, col):
        if k in c.columns:
            c[k] = c[k].astype(str)
    items = sorted(set(c[row]) if row in c.columns else set())
    leaves = _leaves(items, parents)
    nonleaf = sorted(r for r, lv in leaves.items() if lv != [r])
    if set(nonleaf) & set(items):
        bad = sorted(set(nonleaf) & set(items))[0]
        raise DataError(f"item {bad!r} has sub-items in the hierarchy; contributions must be to leaf items",
                        column=row, value=bad)
    rows = sorted(leaves)
    countries = sorted(set(c[col])) if col in c.columns else []
    # replicate each contribution for its row, every ancestor row, the total row; its country and the total
    parts = []
    for r_lab in [*rows, TOTAL]:
        sel = c if r_lab == TOTAL else c[c[row].isin(leaves[r_lab])]
        if len(sel):
            parts.append(sel.assign(**{row: r_lab}))
    expanded = pd.concat(parts, ignore_index=True) if parts else c
    expanded = pd.concat([expanded, expanded.assign(**{col: TOTAL})], ignore_index=True)
    stats = assess_cells(expanded, [row, col], rules, contributor=contributor, value=value)
    grid = pd.MultiIndex.from_product([[*rows, TOTAL], [*countries, TOTAL]], names=[row, col]).to_frame(index=False)
    cells = grid.merge(stats, on=[row, col], how="left")
    for k in ("value", "x1", "x2", "upl", "lpl"):
        cells[k] = cells[k].fillna(0.0)
    cells["contributors"] = cells["contributors"].fillna(0).astype(int)
    cells["sensitive"] = cells["sensitive"].astype("boolean").fillna(False).astype(bool)
    cells["reason"] = cells["reason"].fillna("").astype(str)
    E = _equations(rows, countries, parents, leaves)
    t = Table(cells=cells, equations=E, keys=(row, col), name=name,
              meta={"rules": rules.to_dict(), "hierarchy": bool(parents)})
    assert t.residual() <= 1e-6 * max(1.0, float(np.abs(t.values).max(initial=0.0))), "totals do not add up"
    return t


def _equations(rows: list[str], countries: list[str], parents: Mapping[str, str],
               leaves: Mapping[str, list[str]]) -> sp.csr_matrix:
    R, C = [*rows, TOTAL], [*countries, TOTAL]
    nc = len(C)

    def idx(r: int, k: int) -> int:
        return r * nc + k

    ri = {r: i for i, r in enumerate(R)}
    tops = [r for r in rows if r not in parents]
    children: dict[str, list[str]] = {}
    for ch, p in parents.items():
        children.setdefault(p, []).append(ch)
    data: list[float] = []
    ii: list[int] = []
    jj: list[int] = []
    m = 0

    def eq(total: int, parts: list[int]) -> None:
        nonlocal m
        ii.extend([m] * (1 + len(parts)))
        jj.extend([total, *parts])
        data.extend([1.0] + [-1.0] * len(parts))
        m += 1

    for r in R:  # each row: its total column is the sum of its countries
        eq(idx(ri[r], nc - 1), [idx(ri[r], k) for k in range(nc - 1)])
    for k in range(nc):  # each column: the total row sums the top rows; a parent sums its children
        eq(idx(ri[TOTAL], k), [idx(ri[r], k) for r in tops])
        for p, kids in children.items():
            eq(idx(ri[p], k), [idx(ri[ch], k) for ch in kids])
    return sp.csr_matrix((data, (ii, jj)), shape=(m, len(R) * nc))
