"""Benchmark of indicator detection at scale: 4,000 monthly series of 10 years (generated).

* the monthly check: every series scanned as of its newest month (what a monthly run does);
* a 12-month replay (no look-ahead: twelve as-of dates per series) on a subset, extrapolated;
* side by side, on the same series: the level-shift search with ruptures' ``KernelCPD`` (linear kernel,
  C) — what :mod:`allychain.watch.detect` uses — and ``Pelt(model="l2")`` (pure Python), same penalty;
* quality of the monthly check: recall on the series given a 50 % fall one month before the newest
  month, alerts on the quiet ones.

    PYTHONPATH=src python benchmarks/bench_watch_scan.py [--series 4000] [--replay 200] [--seed 0]

Generated data only; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd


def generate(n: int, months: int, rng: np.random.Generator, broken: float = 0.1) -> tuple[list[pd.Series], np.ndarray]:
    """``n`` monthly trade-value series (trend, season, noise of 5–12 %); a share ``broken`` of them fall by
    half one month before the newest month."""
    idx = pd.date_range("2015-01-01", periods=months, freq="MS")
    t = np.arange(months)
    level = rng.uniform(np.log(1e4), np.log(1e8), (n, 1))
    season = rng.uniform(0.0, 0.25, (n, 1)) * np.sin(2 * np.pi * (t + rng.integers(0, 12, (n, 1))) / 12)
    y = level + rng.normal(0, 0.004, (n, 1)) * t + season + rng.normal(0, 1, (n, months)) * rng.uniform(0.05, 0.12, (n, 1))
    is_broken = rng.random(n) < broken
    y[is_broken, months - 2:] += np.log(0.5)
    return [pd.Series(np.exp(row), index=idx) for row in y], is_broken


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=4000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--replay", type=int, default=200, help="series replayed over 12 months")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    from allychain.watch.detect import DetectConfig, detect_at, scan_series

    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter()
    series, broken = generate(a.series, a.months, rng)
    print(f"generated {a.series:,} series × {a.months} months in {time.perf_counter() - t0:.1f} s "
          f"(load average {os.getloadavg()[0]:.1f})")

    t0 = time.perf_counter()
    found = np.zeros(a.series, bool)
    any_quiet = 0
    kinds: dict[str, int] = {}
    for i, s in enumerate(series):
        dets = detect_at(s, "trade_value", "M", series=str(i))
        found[i] = any(d.kind == "level_shift" and d.direction == "down" for d in dets)
        for d in dets:
            kinds[d.kind] = kinds.get(d.kind, 0) + 1
        any_quiet += int(not broken[i] and bool(dets))
    dt = time.perf_counter() - t0
    quiet_alerts = sum(1 for i, s in enumerate(series) if not broken[i] and found[i])
    print(f"monthly check, {a.series:,} series as of the newest month: {dt:.1f} s "
          f"({1000 * dt / a.series:.2f} ms per series); detections {kinds}")
    print(f"  recall on {int(broken.sum())} halved series: {found[broken].mean():.3f}; "
          f"level-shift falls on {int((~broken).sum())} quiet series: {quiet_alerts} "
          f"({quiet_alerts / max(1, (~broken).sum()):.4f} per series-month); quiet series with any detection: "
          f"{any_quiet} ({any_quiet / max(1, (~broken).sum()):.4f} per series-month)")

    sub = series[: a.replay]
    t0 = time.perf_counter()
    n_det = sum(len(scan_series(s, "trade_value", "M", since=str(s.index[-12].date()))) for s in sub)
    dr = time.perf_counter() - t0
    print(f"12-month replay, {len(sub)} series: {dr:.1f} s ({1000 * dr / len(sub):.0f} ms per series; "
          f"{dr / len(sub) * a.series / 60:.1f} min extrapolated to {a.series:,}); {n_det} detections")

    import ruptures as rpt

    cfg = DetectConfig()
    ys = [np.log(s.to_numpy()[-cfg.window:]).reshape(-1, 1) for s in series[: a.replay]]
    pens = [cfg.penalty_scale * 2 * (np.median(np.abs(np.diff(y[:, 0]))) * 1.4826 / np.sqrt(2)) ** 2
            * np.log(len(y)) for y in ys]
    t0 = time.perf_counter()
    k = [rpt.KernelCPD(kernel="linear", min_size=2).fit(y).predict(pen=p) for y, p in zip(ys, pens, strict=True)]
    tk = time.perf_counter() - t0
    t0 = time.perf_counter()
    pe = [rpt.Pelt(model="l2", min_size=2, jump=1).fit(y).predict(pen=p) for y, p in zip(ys, pens, strict=True)]
    tp = time.perf_counter() - t0
    same = sum(x == y for x, y in zip(k, pe, strict=True))
    print(f"level-shift search on {len(ys)} windows of {cfg.window}: KernelCPD {1000 * tk / len(ys):.2f} ms, "
          f"Pelt(l2) {1000 * tp / len(ys):.2f} ms per window: {tp / tk:.1f}x; same breakpoints on {same}/{len(ys)}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
