"""Persistence of the workspace: SQLAlchemy models, Alembic migrations, repositories.

Nothing outside this package imports SQLAlchemy.  :func:`open_store` gives a
:class:`Store` for a URL (a SQLite file by default, PostgreSQL in production);
``Store.transaction()`` yields a :class:`Repo` whose methods are the only queries.

>>> from allychain.store import open_store            # doctest: +SKIP
>>> store = open_store("sqlite:////tmp/ws.db", migrate=True)   # doctest: +SKIP
"""

from __future__ import annotations

import logging

from allychain.errors import WorkspaceUnavailable
from allychain.store.engine import data_dir, default_url, make_engine, redact, resolve_url
from allychain.store.repo import Repo, Store

__all__ = ["Store", "Repo", "open_store", "default_url", "resolve_url", "data_dir", "redact", "SchemaError"]

log = logging.getLogger(__name__)


class SchemaError(WorkspaceUnavailable):
    """The database is not at the revision this allychain expects (run ``allychain workspace migrate``)."""


def open_store(url: str | None = None, migrate: bool = False, pool_size: int = 10) -> Store:
    """Open the workspace database at ``url`` (see :func:`resolve_url`).

    Parameters
    ----------
    migrate
        Upgrade the schema to the newest revision first (creates it in an empty
        database); otherwise the database must already be at the newest revision.

    Raises
    ------
    SchemaError
        If the database is empty or at an older revision and ``migrate`` is false.
    WorkspaceUnavailable
        If the database cannot be reached.
    """
    from sqlalchemy.exc import OperationalError

    from allychain.store.migrate import current_revision, head_revision, upgrade

    url = resolve_url(url)
    engine = make_engine(url, pool_size=pool_size)
    try:
        if migrate:
            upgrade(engine)
        rev, head = current_revision(engine), head_revision()
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise WorkspaceUnavailable(f"cannot open the workspace database {redact(url)}: {reason}") from None
    if rev != head:
        engine.dispose()
        what = "has no workspace (run `allychain workspace init`)" if rev is None else (
            f"is at schema revision {rev}, this allychain needs {head} (run `allychain workspace migrate`)")
        raise SchemaError(f"the database {redact(url)} {what}")
    return Store(engine, url)
