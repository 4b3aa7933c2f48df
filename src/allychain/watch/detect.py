"""Detection on indicator series: level shifts, seasonal anomalies, share shifts, price spikes.

Every detector is run *as of* a date: it sees the series up to and including that
date, never after (no look-ahead; :func:`scan` replays the as-of dates one by one).
A detection says when the change happened (``date``), when it could first be seen
(``detected``), its ``size``, a ``score`` (the size in robust standard deviations) and
the ``evidence`` (the values around it).

Rules (all in :class:`DetectConfig`, the same for every series — none is tuned per
series):

* **level shift** (ruptures PELT, ``l2`` cost, ``min_size`` 2) on the last
  ``window`` observations, on y = log(x + 0.01·median|x|) for trade values,
  quantities and prices (changes are relative) and on x itself for shares, HHI,
  lead times, inventory days and utilisation.  Penalty by a BIC-type rule,
  pen = β · σ̂² · ln n with β = 2 (a change adds two parameters, its place and the new
  mean) × ``penalty_scale`` — σ̂ = 1.4826 · MAD(Δy) / √2, the robust noise scale from
  first differences, which a level shift does not inflate.  A break is reported
  when it is among the last two observations (with ``min_size`` 2: one period after
  it happened).
* **seasonal anomaly** (monthly series with ≥ 36 contiguous observations):
  statsmodels STL (period 12, robust) on the history before the date; forecast =
  last trend + the seasonal of the same month a year before; the interval is
  ± ``z_seasonal`` · √2 · σ_r with σ_r = 1.4826 · MAD of the STL remainder; outside
  it, an anomaly.
* **share shift** (import shares): the share minus its mean over the trailing
  ``trailing`` periods, ≥ ``share_pp`` percentage points and ≥ ``z`` robust
  deviations of the trailing changes.
* **price spike** (unit values and prices): the price over the median of the
  trailing ``trailing`` periods ≥ ``spike_ratio`` and log-ratio ≥ ``z`` robust
  deviations of the trailing log changes.
* **sparse change** (trade values and quantities observed in some periods only — figures
  quoted for a few months, gaps between them: fewer observations in the level-shift window
  than its search needs, or fewer than half of its periods observed): the last value against the median of the values observed
  in the trailing ``sparse_span`` periods (at least ``sparse_min`` of them), on the
  level-shift scale; a change when it halves or doubles (|log ratio| ≥ log
  ``sparse_ratio``) and is ≥ ``z`` robust deviations of the trailing log changes (σ at
  least 0.05).  A dense series never uses it, nor a young one without gaps.

Gaps stay gaps: missing periods are skipped (never filled); a seasonal anomaly is not
assessed across a gap in its 36 months.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DetectConfig", "Detection", "detect_at", "scan_series", "LOG_KINDS", "robust_sigma", "sparse_change"]

log = logging.getLogger(__name__)

#: kinds whose changes are relative (analysed in logs)
LOG_KINDS = frozenset({"trade_value", "trade_quantity", "unit_price", "price"})
SHARE_KINDS = frozenset({"import_share"})
SPARSE_KINDS = frozenset({"trade_value", "trade_quantity"})
PRICE_KINDS = frozenset({"unit_price", "price"})


@dataclass(frozen=True)
class DetectConfig:
    """The detection rules' constants (documented in docs/watch.md)."""

    window: int = 36             # observations a level shift is sought in
    penalty_scale: float = 3.0   # × the BIC-type penalty 2 σ̂² ln n (calibrated once, on generated quiet series)
    min_size: int = 2            # observations per segment (a break is seen one period after it)
    recent: int = 2              # a break counts as new when it is among the last `recent` observations
    z_seasonal: float = 5.0      # the in-sample error scale understates out-of-sample errors
    season: int = 12
    trailing: int = 12
    share_pp: float = 10.0
    spike_ratio: float = 1.5
    z: float = 3.0
    sparse_span: int = 24        # trailing periods whose observed values a sparse series is compared with
    sparse_min: int = 3          # observed values needed there
    sparse_ratio: float = 2.0    # halving or doubling


@dataclass
class Detection:
    """One detected change on one series."""

    series: str
    kind: str            # level_shift | seasonal_anomaly | share_shift | price_spike
    date: str            # when the change happened (first period of the new level / the anomalous period)
    detected: str        # the as-of date it was first seen (≥ date)
    size: float          # level shift: log ratio (or points); anomaly: observed − forecast; share: points; spike: ratio
    size_unit: str
    score: float         # |size| in robust standard deviations
    direction: str       # up | down
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def robust_sigma(x: np.ndarray) -> float:
    """1.4826 · median absolute deviation (a normal σ for normal data; 0 for < 2 values)."""
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return 0.0
    return float(1.4826 * np.median(np.abs(x - np.median(x))))


def _iso(t: Any) -> str:
    return pd.Timestamp(t).strftime("%Y-%m-%d")


def _transform(x: np.ndarray, kind: str, scale: float) -> np.ndarray:
    """log(x + 0.01·scale) for relative kinds (a fall to 0 stays finite), x otherwise."""
    if kind in LOG_KINDS:
        return np.log(np.maximum(x, 0.0) + (0.01 * scale or 1e-9))
    return x


def _evidence(s: pd.Series, at: int, before: int = 3, after: int = 2) -> dict[str, Any]:
    part = s.iloc[max(0, at - before): at + after + 1]
    return {"values": {_iso(k): (None if not np.isfinite(v) else float(v)) for k, v in part.items()}}


def seasonal_profile(s: pd.Series, kind: str, cfg: DetectConfig) -> tuple[Any, pd.Series] | None:
    """STL (statsmodels) of the contiguous history of ``s`` before its last date, on the analysed scale.

    Returns (fit, y) where ``y`` is the transformed history, or None when fewer than
    three years of contiguous monthly observations precede the last date.
    """
    from statsmodels.tsa.seasonal import STL

    need = 3 * cfg.season
    hist = s.iloc[:-1].iloc[-5 * cfg.season:]
    if len(hist) < need or hist.iloc[-need:].isna().any():
        return None
    if hist.isna().any():
        hist = hist.iloc[int(hist.isna().to_numpy().nonzero()[0].max()) + 1:]
    y = pd.Series(_transform(hist.to_numpy(float), kind, _scale(s)), index=hist.index)
    return STL(y.to_numpy(), period=cfg.season, robust=False).fit(), y


def _scale(s: pd.Series) -> float:
    x = s.to_numpy(float)
    x = x[np.isfinite(x)]
    return float(np.median(np.abs(x))) if len(x) else 1.0


def _floor(kind: str, y: np.ndarray) -> float:
    """Smallest noise scale: 1 % for relative kinds, 0.1 % of the median level otherwise (a series that
    never moves must not turn a rounding step into a 'significant' change)."""
    if kind in LOG_KINDS:
        return 0.01
    return 1e-3 * (float(np.median(np.abs(y[np.isfinite(y)]))) if np.isfinite(y).any() else 0.0) + 1e-9


def _month_profile(s: pd.Series, kind: str, cfg: DetectConfig) -> pd.Series | None:
    """Seasonal profile by calendar month (1–12) on the analysed scale: the median by month of y minus
    its centred 12-month mean, over the last five years but the last ``recent + 1`` observations (a
    shift that has just happened must not leak into the profile it is measured against)."""
    k = cfg.season
    hist = s.iloc[:-(cfg.recent + 1)].iloc[-5 * k:]
    y = pd.Series(_transform(hist.to_numpy(float), kind, _scale(s)), index=hist.index)
    dev = y - y.rolling(k + 1, center=True, min_periods=k + 1).mean()
    prof = dev.groupby(dev.index.month).median()
    if prof.notna().sum() < k:
        return None
    return prof - prof.mean()


def level_shift(s: pd.Series, kind: str, cfg: DetectConfig, series: str = "",
                season: pd.Series | None = None) -> Detection | None:
    """A level shift ending at the last observation of ``s`` (the data as of its last date).

    ``season``: the seasonal component by calendar month (1–12) on the analysed scale,
    subtracted before the search (monthly series with an STL fit).
    """
    import ruptures as rpt

    obs = s.dropna().iloc[-cfg.window:]
    n = len(obs)
    if n < 2 * cfg.min_size + 4:
        return None
    y = _transform(obs.to_numpy(float), kind, _scale(s))
    if season is not None:
        y = y - season.reindex(obs.index.month).to_numpy()
    sigma = robust_sigma(np.diff(y)) / np.sqrt(2.0)
    sigma = max(sigma, _floor(kind, y))
    pen = cfg.penalty_scale * 2.0 * sigma ** 2 * np.log(n)
    # KernelCPD with the linear kernel is PELT with the l2 cost, in C
    bkps = rpt.KernelCPD(kernel="linear", min_size=cfg.min_size, jump=1).fit(y.reshape(-1, 1)).predict(pen=pen)
    cuts = [b for b in bkps if b < n]
    if not cuts or cuts[-1] < n - cfg.recent:
        return None
    b = cuts[-1]
    start = cuts[-2] if len(cuts) > 1 else 0
    size = float(np.mean(y[b:]) - np.mean(y[start:b]))
    at = s.index.get_loc(obs.index[b])
    ev = _evidence(s, int(at))
    ev.update({"mean_before": float(np.mean(obs.to_numpy(float)[start:b])),
               "mean_after": float(np.mean(obs.to_numpy(float)[b:])), "sigma": sigma, "penalty": float(pen),
               "observations": n, "deseasonalised": season is not None})
    return Detection(series, "level_shift", _iso(obs.index[b]), _iso(obs.index[-1]), size,
                     "log ratio" if kind in LOG_KINDS else "points", abs(size) / sigma,
                     "up" if size > 0 else "down", ev)


def seasonal_anomaly(s: pd.Series, kind: str, cfg: DetectConfig, series: str = "",
                     stl: tuple[Any, pd.Series] | None = None) -> Detection | None:
    """The last observation of a monthly ``s`` against the STL forecast from the months before it.

    Forecast ŷ_t = T_{t−1} + S_{t−12}; its error scale is the robust σ of the same
    one-step forecast's errors over the history (so the interval is calibrated on the
    series itself, not on the STL remainder).
    """
    if stl is None or not np.isfinite(s.iloc[-1]):
        return None
    fit, y = stl
    trend, seas = np.asarray(fit.trend), np.asarray(fit.seasonal)
    k = cfg.season
    errs = y.to_numpy()[k:] - (trend[k - 1:-1] + seas[:-k])
    sd = max(robust_sigma(errs), _floor(kind, y.to_numpy()))
    fc = float(trend[-1] + seas[-k])
    last = float(_transform(np.array([float(s.iloc[-1])]), kind, _scale(s))[0])
    dev = last - fc
    if abs(dev) <= cfg.z_seasonal * sd:
        return None
    ev = _evidence(s, len(s) - 1, before=3, after=0)
    eps = 0.01 * _scale(s)
    ev.update({"forecast": float(np.exp(fc) - eps) if kind in LOG_KINDS else fc,
               "interval_sd": cfg.z_seasonal, "sd": float(sd)})
    d = _iso(s.index[-1])
    return Detection(series, "seasonal_anomaly", d, d, dev, "log ratio" if kind in LOG_KINDS else "points",
                     abs(dev) / sd, "up" if dev > 0 else "down", ev)


def _trailing(s: pd.Series, cfg: DetectConfig) -> tuple[np.ndarray, float] | None:
    prev = s.iloc[:-1].iloc[-cfg.trailing:].to_numpy(float)
    prev = prev[np.isfinite(prev)]
    if len(prev) < max(4, cfg.trailing // 2) or not np.isfinite(s.iloc[-1]):
        return None
    return prev, float(s.iloc[-1])


def share_shift(s: pd.Series, cfg: DetectConfig, series: str = "") -> Detection | None:
    """The last share against its trailing mean (percentage points)."""
    got = _trailing(s, cfg)
    if got is None:
        return None
    prev, v = got
    shift = v - float(np.mean(prev))
    sd = max(robust_sigma(np.diff(prev)), 1.0)
    if abs(shift) < cfg.share_pp or abs(shift) / sd < cfg.z:
        return None
    ev = _evidence(s, len(s) - 1, before=3, after=0)
    ev["trailing_mean"] = float(np.mean(prev))
    d = _iso(s.index[-1])
    return Detection(series, "share_shift", d, d, shift, "percentage points", abs(shift) / sd,
                     "up" if shift > 0 else "down", ev)


def price_spike(s: pd.Series, cfg: DetectConfig, series: str = "") -> Detection | None:
    """The last price against the median of the trailing year (ratio)."""
    got = _trailing(s, cfg)
    if got is None:
        return None
    prev, v = got
    med = float(np.median(prev))
    if med <= 0 or v <= 0:
        return None
    ratio = v / med
    sd = max(robust_sigma(np.diff(np.log(np.maximum(prev, 1e-12)))), 0.02)
    if ratio < cfg.spike_ratio or np.log(ratio) / sd < cfg.z:
        return None
    ev = _evidence(s, len(s) - 1, before=3, after=0)
    ev["trailing_median"] = med
    d = _iso(s.index[-1])
    return Detection(series, "price_spike", d, d, ratio, "ratio to the trailing median", float(np.log(ratio) / sd),
                     "up", ev)


def _is_sparse(s: pd.Series, cfg: DetectConfig) -> bool:
    """Gaps among the observations of the level-shift window, and either too few observations for its
    search or fewer than half of the periods observed (the search would see a break only at the next
    observation, which may be months later)."""
    w = s.iloc[-cfg.window:]
    seen = w.notna().to_numpy()
    if not seen.any():
        return False
    span = seen[int(seen.argmax()):]
    if span.all():
        return False
    return bool(seen.sum() < 2 * cfg.min_size + 4 or span.mean() < 0.5)


def sparse_change(s: pd.Series, kind: str, cfg: DetectConfig, series: str = "") -> Detection | None:
    """The last value of a sparsely observed value or quantity series against the median of the values
    observed in the trailing ``sparse_span`` periods (log ratio on the level-shift scale)."""
    if kind not in SPARSE_KINDS or not np.isfinite(s.iloc[-1]) or not _is_sparse(s, cfg):
        return None
    prev = s.iloc[:-1].iloc[-cfg.sparse_span:].dropna()
    if len(prev) < cfg.sparse_min:
        return None
    scale = _scale(s)
    y = _transform(prev.to_numpy(float), kind, scale)
    last = float(_transform(np.array([float(s.iloc[-1])]), kind, scale)[0])
    size = last - float(np.median(y))
    sd = max(robust_sigma(np.diff(y)), 0.05)
    if abs(size) < np.log(cfg.sparse_ratio) or abs(size) / sd < cfg.z:
        return None
    ev = {"values": {_iso(k): float(v) for k, v in prev.items()} | {_iso(s.index[-1]): float(s.iloc[-1])},
          "trailing_median": float(np.median(prev.to_numpy(float))), "observations": int(len(prev)), "sigma": sd}
    d = _iso(s.index[-1])
    return Detection(series, "sparse_change", d, d, size, "log ratio", abs(size) / sd,
                     "up" if size > 0 else "down", ev)


def detect_at(s: pd.Series, kind: str, freq: str = "M", cfg: DetectConfig | None = None,
              series: str = "") -> list[Detection]:
    """All detections on ``s`` as of its last date (``s`` holds only data up to that date).

    ``s`` is a float series on a regular DatetimeIndex (one entry per period; NaN for
    a gap).
    """
    cfg = cfg or DetectConfig()
    stl = seasonal_profile(s, kind, cfg) if freq == "M" else None
    season = _month_profile(s, kind, cfg) if stl is not None else None
    out = [level_shift(s, kind, cfg, series, season), seasonal_anomaly(s, kind, cfg, series, stl)]
    if kind in SHARE_KINDS:
        out.append(share_shift(s, cfg, series))
    if kind in PRICE_KINDS:
        out.append(price_spike(s, cfg, series))
    if kind in SPARSE_KINDS:
        out.append(sparse_change(s, kind, cfg, series))
    return [d for d in out if d is not None]


def scan_series(s: pd.Series, kind: str, freq: str = "M", since: str | None = None, until: str | None = None,
                cfg: DetectConfig | None = None, series: str = "") -> list[Detection]:
    """Replay ``s`` date by date from ``since`` to ``until`` (default: its last date), each date
    seeing only the data up to it; every detection found, in order of ``detected``."""
    cfg = cfg or DetectConfig()
    s = s.sort_index()
    dates = s.index[s.notna().to_numpy()]
    if since is not None:
        dates = dates[dates >= pd.Timestamp(since)]
    if until is not None:
        dates = dates[dates <= pd.Timestamp(until)]
    out: list[Detection] = []
    for d in dates:
        out += detect_at(s.loc[:d], kind, freq, cfg, series)
    return out
