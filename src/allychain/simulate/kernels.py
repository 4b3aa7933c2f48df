"""One step of ARIO physics as pure numpy/scipy functions.

Every function takes arrays with a **trailing** batch dimension ``B`` (node-major layout:
``(n, B)`` per node, ``(m, B)`` per slot, ``(e, B)`` per edge; independent scenarios sit
side by side in memory) and returns new arrays; nothing here does I/O, keeps state or
draws random numbers.  Index arrays and sparse matrices come from
:func:`allychain.simulate.engine.prepare`.

Symbols (per step, per node ``j``, slot ``s = (i, j)``, edge ``e = k → j``):
``D`` total demand addressed to a node, ``x`` production, ``X0`` baseline output,
``α`` overproduction factor, ``Δ`` share of capacity lost, ``St`` inventory,
``a`` technical coefficient, ``s`` inventory target (steps), ``ψ`` inventory threshold,
``O`` orders, ``w`` order split weights.

Orders in factored form
-----------------------
With BoARIO's ``alt`` orders, ``O_e = N_s · z0_e c_k / Σ_{e'∈s} z0_e' c_k'`` (``N`` the
slot's need, ``c = xcap/X0`` the supplier's capacity ratio).  Writing ``g_s = N_s / den_s``
with ``den = Pᵀ c`` and ``P`` the ``n × m`` matrix of baseline flows (``P[k, s] = z0_e``)
gives ``O_e = z0_e c_k g_s``, so that

* demand on suppliers ``D = c ⊙ (P g) + y``,
* deliveries into slots ``g ⊙ (Pᵀ (c ⊙ f))`` with ``f = x / D``,

and a step costs three sparse matrix–matrix products over the non-zero flows and no
per-edge arrays at all.  Sparse products (scipy's CSR kernels) add each output element's
terms in a fixed order whatever ``B``, so a run's numbers do not depend on its batch.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "segment_sum",
    "segment_min",
    "min_plan",
    "segment_min_plan",
    "allclose_cols",
    "update_alpha",
    "capacity",
    "production",
    "ratio_f",
    "update_stocks",
    "order_weights",
    "limit_resourcing",
    "slot_need",
]


def segment_sum(values: np.ndarray, index: np.ndarray, size: int) -> np.ndarray:
    """Sum ``values[e, b]`` into ``out[index[e], b]`` (shape ``(size, B)``), O(e·B).

    Each output element adds its terms in edge order, whatever ``B``."""
    B = values.shape[1]
    if values.shape[0] == 0:
        return np.zeros((size, B))
    offs = (index[:, None] * B + np.arange(B)[None, :]).ravel()
    return np.bincount(offs, weights=values.ravel(), minlength=size * B).reshape(size, B)


def segment_min(values: np.ndarray, starts: np.ndarray, has: np.ndarray, size: int, fill: float = 1.0) -> np.ndarray:
    """Minimum of ``values[s, b]`` over contiguous segments of rows (slots sorted by buyer).

    ``starts`` are the first row of each non-empty segment, ``has`` the boolean mask of
    nodes that have a segment; nodes without one get ``fill``.
    """
    out = np.full((size, values.shape[1]), fill)
    if len(starts):
        out[has] = np.minimum.reduceat(values, starts, axis=0)
    return out


def min_plan(starts: np.ndarray, size: int, max_rank: int = 16) -> list[tuple[np.ndarray | None, np.ndarray]] | None:
    """A plan for :func:`segment_min_plan` when every segment is short (at most
    ``max_rank`` rows): per rank ``k``, the segments that have a ``k``-th row (``None``:
    all) and that row.  ``None`` when some segment is longer (use ``reduceat``)."""
    if not len(starts):
        return None
    seg = np.diff(np.r_[starts, size])
    if seg.max() > max_rank:
        return None
    plan: list[tuple[np.ndarray | None, np.ndarray]] = []
    for k in range(int(seg.max())):
        sel = np.flatnonzero(seg > k)
        plan.append((None if len(sel) == len(seg) else sel, starts[sel] + k))
    return plan


def segment_min_plan(values: np.ndarray, plan: list[tuple[np.ndarray | None, np.ndarray]]) -> np.ndarray:
    """Segment minimum over rows following a :func:`min_plan` (exact: a minimum does not
    depend on the order of its terms)."""
    out = values[plan[0][1]]
    for sel, rows in plan[1:]:
        if sel is None:
            np.minimum(out, values[rows], out=out)
        else:
            out[sel] = np.minimum(out[sel], values[rows])
    return out


def allclose_cols(a: np.ndarray, b: np.ndarray, rtol: float = 1e-5, atol: float = 1e-8,
                  chunk: int = 1 << 15) -> np.ndarray:
    """``numpy.allclose(a[:, i], b[:, i])`` for each batch column ``i`` (shape ``(B,)``).

    Rows are checked in cache-sized chunks, and only the columns not yet found different
    are checked further (a column is usually decided by its first differing chunk)."""
    B = a.shape[1]
    ok = np.ones(B, dtype=bool)
    cols = None  # None: all columns still open
    with np.errstate(invalid="ignore"):
        for lo in range(0, a.shape[0], chunk):
            aa, bb = a[lo:lo + chunk], b[lo:lo + chunk]
            if cols is not None:
                aa, bb = aa[:, cols], bb[:, cols]
            d = np.subtract(aa, bb)
            np.abs(d, out=d)
            tol = np.abs(bb)
            tol *= rtol
            tol += atol
            good = d <= tol
            if not good.all():
                good |= aa == bb  # equal infinities
            col_ok = good.all(axis=0)
            if not col_ok.all():
                idx = np.arange(B) if cols is None else cols
                ok[idx[~col_ok]] = False
                cols = idx[col_ok]
                if not len(cols):
                    break
    return ok


def update_alpha(alpha: np.ndarray, D: np.ndarray, x_prev: np.ndarray, alpha_base: float, alpha_max: float,
                 alpha_tau: float, relax: str, work: np.ndarray | None = None) -> np.ndarray:
    """Overproduction: ``α ← max(1, α + (α_max − α) σ/τ_α + (α_b − α) 1[relax] / τ_α)``.

    ``σ = (D − x_prev)/D`` (0 where ``D = 0``).  ``relax="exact_zero"`` (BoARIO) relaxes
    towards ``α_b`` only where ``σ == 0``; ``relax="nonpositive"`` relaxes wherever demand
    was met (``σ ≤ 0``) and then ignores negative ``σ``.  ``work``: optional scratch array
    shaped like ``alpha``.
    """
    sigma = np.subtract(D, x_prev)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma /= D
    if not np.isfinite(sigma).all():  # D = 0
        sigma[~np.isfinite(sigma)] = 0.0
    relax_w = sigma == 0 if relax == "exact_zero" else sigma <= 0
    # (α_max − α) σ where not relaxing, (α_b − α) where relaxing (σ = 0 or ≤ 0), over τ_α
    tmp = np.subtract(alpha_max, alpha, out=work)
    sigma *= tmp
    np.subtract(alpha_base, alpha, out=tmp)
    np.copyto(sigma, tmp, where=relax_w)
    sigma *= 1.0 / alpha_tau
    out = np.add(alpha, sigma)
    np.maximum(out, 1.0, out=out)
    return out


def capacity(alpha: np.ndarray, delta: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """Production capacity ``xcap = α (1 − Δ) X0`` (``x0`` shaped ``(n, 1)``)."""
    out = 1.0 - delta
    out *= x0
    out *= alpha
    return out


def production(D: np.ndarray, xcap: np.ndarray, stock: np.ndarray, slot_need: np.ndarray, slot_buyer: np.ndarray,
               starts: np.ndarray, has: np.ndarray | None, rows: np.ndarray | None = None,
               plan: list[tuple[np.ndarray | None, np.ndarray]] | None = None, work: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Production limited by demand, capacity and inventories (Leontief, threshold ψ).

    ``xopt = min(D, xcap)``; each binding slot allows ``r_s = min(1, St_s / (ψ s a_s
    xopt_j))`` and ``x_j = xopt_j · min_s r_s``.  ``rows`` are the slots that can bind
    (relevant inputs with a finite target; ``None``: all), ``slot_need`` their ``ψ s a_s``,
    ``starts`` the first of them for each buyer in ``has`` (``None``: every node);
    ``work`` an optional scratch array shaped like ``stock[rows]`` (reused between steps).

    Returns ``(x, xopt, xopt[slot_buyer])``.
    """
    xopt = np.fmin(D, xcap)
    xb = xopt[slot_buyer]
    if not len(starts):
        return xopt.copy(), xopt, xb
    if rows is None:
        ratio = np.multiply(xb, slot_need, out=work)
        st = stock
    else:
        ratio = np.multiply(xb[rows], slot_need, out=work)
        st = stock[rows]
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(st, ratio, out=ratio)
    np.fmin(ratio, 1.0, out=ratio)  # 0/0 and St/0 (no need) do not bind
    mins = np.minimum.reduceat(ratio, starts, axis=0) if plan is None else segment_min_plan(ratio, plan)
    if has is None:
        x = xopt * mins
    else:
        x = xopt.copy()
        x[has] *= mins
    if not np.isfinite(x).all():  # xopt = 0 with a negative stock: −inf · 0
        x[~np.isfinite(x)] = 0.0
    return x, xopt, xb


def ratio_f(x: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Proportional rationing: each supplier serves ``f_k = x_k / D_k`` of every order
    (``f = 0`` where ``D = 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.divide(x, D)
    if not np.isfinite(f).all():  # D = 0 (then x = 0)
        f[~np.isfinite(f)] = 0.0
    return f


def update_stocks(stock: np.ndarray, add: np.ndarray, use: np.ndarray, skip_if_close: bool) -> np.ndarray:
    """``St ← St − use + add``.  With ``skip_if_close`` (BoARIO) a batch column is left
    unchanged when ``allclose(add, use)``."""
    new = stock - use
    new += add
    if skip_if_close:
        keep = allclose_cols(add, use)
        if keep.any():
            new[:, keep] = stock[:, keep]
    return new


def slot_need(use: np.ndarray, xb: np.ndarray, stock: np.ndarray, slot_goal: np.ndarray, rate: float,
              finite: np.ndarray | None, zero_gap_if_close: bool, work: np.ndarray | None = None,
              overwrite_use: bool = False) -> np.ndarray:
    """Need of each slot for the next step: ``N_s = a_s x_j + max(0, G_s − St_s) / τ_inv``.

    ``G_s = s a_s xopt_j`` (``slot_goal`` is ``s a_s``, 0 for infinite targets: those
    stocks are infinite and never have a gap); ``xb = xopt[slot_buyer]``.  With
    ``zero_gap_if_close`` (BoARIO) the gap of a batch column is 0 when
    ``allclose(St, G)`` over the finite slots (``finite`` is ``None`` when all are).
    ``work`` is an optional scratch array shaped like ``stock``; with ``overwrite_use`` the
    result is written into ``use``.
    """
    goal = np.multiply(xb, slot_goal, out=work)
    close = None
    if zero_gap_if_close:
        close = allclose_cols(stock, goal) if finite is None else allclose_cols(stock[finite], goal[finite])
    gap = np.subtract(goal, stock, out=goal)
    np.maximum(gap, 0.0, out=gap)
    if close is not None and close.any():
        gap[:, close] = 0.0
    gap *= rate
    if overwrite_use:
        use += gap
        return use
    gap += use
    return gap


def order_weights(z0: np.ndarray, cap_ratio: np.ndarray, edge_sup: np.ndarray, edge_slot: np.ndarray, m: int,
                  licence: np.ndarray | None = None) -> np.ndarray:
    """Split of each slot's need over its suppliers (BoARIO's ``"alt"`` orders), ``(e, B)``.

    ``w_e = z0_e c_k / Σ_{e' ∈ slot} z0_e' c_k'`` with ``c = xcap / X0`` (``cap_ratio``,
    ``(n, B)``).  With a licence fraction ``ℓ_e < 1`` (export restriction) the edge keeps
    ``ℓ_e w_e`` and the withheld share ``Σ (1 − ℓ) w`` moves to the unrestricted edges of
    the slot in proportion to their weights; where there are none, it is not ordered.
    """
    zp = z0[:, None] * cap_ratio[edge_sup]
    den = segment_sum(zp, edge_slot, m)[edge_slot]
    w = np.zeros_like(zp)
    np.divide(zp, den, out=w, where=den != 0)
    if licence is None:
        return w
    free = licence >= 1.0
    held = segment_sum((1.0 - licence) * w, edge_slot, m)[edge_slot]
    free_w = segment_sum(np.where(free, w, 0.0), edge_slot, m)[edge_slot]
    extra = np.zeros_like(w)
    np.divide(w * held, free_w, out=extra, where=free & (free_w > 0))
    return np.where(free, w + extra, licence * w)


def limit_resourcing(target: np.ndarray, previous: np.ndarray, rate: float) -> np.ndarray:
    """Re-sourcing limit: ``w_e ← min(w*_e, w_e + r)``.

    An edge's share of its slot's orders rises by at most ``r`` per step towards its
    target ``w*``; it falls at once (a buyer can stop ordering, or is stopped by a
    licence, immediately).  Shares of a slot then sum to at most 1: the part not yet
    placed with an alternative supplier is not ordered.
    """
    return np.minimum(target, previous + rate)
