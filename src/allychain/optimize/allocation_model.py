"""The allocation LP: a plan compiled into sources, needs and arcs, and its rows and columns.

The programme is stated in :mod:`allychain.optimize.allocation`, which solves it.
:func:`compile_plan` turns an :class:`~allychain.optimize.allocation_plan.AllocationPlan`
into an :class:`AllocationModel`; :func:`build_lp` assembles its LP (plus any extra rows);
:func:`explain_conflict` names an irreducible set of conflicting commitments.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from allychain.limits import check_memory
from allychain.lp import LP, solve_lp
from allychain.optimize.allocation_plan import AllocationPlan
from allychain.optimize.result import Status

__all__ = ["AllocationModel", "BYTES_PER_ARC", "Coef", "build_lp", "check_size", "compile_plan", "explain_conflict",
           "explain_conflict_named",
           "relaxed_lp", "served_row"]


@dataclass
class AllocationModel:
    """A compiled plan: sources, needs, the arcs between them (same item) and the commitment bounds."""

    sources: pd.DataFrame  # member, item, available
    needs: pd.DataFrame  # member, item, amount, weight
    arcs: pd.DataFrame  # source (index), need (index)
    bounds: list[tuple[int, str, int, float, str]]  # (commitment row, side, arc, value, label)
    names: list[str] = field(default_factory=list)  # commitment names by row

    @property
    def n_y(self) -> int:
        return len(self.arcs)

    @property
    def n_cols(self) -> int:
        return self.n_y + len(self.needs)


#: Bytes per arc (one LP column: its nonzeros, bounds, the arc look-up, HiGHS' own copies), measured
#: generously; with fairness each member adds one dense row over all arcs per solve.
BYTES_PER_ARC = 400


def check_size(plan: AllocationPlan, sources: pd.DataFrame, needs: pd.DataFrame) -> None:
    """Refuse, before building, an LP whose arcs (holder × member in need, per item) would not fit in memory."""
    per_item = sources["item"].value_counts().mul(needs["item"].value_counts(), fill_value=0)
    arcs = float(per_item.sum())
    members = float(needs["member"].nunique())
    parts = {"LP columns": arcs * BYTES_PER_ARC}
    if plan.fairness:
        parts["fairness rows"] = members * arcs * 8.0
    check_memory(f"an allocation LP of {int(arcs):,} arcs ({len(sources):,} holders × {len(needs):,} needs, "
                 "per item)", parts, hint="fewer members or items per plan, or split the plan by item")


def compile_plan(plan: AllocationPlan) -> AllocationModel:
    """Sources (supply, plus zero-supply holders named by commitments), needs (weighted), arcs and
    commitment bounds in units (fractions of the holder's available supply converted)."""
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
    check_size(plan, sources, needs)
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
    return AllocationModel(sources.reset_index(drop=True), needs.reset_index(drop=True), arcs, bounds,
                           [str(x) for x in c["name"]])


Coef = np.ndarray | tuple[np.ndarray, np.ndarray]


def build_lp(m: AllocationModel, active: list[int], extra_rows: Sequence[tuple[Coef, float, float]] = (),
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


def explain_conflict(m: AllocationModel) -> str:
    """Deletion filter over commitment bounds: an irreducible conflicting set, in words."""
    return explain_conflict_named(m)[0]


def explain_conflict_named(m: AllocationModel) -> tuple[str, list[str]]:
    """:func:`explain_conflict` and the names of the commitments in the conflicting set."""
    active = list(range(len(m.bounds)))
    for b in list(active):
        trial = [x for x in active if x != b]
        if solve_lp(build_lp(m, trial), "allocation").status == Status.infeasible:
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
    own = solve_lp(relaxed_lp(m, active, [r for r, _ in candidates]), "allocation").status == Status.infeasible
    text = "the MOU commitments conflict: " + "; ".join(labels)
    if own:
        text += " — these bounds contradict each other"
    else:
        needed = [t for r, t in candidates
                  if solve_lp(relaxed_lp(m, active, [r]), "allocation").status != Status.infeasible]
        text += " — together they exceed: " + "; ".join(needed or [t for _, t in candidates])
    names = list(dict.fromkeys(m.names[m.bounds[b][0]] for b in active)) if m.names else []
    return text + ". Relax or drop one of them (without any one of them the rest can be met).", names


def relaxed_lp(m: AllocationModel, active: list[int], free_rows: list[int]) -> LP:
    """The LP with the given supply/shortfall rows lifted (commitment rows kept)."""
    lp = build_lp(m, active)
    lo, hi = lp.row_lo.copy(), lp.row_hi.copy()
    ns = len(m.sources)
    for r in free_rows:
        lo[r], hi[r] = (-math.inf, math.inf) if r < ns else (0.0, math.inf)
        # a lifted shortfall row still keeps unmet >= 0 meaningful: received may exceed it
        if r >= ns:
            lo[r] = -math.inf
    return LP(lp.c, lp.A, lo, hi, lp.col_lo, lp.col_hi)


def served_row(m: AllocationModel, member: str, z_coef: float, ncol: int) -> tuple[np.ndarray, float]:
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
