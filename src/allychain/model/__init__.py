"""The network model: container, boundary validation, consistency checks, derived views.

The names below are imported on first use, so that light modules of the model (the
analysis thresholds in :mod:`allychain.model.rules`, the disruption vocabulary) load
without pandas — the CLI builds its help from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from allychain.model.network import IOTables, Network, conform, empty_table

__all__ = ["Network", "IOTables", "conform", "empty_table"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from allychain.model import network

        return getattr(network, name)
    raise AttributeError(f"module 'allychain.model' has no attribute {name!r}")
