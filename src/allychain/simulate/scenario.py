"""Scenarios as YAML: shocks, export restrictions, demand shocks, horizon, parameters.

Example (every key optional except at least one driver, or none for a baseline run)::

    name: reg3 food plant fire
    data: pymrio-test            # --data overrides it
    horizon: 365                 # steps (days for annual tables)
    compat: boario               # optional: BoARIO 0.7 mode
    parameters: {psi: 0.8, inventory_days: 90, inventory_tau: 60}
    groups: {alliance: [reg1, reg2]}          # regions reported together
    shocks:                      # capacity loss
      - nodes: [reg3/food]       # or region: reg2 (every node of it), optionally with products: [...]
        loss: 0.5                # share of capacity lost, 0-1
        onset: 10                # first step
        duration: 30             # steps at full loss
        recovery: {profile: linear, steps: 60}   # linear | exponential | step
    export_restrictions:
      - {from: NLD, to: KOR, products: [euv_lithography], licensed_fraction: 0.0, onset: 0, duration: 180}
    demand_shocks:
      - {region: reg1, change: -0.1, onset: 0, duration: 90}
    capacity_path: loss.csv      # step column + one column per node (relative to this file)

Every error is a :class:`~allychain.errors.ScenarioError` naming the file, the key, the
value and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from allychain.errors import ScenarioError
from allychain.simulate.forcing import PROFILES, Forcing, ShockArrays
from allychain.simulate.params import Params
from allychain.simulate.system import SimSystem

__all__ = ["Scenario", "Shock", "ExportRestriction", "DemandShock", "load_scenario", "parse_scenario", "to_forcing",
           "select_nodes"]

_TOP = {"name", "description", "data", "horizon", "steps", "compat", "parameters", "groups", "shocks",
        "export_restrictions", "demand_shocks", "capacity_path"}


@dataclass(frozen=True)
class Shock:
    """Capacity loss at a set of nodes (by id, or every node of a region, optionally of
    some products)."""

    loss: float
    onset: int = 0
    duration: int = 1
    profile: str = "linear"
    recovery: int = 0
    nodes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    products: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportRestriction:
    """Flows of ``products`` from ``exporters`` to ``importers`` limited to
    ``licensed_fraction`` of their normal share, from ``onset`` for ``duration`` steps."""

    exporters: tuple[str, ...]
    importers: tuple[str, ...]
    products: tuple[str, ...] = ()
    licensed_fraction: float = 0.0
    onset: int = 0
    duration: int | None = None


@dataclass(frozen=True)
class DemandShock:
    """Final demand for the output of some nodes changed by ``change`` (−0.2 = −20 %);
    ``consumers`` limits it to the final demand of those regions (IO tables)."""

    change: float
    onset: int = 0
    duration: int | None = None
    nodes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str = "scenario"
    description: str = ""
    data: str | None = None
    horizon: int = 365
    compat: str | None = None
    params: Params = field(default_factory=Params)
    groups: dict[str, list[str]] = field(default_factory=dict)
    shocks: tuple[Shock, ...] = ()
    export_restrictions: tuple[ExportRestriction, ...] = ()
    demand_shocks: tuple[DemandShock, ...] = ()
    capacity_path: Path | None = None
    source: str = "<scenario>"


def _err(src: str, key: str, value: Any, expected: str) -> ScenarioError:
    return ScenarioError(f"{src}: key '{key}': value {value!r}; expected {expected}")


def _num(src: str, key: str, v: Any, lo: float | None = None, hi: float | None = None, integer: bool = False,
         expected: str | None = None) -> Any:
    exp = expected or ("an integer" if integer else "a number") + (
        f" between {lo} and {hi}" if lo is not None and hi is not None else f" >= {lo}" if lo is not None else "")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _err(src, key, v, exp)
    if integer and float(v) != int(v):
        raise _err(src, key, v, exp)
    if (lo is not None and v < lo) or (hi is not None and v > hi) or v != v:
        raise _err(src, key, v, exp)
    return int(v) if integer else float(v)


def _strs(src: str, key: str, v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list) and all(isinstance(x, (str, int)) for x in v):
        return tuple(str(x) for x in v)
    raise _err(src, key, v, "a name or a list of names")


def _check_keys(src: str, where: str, d: dict[str, Any], allowed: set[str]) -> None:
    for k in d:
        if k not in allowed:
            raise _err(src, f"{where}{k}", d[k], f"one of the keys {', '.join(sorted(allowed))}")


def _recovery(src: str, key: str, d: dict[str, Any]) -> tuple[str, int]:
    rec = d.get("recovery", {"profile": "step", "steps": 0})
    if isinstance(rec, (int, float)) and not isinstance(rec, bool):
        return "linear", _num(src, key + ".recovery", rec, 0, integer=True)
    if not isinstance(rec, dict):
        raise _err(src, key + ".recovery", rec, "a mapping {profile: linear|exponential|step, steps: N}")
    _check_keys(src, key + ".recovery.", rec, {"profile", "steps"})
    prof = rec.get("profile", "linear")
    if prof not in PROFILES:
        raise _err(src, key + ".recovery.profile", prof, " or ".join(PROFILES))
    steps = _num(src, key + ".recovery.steps", rec.get("steps", 0 if prof == "step" else None), 0, integer=True,
                 expected="a number of steps >= 0")
    return prof, steps


def _targets(src: str, key: str, d: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    nodes = _strs(src, key + ".nodes", d.get("nodes"))
    regions = _strs(src, key + ".region", d.get("region", d.get("regions", d.get("country"))))
    products = _strs(src, key + ".products", d.get("products", d.get("items", d.get("sectors"))))
    if not nodes and not regions and not products:
        raise _err(src, key, d, "'nodes', 'region' (or 'country') and/or 'products' naming what is hit")
    return {"nodes": nodes, "regions": regions, "products": products}


_TARGET_KEYS = {"nodes", "region", "regions", "country", "products", "items", "sectors", "name"}


def parse_scenario(doc: Any, source: str = "<scenario>", base: Path | None = None) -> Scenario:
    """Validate a scenario mapping (from YAML) and return a :class:`Scenario`."""
    src = source
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ScenarioError(f"{src}: the file must hold a mapping of keys (name, horizon, shocks …); "
                            f"got {type(doc).__name__}")
    _check_keys(src, "", doc, _TOP)
    horizon = _num(src, "horizon", doc.get("horizon", doc.get("steps", 365)), 1, integer=True,
                   expected="a positive number of steps")
    compat = doc.get("compat")
    if compat not in (None, "boario"):
        raise _err(src, "compat", compat, "boario or nothing")
    params_doc = doc.get("parameters") or {}
    if not isinstance(params_doc, dict):
        raise _err(src, "parameters", params_doc, "a mapping of parameter names to values")
    for k, v in params_doc.items():
        if k not in Params.names():
            raise _err(src, f"parameters.{k}", v, f"one of {', '.join(Params.names())}")
    try:
        params = Params(**params_doc)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{src}: key 'parameters': {exc}") from None
    groups_doc = doc.get("groups") or {}
    if not isinstance(groups_doc, dict):
        raise _err(src, "groups", groups_doc, "a mapping of group names to lists of regions")
    groups = {str(g): list(_strs(src, f"groups.{g}", v)) for g, v in groups_doc.items()}

    def seq(key: str) -> list[Any]:
        v = doc.get(key) or []
        if not isinstance(v, list):
            raise _err(src, key, v, "a list of mappings")
        for i, item in enumerate(v):
            if not isinstance(item, dict):
                raise _err(src, f"{key}[{i}]", item, "a mapping")
        return v

    shocks = []
    for i, d in enumerate(seq("shocks")):
        key = f"shocks[{i}]"
        _check_keys(src, key + ".", d, _TARGET_KEYS | {"loss", "onset", "duration", "recovery"})
        if "loss" not in d:
            raise _err(src, key + ".loss", None, "the share of capacity lost, between 0 and 1")
        prof, rec = _recovery(src, key, d)
        shocks.append(Shock(loss=_num(src, key + ".loss", d["loss"], 0, 1), onset=_num(src, key + ".onset",
                            d.get("onset", 0), 0, integer=True), duration=_num(src, key + ".duration",
                            d.get("duration", 1), 0, integer=True), profile=prof, recovery=rec,
                            **_targets(src, key, d)))
    restr = []
    for i, d in enumerate(seq("export_restrictions")):
        key = f"export_restrictions[{i}]"
        _check_keys(src, key + ".", d, {"from", "to", "products", "items", "sectors", "licensed_fraction", "onset",
                                        "duration", "name"})
        if "from" not in d or "to" not in d:
            raise _err(src, key, d, "'from' (exporting country/region) and 'to' (importer, or '*')")
        restr.append(ExportRestriction(
            exporters=_strs(src, key + ".from", d["from"]), importers=_strs(src, key + ".to", d["to"]),
            products=_strs(src, key + ".products", d.get("products", d.get("items", d.get("sectors")))),
            licensed_fraction=_num(src, key + ".licensed_fraction", d.get("licensed_fraction", 0.0), 0, 1),
            onset=_num(src, key + ".onset", d.get("onset", 0), 0, integer=True),
            duration=None if d.get("duration") is None else _num(src, key + ".duration", d["duration"], 0,
                                                                 integer=True)))
    dem = []
    for i, d in enumerate(seq("demand_shocks")):
        key = f"demand_shocks[{i}]"
        _check_keys(src, key + ".", d, _TARGET_KEYS | {"change", "onset", "duration", "consumers"})
        if "change" not in d:
            raise _err(src, key + ".change", None, "a relative change of final demand, e.g. -0.2")
        t: dict[str, tuple[str, ...]] = {"nodes": (), "regions": (), "products": ()}
        if any(k in d for k in ("nodes", "region", "regions", "country", "products", "items", "sectors")):
            t = _targets(src, key, d)
        dem.append(DemandShock(change=_num(src, key + ".change", d["change"], -1), onset=_num(
            src, key + ".onset", d.get("onset", 0), 0, integer=True), duration=None if d.get("duration") is None
            else _num(src, key + ".duration", d["duration"], 0, integer=True),
            consumers=_strs(src, key + ".consumers", d.get("consumers")), **t))
    cpath = doc.get("capacity_path")
    cp = None
    if cpath is not None:
        if not isinstance(cpath, str):
            raise _err(src, "capacity_path", cpath, "a CSV file name")
        cp = Path(cpath)
        if not cp.is_absolute() and base is not None:
            cp = base / cp
        if not cp.exists():
            raise _err(src, "capacity_path", cpath, f"an existing CSV file (looked for {cp})")
    data = doc.get("data")
    if data is not None and not isinstance(data, str):
        raise _err(src, "data", data, "a data specification such as pymrio-test or builtin")
    return Scenario(name=str(doc.get("name", Path(source).stem)), description=str(doc.get("description", "")),
                    data=data, horizon=horizon, compat=compat, params=params, groups=groups, shocks=tuple(shocks),
                    export_restrictions=tuple(restr), demand_shocks=tuple(dem), capacity_path=cp, source=src)


def read_yaml(path: Path, what: str) -> Any:
    """The parsed YAML document at ``path``; :class:`ScenarioError` naming ``what`` when the
    file is missing or not valid YAML."""
    import yaml

    if not path.exists():
        raise ScenarioError(f"{path}: {what} not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({exc})") from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    path = Path(path)
    return parse_scenario(read_yaml(path, "scenario file"), source=str(path), base=path.parent)


def select_nodes(system: SimSystem, nodes: tuple[str, ...] = (), regions: tuple[str, ...] = (),
                 products: tuple[str, ...] = (), source: str = "<scenario>", key: str = "nodes") -> np.ndarray:
    """Boolean mask of nodes: the listed ids, plus every node of the listed regions
    (restricted to the listed products when both are given)."""
    mask = np.zeros(system.n, dtype=bool)
    idx = system._index()
    for k in nodes:
        if k not in idx:
            raise ScenarioError(f"{source}: key '{key}': node {k!r} is not in the data; expected node ids such as "
                                f"{', '.join(system.node_ids[:3])}")
        mask[idx[k]] = True
    reg = np.asarray(system.node_region, dtype=str)
    prod_names = np.asarray(system.products, dtype=str)[system.node_product]
    for r in regions:
        if r not in set(reg.tolist()):
            raise ScenarioError(f"{source}: key '{key}': region {r!r} is not in the data; expected one of "
                                f"{', '.join(system.regions[:10])}")
    for p in products:
        if p not in system.products:
            raise ScenarioError(f"{source}: key '{key}': product {p!r} is not in the data; expected one of "
                                f"{', '.join(system.products[:10])}")
    if regions or products:
        sel = np.ones(system.n, dtype=bool)
        if regions:
            sel &= np.isin(reg, regions)
        if products:
            sel &= np.isin(prod_names, products)
        mask |= sel
    return mask


def to_forcing(scenario: Scenario, system: SimSystem, batch: int = 1) -> Forcing:
    """The scenario's drivers as a :class:`Forcing` on ``system``."""
    src = scenario.source
    T = scenario.horizon
    K = len(scenario.shocks)
    members = np.zeros((batch, K, system.n), dtype=bool)
    mag, on, dur, rec, prof = (np.zeros((batch, K)) for _ in range(5))
    for k, s in enumerate(scenario.shocks):
        members[:, k] = select_nodes(system, s.nodes, s.regions, s.products, src, f"shocks[{k}]")
        mag[:, k], on[:, k], dur[:, k], rec[:, k] = s.loss, s.onset, s.duration, s.recovery
        prof[:, k] = PROFILES.index(s.profile)
    forcing = Forcing(batch=batch, n=system.n, e=system.e,
                      shocks=ShockArrays(members, mag, on, dur, rec, prof.astype(int)) if K else None)
    reg = np.asarray(system.node_region, dtype=str)
    for i, d in enumerate(scenario.demand_shocks):
        key = f"demand_shocks[{i}]"
        mask = (select_nodes(system, d.nodes, d.regions, d.products, src, key) if (d.nodes or d.regions or d.products)
                else np.ones(system.n, dtype=bool))
        change = np.where(mask, d.change, 0.0)
        if d.consumers:
            if system.fd is None:
                raise _err(src, key + ".consumers", list(d.consumers), "no 'consumers' (this data has no final "
                           "demand by consumer region)")
            cols = [c for c in system.fd.columns if (c[0] if isinstance(c, tuple) else c) in d.consumers]
            if not cols:
                raise _err(src, key + ".consumers", list(d.consumers), "consumer regions of the final-demand table")
            part = system.fd[cols].to_numpy().sum(axis=1)
            share = np.divide(part, system.y0, out=np.zeros(system.n), where=system.y0 != 0)
            change = change * share
        end = T if d.duration is None else d.onset + d.duration
        forcing.demand.append((np.broadcast_to(change, (batch, system.n)), d.onset, end))
    prod_names = np.asarray(system.products, dtype=str)[system.node_product]
    for i, r in enumerate(scenario.export_restrictions):
        key = f"export_restrictions[{i}]"
        regions = set(reg.tolist())
        for who in (*r.exporters, *[x for x in r.importers if x != "*"]):
            if who not in regions:
                raise _err(src, key, who, f"a region of the data ({', '.join(system.regions[:10])})")
        for p in r.products:
            if p not in system.products:
                raise _err(src, key + ".products", p, f"a product of the data ({', '.join(system.products[:10])})")
        sup_ok = np.isin(reg[system.edge_sup], r.exporters)
        buy_ok = np.ones(system.e, dtype=bool) if "*" in r.importers else np.isin(reg[system.edge_buyer], r.importers)
        buy_ok &= reg[system.edge_buyer] != reg[system.edge_sup]  # domestic flows are not exports
        prod_ok = np.isin(prod_names[system.edge_sup], r.products) if r.products else np.ones(system.e, dtype=bool)
        emask = sup_ok & buy_ok & prod_ok
        end = T if r.duration is None else r.onset + r.duration
        forcing.licences.append((emask, np.full(batch, r.licensed_fraction), r.onset, end))
    if scenario.capacity_path is not None:
        from allychain.simulate.api import capacity_path_array, read_capacity_path

        frame = read_capacity_path(scenario.capacity_path)
        forcing.path = capacity_path_array(system, frame, source=f"{src}: capacity_path {scenario.capacity_path}")
    return forcing
