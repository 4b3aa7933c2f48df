"""The accelerator backend: the ARIO step on PyTorch tensors, on a GPU (CUDA) or the CPU.

The state lives on the device as float64 tensors, node-major with the batch last as in the
numpy engine (``(n, B)``, ``(m, B)``); the flows are two sparse CSR tensors, ``P``
(suppliers × slots) and ``Pᵀ`` (slots × suppliers), built once per prepared system and
device.  A step is the numpy engine's step (:func:`allychain.simulate.engine.step`,
factored orders) operation by operation: three sparse products, the same elementwise
arithmetic in the same order, a scatter-minimum for the production limit (a minimum does
not depend on the order of its terms).  On the CPU build, torch's sparse products add each
output's terms in stored order, as scipy does, and the two engines agree bit for bit on
every shipped scenario; on a GPU the sparse library may add them in another order, which
changes results in the last bits only (``tests/simulate/test_sim_accel.py`` asserts 1e-12
relative).

What the kernel does not cover runs on the numpy engine, as with the fused kernel: a step
with export licences (the state is moved to the host for that step) and, for a whole run,
a re-sourcing limit or transport lags of more than one length.

Randomness stays with numpy: Monte Carlo draws every run's shocks with its own numpy
generator (:func:`allychain.simulate.montecarlo.run_seed`) and only the resulting capacity
losses go to the device, so the runs are the same runs whatever the engine or device.

PyTorch is optional (``pip install 'allychain[gpu]'``) and imported only here, on first use.
"""

from __future__ import annotations

import importlib.util
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from allychain.errors import DeviceUnavailableError, InvariantError, MissingExtraError, ScenarioError

if TYPE_CHECKING:
    from allychain.simulate.forcing import Forcing
    from allychain.simulate.params import Params
    from allychain.simulate.state import State, Static, StepOutput
    from allychain.simulate.system import SimSystem

__all__ = ["DEVICES", "INSTALL_HINT", "available", "resolve_device", "covers", "supports", "device_arrays",
           "to_device", "to_host", "step", "run", "free_bytes"]

log = logging.getLogger(__name__)

#: device names accepted by ``device=`` and ``--device`` (``cuda:N`` picks a GPU)
DEVICES = ("auto", "cpu", "cuda")
INSTALL_HINT = "pip install 'allychain[gpu]'"


def available() -> bool:
    """Whether PyTorch is installed (without importing it)."""
    return importlib.util.find_spec("torch") is not None


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise MissingExtraError(f"engine 'torch' needs PyTorch: {INSTALL_HINT}") from None
    return torch


def resolve_device(device: str | None) -> str:
    """``"cpu"``, ``"cuda"`` or ``"cuda:N"`` for a requested device (``None``/``"auto"``:
    ``"cuda"`` when a CUDA device is available, else ``"cpu"``).

    Raises
    ------
    ScenarioError
        For an unknown name.
    MissingExtraError
        When PyTorch is not installed.
    DeviceUnavailableError
        When a CUDA device is asked for and none is available.
    """
    name = "auto" if device is None else str(device)
    index = name.split(":", 1)[1] if name.startswith("cuda:") else None
    if name not in DEVICES and not (index is not None and index.isdigit()):
        raise ScenarioError(f"device={device!r}; expected one of auto, cpu, cuda (or cuda:N)")
    torch = _torch()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise DeviceUnavailableError(f"device {name!r}: no CUDA device is available to PyTorch "
                                         f"{torch.__version__} (a CPU build, or no GPU or driver); use --device cpu")
        if index is not None and int(index) >= count:
            raise DeviceUnavailableError(f"device {name!r}: PyTorch sees {count} CUDA device(s), 0 to {count - 1}")
    return name


def free_bytes(device: str) -> int | None:
    """Free memory on a CUDA device in bytes (``None`` for the CPU: host memory is
    checked by :func:`allychain.limits.check_memory`)."""
    if not device.startswith("cuda"):
        return None
    return int(_torch().cuda.mem_get_info(device)[0])


def covers(static: Static, params: Params) -> bool:
    """Whether the kernel runs every step without licences under these parameters (else a
    whole run goes to the numpy engine)."""
    return params.resourcing_limit is None and len(static.PT_lag) == 1


def supports(static: Static, params: Params, state: State, licence: np.ndarray | None) -> bool:
    """Whether the kernel covers this step (else the numpy engine runs it on the host)."""
    return licence is None and covers(static, params) and state.orders is None and state.og is not None


@dataclass(frozen=True, eq=False)
class DeviceArrays:
    """The prepared system on one device (built once per prepared system and device)."""

    torch: Any
    device: str
    P: Any  # (n × m) CSR
    PT: Any  # (m × n) CSR
    buyer: Any  # (m,) int64
    slot_a: Any  # (m, 1)
    slot_goal: Any  # (m, 1)
    inv_den0: Any  # (m, 1)
    x0: Any  # (n, 1)
    y0: Any  # (n, 1)
    cap_den: Any  # (n, 1)
    bind_rows: Any  # (k,) int64 slots that can bind, None: all
    bind_buyer: Any  # (k,) int64 their buyers
    slot_need: Any  # (k, 1)
    finite: Any  # (m,) bool, None: all finite

    def tensor(self, a: np.ndarray) -> Any:
        """A host array on the device (float64, contiguous)."""
        return _tensor(self.torch, self.device, a)


def _tensor(torch: Any, device: str, a: np.ndarray) -> Any:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=float)).to(device)


def _csr(torch: Any, device: str, mat: Any) -> Any:
    """A scipy sparse matrix as a torch CSR tensor on the device (sorted indices)."""
    m = sp.csr_matrix(mat)
    m.sort_indices()
    with warnings.catch_warnings():  # "sparse CSR support is in beta state"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(m.indptr.astype(np.int64)),
                                       torch.from_numpy(m.indices.astype(np.int64)),
                                       torch.from_numpy(np.asarray(m.data, dtype=float)), size=m.shape,
                                       dtype=torch.float64, check_invariants=False).to(device)


def device_arrays(system: SimSystem, static: Static, device: str) -> DeviceArrays:
    """The kernel's tensors for ``static`` on ``device`` (cached in ``static.cache``)."""
    key = f"torch:{device}"
    hit = static.cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    torch = _torch()

    def ix(a: np.ndarray) -> Any:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64)).to(device)

    def fl(a: np.ndarray) -> Any:
        return _tensor(torch, device, a)

    rows = np.arange(system.m) if static.bind_rows is None else static.bind_rows
    arrays = DeviceArrays(
        torch=torch, device=device, P=_csr(torch, device, static.P), PT=_csr(torch, device, static.PT_lag[0]),
        buyer=ix(system.slot_buyer), slot_a=fl(system.slot_a[:, None]), slot_goal=fl(static.slot_goal),
        inv_den0=fl(static.inv_den0), x0=fl(static.x0), y0=fl(static.y0), cap_den=fl(static.cap_den),
        bind_rows=None if static.bind_rows is None else ix(static.bind_rows),
        bind_buyer=ix(system.slot_buyer[rows]), slot_need=fl(static.slot_need),
        finite=None if static.finite is None else torch.from_numpy(static.finite).to(device))
    static.cache[key] = arrays
    return arrays


_FIELDS = ("alpha", "stock", "x", "og", "oc", "orders", "shares", "pipeline")


def to_device(state: State, k: DeviceArrays) -> State:
    """A host state as one on the device (tensors in the same fields)."""
    from allychain.simulate.state import State

    fields: dict[str, Any] = {f: None if getattr(state, f) is None else k.tensor(getattr(state, f)) for f in _FIELDS}
    return State(t=state.t, **fields)


def to_host(state: State) -> State:
    """A device state as a host one (numpy arrays)."""
    from allychain.simulate.state import State

    fields: dict[str, Any] = {f: None if getattr(state, f) is None else getattr(state, f).cpu().numpy()
                              for f in _FIELDS}
    return State(t=state.t, **fields)


def _finite_or_zero(k: DeviceArrays, a: Any) -> Any:
    return k.torch.where(k.torch.isfinite(a), a, 0.0)


def _close_cols(k: DeviceArrays, a: Any, b: Any) -> Any:
    """:func:`allychain.simulate.kernels.allclose_cols` (rtol 1e-5, atol 1e-8) per batch column."""
    tol = b.abs() * 1e-5 + 1e-8
    return (((a - b).abs() <= tol) | (a == b)).all(dim=0)


def _alpha(k: DeviceArrays, params: Params, alpha: Any, D: Any, x_prev: Any) -> Any:
    """:func:`allychain.simulate.kernels.update_alpha`, operation by operation."""
    sigma = _finite_or_zero(k, (D - x_prev) / D)
    relax = sigma == 0 if params.alpha_relax == "exact_zero" else sigma <= 0
    sigma = sigma * (params.alpha_max - alpha)
    sigma = k.torch.where(relax, params.alpha_base - alpha, sigma)
    sigma = sigma * (1.0 / params.alpha_tau)
    return k.torch.maximum(alpha + sigma, k.torch.ones((), dtype=alpha.dtype, device=alpha.device))


def _production(k: DeviceArrays, D: Any, xcap: Any, stock: Any) -> tuple[Any, Any, Any]:
    """:func:`allychain.simulate.kernels.production`: ``(x, xopt, xopt[slot_buyer])``."""
    torch = k.torch
    xopt = torch.fmin(D, xcap)
    xb = xopt.index_select(0, k.buyer)
    if not len(k.bind_buyer):
        return xopt.clone(), xopt, xb
    if k.bind_rows is None:
        ratio, st = xb * k.slot_need, stock
    else:
        ratio, st = xb.index_select(0, k.bind_rows) * k.slot_need, stock.index_select(0, k.bind_rows)
    ratio = torch.fmin(st / ratio, torch.ones((), dtype=ratio.dtype, device=ratio.device))
    # nodes without binding slots keep 1: xopt · 1 is xopt exactly
    mins = torch.ones_like(xopt).scatter_reduce(0, k.bind_buyer[:, None].expand_as(ratio), ratio, "amin",
                                                include_self=True)
    return _finite_or_zero(k, xopt * mins), xopt, xb


def step(k: DeviceArrays, static: Static, params: Params, state: State, delta: Any,
         demand_mult: Any = None, check: bool = False) -> tuple[State, dict[str, Any]]:
    """One step of a device state (factored orders, at most one transport lag); returns
    the new state and the step's outputs as device tensors (``(n, B)``)."""
    from allychain.simulate.state import State

    torch = k.torch
    t, (n, B) = state.t, state.x.shape
    og, oc = state.og, state.oc
    assert og is not None
    y = (k.y0 if demand_mult is None else k.y0 * demand_mult).expand(n, B)
    D = k.P @ og
    if oc is not None:
        D = D * oc
    D = D + y
    alpha = _alpha(k, params, state.alpha, D, state.x) if t >= 2 else state.alpha
    xcap = (1.0 - delta) * k.x0 * alpha
    x, xopt, xb = _production(k, D, xcap, state.stock)
    f = _finite_or_zero(k, x / D)
    alt = params.order_type == "alt"
    c = xcap / k.cap_den if alt else None
    d0 = k.PT @ (f if oc is None else oc * f)
    den = k.PT @ c if c is not None else None
    d0 = d0 * og
    pipe = state.pipeline
    if pipe is None:
        add = d0
    else:  # one lag L > 0: what arrives now was sent L steps ago
        L1 = pipe.shape[0]
        add = pipe[t % L1].clone()
        pipe[t % L1] = 0.0
        pipe[(t + static.lags[0]) % L1] += d0
    use = x.index_select(0, k.buyer) * k.slot_a
    stock = (state.stock - use) + add
    boario = params.stock_update == "boario"
    if boario:
        stock = torch.where(_close_cols(k, add, use), state.stock, stock)
    goal = xb * k.slot_goal
    gap = torch.maximum(goal - stock, torch.zeros((), dtype=goal.dtype, device=goal.device))
    if boario:
        fin = (stock, goal) if k.finite is None else (stock[k.finite], goal[k.finite])
        gap = torch.where(_close_cols(k, *fin), 0.0, gap)
    need = use + gap * static.rate
    if c is None:
        new = State(t=t + 1, alpha=alpha, stock=stock, x=x, pipeline=pipe, og=need * k.inv_den0, oc=None)
    else:
        new = State(t=t + 1, alpha=alpha, stock=stock, x=x, pipeline=pipe, og=_finite_or_zero(k, need / den), oc=c)
    if check:
        old: Any = state.stock
        if bool((stock < -1e-9 * (1 + old.abs())).any()):
            raise InvariantError(f"negative inventory at step {t}")
        if bool((x > xcap * (1 + 1e-12) + 1e-12).any()):
            raise InvariantError(f"production above capacity at step {t}")
    out = {"delta": delta.expand(n, B), "alpha": alpha, "xcap": xcap, "x": x, "demand": D,
           "stock_start": state.stock, "y": y, "f": f}
    return new, out


def host_output(t: int, out: dict[str, Any]) -> StepOutput:
    """A step's device outputs as the host :class:`StepOutput` observers receive."""
    from allychain.simulate.state import StepOutput

    h = {name: v.cpu().numpy() for name, v in out.items()}
    return StepOutput(t=t, delta=h["delta"].T, alpha=h["alpha"].T, xcap=h["xcap"].T, x=h["x"].T,
                      demand=h["demand"].T, stock_start=h["stock_start"].T, y=h["y"], f=h["f"])


def run(system: SimSystem, static: Static, params: Params, forcing: Forcing, steps: int, state: State,
        device: str, observers: list[Callable[[StepOutput, State], None]] | None = None,
        progress: Callable[[int], None] | None = None, check: bool = False) -> State:
    """:func:`allychain.simulate.engine.run` on ``device`` (resolved by :func:`resolve_device`);
    takes and returns a host state.  Observers receive host outputs and the device state."""
    from allychain.simulate.engine import step as host_step

    k = device_arrays(system, static, device)
    st = to_device(state, k)
    for _ in range(steps):
        t = st.t
        delta = forcing.capacity_loss(t).T
        dm = forcing.demand_multiplier(t)
        lic = forcing.licence(t)
        if supports(static, params, st, lic):
            st, dev_out = step(k, static, params, st, k.tensor(delta), None if dm is None else k.tensor(dm.T), check)
            out = host_output(t, dev_out) if observers else None
        else:  # a step the kernel does not cover (export licences) on the numpy engine
            h, out = host_step(system, static, params, to_host(st), np.ascontiguousarray(delta),
                               None if dm is None else np.ascontiguousarray(dm.T),
                               None if lic is None else np.ascontiguousarray(lic.T), check=check)
            st = to_device(h, k)
        for obs in observers or ():
            assert out is not None
            obs(out, st)
        if progress is not None:
            progress(t)
    return to_host(st)


def _join(k: DeviceArrays, state: State, new: State) -> State:
    """:func:`allychain.simulate.engine.join` on the device (a factor held as ``None`` is 1)."""
    from allychain.simulate.state import State

    torch = k.torch

    def cat(a: Any, b: Any, dim: int = 1) -> Any:
        if a is None and b is None:
            return None
        if a is None or b is None:
            rows = (b if a is None else a).shape[0]
            a = torch.ones((rows, state.x.shape[1]), dtype=torch.float64, device=k.device) if a is None else a
            b = torch.ones((rows, new.x.shape[1]), dtype=torch.float64, device=k.device) if b is None else b
        return torch.cat([a, b], dim=dim)

    return State(t=state.t, alpha=cat(state.alpha, new.alpha), stock=cat(state.stock, new.stock),
                 x=cat(state.x, new.x), og=cat(state.og, new.og), oc=cat(state.oc, new.oc),
                 pipeline=cat(state.pipeline, new.pipeline, dim=2))


def run_batch(system: SimSystem, static: Static, params: Params, loss: Callable[[int, int], np.ndarray],
              start: np.ndarray, R: sp.csr_matrix, out: np.ndarray, device: str) -> None:
    """:func:`allychain.simulate.mcbatch.step_loop` on ``device``: the state and the
    per-region output stay there; only each step's capacity losses (drawn on the host by
    numpy) go over, and the output comes back once at the end."""
    from allychain.simulate.engine import initial_state

    k = device_arrays(system, static, device)
    torch = k.torch
    Rt = _csr(torch, device, R)
    acc = k.tensor(out)
    state: Any = None
    for t in range(out.shape[0]):
        active = int(np.searchsorted(start, t, side="right"))
        if active == 0:
            continue
        if state is None:
            state = to_device(initial_state(system, static, params, active, t), k)
        elif active > state.x.shape[1]:
            state = _join(k, state, to_device(initial_state(system, static, params, active - state.x.shape[1], t), k))
        state, _ = step(k, static, params, state, k.tensor(loss(t, active)))
        acc[t, :, :active] = Rt @ state.x
    out[...] = acc.cpu().numpy()
