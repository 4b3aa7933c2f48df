"""Monte Carlo: sample shocks from distributions, run many scenarios in one vectorised
state, summarise loss distributions (VaR / CVaR) per region and member group.

Reproducibility: run ``i`` draws everything from its own generator
``default_rng(SeedSequence(seed).spawn(runs)[i])`` (built directly by :func:`run_seed`,
in constant time per run), so the numbers do not depend on the batch size or on where the batch runs (in process or on a Dask cluster).

Specification (YAML)::

    name: fab hazards
    data: pymrio-test
    horizon: 180
    runs: 200                      # --runs overrides
    parameters: {psi: 0.8}
    alliances: {alliance: [reg1, reg2]}
    shocks:                        # random shocks (formerly 'hazards')
      - name: plant fire
        candidates: {items: [manufactoring]}        # nodes that can be hit (target keys)
        pick: 1                    # nodes hit per occurrence (default: all candidates)
        probability: 0.5           # chance it occurs in a run
        loss_fraction: {dist: uniform, low: 0.2, high: 0.9}
        onset: {dist: integer, low: 0, high: 60}
        duration: {dist: lognormal, median: 20, sigma: 0.5}
        recovery: {profile: linear, steps: 30}
      - name: regional earthquake
        regional: true             # one region of the candidates, all its candidate nodes
        correlation: 0.8           # Gaussian-copula correlation of node losses
        candidates: {countries: [reg2, reg3]}
        probability: 0.2
        loss_fraction: {dist: beta, a: 2, b: 5}
        duration: 10
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sparse

from allychain.errors import MissingExtraError
from allychain.model.disruption import PROFILES, TARGET_KEYS, TARGET_RENAMED, Target, read_target
from allychain.model.spec import Spec
from allychain.simulate import fused
from allychain.simulate.dists import Dist, read_dist
from allychain.simulate.engine import prepare
from allychain.simulate.forcing import profile_value
from allychain.simulate.mcbatch import ShockPairs, run_loop
from allychain.simulate.memory import check_montecarlo
from allychain.simulate.params import Params
from allychain.simulate.recorder import loss_metrics
from allychain.simulate.scenario import read_alliances, read_params, select_nodes
from allychain.simulate.system import SimSystem

__all__ = ["dask_client", "Dist", "RandomShock", "Hazard", "MonteCarloSpec", "MCResult", "parse_spec", "run_montecarlo",
           "risk_table", "NodeShocks"]

@dataclass(frozen=True)
class RandomShock:
    """A shock drawn at random: which of the ``candidates`` it hits (``pick`` nodes, or one
    country's when ``regional``), whether it occurs (``probability``), and the
    distributions of its loss fraction, onset, duration and recovery steps."""

    name: str
    candidates: Target = field(default_factory=Target)
    pick: int | None = None
    probability: float = 1.0
    regional: bool = False
    correlation: float = 0.0
    loss_fraction: Dist = Dist("constant", (0.5,))
    onset: Dist = Dist("constant", (0.0,))
    duration: Dist = Dist("constant", (1.0,))
    profile: str = "linear"
    recovery: Dist = Dist("constant", (0.0,))


#: previous name of :class:`RandomShock`
Hazard = RandomShock


@dataclass(frozen=True)
class MonteCarloSpec:
    name: str = "montecarlo"
    data: str | None = None
    horizon: int = 365
    runs: int = 100
    params: Params = field(default_factory=Params)
    alliances: dict[str, list[str]] = field(default_factory=dict)
    shocks: tuple[RandomShock, ...] = ()
    source: str = "<spec>"


def _random_shock(h: Spec, i: int) -> RandomShock:
    h.check_keys(("name", "candidates", "pick", "probability", "regional", "correlation", "loss_fraction", "onset",
                  "duration", "recovery"), {"loss": "loss_fraction"})
    if not isinstance(h.data.get("candidates"), dict):
        h.fail(h.data.get("candidates"), "a mapping with " + ", ".join(TARGET_KEYS), "candidates")
    cand = h.sub("candidates")
    cand.check_keys(TARGET_KEYS, TARGET_RENAMED)
    rec = h.sub("recovery") if h.has("recovery") else Spec({"profile": "step", "steps": 0}, h.file, h.path("recovery"))
    rec.check_keys(("profile", "steps"))
    regional = h.flag("regional", False)
    return RandomShock(
        name=h.text("name", f"shock{i}"), candidates=read_target(cand),
        pick=h.integer("pick", None, low=1, expected="a number of nodes >= 1"),
        probability=h.num("probability", 1.0, 0, 1, "a probability from 0 to 1"), regional=regional,
        correlation=h.num("correlation", 1.0 if regional else 0.0, 0, 1, "a correlation from 0 to 1"),
        loss_fraction=read_dist(h, "loss_fraction", 0.5, 0, 1), onset=read_dist(h, "onset", 0, 0),
        duration=read_dist(h, "duration", 1, 0), profile=rec.text("profile", "linear", choices=PROFILES),
        recovery=read_dist(rec, "steps", 0, 0))


def parse_spec(doc: Any, source: str = "<spec>") -> MonteCarloSpec:
    """Validate a Monte Carlo specification mapping (read by
    :func:`allychain.data.spec.read_montecarlo`)."""
    top = Spec(doc, source)
    top.check_keys(("name", "description", "data", "horizon", "runs", "parameters", "alliances", "shocks", "compat"),
                   {"hazards": "shocks", "groups": "alliances"})
    compat = top.text("compat", None, choices=("boario",))
    shocks = top.records("shocks", required=True)
    if not shocks:
        top.fail([], "a non-empty list of random shocks", "shocks")
    return MonteCarloSpec(name=top.text("name", Path(source).stem), data=top.text("data", None),
                          horizon=top.integer("horizon", 365, low=1, expected="a positive number of steps"),
                          runs=top.integer("runs", 100, low=1, expected="a number of runs >= 1"),
                          params=read_params(top, compat), alliances=read_alliances(top),
                          shocks=tuple(_random_shock(h, i) for i, h in enumerate(shocks)), source=source)


@dataclass
class NodeShocks:
    """Per-node shock slots: slot ``k`` hits node ``node[k]`` (slots sorted by node);
    parameters are ``(B, K)`` arrays."""

    node: np.ndarray
    magnitude: np.ndarray
    onset: np.ndarray
    duration: np.ndarray
    recovery: np.ndarray
    profile: np.ndarray
    n: int

    def __post_init__(self) -> None:
        # only the (run, slot) pairs with a loss are ever evaluated
        b, k = np.nonzero(self.magnitude > 0)
        self._b, self._node = b, self.node[k]
        self._mag = self.magnitude[b, k]
        self._onset = self.onset[b, k]
        self._end = self.onset[b, k] + self.duration[b, k]
        self._rec = self.recovery[b, k]
        self._prof = np.asarray(self.profile)[b, k]

    def loss_nodes_first(self, t: int, k: int) -> np.ndarray:
        """``Δ(t)`` of the first ``k`` runs as an ``(n, k)`` array (the engine's layout)."""
        out = np.zeros((self.n, k))
        live = (self._onset <= t) & (self._b < k)
        if not live.any():
            return out
        idx = np.flatnonzero(live)
        elapsed = t - self._end[idx]
        level = np.where(elapsed < 0, 1.0, profile_value(self._prof[idx], elapsed, self._rec[idx]))
        np.maximum.at(out, (self._node[idx], self._b[idx]), self._mag[idx] * level)
        return out

    def pairs(self, steps: int) -> ShockPairs:
        """The loss of every (run, node) pair hit, for steps ``0 … steps − 1`` at once (the
        values :meth:`loss_nodes_first` takes the maximum of)."""
        elapsed = np.arange(steps)[:, None] - self._end[None, :]
        value = np.where(elapsed < 0, self._mag[None, :], 0.0)  # mag · 1 before recovery
        # the recovery profile only where it can be above 0: a linear one is 0 from τ on, an
        # exponential one from 5τ (e^-5 < 1 %), a step at once (profile_value's rules)
        limit = np.where(self._prof == 0, 1.0, np.where(self._prof == 1, 5.0, 0.0)) * self._rec
        t, p = np.nonzero((elapsed >= 0) & (elapsed < limit[None, :]))
        value[t, p] = self._mag[p] * profile_value(self._prof[p], elapsed[t, p], self._rec[p])
        return ShockPairs(node=self._node, run=self._b, onset=self._onset, value=value)


def _candidates(spec: MonteCarloSpec, system: SimSystem) -> list[np.ndarray]:
    return [np.flatnonzero(select_nodes(system, h.candidates, spec.source, f"shocks[{i}].candidates"))
            for i, h in enumerate(spec.shocks)]


def _hazard_regions(system: SimSystem, cands: list[np.ndarray]) -> list[tuple[np.ndarray, list[str]]]:
    """Per hazard: the region of each candidate node and the candidate regions in order."""
    reg = np.asarray(system.node_region, dtype=str)
    return [(reg[c], list(dict.fromkeys(reg[c].tolist()))) for c in cands]


def sample_run(spec: MonteCarloSpec, system: SimSystem, cands: list[np.ndarray], rng: np.random.Generator,
               regions_of: list[tuple[np.ndarray, list[str]]] | None = None) -> list[np.ndarray]:
    """Draw one run's shocks: per hazard, arrays (magnitude, onset, duration, recovery)
    over its candidate nodes (magnitude 0 where not hit).  The order of draws is fixed, so
    a run's numbers depend only on its generator.  ``regions_of`` is
    ``_hazard_regions(system, cands)`` when the caller has it."""
    from scipy import special

    if regions_of is None:
        regions_of = _hazard_regions(system, cands)
    out = []
    for h, c, (creg, regions) in zip(spec.shocks, cands, regions_of, strict=False):
        occurs = rng.random() < h.probability
        nc = len(c)
        hit = np.zeros(nc, dtype=bool)
        if h.regional:
            r = regions[int(rng.integers(len(regions)))] if regions else None
            hit = creg == r
        elif h.pick is None or h.pick >= nc:
            hit[:] = True
        else:
            hit[rng.choice(nc, size=h.pick, replace=False)] = True
        zc = rng.standard_normal()
        zi = rng.standard_normal(nc)
        rho = h.correlation
        mag = np.zeros(nc)
        if occurs and hit.any():  # the quantile function only where it is used
            u = special.ndtr(math.sqrt(rho) * zc + math.sqrt(1 - rho) * zi[hit])
            mag[hit] = np.clip(h.loss_fraction.ppf(u), 0.0, 1.0)
        onset = float(max(0.0, round(float(h.onset.sample(rng)))))
        dur = float(max(0.0, round(float(h.duration.sample(rng)))))
        rec = float(max(0.0, float(h.recovery.sample(rng))))
        out.append(np.stack([mag, np.full(nc, onset), np.full(nc, dur), np.full(nc, rec)]))
    return out


def run_seed(seed: int, i: int) -> np.random.SeedSequence:
    """The seed of run ``i``: ``SeedSequence(seed).spawn(n)[i]`` for any ``n > i``, made
    directly in O(1).

    ``spawn`` gives child ``i`` the entropy of its parent and the spawn key ``(i,)``;
    building that child directly costs the same for every run, where spawning all
    ``runs`` children in every batch made seeding grow as runs² (batches × runs).
    """
    return np.random.SeedSequence(seed, spawn_key=(i,))


def _run_batch(system: SimSystem, spec: MonteCarloSpec, seed: int, runs: int, indices: list[int],
               late_start: bool = True, engine: str = "numpy", static: Any = None,
               device: str | None = None) -> dict[str, np.ndarray]:
    """Run the given run indices together; returns per-run loss metrics per region.

    With ``late_start`` a run joins the batch at its first shock (see below); without it
    every run is simulated from step 0 (the reference for tests)."""
    cands = _candidates(spec, system)
    regions_of = _hazard_regions(system, cands)
    draws = [sample_run(spec, system, cands, np.random.default_rng(run_seed(seed, i)), regions_of) for i in indices]
    B = len(indices)
    node = np.concatenate(cands) if cands else np.zeros(0, dtype=int)
    order = np.argsort(node, kind="stable")
    params_ = np.concatenate([np.concatenate(d, axis=1)[None] for d in draws]) if cands else np.zeros((B, 4, 0))
    params_ = params_[:, :, order]
    prof = np.concatenate([np.full(len(c), PROFILES.index(h.profile)) for h, c in zip(spec.shocks, cands, strict=False)])[order]
    shocks = NodeShocks(node=node[order], magnitude=params_[:, 0], onset=params_[:, 1], duration=params_[:, 2],
                        recovery=params_[:, 3], profile=np.broadcast_to(prof, params_[:, 0].shape), n=system.n)
    regions = system.regions
    reg = np.asarray(system.node_region, dtype=str)
    groups = {g: np.flatnonzero(np.isin(regions, m)) for g, m in spec.alliances.items()}
    T = spec.horizon
    # only the per-region output is kept: a sparse (regions × nodes) indicator product adds
    # each region's nodes in a fixed order, so results do not depend on the batch size
    rix = {r: i for i, r in enumerate(regions)}
    R = sparse.csr_matrix((np.ones(system.n), ([rix[r] for r in reg], np.arange(system.n))),
                          shape=(len(regions), system.n))
    base = R @ system.x0
    # A run is at its baseline equilibrium until its first shock: it joins the batch at that
    # step (runs sorted by it), and its output before it is the baseline.  A run's numbers
    # depend only on its own draws.
    start = np.full(B, T if late_start else 0, dtype=np.int64)
    hit = shocks.magnitude > 0
    if hit.size and late_start:
        first = np.where(hit, shocks.onset, np.inf).min(axis=1)
        start = np.where(np.isfinite(first), np.minimum(first, T), T).astype(np.int64)
    perm = np.argsort(start, kind="stable")
    start = start[perm]
    shocks = NodeShocks(node=shocks.node, magnitude=shocks.magnitude[perm], onset=shocks.onset[perm],
                        duration=shocks.duration[perm], recovery=shocks.recovery[perm],
                        profile=np.asarray(shocks.profile)[perm], n=system.n)
    params = spec.params
    if static is None:
        static = prepare(system, params)
    out = np.empty((T, len(regions), B))  # (steps, regions, runs in start order)
    out[:] = base[None, :, None]

    def loss(t: int, k: int) -> np.ndarray:
        return shocks.loss_nodes_first(t, k)

    run_loop(system, static, params, loss, start, R, out, engine, device, pairs=lambda: shocks.pairs(T))
    # the series (total, each region, each group) as one (steps, series, runs) array; a
    # total adds its regions one after the other, so its bits do not depend on the batch
    names = ["total", *regions, *groups]
    series = np.empty((T, len(names), B))
    bases = np.empty(len(names))
    series[:, 1:1 + len(regions)] = out
    bases[1:1 + len(regions)] = base
    for s, idx in enumerate([np.arange(len(regions)), *groups.values()]):
        col = 0 if s == 0 else len(regions) + s
        series[:, col] = 0.0
        bases[col] = 0.0
        for r in idx:
            series[:, col] += out[:, r]
            bases[col] += base[r]
    metrics = loss_metrics(series, bases[:, None])
    res: dict[str, np.ndarray] = {"run": np.asarray(indices)}
    for k, v in metrics.items():  # back from start order to the order of ``indices``
        unsorted = np.empty_like(v)
        unsorted[:, perm] = v
        for s, nm in enumerate(names):
            res[f"{nm}|{k}"] = unsorted[s]
    res["shocks_hit"] = np.array([sum(int((d[0] > 0).any()) for d in dr) for dr in draws])
    return res


@dataclass
class MCResult:
    """Per-run loss metrics (``runs``: one row per run, columns ``<region>|<metric>``)."""

    spec: MonteCarloSpec
    runs: pd.DataFrame
    seed: int

    def losses(self, metric: str = "total_loss_share") -> dict[str, np.ndarray]:
        cols = [c for c in self.runs.columns if c.endswith("|" + metric)]
        return {c.split("|")[0]: self.runs[c].to_numpy() for c in cols}

    def risk(self, level: float = 0.95, metric: str = "total_loss_share") -> pd.DataFrame:
        return risk_table(self.losses(metric), level)


def risk_table(losses: dict[str, np.ndarray], level: float = 0.95) -> pd.DataFrame:
    """Mean, VaR and CVaR (expected shortfall) of each loss sample at ``level``.

    ``VaR`` is the ``level`` quantile (numpy's default linear interpolation); ``CVaR`` the
    mean of the losses at or above VaR.
    """
    rows = []
    for nm, v in losses.items():
        v = np.asarray(v, dtype=float)
        var = float(np.quantile(v, level))
        tail = v[v >= var]
        rows.append({"name": nm, "runs": len(v), "mean": float(v.mean()), "p50": float(np.median(v)),
                     f"VaR{int(round(level * 100))}": var,
                     f"CVaR{int(round(level * 100))}": float(tail.mean()) if len(tail) else var,
                     "max": float(v.max()), "share_of_runs_with_loss": float((v > 1e-9).mean())})
    return pd.DataFrame(rows)


def run_montecarlo(spec: MonteCarloSpec, system: SimSystem, runs: int | None = None, seed: int = 0,
                   batch_size: int = 128, dask: Any = None, progress: Callable[[int], None] | None = None,
                   workers: int = 1, engine: str | None = None, device: str | None = None) -> MCResult:
    """Run ``runs`` sampled scenarios in batches of ``batch_size``: in process, in
    ``workers`` local threads (fused engine) or processes (numpy engine), or on a Dask
    cluster (``dask`` is a ``distributed.Client``).  ``progress(k)`` is called with the
    number of runs finished after each batch.  ``engine``: ``"numpy"``, ``"fused"``,
    ``"torch"`` (on ``device``, one batch at a time: use large batches) or ``None``/``"auto"``
    (:func:`allychain.simulate.fused.choose_engine`).  The numbers are the same whichever
    way they are run."""
    runs = runs or spec.runs
    engine, device = fused.resolve(engine, device, batch=min(batch_size, runs), slots=system.m)
    cands = _candidates(spec, system)  # validate before spending time
    if engine == "torch" and dask is None:
        workers = 1  # one device: batches one after the other
    check_montecarlo(system, spec.horizon, runs, batch_size, spec.params, regions=len(system.regions),
                     groups=len(spec.alliances), candidates=sum(len(c) for c in cands),
                     workers=workers if dask is None else 1, engine=engine, device=device)
    batches = [list(range(i, min(runs, i + batch_size))) for i in range(0, runs, batch_size)]
    parts: list[dict[str, np.ndarray]] = []
    static = prepare(system, spec.params) if engine != "numpy" and dask is None else None
    if engine == "fused" and static is not None and workers > 1 and len(batches) > 1 \
            and fused.covers(static, spec.params):
        parts = _thread_batches(system, spec, seed, runs, batches, workers, progress, static)
    elif dask is None and workers > 1 and len(batches) > 1:
        import multiprocessing
        import threading
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures import as_completed as done

        # fork starts at once; with other threads running (whose locks a fork would copy)
        # use spawn, which needs the caller's script to guard its main code
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods and threading.active_count() == 1
                                          else "spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            pending = [pool.submit(_run_batch, system, spec, seed, runs, b) for b in batches]
            for fut in done(pending):
                part = fut.result()
                parts.append(part)
                if progress:
                    progress(len(part["run"]))
    elif dask is None:
        for b in batches:
            parts.append(_run_batch(system, spec, seed, runs, b, engine=engine, static=static, device=device))
            if progress:
                progress(len(b))
    else:
        from distributed import as_completed

        sys_f = dask.scatter(system, broadcast=True)
        futs = [dask.submit(_run_batch, sys_f, spec, seed, runs, b, engine=engine, device=device, pure=False)
                for b in batches]
        for fut in as_completed(futs):
            part = fut.result()
            parts.append(part)
            if progress:
                progress(len(part["run"]))
    df = pd.concat([pd.DataFrame(p) for p in parts], ignore_index=True).sort_values("run").reset_index(drop=True)
    return MCResult(spec=spec, runs=df, seed=seed)


def _thread_batches(system: SimSystem, spec: MonteCarloSpec, seed: int, runs: int, batches: list[list[int]],
                    workers: int, progress: Callable[[int], None] | None, static: Any) -> list[dict[str, np.ndarray]]:
    """Batches on ``workers`` threads sharing one system and one prepared static (the
    compiled kernel releases the GIL; nothing is pickled).  Each batch owns its state, and
    the kernel writes only into the batch's own arrays."""
    from concurrent.futures import ThreadPoolExecutor
    from concurrent.futures import as_completed as done

    fused.warm(system, static)  # build the shared read-only arrays once, before the threads
    parts = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="allychain-mc") as pool:
        pending = [pool.submit(_run_batch, system, spec, seed, runs, b, engine="fused", static=static)
                   for b in batches]
        for fut in done(pending):
            part = fut.result()
            parts.append(part)
            if progress:
                progress(len(part["run"]))
    return parts


def dask_client(address: str) -> Any:
    """A Dask ``distributed.Client`` for ``run_montecarlo(dask=...)``: ``"local"`` starts an
    in-process cluster of two single-threaded workers; anything else is a scheduler address.

    Raises
    ------
    MissingExtraError
        When dask[distributed] is not installed (``pip install 'allychain[dask]'``).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover
        raise MissingExtraError("--dask needs dask[distributed]: pip install 'allychain[dask]'") from None
    if address == "local":
        import logging

        return Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                                   silence_logs=logging.WARNING))
    return Client(address)
