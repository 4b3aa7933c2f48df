"""Table schemas as data.

``components.csv`` beside this module is the single description of every table of
the network model: column, dtype, unit, default, whether required, whether part of
the table's key, which table it references, and a description.  Validation,
readers, writers and ``docs/formats.md`` are all driven by it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Attribute", "COMPONENTS", "attributes", "required", "key", "columns"]

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


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[Attribute, ...]]:
    text = resources.files(__package__).joinpath("components.csv").read_text(encoding="utf-8")
    out: dict[str, list[Attribute]] = {c: [] for c in COMPONENTS}
    for rec in csv.DictReader(text.splitlines()):
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
