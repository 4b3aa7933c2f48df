"""Monte Carlo over uncertain recovery times for the TTS/TTR model.

Recovery times are uncertain; this module samples them and re-solves the impact
programme of :mod:`allychain.optimize.ttr_tts` for every sample on the model built once.
TTS does not depend on TTR and is solved once per disruption.  Randomness is explicit:
pass ``seed`` (an int or a :class:`numpy.random.Generator`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from allychain.model.network import Network
from allychain.optimize.result import Result, Status
from allychain.optimize.tts_model import (
    Disruptions,
    TTSModel,
    build_model,
    clean_values,
    normalise_disruptions,
    site_view,
    ttr_of,
)
from allychain.optimize.tts_parallel import run_all

__all__ = ["triangular_sampler", "tts_ttr_montecarlo"]


def triangular_sampler(spread: float = 0.5) -> Callable[[np.random.Generator, np.ndarray, int], np.ndarray]:
    """TTR samples from a triangular distribution with mode TTR and range
    TTR·(1 ± spread); returns an array (disruptions × samples)."""
    if not 0 <= spread < 1:
        raise ValueError(f"spread must be in [0, 1), got {spread}")

    def sample(rng: np.random.Generator, ttr: np.ndarray, n: int) -> np.ndarray:
        out = np.full((len(ttr), n), math.nan)
        ok = np.isfinite(ttr) & (ttr > 0)
        if spread == 0:
            out[ok] = ttr[ok, None]
        else:
            lo, hi = ttr[ok] * (1 - spread), ttr[ok] * (1 + spread)
            out[ok] = rng.triangular(lo[:, None], ttr[ok, None], hi[:, None], size=(int(ok.sum()), n))
        out[np.isfinite(ttr) & (ttr == 0)] = 0.0
        return out

    return sample


def tts_ttr_montecarlo(
    network: Network | TTSModel,
    n_samples: int = 100,
    *,
    disruptions: Disruptions = None,
    ttr: float | Mapping[str, float] | None = None,
    sampler: Callable[[np.random.Generator, np.ndarray, int], np.ndarray] | None = None,
    seed: int | np.random.Generator | None = None,
    weights: Mapping[str, float] | None = None,
    lose_inventory: bool = False,
    horizon: float = 1e6,
    workers: int = 1,
    backend: str = "processes",
) -> Result:
    """Monte Carlo over uncertain recovery times.

    TTS does not depend on TTR and is solved once per disruption; the impact LP is
    re-solved for every sampled TTR (samples sorted so that consecutive warm starts
    are close).  ``sampler(rng, ttr, n)`` returns (disruptions × n) samples; the
    default is :func:`triangular_sampler` with ±50 %.  The same ``seed`` gives the
    same numbers.

    Returns a :class:`Result` with table ``summary`` (per disruption: ``ttr``,
    ``tts``, ``p_unprotected`` = share of samples with TTR > TTS, ``impact_mean``,
    ``impact_p05``, ``impact_p95``, ``rei_mean``) and table ``samples`` (long form:
    ``disruption, sample, ttr, impact``).
    """
    model = network if isinstance(network, TTSModel) else build_model(site_view(network), weights)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sampler = sampler or triangular_sampler(0.5)
    named = normalise_disruptions(model, disruptions)
    groups = {k: model.index(v) for k, v in named.items()}
    base = ttr_of(model, groups, ttr)
    S = np.asarray(sampler(rng, base, int(n_samples)), dtype=float)
    orders = [np.argsort(row, kind="stable") for row in S]
    names = list(groups)
    tts, imp, _ = run_all(model, names, list(groups.values()), [row[o] for row, o in zip(S, orders, strict=False)],
                           lose_inventory, workers, backend, horizon)
    impacts = np.full_like(S, math.nan)
    for k, o in enumerate(orders):
        impacts[k, o] = clean_values(imp[k])
    with np.errstate(invalid="ignore", divide="ignore"):
        top = np.nanmax(np.where(np.isnan(impacts), -np.inf, impacts), axis=0)
        rei = np.where(top > 0, impacts / np.where(top > 0, top, 1.0), 0.0)
        rei = np.where(np.isnan(impacts), math.nan, rei)
    has = np.isfinite(S).any(axis=1)

    def stat(f: Callable[..., np.ndarray], a: np.ndarray, **kw: Any) -> np.ndarray:
        out = np.full(len(a), math.nan)
        if has.any():
            out[has] = f(a[has], axis=1, **kw)
        return out

    summary = pd.DataFrame({
        "disruption": names,
        "ttr": base,
        "tts": clean_values(tts),
        "p_unprotected": np.where(has, np.mean(S > tts[:, None], axis=1), math.nan),
        "impact_mean": stat(np.nanmean, impacts),
        "impact_p05": stat(np.nanpercentile, impacts, q=5),
        "impact_p95": stat(np.nanpercentile, impacts, q=95),
        "rei_mean": stat(np.nanmean, rei),
    })
    samples = pd.DataFrame({
        "disruption": np.repeat(names, S.shape[1]),
        "sample": np.tile(np.arange(S.shape[1]), len(names)),
        "ttr": S.ravel(),
        "impact": impacts.ravel(),
    })
    msg = f"{len(names)} disruption(s) × {S.shape[1]} TTR samples; {int(np.isfinite(impacts).sum())} impact LPs solved"
    meta = {"n_samples": int(n_samples), "weights": model.weights}
    obj = float(np.nanmax(summary["impact_mean"])) if np.isfinite(summary["impact_mean"]).any() else math.nan
    return Result("tts-montecarlo", Status.optimal, obj, {"summary": summary, "samples": samples}, msg, meta)
