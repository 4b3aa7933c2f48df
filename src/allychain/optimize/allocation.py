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
from collections.abc import Mapping

import numpy as np
import pandas as pd

from allychain.errors import InfeasibleError
from allychain.lp import LPSolution, solve_lp
from allychain.optimize.allocation_model import BYTES_PER_ARC as BYTES_PER_ARC  # re-exported
from allychain.optimize.allocation_model import (
    AllocationModel,
    Coef,
    build_lp,
    compile_plan,
    explain_conflict_named,
    served_row,
)
from allychain.optimize.allocation_plan import COMMITMENT_COLUMNS, AllocationPlan, plan_from_dict, plan_to_dict
from allychain.optimize.allocation_plan import PLAN_KEYS as PLAN_KEYS  # re-exported
from allychain.optimize.result import Result, Status

__all__ = ["AllocationPlan", "plan_from_dict", "plan_to_dict", "allocate", "allocate_plan"]

TOL = 1e-7  # units


def _maxmin(m: AllocationModel, active: list[int]) -> dict[str, float]:
    """Lexicographic max-min served fractions by member (progressive filling)."""
    nd = m.needs
    members = [x for x in dict.fromkeys(nd["member"]) if float((nd["weight"] * nd["amount"])[nd["member"] == x].sum()) > 0]
    fixed: dict[str, float] = {}
    ncol = m.n_cols + 1  # + z
    while len(fixed) < len(members):
        free = [x for x in members if x not in fixed]
        rows = []
        for x in members:
            coef, wsum = served_row(m, x, 0, ncol)
            if x in fixed:
                rows.append((coef, fixed[x] * wsum - TOL, math.inf))
            else:
                coef[-1] = -wsum
                rows.append((coef, 0.0, math.inf))
        c = np.zeros(ncol)
        c[-1] = -1.0
        lp = build_lp(m, active, rows, c=c, extra_cols=1)
        lp.col_hi[-1] = 1.0
        sol = solve_lp(lp, "max-min allocation")
        z = float(sol.x[-1])
        newly = []
        for x in free:  # can x rise above z while the others keep z?
            rows2 = []
            for y in members:
                coef, wsum = served_row(m, y, 0, ncol - 1)
                rows2.append((coef, fixed.get(y, z) * wsum - TOL, math.inf))
            coef, wsum = served_row(m, x, 0, ncol - 1)
            lp2 = build_lp(m, active, rows2, c=-coef / wsum)
            best = -solve_lp(lp2, "max-min allocation").objective
            if best <= z + 1e-6:
                newly.append(x)
        for x in newly or free:
            fixed[x] = z
    return fixed


def _keep_unmet(m: AllocationModel, sol: LPSolution, w: np.ndarray, obj: float,
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
    m = compile_plan(plan)
    active = list(range(len(m.bounds)))
    base = solve_lp(build_lp(m, active), "allocation")
    if base.status == Status.infeasible:
        text, names = explain_conflict_named(m)
        raise InfeasibleError(f"{plan.file}: " + text, conflicting=names)
    levels: dict[str, float] = {}
    if plan.fairness:
        levels = _maxmin(m, active)
        rows = []
        for x, v in levels.items():
            coef, wsum = served_row(m, x, 0, m.n_cols)
            rows.append((coef, v * wsum - TOL, math.inf))
        sol = solve_lp(build_lp(m, active, rows), "allocation")
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
    s2 = solve_lp(build_lp(m, active, [*rows, *_keep_unmet(m, sol, w, obj, plan.fairness)], c=c), "allocation")
    if s2.status == Status.optimal:
        sol = s2
    return _result(plan, m, active, sol, base, levels)


def _result(plan: AllocationPlan, m: AllocationModel, active: list[int], sol: LPSolution, base: LPSolution,
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
