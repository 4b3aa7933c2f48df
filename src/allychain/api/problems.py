"""Errors as ``application/problem+json`` (RFC 9457).

Every answer that is not a success carries ``type``, ``title``, ``status``,
``detail`` (what went wrong and how to fix it) and ``instance`` (the request
path).  Validation errors add ``errors`` (one entry per bad parameter: where,
what was given, what was expected); data errors add ``problems`` (file, row,
column, value, expected).
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from allychain.api.jobs import QueueFull
from allychain.api.serialize import jsonable
from allychain.errors import (
    AllychainError,
    DataError,
    DisclosureError,
    InfeasibleError,
    ResourceLimitError,
    ScenarioError,
    SolverError,
    UnknownMemberError,
)

__all__ = ["ApiProblem", "problem_response", "install_handlers", "PROBLEM_TYPE", "PROBLEM_SCHEMA"]

log = logging.getLogger(__name__)

PROBLEM_TYPE = "/problems/"
MEDIA_TYPE = "application/problem+json"

#: OpenAPI description of a problem document (used in the route declarations)
PROBLEM_SCHEMA: dict[str, Any] = {
    "description": "Problem details (RFC 9457)",
    "content": {MEDIA_TYPE: {"schema": {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "instance": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object"}},
            "problems": {"type": "array", "items": {"type": "object"}},
        },
    }}},
}


class ApiProblem(Exception):
    """An error raised by an API route with its HTTP status and problem type."""

    def __init__(self, status: int, kind: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail, self.extra = status, kind, title, detail, extra


class ProblemJSON(JSONResponse):
    """JSON with non-ASCII characters escaped: a lone surrogate echoed from the request
    (valid in JSON text, not encodable as UTF-8) stays ``\\ud800`` instead of failing."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":"),
                          default=str).encode("ascii")


def problem_response(request: Request, status: int, kind: str, title: str, detail: str,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_TYPE + kind, "title": title, "status": status, "detail": detail,
            "instance": request.url.path, **{k: jsonable(v) for k, v in extra.items()}}
    return ProblemJSON(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _classify(exc: AllychainError) -> tuple[int, str, str]:
    if isinstance(exc, UnknownMemberError):
        return 422, "unknown-member", "Unknown member"
    if isinstance(exc, DataError):
        return 422, "data-error", "Invalid data"
    if isinstance(exc, ScenarioError):
        return 422, "scenario-error", "Invalid scenario"
    if isinstance(exc, InfeasibleError):
        return 422, "infeasible", "No feasible solution"
    if isinstance(exc, SolverError):
        return 503, "solver-error", "Solver failed"
    if isinstance(exc, DisclosureError):
        return 409, "disclosure-refused", "Release refused by disclosure control"
    if isinstance(exc, ResourceLimitError):  # refused before allocating: a smaller request fits
        return 413, "too-large", "Too large"
    return 400, "bad-request", "Request cannot be answered"


def error_document(exc: BaseException) -> dict[str, Any]:
    """Problem fields (without instance) for an exception raised inside a job."""
    if isinstance(exc, ApiProblem):
        return {"type": PROBLEM_TYPE + exc.kind, "title": exc.title, "status": exc.status, "detail": exc.detail,
                **exc.extra}
    if isinstance(exc, AllychainError):
        status, kind, title = _classify(exc)
        doc: dict[str, Any] = {"type": PROBLEM_TYPE + kind, "title": title, "status": status, "detail": str(exc)}
        if isinstance(exc, DataError):
            doc["problems"] = [p.to_dict() for p in exc.problems]
        return doc
    if isinstance(exc, MemoryError):
        return {"type": PROBLEM_TYPE + "too-large", "title": "Too large", "status": 413,
                "detail": "the job needs more memory than this server has; use a shorter horizon, fewer steps or "
                          "a shorter lead time"}
    return {"type": PROBLEM_TYPE + "internal", "title": "Internal error", "status": 500,
            "detail": f"{type(exc).__name__}: {exc}"}


def _where(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("query", "path", "body")]
    return ".".join(parts) or "request"


def install_handlers(app: FastAPI) -> None:
    """Register the problem+json handlers on ``app``."""

    @app.exception_handler(ApiProblem)
    async def _api(request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(request, exc.status, exc.kind, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(AllychainError)
    async def _ally(request: Request, exc: AllychainError) -> JSONResponse:
        status, kind, title = _classify(exc)
        extra: dict[str, Any] = {}
        if isinstance(exc, DataError):
            extra["problems"] = [p.to_dict() for p in exc.problems]
        return problem_response(request, status, kind, title, str(exc), **extra)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            loc = e.get("loc", ())
            errors.append({"in": loc[0] if loc else None, "parameter": _where(loc), "message": e.get("msg"),
                           "value": jsonable(e.get("input")) if not isinstance(e.get("input"), dict) else None,
                           "type": e.get("type")})
        detail = "; ".join(f"{x['parameter']}: {x['message']}" for x in errors) or "invalid request"
        return problem_response(request, 422, "validation-error", "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no such address {request.url.path}; the API is described at /openapi.json"
        try:
            title = HTTPStatus(exc.status_code).phrase
        except ValueError:
            title = "Error"
        resp = problem_response(request, exc.status_code, kind, title, detail)
        for k, v in (getattr(exc, "headers", None) or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(QueueFull)
    async def _full(request: Request, exc: QueueFull) -> JSONResponse:
        return problem_response(request, 429, "too-many-jobs", "Too many jobs", str(exc),
                                headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(MemoryError)
    async def _memory(request: Request, exc: MemoryError) -> JSONResponse:
        doc = error_document(exc)
        return problem_response(request, doc["status"], "too-large", doc["title"], doc["detail"])

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(request, 500, "internal", "Internal error",
                                f"{type(exc).__name__}: {exc} (this is a bug in allychain; please report it)")
