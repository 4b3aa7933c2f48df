"""The members' workforce gap with and without a programme: ``GET /api/talent/gap``.

The same answer as the briefing pack's talent section and ``allychain talent gap``
(:func:`allychain.talent.members.talent_gap`).  Only built-in programmes can be named
(``builtin:kor-nld``, ``builtin:nld-microchip-talent`` or ``none``): the server never reads
a file named in a request.  Persons; ``null`` is "not assessable"; members without sourced
figures are listed in ``not_covered``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from allychain.api.deps import cached
from allychain.api.problems import PROBLEM_SCHEMA
from allychain.api.routes_analysis import MembersQ, _members

__all__ = ["router", "gap"]

router = APIRouter(prefix="/api/talent", tags=["talent"], responses={400: PROBLEM_SCHEMA, 422: PROBLEM_SCHEMA})


@router.get("/gap", summary="The workforce gap per member, skill level and year, with and without a programme")
def gap(request: Request, members: str | None = MembersQ,
        programme: str = Query("builtin:kor-nld", max_length=60, pattern=r"^(builtin:[a-z0-9-]+|none)$",
                               description="A built-in programme (builtin:kor-nld, the alliance's; "
                                           "builtin:nld-microchip-talent) or none.")) -> Response:
    mem = _members(request, members)

    def compute() -> dict[str, Any]:
        from allychain.data.spec import read_programmes
        from allychain.talent import builtin_workforce
        from allychain.talent.members import talent_gap

        table = builtin_workforce()
        progs = read_programmes(programme, table) if programme != "none" else []
        return talent_gap(table, mem, progs, None if programme == "none" else programme)

    return cached(request, ("talent-gap", tuple(mem), programme), compute)
