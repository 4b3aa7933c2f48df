"""The one-dimensional distributions of a Monte Carlo specification: a loss fraction, an
onset, a duration or a recovery given as a number (a constant) or ``{dist: NAME, …}``,
sampled through the quantile function so that one uniform draw gives one value."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from allychain.model.spec import Spec

__all__ = ["Dist", "read_dist"]

_DISTS = {"uniform": ("low", "high"), "normal": ("mean", "sd"), "lognormal": ("median", "sigma"),
          "beta": ("a", "b"), "triangular": ("low", "mode", "high"), "integer": ("low", "high"),
          "constant": ("value",)}


@dataclass(frozen=True)
class Dist:
    """A one-dimensional distribution given by name and parameters."""

    kind: str
    args: tuple[float, ...]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function (inverse CDF) at ``u`` ∈ (0, 1)."""
        a = self.args
        if self.kind == "constant":
            return np.full_like(u, a[0], dtype=float)
        if self.kind == "uniform":
            return a[0] + (a[1] - a[0]) * u
        if self.kind == "integer":
            return np.floor(a[0] + (a[1] - a[0] + 1) * u).clip(a[0], a[1])
        from scipy import special

        if self.kind == "normal":
            return a[0] + a[1] * special.ndtri(u)
        if self.kind == "lognormal":
            return a[0] * np.exp(a[1] * special.ndtri(u))
        if self.kind == "beta":
            return special.betaincinv(a[0], a[1], u)
        lo, mode, hi = a
        c = (mode - lo) / (hi - lo) if hi > lo else 0.5
        return np.where(u < c, lo + np.sqrt(u * (hi - lo) * (mode - lo)), hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode)))

    def sample(self, rng: np.random.Generator, size: int | None = None) -> Any:
        return self.ppf(rng.random(size))


def read_dist(spec: Spec, name: str, default: Any, low: float = -math.inf, high: float = math.inf) -> Dist:
    """A number (a constant) or ``{dist: NAME, …parameters}`` under ``name``."""
    v = spec.data.get(name, default)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return Dist("constant", (spec.number(v, name, low, high),))
    if not isinstance(v, dict) or v.get("dist") not in _DISTS:
        spec.fail(v, "a number or {dist: " + "|".join(_DISTS) + ", …parameters}", name)
    d = spec.sub(name)
    names = _DISTS[v["dist"]]
    d.check_keys(("dist", *names))
    args = tuple(d.num(n, expected=f"a finite number (parameter {n} of dist {v['dist']})") for n in names)
    if v["dist"] in ("uniform", "integer", "triangular") and args[-1] < args[0]:
        spec.fail(v, "high >= low", name)
    if v["dist"] in ("beta",) and min(args) <= 0:
        spec.fail(v, "a > 0 and b > 0", name)
    if v["dist"] in ("normal", "lognormal") and args[1] < 0:
        spec.fail(v, "a non-negative spread", name)
    return Dist(v["dist"], args)
