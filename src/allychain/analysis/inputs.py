"""Local inputs as chokepoints: which share of each item's world supply stops when one
country's grid or labour pool fails.

Reads the local inputs (labour, electricity) of the flow network
(:func:`allychain.model.flows.flow_network`; present only when the network carries them,
see :func:`allychain.data.inputs.with_inputs`).  A consuming node ``(c, t)`` draws the input
from ``(c, input)`` alone, so that input node's failure stops ``share_c(t)`` of the world
supply of ``t`` — e.g. the share of the world's wafer fabrication on Taiwan's grid.  The
unknown part of a market (``ROW``) is shown as such, never as a country.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from allychain.errors import AllychainError
from allychain.model.flows import UNKNOWN, flow_network
from allychain.model.network import Network

__all__ = ["input_exposure"]

COLUMNS = ["input_node", "input_id", "kind", "country", "item_id", "item_name", "share", "member"]


def input_exposure(network: Network, members: Iterable[str] = (), year: int | None = None) -> pd.DataFrame:
    """One row per local input node and item it feeds, largest share first.

    Returns
    -------
    DataFrame
        ``input_node`` (``TWN/electricity``), ``input_id``, ``kind``, ``country`` (``ROW``:
        unknown location), ``item_id``, ``item_name``, ``share`` (percent of the item's world
        supply that stops when the input node fails), ``member`` (the country is a member).

    Raises
    ------
    AllychainError
        The network carries no local inputs (ask for them with ``--inputs``).
    """
    f = flow_network(network, year=year)
    if not f.local:
        raise AllychainError("the network carries no local inputs (labour, electricity); expected a network "
                             "from allychain.data.inputs.with_inputs (on the command line: --inputs)")
    mem = {m.upper() for m in members}
    links = f.inputs[f.inputs["scope"] == "local"]
    nodes = f.nodes[~f.nodes["item_id"].isin(set(f.local))]
    joined = links.merge(nodes[["provider_id", "country", "item_id", "share"]], on="item_id")
    names = network.item_names()
    out = pd.DataFrame({
        "input_node": [f"{p}/{i}" for p, i in zip(joined["provider_id"], joined["input_id"], strict=True)],
        "input_id": joined["input_id"], "kind": joined["kind"], "country": joined["country"],
        "item_id": joined["item_id"], "item_name": joined["item_id"].map(lambda i: names.get(i, i)),
        "share": joined["share"] * 100.0,
        "member": joined["country"].isin(mem) & (joined["country"] != UNKNOWN)})
    return out.sort_values(["share", "input_node"], ascending=[False, True]).reset_index(drop=True)[COLUMNS]
