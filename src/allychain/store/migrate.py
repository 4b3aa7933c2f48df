"""Alembic migrations, run programmatically (the scripts ship inside the package)."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine, inspect

__all__ = ["upgrade", "current_revision", "head_revision", "MIGRATIONS"]

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(engine: Engine | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate the database to ``revision`` (default: the newest); returns the revision reached."""
    from alembic import command

    command.upgrade(_config(engine), revision)
    rev = current_revision(engine)
    log.info("workspace schema at revision %s", rev)
    return rev or "base"


def current_revision(engine: Engine) -> str | None:
    """The database's revision (``None`` for an empty database)."""
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head
