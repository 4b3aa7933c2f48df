"""Allocation plans: the inputs of :func:`allychain.optimize.allocation.allocate` as tables.

:class:`AllocationPlan` holds them; :func:`plan_from_dict` validates a PLAN mapping (the
YAML schema is in docs/decisions.md) into one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from allychain.model.spec import Spec

__all__ = ["AllocationPlan", "plan_from_dict", "plan_to_dict", "COMMITMENT_COLUMNS", "PLAN_KEYS"]

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


def plan_to_dict(plan: AllocationPlan, description: str = "") -> dict[str, Any]:
    """The PLAN mapping of ``plan`` (what :func:`plan_from_dict` reads back): the YAML export format."""

    def num(v: Any) -> float | None:
        return None if v is None or v != v else float(v)

    def clean(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if v is not None}

    out: dict[str, Any] = {}
    if description:
        out["description"] = description
    if plan.units:
        out["items"] = [{"id": i, "unit": u} for i, u in plan.units.items()]
    if plan.priorities:
        out["members"] = {m: {"priority": float(w)} for m, w in plan.priorities.items()}
    out["shortfalls"] = [clean({"member": r["member"], "item": r["item"], "amount": float(r["amount"]),
                                "priority": num(r.get("priority"))}) for r in plan.shortfalls.to_dict("records")]
    out["supply"] = [{"member": r["member"], "item": r["item"], "spare_capacity": num(r["spare_capacity"]) or 0.0,
                      "stockpile": num(r["stockpile"]) or 0.0} for r in plan.supply.to_dict("records")]
    out["commitments"] = [clean({"name": r["name"], "from": r["from"], "to": r["to"], "item": r["item"],
                                 **{k: num(r[k]) for k in ("min", "max", "min_share", "max_share")}})
                          for r in plan.commitments.to_dict("records")]
    out["fairness"] = bool(plan.fairness)
    return out
