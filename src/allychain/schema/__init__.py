"""Table schemas as data.

``components.csv`` beside this module is the single description of every table of
the network model: column, dtype, unit, default, whether required, whether part of
the table's key, which table it references, and a description.  Validation,
readers, writers and ``docs/formats.md`` are all driven by it.

``indicators.csv`` describes, in the same columns as ``submissions.csv``, the indicator
series of :mod:`allychain.watch` (trade values, shares, prices … per period).

``talent.csv`` describes, in the same columns, the workforce parameter table of
:mod:`allychain.talent` (stocks, demand, flows and rates per country and skill level).

``energy.csv`` describes, in the same columns, the tables of :mod:`allychain.energy`:
electricity per unit of output (``intensity``), each country's supply (``supply``) and the
alliance's energy cooperation (``cooperation``).

``submissions.csv`` describes, in the same columns plus the accepted values
(``allowed``, ``pattern``, ``min``, ``max``), the tables organisations submit to
the workspace (``capacity``, ``inventory``, ``sourcing``); they are checked by the
same boundary tier and :func:`rules` gives their extra constraints.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Attribute", "COMPONENTS", "SUBMISSIONS", "SERIES", "TALENT", "ENERGY", "Rule", "attributes", "required", "key", "columns", "rules"]

COMPONENTS: tuple[str, ...] = (
    "stages",
    "items",
    "providers",
    "shares",
    "relations",
    "sources",
    "nodes",
    "edges",
    "bom",
    "alliances",
)

#: tables organisations submit to the workspace (schema in submissions.csv)
SUBMISSIONS: tuple[str, ...] = ("capacity", "inventory", "sourcing")

#: time-series tables of the watch capability (schema in indicators.csv)
SERIES: tuple[str, ...] = ("indicators",)

#: parameter tables of the talent capability (schema in talent.csv)
TALENT: tuple[str, ...] = ("workforce",)

#: tables of the energy capability (schema in energy.csv)
ENERGY: tuple[str, ...] = ("intensity", "supply", "cooperation")


@dataclass(frozen=True)
class Attribute:
    component: str
    name: str
    dtype: str  # str | float | int | bool
    unit: str
    default: str
    required: bool
    key: bool
    references: str
    description: str


@dataclass(frozen=True)
class Rule:
    """Accepted values of a submitted column beyond its dtype (from submissions.csv)."""

    component: str
    name: str
    allowed: tuple[str, ...]
    pattern: str
    min: float | None
    max: float | None


def _records(name: str) -> list[dict[str, str]]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[Attribute, ...]]:
    out: dict[str, list[Attribute]] = {c: [] for c in (*COMPONENTS, *SUBMISSIONS, *SERIES, *TALENT, *ENERGY)}
    for rec in _records("components.csv") + _records("submissions.csv") + _records("indicators.csv") + \
            _records("talent.csv") + _records("energy.csv"):
        out[rec["component"]].append(
            Attribute(
                component=rec["component"],
                name=rec["attribute"],
                dtype=rec["dtype"],
                unit=rec["unit"],
                default=rec["default"],
                required=rec["required"] == "true",
                key=rec["key"] == "true",
                references=rec["references"],
                description=rec["description"],
            )
        )
    return {c: tuple(a) for c, a in out.items()}


def attributes(component: str) -> tuple[Attribute, ...]:
    """All attributes of ``component`` in schema order."""
    try:
        return _table()[component]
    except KeyError:
        raise KeyError(f"unknown component {component!r}; expected one of {', '.join(COMPONENTS)}") from None


def columns(component: str) -> list[str]:
    return [a.name for a in attributes(component)]


def required(component: str) -> list[str]:
    return [a.name for a in attributes(component) if a.required]


def key(component: str) -> list[str]:
    return [a.name for a in attributes(component) if a.key]


@lru_cache(maxsize=1)
def _rules() -> dict[tuple[str, str], Rule]:
    out = {}
    for rec in _records("submissions.csv") + _records("indicators.csv") + _records("talent.csv") + _records("energy.csv"):
        out[rec["component"], rec["attribute"]] = Rule(
            component=rec["component"], name=rec["attribute"],
            allowed=tuple(v for v in rec["allowed"].split(";") if v), pattern=rec["pattern"],
            min=float(rec["min"]) if rec["min"] else None, max=float(rec["max"]) if rec["max"] else None)
    return out


def rules(component: str) -> tuple[Rule, ...]:
    """The accepted-value rules of a submitted table's columns, in schema order."""
    if component not in (*SUBMISSIONS, *SERIES, *TALENT, *ENERGY):
        raise KeyError(f"unknown submission table {component!r}; expected one of "
                       f"{', '.join((*SUBMISSIONS, *SERIES, *TALENT, *ENERGY))}")
    return tuple(r for (c, _), r in _rules().items() if c == component)
