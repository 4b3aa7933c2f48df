"""allychain: map, stress-test and defend an alliance's shared semiconductor supply chain.

The public Python API: load a network (:func:`load`), inspect and validate it, then
run the analyses, simulations and optimisations on it.  The CLI, REST API and reports
call the same functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allychain.errors import (
    AllychainError,
    ConsistencyError,
    DataError,
    InfeasibleError,
    Problem,
    ScenarioError,
)

if TYPE_CHECKING:  # pragma: no cover
    from allychain.model.network import IOTables, Network

__version__ = "0.1.0"

__all__ = [
    "Network",
    "IOTables",
    "load",
    "AllychainError",
    "DataError",
    "ConsistencyError",
    "ScenarioError",
    "InfeasibleError",
    "Problem",
    "__version__",
]


def load(spec: str = "builtin") -> Network:
    """Load a network from a ``--data`` specification (see :func:`allychain.data.load.load`)."""
    from allychain.data.load import load as _load

    return _load(spec)


def __getattr__(name: str) -> Any:
    # Network and IOTables import pandas; load them on first use so that the CLI's
    # --help and error paths start without it.
    if name in ("Network", "IOTables"):
        from allychain.model import network

        return getattr(network, name)
    raise AttributeError(f"module 'allychain' has no attribute {name!r}")
