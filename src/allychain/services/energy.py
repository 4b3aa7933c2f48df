"""The grids the members' imports run on: their dependencies (``analysis``) joined with the energy of the
supplying countries' grids (``energy``).

:func:`import_grids` answers "whose power outage would the members' chain have to survive?": for every item
the members' production needs from outside (:func:`allychain.analysis.dependencies`, all tiers), the foreign
grids its output comes from, their share-weighted carbon intensity and carbon-free share, and the largest
foreign grid with its outage figures (:func:`allychain.energy.foreign_grids`).  Not covered stays ``NaN``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from allychain.analysis import dependencies
from allychain.energy import EnergyTables, foreign_grids
from allychain.energy.exposure import IMPORT_COLUMNS
from allychain.model.members import resolve_members
from allychain.model.network import Network

__all__ = ["IMPORT_COLUMNS", "import_grids"]


def import_grids(n: Network, tables: EnergyTables, members: str | Iterable[str], year: int | None = None
                 ) -> pd.DataFrame:
    """Per item the members need from outside: the foreign grids it runs on (:data:`IMPORT_COLUMNS`)."""
    ms = resolve_members(members, n)
    return foreign_grids(n, tables, dependencies(n, ms, year=year), ms, year=year)
