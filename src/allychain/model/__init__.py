"""The network model: container, boundary validation, consistency checks, derived views."""

from allychain.model.network import IOTables, Network, conform, empty_table

__all__ = ["Network", "IOTables", "conform", "empty_table"]
