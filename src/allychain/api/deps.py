"""Shared helpers of the route modules: the application state, cached JSON answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from allychain.api.state import AppState

__all__ = ["state_of", "cached", "split", "JSON"]

JSON = "application/json"


def state_of(request: Request) -> AppState:
    return request.app.state.allychain


def cached(request: Request, key: tuple[Any, ...], compute: Callable[[], Any]) -> Response:
    """The JSON answer for ``key``, computed once per server (see :class:`ResultCache`)."""
    body = state_of(request).cache.get_or_compute(key, compute)
    return Response(content=body, media_type=JSON, headers={"Cache-Control": "no-cache"})


def split(text: str | None) -> list[str] | None:
    """A comma-separated parameter as a list (``None`` stays ``None``; blanks dropped)."""
    if text is None:
        return None
    return [p.strip() for p in text.split(",") if p.strip()]
