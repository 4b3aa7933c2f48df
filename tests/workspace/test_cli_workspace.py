"""`allychain workspace …` end to end on the embedded default database (offline, no arguments)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CAP = "item,site,country,period,value,unit\nneon,Pyeongtaek,KOR,2025,100,t/year\n"


def run(args: list[str], env: dict[str, str], stdin: str | None = None, ok: bool = True) -> Any:
    from typer.testing import CliRunner

    from allychain.cli.main import app

    res = CliRunner().invoke(app, ["workspace", *args], env=env, input=stdin)
    if ok:
        assert res.exit_code == 0, (res.output, res.exception)
    return res


def test_workspace_cli_flow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLYCHAIN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("ALLYCHAIN_DB", raising=False)
    init = json.loads(run(["init", "--format", "json"], {}).stdout)
    assert init["created_admin"] and (tmp_path / "data" / "workspace.db").exists()
    again = json.loads(run(["init", "--format", "json"], {}).stdout)
    assert again["created_admin"] is False and "token" not in again
    admin = {"ALLYCHAIN_TOKEN": init["token"]}
    run(["org", "add", "samsung", "--name", "Samsung Electronics", "--kind", "company", "--country", "kor"], admin)
    made = json.loads(run(["user", "add", "kim", "--org", "samsung", "--role", "submitter", "--password-stdin"],
                          admin, stdin="a long enough password\n").stdout)
    assert made["token"].startswith("ally_") and made["roles"] == ["submitter"]
    kim = {"ALLYCHAIN_TOKEN": made["token"]}
    f = tmp_path / "capacity.csv"
    f.write_text(CAP)
    sub = json.loads(run(["submit", str(f), "--kind", "capacity", "--format", "json"], kim).stdout)
    assert sub["version"] == 1
    f.write_text(CAP.replace("100", "90"))
    fixed = json.loads(run(["submit", str(f), "--kind", "capacity", "--correct", sub["id"], "--if-version", "1",
                            "--format", "json"], kim).stdout)
    assert fixed["version"] == 2
    stale = run(["submit", str(f), "--kind", "capacity", "--correct", sub["id"], "--if-version", "1"], kim, ok=False)
    assert stale.exit_code != 0 and "version 2, not 1" in str(stale.exception)
    bad = tmp_path / "bad.csv"
    bad.write_text(CAP.replace("t/year", "furlongs"))
    res = run(["submit", str(bad), "--kind", "capacity"], kim, ok=False)
    assert res.exit_code == 3 and "bad.csv, row 2, column 'unit'" in res.stderr and "nothing stored" in res.stderr
    listed = json.loads(run(["submissions", "list", "--format", "json"], kim).stdout)
    assert [s["id"] for s in listed] == [sub["id"]]
    # the admin cannot read the company's data: the same matrix as the API
    denied = run(["submissions", "show", sub["id"]], admin, ok=False)
    assert "not permitted" in str(denied.exception)
    roles = json.loads(run(["roles", "--format", "json"], {}).stdout)
    assert {r["action"] for r in roles["matrix"]} >= {"submission:read", "audit:verify"}
    assert roles["roles"]["steward"]["org_kinds"] == ["secretariat"]
    tok = json.loads(run(["token", "create", "--description", "ci", "--days", "7"], kim).stdout)
    run(["token", "revoke", tok["id"]], kim)
    gone = run(["submissions", "list"], {"ALLYCHAIN_TOKEN": tok["token"]}, ok=False)
    assert "not valid" in str(gone.exception)
    verify = run(["audit", "verify", "--format", "json"], admin)
    assert json.loads(verify.stdout)["ok"]
    out = tmp_path / "audit.jsonl"
    run(["audit", "export", "--out", str(out)], admin)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0]["action"] == "workspace:init" and all("hash" in x for x in lines)


def test_cli_errors_without_traceback(tmp_path: Path) -> None:
    env = {"ALLYCHAIN_DATA_DIR": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    res = subprocess.run([sys.executable, "-m", "allychain", "workspace", "org", "list"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 4 and "workspace init" in res.stderr and "Traceback" not in res.stderr
    subprocess.run([sys.executable, "-m", "allychain", "workspace", "init"], env=env, capture_output=True,
                   timeout=120, check=True)
    res = subprocess.run([sys.executable, "-m", "allychain", "workspace", "org", "list"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 5 and "ALLYCHAIN_TOKEN" in res.stderr and "Traceback" not in res.stderr  # not permitted


def test_migrate_upgrades_an_older_database(tmp_path: Path) -> None:
    from allychain.store import make_engine
    from allychain.store.migrate import head_revision, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0001")
    engine.dispose()
    out = json.loads(run(["migrate", "--db", url, "--format", "json"], {}).stdout)
    assert out["from_revision"] == "0001" and out["to_revision"] == head_revision()
    res = run(["migrate", "--db", f"sqlite:///{tmp_path / 'none.db'}"], {}, ok=False)
    assert res.exit_code != 0 and "workspace init" in str(res.exception)
