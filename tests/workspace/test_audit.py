"""The audit trail: chained, complete, and `workspace audit verify` names the first tampered record."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

CAP = b"item,site,country,period,value,unit\nneon,Pyeongtaek,KOR,2025,100,t/year\n"


def _cli(args: list[str], token: str) -> Any:
    from typer.testing import CliRunner

    from allychain.cli.main import app

    return CliRunner().invoke(app, args, env={"ALLYCHAIN_TOKEN": token})


def _fill(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import submissions

    kim = people["p"]["submitter_samsung"]
    for i in range(3):
        sub = submissions.submit(store, kim, "capacity", CAP.replace(b"100", str(100 + i).encode()), "c.csv")
        submissions.get_submission(store, people["p"]["steward"], sub["id"])


def _tamper(store: Any, statements: list[str]) -> None:
    """What someone with direct database access could do, triggers switched off."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        for s in statements:
            conn.exec_driver_sql(s)


def test_every_action_is_chained_and_verifies(store: Any, people: dict[str, Any], db_url: str) -> None:
    from allychain.workspace import audit

    _fill(store, people)
    events = list(audit.export(store))
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
    reads = [e for e in events if e["action"] == "submission:read"]
    assert len(reads) == 3 and all(e["actor"] == "steward" and e["object_org"] == "samsung" and
                                   len(e["digest"]) == 64 for e in reads)
    res = _cli(["workspace", "audit", "verify", "--db", db_url, "--format", "json"], people["tokens"]["steward"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ok"] is True


@pytest.mark.parametrize(("how", "statements", "bad"), [
    ("edit", ["UPDATE audit_events SET actor = 'someone-else' WHERE seq = 12"], 12),
    ("delete", ["DELETE FROM audit_events WHERE seq = 12"], 12),
    ("reorder", ["UPDATE audit_events SET seq = -1 WHERE seq = 12", "UPDATE audit_events SET seq = 12 WHERE seq = 13",
                 "UPDATE audit_events SET seq = 13 WHERE seq = -1"], 12),
    ("cut the end", ["DELETE FROM audit_events WHERE seq >= 15"], 15),
])
def test_tampering_is_named_by_audit_verify(store: Any, people: dict[str, Any], db_url: str, how: str,
                                            statements: list[str], bad: int) -> None:
    _fill(store, people)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT max(seq) FROM audit_events").scalar() >= 16
    _tamper(store, statements)
    res = _cli(["workspace", "audit", "verify", "--db", db_url], people["tokens"]["admin"])
    assert res.exit_code == 1, res.output
    assert f"broken at record {bad}:" in res.stderr


def test_concurrent_writers_form_one_chain(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import audit, submissions

    errors: list[BaseException] = []

    def work(who: str) -> None:
        try:
            for _ in range(4):
                submissions.submit(store, people["p"][who], "capacity", CAP, "c.csv")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in ("submitter_samsung", "submitter_asml") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert audit.verify(store).ok
    assert sum(e["action"] == "submission:create" for e in audit.export(store)) == 16


def test_keyed_chain_needs_the_key(store: Any, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """With ALLYCHAIN_AUDIT_KEY the links are HMACs: whoever lacks the key cannot recompute them."""
    from allychain.workspace import audit, submissions

    n = len(list(audit.export(store)))
    monkeypatch.setenv("ALLYCHAIN_AUDIT_KEY", "k" * 32)
    res = audit.verify(store)  # the records written so far are plain SHA-256 links
    assert not res.ok and res.bad_seq == 1 and "ALLYCHAIN_AUDIT_KEY" in res.reason
    submissions.submit(store, people["p"]["submitter_samsung"], "capacity", CAP, "c.csv")
    monkeypatch.delenv("ALLYCHAIN_AUDIT_KEY")
    res = audit.verify(store)
    assert not res.ok and res.bad_seq == n + 1 and "altered" in res.reason
