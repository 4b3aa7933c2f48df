"""Energy: electricity as an input of fabs and materials steps (pure; imports only errors, schema and model).

* :mod:`~allychain.energy.dataset` — the energy tables (schema in ``schema/energy.csv``; built-in
  rows in ``energy/tables/`` citing public sources): electricity per unit of output by item
  (``intensity``), each country's supply — generation mix, carbon-free share, carbon intensity,
  outage frequency (SAIFI) and duration (SAIDI) (``supply``) — and the alliance's energy
  cooperation (``cooperation``); :func:`load_builtin` returns them as :class:`EnergyTables`;
* :mod:`~allychain.energy.profile` — one row per country with the latest figure of each measure;
* :mod:`~allychain.energy.exposure` — energy dependency and carbon intensity per item
  (:func:`item_exposure`) and each member's fabs and the grid they run on (:func:`member_fabs`).

Power outages as shocks (the fab consequence model) live in :mod:`allychain.model.outage`,
shared with the simulation.

See docs/energy.md.
"""

from allychain.energy.dataset import EnergyTables, builtin_sources, check_table, from_frames, load_builtin, validated
from allychain.energy.exposure import energy_profile, foreign_grids, item_exposure, member_fabs
from allychain.energy.profile import supply_profile

__all__ = ["EnergyTables", "builtin_sources", "check_table", "energy_profile", "foreign_grids", "from_frames", "item_exposure",
           "load_builtin",
           "member_fabs", "supply_profile", "validated"]
