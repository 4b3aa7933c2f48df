"""Labour and electricity as local inputs of the flow network, from the built-in tables.

:func:`builtin_inputs` reads which items draw which input from sourced rows: electricity
where the energy intensity table (:func:`allychain.energy.load_builtin`) has a figure for
the item, labour where the talent intensity table
(:func:`allychain.talent.params.builtin_intensity`) has workers per unit of capacity for it
(at its skill level: ``labour`` for ``all``, ``labour:<level>`` otherwise).  Items the
tables name without a figure are *not covered*: they are not linked, and listed so.
:func:`with_inputs` returns the network carrying the table (``meta["inputs"]``), which
:func:`allychain.model.flows.flow_network` — and through it the simulation and TTS/TTR —
reads.  Nothing changes unless asked: this is the ``--inputs`` option.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from allychain.errors import AllychainError
from allychain.model.flows import INPUT_KINDS
from allychain.model.network import Network

__all__ = ["builtin_inputs", "with_inputs", "parse_inputs"]


def parse_inputs(text: str | Iterable[str] | None) -> list[str]:
    """``"labour,electricity"`` → the kinds, checked (``none`` or empty: no inputs)."""
    parts = [p.strip().lower() for p in (text.split(",") if isinstance(text, str) else (text or [])) if p.strip()]
    parts = [p for p in parts if p != "none"]
    bad = [p for p in parts if p not in INPUT_KINDS]
    if bad:
        raise AllychainError(f"--inputs: got {', '.join(bad)}; expected {', '.join(INPUT_KINDS)} (comma-separated) "
                             "or none")
    return list(dict.fromkeys(parts))


def builtin_inputs(network: Network, kinds: Iterable[str] = INPUT_KINDS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The local-input table for ``network`` and what it does not cover.

    Returns
    -------
    (table, not_covered)
        ``table``: input_id, kind, item_id, source_id (one row per input and consuming item
        of the network); ``not_covered``: kind, item_id, reason (items a table names without
        a figure, or names that are not items of the network).
    """
    from allychain.energy import load_builtin
    from allychain.talent.params import builtin_intensity

    wanted = parse_inputs(list(kinds))
    items = set(network.items["item_id"].astype(str))
    rows: list[dict[str, str]] = []
    gaps: list[dict[str, str]] = []
    if "electricity" in wanted:
        e = load_builtin().intensity
        for item, g in e.groupby("item_id", sort=True):
            known = g[g["value"].notna()]
            if str(item) not in items:
                gaps.append({"kind": "electricity", "item_id": str(item), "reason": "not an item of this network"})
            elif len(known):
                rows.append({"input_id": "electricity", "kind": "electricity", "item_id": str(item),
                             "source_id": str(known["source_id"].iloc[0])})
            else:
                gaps.append({"kind": "electricity", "item_id": str(item), "reason": "no sourced kWh per unit"})
    if "labour" in wanted:
        for r in builtin_intensity().itertuples(index=False):
            inp = "labour" if r.level == "all" else f"labour:{r.level}"
            if str(r.stage) in items:
                rows.append({"input_id": inp, "kind": "labour", "item_id": str(r.stage), "source_id": r.source_id})
            else:
                gaps.append({"kind": "labour", "item_id": str(r.stage), "reason": "not an item of this network"})
    table = pd.DataFrame(rows, columns=["input_id", "kind", "item_id", "source_id"])
    return table, pd.DataFrame(gaps, columns=["kind", "item_id", "reason"])


def with_inputs(network: Network, kinds: Iterable[str] = INPUT_KINDS) -> Network:
    """``network`` carrying the built-in local inputs of ``kinds`` (``meta["inputs"]``, and
    ``meta["inputs_not_covered"]``); no kinds: the network unchanged."""
    wanted = parse_inputs(list(kinds))
    if not wanted:
        return network
    table, gaps = builtin_inputs(network, wanted)
    return network.replace(meta={**network.meta, "inputs": table, "inputs_not_covered": gaps})
