"""Secrets never appear in logs, audit records, error messages or stored rows (the test greps for them)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest


def test_no_password_or_token_leaks(store: Any, db_url: str, builtin_network: Any, ws_tools: Any,
                                    caplog: pytest.LogCaptureFixture) -> None:
    from allychain.api import create_app
    from allychain.workspace import accounts, audit

    caplog.set_level(logging.DEBUG)
    secrets_seen: list[str] = []
    boot = accounts.bootstrap(store, password="the-admin-password-123")
    secrets_seen += [boot["token"], "the-admin-password-123"]
    admin = accounts.authenticate_token(store, boot["token"])
    accounts.add_org(store, admin, "samsung", "Samsung", "company", "KOR")
    user = accounts.add_user(store, admin, "kim", "samsung", ["submitter"], password="kims-secret-password")
    secrets_seen += [user["token"], "kims-secret-password"]
    kim = accounts.authenticate_token(store, user["token"])
    extra = accounts.create_token(store, kim, description="ci")
    secrets_seen.append(extra["token"])
    accounts.revoke_token(store, kim, extra["id"])
    wrong = "a-wrong-password-guess"
    secrets_seen.append(wrong)
    bodies: list[str] = []
    with ws_tools.client_for(create_app(builtin_network, workspace=store)) as client:
        for header in (f"Bearer {extra['token']}", f"Bearer {user['token']}x", f"Bearer {boot['token'][:-2]}"):
            bodies.append(client.get("/api/ws/me", headers={"Authorization": header}).text)
        page = client.get("/ws/login")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        res = client.post("/ws/login", data={"username": "kim", "password": wrong, "csrf": csrf})
        bodies.append(res.text)
        res = client.post("/ws/login", data={"username": "kim", "password": "kims-secret-password", "csrf": csrf},
                          follow_redirects=False)
        session = res.cookies.get("allychain_session") or client.cookies.get("allychain_session")
        assert session
        secrets_seen.append(session)
        bodies.append(client.get("/ws/").text)
        bodies.append(client.get("/api/ws/me", headers={"Authorization": f"Bearer {user['token']}"}).text)
        bodies.append(client.post("/api/ws/tokens", json={"days": 5000},
                                  headers={"Authorization": f"Bearer {user['token']}"}).text)
    trail = "\n".join(json.dumps(e) for e in audit.export(store))
    with store.engine.connect() as conn:
        stored = "\n".join(str(r) for t in ("tokens", "users", "audit_events", "audit_head")
                           for r in conn.exec_driver_sql(f"SELECT * FROM {t}").all())
    logs = caplog.text
    assert "auth:login" in trail and "token:create" in trail and "token:revoke" in trail
    for secret in secrets_seen:
        bare = secret.split("_", 2)[2] if secret.startswith("ally_") else secret
        for where, text in (("logs", logs), ("audit", trail), ("responses", "\n".join(bodies)),
                            ("database", stored)):
            assert bare not in text, f"a secret appears in the {where}"


def test_database_password_is_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    from allychain.errors import WorkspaceUnavailable
    from allychain.store import open_store, redact

    caplog.set_level(logging.DEBUG)
    url = "postgresql+psycopg://app:hunter2-db-secret@127.0.0.1:1/allychain"
    assert "hunter2-db-secret" not in redact(url) and "***" in redact(url)
    with pytest.raises(WorkspaceUnavailable) as info:
        open_store(url)
    assert "hunter2-db-secret" not in str(info.value) and "127.0.0.1" in str(info.value)
    assert "hunter2-db-secret" not in caplog.text
