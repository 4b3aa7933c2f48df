"""What the time loop carries: the per-system arrays derived once (:class:`Static`), the
dynamic state of a batch of runs (:class:`State`), what one step hands to observers
(:class:`StepOutput`), and joining two batches (:func:`join`).

These are plain containers shared by every step implementation (the numpy reference in
:mod:`allychain.simulate.engine`, the compiled kernel in :mod:`allychain.simulate.fused`)
and by the Monte Carlo driver; they compute nothing of the model themselves.

Layout: the state is node-major, ``(n, B)`` / ``(m, B)`` arrays with the batch last, so
that the sparse products stream over contiguous batch rows.  Observers receive
:class:`StepOutput` arrays as ``(B, n)`` views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from allychain.errors import InvariantError
from allychain.simulate.system import SimSystem

__all__ = ["Static", "State", "StepOutput", "Observer", "join"]


@dataclass(frozen=True, eq=False)
class Static:
    """Per-system arrays and sparse matrices derived once from the system and the parameters."""

    slot_s: np.ndarray  # inventory target in steps (inf = never binds)
    slot_need: np.ndarray  # ψ·s·a of the binding slots (bind_rows), (·, 1)
    slot_goal: np.ndarray  # s·a, 0 where s is infinite
    rate: float  # 1/τ_inv
    relevant: np.ndarray  # bool (m,)
    finite: np.ndarray | None  # bool (m,) finite targets; None when all are
    starts: np.ndarray  # first binding slot of each buyer that has binding slots
    has: np.ndarray  # bool (n,) buyers with binding slots
    has_rows: np.ndarray | None  # has, or None when every node has binding slots
    bind_rows: np.ndarray | None  # slots that can bind production, or None when all can
    min_plan: list[tuple[np.ndarray | None, np.ndarray]] | None  # segment minimum by rank (few slots per buyer)
    cap_den: np.ndarray  # X0 with 1 where X0 = 0 (capacity ratio), (n, 1)
    x0: np.ndarray  # (n, 1)
    y0: np.ndarray  # (n, 1)
    noalt_w: np.ndarray  # baseline order split per edge
    inv_den0: np.ndarray  # 1 / Σ_slot z0 (0 where no flow), (m, 1)
    P: Any  # (n × m) baseline flows z0 from supplier k into slot s: demand D = c ⊙ (P g)
    PT: Any  # (m × n) its transpose: shipments and order denominators
    lags: tuple[int, ...]  # distinct transport lags (steps), ascending
    PT_lag: tuple[Any, ...]  # (m × n) flows of the edges with each lag
    edge_lag: np.ndarray  # int (e,)
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def max_lag(self) -> int:
        return self.lags[-1] if self.lags else 0

    def scratch(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A scratch array reused from step to step (never part of a state or an output)."""
        key = f"scratch:{name}"
        buf = self.cache.get(key)
        if buf is None or buf.shape != shape:
            buf = np.empty(shape)
            self.cache[key] = buf
        return buf  # type: ignore[no-any-return]

    def edge_matrices(self, system: SimSystem) -> tuple[sp.csr_matrix, tuple[sp.csr_matrix, ...]]:
        """Indicator matrices for explicit per-edge orders (built on first use):
        supplier ``(n × e)`` and, per lag, slot ``(m × e)``."""
        hit = self.cache.get("edge")
        if hit is None:
            e = system.e
            cols = np.arange(e)
            ones = np.ones(e)
            sup = sp.csr_matrix((ones, (system.edge_sup, cols)), shape=(system.n, e))
            per = tuple(sp.csr_matrix((np.where(self.edge_lag == lag, 1.0, 0.0), (system.edge_slot, cols)),
                                      shape=(system.m, e)) for lag in self.lags)
            for mat in per:
                mat.eliminate_zeros()
            hit = (sup, per)
            self.cache["edge"] = hit
        return hit  # type: ignore[no-any-return]


@dataclass
class State:
    """Dynamic state of a batch of runs (node-major: batch last).

    Orders for the next step are held either in factored form ``O_e = z0_e c_k g_s``
    (``oc`` ``(n, B)``, ``None`` meaning 1; ``og`` ``(m, B)``) or explicitly per edge
    (``orders`` ``(e, B)``, with export licences or a re-sourcing limit).  ``shares`` are
    the per-edge order shares under a re-sourcing limit; ``pipeline[t mod (L+1)]`` holds
    the shipments (per slot) arriving at step ``t`` under transport lags (a ring buffer
    updated in place from step to step: keep a copy to look back).  ``boario_flags`` is
    the outcome of BoARIO's two per-run ``allclose`` tests in the last step (row 0: stocks
    kept, row 1: no gap), which the fused kernel takes as its guess for the next step
    (``None``: guessed true); it changes how fast a step runs, never its result.
    """

    t: int
    alpha: np.ndarray  # (n, B)
    stock: np.ndarray  # (m, B)
    x: np.ndarray  # (n, B) production of the last step
    og: np.ndarray | None = None  # (m, B)
    oc: np.ndarray | None = None  # (n, B)
    orders: np.ndarray | None = None  # (e, B)
    shares: np.ndarray | None = None  # (e, B)
    pipeline: np.ndarray | None = None  # (L + 1, m, B)
    boario_flags: np.ndarray | None = None  # (2, B) bool: last step's BoARIO tests, a guess for the next

    def edge_orders(self, system: SimSystem) -> np.ndarray:
        """Orders per edge ``(e, B)`` whatever the form they are held in."""
        if self.orders is not None:
            return self.orders
        assert self.og is not None
        o = system.edge_z0[:, None] * self.og[system.edge_slot]
        if self.oc is not None:
            o *= self.oc[system.edge_sup]
        return o


@dataclass
class StepOutput:
    """What happened in one step; arrays are ``(B, n)`` views (``stock_start`` ``(B, m)``).
    ``fd`` and ``fd_unmet`` are computed when read."""

    t: int
    delta: np.ndarray
    alpha: np.ndarray
    xcap: np.ndarray
    x: np.ndarray
    demand: np.ndarray
    stock_start: np.ndarray
    y: np.ndarray  # (n, B) final demand
    f: np.ndarray  # (n, B) share of demand served

    @property
    def fd(self) -> np.ndarray:
        return self.y.T

    @property
    def fd_unmet(self) -> np.ndarray:
        return (self.y - self.y * self.f).T


class Observer(Protocol):
    def __call__(self, out: StepOutput, state: State) -> None: ...


def join(state: State, new: State) -> State:
    """The runs of ``state`` followed by those of ``new`` (same step) as one batch."""
    if state.t != new.t:
        raise InvariantError(f"cannot join states at steps {state.t} and {new.t}")

    def cat(a: np.ndarray | None, b: np.ndarray | None, ones_like: np.ndarray | None = None,
            axis: int = 1) -> np.ndarray | None:
        if a is None and b is None:
            return None
        if a is None or b is None:
            # a factor held as None means 1
            assert ones_like is not None
            a = np.ones((ones_like.shape[0], state.stock.shape[1])) if a is None else a
            b = np.ones((ones_like.shape[0], new.stock.shape[1])) if b is None else b
        return np.concatenate([a, b], axis=axis)

    if (state.orders is None) != (new.orders is None):
        raise InvariantError("cannot join explicit and factored orders")
    return State(t=state.t, alpha=np.hstack([state.alpha, new.alpha]), stock=np.hstack([state.stock, new.stock]),
                 x=np.hstack([state.x, new.x]), og=cat(state.og, new.og), oc=cat(state.oc, new.oc, state.x),
                 orders=cat(state.orders, new.orders), shares=cat(state.shares, new.shares),
                 pipeline=cat(state.pipeline, new.pipeline, axis=2),
                 boario_flags=_join_flags(state, new))


def _join_flags(state: State, new: State) -> np.ndarray | None:
    """The BoARIO test outcomes of two joined batches (a side without them: guessed true)."""
    if state.boario_flags is None and new.boario_flags is None:
        return None
    parts = [np.ones((2, s.stock.shape[1]), dtype=bool) if s.boario_flags is None else s.boario_flags
             for s in (state, new)]
    return np.hstack(parts)


