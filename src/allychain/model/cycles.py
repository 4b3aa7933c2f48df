"""Cycles through relations of any mix of kinds, found in linear time.

``goes_into`` (input → product) and ``is_type_of`` (variant → category) both point
"downstream": what a variant needs, its category needs, and what goes into a product
is needed by whatever the product goes into.  A cycle through any mix of the two —
``A goes_into B goes_into C``, ``C is_type_of A`` — makes an item depend on itself;
the simulation then feeds a shock back into its own source and never recovers, and
the dependency walk has no order.  :func:`mixed_cycles` finds the cycles that need
both kinds (cycles of one kind are reported by
:func:`allychain.model.validate.find_cycles`) and names one per component with its rows.

Cost: ``O(V + E)`` — strongly connected components by
:func:`networkx.strongly_connected_components` (already loaded by the validator; no
extra import on the load path), then one breadth-first search per such component to name
one cycle in it.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import pandas as pd

from allychain.errors import Problem

__all__ = ["mixed_cycles", "KINDS"]

KINDS = ("goes_into", "is_type_of")
_SHOWN = 12  # steps and rows named in a message


def _strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Component label of each of ``n`` nodes (networkx's iterative Tarjan-style search, linear)."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(src.tolist(), dst.tolist(), strict=True))
    labels = np.empty(n, dtype=np.int64)
    for c, comp in enumerate(nx.strongly_connected_components(g)):
        labels[list(comp)] = c
    return labels


def _path(a: int, b: int, succ: dict[int, list[tuple[int, int]]]) -> list[int]:
    """Edge indices of a shortest path from ``a`` to ``b`` (BFS inside their component)."""
    if a == b:
        return []
    came: dict[int, tuple[int, int]] = {}  # node → (previous node, edge index)
    queue = deque([a])
    while queue:
        u = queue.popleft()
        for v, e in succ.get(u, ()):
            if v in came or v == a:
                continue
            came[v] = (u, e)
            if v == b:
                path = []
                while v != a:
                    v, e = came[v]
                    path.append(e)
                return path[::-1]
            queue.append(v)
    raise AssertionError("no path inside a strongly connected component")  # pragma: no cover


def mixed_cycles(relations: pd.DataFrame, rows: np.ndarray, file: str = "relations") -> list[Problem]:
    """Cycles whose edges are not all of one kind (``goes_into`` and ``is_type_of`` mixed).

    Parameters
    ----------
    relations
        Table with ``source``, ``target`` and ``kind`` columns; rows with a missing
        source or target, or another kind, are ignored.
    rows
        Spreadsheet row number of each row of ``relations`` (for messages).
    file
        File named in the problems.

    Returns
    -------
    list of Problem
        One error per strongly connected component of the combined graph that holds
        a cycle through both kinds (an edge that lies on no cycle of its own kind),
        naming one such cycle (``A -goes_into-> B -is_type_of-> A``) and its rows;
        ordered by first row.
    """
    if relations.empty or not {"source", "target", "kind"} <= set(relations.columns):
        return []
    kind = relations["kind"].astype("string")
    keep = (kind.isin(KINDS).fillna(False) & relations["source"].notna() & relations["target"].notna()).to_numpy(bool)
    if not keep.any():
        return []
    s = relations["source"].astype(str).to_numpy()[keep]
    t = relations["target"].astype(str).to_numpy()[keep]
    k = kind.to_numpy()[keep]
    r = np.asarray(rows)[keep]
    names, codes = np.unique(np.concatenate([s, t]), return_inverse=True)
    src, dst = codes[: len(s)], codes[len(s):]
    labels = _strong_components(len(names), src, dst)
    inside = labels[src] == labels[dst]  # edges within a component: the cyclic ones
    if not inside.any():
        return []
    # an edge whose ends are strongly connected through its own kind alone lies on a cycle of that kind
    # (find_cycles reports those); any other edge inside a combined component lies only on mixed cycles
    explained = np.zeros(len(src), dtype=bool)
    for kd in KINDS:
        m = k == kd
        if m.any():
            lab = _strong_components(len(names), src[m], dst[m])
            explained[m] = lab[src[m]] == lab[dst[m]]
    mixed = np.flatnonzero(inside & ~explained)
    if not len(mixed):
        return []
    succ: dict[int, list[tuple[int, int]]] = {}  # edges inside components only: a search never leaves one
    for i in np.flatnonzero(inside).tolist():
        succ.setdefault(int(src[i]), []).append((int(dst[i]), i))
    found: list[Problem] = []
    for _, idx in pd.Series(mixed).groupby(labels[src[mixed]]):
        first = int(idx.to_numpy()[np.argmin(r[idx.to_numpy()])])  # the mixed edge on the earliest row
        cyc = [first, *_path(int(dst[first]), int(src[first]), succ)]
        steps = [f" -{k[i]}-> {names[dst[i]]}" for i in cyc]
        if len(steps) > _SHOWN:  # a 100,000-step cycle is named by its ends
            steps = [*steps[: _SHOWN // 2], f" … {len(steps) - _SHOWN + 1} more steps …", *steps[-(_SHOWN // 2):]]
        path = names[src[cyc[0]]] + "".join(steps)
        edge_rows = sorted(int(x) for x in r[cyc])
        shown_rows = ", ".join(map(str, edge_rows[:_SHOWN])) + (f", … ({len(edge_rows)} rows)"
                                                                 if len(edge_rows) > _SHOWN else "")
        found.append(Problem(
            f"cycle through relations of different kinds: {path} (rows {shown_rows})",
            file=file, row=edge_rows[0], column="target", value=str(names[dst[cyc[0]]]),
            expected="relations without cycles: an item cannot be an input or a type of itself through any chain "
                     "(remove or reverse one of these rows)"))
    return sorted(found, key=lambda p: p.row or 0)
