"""The alliance workspace: application services over :mod:`allychain.store`.

Organisations, users and roles (:mod:`.accounts`), confidential submissions
(:mod:`.submissions`), the audit trail (:mod:`.audit`, :mod:`.trail`) and the
permission matrix with its single enforcement point (:mod:`.authz`).  Every
service takes the store and the acting :class:`~.authz.Principal` first and calls
:func:`~.authz.authorize` itself, so the CLI, the REST API and the dashboard get the
same answers and none can bypass the matrix.
"""

from __future__ import annotations

from allychain.workspace.authz import ROLES, Action, Principal, Scope, authorize, matrix

__all__ = ["Action", "Principal", "Scope", "ROLES", "authorize", "matrix", "open_workspace"]


def open_workspace(url: str | None = None, migrate: bool = False):  # type: ignore[no-untyped-def]
    """Open the workspace database (see :func:`allychain.store.open_store`)."""
    from allychain.store import open_store

    return open_store(url, migrate=migrate)
