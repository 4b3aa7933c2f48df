"""Unprotected nodes: where a disruption outlasts what the rest of the network can cover.

The one home of the filter the CLI demo, the REST API (``/api/decisions/tts``) and the
briefing pack show: TTS/TTR for every disruptable node (every node disrupted alone, so the
risk exposure index is relative to the worst disruption anywhere), then the rows of the
members' nodes, worst first (REI descending, then TTS ascending), and those with
TTS < TTR marked unprotected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from allychain.model.network import Network
from allychain.optimize.result import Result

__all__ = ["Unprotected", "unprotected_nodes"]


@dataclass(frozen=True)
class Unprotected:
    """The members' rows of a TTS/TTR run.

    Attributes
    ----------
    rows
        The members' nodes (all of them, or only the unprotected with
        ``only_unprotected``), worst first: columns of :func:`tts_ttr`'s table.
    unprotected
        The unprotected ones among the members' nodes (TTS < TTR), worst first.
    nodes
        How many member nodes were assessed.
    period
        The unit of TTS and TTR (``month`` on share networks).
    network
        The site-level network the model ran on (the provider × item mapping of a share
        network, see :func:`allychain.optimize.country.site_network`).
    result
        The whole :class:`~allychain.optimize.result.Result` of :func:`tts_ttr`.
    """

    rows: pd.DataFrame
    unprotected: pd.DataFrame
    nodes: int
    period: str
    network: Network
    result: Result

    @property
    def count(self) -> int:
        """Number of unprotected member nodes."""
        return int(len(self.unprotected))


def unprotected_nodes(network: Network, members: Iterable[str] | None = None, *, only_unprotected: bool = False,
                      **country_options: Any) -> Unprotected:
    """TTS vs TTR for every node, the members' rows worst first and the unprotected ones.

    Parameters
    ----------
    network
        A site-level network, or a share network (mapped with
        :func:`~allychain.optimize.country.site_network` and ``country_options``).
    members
        Countries whose nodes are reported (default: every node).
    only_unprotected
        Report only the unprotected rows in ``rows``.
    """
    from allychain.optimize.ttr_tts import site_view, tts_ttr

    net = site_view(network, **country_options)
    res = tts_ttr(net)
    t = res.table
    mem = list(members) if members is not None else None
    if mem:
        t = t[t["country"].isin(mem)]
    t = t.sort_values(["rei", "tts"], ascending=[False, True], na_position="last").reset_index(drop=True)
    unp = t[t["unprotected"].fillna(False).astype(bool)].reset_index(drop=True)
    return Unprotected(rows=unp if only_unprotected else t, unprotected=unp, nodes=int(len(t)),
                       period=str(net.meta.get("period", "period")), network=net, result=res)
