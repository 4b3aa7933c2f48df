"""Dialogues under ``/api/ws/dialogues``: series, meetings, action items, calendar, since-last-meeting.

Each route declares its action with :func:`allychain.api.routes_ws.route` (the generated
permission tests cover it) and only calls :mod:`allychain.workspace.dialogues`.
"""

from __future__ import annotations

from typing import Any

from fastapi import Body, Depends, Request
from fastapi.responses import JSONResponse, Response

from allychain.api.problems import PROBLEM_SCHEMA
from allychain.api.routes_ws import _json, caller, route, store_of
from allychain.workspace import dialogues as dlg
from allychain.workspace.authz import Action, Principal

__all__: list[str] = []

_REFUSALS = {422: PROBLEM_SCHEMA}


@route("GET", "/dialogues", Action.DIALOGUE_READ, summary="Dialogue series")
def list_series(request: Request, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(dlg.list_series(store_of(request), p))


@route("POST", "/dialogues", Action.DIALOGUE_MANAGE, status_code=201, responses=_REFUSALS,
       summary="Create a dialogue series (name, kind, cadence, parties)")
def create_series(request: Request, p: Principal | None = Depends(caller),
                  body: dict[str, Any] = Body(..., examples=[{"name": "Korea–Netherlands semiconductor dialogue",
                                                              "kind": "semiconductor dialogue", "cadence": "annual",
                                                              "parties": ["KOR", "NLD"]}])) -> JSONResponse:
    return _json(dlg.create_series(store_of(request), p, body), 201)


@route("GET", "/dialogues/{series_id}", Action.DIALOGUE_READ,
       summary="A series with its meetings and action items (overdue ones flagged)")
def get_series(request: Request, series_id: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(dlg.get_series(store_of(request), p, series_id))


@route("POST", "/dialogues/{series_id}/meetings", Action.DIALOGUE_MANAGE, status_code=201, responses=_REFUSALS,
       summary="Add a meeting (date, title, participants, agenda, decisions)")
def add_meeting(request: Request, series_id: str, p: Principal | None = Depends(caller),
                body: dict[str, Any] = Body(..., examples=[{"date": "2027-03-10", "title": "4th round"}])
                ) -> JSONResponse:
    return _json(dlg.add_meeting(store_of(request), p, series_id, body), 201)


@route("POST", "/dialogues/{series_id}/actions", Action.DIALOGUE_MANAGE, status_code=201, responses=_REFUSALS,
       summary="Add an action item (title, owner organisation, due date, meeting, links)")
def add_action(request: Request, series_id: str, p: Principal | None = Depends(caller),
               body: dict[str, Any] = Body(..., examples=[{"title": "Neon stock survey", "owner": "samsung",
                                                           "due": "2027-01-31"}])) -> JSONResponse:
    return _json(dlg.add_action(store_of(request), p, series_id, body), 201)


@route("POST", "/dialogues/actions/{action_id}/status", Action.DIALOGUE_MANAGE, responses=_REFUSALS,
       summary="Mark an action item done, dropped or open")
def set_action(request: Request, action_id: str, p: Principal | None = Depends(caller),
               body: dict[str, Any] = Body(..., examples=[{"status": "done"}])) -> JSONResponse:
    return _json(dlg.set_action_status(store_of(request), p, action_id, str(body.get("status", ""))))


@route("GET", "/dialogues/{series_id}/calendar.ics", Action.DIALOGUE_READ,
       summary="Meetings and due dates as iCalendar", responses={200: {"content": {"text/calendar": {}}}})
def calendar(request: Request, series_id: str, p: Principal | None = Depends(caller)) -> Response:
    return Response(dlg.calendar(store_of(request), p, series_id), media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{series_id}.ics"'})


@route("GET", "/meetings/{meeting_id}/since-last", Action.DIALOGUE_READ,
       summary="What changed since the previous meeting: agreements, incidents, action items")
def since_last(request: Request, meeting_id: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(dlg.since_last_meeting(store_of(request), p, meeting_id))
