"""Events read from text: ``POST /api/watch/extract``.

The body is JSON (``text``, optional ``date``, ``members``, ``language``, ``link``);
it is refused with 413 beyond :data:`MAX_BODY` bytes before it is parsed (the
``Content-Length`` header, then the bytes actually read), and with 422 when the text
is longer than the extractor's limit or is binary.  Spans index the submitted text in
Unicode code points.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from allychain.api.deps import JSON, state_of
from allychain.api.problems import PROBLEM_SCHEMA, ApiProblem
from allychain.api.serialize import dumps

__all__ = ["router", "MAX_BODY", "ExtractRequest", "extract"]

router = APIRouter(prefix="/api/watch", tags=["watch"],
                   responses={400: PROBLEM_SCHEMA, 413: PROBLEM_SCHEMA, 422: PROBLEM_SCHEMA})

#: Largest request body (bytes): the text limit (1,000,000 characters) in UTF-8 plus room for JSON
MAX_BODY = 4_500_000


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., description="The document's text (plain text; at most 1,000,000 characters).")
    date: str | None = Field(None, max_length=10, pattern=r"^\d{4}-\d{2}-\d{2}$",
                             description="Document date (YYYY-MM-DD) for relative dates ('next month').")
    members: str | None = Field(None, max_length=200, description="Members for the exposure (default: the "
                                                                  "server's members).")
    language: str = Field("en", max_length=8, pattern=r"^[a-z]{2,3}$", description="Lexicon language.")
    link: bool = Field(True, description="Add the members exposed to each event, through all tiers.")


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiProblem(413, "too-large", "Request too large",
                         f"the body has {int(declared):,} bytes; the limit is {MAX_BODY:,} (split the text)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiProblem(413, "too-large", "Request too large", f"the body exceeds {MAX_BODY:,} bytes "
                             "(split the text)")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/extract", summary="Events in a text: types, items, countries, firms, dates, with spans",
             openapi_extra={"requestBody": {"required": True, "content": {
                 JSON: {"schema": ExtractRequest.model_json_schema()}}}})
async def extract(request: Request) -> Response:
    raw = await _body(request)
    try:
        body = ExtractRequest.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{"loc": ["body", *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]}
                  for e in exc.errors(include_url=False, include_input=False)]
        raise ApiProblem(422, "validation-error", "Invalid request",
                         "the body must be JSON with a 'text' string (see /openapi.json)", errors=errors) from None
    st = state_of(request)

    def run() -> dict[str, Any]:
        from allychain.errors import TextInputError
        from allychain.services.watch import extract_and_link
        from allychain.watch import extract as extract_events

        try:
            if body.link:
                return extract_and_link(st.network, body.text, date=body.date, members=body.members or st.members,
                                        language=body.language)
            return extract_events(st.network, body.text, date=body.date, language=body.language).to_dict()
        except TextInputError as exc:
            raise ApiProblem(422, "unreadable-text", "Text cannot be read", str(exc)) from None

    out = await run_in_threadpool(run)
    return Response(content=dumps(out), media_type=JSON, headers={"Cache-Control": "no-store"})
