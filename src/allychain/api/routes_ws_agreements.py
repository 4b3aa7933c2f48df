"""The agreements registry under ``/api/ws/agreements``: register, amend, put in force, check, gaps.

Routes are declared with :func:`allychain.api.routes_ws.route` (each names its action,
so the generated permission tests cover it); the handlers only call
:mod:`allychain.workspace.agreements`.  A refused change answers problem+json: 422 with
every problem of invalid terms, 409 with ``conflicting`` when commitments could not all
be honoured at once.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from allychain.api.problems import PROBLEM_SCHEMA
from allychain.api.routes_ws import _json, caller, route, store_of
from allychain.errors import InvalidRecord
from allychain.workspace import agreements as agr
from allychain.workspace.authz import Action, Principal

__all__ = ["supply_of"]

_REFUSALS = {s: PROBLEM_SCHEMA for s in (409, 412, 422)}
_EXAMPLE = {"id": "kor-nld-neon", "title": "Korea–Netherlands MOU on neon", "parties": ["KOR", "NLD"],
            "signed": "2026-05-01", "valid_to": "2029-04-30", "items": ["neon"], "source": "MOU text, 2026",
            "commitments": [{"item": "neon", "from": "KOR", "to": "NLD", "min": 40, "priority": 2,
                             "notice_days": 14, "trigger": "incident"}]}


def supply_of(body: dict[str, Any]) -> dict[tuple[str, str], float] | None:
    """``supply: [{supplier, item, available}]`` of a request body (a scenario's or incident's estimate)."""
    raw = body.get("supply")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise InvalidRecord("supply: expected a list of {supplier, item, available}")
    out = {}
    for i, r in enumerate(raw):
        try:
            value = float(r["available"])
            if value < 0 or value != value:
                raise ValueError
            out[(str(r["supplier"]), str(r["item"]))] = value
        except (KeyError, TypeError, ValueError):
            raise InvalidRecord(f"supply[{i}]: {r!r} — expected supplier, item and available (units >= 0)") from None
    return out


def _version(agr_id: str, header: str | None) -> int | None:
    if header is None:
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    sid, _, ver = tag.rpartition(".v")
    if sid != agr_id or not ver.isdigit():
        from allychain.errors import PreconditionFailed

        raise PreconditionFailed(f"If-Match {header!r} is not an ETag of agreement {agr_id}")
    return int(ver)


@route("GET", "/agreements", Action.AGREEMENT_LIST, summary="Agreements (drafts only to stewards and their owners)")
def list_agreements(request: Request, p: Principal | None = Depends(caller),
                    status: str | None = Query(None, description="draft, in_force, expired or suspended"),
                    item: str | None = Query(None, description="Only agreements covering this item")) -> JSONResponse:
    return _json(agr.list_agreements(store_of(request), p, status, item))


@route("POST", "/agreements", Action.AGREEMENT_CREATE, status_code=201, responses=_REFUSALS,
       summary="Register an agreement as a draft; 422 lists every problem (nothing stored)")
def register(request: Request, p: Principal | None = Depends(caller),
             body: dict[str, Any] = Body(..., examples=[_EXAMPLE])) -> JSONResponse:
    terms = {k: v for k, v in body.items() if k != "id"}
    out = agr.register(store_of(request), p, terms, body.get("id"))
    return _json(out, 201, {"ETag": out["etag"], "Location": f"/api/ws/agreements/{out['id']}"})


@route("GET", "/agreements/coverage", Action.AGREEMENT_GAPS,
       summary="Key items covered by agreements in force, and by whom")
def coverage(request: Request, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(agr.coverage(store_of(request), p))


@route("GET", "/agreements/gaps", Action.AGREEMENT_GAPS,
       summary="The members' critical dependencies (public data) that no agreement in force covers")
def gaps(request: Request, p: Principal | None = Depends(caller),
         members: str | None = Query(None, description="Member countries (default: the server's)"),
         covered: bool = Query(False, description="List the covered items too")) -> JSONResponse:
    state = request.app.state.allychain
    return _json(agr.gaps(store_of(request), p, state.network, members or state.members, include_covered=covered))


@route("GET", "/agreements/{agr_id}", Action.AGREEMENT_READ, summary="An agreement, its versions and terms")
def get_agreement(request: Request, agr_id: str, p: Principal | None = Depends(caller),
                  version: int | None = Query(None, ge=1)) -> JSONResponse:
    out = agr.get_agreement(store_of(request), p, agr_id, version)
    return _json(out, headers={"ETag": out["etag"]})


@route("PUT", "/agreements/{agr_id}", Action.AGREEMENT_AMEND, responses=_REFUSALS,
       summary="New terms as a new version (If-Match optional); one in force is checked first")
def amend(request: Request, agr_id: str, p: Principal | None = Depends(caller),
          body: dict[str, Any] = Body(..., examples=[_EXAMPLE])) -> JSONResponse:
    terms = {k: v for k, v in body.items() if k not in ("id", "supply")}
    out = agr.amend(store_of(request), p, agr_id, terms, _version(agr_id, request.headers.get("if-match")),
                    supply_of(body))
    return _json(out, headers={"ETag": out["etag"]})


@route("POST", "/agreements/{agr_id}/status", Action.AGREEMENT_STATUS, responses=_REFUSALS,
       summary="Put in force (after the consistency check), suspend or expire; 409 names conflicting commitments")
def set_status(request: Request, agr_id: str, p: Principal | None = Depends(caller),
               body: dict[str, Any] = Body(..., examples=[{"status": "in_force", "reason": "signed",
                                                           "supply": [{"supplier": "KOR", "item": "neon",
                                                                       "available": 100}]}])) -> JSONResponse:
    out = agr.set_status(store_of(request), p, agr_id, str(body.get("status", "")), str(body.get("reason", "")),
                         supply_of(body))
    return _json(out, headers={"ETag": out["etag"]})


@route("POST", "/agreements/{agr_id}/check", Action.AGREEMENT_CHECK,
       summary="Can its commitments and those in force all be honoured at once? (changes nothing)")
def check(request: Request, agr_id: str, p: Principal | None = Depends(caller),
          body: dict[str, Any] = Body(default_factory=dict)) -> JSONResponse:
    return _json(agr.check(store_of(request), p, agr_id, supply_of(body)))
