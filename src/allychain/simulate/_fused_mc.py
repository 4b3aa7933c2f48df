# mypy: disable-error-code="no-untyped-def"
"""numba kernel of a whole Monte Carlo batch (imported only when numba is installed).

:func:`mc_batch` runs the time loop of :func:`allychain.simulate.mcbatch.step_loop` in one
compiled call: runs join at their first shock, each step is the fused kernel's two passes
(:mod:`allychain.simulate._fused_nb`, the same functions), and only the per-region output
is kept.  Nothing returns to Python between steps, the GIL is released for the whole
batch, and the state lives in two sets of buffers swapped from step to step (reallocated
only when runs join).  Every number is computed as on the per-step path: the capacity loss
of a node is the largest of the shock values that hit it (a maximum does not depend on the
order of its terms), a factor ``c`` held as 1 (new runs) multiplies exactly, and each
region's output adds its nodes in ascending order, as scipy's sparse product does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from allychain.simulate._fused_nb import node_pass, slot_pass, slot_pass_boario

_jit = njit(cache=True, nogil=True, error_model="numpy", fastmath=False, boundscheck=False)


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


@_jit
def mc_batch(p_ptr, p_idx, p_val, t_ptr, t_idx, t_val, slot_ptr, bind, need, buyer, a, goal, finite, inv_den0, x0,
             cap_den, y0, stock0, alpha_base, alpha_max, alpha_tau, exact_zero, alt, boario, rate, start,
             pair_node, pair_run, pair_onset, val, r_ptr, r_idx, r_val, out):  # pragma: no cover - compiled
    """Fill ``out[t, :, j]`` (regions × runs in start order) with ``R x_j(t)`` for every step
    at or after run ``j``'s start; ``val[t, p]`` is the capacity loss shock pair ``p`` puts on
    node ``pair_node[p]`` of run ``pair_run[p]`` from step ``pair_onset[p]``."""
    T, R, B = out.shape
    n = x0.shape[0]
    m = stock0.shape[0]
    P = pair_node.shape[0]
    alpha_base_col = np.full(n, alpha_base)
    ones_n = np.ones(n)
    ones_m = np.ones(m)
    nb = 0
    # state (current) and the buffers the next step writes into; work arrays
    alpha = np.empty((n, 0))
    x = np.empty((n, 0))
    oc = np.empty((n, 0))
    stock = np.empty((m, 0))
    og = np.empty((m, 0))
    alpha2, x2, oc2, stock2, og2 = alpha, x, oc, stock, og
    D, xcap, xopt, f, cf, delta, y = alpha, alpha, alpha, alpha, alpha, alpha, alpha
    add_w, den_w, pipe0 = stock, stock, stock
    for t in range(T):
        active = nb
        while active < B and start[active] <= t:
            active += 1
        if active == 0:
            continue
        if active > nb:  # runs join at their baseline equilibrium
            alpha = _grow(alpha, nb, active, alpha_base_col)
            x = _grow(x, nb, active, x0)
            oc = _grow(oc, nb, active, ones_n)
            stock = _grow(stock, nb, active, stock0)
            og = _grow(og, nb, active, ones_m)
            alpha2, x2, oc2 = np.empty((n, active)), np.empty((n, active)), np.empty((n, active))
            stock2, og2 = np.empty((m, active)), np.empty((m, active))
            D, xcap, xopt, f, cf = (np.empty((n, active)), np.empty((n, active)), np.empty((n, active)),
                                    np.empty((n, active)), np.empty((n, active)))
            delta, y = np.empty((n, active)), np.empty((n, active))
            for k in range(n):
                for b in range(active):
                    y[k, b] = y0[k]
            add_w, den_w, pipe0 = np.empty((m, active)), np.empty((m, active)), np.empty((0, active))
            nb = active
        delta[:, :] = 0.0
        for p in range(P):
            b = pair_run[p]
            if pair_onset[p] <= t and b < nb:
                v = val[t, p]
                k = pair_node[p]
                if v > delta[k, b]:
                    delta[k, b] = v
        node_pass(p_ptr, p_idx, p_val, og, oc, True, y, delta, alpha, x, t >= 2, alpha_base, alpha_max, alpha_tau,
                  exact_zero, x0, cap_den, slot_ptr, bind, need, stock, alt, D, alpha2, xcap, xopt, x2, f, oc2, cf)
        if boario:
            slot_pass_boario(t_ptr, t_idx, t_val, cf, oc2, og, alt, False, pipe0, pipe0, buyer, a, goal, finite,
                             inv_den0, rate, x2, xopt, stock, stock2, og2, add_w, den_w)
        else:
            slot_pass(t_ptr, t_idx, t_val, cf, oc2, og, alt, False, pipe0, pipe0, buyer, a, goal, finite, inv_den0,
                      rate, x2, xopt, stock, stock2, og2)
        if not alt:  # the factor c is not an order factor then: held as 1
            oc2[:, :] = 1.0
        alpha, alpha2 = alpha2, alpha
        x, x2 = x2, x
        oc, oc2 = oc2, oc
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
