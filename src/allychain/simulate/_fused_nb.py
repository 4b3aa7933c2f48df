# mypy: disable-error-code="no-untyped-def"
"""numba kernels of :mod:`allychain.simulate.fused` (imported only when numba is installed).

Arrays are node-major with the batch last (``(n, B)``, ``(m, B)``), C-contiguous.  Each
elementary operation is written as the numpy engine does it (same operands, same order),
so results are bit-identical; see ``kernels.py`` for the formulas.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# IEEE arithmetic as numpy does it (no fast-math, no fused multiply-add), x/0 → inf/nan as
# in numpy, the GIL released (Monte Carlo threads), compiled once and cached on disk
_jit = njit(cache=True, nogil=True, error_model="numpy", fastmath=False, boundscheck=False)
# helpers are inlined into the kernels (a call passing a dozen arrays costs more than its work)
_inline = njit(cache=True, nogil=True, error_model="numpy", fastmath=False, boundscheck=False, inline="always")


@_inline
def _fmin(a: float, b: float) -> float:  # numpy.fmin: a NaN loses
    if a != a:
        return b
    if b != b:
        return a
    return a if a <= b else b


@_jit
def node_pass(p_ptr, p_idx, p_val, og, oc, has_oc, y, delta, alpha_old, x_old, update_alpha, alpha_base, alpha_max,
              alpha_tau, exact_zero, x0, cap_den, slot_ptr, bind, need, stock, alt,
              D, alpha, xcap, xopt, x, f, c, cf):  # pragma: no cover - compiled
    """Per node ``k``: demand, α, capacity, production, rationing and capacity ratio."""
    n, B = D.shape
    inv_tau = 1.0 / alpha_tau
    mins = np.empty(B)
    for k in range(n):
        p0, p1 = p_ptr[k], p_ptr[k + 1]
        if B == 1:  # the sum in a register, terms in stored order (as scipy adds them)
            acc = 0.0
            for jj in range(p0, p1):
                acc += p_val[jj] * og[p_idx[jj], 0]
            D[k, 0] = acc
        else:  # whole batch rows, same order per element (vectorised over the batch)
            for b in range(B):
                D[k, b] = 0.0
            for jj in range(p0, p1):
                s = p_idx[jj]
                z = p_val[jj]
                for b in range(B):
                    D[k, b] += z * og[s, b]
        for b in range(B):
            d = D[k, b]
            if has_oc:
                d = d * oc[k, b]
            d = d + y[k, b]
            D[k, b] = d
            a = alpha_old[k, b]
            if update_alpha:
                sig = (d - x_old[k, b]) / d
                if not np.isfinite(sig):
                    sig = 0.0
                relax = sig == 0.0 if exact_zero else sig <= 0.0
                if relax:
                    sig = alpha_base - a
                else:
                    sig = sig * (alpha_max - a)
                sig = sig * inv_tau
                a = a + sig
                if a < 1.0:
                    a = 1.0
            alpha[k, b] = a
            cap = ((1.0 - delta[k, b]) * x0[k]) * a
            xcap[k, b] = cap
            xopt[k, b] = _fmin(d, cap)
            mins[b] = np.inf
        any_bind = False
        for s in range(slot_ptr[k], slot_ptr[k + 1]):
            if not bind[s]:
                continue
            any_bind = True
            for b in range(B):
                r = stock[s, b] / (xopt[k, b] * need[s])
                r = _fmin(r, 1.0)
                if r < mins[b] or r != r:
                    mins[b] = r
        for b in range(B):
            v = xopt[k, b] * mins[b] if any_bind else xopt[k, b]
            if not np.isfinite(v):
                v = 0.0
            x[k, b] = v
            fv = v / D[k, b]
            if not np.isfinite(fv):
                fv = 0.0
            f[k, b] = fv
            cv = xcap[k, b] / cap_den[k]
            c[k, b] = cv
            cf[k, b] = oc[k, b] * fv if has_oc else fv


@_inline
def _ship(t_idx, t_val, cf, c, alt, p0, p1, d0, den):  # pragma: no cover - compiled
    """Shipments ``Pᵀ(c_old ⊙ f)`` and denominators ``Pᵀ c`` of one slot (row ``p0:p1`` of
    ``Pᵀ``) into ``d0``, ``den`` (one per run of a batch); terms in stored order, as scipy
    adds them."""
    B = d0.shape[0]
    for b in range(B):  # whole batch rows (vectorised over the batch)
        d0[b] = 0.0
        den[b] = 0.0
    for jj in range(p0, p1):
        k = t_idx[jj]
        z = t_val[jj]
        for b in range(B):
            d0[b] += z * cf[k, b]
        if alt:
            for b in range(B):
                den[b] += z * c[k, b]


@_inline
def _close(a: float, b: float) -> bool:  # numpy.allclose's element test (rtol 1e-5, atol 1e-8)
    return abs(a - b) <= abs(b) * 1e-5 + 1e-8 or a == b


@_inline
def _order(nd: float, den: float, inv_den0: float, alt: bool) -> float:
    if alt:
        v = nd / den
        return v if np.isfinite(v) else 0.0
    return nd * inv_den0


@_jit
def slot_pass(t_ptr, t_idx, t_val, cf, c, og, alt, has_pipe, pipe_now, pipe_dest, buyer, a, goal, finite, inv_den0,
              rate, x, xopt, stock_old, stock, og_new):  # pragma: no cover - compiled
    """Per slot: deliveries, inventory ``St − use + add`` and the need → next orders."""
    m, B = stock.shape
    d0v = np.empty(B)
    denv = np.empty(B)
    for s in range(m):
        j = buyer[s]
        p0, p1 = t_ptr[s], t_ptr[s + 1]
        if B > 1:
            _ship(t_idx, t_val, cf, c, alt, p0, p1, d0v, denv)
        for b in range(B):
            if B == 1:  # one run: the sums in registers
                d0 = 0.0
                den = 0.0
                for jj in range(p0, p1):
                    k = t_idx[jj]
                    z = t_val[jj]
                    d0 += z * cf[k, 0]
                    if alt:
                        den += z * c[k, 0]
            else:
                d0 = d0v[b]
                den = denv[b]
            d0 = d0 * og[s, b]
            if has_pipe:
                add = pipe_now[s, b]
                pipe_now[s, b] = 0.0
                pipe_dest[s, b] += d0
            else:
                add = d0
            use = x[j, b] * a[s]
            st = (stock_old[s, b] - use) + add
            stock[s, b] = st
            gap = xopt[j, b] * goal[s] - st
            if gap < 0.0:
                gap = 0.0
            og_new[s, b] = _order(use + gap * rate, den, inv_den0[s], alt)


@_jit
def slot_pass_boario(t_ptr, t_idx, t_val, cf, c, og, alt, has_pipe, pipe_now, pipe_dest, buyer, a, goal, finite,
                     inv_den0, rate, x, xopt, stock_old, stock, og_new, add_w, den_w):  # pragma: no cover
    """:func:`slot_pass` with BoARIO's per-run ``allclose`` tests: a run keeps its stocks
    when deliveries and use are all close, and has no gap when stocks and goals are."""
    m, B = stock.shape
    d0v = np.empty(B)
    denv = np.empty(B)
    keep = np.ones(B, dtype=np.bool_)
    for s in range(m):
        j = buyer[s]
        p0, p1 = t_ptr[s], t_ptr[s + 1]
        if B > 1:
            _ship(t_idx, t_val, cf, c, alt, p0, p1, d0v, denv)
        for b in range(B):
            if B == 1:  # one run: the sums in registers
                d0 = 0.0
                den = 0.0
                for jj in range(p0, p1):
                    k = t_idx[jj]
                    z = t_val[jj]
                    d0 += z * cf[k, 0]
                    if alt:
                        den += z * c[k, 0]
            else:
                d0 = d0v[b]
                den = denv[b]
            d0 = d0 * og[s, b]
            if has_pipe:
                add = pipe_now[s, b]
                pipe_now[s, b] = 0.0
                pipe_dest[s, b] += d0
            else:
                add = d0
            add_w[s, b] = add
            den_w[s, b] = den
            if keep[b] and not _close(add, x[j, b] * a[s]):
                keep[b] = False
    close = np.ones(B, dtype=np.bool_)
    for s in range(m):
        j = buyer[s]
        for b in range(B):
            use = x[j, b] * a[s]
            st = stock_old[s, b] if keep[b] else (stock_old[s, b] - use) + add_w[s, b]
            stock[s, b] = st
            if finite[s] and close[b] and not _close(st, xopt[j, b] * goal[s]):
                close[b] = False
    for s in range(m):
        j = buyer[s]
        for b in range(B):
            use = x[j, b] * a[s]
            gap = 0.0
            if not close[b]:
                gap = xopt[j, b] * goal[s] - stock[s, b]
                if gap < 0.0:
                    gap = 0.0
            og_new[s, b] = _order(use + gap * rate, den_w[s, b], inv_den0[s], alt)
