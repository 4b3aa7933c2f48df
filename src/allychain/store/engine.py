"""Database engines: the embedded SQLite file and PostgreSQL through a URL.

SQLite runs in WAL mode with a busy timeout, foreign keys on, and every
transaction started with ``BEGIN IMMEDIATE`` so that two writers queue on the
lock instead of failing half-way; PostgreSQL runs with a connection pool.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from allychain.errors import AllychainError

__all__ = ["default_url", "resolve_url", "make_engine", "data_dir", "redact"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000


def data_dir() -> Path:
    """The user data folder: ``$ALLYCHAIN_DATA_DIR``, else ``$XDG_DATA_HOME/allychain``,
    else ``~/.local/share/allychain``."""
    env = os.environ.get("ALLYCHAIN_DATA_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "allychain"


def default_url() -> str:
    """The embedded workspace: a SQLite file ``workspace.db`` in the user data folder."""
    return f"sqlite:///{data_dir() / 'workspace.db'}"


def resolve_url(url: str | None) -> str:
    """``url``, else ``$ALLYCHAIN_DB``, else the embedded default; a bare path means a SQLite file.

    Raises
    ------
    AllychainError
        For a URL of an engine other than SQLite or PostgreSQL.
    """
    url = url or os.environ.get("ALLYCHAIN_DB") or default_url()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise AllychainError(f"workspace database {redact(url)}: unsupported engine {backend!r}; expected a SQLite "
                             "file or postgresql+psycopg://user@host/db")
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def redact(url: str) -> str:
    """The URL with any password hidden (for messages and logs)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown without its credentials part
        return url.split("@")[-1]


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """An engine for ``url`` (already resolved) with the settings above."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True,
                         pool_timeout=30, connect_args={"connect_timeout": 10})


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")
