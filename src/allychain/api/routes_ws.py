"""The workspace REST API under ``/api/ws/`` (served when ``create_app(workspace=…)``).

Callers authenticate with ``Authorization: Bearer <token>``.  Every route declares
the :class:`~allychain.workspace.authz.Action` it performs with :func:`route`; the
declaration both registers the route in :data:`ROUTE_ACTIONS` (the permission tests
are generated from it, so a route without an action fails them) and checks the
caller with :func:`~allychain.workspace.authz.authorize` — the same function the
services call again with the object in hand.  Errors are problem+json: 401 without
valid credentials, 403 when the role never allows the action, 404 for objects the
caller may not know exist, 412 for a stale ``If-Match``, 413 for uploads over the
limit, 415 for other content types, 422 with every problem of a bad file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Body, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response

from allychain.api.problems import PROBLEM_SCHEMA, ApiProblem, problem_response
from allychain.errors import AuthenticationError, PermissionDenied, UnsupportedMediaType, WorkspaceError
from allychain.store import Store
from allychain.workspace import accounts, audit, submissions, trail
from allychain.workspace.authz import ROLES, Action, Principal, authorize, matrix
from allychain.workspace.validation import MAX_BYTES

__all__ = ["router", "install", "ROUTE_ACTIONS", "MAX_BODY"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/ws", tags=["workspace"])

#: (method, path) → the action the route performs (read by the generated permission tests)
ROUTE_ACTIONS: dict[tuple[str, str], Action] = {}
#: the largest request body read (a file at the limit plus multipart framing)
MAX_BODY = MAX_BYTES + 64 * 1024

ERRORS: dict[int | str, dict[str, Any]] = {s: PROBLEM_SCHEMA for s in (401, 403, 404)}


def store_of(request: Request) -> Store:
    return request.app.state.workspace  # type: ignore[no-any-return]


def _source(request: Request) -> str:
    return request.client.host if request.client else ""


def caller(request: Request) -> Principal | None:
    """The principal of the request's Bearer token (``None`` without an Authorization header)."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("use 'Authorization: Bearer <token>'")
    p = accounts.authenticate_token(store_of(request), token.strip(), source=_source(request))
    request.state.principal = p
    return p


def route(method: str, path: str, action: Action, status_code: int = 200, **kw: Any) -> Callable[[Any], Any]:
    """Declare a workspace route and the action it performs (checked before the handler runs)."""
    ROUTE_ACTIONS[(method, router.prefix + path)] = action

    def check(request: Request, p: Principal | None = Depends(caller)) -> Principal:
        try:
            authorize(p, action)
        except PermissionDenied:
            audit.record_alone(store_of(request), p, action, outcome="denied", status=403)
            raise
        assert p is not None
        return p

    responses = {**ERRORS, **kw.pop("responses", {})}
    deco = router.api_route(path, methods=[method], status_code=status_code, responses=responses,
                            dependencies=[Depends(check)], **kw)
    return deco


def install(app: FastAPI, store: Store) -> None:
    """Serve the workspace API on ``app`` backed by ``store``."""
    app.state.workspace = store

    @app.exception_handler(WorkspaceError)
    async def _ws(request: Request, exc: WorkspaceError) -> JSONResponse:
        extra = {k: getattr(exc, k) for k in ("problems", "conflicting") if getattr(exc, k, None)}
        resp = problem_response(request, exc.status, exc.kind, exc.title, str(exc), **extra)
        if exc.status == 401:
            resp.headers["WWW-Authenticate"] = 'Bearer realm="allychain"'
        return resp

    app.include_router(router)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


# -- account ---------------------------------------------------------------------------------------------------

@route("GET", "/me", Action.SELF_READ, summary="Who am I: user, organisation, roles")
def me(request: Request, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(accounts.whoami(store_of(request), p))


@route("GET", "/roles", Action.ROLES, summary="The permission matrix: action × role → any / own / -")
def roles(request: Request) -> JSONResponse:
    labels = {0: "-", 1: "own", 2: "any"}
    return _json({"roles": list(ROLES),
                  "matrix": [{"action": str(a), **{r: labels[int(s[r])] for r in ROLES}} for a, s in matrix().items()]})


@route("GET", "/organisations", Action.ORG_LIST, summary="Organisations the caller may see")
def organisations(request: Request, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(accounts.list_orgs(store_of(request), p))


@route("POST", "/organisations", Action.ORG_CREATE, status_code=201, summary="Create an organisation (admin)")
def create_organisation(request: Request, p: Principal | None = Depends(caller),
                        body: dict[str, Any] = Body(..., examples=[{"id": "samsung", "name": "Samsung Electronics",
                                                                     "kind": "company", "country": "KOR"}])
                        ) -> JSONResponse:
    out = accounts.add_org(store_of(request), p, str(body.get("id", "")), str(body.get("name", "")),
                           str(body.get("kind", "")), body.get("country"))
    return _json(out, 201)


@route("GET", "/users", Action.USER_LIST, summary="User accounts (admin)")
def users(request: Request, p: Principal | None = Depends(caller),
          organisation: str | None = Query(None)) -> JSONResponse:
    return _json(accounts.list_users(store_of(request), p, organisation))


@route("POST", "/users", Action.USER_CREATE, status_code=201,
       summary="Create a user with roles; the answer holds the first API token, shown only now")
def create_user(request: Request, p: Principal | None = Depends(caller),
                body: dict[str, Any] = Body(..., examples=[{"name": "kim", "organisation": "samsung",
                                                             "roles": ["submitter"]}])) -> JSONResponse:
    roles_ = body.get("roles") or []
    if not isinstance(roles_, list):
        raise WorkspaceError("roles: expected a list of role names")
    out = accounts.add_user(store_of(request), p, str(body.get("name", "")), str(body.get("organisation", "")),
                            [str(r) for r in roles_], password=body.get("password"))
    return _json(out, 201, {"Cache-Control": "no-store"})


@route("POST", "/users/{name}/roles", Action.ROLE_GRANT, summary="Give a role to a user (admin)")
def grant(request: Request, name: str, p: Principal | None = Depends(caller),
          body: dict[str, Any] = Body(..., examples=[{"role": "analyst"}])) -> JSONResponse:
    return _json(accounts.grant_role(store_of(request), p, name, str(body.get("role", ""))))


@route("DELETE", "/users/{name}/roles/{role}", Action.ROLE_REVOKE, summary="Take a role from a user (admin)")
def revoke(request: Request, name: str, role: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(accounts.revoke_role(store_of(request), p, name, role))


@route("GET", "/tokens", Action.TOKEN_LIST, summary="The caller's API tokens (never their secrets)")
def tokens(request: Request, p: Principal | None = Depends(caller), user: str | None = Query(None)) -> JSONResponse:
    return _json(accounts.list_tokens(store_of(request), p, user))


@route("POST", "/tokens", Action.TOKEN_CREATE, status_code=201,
       summary="Create an API token; the secret is in the answer, shown only now")
def create_token(request: Request, p: Principal | None = Depends(caller),
                 body: dict[str, Any] = Body(default_factory=dict, examples=[{"description": "laptop", "days": 30}])
                 ) -> JSONResponse:
    days = body.get("days", accounts.TOKEN_DAYS)
    if not isinstance(days, int) or isinstance(days, bool):
        raise WorkspaceError("days: expected a whole number of days (1-366)")
    out = accounts.create_token(store_of(request), p, body.get("user"), str(body.get("description", "")), days)
    return _json(out, 201, {"Cache-Control": "no-store"})


@route("DELETE", "/tokens/{token_id}", Action.TOKEN_REVOKE, summary="Revoke an API token")
def revoke_token(request: Request, token_id: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    return _json(accounts.revoke_token(store_of(request), p, token_id))


# -- submissions -----------------------------------------------------------------------------------------------

async def _read_capped(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large(int(declared))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _too_large(size)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # noqa: SLF001 - lets request.form() parse what was read here
    return body


def _too_large(size: int) -> WorkspaceError:
    from allychain.errors import PayloadTooLarge

    return PayloadTooLarge(f"the request body is over {size} bytes; the limit is {MAX_BYTES} bytes per file")


async def _upload(request: Request, kind: str | None) -> tuple[str, bytes, str]:
    """(kind, file bytes, file name) from a text/csv body or a multipart form with ``file``."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("text/csv", "application/csv", "multipart/form-data"):
        raise UnsupportedMediaType(f"content type {ctype or '(none)'!r}: send the CSV file as text/csv, or as "
                                   "multipart/form-data with a 'file' part")
    body = await _read_capped(request)
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_BODY)
        part = form.get("file")
        if part is None or isinstance(part, str):
            raise WorkspaceError("multipart upload without a 'file' part holding the CSV file")
        data = await part.read()
        name = part.filename or "upload.csv"
        kind = kind or (str(form.get("kind")) if form.get("kind") else None)
    else:
        data, name = body, request.headers.get("x-filename", "upload.csv")
    if not kind:
        raise WorkspaceError("which table is this? give kind=capacity, inventory or sourcing")
    return kind, data, name[:200]


def _expected_version(sub_id: str, header: str | None, required: bool) -> int | None:
    if header is None:
        if required:
            raise ApiProblem(428, "precondition-required", "If-Match required",
                             f"send If-Match with the ETag of submission {sub_id} (from GET) to correct it")
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    sid, _, ver = tag.rpartition(".v")
    if sid != sub_id or not ver.isdigit():
        from allychain.errors import PreconditionFailed

        raise PreconditionFailed(f"If-Match {header!r} is not an ETag of submission {sub_id}")
    return int(ver)


_UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}, "kind": {"type": "string"}}, "required": ["file"]}}}}}
_UPLOAD_ERRORS = {s: PROBLEM_SCHEMA for s in (412, 413, 415, 422)}


@route("POST", "/submissions", Action.SUBMISSION_CREATE, status_code=201, openapi_extra=_UPLOAD_BODY,
       responses=_UPLOAD_ERRORS,
       summary="Submit a confidential table (text/csv body or multipart file); 201 with id and version")
async def create_submission(request: Request, p: Principal | None = Depends(caller),
                            kind: str | None = Query(None, description="capacity, inventory or sourcing")
                            ) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    kind, data, name = await _upload(request, kind)
    key = request.headers.get("idempotency-key")
    out = await run_in_threadpool(submissions.submit, store_of(request), p, kind, data, name, key)
    headers = {"ETag": out["etag"], "Location": f"/api/ws/submissions/{out['id']}"}
    return _json(out, 201 if out["created"] else 200, headers)


@route("GET", "/submissions", Action.SUBMISSION_LIST, summary="Submissions the caller may see (metadata)")
def list_submissions(request: Request, p: Principal | None = Depends(caller),
                     kind: str | None = Query(None)) -> JSONResponse:
    return _json(submissions.list_submissions(store_of(request), p, kind))


@route("GET", "/submissions/{sub_id}", Action.SUBMISSION_READ,
       summary="A submission, its versions and the data of one version (audited)")
def get_submission(request: Request, sub_id: str, p: Principal | None = Depends(caller),
                   version: int | None = Query(None, ge=1)) -> JSONResponse:
    out = submissions.get_submission(store_of(request), p, sub_id, version)
    return _json(out, headers={"ETag": out["etag"], "Cache-Control": "no-store"})


@route("PUT", "/submissions/{sub_id}", Action.SUBMISSION_CORRECT, openapi_extra=_UPLOAD_BODY,
       responses={**_UPLOAD_ERRORS, 428: PROBLEM_SCHEMA},
       summary="Correct a submission: a new version; If-Match with the current ETag is required")
async def correct_submission(request: Request, sub_id: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    from starlette.concurrency import run_in_threadpool

    expected = _expected_version(sub_id, request.headers.get("if-match"), required=True)
    _, data, name = await _upload(request, "the submission's own")
    out = await run_in_threadpool(submissions.correct, store_of(request), p, sub_id, data, name, expected)
    return _json(out, headers={"ETag": out["etag"]})


@route("DELETE", "/submissions/{sub_id}", Action.SUBMISSION_WITHDRAW, responses={412: PROBLEM_SCHEMA},
       summary="Withdraw a submission (it stops being used; the record remains); If-Match optional")
def withdraw_submission(request: Request, sub_id: str, p: Principal | None = Depends(caller)) -> JSONResponse:
    expected = _expected_version(sub_id, request.headers.get("if-match"), required=False)
    return _json(submissions.withdraw(store_of(request), p, sub_id, expected))


# -- audit -----------------------------------------------------------------------------------------------------

@route("GET", "/audit", Action.AUDIT_READ, summary="Audit records after a sequence number (stewards, admins)")
def audit_events(request: Request, p: Principal | None = Depends(caller), after: int = Query(0, ge=0),
                 limit: int = Query(100, ge=1, le=1000)) -> JSONResponse:
    return _json(trail.read_events(store_of(request), p, after=after, limit=limit))


@route("GET", "/audit/verify", Action.AUDIT_VERIFY, summary="Verify the audit chain")
def audit_verify(request: Request, p: Principal | None = Depends(caller)) -> Response:
    return _json(trail.verify_chain(store_of(request), p).to_dict())


# the aggregates routes live in their own module; importing it registers them on ``router``
from allychain.api import routes_ws_aggregates, routes_ws_agreements, routes_ws_incidents  # noqa: E402,F401,I001
from allychain.api import routes_ws_dialogues  # noqa: E402,F401,I001
from allychain.api import routes_ws_watch  # noqa: E402,F401,I001
