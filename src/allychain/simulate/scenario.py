"""Scenarios: shocks, trade restrictions, demand shocks, horizon, parameters.

A scenario file is read by :func:`allychain.data.spec.read_scenario` (the one reader
boundary for specification files); :func:`parse_scenario` gives the checked mapping its
meaning.  Example (every key optional except at least one driver, or none for a baseline)::

    name: reg3 food plant fire
    data: pymrio-test            # --data overrides it
    horizon: 365                 # steps (days for annual tables)
    compat: boario               # optional: BoARIO 0.7 mode
    parameters: {psi: 0.8, inventory_days: 90, inventory_tau: 60}
    alliances: {alliance: [reg1, reg2]}       # countries reported together
    shocks:                      # capacity loss (see allychain.model.disruption)
      - nodes: [reg3/food]       # or countries: [reg2], items: [...], providers: [...]
        loss_fraction: 0.5       # share of capacity lost, 0-1
        onset: 10                # first step
        duration: 30             # steps at full loss
        recovery: {profile: linear, steps: 60}   # linear | exponential | step
    export_restrictions:         # a trade link between countries
      - {from: NLD, to: KOR, items: [euv_lithography], licensed_fraction: 0.0, onset: 0, duration: 180}
    demand_shocks:
      - {countries: [reg1], change_fraction: -0.1, onset: 0, duration: 90}
    power_outages:               # grid outages (see allychain.model.outage): steps are days
      - {countries: [JPN], items: [nand-flash-chips], minutes: 13, onset: 5, restart_days: 30}
    capacity_path: loss.csv      # step column + one column per node (relative to this file)

The previous names (``groups``, ``steps``, ``loss``, ``change``, ``region``, ``products`` …)
are still read, with an :class:`~allychain.errors.AllychainDeprecationWarning`.  Every
error is a :class:`~allychain.errors.SpecError` naming the file, the key path, the value and
what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from allychain.errors import ScenarioError, SpecError
from allychain.model.disruption import (
    PROFILES,
    TARGET_KEYS,
    TARGET_RENAMED,
    Shock,
    Target,
    TradeRestriction,
    read_shock,
    read_target,
)
from allychain.model.outage import PowerOutage, loss_profile, read_outage
from allychain.model.spec import Spec
from allychain.simulate.forcing import Forcing, ShockArrays
from allychain.simulate.params import Params
from allychain.simulate.system import SimSystem

__all__ = ["Scenario", "Shock", "TradeRestriction", "ExportRestriction", "DemandShock", "parse_scenario",
           "to_forcing", "select_nodes", "read_params", "read_alliances"]

#: previous name of :class:`TradeRestriction`
ExportRestriction = TradeRestriction

_TOP = ("name", "description", "data", "horizon", "compat", "parameters", "alliances", "shocks",
        "export_restrictions", "demand_shocks", "power_outages", "capacity_path")
_TOP_RENAMED = {"groups": "alliances", "steps": "horizon"}


@dataclass(frozen=True)
class DemandShock:
    """Final demand for the output of ``target`` (everything when empty) changed by
    ``change_fraction`` (−0.2 = −20 %); ``consumers`` limits it to the final demand of those
    countries (IO tables)."""

    change_fraction: float
    onset: int = 0
    duration: int | None = None
    target: Target = field(default_factory=Target)
    consumers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.  ``capacity`` holds the capacity path read from
    ``capacity_path`` (a step-indexed frame, see :func:`allychain.data.spec.read_capacity_path`)."""

    name: str = "scenario"
    description: str = ""
    data: str | None = None
    horizon: int = 365
    compat: str | None = None
    params: Params = field(default_factory=Params)
    alliances: dict[str, list[str]] = field(default_factory=dict)
    shocks: tuple[Shock, ...] = ()
    export_restrictions: tuple[TradeRestriction, ...] = ()
    demand_shocks: tuple[DemandShock, ...] = ()
    power_outages: tuple[PowerOutage, ...] = ()
    capacity_path: Path | None = None
    capacity: Any = None
    source: str = "<scenario>"


def read_params(top: Spec, compat: str | None = None) -> Params:
    """``parameters:`` as :class:`Params` (names and values checked)."""
    sub = top.sub("parameters")
    sub.check_keys(Params.names())
    for k, v in sub.data.items():
        if not isinstance(v, (bool, str, dict, list)) and v is not None:
            sub.number(v, k)
    try:
        return Params(**sub.data).with_compat(compat)
    except (ValueError, TypeError) as exc:
        raise SpecError(top.file, "parameters", sub.data, str(exc)) from None


def read_alliances(top: Spec) -> dict[str, list[str]]:
    """``alliances:`` — name → member countries, reported together."""
    return {g: list(top.sub("alliances").names(g)) for g in top.mapping("alliances")}


def _restriction(r: Spec) -> TradeRestriction:
    r.check_keys(("from", "to", "items", "licensed_fraction", "onset", "duration", "name"),
                 {"products": "items", "sectors": "items"})
    if not r.has("from") or not r.has("to"):
        r.fail(dict(r.data), "'from' (exporting country) and 'to' (importing country, or '*')")
    return TradeRestriction(
        exporters=r.names("from"), importers=r.names("to"), items=r.names("items"),
        licensed_fraction=r.num("licensed_fraction", 0.0, 0, 1, "a fraction from 0 to 1"),
        onset=r.integer("onset", 0, low=0, expected="a step >= 0"),
        duration=r.integer("duration", None, low=0, expected="a number of steps >= 0"), name=r.text("name", ""))


def _demand(d: Spec) -> DemandShock:
    d.check_keys((*TARGET_KEYS, "change_fraction", "onset", "duration", "consumers", "name"),
                 {**TARGET_RENAMED, "change": "change_fraction"})
    return DemandShock(
        change_fraction=d.num("change_fraction", low=-1, expected="a relative change of final demand >= -1, "
                              "e.g. -0.2"),
        onset=d.integer("onset", 0, low=0, expected="a step >= 0"),
        duration=d.integer("duration", None, low=0, expected="a number of steps >= 0"),
        target=read_target(d, required=False), consumers=d.names("consumers"))


def parse_scenario(doc: Any, source: str = "<scenario>", base: Path | None = None) -> Scenario:
    """Validate a scenario mapping (already read, see :func:`allychain.data.spec.read_scenario`)
    and return a :class:`Scenario`.  ``capacity_path`` is resolved against ``base`` but not
    read here."""
    top = Spec(doc, source)
    top.check_keys(_TOP, _TOP_RENAMED)
    compat = top.text("compat", None, choices=("boario",))
    cp = None
    if top.has("capacity_path"):
        cp = Path(top.text("capacity_path"))
        if not cp.is_absolute() and base is not None:
            cp = base / cp
    return Scenario(name=top.text("name", Path(source).stem), description=top.text("description", ""),
                    data=top.text("data", None),
                    horizon=top.integer("horizon", 365, low=1, expected="a positive number of steps"),
                    compat=compat, params=read_params(top), alliances=read_alliances(top),
                    shocks=tuple(read_shock(s) for s in top.records("shocks")),
                    export_restrictions=tuple(_restriction(r) for r in top.records("export_restrictions")),
                    demand_shocks=tuple(_demand(d) for d in top.records("demand_shocks")),
                    power_outages=tuple(read_outage(o) for o in top.records("power_outages")),
                    capacity_path=cp, source=source)


def select_nodes(system: SimSystem, target: Target, source: str = "<scenario>", key: str = "nodes") -> np.ndarray:
    """Boolean mask of the nodes ``target`` hits: the listed node ids, plus every node
    matching all of the listed countries, items and providers.

    Node ids are ``PROVIDER/ITEM`` (see :mod:`allychain.model.flows`); a node's country is
    its region in the system.
    """
    mask = np.zeros(system.n, dtype=bool)
    idx = system._index()
    for k in target.nodes:
        if k not in idx:
            raise SpecError(source, key, k, f"a node id of the data such as {', '.join(system.node_ids[:3])}",
                            message=f"node {k!r} is not in the data; expected node ids such as "
                                    f"{', '.join(system.node_ids[:3])}")
        mask[idx[k]] = True
    reg = np.asarray(system.node_region, dtype=str)
    prod_names = np.asarray(system.products, dtype=str)[system.node_product]
    prov = np.asarray([str(n).rsplit("/", 1)[0] for n in system.node_ids], dtype=str)
    for what, wanted, known in (("country", target.countries, system.regions),
                                ("item", target.items, system.products),
                                ("provider", target.providers, list(dict.fromkeys(prov.tolist())))):
        present = set(known)
        for r in wanted:
            if r not in present:
                raise SpecError(source, key, r, f"a {what} of the data",
                                message=f"{what} {r!r} is not in the data; expected one of {', '.join(known[:10])}")
    if target.countries or target.items or target.providers:
        sel = np.ones(system.n, dtype=bool)
        if target.countries:
            sel &= np.isin(reg, target.countries)
        if target.items:
            sel &= np.isin(prod_names, target.items)
        if target.providers:
            sel &= np.isin(prov, target.providers)
        mask |= sel
    return mask


def _demand_forcing(scenario: Scenario, system: SimSystem, forcing: Forcing, batch: int) -> None:
    src = scenario.source
    for i, d in enumerate(scenario.demand_shocks):
        key = f"demand_shocks[{i}]"
        mask = (select_nodes(system, d.target, src, key) if not d.target.is_empty()
                else np.ones(system.n, dtype=bool))
        change = np.where(mask, d.change_fraction, 0.0)
        if d.consumers:
            if system.fd is None:
                raise SpecError(src, key + ".consumers", list(d.consumers), "no 'consumers' (this data has no "
                                "final demand by consumer country)")
            cols = [c for c in system.fd.columns if (c[0] if isinstance(c, tuple) else c) in d.consumers]
            if not cols:
                raise SpecError(src, key + ".consumers", list(d.consumers), "consumer countries of the "
                                "final-demand table")
            part = system.fd[cols].to_numpy().sum(axis=1)
            share = np.divide(part, system.y0, out=np.zeros(system.n), where=system.y0 != 0)
            change = change * share
        end = scenario.horizon if d.duration is None else d.onset + d.duration
        forcing.demand.append((np.broadcast_to(change, (batch, system.n)), d.onset, end))


def _trade_forcing(scenario: Scenario, system: SimSystem, forcing: Forcing, batch: int) -> None:
    src = scenario.source
    reg = np.asarray(system.node_region, dtype=str)
    prod_names = np.asarray(system.products, dtype=str)[system.node_product]
    regions = set(reg.tolist())
    for i, r in enumerate(scenario.export_restrictions):
        key = f"export_restrictions[{i}]"
        for who in (*r.exporters, *[x for x in r.importers if x != "*"]):
            if who not in regions:
                raise SpecError(src, key, who, f"a country of the data ({', '.join(system.regions[:10])})")
        for p in r.items:
            if p not in system.products:
                raise SpecError(src, key + ".items", p, f"an item of the data ({', '.join(system.products[:10])})")
        sup_ok = np.isin(reg[system.edge_sup], r.exporters)
        buy_ok = np.ones(system.e, dtype=bool) if "*" in r.importers else np.isin(reg[system.edge_buyer], r.importers)
        buy_ok &= reg[system.edge_buyer] != reg[system.edge_sup]  # domestic flows are not exports
        prod_ok = np.isin(prod_names[system.edge_sup], r.items) if r.items else np.ones(system.e, dtype=bool)
        end = scenario.horizon if r.duration is None else r.onset + r.duration
        forcing.licences.append((sup_ok & buy_ok & prod_ok, np.full(batch, r.licensed_fraction), r.onset, end))


def _outage_path(scenario: Scenario, system: SimSystem, steps: int) -> np.ndarray | None:
    """The power outages as one ``(steps, n)`` loss path (outages at one node combined by the maximum)."""
    if not scenario.power_outages:
        return None
    out = np.zeros((steps, system.n))
    for i, o in enumerate(scenario.power_outages):
        mask = select_nodes(system, o.target, scenario.source, f"power_outages[{i}]")
        np.maximum(out, loss_profile(o, steps)[:, None] * mask[None, :], out=out)
    return out


def to_forcing(scenario: Scenario, system: SimSystem, batch: int = 1, steps: int | None = None) -> Forcing:
    """The scenario's drivers as a new :class:`Forcing` on ``system`` (``steps``: the run's
    length, default the horizon; capacity-path steps beyond it are reported)."""
    src = scenario.source
    K = len(scenario.shocks)
    members = np.zeros((batch, K, system.n), dtype=bool)
    mag, on, dur, rec, prof = (np.zeros((batch, K)) for _ in range(5))
    for k, s in enumerate(scenario.shocks):
        members[:, k] = select_nodes(system, s.target, src, f"shocks[{k}]")
        mag[:, k], on[:, k], dur[:, k], rec[:, k] = s.loss_fraction, s.onset, s.duration, s.recovery.steps
        prof[:, k] = PROFILES.index(s.recovery.profile)
    forcing = Forcing(batch=batch, n=system.n, e=system.e,
                      shocks=ShockArrays(members, mag, on, dur, rec, prof.astype(int)) if K else None)
    _demand_forcing(scenario, system, forcing, batch)
    _trade_forcing(scenario, system, forcing, batch)
    if scenario.capacity_path is not None and scenario.capacity is None:
        raise ScenarioError(f"{src}: key 'capacity_path': the file {scenario.capacity_path} was not read; read "
                            "scenarios with allychain.data.spec.read_scenario")
    if scenario.capacity is not None:
        from allychain.simulate.api import capacity_path_array

        forcing.path = capacity_path_array(system, scenario.capacity, steps=steps or scenario.horizon,
                                           source=f"{src}: key 'capacity_path' ({scenario.capacity_path})")
    outages = _outage_path(scenario, system, steps or scenario.horizon)
    if outages is not None:
        from allychain.simulate.api import merge_paths

        forcing.path = merge_paths(forcing.path, outages)
    return forcing
