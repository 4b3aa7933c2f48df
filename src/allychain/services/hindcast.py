"""Hindcasts: the engine held against documented disruptions.

A **case** (a YAML file; the built-in ones are in ``allychain/data/hindcasts``) names a
disruption, the scenario that represents it on a network, and **measures**: what the model
computes (``model``) beside what the public record gives (``record``, with sources), and a
**tolerance** chosen — and justified in the file — before the case was run.  A measure the
model cannot compute says so (``not_representable: reason``) and is shown, never faked.

Metrics (``model.metric``), over the steps ``window = [a, b)`` and the nodes the target
keys select (``nodes``, ``countries``, ``items``, ``providers``; every node when none), with
``L_t = Σ_k max(0, X0_k − x_k(t))`` the output lost at step ``t``:

=================  ======================================================================
``loss_share``     ``Σ_t L_t / (Σ_k X0_k · (b − a))``: the share of the window's output lost
``days_lost``      ``Σ_t L_t / (Σ_k X0_k · f)``: days of the hit capacity's output lost,
                   ``f = of_fraction`` the share of the selection the scenario hits
``recovery_day``   ``t* + 1 − a``, ``t*`` the last step with ``L_t > 1 %`` of the peak
                   loss (0 when nothing was lost)
=================  ======================================================================

An optional ``limits`` text says what the model lacks to represent the case (shown beside a
miss).  A measure is *within* when ``|model − record| ≤ abs`` (or ``≤ rel · |record|``); a case is
within when all its representable measures are, a miss when one is not.  Measures marked
``tests: representation`` or ``input`` check that the scenario reproduces the record it was
built from; ``dynamics`` measures test what the engine adds (stocks, re-sourcing,
propagation).  Results and what the misses mean: docs/simulation.md, "Hindcasts".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allychain.errors import SpecError
from allychain.model.disruption import TARGET_KEYS, Target, read_target
from allychain.model.network import Network
from allychain.model.spec import Spec
from allychain.simulate.recorder import SimResult
from allychain.simulate.scenario import Scenario, parse_scenario, select_nodes

__all__ = ["CASES_DIR", "METRICS", "Measure", "Case", "HindcastResult", "builtin_cases", "read_case",
           "parse_case", "measure_value", "run_case", "hindcast"]

#: the built-in cases
CASES_DIR = Path(__file__).resolve().parents[1] / "data" / "hindcasts"

#: metric → unit shown beside its values
METRICS = {"loss_share": "share", "days_lost": "days", "recovery_day": "day"}
TESTS = ("dynamics", "re-sourcing", "representation", "input")
_CASE_KEYS = ("name", "title", "start", "summary", "scenario", "measures", "sources", "limits")
_MEASURE_KEYS = ("id", "label", "tests", "model", "record", "tolerance", "not_representable")
_SOURCE_KEYS = ("id", "title", "publisher", "year", "url")


@dataclass(frozen=True)
class Measure:
    """One quantity of a case: the model's metric beside the record's value."""

    id: str
    label: str
    tests: str
    record: float
    record_text: str
    sources: tuple[str, ...]
    metric: str | None = None
    target: Target = field(default_factory=Target)
    window: tuple[int, int] = (0, 365)
    of_fraction: float = 1.0
    tol_abs: float | None = None
    tol_rel: float | None = None
    why: str = ""
    not_representable: str | None = None

    @property
    def tolerance(self) -> float | None:
        """The allowed distance from the record (``abs``, or ``rel × |record|``)."""
        if self.tol_abs is not None:
            return self.tol_abs
        return None if self.tol_rel is None else self.tol_rel * abs(self.record)


@dataclass(frozen=True)
class Case:
    """A documented disruption: its scenario, measures and sources."""

    name: str
    title: str
    start: str
    summary: str
    scenario: Scenario
    measures: tuple[Measure, ...]
    sources: tuple[dict[str, Any], ...]
    file: str = "<case>"
    limits: str = ""


def _sources(top: Spec) -> tuple[dict[str, Any], ...]:
    out = []
    for s in top.records("sources", required=True):
        s.check_keys(_SOURCE_KEYS)
        out.append({"id": s.text("id"), "title": s.text("title"), "publisher": s.text("publisher"),
                    "year": s.integer("year", low=1900, high=2100), "url": s.text("url")})
    return tuple(out)


def _model(m: Spec, horizon: int) -> tuple[str, Target, tuple[int, int], float]:
    mm = m.sub("model")
    mm.check_keys((*TARGET_KEYS, "metric", "window", "of_fraction"))
    metric = mm.text("metric", choices=METRICS)
    target = read_target(mm, required=False)
    win = mm.seq("window") or [0, horizon]
    if (len(win) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in win)
            or not 0 <= win[0] < win[1] <= horizon):
        mm.fail(win, f"[first step, end step) with 0 <= first < end <= the horizon ({horizon})", "window")
    frac = mm.num("of_fraction", 1.0, 0, 1, "the share of the selection the scenario hits, in (0, 1]")
    if frac <= 0:
        mm.fail(frac, "the share of the selection the scenario hits, in (0, 1]", "of_fraction")
    return metric, target, (int(win[0]), int(win[1])), frac


def _measure(m: Spec, horizon: int, known: set[str]) -> Measure:
    m.check_keys(_MEASURE_KEYS)
    rec = m.sub("record")
    rec.check_keys(("value", "text", "sources"))
    srcs = rec.names("sources")
    for s in srcs:
        if s not in known:
            rec.fail(s, "a source id listed under 'sources' (" + ", ".join(sorted(known)) + ")", "sources")
    if not srcs:
        rec.fail(None, "at least one source id (required)", "sources")
    common = {"id": m.text("id"), "label": m.text("label"), "tests": m.text("tests", choices=TESTS),
              "record": rec.num("value"), "record_text": " ".join(rec.text("text").split()), "sources": srcs}
    if m.has("not_representable"):
        if m.has("model") or m.has("tolerance"):
            m.fail(m.data.get("model") or m.data.get("tolerance"), "no 'model' or 'tolerance' beside "
                   "'not_representable'")
        return Measure(**common, not_representable=" ".join(m.text("not_representable").split()))
    if not m.has("model") or not m.has("tolerance"):
        m.fail(None, "'model' and 'tolerance' (or 'not_representable: reason')", "model" if not m.has("model")
               else "tolerance")
    metric, target, window, frac = _model(m, horizon)
    tol = m.sub("tolerance")
    tol.check_keys(("abs", "rel", "why"))
    if tol.has("abs") == tol.has("rel"):
        tol.fail(tol.data, "exactly one of 'abs' (same unit as the value) and 'rel' (a fraction of the record)")
    return Measure(**common, metric=metric, target=target, window=window, of_fraction=frac,
                   tol_abs=tol.num("abs", None, 0), tol_rel=tol.num("rel", None, 0),
                   why=" ".join(tol.text("why").split()))


def parse_case(doc: Any, source: str = "<case>") -> Case:
    """A checked :class:`Case` from a mapping read from YAML; every problem is a
    :class:`~allychain.errors.SpecError` naming the file and key."""
    top = Spec(doc, source)
    top.check_keys(_CASE_KEYS)
    sc_doc = top.mapping("scenario")
    if not sc_doc:
        top.fail(None, "a scenario mapping (required)", "scenario")
    if "capacity_path" in sc_doc:
        top.fail(sc_doc["capacity_path"], "no capacity_path in a hindcast's scenario (shocks and restrictions "
                 "only)", "scenario.capacity_path")
    try:
        scenario = parse_scenario(sc_doc, source=f"{source}: scenario")
    except SpecError as exc:
        raise SpecError(source, f"scenario.{exc.key}", exc.value, exc.expected) from None
    srcs = _sources(top)
    known = {s["id"] for s in srcs}
    measures = tuple(_measure(m, scenario.horizon, known) for m in top.records("measures", required=True))
    ids = [m.id for m in measures]
    if len(set(ids)) != len(ids):
        top.fail(ids, "measure ids that differ from each other", "measures")
    return Case(name=top.text("name"), title=top.text("title"), start=top.text("start"),
                summary=" ".join(top.text("summary").split()), scenario=scenario, measures=measures,
                sources=srcs, file=source, limits=" ".join(top.text("limits", "").split()))


def read_case(path: str | Path) -> Case:
    """Read one case file through the specification reader (:mod:`allychain.data.spec`)."""
    from allychain.data.spec import read_yaml

    return parse_case(read_yaml(path, "hindcast case"), str(path))


def builtin_cases() -> list[Path]:
    """The built-in case files, by name."""
    return sorted(CASES_DIR.glob("*.yaml"))


def measure_value(res: SimResult, measure: Measure, source: str = "<case>") -> float:
    """The model's value of ``measure`` in a run (see the module docstring)."""
    system = res.system
    mask = (select_nodes(system, measure.target, source, f"measures[{measure.id}].model")
            if not measure.target.is_empty() else np.ones(system.n, dtype=bool))
    a, b = measure.window
    x = np.asarray(res.arrays["production"])[a:b, 0, :][:, mask]
    x0 = np.asarray(system.x0, dtype=float)[mask]
    lost = np.clip(x0 - x, 0, None).sum(axis=1)
    base = float(x0.sum())
    if base <= 0:
        return math.nan
    if measure.metric == "loss_share":
        return float(lost.sum() / (base * (b - a)))
    if measure.metric == "days_lost":
        return float(lost.sum() / (base * measure.of_fraction))
    peak = float(lost.max()) if len(lost) else 0.0
    if peak <= 1e-12 * base:
        return 0.0
    return float(np.flatnonzero(lost > 0.01 * peak)[-1] + 1)


def _row(case: Case, m: Measure, value: float | None) -> dict[str, Any]:
    tol = m.tolerance
    if m.not_representable is not None:
        verdict = f"not representable: {m.not_representable}"
    elif value is None or not math.isfinite(value):
        verdict = "not assessable: the selection has no baseline output"
    else:
        verdict = "within" if abs(value - m.record) <= (tol or 0.0) + 1e-12 else "miss"
    return {"case": case.name, "measure": m.id, "label": m.label, "tests": m.tests,
            "unit": METRICS.get(m.metric or "", ""), "model": value, "record": m.record, "tolerance": tol,
            "verdict": verdict, "record_text": m.record_text, "sources": list(m.sources), "why": m.why}


def run_case(case: Case, network: Network, progress: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Run one case on ``network``: one row per measure (model, record, tolerance, verdict)."""
    from allychain.simulate.api import run_scenario

    if all(m.not_representable is not None for m in case.measures):
        return [_row(case, m, None) for m in case.measures]
    res = run_scenario(case.scenario, network, progress=progress)
    return [_row(case, m, None if m.not_representable is not None else measure_value(res, m, case.file))
            for m in case.measures]


@dataclass
class HindcastResult:
    """The rows of every case and measure, the cases and their verdicts."""

    cases: list[Case]
    rows: pd.DataFrame

    def verdicts(self) -> pd.DataFrame:
        """One row per case: ``within`` (every representable measure within), ``miss``, or
        ``not representable`` (no measure the model can compute)."""
        out = []
        for c in self.cases:
            r = self.rows[self.rows["case"] == c.name]
            rep = r[~r["verdict"].str.startswith("not ")]
            v = "not representable" if rep.empty else "within" if (rep["verdict"] == "within").all() else "miss"
            out.append({"case": c.name, "title": c.title, "verdict": v,
                        "measures_within": int((rep["verdict"] == "within").sum()), "measures_compared": len(rep)})
        return pd.DataFrame(out)

    def within(self) -> int:
        """How many cases are within their tolerances."""
        return int((self.verdicts()["verdict"] == "within").sum())

    def to_dict(self) -> dict[str, Any]:
        return {"cases": [{"name": c.name, "title": c.title, "start": c.start, "summary": c.summary,
                           "limits": c.limits, "sources": list(c.sources)} for c in self.cases],
                "verdicts": self.verdicts(), "rows": self.rows,
                "within": self.within(), "of": len(self.cases)}


def _select(cases: Iterable[str | Path | Case] | None) -> list[Case]:
    from allychain.errors import AllychainError

    if cases is None:
        return [read_case(p) for p in builtin_cases()]
    by_name = {p.stem: p for p in builtin_cases()}
    out = []
    for c in cases:
        if isinstance(c, Case):
            out.append(c)
        elif isinstance(c, Path) or str(c).endswith((".yaml", ".yml")):
            out.append(read_case(c))
        elif str(c) in by_name:
            out.append(read_case(by_name[str(c)]))
        else:
            raise AllychainError(f"hindcast case {str(c)!r} is not built in; expected one of "
                                 f"{', '.join(by_name)} or a .yaml file")
    return out


def hindcast(network: Network | None = None, cases: Iterable[str | Path | Case] | None = None, *,
             progress: Callable[[str, int, int], None] | None = None) -> HindcastResult:
    """Run hindcast cases and compare the model with the record.

    Parameters
    ----------
    network
        The network to run on; default: each case's ``data`` (the built-in data), loaded once.
    cases
        Built-in case names, case files or :class:`Case` objects; default: every built-in case.
    progress
        ``progress(case, step, steps)`` as each case's run advances.
    """
    from allychain.data.load import load

    chosen = _select(cases)
    loaded: dict[str, Network] = {}
    rows: list[dict[str, Any]] = []
    for case in chosen:
        net = network
        if net is None:
            spec = case.scenario.data or "builtin"
            net = loaded.setdefault(spec, load(spec))
        steps = case.scenario.horizon

        def tick(t: int, name: str = case.name, total: int = steps) -> None:
            if progress is not None:
                progress(name, t + 1, total)

        rows.extend(run_case(case, net, progress=tick))
    return HindcastResult(chosen, pd.DataFrame(rows))
