"""The time loop: owns the step counter, calls the kernels in ARIO's order and hands each
step to a recorder; and the set-up of a run (:func:`prepare`, :func:`initial_state`).

Step order (BoARIO 0.7's, see ``docs/simulation.md``): capacity loss ``Δ(t)`` →
overproduction ``α`` (from step 2) → production → distribution and inventories (with
transport lags: shipments join the pipeline and arrive later) → orders for the next step
(with a re-sourcing limit: shares move towards alternative suppliers at a capped rate).

The containers the loop carries (:class:`Static`, :class:`State`, :class:`StepOutput`,
:func:`join`) live in :mod:`allychain.simulate.state` and are re-exported here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from allychain.errors import InvariantError, ScenarioError
from allychain.limits import check_memory
from allychain.simulate import fused
from allychain.simulate import kernels as K
from allychain.simulate.forcing import Forcing
from allychain.simulate.params import Params
from allychain.simulate.state import Observer, State, Static, StepOutput, join
from allychain.simulate.system import SimSystem

__all__ = ["State", "Static", "StepOutput", "prepare", "initial_state", "join", "step", "run", "Observer",
           "edge_lags", "check_step"]

log = logging.getLogger(__name__)


def edge_lags(system: SimSystem, params: Params) -> np.ndarray:
    """Transport lag of every edge in whole steps (0 when ``params.transport_lags`` is off).

    A lead time from the data (``SimSystem.edge_lag``, e.g. ``edges.lead_time``) wins;
    then ``params.lead_time_by_product`` for the supplier's product; then
    ``params.lead_time``.  Values are rounded to the nearest step.
    """
    lag = np.zeros(system.e)
    if not params.transport_lags:
        return lag.astype(np.int64)
    lag[:] = params.lead_time
    for prod, steps in params.lead_time_by_product.items():
        if prod not in system.products:
            raise ScenarioError(f"parameter lead_time_by_product: product {prod!r} is not in the data; "
                                f"expected one of {', '.join(system.products[:10])}")
        lag[system.node_product[system.edge_sup] == system.products.index(prod)] = float(steps)
    data = system.edge_lag
    if data is not None:
        known = np.isfinite(data)
        lag[known] = data[known]
    return np.rint(lag).astype(np.int64)


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
    if len(system.slot_buyer) and np.any(np.diff(system.slot_buyer) < 0):
        raise InvariantError("slots must be sorted by buyer")
    bind = relevant & finite  # slots that can limit production
    buyers = system.slot_buyer[bind]
    has = np.zeros(system.n, dtype=bool)
    has[buyers] = True
    starts = np.flatnonzero(np.r_[True, np.diff(buyers) != 0]) if len(buyers) else np.zeros(0, dtype=np.int64)
    n, m, e = system.n, system.m, system.e
    lag = edge_lags(system, params)
    lags = tuple(int(v) for v in np.unique(lag)) if e and params.transport_lags else (0,)
    # The products run on whichever layout streams better, chosen from the system alone:
    # slot-major (CSR by slot) when the per-slot vectors are too large for the cache,
    # supplier-major (CSR by supplier) otherwise.  With sorted indices both add each
    # output's terms in the same order, so the numbers do not depend on the choice.
    slot_major = m > SLOT_MAJOR_MIN_SLOTS

    def flows(sel: np.ndarray | None) -> Any:
        z, sup, slot = (system.edge_z0, system.edge_sup, system.edge_slot) if sel is None else \
            (system.edge_z0[sel], system.edge_sup[sel], system.edge_slot[sel])
        if slot_major:
            mat = sp.csr_matrix((z, (slot, sup)), shape=(m, n))
            mat.sort_indices()
            return mat  # (m × n) CSR
        mat = sp.csr_matrix((z, (sup, slot)), shape=(n, m))
        mat.sort_indices()
        return mat.T  # (m × n) CSC view of the supplier-major CSR

    PT = flows(None)
    P = PT.T
    den0 = np.bincount(system.edge_slot, weights=system.edge_z0, minlength=m)
    per_edge_den = den0[system.edge_slot]
    noalt = np.divide(system.edge_z0, per_edge_den, out=np.zeros(e), where=per_edge_den != 0)
    PT_lag = (PT,) if len(lags) == 1 else tuple(flows(lag == v) for v in lags)
    s_fin = np.where(finite, s, 0.0)
    return Static(
        slot_s=np.where(finite, s, np.inf),
        slot_need=(s_fin * params.psi * system.slot_a)[bind][:, None],
        slot_goal=(s_fin * system.slot_a)[:, None],
        rate=1.0 / params.inventory_tau,
        relevant=relevant,
        finite=None if finite.all() else finite,
        starts=starts,
        has=has,
        has_rows=None if has.all() else has,
        bind_rows=None if bind.all() else np.flatnonzero(bind),
        min_plan=K.min_plan(starts, int(bind.sum())),
        cap_den=np.where(system.x0 != 0, system.x0, 1.0)[:, None],
        x0=system.x0[:, None].astype(float),
        y0=system.y0[:, None].astype(float),
        noalt_w=noalt,
        inv_den0=np.divide(1.0, den0, out=np.zeros(m), where=den0 != 0)[:, None],
        P=P,
        PT=PT,
        lags=lags,
        PT_lag=PT_lag,
        edge_lag=lag,
    )


def initial_state(system: SimSystem, static: Static, params: Params, batch: int, t: int = 0) -> State:
    """The baseline equilibrium at step ``t``: full stocks ``St = s a X0``, orders ``O = Z0``,
    ``α = α_b``, and (with transport lags) a pipeline holding the baseline shipments already
    on their way."""
    stock0 = np.where(np.isfinite(static.slot_s), static.slot_s * system.slot_a * system.x0[system.slot_buyer], np.inf)
    state = State(
        t=0,
        alpha=np.full((system.n, batch), params.alpha_base),
        stock=np.repeat(stock0[:, None], batch, axis=1),
        x=np.repeat(static.x0, batch, axis=1),
        og=np.ones((system.m, batch)),
        oc=None,
    )
    if params.resourcing_limit is not None:
        state.shares = np.repeat(static.noalt_w[:, None], batch, axis=1)
    L = static.max_lag
    if L > 0:
        check_memory(f"a transport pipeline of {L + 1:,} steps × {system.m:,} input slots × {batch:,} run(s)",
                     {"pipeline": 8.0 * (L + 1) * system.m * batch}, hint="shorter lead times or fewer runs at once")
        pipe = np.zeros((L + 1, system.m, batch))
        ones = np.ones((system.n, 1))
        for lag, mat in zip(static.lags, static.PT_lag, strict=True):
            flow = mat @ ones  # baseline shipments per slot on edges with this lag
            pipe[:lag] += flow  # dispatched at steps k − lag < 0, arriving at steps k = 0 … lag − 1
        state.pipeline = np.roll(pipe, t % (L + 1), axis=0)  # slot t mod (L+1) arrives at step t
    state.t = t
    return state


#: systems with more input slots than this run their products slot-major (see prepare)
SLOT_MAJOR_MIN_SLOTS = 1_000_000
_POOL: list[Any] = []
#: products over at least this many stored flows run as two threads (scipy's sparse
#: kernels release the GIL); each product is computed whole by one thread, so the numbers
#: do not depend on the threading
THREAD_MIN_NNZ = 1_000_000


def _threads() -> int:
    import os

    try:
        return max(1, int(os.environ.get("ALLYCHAIN_SIM_THREADS", "2")))
    except ValueError:
        return 1


def _pair_product(M: Any, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(M u, M v)``, the two products in two threads when ``M`` is large."""
    if u.shape[1] == 1:
        def one(a: np.ndarray) -> np.ndarray:
            return (M @ a[:, 0])[:, None]
    else:
        def one(a: np.ndarray) -> np.ndarray:
            return M @ a
    if M.nnz >= THREAD_MIN_NNZ and _threads() > 1:
        if not _POOL:
            from concurrent.futures import ThreadPoolExecutor

            _POOL.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="allychain-sim"))
        fut = _POOL[0].submit(one, v)
        return one(u), fut.result()
    return one(u), one(v)


def _demand(static: Static, state: State, y: np.ndarray, sup: sp.csr_matrix | None) -> np.ndarray:
    B = y.shape[1]
    if state.orders is not None:
        assert sup is not None
        D = sup @ state.orders
    else:
        assert state.og is not None
        D = (static.P @ state.og[:, 0])[:, None] if B == 1 else static.P @ state.og
        if state.oc is not None:
            D *= state.oc
    D += y
    return D


def _dispatch(static: Static, state: State, f: np.ndarray, system: SimSystem) -> list[np.ndarray]:
    """Shipments per slot leaving this step, one array per transport lag."""
    if state.orders is not None:
        _, per = static.edge_matrices(system)
        sent = state.orders * f[system.edge_sup]
        return [mat @ sent for mat in per]
    cf = f if state.oc is None else state.oc * f
    out = []
    for mat in static.PT_lag:
        d = mat @ cf
        d *= state.og
        out.append(d)
    return out


def check_step(t: int, stock_old: np.ndarray, stock: np.ndarray, x: np.ndarray, xcap: np.ndarray) -> None:
    """Internal invariant guards of one step (``check=True``)."""
    if (stock < -1e-9 * (1 + np.abs(stock_old))).any():
        raise InvariantError(f"negative inventory at step {t}")
    if (x > xcap * (1 + 1e-12) + 1e-12).any():
        raise InvariantError(f"production above capacity at step {t}")


def step(system: SimSystem, static: Static, params: Params, state: State, delta: np.ndarray,
         demand_mult: np.ndarray | None = None, licence: np.ndarray | None = None,
         check: bool = False, engine: str = "numpy") -> tuple[State, StepOutput]:
    """Advance a batch of runs by one step; returns the new state and what happened.

    ``delta``, ``demand_mult`` are ``(n, B)`` (or broadcastable), ``licence`` ``(e, B)``.
    ``engine="fused"`` runs the step with the compiled kernel of
    :mod:`allychain.simulate.fused` where it covers the step (the same numbers); resolve
    ``"auto"`` with :func:`allychain.simulate.fused.resolve_engine` first."""
    if engine == "fused" and fused.supports(static, params, state, licence):
        return fused.step(system, static, params, state, delta, demand_mult, check)
    t = state.t
    B = state.stock.shape[1]
    y = static.y0 if demand_mult is None else static.y0 * demand_mult
    y = np.broadcast_to(y, (system.n, B))
    explicit = licence is not None or params.resourcing_limit is not None
    sup = static.edge_matrices(system)[0] if state.orders is not None else None
    D = _demand(static, state, y, sup)
    alpha = state.alpha
    if t >= 2:
        alpha = K.update_alpha(alpha, D, state.x, params.alpha_base, params.alpha_max, params.alpha_tau,
                               params.alpha_relax, static.scratch("alpha", alpha.shape))
    xcap = K.capacity(alpha, delta, static.x0)
    x, xopt, xb = K.production(D, xcap, state.stock, static.slot_need, system.slot_buyer, static.starts,
                               static.has_rows, static.bind_rows, static.min_plan,
                               static.scratch("ratio", (len(static.slot_need), B)))
    f = K.ratio_f(x, D)
    c = xcap / static.cap_den if params.order_type == "alt" else None
    den = None
    if not explicit and c is not None and state.orders is None and len(static.PT_lag) == 1:
        # one product for this step's shipments (Pᵀ (c_old ⊙ f)) and next step's order
        # denominators (Pᵀ c): the matrix is read once for both
        cf = f if state.oc is None else state.oc * f
        d0, den = _pair_product(static.PT, cf, c)
        d0 *= state.og
        sent = [d0]
    else:
        sent = _dispatch(static, state, f, system)
    pipe = state.pipeline
    if pipe is None:
        add = sent[0]
        for extra in sent[1:]:
            add += extra
    else:
        L1 = pipe.shape[0]
        slot_now = t % L1
        add = pipe[slot_now].copy()
        pipe[slot_now] = 0.0
        for lag, d in zip(static.lags, sent, strict=True):
            if lag == 0:
                add += d
            else:
                pipe[(t + lag) % L1] += d
    use = x[system.slot_buyer]
    use *= system.slot_a[:, None]
    stock = K.update_stocks(state.stock, add, use, params.stock_update == "boario")
    need = K.slot_need(use, xb, stock, static.slot_goal, static.rate, static.finite, params.stock_update == "boario",
                       work=static.scratch("goal", stock.shape), overwrite_use=True)
    new = State(t=t + 1, alpha=alpha, stock=stock, x=x, pipeline=pipe)
    if explicit:
        cap_ratio = c if c is not None else np.ones((system.n, B))
        w = K.order_weights(system.edge_z0, cap_ratio, system.edge_sup, system.edge_slot, system.m, licence)
        if params.resourcing_limit is not None:
            prev = state.shares if state.shares is not None else np.repeat(static.noalt_w[:, None], B, axis=1)
            w = K.limit_resourcing(w, prev, params.resourcing_limit)
            new.shares = w
        new.orders = need[system.edge_slot] * w
    else:
        if c is None:
            need *= static.inv_den0
            new.og = need
        else:
            if den is None:
                den = static.PT @ c
            with np.errstate(divide="ignore", invalid="ignore"):
                np.divide(need, den, out=need)
            if not np.isfinite(need).all():  # no supplier of the slot has capacity: order nothing
                need[~np.isfinite(need)] = 0.0
            new.og, new.oc = need, c
    if check:
        check_step(t, state.stock, stock, x, xcap)
    out = StepOutput(t=t, delta=np.broadcast_to(delta, (system.n, B)).T, alpha=alpha.T, xcap=xcap.T, x=x.T,
                     demand=D.T, stock_start=state.stock.T, y=y, f=f)
    return new, out


def run(system: SimSystem, forcing: Forcing, steps: int, params: Params | None = None,
        observers: list[Callable[[StepOutput, State], None]] | None = None,
        state: State | None = None, progress: Callable[[int], None] | None = None,
        check: bool | None = None, static: Static | None = None, engine: str | None = None,
        device: str | None = None) -> State:
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
    static
        The result of :func:`prepare` for this system and these parameters, when the
        caller already has it.
    engine
        ``"numpy"`` (the reference), ``"fused"`` (the compiled kernel, needs numba) or
        ``None``/``"auto"``: chosen by :func:`allychain.simulate.fused.choose_engine` from
        the batch size and the number of input slots (numpy without numba); ``"torch"``
        (the accelerator backend, needs PyTorch) on ``device``.  All give the same numbers.
    device
        ``"cpu"``, ``"cuda"`` or ``None``/``"auto"`` (cuda when available): the device of
        ``engine="torch"`` (an error with another engine).
    """
    import os

    params = params or Params()
    if check is None:
        check = os.environ.get("ALLYCHAIN_INVARIANTS", "") not in ("", "0")
    if static is None:
        static = prepare(system, params)
    if state is None:
        state = initial_state(system, static, params, forcing.batch)
    forcing.e = system.e
    engine, device = fused.resolve(engine, device, batch=forcing.batch, slots=system.m)
    if engine == "torch":
        from allychain.simulate import accel

        assert device is not None
        if accel.covers(static, params):
            return accel.run(system, static, params, forcing, steps, state, device, observers, progress, check)
        log.info("engine 'torch' does not cover a re-sourcing limit or several transport lags: numpy engine")
        engine = "numpy"
    for _ in range(steps):
        t = state.t
        delta = np.ascontiguousarray(forcing.capacity_loss(t).T)
        dm = forcing.demand_multiplier(t)
        lic = forcing.licence(t)
        state, out = step(system, static, params, state, delta, None if dm is None else np.ascontiguousarray(dm.T),
                          None if lic is None else np.ascontiguousarray(lic.T), check=check, engine=engine)
        for obs in observers or ():
            obs(out, state)
        if progress is not None:
            progress(t)
    return state
