"""What a scenario run comes to: its description, loss summary and production series.

:func:`scenario_outcome` is what the REST API's scenario jobs return and what the briefing
pack shows for each scenario; :func:`scenario_series` thins a run to production in percent
of baseline per step (total, each alliance, the countries losing most).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from allychain.model.network import Network
from allychain.simulate.api import run_scenario
from allychain.simulate.recorder import SimResult
from allychain.simulate.scenario import Scenario
from allychain.simulate.system import SimSystem

__all__ = ["scenario_outcome", "scenario_series"]


def scenario_series(res: SimResult, groups: dict[str, list[str]] | None = None, max_regions: int = 8,
                    max_points: int = 1000) -> dict[str, Any]:
    """Production in percent of baseline per step: total, each group, the regions losing most.

    Returns ``{"step": [...], "total": [...], "alliances": {name: [...]}, "regions": {name: [...]}}``;
    long runs are thinned to at most ``max_points`` steps.
    """
    x = res.arrays["production"][:, 0, :]
    x0 = np.asarray(res.system.x0, dtype=float)
    reg = np.asarray(res.system.node_region)
    stride = max(1, int(np.ceil(len(x) / max_points)))
    idx = np.arange(0, len(x), stride)

    def pct(mask: np.ndarray) -> list[float | None]:
        base = x0[mask].sum()
        v = x[:, mask].sum(axis=1) / base * 100 if base > 0 else np.full(len(x), np.nan)
        return [None if not np.isfinite(f) else round(float(f), 4) for f in v[idx]]

    rel = res.by_region("production", relative=True)
    worst = (1 - rel).clip(lower=0).sum().sort_values(ascending=False)
    worst = [str(r) for r in worst.index[:max_regions] if worst[r] > 1e-9]
    out = {"step": [int(i) for i in idx], "total": pct(np.ones(len(x0), dtype=bool)),
           "alliances": {g: pct(np.isin(reg, m)) for g, m in (groups or {}).items() if np.isin(reg, m).any()},
           "regions": {r: pct(reg == r) for r in worst}}
    return out


def scenario_outcome(scenario: Scenario, network: Network | SimSystem, steps: int | None = None,
                     progress: Callable[[float, str], None] | None = None) -> dict[str, Any]:
    """Run one scenario on ``network``; its description, loss summary and production series.

    ``progress(fraction, message)`` is called as the steps advance.
    """
    prog = progress or (lambda fraction, message: None)
    total = int(steps or scenario.horizon)
    every = max(1, total // 50)

    def on_step(t: int) -> None:
        if t % every == 0 or t + 1 == total:
            prog((t + 1) / total, f"step {t + 1} of {total}")

    res = run_scenario(scenario, network, steps=total, progress=on_step)
    groups = scenario.alliances or {}
    summary = res.summary(alliances=groups or None)
    return {"scenario": {"name": scenario.name, "description": scenario.description.strip(),
                         "data": scenario.data or str(network.name), "horizon": total, "alliances": groups},
            "unit": summary.get("unit"), "summary": summary, "series": scenario_series(res, groups)}
