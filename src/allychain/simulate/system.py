"""The simulated economy as flat arrays: nodes, input slots and supply edges.

Every network granularity allychain knows (region × sector input-output tables, country ×
item share networks, site-level networks) is reduced to one :class:`SimSystem`:

* **nodes** ``k`` (``n`` of them): producing units with a baseline output ``x0_k`` per step
  and a baseline final demand ``y0_k`` per step, each making one **product**
  ``node_product[k]`` (a sector for IO tables, an item for share and site networks);
* **input slots** ``s`` (``m``): pairs (input product ``i``, buying node ``j``) with a
  technical coefficient ``a_s`` (units of ``i`` per unit of ``j``'s output, summed over
  origins) and an inventory held by ``j`` of product ``i``;
* **edges** ``e``: supplier ``k`` → buyer ``j`` with a baseline flow ``z0_e`` per step,
  attached to the slot of (product of ``k``, ``j``).  Suppliers of one slot are perfect
  substitutes (the ARIO assumption: stocks do not track origin).

The representation is sparse (edge lists, not ``n × n`` matrices), so the per-step cost
is proportional to the number of non-zero flows.  This module does no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["SimSystem", "from_iotables"]


@dataclass(frozen=True, eq=False)
class SimSystem:
    """Arrays describing a supply network for the simulation engine.

    Attributes
    ----------
    node_ids : list of str
        Node names as used in outputs (``region/sector`` for IO tables).
    node_region : numpy.ndarray of str, shape (n,)
        Region, country or member each node belongs to (used for aggregation and
        regional shocks).
    node_product : numpy.ndarray of int, shape (n,)
        Index into :attr:`products` of what each node makes.
    products : list of str
    x0 : numpy.ndarray, shape (n,)
        Baseline output per step (money or physical units per step).
    y0 : numpy.ndarray, shape (n,)
        Baseline final demand addressed to each node per step (sum over consumers).
    slot_prod, slot_buyer : numpy.ndarray of int, shape (m,)
        Input product and buying node of each slot; slots are sorted by buyer.
    slot_a : numpy.ndarray, shape (m,)
        Technical coefficient (input per unit of output) of the slot.
    slot_s : numpy.ndarray, shape (m,)
        Inventory target in steps of use; NaN means "use the parameter default".
    edge_sup, edge_buyer, edge_slot : numpy.ndarray of int, shape (e,)
    edge_z0 : numpy.ndarray, shape (e,)
        Baseline flow per step on each edge.
    fd : pandas.DataFrame or None
        Final demand per step by node (rows, in node order) and consumer column
        (e.g. ``(region, category)``); used to report unmet demand by consumer.
    steps_per_year : float
        Steps in one period of the source data (365: daily steps from annual tables).
    unit : str
        Unit of flows (e.g. ``"M.EUR"``), per step.
    edge_lag : numpy.ndarray or None, shape (e,)
        Transport lag of each edge in steps from the data (NaN: unknown, use the
        parameters); only used with ``Params(transport_lags=True)``.
    """

    node_ids: list[str]
    node_region: np.ndarray
    node_product: np.ndarray
    products: list[str]
    x0: np.ndarray
    y0: np.ndarray
    slot_prod: np.ndarray
    slot_buyer: np.ndarray
    slot_a: np.ndarray
    slot_s: np.ndarray
    edge_sup: np.ndarray
    edge_buyer: np.ndarray
    edge_slot: np.ndarray
    edge_z0: np.ndarray
    fd: pd.DataFrame | None = None
    steps_per_year: float = 365.0
    unit: str = ""
    name: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    edge_lag: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.node_ids)

    @property
    def m(self) -> int:
        return len(self.slot_a)

    @property
    def e(self) -> int:
        return len(self.edge_z0)

    @property
    def regions(self) -> list[str]:
        """Regions in first-appearance order."""
        return list(dict.fromkeys(self.node_region.tolist()))

    def node_index(self, node_id: str) -> int:
        try:
            return self._index()[node_id]
        except KeyError:
            raise KeyError(node_id) from None

    def _index(self) -> dict[str, int]:
        idx = self.meta.get("_index")
        if idx is None:
            idx = {k: i for i, k in enumerate(self.node_ids)}
            self.meta["_index"] = idx
        return idx

    def slot_flow0(self) -> np.ndarray:
        """Baseline per-step flow into each slot (``a_s · x0_buyer``)."""
        return self.slot_a * self.x0[self.slot_buyer]

    def __repr__(self) -> str:
        return f"SimSystem({self.name!r}: {self.n} nodes, {self.m} input slots, {self.e} edges)"


def from_iotables(Z: pd.DataFrame, Y: pd.DataFrame, x: pd.Series | None = None, *, sort: bool = False,
                  steps_per_year: float = 365.0, unit: str = "", name: str = "") -> SimSystem:
    """Build a :class:`SimSystem` from annual region × sector tables (pymrio convention).

    ``Z[(r,i),(s,j)]`` is the annual flow from industry ``(r,i)`` to ``(s,j)``, ``Y`` the
    annual final demand with ``(region, category)`` columns and ``x`` the gross output
    (``Z`` and ``Y`` row sums where not given).  Per-step values are the annual ones
    times ``δ = 1/steps_per_year``.  The technical coefficients aggregated by product are
    ``A_C[i, j] = Σ_r Z[(r,i), j] / x_j`` (0 where ``x_j = 0``).

    ``sort=True`` re-sorts regions and sectors lexicographically, as BoARIO does.
    """
    if sort:
        Z = Z.reindex(sorted(Z.index), axis=0).reindex(sorted(Z.columns), axis=1)
        Y = Y.reindex(sorted(Y.index), axis=0).reindex(sorted(Y.columns), axis=1)
        if x is not None:
            x = x.reindex(Z.index)
    if x is None:
        x = Z.sum(axis=1) + Y.sum(axis=1)
    x_ann = np.asarray(x, dtype=float).reshape(-1)
    Zv = Z.to_numpy(dtype=float)
    idx = Z.index
    regions = np.array([str(r) for r, _ in idx], dtype=object)
    sectors = [str(s) for _, s in idx]
    products = list(dict.fromkeys(sectors))
    pidx = {p: i for i, p in enumerate(products)}
    node_product = np.array([pidx[s] for s in sectors], dtype=np.int64)
    n = len(idx)
    delta = 1.0 / steps_per_year
    with np.errstate(divide="ignore"):
        recix = np.where(x_ann != 0, 1.0 / np.where(x_ann != 0, x_ann, 1.0), 0.0)
    # aggregate by product: A_C[p, j] = Σ_{k: product(k) = p} Z[k, j] / x_j (a sparse
    # indicator product, without an n × n copy of A)
    import scipy.sparse as sparse

    P = len(products)
    G = sparse.csr_matrix((np.ones(n), (node_product, np.arange(n))), shape=(P, n))
    A_C = np.asarray(G @ Zv) * recix[None, :]
    sp, sb = np.nonzero(A_C.T)  # sorted by buyer, then product
    slot_buyer, slot_prod = sp.astype(np.int64), sb.astype(np.int64)
    slot_a = A_C[slot_prod, slot_buyer]
    slot_of = -np.ones((P, n), dtype=np.int64)
    slot_of[slot_prod, slot_buyer] = np.arange(len(slot_a))
    es, eb = np.nonzero(Zv)
    edge_slot = slot_of[node_product[es], eb]
    keep = edge_slot >= 0  # a positive flow into a buyer with x=0 has no coefficient
    es, eb, edge_slot = es[keep], eb[keep], edge_slot[keep]
    fd = Y.astype(float) * delta
    fd.index = [f"{r}/{s}" for r, s in idx]
    return SimSystem(
        node_ids=[f"{r}/{s}" for r, s in idx],
        node_region=regions,
        node_product=node_product,
        products=products,
        x0=x_ann * delta,
        y0=Y.to_numpy(dtype=float).sum(axis=1) * delta,
        slot_prod=slot_prod,
        slot_buyer=slot_buyer,
        slot_a=slot_a,
        slot_s=np.full(len(slot_a), np.nan),
        edge_sup=es.astype(np.int64),
        edge_buyer=eb.astype(np.int64),
        edge_slot=edge_slot.astype(np.int64),
        edge_z0=Zv[es, eb] * delta,
        fd=fd,
        steps_per_year=steps_per_year,
        unit=unit,
        name=name,
        meta={"kind": "io", "sorted": sort},
    )
