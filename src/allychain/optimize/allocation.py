r"""Emergency allocation of key items among alliance members.

Given each member's shortfall of each key item, the supply the alliance can release
(spare capacity and stockpiles, by holding member), MOU commitments and priorities,
find the shipments that minimise weighted unmet critical demand.

The linear programme
--------------------
Sources :math:`k` (holder :math:`h_k`, item :math:`i_k`, available :math:`a_k` = spare
capacity + stockpile), needs :math:`(m, i)` with shortfall :math:`s_{mi}` and weight
:math:`w_{mi}` (the need's priority, else the member's, else 1); shipments
:math:`y_{k,m} \ge 0` for :math:`i_k = i`, unmet :math:`u_{mi} \ge 0`:

.. math::

    \min \sum_{m,i} w_{mi} u_{mi} \quad\text{s.t.}\quad
    \sum_m y_{k,m} \le a_k, \qquad
    \sum_{k: i_k = i} y_{k,m} + u_{mi} = s_{mi}, \qquad
    \ell_c \le y_{k(c), m(c)} \le h_c \;\text{for each commitment } c

A commitment binds a holder to ship an item to a partner: ``min``/``max`` in units,
or ``min_fraction``/``max_fraction`` (YAML keys; table columns ``min_share``/``max_share``)
of the holder's available supply of the item.  No member receives more than its shortfall.

**Max-min fairness** (``fairness=True``): the served fraction of member :math:`m` is
:math:`\phi_m = \sum_i w_{mi} r_{mi} / \sum_i w_{mi} s_{mi}` (:math:`r` received).  The
lexicographic max-min allocation raises the smallest :math:`\phi` as far as possible,
freezes the members that cannot go higher, and repeats (progressive filling, one LP per
round plus one test per member); the weighted unmet demand is then minimised with
every :math:`\phi_m` held at its max-min level.

Among equally good allocations, a second LP picks the one with the fewest units
shipped between different members (members use their own supply first).

**Infeasible commitments** are explained: a deletion filter over the commitment bounds
finds an irreducible conflicting set (dropping any one of them makes the rest
feasible), reported with the supply and shortfall limits it runs into.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allychain.errors import InfeasibleError
from allychain.limits import check_memory
from allychain.lp import LP, LPSolution, solve_lp
from allychain.model.spec import Spec
from allychain.optimize.result import Result, Status

__all__ = ["AllocationPlan", "plan_from_dict", "allocate", "allocate_plan"]

TOL = 1e-7  # units
COMMITMENT_COLUMNS = ["name", "from", "to", "item", "min", "max", "min_share", "max_share"]


@dataclass
class AllocationPlan:
    """Inputs of :func:`allocate` as tables (what a PLAN.yaml holds).

    ``shortfalls``: member, item, amount [units], priority (NaN: member's).
    ``supply``: member, item, spare_capacity [units], stockpile [units].
    ``commitments``: name, from, to, item, min, max [units], min_share, max_share [0–1]
    (NaN: none).  ``priorities``: member → weight.
    """

    shortfalls: pd.DataFrame
    supply: pd.DataFrame
    commitments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COMMITMENT_COLUMNS))
    priorities: Mapping[str, float] = field(default_factory=dict)
    fairness: bool = False
    units: Mapping[str, str] = field(default_factory=dict)
    file: str = "<plan>"


PLAN_KEYS = ("items", "members", "shortfalls", "supply", "commitments", "fairness", "description")


def _check_names(top: Spec, short: pd.DataFrame, supply: pd.DataFrame, comm: pd.DataFrame,
                 priorities: Mapping[str, float], units: Mapping[str, str]) -> None:
    """A commitment names members of the plan (listed under ``members`` or holding a
    shortfall or supply row); items must be listed under ``items`` when it is given."""
    members = set(priorities) | set(short["member"]) | set(supply["member"])
    for i, rec in enumerate(comm.to_dict("records")):
        for col in ("from", "to"):
            if rec[col] not in members:
                top.fail(rec[col], f"a member of the plan ({', '.join(sorted(members))}); this one is unknown",
                         f"commitments[{i}].{col}")
    if units:
        for table, frame in (("shortfalls", short), ("commitments", comm)):
            for i, v in enumerate(frame["item"] if len(frame) else []):
                if v not in units:
                    top.fail(v, f"an item listed under 'items' ({', '.join(sorted(units))}); this one is unknown",
                             f"{table}[{i}].item")


def plan_from_dict(d: Mapping[str, Any], file: str = "<plan>") -> AllocationPlan:
    """Validate a PLAN mapping (schema in docs/decisions.md) and return the plan.

    Raises
    ------
    ScenarioError
        Naming file, key, value and what was expected.
    """
    top = Spec(dict(d), file)
    top.check_keys(PLAN_KEYS)
    units = {}
    for it in top.records("items"):
        it.check_keys(("id", "name", "unit"))
        units[it.text("id")] = it.text("unit", "units")
    priorities = {}
    members = top.mapping("members")
    for m, v in members.items():
        ms = Spec(v if v is not None else {}, file, f"members.{m}")
        ms.check_keys(("priority", "name"))
        priorities[str(m)] = ms.num("priority", 1.0, low=0, expected="a priority weight >= 0")
    rows = []
    for r in top.records("shortfalls", required=True):
        r.check_keys(("member", "item", "amount", "priority"))
        rows.append({"member": r.text("member"), "item": r.text("item"),
                     "amount": r.num("amount", low=0, expected="units >= 0"),
                     "priority": r.num("priority", math.nan, low=0, expected="a priority weight >= 0")})
    short = pd.DataFrame(rows, columns=["member", "item", "amount", "priority"])
    dup = short.duplicated(["member", "item"])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        top.fail(f"{short.member[i]}/{short.item[i]}", "one row per member and item", f"shortfalls[{i}]")
    rows = []
    for r in top.records("supply", required=True):
        r.check_keys(("member", "item", "spare_capacity", "stockpile"))
        rows.append({"member": r.text("member"), "item": r.text("item"),
                     "spare_capacity": r.num("spare_capacity", 0.0, low=0, expected="units >= 0"),
                     "stockpile": r.num("stockpile", 0.0, low=0, expected="units >= 0")})
    supply = pd.DataFrame(rows, columns=["member", "item", "spare_capacity", "stockpile"])
    supply = supply.groupby(["member", "item"], as_index=False, sort=False).sum()
    rows = []
    for i, r in enumerate(top.records("commitments")):
        r.check_keys(("name", "from", "to", "item", "min", "max", "min_fraction", "max_fraction"),
                     {"min_share": "min_fraction", "max_share": "max_fraction"})  # fractions, not percent
        rec: dict[str, Any] = {"name": r.text("name", f"commitment {i + 1}"), "from": r.text("from"), "to": r.text("to"),
               "item": r.text("item"),
               "min": r.num("min", math.nan, low=0, expected="units >= 0"),
               "max": r.num("max", math.nan, low=0, expected="units >= 0"),
               "min_share": r.num("min_fraction", math.nan, 0, 1, "a fraction from 0 to 1"),
               "max_share": r.num("max_fraction", math.nan, 0, 1, "a fraction from 0 to 1")}
        if all(math.isnan(rec[k]) for k in ("min", "max", "min_share", "max_share")):
            r.fail(None, "at least one of min, max, min_fraction, max_fraction")
        rows.append(rec)
    comm = pd.DataFrame(rows, columns=COMMITMENT_COLUMNS)
    _check_names(top, short, supply, comm, priorities, units)
    return AllocationPlan(short, supply, comm, priorities, top.flag("fairness", False), units, file)



# --------------------------------------------------------------------------- model
@dataclass
class _Model:
    sources: pd.DataFrame  # member, item, available
    needs: pd.DataFrame  # member, item, amount, weight
    arcs: pd.DataFrame  # source (index), need (index)
    bounds: list[tuple[int, str, int, float, str]]  # (commitment row, side, arc, value, label)

    @property
    def n_y(self) -> int:
        return len(self.arcs)

    @property
    def n_cols(self) -> int:
        return self.n_y + len(self.needs)


#: Bytes per arc (one LP column: its nonzeros, bounds, the arc look-up, HiGHS' own copies), measured
#: generously; with fairness each member adds one dense row over all arcs per solve.
BYTES_PER_ARC = 400


def _check_size(plan: AllocationPlan, sources: pd.DataFrame, needs: pd.DataFrame) -> None:
    """Refuse, before building, an LP whose arcs (holder × member in need, per item) would not fit in memory."""
    per_item = sources["item"].value_counts().mul(needs["item"].value_counts(), fill_value=0)
    arcs = float(per_item.sum())
    members = float(needs["member"].nunique())
    parts = {"LP columns": arcs * BYTES_PER_ARC}
    if plan.fairness:
        parts["fairness rows"] = members * arcs * 8.0
    check_memory(f"an allocation LP of {int(arcs):,} arcs ({len(sources):,} holders × {len(needs):,} needs, "
                 "per item)", parts, hint="fewer members or items per plan, or split the plan by item")


def _compile(plan: AllocationPlan) -> _Model:
    sup = plan.supply.copy()
    sup["available"] = sup["spare_capacity"].fillna(0) + sup["stockpile"].fillna(0)
    sources = sup[["member", "item", "available"]]
    c = plan.commitments
    extra = c[["from", "item"]].rename(columns={"from": "member"}).drop_duplicates()
    extra = extra[~pd.MultiIndex.from_frame(extra).isin(pd.MultiIndex.from_frame(sources[["member", "item"]]))]
    sources = pd.concat([sources, extra.assign(available=0.0)], ignore_index=True)
    needs = plan.shortfalls[["member", "item", "amount", "priority"]].copy()
    ex = c[["to", "item"]].rename(columns={"to": "member"}).drop_duplicates()
    ex = ex[~pd.MultiIndex.from_frame(ex).isin(pd.MultiIndex.from_frame(needs[["member", "item"]]))]
    needs = pd.concat([needs, ex.assign(amount=0.0, priority=math.nan)], ignore_index=True)
    needs["weight"] = needs["priority"].fillna(needs["member"].map(dict(plan.priorities))).fillna(1.0)
    _check_size(plan, sources, needs)
    arcs = sources.reset_index(names="source")[["source", "item"]].merge(
        needs.reset_index(names="need")[["need", "item"]], on="item")[["source", "need"]]
    key = {(int(s), int(n)): a for a, (s, n) in enumerate(zip(arcs["source"], arcs["need"], strict=False))}
    src_of = {(m, i): k for k, (m, i) in enumerate(zip(sources["member"], sources["item"], strict=False))}
    need_of = {(m, i): k for k, (m, i) in enumerate(zip(needs["member"], needs["item"], strict=False))}
    bounds = []
    for r, rec in enumerate(c.to_dict("records")):
        k = src_of[(rec["from"], rec["item"])]
        a = key[(k, need_of[(rec["to"], rec["item"])])]
        avail = float(sources["available"].iloc[k])
        head = f"{rec['name']} ({rec['from']}→{rec['to']} {rec['item']}"
        for side, col, scale in (("min", "min", 1.0), ("max", "max", 1.0),
                                 ("min", "min_share", avail), ("max", "max_share", avail)):
            v = rec[col]
            if v == v:
                what = f"{col} {v:g}" + (f" of {avail:g} available = {v * scale:g} units" if col.endswith("share") else "")
                bounds.append((r, side, a, float(v * scale), f"{head}: {what})"))
    return _Model(sources.reset_index(drop=True), needs.reset_index(drop=True), arcs, bounds)


Coef = np.ndarray | tuple[np.ndarray, np.ndarray]


def _lp(m: _Model, active: list[int], extra_rows: Sequence[tuple[Coef, float, float]] = (),
        c: np.ndarray | None = None, extra_cols: int = 0) -> LP:
    """Rows: supply (≤ a), need (= s), active commitment bounds, extra rows (a dense
    coefficient vector, or ``(columns, values)`` of its non-zeros).  The matrix is built in
    one sparse (CSC) assembly."""
    ny, nn, ns = m.n_y, len(m.needs), len(m.sources)
    ncol = ny + nn + extra_cols
    rows, cols, vals, lo, hi = [], [], [], [], []
    arcs_s = m.arcs["source"].to_numpy()
    arcs_n = m.arcs["need"].to_numpy()
    # supply rows
    rows.append(arcs_s)
    cols.append(np.arange(ny))
    vals.append(np.ones(ny))
    lo += [-math.inf] * ns
    hi += list(m.sources["available"].astype(float))
    # need rows
    rows += [ns + arcs_n, ns + np.arange(nn)]
    cols += [np.arange(ny), ny + np.arange(nn)]
    vals += [np.ones(ny), np.ones(nn)]
    amt = m.needs["amount"].astype(float).to_numpy()
    lo += list(amt)
    hi += list(amt)
    r0 = ns + nn
    for j, b in enumerate(active):
        _, side, a, v, _ = m.bounds[b]
        rows.append(np.array([r0 + j]))
        cols.append(np.array([a]))
        vals.append(np.ones(1))
        lo.append(v if side == "min" else -math.inf)
        hi.append(v if side == "max" else math.inf)
    r0 += len(active)
    for j, (coef, low, h) in enumerate(extra_rows):
        nz, coefs = coef if isinstance(coef, tuple) else (np.flatnonzero(coef), coef[np.flatnonzero(coef)])
        rows.append(np.full(len(nz), r0 + j))
        cols.append(nz)
        vals.append(coefs)
        lo.append(low)
        hi.append(h)
    nrow = r0 + len(extra_rows)
    A = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nrow, ncol))
    if c is None:
        c = np.concatenate([np.zeros(ny), m.needs["weight"].to_numpy(float), np.zeros(extra_cols)])
    return LP(c=c, A=A, row_lo=np.array(lo), row_hi=np.array(hi), col_lo=np.zeros(ncol),
              col_hi=np.full(ncol, math.inf))


def _explain(m: _Model) -> str:
    """Deletion filter over commitment bounds: an irreducible conflicting set, in words."""
    active = list(range(len(m.bounds)))
    for b in list(active):
        trial = [x for x in active if x != b]
        if solve_lp(_lp(m, trial), "allocation").status == Status.infeasible:
            active = trial
    labels = [m.bounds[b][4] for b in active]
    arcs = {m.bounds[b][2] for b in active}
    ns = len(m.sources)
    candidates = []  # (row, text): supply and shortfall limits the conflicting shipments touch
    for k in sorted({int(m.arcs["source"].iloc[a]) for a in arcs}):
        s = m.sources.iloc[k]
        candidates.append((k, f"{s['member']} has {s['available']:g} units of {s['item']} available"))
    for n in sorted({int(m.arcs["need"].iloc[a]) for a in arcs}):
        s = m.needs.iloc[n]
        candidates.append((ns + n, f"{s['member']}'s shortfall of {s['item']} is {s['amount']:g} units "
                                   "(no member receives more than it lacks)"))
    own = solve_lp(_relaxed(m, active, [r for r, _ in candidates]), "allocation").status == Status.infeasible
    text = "the MOU commitments conflict: " + "; ".join(labels)
    if own:
        text += " — these bounds contradict each other"
    else:
        needed = [t for r, t in candidates
                  if solve_lp(_relaxed(m, active, [r]), "allocation").status != Status.infeasible]
        text += " — together they exceed: " + "; ".join(needed or [t for _, t in candidates])
    return text + ". Relax or drop one of them (without any one of them the rest can be met)."


def _relaxed(m: _Model, active: list[int], free_rows: list[int]) -> LP:
    """The LP with the given supply/shortfall rows lifted (commitment rows kept)."""
    lp = _lp(m, active)
    lo, hi = lp.row_lo.copy(), lp.row_hi.copy()
    ns = len(m.sources)
    for r in free_rows:
        lo[r], hi[r] = (-math.inf, math.inf) if r < ns else (0.0, math.inf)
        # a lifted shortfall row still keeps unmet >= 0 meaningful: received may exceed it
        if r >= ns:
            lo[r] = -math.inf
    return LP(lp.c, lp.A, lo, hi, lp.col_lo, lp.col_hi)


def _served_row(m: _Model, member: str, z_coef: float, ncol: int) -> tuple[np.ndarray, float]:
    """Coefficients of Σ w r − z_coef·Σ w s for a member (r = Σ y into its needs)."""
    coef = np.zeros(ncol)
    nd = m.needs
    mask = (nd["member"] == member).to_numpy()
    wsum = float((nd["weight"] * nd["amount"])[mask].sum())
    w = nd["weight"].to_numpy(float)
    for a, n in enumerate(m.arcs["need"].to_numpy()):
        if mask[n]:
            coef[a] = w[n]
    return coef, wsum


def _maxmin(m: _Model, active: list[int]) -> dict[str, float]:
    """Lexicographic max-min served fractions by member (progressive filling)."""
    nd = m.needs
    members = [x for x in dict.fromkeys(nd["member"]) if float((nd["weight"] * nd["amount"])[nd["member"] == x].sum()) > 0]
    fixed: dict[str, float] = {}
    ncol = m.n_cols + 1  # + z
    while len(fixed) < len(members):
        free = [x for x in members if x not in fixed]
        rows = []
        for x in members:
            coef, wsum = _served_row(m, x, 0, ncol)
            if x in fixed:
                rows.append((coef, fixed[x] * wsum - TOL, math.inf))
            else:
                coef[-1] = -wsum
                rows.append((coef, 0.0, math.inf))
        c = np.zeros(ncol)
        c[-1] = -1.0
        lp = _lp(m, active, rows, c=c, extra_cols=1)
        lp.col_hi[-1] = 1.0
        sol = solve_lp(lp, "max-min allocation")
        z = float(sol.x[-1])
        newly = []
        for x in free:  # can x rise above z while the others keep z?
            rows2 = []
            for y in members:
                coef, wsum = _served_row(m, y, 0, ncol - 1)
                rows2.append((coef, fixed.get(y, z) * wsum - TOL, math.inf))
            coef, wsum = _served_row(m, x, 0, ncol - 1)
            lp2 = _lp(m, active, rows2, c=-coef / wsum)
            best = -solve_lp(lp2, "max-min allocation").objective
            if best <= z + 1e-6:
                newly.append(x)
        for x in newly or free:
            fixed[x] = z
    return fixed


def _keep_unmet(m: _Model, sol: LPSolution, w: np.ndarray, obj: float,
                fairness: bool) -> list[tuple[Coef, float, float]]:
    """Rows keeping the weighted unmet demand at its optimum in the second stage.

    Without fairness the problem separates by item (every row belongs to one item), so
    one sparse row per item caps that item's part: the same set of optima as one dense
    row over all columns, which makes the simplex crawl on large plans (100,000 arcs).
    With fairness the served-fraction rows couple the items: one row over everything.
    """
    if fairness:
        return [(w, -math.inf, obj + 1e-9 * max(1.0, abs(obj)))]
    ny = m.n_y
    wn = w[ny:m.n_cols]
    part = wn * sol.x[ny:m.n_cols]
    codes, uniques = pd.factorize(m.needs["item"].to_numpy())
    per_item = np.bincount(codes, weights=part, minlength=len(uniques))
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    out: list[tuple[Coef, float, float]] = []
    for k in range(len(uniques)):
        idx = order[bounds[k]:bounds[k + 1]]
        keep = wn[idx] != 0
        if keep.any():
            out.append(((ny + idx[keep], wn[idx][keep]), -math.inf,
                        float(per_item[k]) + 1e-9 * max(1.0, abs(float(per_item[k])))))
    return out


def allocate_plan(plan: AllocationPlan) -> Result:
    """Solve a plan (see :func:`allocate`)."""
    m = _compile(plan)
    active = list(range(len(m.bounds)))
    base = solve_lp(_lp(m, active), "allocation")
    if base.status == Status.infeasible:
        raise InfeasibleError(f"{plan.file}: " + _explain(m))
    levels: dict[str, float] = {}
    if plan.fairness:
        levels = _maxmin(m, active)
        rows = []
        for x, v in levels.items():
            coef, wsum = _served_row(m, x, 0, m.n_cols)
            rows.append((coef, v * wsum - TOL, math.inf))
        sol = solve_lp(_lp(m, active, rows), "allocation")
    else:
        rows = []
        sol = base
    if sol.status != Status.optimal:
        raise InfeasibleError(f"{plan.file}: allocation model is {sol.highs_status}")
    # second stage: among the optimal allocations, the one with the fewest units shipped
    # between different members (no needless cross-shipping); unmet demand stays optimal
    w = np.concatenate([np.zeros(m.n_y), m.needs["weight"].to_numpy(float)])
    obj = float(w @ sol.x[: m.n_cols])
    holder = m.sources["member"].to_numpy()[m.arcs["source"]]
    taker = m.needs["member"].to_numpy()[m.arcs["need"]]
    c = np.concatenate([(holder != taker).astype(float), np.zeros(len(m.needs))])
    s2 = solve_lp(_lp(m, active, [*rows, *_keep_unmet(m, sol, w, obj, plan.fairness)], c=c), "allocation")
    if s2.status == Status.optimal:
        sol = s2
    return _result(plan, m, active, sol, base, levels)


def _result(plan: AllocationPlan, m: _Model, active: list[int], sol: LPSolution, base: LPSolution,
            levels: dict[str, float]) -> Result:
    ny = m.n_y
    y = np.round(np.maximum(sol.x[:ny], 0.0), 6) + 0.0  # solver tolerance is 1e-7 units
    arcs = m.arcs.assign(amount=y)
    src, nd = m.sources, m.needs
    ship = pd.DataFrame({
        "from": src["member"].to_numpy()[arcs["source"]],
        "to": nd["member"].to_numpy()[arcs["need"]],
        "item": src["item"].to_numpy()[arcs["source"]],
        "amount": y,
    })
    ship = ship[ship["amount"] > TOL].reset_index(drop=True)
    received = np.bincount(arcs["need"], weights=y, minlength=len(nd))
    members = pd.DataFrame({
        "member": nd["member"], "item": nd["item"], "priority": nd["weight"],
        "shortfall": nd["amount"], "received": received, "unmet": nd["amount"] - received,
    })
    members["served"] = np.where(members["shortfall"] > 0, members["received"] / members["shortfall"].where(
        members["shortfall"] > 0, 1.0), math.nan)
    members = members[(members["shortfall"] > 0) | (members["received"] > TOL)].reset_index(drop=True)
    allocated = np.bincount(arcs["source"], weights=y, minlength=len(src))
    ns = len(src)
    sources = pd.DataFrame({
        "member": src["member"], "item": src["item"], "available": src["available"],
        "allocated": allocated, "remaining": src["available"] - allocated,
        # dual of the supply row: weighted unmet demand avoided per extra unit (weighted solve)
        "shadow_price": -base.row_dual[:ns] if not levels else np.full(ns, math.nan),
    })
    crow = []
    c = plan.commitments
    for r, rec in enumerate(c.to_dict("records")):
        idx = [b for b in active if m.bounds[b][0] == r]
        a = m.bounds[idx[0]][2] if idx else None
        amt = float(y[a]) if a is not None else math.nan
        lo = max([m.bounds[b][3] for b in idx if m.bounds[b][1] == "min"], default=math.nan)
        hi = min([m.bounds[b][3] for b in idx if m.bounds[b][1] == "max"], default=math.nan)
        binding = (lo == lo and abs(amt - lo) <= 1e-6) or (hi == hi and abs(amt - hi) <= 1e-6)
        crow.append({"name": rec["name"], "from": rec["from"], "to": rec["to"], "item": rec["item"],
                     "min_units": lo, "max_units": hi, "allocated": amt, "binding": bool(binding)})
    comm = pd.DataFrame(crow, columns=["name", "from", "to", "item", "min_units", "max_units", "allocated", "binding"])
    weighted = float(np.dot(nd["weight"], nd["amount"] - received))
    total = float(nd["amount"].sum())
    msg = (f"{float(received.sum()):g} of {total:g} units of shortfall covered; weighted unmet demand {weighted:g}"
           + (" (max-min fair)" if levels else ""))
    nb = int(comm["binding"].sum()) if len(comm) else 0
    if nb:
        msg += f"; {nb} commitment(s) binding"
    meta = {"fairness": bool(levels), "objective_unit": "priority-weighted units of unmet shortfall",
            "served_levels": levels, "weighted_unmet_without_fairness": float(base.objective)}
    return Result("allocation", Status.optimal, weighted,
                  {"allocation": ship, "members": members, "sources": sources, "commitments": comm}, msg, meta)


def allocate(
    shortfalls: pd.DataFrame,
    supply: pd.DataFrame,
    commitments: pd.DataFrame | None = None,
    *,
    priorities: Mapping[str, float] | None = None,
    fairness: bool = False,
) -> Result:
    """Emergency allocation minimising weighted unmet shortfall (see module docs).

    Parameters
    ----------
    shortfalls
        Columns ``member, item, amount`` [units] and optionally ``priority``.
    supply
        Columns ``member, item`` and ``spare_capacity`` and/or ``stockpile`` [units].
    commitments
        Columns ``from, to, item`` and any of ``min, max`` [units], ``min_share,
        max_share`` [fraction of the holder's available supply]; ``name`` optional.
    priorities
        Weight per member (default 1) for needs without their own ``priority``.
    fairness
        Lexicographic max-min fairness of the members' served fractions first.

    Returns
    -------
    Result
        Tables ``allocation`` (from, to, item, amount), ``members`` (shortfall,
        received, unmet, served), ``sources`` (available, allocated, remaining,
        shadow_price = dual value of the supply limit) and ``commitments``
        (bounds in units, allocated, binding); objective = weighted unmet units.

    Raises
    ------
    InfeasibleError
        When the commitments cannot all hold; the message names an irreducible
        conflicting set of them and the supply/shortfall limits involved.

    Examples
    --------
    >>> import pandas as pd
    >>> r = allocate(pd.DataFrame({"member": ["KOR", "NLD"], "item": ["resist"] * 2, "amount": [100.0, 50.0]}),
    ...              pd.DataFrame({"member": ["JPN"], "item": ["resist"], "stockpile": [90.0]}), fairness=True)
    >>> r["members"]["received"].round(6).tolist()
    [60.0, 30.0]
    """
    short = shortfalls.copy()
    if "priority" not in short:
        short["priority"] = math.nan
    sup = supply.copy()
    for col in ("spare_capacity", "stockpile"):
        if col not in sup:
            sup[col] = 0.0
    sup = sup.groupby(["member", "item"], as_index=False, sort=False)[["spare_capacity", "stockpile"]].sum()
    comm = pd.DataFrame(columns=COMMITMENT_COLUMNS) if commitments is None else commitments.copy()
    for col in COMMITMENT_COLUMNS:
        if col not in comm:
            comm[col] = math.nan if col not in ("name", "from", "to", "item") else None
    comm["name"] = [n if isinstance(n, str) else f"commitment {i + 1}" for i, n in enumerate(comm["name"])]
    comm = comm[COMMITMENT_COLUMNS].astype({c: float for c in ("min", "max", "min_share", "max_share")})
    plan = AllocationPlan(short[["member", "item", "amount", "priority"]].astype({"amount": float, "priority": float}),
                          sup, comm.reset_index(drop=True), dict(priorities or {}), fairness, file="allocation")
    return allocate_plan(plan)
