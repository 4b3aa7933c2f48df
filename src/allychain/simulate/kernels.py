"""One step of ARIO physics as pure numpy functions.

Every function takes arrays with a leading batch dimension ``B`` (independent scenarios
run side by side) and returns new arrays; nothing here does I/O, keeps state or draws
random numbers.  Index arrays (``edge_sup``, ``edge_slot``, ``slot_buyer`` …) come from
:class:`allychain.simulate.system.SimSystem`.

Symbols (per step, per node ``j``, slot ``s = (i, j)``, edge ``e = k → j``):
``D`` total demand addressed to a node, ``x`` production, ``X0`` baseline output,
``α`` overproduction factor, ``Δ`` share of capacity lost, ``St`` inventory,
``a`` technical coefficient, ``s`` inventory target (steps), ``ψ`` inventory threshold,
``O`` orders, ``w`` order split weights.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "segment_sum",
    "segment_min",
    "allclose_rows",
    "total_demand",
    "update_alpha",
    "capacity",
    "production",
    "distribute",
    "update_stocks",
    "order_weights",
    "place_orders",
]


_OFFSETS: dict[tuple[int, int, int], tuple[np.ndarray, np.ndarray]] = {}


def _offsets(index: np.ndarray, B: int, size: int) -> np.ndarray:
    """Flat bin numbers ``b·size + index[e]`` (cached: the index arrays are static)."""
    key = (id(index), B, size)
    hit = _OFFSETS.get(key)
    if hit is not None and hit[0] is index:
        return hit[1]
    offs = ((np.arange(B, dtype=np.int64) * size)[:, None] + index[None, :]).ravel()
    if len(_OFFSETS) > 64:
        _OFFSETS.clear()
    _OFFSETS[key] = (index, offs)
    return offs


def segment_sum(values: np.ndarray, index: np.ndarray, size: int) -> np.ndarray:
    """Sum ``values[b, e]`` into ``out[b, index[e]]`` (shape ``(B, size)``), O(B·E).

    Each output element adds its terms in edge order, whatever ``B``: results do not
    depend on the batch size."""
    B = values.shape[0]
    if values.shape[1] == 0:
        return np.zeros((B, size))
    offs = _offsets(index, B, size)
    return np.bincount(offs, weights=values.ravel(), minlength=B * size).reshape(B, size)


def segment_min(values: np.ndarray, starts: np.ndarray, has: np.ndarray, size: int, fill: float = 1.0) -> np.ndarray:
    """Minimum of ``values[b, s]`` over contiguous segments (slots sorted by buyer).

    ``starts`` are the first slot of each non-empty segment, ``has`` the boolean mask of
    nodes that have a segment; nodes without one get ``fill``.
    """
    out = np.full((values.shape[0], size), fill)
    if len(starts):
        out[:, has] = np.minimum.reduceat(values, starts, axis=1)
    return out


def allclose_rows(a: np.ndarray, b: np.ndarray, rtol: float = 1e-5, atol: float = 1e-8) -> np.ndarray:
    """``numpy.allclose(a[i], b[i])`` for each batch row ``i`` (shape ``(B,)``)."""
    with np.errstate(invalid="ignore"):
        ok = np.abs(a - b) <= atol + rtol * np.abs(b)
    ok |= a == b  # equal infinities
    return ok.all(axis=1)


def total_demand(orders: np.ndarray, edge_sup: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Total demand on each node: ``D_k = Σ_{e: sup(e)=k} O_e + y_k``."""
    return segment_sum(orders, edge_sup, y.shape[1]) + y


def update_alpha(alpha: np.ndarray, D: np.ndarray, x_prev: np.ndarray, alpha_base: float, alpha_max: float,
                 alpha_tau: float, relax: str) -> np.ndarray:
    """Overproduction: ``α ← max(1, α + (α_max − α) σ/τ_α + (α_b − α) 1[relax] / τ_α)``.

    ``σ = (D − x_prev)/D`` (0 where ``D = 0``).  ``relax="exact_zero"`` (BoARIO) relaxes
    towards ``α_b`` only where ``σ == 0``; ``relax="nonpositive"`` relaxes wherever demand
    was met (``σ ≤ 0``) and then ignores negative ``σ``.
    """
    sigma = np.zeros_like(D)
    np.divide(D - x_prev, D, out=sigma, where=D != 0)
    sigma[np.isnan(sigma)] = 0.0
    inv_tau = 1.0 / alpha_tau
    if relax == "exact_zero":
        chg = (alpha_max - alpha) * sigma * inv_tau + (alpha_base - alpha) * (sigma == 0) * inv_tau
    else:
        met = sigma <= 0
        chg = (alpha_max - alpha) * np.where(met, 0.0, sigma) * inv_tau + (alpha_base - alpha) * met * inv_tau
    out = alpha + chg
    out[out < 1.0] = 1.0
    return out


def capacity(alpha: np.ndarray, delta: np.ndarray, x0: np.ndarray) -> np.ndarray:
    """Production capacity ``xcap = α (1 − Δ) X0``."""
    return x0 * (1.0 - delta) * alpha


def production(D: np.ndarray, xcap: np.ndarray, stock: np.ndarray, slot_a: np.ndarray, slot_s_psi: np.ndarray,
               slot_buyer: np.ndarray, relevant: np.ndarray, starts: np.ndarray, has: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Production limited by demand, capacity and inventories (Leontief, threshold ψ).

    ``xopt = min(D, xcap)``; each relevant slot allows
    ``r_s = min(1, St_s / (ψ s a_s xopt_j))`` and ``x_j = xopt_j · min_s r_s``.
    ``slot_s_psi`` is ``ψ · s`` per slot (0 for never-binding inputs).

    Returns ``(x, xopt)``.
    """
    xopt = np.fmin(D, xcap)
    need = xopt[:, slot_buyer] * slot_a * slot_s_psi
    ratio = np.ones_like(need)
    np.divide(stock, need, out=ratio, where=relevant & (need != 0))
    ratio[ratio > 1] = 1.0
    x = xopt * segment_min(ratio, starts, has, xopt.shape[1])
    return x, xopt


def distribute(x: np.ndarray, D: np.ndarray, orders: np.ndarray, edge_sup: np.ndarray, edge_slot: np.ndarray,
               m: int) -> tuple[np.ndarray, np.ndarray]:
    """Proportional rationing: each supplier serves a share ``f_k = x_k / D_k`` of every order.

    Returns ``(deliveries per slot (B, m), f (B, n))``; ``f = 0`` where ``D = 0``.
    """
    f = np.zeros_like(x)
    np.divide(x, D, out=f, where=D != 0)
    deliv = orders * f[:, edge_sup]
    return segment_sum(deliv, edge_slot, m), f


def update_stocks(stock: np.ndarray, add: np.ndarray, use: np.ndarray, skip_if_close: bool) -> np.ndarray:
    """``St ← St − use + add``.  With ``skip_if_close`` (BoARIO) a batch row is left
    unchanged when ``allclose(add, use)``."""
    new = stock - use + add
    if skip_if_close:
        keep = allclose_rows(add, use)
        if keep.any():
            new[keep] = stock[keep]
    return new


def order_weights(z0: np.ndarray, cap_ratio: np.ndarray, edge_sup: np.ndarray, edge_slot: np.ndarray, m: int,
                  licence: np.ndarray | None = None) -> np.ndarray:
    """Split of each slot's need over its suppliers (BoARIO's ``"alt"`` orders).

    ``w_e = z0_e c_k / Σ_{e' ∈ slot} z0_e' c_k'`` with ``c = xcap / X0``.  With a licence
    fraction ``ℓ_e < 1`` (export restriction) the edge keeps ``ℓ_e w_e`` and the withheld
    share ``Σ (1 − ℓ) w`` moves to the unrestricted edges of the slot in proportion to
    their weights; where there are none, it is not ordered.
    """
    zp = z0[None, :] * cap_ratio[:, edge_sup]
    den = segment_sum(zp, edge_slot, m)[:, edge_slot]
    w = np.zeros_like(zp)
    np.divide(zp, den, out=w, where=den != 0)
    if licence is None:
        return w
    free = licence >= 1.0
    held = segment_sum((1.0 - licence) * w, edge_slot, m)[:, edge_slot]
    free_w = segment_sum(np.where(free, w, 0.0), edge_slot, m)[:, edge_slot]
    extra = np.zeros_like(w)
    np.divide(w * held, free_w, out=extra, where=free & (free_w > 0))
    return np.where(free, w + extra, licence * w)


def place_orders(x: np.ndarray, xopt: np.ndarray, stock: np.ndarray, slot_a: np.ndarray, slot_s: np.ndarray,
                 slot_rate: np.ndarray, slot_buyer: np.ndarray, weights: np.ndarray, edge_slot: np.ndarray,
                 zero_gap_if_close: bool) -> np.ndarray:
    """Orders for the next step.

    Goal ``G_s = s a_s xopt_j``; gap ``max(0, G − St)`` times the restoration rate
    ``1/τ_inv``; need ``N_s = a_s x_j + gap_s``; orders ``O_e = N_slot(e) · w_e``.
    With ``zero_gap_if_close`` (BoARIO) the gap of a batch row is 0 when
    ``allclose(St, G)``.  Slots with an infinite target never have a gap.
    """
    finite = np.isfinite(slot_s)
    s = np.where(finite, slot_s, 0.0)
    goal = xopt[:, slot_buyer] * slot_a * s
    gap = goal - stock
    gap[:, ~finite] = 0.0
    gap[gap < 0] = 0.0
    if zero_gap_if_close:
        close = allclose_rows(stock[:, finite], goal[:, finite])
        if close.any():
            gap[close] = 0.0
    need = x[:, slot_buyer] * slot_a + gap * slot_rate
    return need[:, edge_slot] * weights
