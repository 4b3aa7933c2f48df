"""Each member's energy dependency for its fabs: ``GET /api/energy/profile``.

The same answer as ``allychain energy profile --format json`` and the briefing pack's energy section
(:func:`allychain.energy.energy_profile`) on the server's network: ``members`` (per member and fab item: the
grid, its carbon intensity, carbon-free share, SAIDI and SAIFI with basis and year, kWh per unit, the energy
agreements, a status naming what is not covered), ``items`` (the fab items' and energy-hungry materials'
grids), ``grids``, ``cooperation``, ``sources`` and ``imports`` (the foreign grids the members' imports run
on, :func:`allychain.services.energy.import_grids`).  ``null`` is "not covered", never zero.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from allychain.api.deps import cached, state_of
from allychain.api.problems import PROBLEM_SCHEMA
from allychain.api.routes_analysis import MembersQ, YearQ, _members

__all__ = ["router", "profile"]

router = APIRouter(prefix="/api/energy", tags=["energy"], responses={400: PROBLEM_SCHEMA, 422: PROBLEM_SCHEMA})


@router.get("/profile", summary="Each member's fab items and the grid they run on: carbon intensity, carbon-free "
                                "share, outages, energy agreements")
def profile(request: Request, members: str | None = MembersQ, year: int | None = YearQ) -> Response:
    mem = _members(request, members)

    def compute() -> dict[str, Any]:
        from allychain.energy import energy_profile, load_builtin
        from allychain.services.energy import import_grids

        n, tables = state_of(request).network, load_builtin()
        return {**energy_profile(n, tables, mem, year=year), "imports": import_grids(n, tables, mem, year=year)}

    return cached(request, ("energy-profile", tuple(mem), year), compute)
