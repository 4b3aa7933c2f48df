"""The store: migrations match the models, migrate keeps data, SQLite settings, append-only audit rows."""

from __future__ import annotations

from typing import Any

import pytest

SUBMITTER_CSV = b"item,site,country,period,value,unit\nneon,Pyeongtaek,KOR,2025,100,t/year\n"


def test_models_match_migrated_schema(store: Any) -> None:
    """Like `alembic check`: the migrations produce exactly what the models declare."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from allychain.store.models import Base

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path: Any) -> None:
    from allychain.store import open_store

    st = open_store(f"sqlite:///{tmp_path / 'w.db'}", migrate=True)
    with st.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    st.dispose()


def test_unmigrated_database_is_refused_with_advice(db_url: str) -> None:
    from allychain.store import SchemaError, open_store

    with pytest.raises(SchemaError, match="workspace init"):
        open_store(db_url)


def test_migration_from_first_revision_keeps_data(db_url: str) -> None:
    """A database created at revision 0001 and filled, then upgraded to head, keeps every row."""
    from allychain.store import make_engine, open_store, resolve_url
    from allychain.store.migrate import current_revision, head_revision, upgrade
    from allychain.store.repo import Store
    from allychain.workspace import accounts, audit, submissions

    engine = make_engine(resolve_url(db_url))
    assert upgrade(engine, "0001") == "0001"
    old = Store(engine, db_url)  # the services as they ran on the first schema
    boot = accounts.bootstrap(old)
    admin = accounts.authenticate_token(old, boot["token"])
    accounts.add_org(old, admin, "samsung", "Samsung", "company", "KOR")
    tok = accounts.add_user(old, admin, "kim", "samsung", ["submitter"])["token"]
    kim = accounts.authenticate_token(old, tok)
    sub = submissions.submit(old, kim, "capacity", SUBMITTER_CSV, "cap.csv")
    before = list(audit.export(old))
    engine.dispose()

    st = open_store(db_url, migrate=True)
    assert current_revision(st.engine) == head_revision() != "0001"
    kim2 = accounts.authenticate_token(st, tok)
    got = submissions.get_submission(st, kim2, sub["id"])
    assert got["data"]["csv"].encode() == SUBMITTER_CSV and got["version"] == 1
    assert list(audit.export(st))[: len(before)] == before
    assert audit.verify(st).ok
    # and the upgrade made the audit table append-only
    with pytest.raises(Exception, match="append-only"), st.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_events SET actor = 'x' WHERE seq = 1")
    st.dispose()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET outcome = 'denied' WHERE seq = 1",
                                       "DELETE FROM audit_events WHERE seq = 1"])
def test_audit_rows_cannot_be_updated_or_deleted(store: Any, statement: str) -> None:
    from allychain.workspace import accounts

    accounts.bootstrap(store)
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_events").scalar() == 1


def test_postgres_truncate_is_refused(pg_store: Any) -> None:
    from allychain.workspace import accounts

    accounts.bootstrap(pg_store)
    with pytest.raises(Exception, match="append-only"), pg_store.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE audit_events")


def test_postgres_application_role_cannot_rewrite_the_trail(pg_store: Any) -> None:
    """Deployed as docs/workspace.md says (migrations as the owner, the server as an application role), the
    application role writes audit records but can neither update, delete nor truncate them."""
    import secrets

    from allychain.store import open_store
    from allychain.workspace import accounts, audit

    store, db_url = pg_store, pg_store.url
    role = f"allychain_app_{secrets.token_hex(4)}"
    schema = db_url.split("search_path%3D", 1)[1]
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        conn.exec_driver_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}")
        conn.exec_driver_sql(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {role}")
        conn.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}")
    user = db_url.split("://", 1)[1].split("@", 1)[0]
    app_url = db_url.replace(f"://{user}@", f"://{role}@", 1)
    app = open_store(app_url)
    try:
        accounts.bootstrap(app)  # the application role appends audit records
        assert audit.verify(app).ok
        for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events",
                          "TRUNCATE audit_events"):
            with pytest.raises(Exception, match="permission denied|append-only"), app.engine.begin() as conn:
                conn.exec_driver_sql(statement)
    finally:
        app.dispose()
        with store.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


def test_downgrade_and_upgrade_round_trip(db_url: str) -> None:
    """Every migration can be undone and redone: base → head → base → head gives the models' schema."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from allychain.store import make_engine, resolve_url
    from allychain.store.migrate import _config, current_revision, head_revision, upgrade
    from allychain.store.models import Base

    engine = make_engine(resolve_url(db_url))
    try:
        upgrade(engine)
        command.downgrade(_config(engine), "base")
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision()
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []
    finally:
        engine.dispose()
