"""Workspace fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL: 127.0.0.1:5432 with trust authentication (user ``postgres``, else
``root``).  One uniquely named database is created per test session and dropped at
its end; each test gets a schema of its own in it.  If PostgreSQL cannot be
reached the PostgreSQL half fails under ``CI=true`` and is skipped, saying why,
elsewhere.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

PG_HOST = os.environ.get("ALLYCHAIN_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("ALLYCHAIN_TEST_PG_PORT", "5432"))
SUBMITTER_CSV = b"item,site,country,period,value,unit\nneon,Pyeongtaek,KOR,2025,100,t/year\n"


def _pg_connect(dbname: str = "postgres") -> tuple[Any, str]:
    import psycopg

    last: Exception | None = None
    for user in ("postgres", "root"):
        try:
            conn = psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=dbname, autocommit=True,
                                   connect_timeout=3)
            return conn, user
        except Exception as exc:  # noqa: BLE001 - try the next user, report the last failure
            last = exc
    raise RuntimeError(f"PostgreSQL on {PG_HOST}:{PG_PORT} is not reachable: {last}")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database for this test session; yields its URL (without a schema)."""
    try:
        conn, user = _pg_connect()
    except RuntimeError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{exc} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(f"{exc}: PostgreSQL tests skipped (they fail under CI=true)")
    name = f"allychain_test_{os.getpid()}_{secrets.token_hex(4)}"
    conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()


def new_url(request: pytest.FixtureRequest, engine: str, folder: Any) -> str:
    """A fresh empty database on ``engine``: a SQLite file in ``folder`` or a new PostgreSQL schema."""
    if engine == "sqlite":
        return f"sqlite:///{folder / ('ws-' + secrets.token_hex(4) + '.db')}"
    base = request.getfixturevalue("pg_database")
    schema = f"t_{secrets.token_hex(6)}"
    import psycopg

    dbname = base.rsplit("/", 1)[1]
    user = base.split("://", 1)[1].split("@", 1)[0]
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=user, dbname=dbname, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty database on each engine."""
    return new_url(request, request.param, tmp_path)


@pytest.fixture()
def store(db_url: str) -> Iterator[Any]:
    from allychain.store import open_store

    st = open_store(db_url, migrate=True)
    yield st
    st.dispose()


@pytest.fixture()
def people(store: Any) -> dict[str, Any]:
    return make_people(store)


def make_people(store: Any) -> dict[str, Any]:
    """An admin, a steward, two companies with a submitter, an analyst and an observer each.

    Returns principals and token secrets: ``people["p"][role_org]``, ``people["tokens"][role_org]``.
    """
    from allychain.workspace import accounts

    boot = accounts.bootstrap(store)
    admin = accounts.authenticate_token(store, boot["token"])
    accounts.add_org(store, admin, "samsung", "Samsung Electronics", "company", "KOR")
    accounts.add_org(store, admin, "asml", "ASML", "company", "NLD")
    tokens = {"admin": boot["token"]}
    specs = [("steward", "secretariat", "steward")]
    for org in ("samsung", "asml"):
        for role in ("submitter", "analyst", "observer"):
            specs.append((f"{role}_{org}", org, role))
    specs.append(("admin2_samsung", "samsung", "admin"))
    for name, org, role in specs:
        tokens[name] = accounts.add_user(store, admin, name.replace("_", "-"), org, [role],
                                         password=f"pw-{name}-long-enough")["token"]
    principals = {k: accounts.authenticate_token(store, t) for k, t in tokens.items()}
    return {"p": principals, "tokens": tokens, "admin": admin}


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2() -> Iterator[None]:
    """argon2id with small parameters in tests (production uses the library's defaults)."""
    from argon2 import PasswordHasher

    from allychain.workspace import accounts

    mp = pytest.MonkeyPatch()
    mp.setattr(accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def ws_tools() -> Any:
    """Helpers for fixtures of wider scope in the test modules (conftest is not importable)."""
    from types import SimpleNamespace

    return SimpleNamespace(new_url=new_url, make_people=make_people, client_for=client_for)


@pytest.fixture(scope="session")
def builtin_network() -> Any:
    from allychain.data.load import load

    return load("builtin")


def client_for(app: Any) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app, base_url="http://127.0.0.1")  # the server answers loopback Host names only


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: Any, builtin_network: Any) -> Iterator[Any]:
    """A served workspace (TestClient) with the people of :func:`make_people` and a submitter in the secretariat."""
    from types import SimpleNamespace

    from allychain.api import create_app
    from allychain.store import open_store
    from allychain.workspace import accounts

    url = new_url(request, request.param, tmp_path_factory.mktemp("api"))
    store = open_store(url, migrate=True)
    people = make_people(store)
    tok = accounts.add_user(store, people["admin"], "submitter-secretariat", "secretariat", ["submitter"])["token"]
    people["tokens"]["submitter_secretariat"] = tok
    people["p"]["submitter_secretariat"] = accounts.authenticate_token(store, tok)
    app = create_app(builtin_network, workspace=store)
    with client_for(app) as client:
        yield SimpleNamespace(app=app, client=client, store=store, people=people, url=url, engine=request.param)
    store.dispose()


@pytest.fixture()
def pg_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    """A migrated store on PostgreSQL only (for what exists only there: roles, grants, TRUNCATE)."""
    from allychain.store import open_store

    st = open_store(new_url(request, "postgresql", tmp_path), migrate=True)
    yield st
    st.dispose()
