"""The crisis workflow under ``/api/ws/incidents``: open, assess, allocate, record, close.

Each route declares its action with :func:`allychain.api.routes_ws.route` (so the
generated permission tests cover it) and only calls :mod:`allychain.workspace.incidents`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from allychain.api.problems import PROBLEM_SCHEMA
from allychain.api.routes_ws import _json, caller, route, store_of
from allychain.workspace import incidents as inc
from allychain.workspace.authz import Action, Principal

__all__: list[str] = []

_REFUSALS = {s: PROBLEM_SCHEMA for s in (409, 422)}
_EXAMPLE = {"title": "Ukrainian neon purification halted", "items": ["neon"], "countries": ["UKR"],
            "shocks": [{"countries": ["UKR"], "items": ["neon"], "loss_fraction": 1.0, "onset": 5, "duration": 120}],
            "horizon": 180, "members": ["KOR", "NLD"],
            "shortfalls": [{"member": "KOR", "item": "neon", "amount": 80}],
            "supply": [{"member": "NLD", "item": "neon", "stockpile": 30}]}


@route("GET", "/incidents", Action.INCIDENT_LIST, summary="Incidents and their state")
def list_incidents(request: Request, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(inc.list_incidents(store_of(request), p))


@route("POST", "/incidents", Action.INCIDENT_OPEN, status_code=201, responses=_REFUSALS,
       summary="Open an incident: disrupted items/countries/firms and the shock estimate (disruption vocabulary)")
def open_incident(request: Request, p: Principal | None = Depends(caller),
                  body: dict[str, Any] = Body(..., examples=[_EXAMPLE])) -> JSONResponse:
    out = inc.open_incident(store_of(request), p, body)
    return _json(out, 201, {"Location": f"/api/ws/incidents/{out['id']}"})


@route("GET", "/incidents/{inc_id}", Action.INCIDENT_READ, summary="An incident with its timeline (and report)")
def get_incident(request: Request, inc_id: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(inc.get_incident(store_of(request), p, inc_id))


@route("POST", "/incidents/{inc_id}/assess", Action.INCIDENT_UPDATE, responses=_REFUSALS,
       summary="Run the scenario and the TTS/TTR of the disrupted nodes (open → assessed)")
async def assess(request: Request, inc_id: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    network = request.app.state.allychain.network
    return _json(await run_in_threadpool(inc.assess, store_of(request), p, inc_id, network))


@route("POST", "/incidents/{inc_id}/allocate", Action.INCIDENT_ALLOCATE, responses=_REFUSALS,
       summary="Emergency allocation under the agreements in force (assessed → responding); "
               "409 names conflicting commitments")
def allocate(request: Request, inc_id: str, p: Principal | None = Depends(caller),
             body: dict[str, Any] = Body(default_factory=dict)) -> JSONResponse:
    return _json(inc.allocate(store_of(request), p, inc_id, body.get("shortfalls"), body.get("supply"),
                              bool(body.get("fairness", False))))


@route("POST", "/incidents/{inc_id}/records", Action.INCIDENT_UPDATE, status_code=201, responses=_REFUSALS,
       summary="Record a decision, an action or a note on the timeline")
def record(request: Request, inc_id: str, p: Principal | None = Depends(caller),
           body: dict[str, Any] = Body(..., examples=[{"kind": "decision", "text": "release NLD stockpile"}])
           ) -> JSONResponse:
    return _json(inc.record(store_of(request), p, inc_id, str(body.get("kind", "")), str(body.get("text", ""))), 201)


@route("POST", "/incidents/{inc_id}/close", Action.INCIDENT_UPDATE, responses=_REFUSALS,
       summary="Close with the after-action report: what happened and the lessons (entered by hand)")
def close(request: Request, inc_id: str, p: Principal | None = Depends(caller),
          body: dict[str, Any] = Body(..., examples=[{"happened": "deliveries resumed on day 50",
                                                       "lessons": "stockpile too small"}])) -> JSONResponse:
    return _json(inc.close(store_of(request), p, inc_id, str(body.get("happened", "")), str(body.get("lessons", ""))))
