"""Host header allow-list: the server answers only requests addressed to a name it serves.

A web page the user opens can make the browser send requests to the loopback server
through a name the page's owner controls (DNS rebinding: ``evil.example`` first resolves
to the attacker, then to 127.0.0.1).  The browser then sends ``Host: evil.example``.
Answering only requests whose Host is an allowed name — by default the loopback names —
closes that door; every other request gets a ``400`` problem document and never reaches
a route.  Allowed names come from ``create_app(allowed_hosts=...)``, ``allychain serve
--allow-host NAME`` and ``$ALLYCHAIN_ALLOWED_HOSTS`` (comma-separated); ``*`` allows any
(only for a server behind a proxy that checks Host itself).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = ["HostAllowList", "LOOPBACK_NAMES", "allowed_hosts", "host_name"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def host_name(header: str) -> str:
    """The name of a Host header without the port (``[::1]:8000`` → ``::1``), lower case."""
    h = header.strip().lower()
    if h.startswith("["):
        end = h.find("]")
        return h[1:end] if end > 0 else h
    if h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".")


def allowed_hosts(extra: Iterable[str] | None = None) -> tuple[str, ...]:
    """Loopback names, ``extra`` and the names in ``$ALLYCHAIN_ALLOWED_HOSTS``."""
    env = [h for h in os.environ.get("ALLYCHAIN_ALLOWED_HOSTS", "").split(",") if h.strip()]
    names = [*LOOPBACK_NAMES, *(extra or ()), *env]
    return tuple(dict.fromkeys(host_name(h) if h.strip() != "*" else "*" for h in names))


class HostAllowList:
    """ASGI middleware answering 400 (problem+json) to a request whose Host is not allowed."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] not in ("http", "websocket") or "*" in self.allowed:
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers") or []).get(b"host", b"")
        name = host_name(raw.decode("latin-1"))
        if name in self.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        shown = name[:100] if name.isprintable() else repr(name[:100])
        body = json.dumps({
            "type": "/problems/host-not-allowed", "title": "Host not allowed", "status": 400,
            "detail": f"this server answers requests for {', '.join(sorted(self.allowed))}, not for host "
                      f"{shown!r} (a web page addressing the server through another name is refused; allow a "
                      "name with `allychain serve --allow-host NAME` or ALLYCHAIN_ALLOWED_HOSTS)",
            "instance": scope.get("path", ""),
        }, ensure_ascii=True).encode()
        await send({"type": "http.response.start", "status": 400,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
