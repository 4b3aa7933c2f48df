"""The time loop: owns the state and the step counter, calls the kernels in ARIO's
order and hands each step to a recorder.

Step order (BoARIO 0.7's, see ``docs/simulation.md``): capacity loss ``Δ(t)`` →
overproduction ``α`` (from step 2) → production → distribution and inventories →
orders for the next step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from allychain.errors import InvariantError, ScenarioError
from allychain.simulate import kernels as K
from allychain.simulate.forcing import Forcing
from allychain.simulate.params import Params
from allychain.simulate.system import SimSystem

__all__ = ["State", "Static", "prepare", "initial_state", "step", "run", "Observer"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Static:
    """Per-system arrays derived once from the system and the parameters."""

    slot_s: np.ndarray  # inventory target in steps (inf = never binds)
    slot_s_psi: np.ndarray  # ψ·s, 0 where s is infinite
    slot_rate: np.ndarray  # 1/τ_inv
    relevant: np.ndarray  # bool (m,)
    starts: np.ndarray  # first slot of each buyer that has slots
    has: np.ndarray  # bool (n,)
    cap_den: np.ndarray  # X0 with 1 where X0 = 0 (capacity ratio)
    noalt_w: np.ndarray  # baseline order split


@dataclass
class State:
    """Dynamic state of a batch of runs (arrays have a leading batch dimension)."""

    t: int
    alpha: np.ndarray  # (B, n)
    stock: np.ndarray  # (B, m)
    orders: np.ndarray  # (B, e)
    x: np.ndarray  # (B, n) production of the last step


@dataclass
class StepOutput:
    t: int
    delta: np.ndarray
    alpha: np.ndarray
    xcap: np.ndarray
    x: np.ndarray
    demand: np.ndarray
    fd: np.ndarray
    fd_unmet: np.ndarray
    stock_start: np.ndarray


class Observer(Protocol):
    def __call__(self, out: StepOutput, state: State) -> None: ...


def prepare(system: SimSystem, params: Params) -> Static:
    s = np.where(np.isnan(system.slot_s), params.inventory_days, system.slot_s).astype(float)
    for prod, days in params.inventory_days_by_product.items():
        if prod not in system.products:
            raise ScenarioError(f"parameter inventory_days_by_product: product {prod!r} is not in the data; "
                                f"expected one of {', '.join(system.products[:10])}")
        s = np.where(system.slot_prod == system.products.index(prod), float(days), s)
    if params.stock_update == "boario":
        s = np.where(s <= 1, 2.0, s)  # BoARIO replaces targets ≤ 1 step by 2
    finite = np.isfinite(s)
    if params.relevance_rule == "boario":
        flow_annual = system.slot_flow0() * system.steps_per_year
        relevant = flow_annual > params.relevance_threshold * system.x0[system.slot_buyer]
    else:
        relevant = system.slot_a > params.relevance_threshold
    buyers = system.slot_buyer
    has = np.zeros(system.n, dtype=bool)
    has[buyers] = True
    if len(buyers) and np.any(np.diff(buyers) < 0):
        raise InvariantError("slots must be sorted by buyer")
    starts = np.flatnonzero(np.r_[True, np.diff(buyers) != 0]) if len(buyers) else np.zeros(0, dtype=np.int64)
    cap_den = np.where(system.x0 != 0, system.x0, 1.0)
    den = K.segment_sum(system.edge_z0[None, :], system.edge_slot, system.m)[0][system.edge_slot]
    noalt = np.divide(system.edge_z0, den, out=np.zeros_like(den), where=den != 0)
    return Static(
        slot_s=np.where(finite, s, np.inf),
        slot_s_psi=np.where(finite, s * params.psi, 0.0),
        slot_rate=np.full(system.m, 1.0 / params.inventory_tau),
        relevant=relevant,
        starts=starts,
        has=has,
        cap_den=cap_den,
        noalt_w=noalt,
    )


def initial_state(system: SimSystem, static: Static, params: Params, batch: int) -> State:
    """The baseline equilibrium: full stocks ``St = s a X0``, orders ``O = Z0``, ``α = α_b``."""
    stock0 = np.where(np.isfinite(static.slot_s), static.slot_s * system.slot_a * system.x0[system.slot_buyer], np.inf)
    return State(
        t=0,
        alpha=np.full((batch, system.n), params.alpha_base),
        stock=np.tile(stock0, (batch, 1)),
        orders=np.tile(system.edge_z0, (batch, 1)),
        x=np.tile(system.x0, (batch, 1)),
    )


def step(system: SimSystem, static: Static, params: Params, state: State, delta: np.ndarray,
         demand_mult: np.ndarray | None = None, licence: np.ndarray | None = None,
         check: bool = False) -> tuple[State, StepOutput]:
    """Advance a batch of runs by one step; returns the new state and what happened."""
    t = state.t
    y = system.y0[None, :] * (demand_mult if demand_mult is not None else 1.0)
    y = np.broadcast_to(y, delta.shape)
    D = K.total_demand(state.orders, system.edge_sup, y)
    alpha = state.alpha
    if t >= 2:
        alpha = K.update_alpha(alpha, D, state.x, params.alpha_base, params.alpha_max, params.alpha_tau,
                               params.alpha_relax)
    xcap = K.capacity(alpha, delta, system.x0)
    x, xopt = K.production(D, xcap, state.stock, system.slot_a, static.slot_s_psi, system.slot_buyer,
                           static.relevant, static.starts, static.has)
    add, f = K.distribute(x, D, state.orders, system.edge_sup, system.edge_slot, system.m)
    use = x[:, system.slot_buyer] * system.slot_a
    stock = K.update_stocks(state.stock, add, use, params.stock_update == "boario")
    if params.order_type == "alt" or licence is not None:
        w = K.order_weights(system.edge_z0, xcap / static.cap_den if params.order_type == "alt"
                            else np.ones_like(xcap), system.edge_sup, system.edge_slot, system.m, licence)
    else:
        w = np.broadcast_to(static.noalt_w, state.orders.shape)
    orders = K.place_orders(x, xopt, stock, system.slot_a, static.slot_s, static.slot_rate, system.slot_buyer, w,
                            system.edge_slot, params.stock_update == "boario")
    fd_met = y * f
    if check:
        if (stock < -1e-9 * (1 + np.abs(state.stock))).any():
            raise InvariantError(f"negative inventory at step {t}")
        if (x > xcap * (1 + 1e-12) + 1e-12).any():
            raise InvariantError(f"production above capacity at step {t}")
    new = State(t=t + 1, alpha=alpha, stock=stock, orders=orders, x=x)
    out = StepOutput(t=t, delta=delta, alpha=alpha, xcap=xcap, x=x, demand=D, fd=y, fd_unmet=y - fd_met,
                     stock_start=state.stock)
    return new, out


def run(system: SimSystem, forcing: Forcing, steps: int, params: Params | None = None,
        observers: list[Callable[[StepOutput, State], None]] | None = None,
        state: State | None = None, progress: Callable[[int], None] | None = None,
        check: bool | None = None) -> State:
    """Run ``steps`` steps of a batch of ``forcing.batch`` scenarios.

    Parameters
    ----------
    system
        The network as arrays (:mod:`allychain.simulate.system`).
    forcing
        Capacity loss, demand and licence drivers (:class:`~allychain.simulate.forcing.Forcing`).
    steps
        Number of steps to simulate.
    params
        Model parameters; BoARIO's choices via ``Params().with_compat("boario")``.
    observers
        Callables receiving each step's :class:`StepOutput` (e.g. a
        :class:`~allychain.simulate.recorder.Recorder`).
    check
        Internal invariant guards (default: the ``ALLYCHAIN_INVARIANTS`` environment variable).
    """
    import os

    params = params or Params()
    if check is None:
        check = os.environ.get("ALLYCHAIN_INVARIANTS", "") not in ("", "0")
    static = prepare(system, params)
    if state is None:
        state = initial_state(system, static, params, forcing.batch)
    forcing.e = system.e
    for _ in range(steps):
        t = state.t
        delta = forcing.capacity_loss(t)
        state, out = step(system, static, params, state, delta, forcing.demand_multiplier(t), forcing.licence(t),
                          check=check)
        for obs in observers or ():
            obs(out, state)
        if progress is not None:
            progress(t)
    return state
