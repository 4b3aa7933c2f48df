"""The emergency allocation under the agreements in force: the registry becomes the allocation plan.

:func:`registry_plan` builds an :class:`~allychain.optimize.allocation.AllocationPlan`
from the commitments of the agreements in force on the items in shortage (those whose
trigger is a declared incident, or any trigger when asked), the members' shortfalls and
the supply the members can release (a scenario's or an incident's estimate). The plan
can be exported as the YAML plan of ``allychain optimize allocate``
(:func:`~allychain.optimize.allocation.plan_to_dict`), and is solved by
:func:`allychain.optimize.allocate_plan` — infeasible commitments are named as the
smallest conflicting set, as for a YAML plan.

Commitments become bounds in units on the flow supplier → receiver: the floor
``max(min, min_share × supplier's available supply)``, capped at the receiver's shortfall
(a receiver never gets more than it lacks, so a commitment is honoured when the receiver's
whole need is met); commitments of several agreements on the same flow add up.  A
commitment's ``priority`` becomes the weight of its receiver's unmet need of the item
(the largest of them) where the shortfall does not carry its own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from allychain.store import Repo
from allychain.workspace.terms import commitment_table, merge_arcs

__all__ = ["registry_plan", "SHORTFALL_COLUMNS", "SUPPLY_COLUMNS"]

SHORTFALL_COLUMNS = ["member", "item", "amount", "priority"]
SUPPLY_COLUMNS = ["member", "item", "spare_capacity", "stockpile"]


def registry_plan(repo: Repo, shortfalls: pd.DataFrame, supply: pd.DataFrame, items: Iterable[str] | None = None,
                  trigger: str | None = "incident", fairness: bool = False, name: str = "registry") -> Any:
    """The allocation plan of the commitments in force for ``items`` (default: the shortfalls' items).

    Parameters
    ----------
    shortfalls
        ``member, item, amount`` [units] and optionally ``priority``.
    supply
        ``member, item`` and ``spare_capacity`` and/or ``stockpile`` [units].
    trigger
        Only commitments with this trigger (``"incident"``: a declared incident); ``None``: all.

    Returns
    -------
    AllocationPlan
        With ``commitments`` holding the registry's bounds in units, each named
        ``<agreement>#<n>`` (joined with `` + `` where several share a flow).
    """
    from allychain.optimize.allocation import COMMITMENT_COLUMNS, AllocationPlan
    from allychain.workspace.agreements import in_force_commitments

    short = shortfalls.copy()
    if "priority" not in short:
        short["priority"] = math.nan
    short = short[SHORTFALL_COLUMNS].astype({"amount": float, "priority": float})
    sup = supply.copy()
    for col in ("spare_capacity", "stockpile"):
        if col not in sup:
            sup[col] = 0.0
    sup = sup.groupby(["member", "item"], as_index=False, sort=False)[["spare_capacity", "stockpile"]].sum()
    wanted = set(short["item"]) if items is None else set(items)
    comm = commitment_table(in_force_commitments(repo))
    comm = comm[comm["item"].isin(wanted)]
    if trigger is not None:
        comm = comm[comm["trigger"] == trigger]
    avail = {(m, i): float(a + b) for m, i, a, b in sup[["member", "item", "spare_capacity", "stockpile"]]
             .itertuples(index=False)}
    bounds = merge_arcs(comm, avail)
    need = {(m, i): float(a) for m, i, a in short[["member", "item", "amount"]].itertuples(index=False)}
    cap = [need.get((t, i), 0.0) for t, i in zip(bounds["to"], bounds["item"], strict=True)]
    bounds["min"] = [math.nan if v != v else min(v, c) for v, c in zip(bounds["min"], cap, strict=True)]
    prio = bounds.groupby(["to", "item"])["priority"].max() if len(bounds) else pd.Series(dtype=float)
    short["priority"] = [p if p == p else float(prio.get((m, i), math.nan))
                         for m, i, p in short[["member", "item", "priority"]].itertuples(index=False)]
    plan_comm = bounds[COMMITMENT_COLUMNS].reset_index(drop=True)
    return AllocationPlan(short, sup, plan_comm, {}, fairness, file=name)
