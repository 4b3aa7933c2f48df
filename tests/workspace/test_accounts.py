"""Accounts: argon2id passwords, hashed tokens with expiry and revocation, roles by organisation kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from allychain.errors import AuthenticationError, Conflict, NotFound, PermissionDenied, TooManyAttempts, WorkspaceError


def test_bootstrap_only_once_and_token_stored_hashed(store: Any) -> None:
    from allychain.workspace import accounts

    boot = accounts.bootstrap(store)
    assert boot["token"].startswith("ally_") and boot["roles"] == ["admin"]
    with pytest.raises(Conflict):
        accounts.bootstrap(store, admin="other")
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT secret_hash, expires_at FROM tokens").all()
    secret = boot["token"].split("_", 2)[2]
    assert len(rows) == 1 and secret not in rows[0][0] and len(rows[0][0]) == 64 and rows[0][1] is not None


def test_password_is_argon2id(store: Any, people: dict[str, Any]) -> None:
    with store.engine.connect() as conn:
        hashes = [h for (h,) in conn.exec_driver_sql("SELECT password_hash FROM users WHERE password_hash IS NOT NULL")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_revoked_and_expired_tokens_are_refused(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import accounts

    kim = people["p"]["submitter_samsung"]
    made = accounts.create_token(store, kim, description="laptop", days=1)
    assert accounts.authenticate_token(store, made["token"]).name == kim.name
    accounts.revoke_token(store, kim, made["id"])
    with pytest.raises(AuthenticationError, match="not valid"):
        accounts.authenticate_token(store, made["token"])
    # the row stays, with its revocation time
    assert [t["revoked_at"] is not None for t in accounts.list_tokens(store, kim) if t["id"] == made["id"]] == [True]
    old = accounts.create_token(store, kim, days=1)
    from allychain.store.models import utcnow

    with store.transaction() as repo:
        repo.get_token(old["id"]).expires_at = utcnow() - dt.timedelta(seconds=1)
    with pytest.raises(AuthenticationError):
        accounts.authenticate_token(store, old["token"])
    # a right id with a wrong secret is refused too
    forged = old["token"][:-4] + ("AAAA" if not old["token"].endswith("AAAA") else "BBBB")
    with pytest.raises(AuthenticationError):
        accounts.authenticate_token(store, forged)


def test_token_lifetime_is_bounded(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import accounts

    with pytest.raises(WorkspaceError, match="1 to 366"):
        accounts.create_token(store, people["p"]["analyst_asml"], days=1000)


def test_tokens_of_others_are_out_of_reach(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import accounts

    p = people["p"]
    theirs = accounts.create_token(store, p["analyst_asml"])
    with pytest.raises(NotFound):
        accounts.revoke_token(store, p["analyst_samsung"], theirs["id"])
    assert accounts.revoke_token(store, people["admin"], theirs["id"])["revoked_at"] is not None


def test_steward_only_in_the_secretariat(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import accounts

    with pytest.raises(WorkspaceError, match="only for secretariat"):
        accounts.add_user(store, people["admin"], "bad-steward", "samsung", ["steward"])
    with pytest.raises(WorkspaceError, match="unknown role"):
        accounts.grant_role(store, people["admin"], "analyst-samsung", "superuser")


def test_only_admins_manage_accounts(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import accounts, audit

    for who in ("steward", "submitter_samsung", "analyst_asml", "observer_asml"):
        with pytest.raises(PermissionDenied):
            accounts.add_org(store, people["p"][who], "x-org", "X", "company")
        with pytest.raises(PermissionDenied):
            accounts.grant_role(store, people["p"][who], "analyst-asml", "submitter")
    denied = [e for e in audit.export(store) if e["outcome"] == "denied"]
    assert {(e["actor"], e["action"]) for e in denied} >= {("steward", "org:create"), ("analyst-asml", "role:grant")}


def test_role_changes_are_audited(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import accounts, audit

    out = accounts.grant_role(store, people["admin"], "analyst-asml", "submitter")
    assert out["roles"] == ["analyst", "submitter"] and out["changed"]
    accounts.revoke_role(store, people["admin"], "analyst-asml", "submitter")
    events = [(e["action"], e["object_id"], e["detail"].get("role")) for e in audit.export(store)]
    assert ("role:grant", "analyst-asml", "submitter") in events and ("role:revoke", "analyst-asml", "submitter") in events


def test_login_sessions_and_rate_limit(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import accounts, audit

    p, secret = accounts.login(store, "analyst-asml", "pw-analyst_asml-long-enough", source="127.0.0.1")
    assert p.auth == "session" and accounts.authenticate_session(store, secret).name == "analyst-asml"
    with pytest.raises(AuthenticationError):
        accounts.authenticate_token(store, secret)  # a session secret is not an API token
    accounts.logout(store, p)
    with pytest.raises(AuthenticationError):
        accounts.authenticate_session(store, secret)
    for _ in range(accounts.MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationError, match="wrong user name or password"):
            accounts.login(store, "analyst-asml", "wrong password!!")
    with pytest.raises(TooManyAttempts):
        accounts.login(store, "analyst-asml", "pw-analyst_asml-long-enough")
    outcomes = [e["outcome"] for e in audit.export(store) if e["action"] == "auth:login"]
    assert outcomes == ["ok"] + ["failed"] * accounts.MAX_FAILED_LOGINS + ["refused"]
    assert dt.timedelta(minutes=accounts.LOCKOUT_MINUTES) > dt.timedelta(0)
