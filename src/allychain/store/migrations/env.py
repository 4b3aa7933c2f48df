"""Alembic environment: runs on the engine handed over by allychain.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from allychain.store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=is_sqlite,
                      compare_type=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # one migrator at a time; never wait forever on a lock held by the running application
            connection.execute(text("SELECT pg_advisory_xact_lock(7355608)"))
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        context.run_migrations()
    connection.commit()
