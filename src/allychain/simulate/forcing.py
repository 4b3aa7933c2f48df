"""Exogenous drivers of a run, evaluated step by step: capacity loss ``Δ``, final-demand
multipliers and export-licence fractions on edges.

A :class:`Forcing` holds a batch of scenarios.  Shocks are stored as parameter arrays
(one row per scenario, one column per shock) so that thousands of Monte Carlo draws
are evaluated together; an explicit capacity path is a dense ``(steps, n)`` array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Forcing", "ShockArrays", "profile_value", "PROFILES"]

PROFILES = ("linear", "exponential", "step")
_PCODE = {p: i for i, p in enumerate(PROFILES)}


def profile_value(profile: np.ndarray, elapsed: np.ndarray, recovery: np.ndarray) -> np.ndarray:
    """Share of the initial loss still present ``elapsed`` steps after recovery began.

    * ``linear``: ``max(0, 1 − e/τ)`` (0 at ``e ≥ τ``);
    * ``exponential``: ``exp(−e/τ)``, cut to 0 once below 1 %;
    * ``step``: 0 (capacity returns at once).

    ``profile`` holds codes (0 linear, 1 exponential, 2 step); ``τ = recovery`` (steps).
    """
    tau = np.where(recovery > 0, recovery, 1.0)
    lin = np.clip(1.0 - elapsed / tau, 0.0, 1.0)
    expo = np.exp(-elapsed / tau)
    expo = np.where(expo < 0.01, 0.0, expo)
    out = np.where(profile == 0, lin, np.where(profile == 1, expo, 0.0))
    return np.where(recovery > 0, out, 0.0)


@dataclass
class ShockArrays:
    """Capacity shocks for a batch: ``K`` shocks per scenario.

    ``members[b, k]`` lists the nodes hit (bool ``(B, K, n)``); ``magnitude`` is the share
    of capacity lost (0–1); ``onset`` the first step; ``duration`` the steps at full loss;
    ``recovery`` the recovery time (steps); ``profile`` the recovery shape code.
    """

    members: np.ndarray  # (B, K, n) bool
    magnitude: np.ndarray  # (B, K)
    onset: np.ndarray  # (B, K)
    duration: np.ndarray  # (B, K)
    recovery: np.ndarray  # (B, K)
    profile: np.ndarray  # (B, K) int

    def loss(self, t: int) -> np.ndarray:
        """``Δ(t)`` (B, n): the largest loss of any shock hitting each node."""
        if self.members.shape[1] == 0:
            return np.zeros((self.members.shape[0], self.members.shape[2]))
        elapsed = t - (self.onset + self.duration)
        level = np.where(t < self.onset, 0.0,
                         np.where(elapsed < 0, 1.0, profile_value(self.profile, elapsed.astype(float), self.recovery)))
        per = self.members * (self.magnitude * level)[:, :, None]
        return per.max(axis=1)


@dataclass
class Forcing:
    """Everything exogenous in a batch of ``B`` runs over ``n`` nodes and ``e`` edges.

    Parameters
    ----------
    batch
        Number of scenarios ``B``.
    n
        Number of nodes.
    path
        Explicit capacity loss, shape ``(T, n)`` (shared) or ``(B, T, n)``; steps beyond
        ``T`` lose nothing.
    shocks
        Parametric capacity shocks (:class:`ShockArrays`).  Combined with ``path`` by the
        maximum, as simultaneous losses at one node are in BoARIO.
    demand
        Final-demand multipliers: list of ``(mask (B, n) float multiplier-1, onset, end)``.
    licences
        Export restrictions: list of ``(edge mask (e,), fraction (B,), onset, end)``.
    """

    batch: int
    n: int
    path: np.ndarray | None = None
    shocks: ShockArrays | None = None
    demand: list[tuple[np.ndarray, int, int]] = field(default_factory=list)
    licences: list[tuple[np.ndarray, np.ndarray, int, int]] = field(default_factory=list)
    e: int = 0

    def capacity_loss(self, t: int) -> np.ndarray:
        out = np.zeros((self.batch, self.n))
        if self.path is not None:
            T = self.path.shape[-2]
            if t < T:
                row = self.path[..., t, :]
                out = np.maximum(out, row if row.ndim == 2 else row[None, :])
        if self.shocks is not None:
            out = np.maximum(out, self.shocks.loss(t))
        return np.clip(out, 0.0, 1.0)

    def demand_multiplier(self, t: int) -> np.ndarray | None:
        if not self.demand:
            return None
        mult = np.ones((self.batch, self.n))
        for change, onset, end in self.demand:
            if onset <= t < end:
                mult = mult * (1.0 + change)
        return mult

    def licence(self, t: int) -> np.ndarray | None:
        if not self.licences:
            return None
        lic = np.ones((self.batch, self.e))
        active = False
        for mask, frac, onset, end in self.licences:
            if onset <= t < end:
                active = True
                lic = np.where(mask[None, :], np.minimum(lic, frac[:, None]), lic)
        return lic if active else None
