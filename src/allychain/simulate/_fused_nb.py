# mypy: disable-error-code="no-untyped-def"
"""numba kernels of :mod:`allychain.simulate.fused` (imported only when numba is installed).

Arrays are node-major with the batch last (``(n, B)``, ``(m, B)``), C-contiguous.  Each
elementary operation is written as the numpy engine does it (same operands, same order),
so results are bit-identical; see ``kernels.py`` for the formulas.

:func:`mc_batch` runs the time loop of a whole Monte Carlo batch
(:func:`allychain.simulate.mcbatch.step_loop`) in one call: runs join at their first shock,
each step is the two passes above, and only the per-region output is kept.  Nothing
returns to Python between steps, the GIL is released for the whole batch; α, production and
the capacity ratio are updated in place, stocks and orders live in two buffers swapped from
step to step (widened only when runs join, a multiple of :data:`LANES` at a time).  Every number is computed as on the per-step path: the capacity loss of a node is the
largest of the shock values that hit it (a maximum does not depend on the order of its
terms), a factor ``c`` held as 1 (new runs) multiplies exactly, and each region's output
adds its nodes in ascending order, as scipy's sparse product does.  (One module, so that a
change to any kernel invalidates numba's on-disk cache of all of them.)
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


@_inline
def _alpha_row(Dk, a_old, xk_old, ak, update, alpha_base, alpha_max, inv_tau, exact_zero):  # pragma: no cover
    """One node's overproduction over the batch (``kernels.update_alpha``, same operations)."""
    if not update:
        for b in range(Dk.shape[0]):
            ak[b] = a_old[b]
        return
    for b in range(Dk.shape[0]):
        d = Dk[b]
        a = a_old[b]
        sig = (d - xk_old[b]) / d
        sig = sig if sig - sig == 0.0 else 0.0
        relax = sig == 0.0 if exact_zero else sig <= 0.0
        sig = (alpha_base - a) if relax else sig * (alpha_max - a)
        a = a + sig * inv_tau
        ak[b] = 1.0 if a < 1.0 else a


@_inline
def _rows_sum(idx, val, p0, p1, M, out):  # pragma: no cover - compiled
    """``out = Σ_{jj ∈ p0:p1} val[jj] · M[idx[jj]]`` over whole batch rows (vectorised over
    the batch), terms in stored order per element, as scipy adds them."""
    for b in range(out.shape[0]):
        out[b] = 0.0
    for jj in range(p0, p1):
        r = idx[jj]
        z = val[jj]
        for b in range(out.shape[0]):
            out[b] += z * M[r, b]


@_inline
def _node(k, p_ptr, p_idx, p_val, og, oc, has_oc, yk, dk, ak_old, xk_old, al, x0k, den_k, slot_ptr, bind, need,
          stock, Dk, ak, capk, optk, xk, fk, ck, cfk, mins):  # pragma: no cover - compiled
    """Node ``k`` over the batch: demand, α, capacity, production, rationing and capacity
    ratio; ``al`` is (update α, α_base, α_max, 1/τ_α, exact_zero).  Each output row is
    written after the last read of the row it may replace (α, ``x`` and ``c`` can be
    updated in place: the node reads only its own old values).  (Fewer than 31 arguments:
    numba does not inline a call with more.)"""
    update_alpha, alpha_base, alpha_max, inv_tau, exact_zero = al
    B = Dk.shape[0]
    p0, p1 = p_ptr[k], p_ptr[k + 1]
    if B == 1:  # the sum in a register, terms in stored order (as scipy adds them); an
        # unsigned index into the orders as one column: no test for a negative index
        og0 = og[:, 0]
        acc = 0.0
        for jj in range(p0, p1):
            acc += p_val[jj] * og0[np.uint64(p_idx[jj])]
        Dk[0] = acc
    else:
        _rows_sum(p_idx, p_val, p0, p1, og, Dk)
    # elementwise over the batch: one simple loop per output, so that the compiler
    # vectorises each (same operations in the same order as before, per element;
    # ``v - v == 0`` is ``isfinite(v)`` without a call)
    if has_oc:
        ock = oc[k]
        for b in range(B):
            Dk[b] = Dk[b] * ock[b] + yk[b]
    else:
        for b in range(B):
            Dk[b] = Dk[b] + yk[b]
    _alpha_row(Dk, ak_old, xk_old, ak, update_alpha, alpha_base, alpha_max, inv_tau, exact_zero)
    for b in range(B):
        capk[b] = ((1.0 - dk[b]) * x0k) * ak[b]
    for b in range(B):
        optk[b] = _fmin(Dk[b], capk[b])
    for b in range(B):
        mins[b] = np.inf
    any_bind = False
    for s in range(slot_ptr[k], slot_ptr[k + 1]):
        if not bind[s]:
            continue
        any_bind = True
        ns = need[s]
        st = stock[s]
        for b in range(B):
            r = _fmin(st[b] / (optk[b] * ns), 1.0)
            m0 = mins[b]
            mins[b] = r if (r < m0 or r != r) else m0
    if any_bind:
        for b in range(B):
            v = optk[b] * mins[b]
            xk[b] = v if v - v == 0.0 else 0.0
    else:
        for b in range(B):
            v = optk[b]
            xk[b] = v if v - v == 0.0 else 0.0
    for b in range(B):
        fv = xk[b] / Dk[b]
        fk[b] = fv if fv - fv == 0.0 else 0.0
    if has_oc:  # c_old ⊙ f before c is written (c may replace c_old)
        ock = oc[k]
        for b in range(B):
            cfk[b] = ock[b] * fk[b]
    else:
        for b in range(B):
            cfk[b] = fk[b]
    for b in range(B):
        ck[b] = capk[b] / den_k


@_jit
def node_pass(p_ptr, p_idx, p_val, og, oc, has_oc, y, delta, alpha_old, x_old, update_alpha, alpha_base, alpha_max,
              alpha_tau, exact_zero, x0, cap_den, slot_ptr, bind, need, stock, alt,
              D, alpha, xcap, xopt, x, f, c, cf):  # pragma: no cover - compiled
    """Per node ``k``: demand, α, capacity, production, rationing and capacity ratio."""
    n, B = D.shape
    al = (update_alpha, alpha_base, alpha_max, 1.0 / alpha_tau, exact_zero)
    mins = np.empty(B)
    for k in range(n):
        _node(k, p_ptr, p_idx, p_val, og, oc, has_oc, y[k], delta[k], alpha_old[k], x_old[k], al, x0[k], cap_den[k],
              slot_ptr, bind, need, stock, D[k], alpha[k], xcap[k], xopt[k], x[k], f[k], c[k], cf[k], mins)


@_jit
def mc_node_pass(p_ptr, p_idx, p_val, og, y, pair_ptr, pair_run, pair_onset, val, t, nb, update_alpha, alpha_base,
                 alpha_max, alpha_tau, exact_zero, x0, cap_den, slot_ptr, bind, need, stock, alpha, x, c, xopt,
                 cf):  # pragma: no cover - compiled
    """:func:`node_pass` for a Monte Carlo batch, updating α, ``x`` and ``c`` in place.  The
    capacity loss of node ``k`` is the largest value of its shock pairs (``pair_ptr[k]`` to
    ``pair_ptr[k + 1]``) live at step ``t``, built in a row; demand, capacity and rationing,
    which no other node reads, stay in rows too."""
    n, B = x.shape
    al = (update_alpha, alpha_base, alpha_max, 1.0 / alpha_tau, exact_zero)
    mins, Dk, dk, capk, fk = np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B)
    for k in range(n):
        for b in range(B):
            dk[b] = 0.0
        for p in range(pair_ptr[k], pair_ptr[k + 1]):
            b = pair_run[p]
            if pair_onset[p] <= t and b < nb:
                v = val[t, p]
                if v > dk[b]:
                    dk[b] = v
        _node(k, p_ptr, p_idx, p_val, og, c, True, y[k], dk, alpha[k], x[k], al, x0[k], cap_den[k], slot_ptr, bind,
              need, stock, Dk, alpha[k], capk, xopt[k], x[k], fk, c[k], cf[k], mins)


@_inline
def _ship(t_idx, t_val, cf, c, alt, p0, p1, d0, den):  # pragma: no cover - compiled
    """Shipments ``Pᵀ(c_old ⊙ f)`` and denominators ``Pᵀ c`` of one slot (row ``p0:p1`` of
    ``Pᵀ``) into ``d0``, ``den`` (one per run of a batch); terms in stored order, as scipy
    adds them.  Both sums in one pass over the row (not :func:`_rows_sum` twice: about 4 %
    faster per Monte Carlo batch on the ETO network)."""
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
def _arrival(t_idx, t_val, cf, c, alt, p0, p1, d0v, denv, og, has_pipe, pipe_now, pipe_dest, s,
             b):  # pragma: no cover - compiled
    """What reaches slot ``s`` of run ``b`` this step and the slot's order denominator: the
    shipments (summed in registers for a single run, else taken from :func:`_ship`'s batch
    rows) times the order fill, through the transport pipeline when there is one."""
    if d0v.shape[0] == 1:  # one run: the sums in registers (an unsigned index: no test for a negative one)
        d0 = 0.0
        den = 0.0
        for jj in range(p0, p1):
            k = np.uint64(t_idx[jj])
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
    return add, den


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
    if B == 1:  # one run: run 0 as a constant (the compiler keeps the per-slot work in registers)
        for s in range(m):
            add, den = _arrival(t_idx, t_val, cf, c, alt, t_ptr[s], t_ptr[s + 1], d0v, denv, og, has_pipe, pipe_now,
                                pipe_dest, s, 0)
            _stock_order(s, 0, buyer[s], add, den, a, goal, inv_den0, rate, alt, x, xopt, stock_old, stock, og_new)
        return
    for s in range(m):
        j = buyer[s]
        p0, p1 = t_ptr[s], t_ptr[s + 1]
        _ship(t_idx, t_val, cf, c, alt, p0, p1, d0v, denv)
        if not has_pipe:
            _slot_rows(og[s], x[j], xopt[j], stock_old[s], stock[s], og_new[s], d0v, denv, a[s], goal[s],
                       inv_den0[s], rate, alt)
            continue
        for b in range(B):
            add, den = _arrival(t_idx, t_val, cf, c, alt, p0, p1, d0v, denv, og, has_pipe, pipe_now, pipe_dest,
                                s, b)
            _stock_order(s, b, j, add, den, a, goal, inv_den0, rate, alt, x, xopt, stock_old, stock, og_new)


@_inline
def _stock_order(s, b, j, add, den, a, goal, inv_den0, rate, alt, x, xopt, stock_old, stock,
                 og_new):  # pragma: no cover - compiled
    """Slot ``s`` of run ``b`` (buyer ``j``), given what arrives: inventory ``St − use + add``
    and the next order from the need."""
    use = x[j, b] * a[s]
    st = (stock_old[s, b] - use) + add
    stock[s, b] = st
    gap = xopt[j, b] * goal[s] - st
    if gap < 0.0:
        gap = 0.0
    og_new[s, b] = _order(use + gap * rate, den, inv_den0[s], alt)


@_inline
def _slot_rows(og_s, x_j, xopt_j, old_s, stock_s, new_s, d0v, denv, a_s, goal_s, inv_den0_s, rate,
               alt):  # pragma: no cover - compiled
    """One slot's inventories and next orders over a batch without a pipeline: one simple
    loop per output (vectorised), the operations of :func:`slot_pass` in the same order."""
    B = d0v.shape[0]
    for b in range(B):
        d0v[b] = d0v[b] * og_s[b]
    for b in range(B):
        stock_s[b] = (old_s[b] - x_j[b] * a_s) + d0v[b]
    if alt:
        for b in range(B):
            gap = xopt_j[b] * goal_s - stock_s[b]
            gap = 0.0 if gap < 0.0 else gap
            v = (x_j[b] * a_s + gap * rate) / denv[b]
            new_s[b] = v if v - v == 0.0 else 0.0
    else:
        for b in range(B):
            gap = xopt_j[b] * goal_s - stock_s[b]
            gap = 0.0 if gap < 0.0 else gap
            new_s[b] = (x_j[b] * a_s + gap * rate) * inv_den0_s


@_inline
def _close_v(a: float, b: float) -> bool:  # _close without a short circuit (vectorises over a batch row)
    return (abs(a - b) <= abs(b) * 1e-5 + 1e-8) | (a == b)


@_jit
def slot_pass_boario(t_ptr, t_idx, t_val, cf, c, og, alt, has_pipe, pipe_now, pipe_dest, buyer, a, goal, finite,
                     inv_den0, rate, x, xopt, stock_old, stock, og_new, flags, add_w):  # pragma: no cover
    """:func:`slot_pass` with BoARIO's per-run ``allclose`` tests: a run keeps its stocks
    when deliveries and use are all close, and has no gap when stocks and goals are.

    Both tests span all slots, so their outcome is known only after a pass.  The pass
    guesses it: ``flags`` ``(2, B)`` holds each run's guess (row 0: keep stocks, row 1: no
    gap; usually last step's outcome, which holds from step to step except when a shock
    starts, ends or fades out) and receives the outcome.  One pass computes deliveries,
    stocks and orders under the guess while it runs both tests; only the runs guessed
    wrong are done again (:func:`_boario_redo`), so the result never depends on the guess.
    ``add_w`` ``(m, B)`` keeps the deliveries when there is a pipeline (they leave it in
    this pass), else it is not used.
    """
    m, B = stock.shape
    keep_g = flags[0].copy()
    close_g = flags[1].copy()
    keep = np.ones(B, dtype=np.bool_)
    close = np.ones(B, dtype=np.bool_)  # on the stocks written: the outcome where keep_g is right
    d0v = np.empty(B)
    denv = np.empty(B)
    if B == 1:  # one run: the guess and the tests in registers
        keep[0], close[0] = _boario_one(t_ptr, t_idx, t_val, cf, c, og, alt, has_pipe, pipe_now, pipe_dest, buyer, a,
                                        goal, finite, inv_den0, rate, x, xopt, stock_old, stock, og_new, add_w,
                                        keep_g[0], close_g[0], d0v, denv)
    else:
        for s in range(m):
            j = buyer[s]
            p0, p1 = t_ptr[s], t_ptr[s + 1]
            _ship(t_idx, t_val, cf, c, alt, p0, p1, d0v, denv)
            if not has_pipe:
                _boario_rows(og[s], x[j], xopt[j], stock_old[s], stock[s], og_new[s], d0v, denv, a[s], goal[s],
                             finite[s], inv_den0[s], rate, alt, keep_g, close_g, keep, close)
                continue
            for b in range(B):
                add, den = _arrival(t_idx, t_val, cf, c, alt, p0, p1, d0v, denv, og, has_pipe, pipe_now, pipe_dest,
                                    s, b)
                if has_pipe:
                    add_w[s, b] = add
                use = x[j, b] * a[s]
                if keep[b] and not _close(add, use):
                    keep[b] = False
                st = stock_old[s, b] if keep_g[b] else (stock_old[s, b] - use) + add
                stock[s, b] = st
                g = xopt[j, b] * goal[s]
                if finite[s] and close[b] and not _close(st, g):
                    close[b] = False
                gap = 0.0
                if not close_g[b]:
                    gap = g - st
                    if gap < 0.0:
                        gap = 0.0
                og_new[s, b] = _order(use + gap * rate, den, inv_den0[s], alt)
    _boario_redo(t_ptr, t_idx, t_val, cf, c, og, alt, has_pipe, buyer, a, goal, finite, inv_den0, rate, x, xopt,
                 stock_old, stock, og_new, add_w, keep_g, close_g, keep, close)
    for b in range(B):
        flags[0, b] = keep[b]
        flags[1, b] = close[b]


@_inline
def _boario_one(t_ptr, t_idx, t_val, cf, c, og, alt, has_pipe, pipe_now, pipe_dest, buyer, a, goal, finite, inv_den0,
                rate, x, xopt, stock_old, stock, og_new, add_w, keep_g, close_g, d0v, denv):  # pragma: no cover
    """The first pass of :func:`slot_pass_boario` for a single run (the same operations)."""
    keep = True
    close = True
    for s in range(stock.shape[0]):
        j = buyer[s]
        add, den = _arrival(t_idx, t_val, cf, c, alt, t_ptr[s], t_ptr[s + 1], d0v, denv, og, has_pipe, pipe_now,
                            pipe_dest, s, 0)
        if has_pipe:
            add_w[s, 0] = add
        use = x[j, 0] * a[s]
        if keep and not _close(add, use):
            keep = False
        st = stock_old[s, 0] if keep_g else (stock_old[s, 0] - use) + add
        stock[s, 0] = st
        g = xopt[j, 0] * goal[s]
        if close and finite[s] and not _close(st, g):
            close = False
        gap = 0.0
        if not close_g:
            gap = g - st
            if gap < 0.0:
                gap = 0.0
        og_new[s, 0] = _order(use + gap * rate, den, inv_den0[s], alt)
    return keep, close


@_inline
def _boario_rows(og_s, x_j, xopt_j, old_s, stock_s, new_s, d0v, denv, a_s, goal_s, finite_s, inv_den0_s, rate, alt,
                 keep_g, close_g, keep, close):  # pragma: no cover - compiled
    """One slot of :func:`slot_pass_boario` over a batch without a pipeline: one simple loop
    per output (vectorised), the operations of the per-run loop in the same order."""
    B = d0v.shape[0]
    for b in range(B):
        d0v[b] = d0v[b] * og_s[b]
    for b in range(B):
        keep[b] = keep[b] & _close_v(d0v[b], x_j[b] * a_s)
    for b in range(B):
        use = x_j[b] * a_s
        stock_s[b] = old_s[b] if keep_g[b] else (old_s[b] - use) + d0v[b]
    if finite_s:
        for b in range(B):
            close[b] = close[b] & _close_v(stock_s[b], xopt_j[b] * goal_s)
    for b in range(B):
        gap = xopt_j[b] * goal_s - stock_s[b]
        gap = 0.0 if gap < 0.0 else gap
        gap = 0.0 if close_g[b] else gap
        use = x_j[b] * a_s
        if alt:
            v = (use + gap * rate) / denv[b]
            new_s[b] = v if v - v == 0.0 else 0.0
        else:
            new_s[b] = (use + gap * rate) * inv_den0_s


@_inline
def _boario_redo(t_ptr, t_idx, t_val, cf, c, og, alt, has_pipe, buyer, a, goal, finite, inv_den0, rate, x, xopt,
                 stock_old, stock, og_new, add_w, keep_g, close_g, keep, close):  # pragma: no cover - compiled
    """The runs :func:`slot_pass_boario` guessed wrong, done again with the outcome: the
    stocks and their test where the keep guess was wrong, then the orders where the gap
    guess was wrong, or where the stocks changed and count (a gap).  Nothing is done for
    the runs guessed right; the sums are those of the first pass (one run's terms in
    stored order), so every number is the one a pass without a guess gives."""
    m, B = stock.shape
    redo_stock = np.zeros(B, dtype=np.bool_)
    any_stock = False
    for b in range(B):
        if keep[b] != keep_g[b]:
            redo_stock[b] = True
            any_stock = True
            close[b] = True
    if any_stock:
        for s in range(m):
            j = buyer[s]
            for b in range(B):
                if not redo_stock[b]:
                    continue
                if keep[b]:
                    st = stock_old[s, b]
                else:
                    if has_pipe:
                        add = add_w[s, b]
                    else:
                        d0 = 0.0
                        for jj in range(t_ptr[s], t_ptr[s + 1]):
                            d0 += t_val[jj] * cf[t_idx[jj], b]
                        add = d0 * og[s, b]
                    st = (stock_old[s, b] - x[j, b] * a[s]) + add
                stock[s, b] = st
                if finite[s] and close[b] and not _close(st, xopt[j, b] * goal[s]):
                    close[b] = False
    redo_order = np.zeros(B, dtype=np.bool_)
    any_order = False
    for b in range(B):
        if close[b] != close_g[b] or (redo_stock[b] and not close[b]):
            redo_order[b] = True
            any_order = True
    if not any_order:
        return
    for s in range(m):
        j = buyer[s]
        for b in range(B):
            if not redo_order[b]:
                continue
            den = 0.0
            if alt:
                for jj in range(t_ptr[s], t_ptr[s + 1]):
                    den += t_val[jj] * c[t_idx[jj], b]
            use = x[j, b] * a[s]
            gap = 0.0
            if not close[b]:
                gap = xopt[j, b] * goal[s] - stock[s, b]
                if gap < 0.0:
                    gap = 0.0
            og_new[s, b] = _order(use + gap * rate, den, inv_den0[s], alt)


@_jit
def boario_guess(flags, nb, active):  # pragma: no cover - compiled
    """``flags`` ``(2, nb)`` widened to ``active`` runs; runs that join at their baseline
    equilibrium are guessed to keep their stocks with no gap."""
    new = np.ones((2, active), dtype=np.bool_)
    for b in range(nb):
        new[0, b] = flags[0, b]
        new[1, b] = flags[1, b]
    return new


@_jit
def _grow(old, nb, active, fill_col):  # pragma: no cover - compiled
    """``old`` (rows, nb) widened to (rows, active), new columns set to ``fill_col`` per row."""
    rows = old.shape[0]
    new = np.empty((rows, active))
    for i in range(rows):
        for b in range(nb):
            new[i, b] = old[i, b]
        v = fill_col[i]
        for b in range(nb, active):
            new[i, b] = v
    return new


#: the batch width of the Monte Carlo kernel is a multiple of this many lanes: the compiler's
#: vector loops then run no scalar remainder (a lane past the last run holds a baseline run)
LANES = 8


@_jit
def mc_batch(p_ptr, p_idx, p_val, t_ptr, t_idx, t_val, slot_ptr, bind, need, buyer, a, goal, finite, inv_den0, x0,
             cap_den, y0, stock0, alpha_base, alpha_max, alpha_tau, exact_zero, alt, boario, rate, start,
             pair_ptr, pair_run, pair_onset, val, r_ptr, r_idx, r_val, out):  # pragma: no cover - compiled
    """Fill ``out[t, :, j]`` (regions × runs in start order) with ``R x_j(t)`` for every step
    at or after run ``j``'s start; ``val[t, p]`` is the capacity loss shock pair ``p`` puts on
    its node (pairs ``pair_ptr[k]`` to ``pair_ptr[k + 1]`` are node ``k``'s) of run
    ``pair_run[p]`` from step ``pair_onset[p]``.

    α, ``x`` and ``c`` are updated in place (each node reads only its own old values);
    stocks and orders, which the slot pass reads across slots in BoARIO's mode, keep two
    buffers.  The arrays are :data:`LANES`-wide multiples; a run joining in a lane that
    held a baseline run is set to the baseline exactly, so its numbers are those of a run
    joining alone."""
    T, R, B = out.shape
    n = x0.shape[0]
    m = stock0.shape[0]
    alpha_base_col = np.full(n, alpha_base)
    ones_n = np.ones(n)
    ones_m = np.ones(m)
    nb = 0
    alpha = np.empty((n, 0))
    x = np.empty((n, 0))
    c = np.empty((n, 0))
    stock = np.empty((m, 0))
    og = np.empty((m, 0))
    stock2, og2 = stock, og
    xopt, cf, y = alpha, alpha, alpha
    pipe0 = stock
    guess = np.ones((2, 0), dtype=np.bool_)  # BoARIO's per-run tests, last step's outcome
    for t in range(T):
        active = nb
        while active < B and start[active] <= t:
            active += 1
        if active == 0:
            continue
        if active > x.shape[1]:  # widen; the new lanes start at the baseline equilibrium
            W = min(B, ((active + LANES - 1) // LANES) * LANES)
            alpha = _grow(alpha, nb, W, alpha_base_col)
            x = _grow(x, nb, W, x0)
            c = _grow(c, nb, W, ones_n)
            stock = _grow(stock, nb, W, stock0)
            og = _grow(og, nb, W, ones_m)
            stock2, og2 = np.empty((m, W)), np.empty((m, W))
            xopt, cf, y = np.empty((n, W)), np.empty((n, W)), np.empty((n, W))
            for k in range(n):
                for b in range(W):
                    y[k, b] = y0[k]
            pipe0 = np.empty((0, W))
            guess = boario_guess(guess, guess.shape[1], W)
        elif active > nb:  # runs join in lanes that held baseline runs: the baseline, exactly
            for k in range(n):
                for b in range(nb, active):
                    alpha[k, b] = alpha_base
                    x[k, b] = x0[k]
                    c[k, b] = 1.0
            for s in range(m):
                for b in range(nb, active):
                    stock[s, b] = stock0[s]
                    og[s, b] = 1.0
            for b in range(nb, active):
                guess[0, b] = True
                guess[1, b] = True
        nb = active
        mc_node_pass(p_ptr, p_idx, p_val, og, y, pair_ptr, pair_run, pair_onset, val, t, nb, t >= 2, alpha_base,
                     alpha_max, alpha_tau, exact_zero, x0, cap_den, slot_ptr, bind, need, stock, alpha, x, c, xopt, cf)
        if boario:
            slot_pass_boario(t_ptr, t_idx, t_val, cf, c, og, alt, False, pipe0, pipe0, buyer, a, goal, finite,
                             inv_den0, rate, x, xopt, stock, stock2, og2, guess, pipe0)
        else:
            slot_pass(t_ptr, t_idx, t_val, cf, c, og, alt, False, pipe0, pipe0, buyer, a, goal, finite, inv_den0,
                      rate, x, xopt, stock, stock2, og2)
        if not alt:  # the factor c is not an order factor then: held as 1
            c[:, :] = 1.0
        stock, stock2 = stock2, stock
        og, og2 = og2, og
        for r in range(R):
            for b in range(nb):
                out[t, r, b] = 0.0
            for jj in range(r_ptr[r], r_ptr[r + 1]):
                k = r_idx[jj]
                w = r_val[jj]
                for b in range(nb):
                    out[t, r, b] += w * x[k, b]
