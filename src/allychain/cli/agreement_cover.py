"""The ``--db`` / ``--workspace`` options that read the agreement cover from the workspace's registry, shared by
``analyze severity`` and ``watch list`` (the same database options as the ``workspace`` commands; the caller's
token in ``$ALLYCHAIN_TOKEN``)."""

from __future__ import annotations

import os
from typing import Any

import typer

__all__ = ["CoverDbOpt", "CoverWsOpt", "read_cover"]

CoverDbOpt = typer.Option(None, "--db", help="Workspace database URL or SQLite file: read the agreements in force "
                          "for the agreement cover (with $ALLYCHAIN_TOKEN). Without it the cover is not assessed.",
                          show_default=False)
CoverWsOpt = typer.Option(False, "--workspace", help="Read the agreement cover from the workspace database "
                          "($ALLYCHAIN_DB, else the embedded one).")


def read_cover(db: str | None, workspace: bool, members: list[str]) -> Any:
    """The :class:`~allychain.services.agreement_cover.AgreementCover` of ``members``, or None without a workspace."""
    if db is None and not workspace:
        return None
    from allychain.errors import AuthenticationError
    from allychain.services.agreement_cover import agreement_cover
    from allychain.store import open_store
    from allychain.workspace.accounts import authenticate_token
    from allychain.workspace.agreements import coverage

    token = os.environ.get("ALLYCHAIN_TOKEN")
    if not token:
        raise AuthenticationError("set ALLYCHAIN_TOKEN to your workspace API token to read the agreements (--db/"
                                  "--workspace)")
    store = open_store(db)
    try:
        rows = coverage(store, authenticate_token(store, token, source="cli"))
    finally:
        store.dispose()
    cover = agreement_cover(rows, members)
    if cover.unmatched:
        typer.echo("agreement cover: receivers that are organisations are not matched to a member: "
                   + ", ".join(cover.unmatched), err=True)
    return cover
