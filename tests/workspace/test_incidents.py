"""The crisis workflow end to end (open → assess → allocate → close) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from allychain.errors import CommitmentConflict, Conflict, InvalidRecord, NotFound, PermissionDenied
from allychain.workspace import agreements as ag
from allychain.workspace import incidents as inc
from allychain.workspace.audit import verify

NEON = {"title": "Ukrainian neon purification halted", "items": ["neon"], "countries": ["UKR"],
        "shocks": [{"countries": ["UKR"], "items": ["neon"], "loss_fraction": 1.0, "onset": 5, "duration": 60}],
        "horizon": 90, "members": ["KOR", "NLD"],
        "shortfalls": [{"member": "KOR", "item": "neon", "amount": 90}, {"member": "NLD", "item": "neon", "amount": 60}],
        "supply": [{"member": "KOR", "item": "neon", "stockpile": 100}]}


def test_incident_end_to_end(store: Any, people: dict[str, Any], builtin_network: Any) -> None:
    p = people["p"]
    analyst, steward = p["analyst_samsung"], p["steward"]
    ag.register(store, steward, {"title": "KOR–NLD MOU on neon", "parties": ["KOR", "NLD"], "signed": "2026-01-01",
                                 "items": ["neon"], "source": "MOU text",
                                 "commitments": [{"item": "neon", "from": "KOR", "to": "NLD", "min": 50}]}, "mou")
    ag.set_status(store, steward, "mou", "in_force")
    opened = inc.open_incident(store, analyst, NEON)
    iid = opened["id"]
    assert opened["state"] == "open" and opened["organisation"] == "samsung"
    with pytest.raises(Conflict):  # no allocation before the assessment
        inc.allocate(store, analyst, iid)
    assessed = inc.assess(store, analyst, iid, builtin_network)
    exp = assessed["assessment"]["expected"]
    assert assessed["state"] == "assessed" and exp["total"]["total_loss"] > 0
    assert set(exp["members"]) == {"KOR", "NLD"}
    tts = exp["tts_ttr"][0]
    # the estimate's 60 days of full loss are the time to recover; the rest of the network covers ~29 days
    assert tts["nodes"] == "UKR/neon" and tts["ttr"] == 60.0 and 0 < tts["tts"] < tts["ttr"]  # unprotected
    allocated = inc.allocate(store, analyst, iid)
    res = allocated["allocation"]["result"]
    assert allocated["state"] == "responding"
    ship = {(r["from"], r["to"]): r["amount"] for r in res["allocation"]}
    assert ship == pytest.approx({("KOR", "KOR"): 50.0, ("KOR", "NLD"): 50.0})  # the MOU's 50 t are honoured
    assert res["commitments"][0]["name"] == "mou#1" and res["commitments"][0]["binding"]
    inc.record(store, analyst, iid, "decision", "KOR releases 50 t of its stockpile to NLD under the MOU")
    with pytest.raises(NotFound):  # another organisation's analyst cannot act on it (own scope)
        inc.record(store, p["analyst_asml"], iid, "note", "x")
    with pytest.raises(PermissionDenied):
        inc.get_incident(store, p["observer_samsung"], iid)
    closed = inc.close(store, steward, iid, "Deliveries resumed on day 52; NLD received 48 t", "Stockpile too small")
    rep = closed["report"]
    assert closed["state"] == "closed" and closed["closed_at"]
    assert [e["kind"] for e in rep["timeline"]] == ["opened", "assessment", "allocation", "decision", "closed"]
    assert [e["by"] for e in rep["timeline"]] == ["analyst-samsung"] * 4 + ["steward"]
    assert rep["expected"]["total"]["total_loss"] == exp["total"]["total_loss"]
    assert rep["happened"].startswith("Deliveries resumed") and rep["lessons"] == "Stockpile too small"
    with pytest.raises(Conflict):
        inc.record(store, steward, iid, "note", "after closing")
    # every transition audited with who and when, and the chain verifies
    with store.transaction() as repo:
        events = [e for e in repo.audit_events() if e.object_type == "incident" and e.outcome == "ok"]
    steps = [(e.action, json.loads(e.detail).get("kind"), e.actor) for e in events]
    assert steps == [("incident:open", "opened", "analyst-samsung"),
                     ("incident:update", "assessment", "analyst-samsung"),
                     ("incident:allocate", "allocation", "analyst-samsung"),
                     ("incident:update", "decision", "analyst-samsung"),
                     ("incident:update", "closed", "steward")]
    assert all(e.at for e in events)
    assert verify(store).ok


def test_incident_allocation_refused_on_conflicting_commitments(store: Any, people: dict[str, Any]) -> None:
    steward = people["p"]["steward"]
    for agr_id, to, amount in (("a", "NLD", 60), ("b", "JPN", 60)):
        ag.register(store, steward, {"title": agr_id, "parties": ["KOR", to], "signed": "2026-01-01",
                                     "items": ["neon"], "source": "MOU text",
                                     "commitments": [{"item": "neon", "from": "KOR", "to": to, "min": amount}]}, agr_id)
        ag.set_status(store, steward, agr_id, "in_force")
    body = {**NEON, "shortfalls": [{"member": "NLD", "item": "neon", "amount": 60},
                                   {"member": "JPN", "item": "neon", "amount": 60}]}
    iid = inc.open_incident(store, steward, body)["id"]
    with store.transaction() as repo:
        repo.get_incident(iid).state = "assessed"
    with pytest.raises(CommitmentConflict) as err:
        inc.allocate(store, steward, iid)
    assert err.value.conflicting == ["a#1", "b#1"]
    assert inc.get_incident(store, steward, iid)["state"] == "assessed"  # nothing changed
    assert verify(store).ok


def test_invalid_incident_nothing_stored(store: Any, people: dict[str, Any]) -> None:
    steward = people["p"]["steward"]
    for body, msg in (({**NEON, "items": ["unobtainium"]}, "items[0]: 'unobtainium'"),
                      ({**NEON, "countries": ["XXX"]}, "countries[0]: 'XXX'"),
                      ({**NEON, "shocks": [{"countries": ["UKR"], "loss_fraction": 2}]}, "shocks:"),
                      ({**NEON, "shortfalls": [{"member": "KOR", "item": "neon", "amount": -1}]}, "amount")):
        with pytest.raises(InvalidRecord) as err:
            inc.open_incident(store, steward, body)
        assert msg in str(err.value) and "nothing stored" in str(err.value)
    assert inc.list_incidents(store, steward) == []
    with pytest.raises(PermissionDenied):  # submitters do not open incidents
        inc.open_incident(store, people["p"]["submitter_samsung"], NEON)


def test_cli_incident(tmp_path: Path) -> None:
    import yaml
    from typer.testing import CliRunner

    from allychain.cli.main import app
    from allychain.store import open_store
    from allychain.workspace import accounts

    db = f"sqlite:///{tmp_path / 'ws.db'}"
    store = open_store(db, migrate=True)
    boot = accounts.bootstrap(store)
    tok = accounts.add_user(store, accounts.authenticate_token(store, boot["token"]), "stew", "secretariat",
                            ["steward"])["token"]
    store.dispose()
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["workspace", "incident", *args, "--db", db], env={"ALLYCHAIN_TOKEN": tok})

    f = tmp_path / "incident.yaml"
    f.write_text(yaml.safe_dump({**NEON, "countries": ["ZZZ"]}))
    bad = run("open", str(f))
    assert bad.exit_code == 3 and "countries[0]: 'ZZZ'" in bad.stderr
    f.write_text(yaml.safe_dump(NEON))
    iid = json.loads(run("open", str(f), "--format", "json").stdout)["id"]
    assert run("assess", iid).exit_code == 0
    plan = tmp_path / "plan.yaml"
    res = run("allocate", iid, "--plan-out", str(plan))
    assert res.exit_code == 0 and "100 of 150 units of shortfall covered" in res.stdout
    from allychain.data.spec import read_allocation_plan

    assert len(read_allocation_plan(plan).shortfalls) == 2  # the exported plan reads back
    assert run("record", iid, "release stockpile").exit_code == 0
    closed = run("close", iid, "--happened", "resumed", "--lessons", "stock more", "--format", "json")
    assert closed.exit_code == 0 and json.loads(closed.stdout)["lessons"] == "stock more"
    listed = json.loads(run("list", "--format", "json").stdout)
    assert [(i["id"], i["state"]) for i in listed] == [(iid, "closed")]


def test_incident_from_a_watched_event(store: Any, people: dict[str, Any]) -> None:
    """The watch hook's draft opens an incident; the event stays attached as its source."""
    draft = {"title": "export restriction: gallium (CHN → KOR)", "event_type": "export_restriction",
             "announced": "2026-07-03", "effective": "2026-08-01", "items": ["gallium"], "document": "notice.txt",
             "destinations": ["KOR"], "exposed_members": ["KOR"],
             "coverage": "the measure restricts exports to KOR only: NLD assessed for their own supply only",
             "evidence": [{"field": "trigger", "text": "export controls", "start": 4, "end": 19}]}
    shocks = [{"countries": ["CHN"], "items": ["gallium"], "loss_fraction": 0.5, "onset": 30, "duration": 90}]
    out = inc.open_incident(store, people["p"]["analyst_asml"], inc.from_event(draft, shocks))
    assert out["items"] == ["gallium"] and out["source"]["effective"] == "2026-08-01"
    assert out["source"]["evidence"][0]["text"] == "export controls"
    assert out["source"]["destinations"] == ["KOR"] and out["source"]["coverage"] == draft["coverage"]
