"""Time to build alternative capacity (time to recover, TTR) by item class — shared by the
capabilities that need it (the TTS/TTR model in ``optimize``, the severity score in
``analysis``), so it lives here, below both.

=========  ===========  ===================================================================
class      TTR, months  basis
=========  ===========  ===================================================================
process    21           rebuilding or requalifying a fab / assembly-test site: 18–24 months
chip       21           as process (chips come from fabs)
tool       15           equipment lead times of 12–18 months
material   9            qualifying a new material or chemical supplier: 6–12 months
=========  ===========  ===================================================================

The ranges are the orders of magnitude reported in SIA & BCG (2021), *Strengthening the
Global Semiconductor Supply Chain in an Uncertain Era* (fab construction and equipment
lead times) and in industry accounts of supplier qualification for materials; defaults
are the mid-points.  They are planning assumptions, not measurements.
"""

from __future__ import annotations

__all__ = ["CLASS_OF_KIND", "TTR_DEFAULTS", "TTR_SOURCES", "item_class", "ttr_months"]

#: item kind → TTR class
CLASS_OF_KIND: dict[str, str] = {
    "tool": "tool",
    "material": "material",
    "chemical": "material",
    "raw_material": "material",
    "chip": "chip",
    "output": "chip",
    "process": "process",
    "design": "process",
    "electricity": "electricity",
    "labour": "labour",
}

#: default time to recover per class, months
TTR_DEFAULTS: dict[str, float] = {"process": 21.0, "chip": 21.0, "tool": 15.0, "material": 9.0,
                                  "electricity": 0.25, "labour": 24.0}

TTR_SOURCES: dict[str, str] = {
    "process": "fab / assembly-test rebuild or requalification 18–24 months (SIA & BCG 2021, order of magnitude)",
    "chip": "as process: chips are made in fabs (SIA & BCG 2021, order of magnitude)",
    "tool": "semiconductor equipment lead times 12–18 months (SIA & BCG 2021, order of magnitude)",
    "material": "qualification of a new material or chemical supplier 6–12 months (industry accounts)",
    "electricity": "a fab at planned output again about a week after power returned (Samsung Pyeongtaek, "
                   "March 2018; docs/energy.md), a planning assumption for a local grid input",
    "labour": "replacing skilled fab workers: a technician's two-year programme (docs/talent.md's skill levels), "
              "a planning assumption for a local labour input",
}


def item_class(kind: object) -> str:
    """TTR class of an item kind (unknown kinds count as ``process``)."""
    return CLASS_OF_KIND.get(str(kind), "process")


def ttr_months(kind: object) -> float | None:
    """Default months to build alternative capacity for an item of ``kind``; None when the
    kind is missing or not one the table knows (unknown, not the ``process`` fallback)."""
    if not isinstance(kind, str) or kind not in CLASS_OF_KIND:
        return None
    return TTR_DEFAULTS[CLASS_OF_KIND[kind]]
