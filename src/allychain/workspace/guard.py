"""Refusals are audited too: a decorator for service functions ``f(store, principal, …)``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from allychain.errors import NotFound, PermissionDenied
from allychain.workspace import audit

__all__ = ["audited_refusals"]

F = TypeVar("F", bound=Callable[..., Any])


def audited_refusals(action: str) -> Callable[[F], F]:
    """Record a ``denied`` audit event (in its own transaction) when the wrapped service
    refuses with 403 or 404, then re-raise.  The first positional argument after the
    principal, when a string, is recorded as the object id."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(store: Any, p: Any, *args: Any, **kw: Any) -> Any:
            try:
                return fn(store, p, *args, **kw)
            except (PermissionDenied, NotFound) as exc:
                if p is not None:
                    obj = args[0] if args and isinstance(args[0], str) else None
                    audit.record_alone(store, p, action, outcome="denied", object_id=obj,
                                       status=exc.status)
                raise

        return inner  # type: ignore[return-value]

    return wrap
