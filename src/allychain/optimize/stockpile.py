r"""Stockpile sizing: the least-cost stocks so that TTS ≥ TTR for chosen disruptions.

Candidate stocks are (member, item) pairs: a stock of item :math:`i` held by member
:math:`m` feeds every node of that country that uses :math:`i` (its bill of
materials) or sells :math:`i` (a distribution edge).  It is modelled as an extra node
with no capacity whose inventory :math:`S_{mi}` is a decision variable.

The programme
-------------
For every disruption :math:`j` (a set of nodes down for :math:`\mathrm{TTR}_j`), a
copy of the TTS/TTR constraints (:mod:`allychain.optimize.ttr_tts`) with the window
fixed at :math:`t = \mathrm{TTR}_j` and lost demand fixed at 0; the stocks are shared:

.. math::

    \min \sum_{mi} c_{mi} S_{mi} \quad\text{s.t.}\quad
    (x^j, f^j) \text{ meets all demand over } \mathrm{TTR}_j
    \text{ with inventories } I + S, \;\forall j; \qquad 0 \le S_{mi} \le \bar S_{mi}.

Because the survivable window lengths form the interval :math:`[0, \mathrm{TTS}]`,
meeting all demand at :math:`t = \mathrm{TTR}_j` is exactly TTS ≥ TTR.

Disruptions are added lazily (constraint generation): solve with the disruptions found
violated so far, check all of them with the warm-started TTS/TTR solver at the new
stocks, add the violated ones, repeat.  A disruption is **binding** when dropping it
lowers the least cost (checked by re-solving without it).

Days of cover = stock ÷ usage per period × ``period_days``; usage is the need of the
nodes the stock feeds in the steady state (least production meeting demand without
inventories) unless given in the spec.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allychain.errors import AllychainError, InfeasibleError, ScenarioError, SpecError
from allychain.lp import LP, solve_lp
from allychain.model.disruption import TARGET_KEYS, TARGET_RENAMED, read_target
from allychain.model.network import Network
from allychain.model.spec import Spec
from allychain.optimize.result import Result, Status
from allychain.optimize.tts_model import TTSModel, build_model, site_view
from allychain.optimize.tts_solve import Solver

__all__ = ["StockpileSpec", "spec_from_dict", "size_stockpile"]


@dataclass
class StockpileSpec:
    """Inputs of :func:`size_stockpile` (what a SPEC.yaml holds).

    ``stockpiles``: member, item, cost [per unit held], max [units], usage
    [units/period] (NaN: default).  ``disruptions``: name → node ids;
    ``ttr``: name → periods (overrides).
    """

    stockpiles: pd.DataFrame
    disruptions: dict[str, list[str]] | None = None
    ttr: dict[str, float] = field(default_factory=dict)
    period_days: float = 30.0
    data: str | None = None
    file: str = "<spec>"
    selectors: list[dict[str, Any]] = field(default_factory=list)


SPEC_KEYS = ("description", "data", "period_days", "disruptions", "stockpiles")


def spec_from_dict(d: Mapping[str, Any], file: str = "<spec>") -> StockpileSpec:
    """Validate a SPEC mapping (schema in docs/decisions.md).

    Disruption entries name what is hit with the shared target keys (``nodes``,
    ``countries``, ``items``; see :mod:`allychain.model.disruption`), resolved against the
    network in :func:`size_stockpile`; the old keys ``node``, ``country`` and ``product``
    are still read, with a deprecation warning.
    """
    top = Spec(dict(d), file)
    top.check_keys(SPEC_KEYS)
    rows = []
    for r in top.records("stockpiles", required=True):
        r.check_keys(("member", "item", "cost", "max", "usage"))
        rows.append({"member": r.text("member"), "item": r.text("item"),
                     "cost": r.num("cost", 1.0, low=0, expected="a cost per unit >= 0"),
                     "max": r.num("max", math.inf, low=0, expected="units >= 0"),
                     "usage": r.num("usage", math.nan, low=0, expected="units per period >= 0")})
    if not rows:
        top.fail([], "at least one stockpile", "stockpiles")
    stock = pd.DataFrame(rows)
    selectors = []
    for r in top.records("disruptions"):
        r.check_keys(("name", *TARGET_KEYS, "ttr"), TARGET_RENAMED)
        target = read_target(r)
        if target.providers:
            r.fail(list(target.providers), "nodes, countries and/or items (site networks have no provider ids)",
                   "providers")
        selectors.append({"key": r.key, "target": target, "name": r.text("name", None),
                          "ttr": r.num("ttr", None, low=0, expected="periods >= 0")})
    return StockpileSpec(stockpiles=stock, period_days=top.num("period_days", 30.0, low=1e-9,
                                                                expected="days per period > 0"),
                         data=top.text("data", None), file=file, selectors=selectors)



def _resolve(spec: StockpileSpec, net: Network) -> tuple[dict[str, list[str]] | None, dict[str, float]]:
    if spec.disruptions is not None or not spec.selectors:
        return spec.disruptions, dict(spec.ttr)
    nodes = net.nodes
    out: dict[str, list[str]] = {}
    ttr: dict[str, float] = {}
    known = set(nodes["node_id"].astype(str))
    for sel in spec.selectors:
        t = sel["target"]
        bad = [n for n in t.nodes if n not in known]
        if bad:
            raise SpecError(spec.file, sel["key"] + ".nodes", bad[0], "a node id of the network")
        mask = nodes["node_id"].astype(str).isin(t.nodes).to_numpy()
        if t.countries or t.items:
            sel_mask = pd.Series(True, index=nodes.index)
            for col, wanted in (("country", t.countries), ("product", t.items)):
                if wanted:
                    sel_mask &= nodes[col].astype(str).isin(wanted)
            if not sel_mask.any():
                what = ", ".join(f"{k}={list(v)}" for k, v in (("countries", t.countries), ("items", t.items)) if v)
                raise SpecError(spec.file, sel["key"], what, "a selection matching at least one node")
            mask |= sel_mask.to_numpy()
        ids = list(nodes.loc[mask, "node_id"].astype(str))
        name = sel["name"] or ("/".join([*t.countries, *t.items]) if not t.nodes else ", ".join(ids))
        out[name] = ids
        if sel["ttr"] is not None:
            ttr[name] = sel["ttr"]
    return out, ttr


def _augment(net: Network, stock: pd.DataFrame) -> tuple[Network, list[str], np.ndarray]:
    """Add one stock node per (member, item) with edges to the member's users/sellers."""
    nodes, bom = net.nodes, net.bom
    new_nodes, new_edges, usage = [], [], []
    for rec in stock.to_dict("records"):
        m, it = rec["member"], rec["item"]
        in_m = nodes["country"].astype(str) == m
        users = set(bom.loc[(bom["input_product"] == it) & bom["node_id"].isin(nodes.loc[in_m, "node_id"]), "node_id"])
        # nodes that receive the item on an edge although their bill of materials is silent
        prod = nodes.set_index("node_id")["product"]
        e = net.edges
        fed = e.loc[e["supplier"].map(prod).eq(it) & e["customer"].isin(nodes.loc[in_m, "node_id"]), "customer"]
        users |= set(fed)
        sellers = set(nodes.loc[in_m & (nodes["product"] == it), "node_id"])
        targets = sorted(users | sellers)
        if not targets:
            raise ScenarioError(f"stockpile {m}/{it}: no node of {m} uses or makes '{it}'; expected a member "
                                "(nodes.country) and an item its nodes need (bom.input_product) or make (nodes.product)")
        sid = f"stock:{m}:{it}"
        new_nodes.append({"node_id": sid, "product": it, "capacity": 0.0, "inventory": 0.0, "country": m,
                          "name": f"{m} stockpile of {it}"})
        new_edges += [{"supplier": sid, "customer": c} for c in targets]
        usage.append((float(rec.get("usage", math.nan)), sorted(users), sorted(sellers), it))
    aug = net.replace(nodes=pd.concat([nodes, pd.DataFrame(new_nodes)], ignore_index=True),
                      edges=pd.concat([net.edges, pd.DataFrame(new_edges)], ignore_index=True))
    return aug, [n["node_id"] for n in new_nodes], _usage(net, usage)


def _usage(net: Network, wanted: list[tuple[float, list[str], list[str], str]]) -> np.ndarray:
    """Usage per period of each stock: given, else the steady-state need of the nodes it
    feeds — Σ quantity × production of the users plus the sellers' demand — in the
    least-production flow that meets demand with no inventories (one LP)."""
    out = np.array([u for u, *_ in wanted])
    if not np.isnan(out).any():
        return out
    model = build_model(net)
    lp = model.lp_for("impact", t=1.0)
    N = model.n_nodes
    rhi = lp.row_hi.copy()
    rhi[N:2 * N] = 0.0
    c = lp.c.copy() * 1e3
    c[:N] = 1e-3  # least production among the least-loss flows
    sol = solve_lp(LP(c, lp.A, lp.row_lo, rhi, lp.col_lo, lp.col_hi), "steady-state flow")
    x = pd.Series(sol.x[:N], index=model.node_ids)
    bom = net.bom
    dem = net.nodes.set_index("node_id")["demand"].fillna(0.0)
    for k, (u, users, sellers, it) in enumerate(wanted):
        if u == u:
            continue
        q = bom[(bom["input_product"] == it)].drop_duplicates("node_id").set_index("node_id")["quantity"]
        out[k] = float(sum(q.get(n, 1.0) * x[n] for n in users) + sum(dem[n] for n in sellers))
    return out


def _master(model: TTSModel, stock_idx: np.ndarray, cost: np.ndarray, cap: np.ndarray,
            scen: list[tuple[np.ndarray, float]]) -> tuple[LP, list[int]]:
    """Extensive form over the scenarios in ``scen`` (disrupted node indices, TTR)."""
    A = model.lp.A.tocsc()
    tc, N, l0 = model.t_col, model.n_nodes, model.l0
    D = len(model.demand_nodes)
    keep = np.r_[0:tc]
    At = A[:, keep]
    nr, nc = At.shape
    K = len(stock_idx)
    blocks, rhs, lo, hi, offs = [], [], [], [], []
    tcol = A[:, tc].toarray().ravel()
    S = sp.csc_matrix((-np.ones(K), (N + stock_idx, np.arange(K))), shape=(nr, K))
    for j, (idx, ttr) in enumerate(scen):
        blocks.append(At)
        rhs.append(model.lp.row_hi - tcol * ttr)
        h = np.full(nc, math.inf)
        h[idx] = 0.0
        h[l0:l0 + D] = 0.0
        lo.append(np.zeros(nc))
        hi.append(h)
        offs.append(j * nr)
    big = sp.block_diag(blocks, format="csc") if blocks else sp.csc_matrix((0, 0))
    Smat = sp.vstack([S] * len(scen), format="csc")
    M = sp.hstack([big, Smat], format="csc")
    c = np.concatenate([np.zeros(nc * len(scen)), cost])
    lp = LP(c=c, A=M, row_lo=np.full(M.shape[0], -math.inf), row_hi=np.concatenate(rhs),
            col_lo=np.concatenate(lo + [np.zeros(K)]), col_hi=np.concatenate(hi + [cap]))
    return lp, offs


def size_stockpile(network: Network, spec: StockpileSpec | Mapping[str, Any], *, max_rounds: int = 50) -> Result:
    """Least-cost stockpiles so that TTS ≥ TTR for every chosen disruption.

    Parameters
    ----------
    network
        Site-level network (share networks are mapped by
        :func:`allychain.optimize.country.site_network`).
    spec
        A :class:`StockpileSpec` or a SPEC mapping: candidate stocks with cost and
        cap, the disruptions (default: every node with a TTR) and ``period_days``.

    Returns
    -------
    Result
        Table ``stockpiles`` (member, item, stock [units], cost, usage [units/period],
        cover_periods, cover_days) and ``disruptions`` (disruption, ttr, tts_before,
        tts_after, binding); objective = total cost.

    Raises
    ------
    InfeasibleError
        Naming the disruptions no allowed stock can cover (e.g. a disruption of the
        only demand node itself), or the stock caps that prevent it.
    ScenarioError
        A stock whose member has no node using or making the item.
    """
    if not isinstance(spec, StockpileSpec):
        spec = spec_from_dict(spec)
    net = site_view(network)
    disruptions, ttr_over = _resolve(spec, net)
    stock = spec.stockpiles.reset_index(drop=True)
    aug, stock_ids, usage = _augment(net, stock)
    ones = {str(n): 1.0 for n in aug.nodes["node_id"]}
    model = build_model(aug, weights=ones)
    stock_idx = model.index(stock_ids)
    if disruptions is None:
        ids = [str(n) for n, t in zip(net.nodes["node_id"], net.nodes["ttr"], strict=False) if t == t]
        disruptions = {n: [n] for n in ids}
    names = list(disruptions)
    groups = [model.index(disruptions[n]) for n in names]
    ttrs_a = _disruption_ttrs(model, names, groups, ttr_over, spec.file)
    cost = stock["cost"].to_numpy(float)
    cap = stock["max"].to_numpy(float)
    check = _StockCheck(model, stock_idx, names, groups, ttrs_a)

    zero = np.zeros(len(stock))
    tts_before = check.tts_all(zero)
    levels, active, rounds, solved = _generate_constraints(check, cost, cap, spec, max_rounds)
    total = float(np.dot(cost, levels))
    binding = np.zeros(len(names), dtype=bool)
    if solved and total > 0:
        binding = _binding(model, stock_idx, cost, cap, groups, ttrs_a, active, total)
    tts_after = check.tts_all(levels)
    cover = np.where(usage > 0, levels / np.where(usage > 0, usage, 1.0), math.nan)
    stocks = pd.DataFrame({
        "member": stock["member"], "item": stock["item"], "stock": levels, "cost": cost * levels,
        "usage": usage, "cover_periods": cover, "cover_days": cover * spec.period_days,
    })
    dis = pd.DataFrame({"disruption": names, "nodes": [", ".join(disruptions[n]) for n in names], "ttr": ttrs_a,
                        "tts_before": tts_before, "tts_after": tts_after, "binding": binding})
    nb = int(binding.sum())
    msg = (f"least-cost stocks {total:g} cover {len(names)} disruption(s) (TTS ≥ TTR for all); "
           f"{nb} binding: {', '.join(n for n, b in zip(names, binding, strict=False) if b) or 'none'}")
    meta = {"rounds": rounds, "scenarios_in_master": len(active), "period_days": spec.period_days,
            "objective_unit": "cost (stock units × cost per unit)"}
    return Result("stockpile", Status.optimal, total, {"stockpiles": stocks, "disruptions": dis}, msg, meta)


def _disruption_ttrs(model: TTSModel, names: list[str], groups: list[np.ndarray], ttr_over: dict[str, float],
                     file: str) -> np.ndarray:
    """TTR of each disruption [periods]: the spec's override, else the largest TTR of its nodes.

    Raises
    ------
    ScenarioError
        A disruption with neither an override nor a node TTR.
    """
    ttrs = []
    for n, g in zip(names, groups, strict=False):
        if n in ttr_over:
            ttrs.append(float(ttr_over[n]))
        else:
            v = model.ttr[g]
            if not np.isfinite(v).any():
                raise ScenarioError(f"{file}: disruption {n!r} has no TTR; give nodes.ttr or a 'ttr' in the spec")
            ttrs.append(float(np.nanmax(v)))
    return np.array(ttrs)


class _StockCheck:
    """The warm-started TTS/TTR solver of the augmented network, evaluated at given stock levels."""

    def __init__(self, model: TTSModel, stock_idx: np.ndarray, names: list[str], groups: list[np.ndarray],
                 ttrs: np.ndarray) -> None:
        self.model, self.stock_idx, self.names, self.groups, self.ttrs = model, stock_idx, names, groups, ttrs
        self.solver = Solver(model)

    def set_stock(self, levels: np.ndarray) -> None:
        """Set the inventory of each stock node to ``levels`` [units]."""
        inf = self.solver.inf
        for i, v in zip(self.stock_idx, levels, strict=False):
            self.solver.h.changeRowBounds(int(self.model.n_nodes + i), -inf, float(v))

    def violated(self, levels: np.ndarray) -> list[int]:
        """Positions of the disruptions that lose demand within their TTR at ``levels``."""
        self.set_stock(levels)
        out = []
        for k, (g, t) in enumerate(zip(self.groups, self.ttrs, strict=False)):
            _, lost = self.solver.impact(g, np.array([t]), self.names[k])
            scale = max(1.0, float(self.model.demand.sum() * t))
            if lost[0] > 1e-7 * scale:
                out.append(k)
        return out

    def tts_all(self, levels: np.ndarray) -> np.ndarray:
        """TTS of every disruption [periods] at ``levels``."""
        self.set_stock(levels)
        return np.array([self.solver.tts(g, self.names[k]) for k, g in enumerate(self.groups)])


def _generate_constraints(check: _StockCheck, cost: np.ndarray, cap: np.ndarray, spec: StockpileSpec,
                          max_rounds: int) -> tuple[np.ndarray, list[int], int, bool]:
    """Constraint generation: solve the master over the violated disruptions until none is left.

    Returns the stock levels, the disruptions in the master, the rounds and whether the
    master was solved at all (``False`` when no disruption needed a stock).

    Raises
    ------
    AllychainError
        No convergence within ``max_rounds``.
    InfeasibleError
        The master has no solution (explained by :func:`_explain_infeasible`).
    """
    model, stock_idx, groups, ttrs_a = check.model, check.stock_idx, check.groups, check.ttrs
    active: list[int] = []
    levels = np.zeros(len(cost))
    todo = check.violated(levels)
    rounds = 0
    solved = False
    while todo:
        rounds += 1
        if rounds > max_rounds:
            raise AllychainError(f"stockpile sizing did not converge in {max_rounds} rounds")
        active += [k for k in todo if k not in active]
        lp, _ = _master(model, stock_idx, cost, cap, [(groups[k], ttrs_a[k]) for k in active])
        sol = solve_lp(lp, "stockpile programme")
        if sol.status != Status.optimal:
            raise InfeasibleError(_explain_infeasible(model, stock_idx, cost, cap, groups, ttrs_a, check.names,
                                                      active, spec))
        solved = True
        levels = np.maximum(sol.x[-len(cost):], 0.0)
        todo = check.violated(levels)
    return levels, active, rounds, solved


def _binding(model: TTSModel, stock_idx: np.ndarray, cost: np.ndarray, cap: np.ndarray,
             groups: list[np.ndarray], ttrs: np.ndarray, active: list[int], total: float) -> np.ndarray:
    """Which disruptions are binding: dropping one from the master lowers the least cost below ``total``."""
    binding = np.zeros(len(groups), dtype=bool)
    for k in active:
        rest = [i for i in active if i != k]
        if not rest:
            binding[k] = True
            continue
        lp, _ = _master(model, stock_idx, cost, cap, [(groups[i], ttrs[i]) for i in rest])
        s2 = solve_lp(lp, "stockpile programme")
        if s2.status == Status.optimal and s2.objective < total - 1e-7 * max(1.0, abs(total)):
            binding[k] = True
    return binding


def _explain_infeasible(model: TTSModel, stock_idx: np.ndarray, cost: np.ndarray, cap: np.ndarray,
                        groups: list[np.ndarray], ttrs: np.ndarray, names: list[str], active: list[int],
                        spec: StockpileSpec) -> str:
    alone_unlimited, alone_capped = [], []
    for k in active:
        lp, _ = _master(model, stock_idx, cost, np.full(len(cost), math.inf), [(groups[k], ttrs[k])])
        if solve_lp(lp, "stockpile programme").status != Status.optimal:
            alone_unlimited.append(names[k])
            continue
        lp, _ = _master(model, stock_idx, cost, cap, [(groups[k], ttrs[k])])
        if solve_lp(lp, "stockpile programme").status != Status.optimal:
            alone_capped.append(names[k])
    if alone_unlimited:
        return (f"{spec.file}: no amount of the allowed stocks lets the network survive disruption(s) "
                f"{', '.join(map(repr, alone_unlimited))} for their TTR (the stocks do not reach the demand that "
                "is lost, e.g. the disrupted node is the one that sells to final demand); add a stock position "
                "downstream of them or drop them from 'disruptions'")
    if alone_capped:
        return (f"{spec.file}: the stock caps ('max') are too low to cover disruption(s) "
                f"{', '.join(map(repr, alone_capped))}; raise them")
    return (f"{spec.file}: each disruption can be covered alone but the stock caps ('max') do not allow covering "
            f"{', '.join(names[k] for k in active)} together; raise the caps")
