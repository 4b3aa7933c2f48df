"""The fused step kernel: one ARIO step in two passes over the flows, compiled with numba.

:func:`allychain.simulate.engine.step` strings some forty numpy operations together, each a
full memory round trip over ``(n, B)`` or ``(m, B)`` arrays, plus three sparse products.
Here a step is

1. one pass over the nodes, reading each supplier's row of ``P`` (baseline flows into the
   slots it serves): demand ``D = c_old ⊙ (P g) + y``, overproduction ``α``, capacity,
   production limited by the node's own input slots, rationing ``f`` and the new capacity
   ratio ``c``;
2. one pass over the slots, reading each slot's row of ``Pᵀ``: shipments
   ``g ⊙ Pᵀ(c_old ⊙ f)``, next step's order denominators ``Pᵀ c``, inventories and the
   slot's need — the new orders.

BoARIO's ``allclose`` quirks (``stock_update="boario"``) decide per run over all slots, so
their outcome is known only after the slot pass.  The pass guesses it (each run's outcome
of the last step, carried in ``State.boario_flags``) and computes stocks and orders under
the guess while it runs the tests; the runs guessed wrong are done again.  The guess fails
only in the steps where a shock starts, ends or fades out, and the result never depends
on it.

The arithmetic is that of the numpy engine operation by operation, and every sum adds its
terms in the order scipy's sparse products do (suppliers, then slots, ascending), so the
two engines agree bit for bit (``tests/simulate/test_sim_fused.py``).  The numpy engine is
the reference and the fallback: explicit per-edge orders (export licences, a re-sourcing
limit) and transport lags of more than one length run there.

numba is optional (``pip install 'allychain[fast]'``); kernels are compiled once per
process on first use and cached on disk (``cache=True``).  They release the GIL, so Monte
Carlo runs batches on threads (:func:`allychain.simulate.montecarlo.run_montecarlo`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from allychain.errors import MissingExtraError, ScenarioError

if TYPE_CHECKING:
    from allychain.simulate.params import Params
    from allychain.simulate.state import State, Static, StepOutput
    from allychain.simulate.system import SimSystem

__all__ = ["ENGINES", "AUTO_SINGLE_RUN_MAX_SLOTS", "available", "choose_engine", "resolve_engine", "resolve", "supports",
           "covers", "warm", "arrays", "step"]

log = logging.getLogger(__name__)

#: engine names accepted by ``engine=`` and ``--engine`` (``torch``: :mod:`allychain.simulate.accel`)
ENGINES = ("auto", "numpy", "fused", "torch")
_KERNELS: dict[str, Any] = {}


def available() -> bool:
    """Whether numba is installed (the fused engine can run)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


#: ``engine="auto"`` runs a single run on the numpy engine above this many input slots
#: (``benchmarks/bench_engine_choice.py``, docs/benchmarks.md: for one run the fused
#: kernel's per-slot loop costs more than numpy's vectorised passes from a few ten thousand
#: slots on; two measured crossings, 4,300 and 14,000 slots, and this their geometric mean;
#: for batches the fused kernel is kept: its worst measured cost there was 10 %)
AUTO_SINGLE_RUN_MAX_SLOTS = 8_000


def choose_engine(batch: int, slots: int) -> str:
    """The engine ``"auto"`` takes, with numba installed, for ``batch`` runs at once of a
    system with ``slots`` input slots: ``"fused"`` for batches of two or more runs and for
    single runs of systems up to :data:`AUTO_SINGLE_RUN_MAX_SLOTS` slots, else ``"numpy"``.

    Examples
    --------
    >>> choose_engine(1, 384), choose_engine(1, 176_000), choose_engine(2, 176_000)
    ('fused', 'numpy', 'fused')
    """
    return "fused" if batch >= 2 or slots <= AUTO_SINGLE_RUN_MAX_SLOTS else "numpy"


def resolve_engine(engine: str | None, *, batch: int | None = None, slots: int | None = None) -> str:
    """``"numpy"``, ``"fused"`` or ``"torch"`` for a requested engine.

    ``None``/``"auto"``: ``"numpy"`` without numba; with numba, :func:`choose_engine` when
    the batch size and the number of input slots are given, else ``"fused"``.  The
    accelerator backend ``"torch"`` runs only when asked for.  All engines give the same
    numbers; only the time differs.

    Raises
    ------
    ScenarioError
        For an unknown name.
    MissingExtraError
        When ``"fused"`` is asked for without numba, or ``"torch"`` without PyTorch.
    """
    if engine is None or engine == "auto":
        if not available():
            return "numpy"
        return "fused" if batch is None or slots is None else choose_engine(batch, slots)
    if engine not in ENGINES:
        raise ScenarioError(f"engine={engine!r}; expected one of {', '.join(ENGINES)}")
    if engine == "fused" and not available():
        raise MissingExtraError("engine 'fused' needs numba: pip install 'allychain[fast]'")
    if engine == "torch":
        from allychain.simulate import accel

        if not accel.available():
            raise MissingExtraError(f"engine 'torch' needs PyTorch: {accel.INSTALL_HINT}")
    return engine


def resolve(engine: str | None, device: str | None = None, *, batch: int | None = None,
            slots: int | None = None) -> tuple[str, str | None]:
    """The engine (:func:`resolve_engine`) and, for ``"torch"``, its device
    (:func:`allychain.simulate.accel.resolve_device`; ``None`` for the other engines).

    Raises
    ------
    ScenarioError
        For an unknown name, or a device given to another engine than ``"torch"``.
    MissingExtraError, DeviceUnavailableError
        When the engine's library or the device is missing.
    """
    engine = resolve_engine(engine, batch=batch, slots=slots)
    if engine != "torch":
        if device not in (None, "auto"):
            raise ScenarioError(f"device={device!r} needs engine='torch' (the engine is {engine!r})")
        return engine, None
    from allychain.simulate import accel

    return engine, accel.resolve_device(device)


def supports(static: Static, params: Params, state: State, licence: np.ndarray | None) -> bool:
    """Whether the fused kernel covers this step (else the numpy engine runs it)."""
    return (licence is None and params.resourcing_limit is None and state.orders is None
            and len(static.PT_lag) == 1 and state.og is not None)


def covers(static: Static, params: Params) -> bool:
    """Whether the fused kernel runs every step of runs without licences under these
    parameters (then no step touches the numpy engine's shared scratch arrays)."""
    return params.resourcing_limit is None and len(static.PT_lag) == 1


def warm(system: SimSystem, static: Static) -> None:
    """Load the compiled kernels and build the kernel's arrays for ``static`` now (before
    threads share them)."""
    _kernels()
    _arrays(system, static)


def _kernels() -> dict[str, Any]:
    """Compile (or load from the cache) the kernels once per process."""
    if not _KERNELS:
        from allychain.simulate import _fused_nb

        _KERNELS.update(node_pass=_fused_nb.node_pass, slot_pass=_fused_nb.slot_pass,
                        slot_pass_boario=_fused_nb.slot_pass_boario)
    return _KERNELS


def arrays(system: SimSystem, static: Static) -> dict[str, np.ndarray]:
    """The kernel's arrays for ``static`` (built once per prepared system, see :func:`_arrays`)."""
    return _arrays(system, static)


def _arrays(system: SimSystem, static: Static) -> dict[str, np.ndarray]:
    """The flows in both row layouts and the per-slot constants the kernels read (built once
    per prepared system)."""
    hit = static.cache.get("fused")
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    P = sp.csr_matrix(static.P)  # (n × m), rows = suppliers
    P.sort_indices()
    PT = sp.csr_matrix(static.PT_lag[0])  # (m × n), rows = slots
    PT.sort_indices()
    m = system.m
    need = np.zeros(m)
    bind = np.zeros(m, dtype=np.bool_)
    rows = np.arange(m) if static.bind_rows is None else static.bind_rows
    bind[rows] = True
    need[rows] = static.slot_need[:, 0]
    slot_ptr = np.searchsorted(system.slot_buyer, np.arange(system.n + 1)).astype(np.int64)
    finite = np.ones(m, dtype=np.bool_) if static.finite is None else static.finite.astype(np.bool_)
    # 4-byte indices stream faster (8-byte ones beyond 2³¹ flows or nodes)
    ix = np.int32 if max(system.n, m, P.nnz) < 2**31 else np.int64
    hit = {
        "p_ptr": P.indptr.astype(ix), "p_idx": P.indices.astype(ix), "p_val": np.asarray(P.data, dtype=float),
        "t_ptr": PT.indptr.astype(ix), "t_idx": PT.indices.astype(ix), "t_val": np.asarray(PT.data, dtype=float),
        "slot_ptr": slot_ptr.astype(ix), "bind": bind, "need": need, "finite": finite,
        "buyer": system.slot_buyer.astype(ix), "a": system.slot_a.astype(float),
        "goal": np.ascontiguousarray(static.slot_goal[:, 0]), "x0": np.ascontiguousarray(static.x0[:, 0]),
        "cap_den": np.ascontiguousarray(static.cap_den[:, 0]), "inv_den0": np.ascontiguousarray(static.inv_den0[:, 0]),
    }
    static.cache["fused"] = hit
    return hit


def step(system: SimSystem, static: Static, params: Params, state: State, delta: np.ndarray,
         demand_mult: np.ndarray | None = None, check: bool = False) -> tuple[State, StepOutput]:
    """:func:`allychain.simulate.engine.step` for the cases :func:`supports` covers."""
    from allychain.simulate.engine import State, StepOutput, check_step

    k = _kernels()
    a = _arrays(system, static)
    t = state.t
    n, B = state.x.shape
    y = static.y0 if demand_mult is None else static.y0 * demand_mult
    y = np.ascontiguousarray(np.broadcast_to(y, (n, B)))
    delta = np.ascontiguousarray(np.broadcast_to(delta, (n, B)), dtype=float)
    alt = params.order_type == "alt"
    og = state.og
    assert og is not None
    oc = state.oc if state.oc is not None else np.ones((0, B))
    D, alpha, xcap, xopt, x, f, c, cf = (np.empty((n, B)) for _ in range(8))
    k["node_pass"](a["p_ptr"], a["p_idx"], a["p_val"], og, oc, state.oc is not None, y, delta, state.alpha,
                   state.x, t >= 2, params.alpha_base, params.alpha_max, params.alpha_tau,
                   params.alpha_relax == "exact_zero", a["x0"], a["cap_den"], a["slot_ptr"], a["bind"], a["need"],
                   state.stock, alt, D, alpha, xcap, xopt, x, f, c, cf)
    pipe = state.pipeline
    m = system.m
    if pipe is None:
        pipe_now = pipe_dest = np.zeros((0, B))
    else:
        L1 = pipe.shape[0]
        pipe_now, pipe_dest = pipe[t % L1], pipe[(t + static.lags[0]) % L1]
    stock, og_new = np.empty((m, B)), np.empty((m, B))
    args = (a["t_ptr"], a["t_idx"], a["t_val"], cf, c, og, alt, pipe is not None, pipe_now, pipe_dest,
            a["buyer"], a["a"], a["goal"], a["finite"], a["inv_den0"], static.rate, x, xopt, state.stock,
            stock, og_new)
    guess = None
    if params.stock_update == "boario":  # last step's outcome of the per-run tests as the guess
        hint = state.boario_flags
        guess = hint.copy() if hint is not None and hint.shape == (2, B) else np.ones((2, B), dtype=np.bool_)
        k["slot_pass_boario"](*args, guess, np.empty((m, B)) if pipe is not None else np.empty((0, B)))
    else:
        k["slot_pass"](*args)
    new = State(t=t + 1, alpha=alpha, stock=stock, x=x, pipeline=pipe, og=og_new, oc=c if alt else None,
                boario_flags=guess)
    if check:
        check_step(t, state.stock, stock, x, xcap)
    out = StepOutput(t=t, delta=delta.T, alpha=alpha.T, xcap=xcap.T, x=x.T, demand=D.T, stock_start=state.stock.T,
                     y=y, f=f)
    return new, out
