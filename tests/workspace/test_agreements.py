"""The agreements registry: validation, versions, the consistency check, visibility, gaps, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from allychain.errors import CommitmentConflict, Conflict, InvalidRecord, NotFound, PermissionDenied, PreconditionFailed
from allychain.workspace import agreements as ag
from allychain.workspace.audit import verify


def terms(*commitments: dict[str, Any], **kw: Any) -> dict[str, Any]:
    base = {"title": "Korea–Netherlands MOU on neon", "parties": ["KOR", "NLD"], "signed": "2026-05-01",
            "valid_to": "2029-04-30", "items": ["neon"], "source": "MOU text, 2026",
            "commitments": list(commitments) or [{"item": "neon", "from": "KOR", "to": "NLD", "min": 40}]}
    return {**base, **kw}


def c(sup: str, to: str, **bounds: Any) -> dict[str, Any]:
    return {"item": "neon", "from": sup, "to": to, **bounds}


def _count(store: Any) -> tuple[int, int]:
    with store.transaction() as repo:
        return len(repo.current_agreements()), len(repo.audit_events())


def test_bad_input_is_refused_and_nothing_stored(store: Any, people: dict[str, Any]) -> None:
    steward = people["p"]["steward"]
    before = _count(store)
    cases = [
        (terms(valid_from="2027-01-01", valid_to="2026-06-01"), "valid_to: '2026-06-01' — expected a date on or "
                                                                 "after valid_from (2027-01-01): the dates are reversed"),
        (terms(parties=["KOR", "ATLANTIS"]), "parties[1]: 'ATLANTIS' — expected an ISO 3166 alpha-3"),
        (terms(parties=["KOR", "nobody-org"]), "parties[1]: 'nobody-org'"),
        (terms(c("KOR", "NLD", min_share=0.7), c("KOR", "JPN", min_share=0.4), parties=["KOR", "NLD", "JPN"]),
         "commitments (KOR → neon): '70 % + 40 % = 110 %' — expected at most 100 % of KOR's output of neon"),
        (terms(c("KOR", "JPN", min=5)), "commitments[0].to: 'JPN' — expected a party of the agreement"),
        (terms(items=["unobtainium"]), "items[0]: 'unobtainium' — expected an item id"),
        (terms(c("KOR", "NLD")), "a minimum volume (min) and/or a minimum share (min_share)"),
    ]
    for body, message in cases:
        with pytest.raises(InvalidRecord) as err:
            ag.register(store, steward, body)
        assert message in str(err.value) and "nothing stored" in str(err.value)
        assert any(message.split(" — ")[0] in p for p in err.value.problems)
    assert _count(store) == before  # no agreement, no audit record
    # an organisation of the workspace is a valid party
    ok = ag.register(store, steward, terms(c("samsung", "asml", min=1), parties=["samsung", "asml"]))
    assert ok["status"] == "draft" and ok["version"] == 1


def test_consistency_check_hand_solved(store: Any, people: dict[str, Any]) -> None:
    """KOR can release 100 t of neon: 60 t to NLD and 30 t to JPN fit; adding 20 t to NLD does not
    (60 + 20 + 30 = 110 > 100); a 25 % share to JPN of 100 t with 60 t to NLD fits (85 t),
    with 80 t to NLD it does not (105 t)."""
    st = people["p"]["steward"]
    supply = {("KOR", "neon"): 100.0}
    ag.register(store, st, terms(c("KOR", "NLD", min=60), c("KOR", "JPN", min=30), parties=["KOR", "NLD", "JPN"]),
                "a1")
    out = ag.set_status(store, st, "a1", "in_force", supply=supply)
    assert out["status"] == "in_force" and out["version"] == 2 and out["check"]["feasible"]
    ag.register(store, st, terms(c("KOR", "NLD", min=20)), "a2")
    with pytest.raises(CommitmentConflict) as err:
        ag.set_status(store, st, "a2", "in_force", supply=supply)
    # the smallest conflicting set: a2's and a1's commitments on KOR's neon (both of a1 are needed)
    assert sorted(err.value.conflicting) == ["a1#1", "a1#2", "a2#1"]
    assert "KOR has 100 units of neon available" in str(err.value)
    assert ag.get_agreement(store, st, "a2")["status"] == "draft"  # refused: nothing changed
    # share commitments: 25 % of 100 t = 25 t
    ag.register(store, st, terms(c("KOR", "JPN", min_share=0.25), c("KOR", "NLD", min=60),
                                 parties=["KOR", "NLD", "JPN"]), "b1")
    ag.set_status(store, st, "a1", "suspended")
    assert ag.check(store, st, "b1", supply=supply)["feasible"]
    ag.register(store, st, terms(c("KOR", "JPN", min_share=0.25), c("KOR", "NLD", min=80),
                                 parties=["KOR", "NLD", "JPN"]), "b2")
    res = ag.check(store, st, "b2", supply=supply)
    assert not res["feasible"] and res["conflicting"] == ["b2#1", "b2#2"]
    # a refused attempt is on the record, and the chain verifies
    with store.transaction() as repo:
        refused = [e for e in repo.audit_events(action="agreement:status") if e.outcome == "refused"]
    assert len(refused) == 1 and json.loads(refused[0].detail)["conflicting"] == ["a1#1", "a1#2", "a2#1"]
    assert verify(store).ok


def test_unknown_output_checks_whether_any_output_could(store: Any, people: dict[str, Any]) -> None:
    st = people["p"]["steward"]
    ag.register(store, st, terms(c("KOR", "NLD", min_share=0.6, min=10)), "x1")
    res = ag.check(store, st, "x1")
    assert res["feasible"] and res["supply_basis"] == "none" and res["not_assessable"]
    ag.set_status(store, st, "x1", "in_force")
    ag.register(store, st, terms(c("KOR", "JPN", min_share=0.5), parties=["KOR", "NLD", "JPN"]), "x2")
    res = ag.check(store, st, "x2")  # 60 % + 50 % of any output: impossible whatever KOR produces
    assert not res["feasible"] and set(res["conflicting"]) == {"x1#1", "x2#1"}


def test_supply_from_submissions_stays_confidential(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import submissions

    p = people["p"]
    submissions.submit(store, p["submitter_samsung"], "capacity",
                       b"item,site,country,period,value,unit\nneon,Pyeongtaek,KOR,2024,500,t/year\n"
                       b"neon,Pyeongtaek,KOR,2025,123,t/year\n", "cap.csv")
    ag.register(store, p["analyst_samsung"], terms(c("KOR", "NLD", min=100), c("KOR", "NLD", min_share=0.5)), "s1")
    # 100 t + 50 % of 123 t (latest period) = 161.5 t > 123 t
    steward_view = ag.check(store, p["steward"], "s1")
    assert not steward_view["feasible"] and steward_view["supply_basis"] == "submissions"
    assert "123" in steward_view["message"]
    analyst_view = ag.check(store, p["analyst_samsung"], "s1")
    assert not analyst_view["feasible"] and analyst_view["conflicting"] == ["s1#1", "s1#2"]
    assert "123" not in json.dumps(analyst_view) and "confidential" in analyst_view["message"]


def test_versions_visibility_and_roles(store: Any, people: dict[str, Any]) -> None:
    p = people["p"]
    draft = ag.register(store, p["analyst_samsung"], terms(), "v1")
    assert draft["organisation"] == "samsung"
    for who in ("observer_samsung", "analyst_asml", "submitter_asml"):  # drafts are not published
        with pytest.raises(NotFound):
            ag.get_agreement(store, p[who], "v1")
        assert ag.list_agreements(store, p[who]) == []
    with pytest.raises(NotFound):  # another organisation's analyst cannot amend (own scope)
        ag.amend(store, p["analyst_asml"], "v1", terms(title="hijack"))
    with pytest.raises(PermissionDenied):  # submitters cannot sign agreements
        ag.register(store, p["submitter_samsung"], terms())
    with pytest.raises(PermissionDenied):
        ag.set_status(store, p["observer_samsung"], "v1", "in_force")
    amended = ag.amend(store, p["analyst_samsung"], "v1", terms(title="MOU on neon, amended"), expected_version=1)
    assert amended["version"] == 2
    with pytest.raises(PreconditionFailed):
        ag.amend(store, p["analyst_samsung"], "v1", terms(), expected_version=1)
    ag.set_status(store, p["steward"], "v1", "in_force")
    seen = ag.get_agreement(store, p["observer_asml"], "v1")
    assert seen["status"] == "in_force" and [v["status"] for v in seen["versions"]] == ["draft", "draft", "in_force"]
    assert ag.get_agreement(store, p["observer_asml"], "v1", version=1)["title"] == "Korea–Netherlands MOU on neon"
    ag.set_status(store, p["steward"], "v1", "expired")
    with pytest.raises(Conflict):
        ag.set_status(store, p["steward"], "v1", "in_force")
    assert verify(store).ok


def test_gap_list_on_builtin_data(store: Any, people: dict[str, Any], builtin_network: Any) -> None:
    """The gap list names the critical dependencies of KOR+NLD (public analysis) without an agreement in force."""
    from allychain.analysis import dependencies

    st = people["p"]["steward"]
    dep = dependencies(builtin_network, ["KOR", "NLD"])
    critical = set(dep.loc[dep["critical"] == True, "item_id"])  # noqa: E712 - True/False/None column
    assert {"gallium", "photoresists", "hydrogen-fluoride"} <= critical
    out = ag.gaps(store, st, builtin_network, "KOR,NLD")
    assert {r["item"] for r in out["rows"] if r["status"] == "gap"} == critical
    gallium = next(r for r in out["rows"] if r["item"] == "gallium")
    assert gallium["top_foreign_country"] == "CHN" and gallium["top_foreign_share"] == pytest.approx(98.0)
    assert all(r["status"] == "not_assessable" for r in out["rows"] if r["item"] not in critical)
    ag.register(store, st, terms(c("KOR", "NLD", min=1), {"item": "gallium", "from": "NLD", "to": "KOR", "min": 1},
                                 items=["neon", "gallium"]), "ga")
    ag.set_status(store, st, "ga", "in_force")
    after = ag.gaps(store, people["p"]["observer_samsung"], builtin_network, "KOR,NLD", include_covered=True)
    status = {r["item"]: r["status"] for r in after["rows"]}
    assert status["gallium"] == "covered" and after["gaps"] == len(critical) - 1
    cov = ag.coverage(store, people["p"]["observer_samsung"])
    assert {(r["item"], r["supplier"], r["receiver"]) for r in cov} == {("neon", "KOR", "NLD"),
                                                                       ("gallium", "NLD", "KOR")}


def test_cli_agreement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml
    from typer.testing import CliRunner

    from allychain.cli.main import app
    from allychain.store import open_store
    from allychain.workspace import accounts

    db = f"sqlite:///{tmp_path / 'ws.db'}"
    store = open_store(db, migrate=True)
    boot = accounts.bootstrap(store)
    admin = accounts.authenticate_token(store, boot["token"])
    tok = accounts.add_user(store, admin, "stew", "secretariat", ["steward"])["token"]
    store.dispose()
    env = {"ALLYCHAIN_TOKEN": tok}
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["workspace", "agreement", *args, "--db", db], env=env)

    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(terms(valid_from="2027-01-01", valid_to="2026-01-01")))
    res = run("add", str(bad))
    assert res.exit_code == 3 and "dates are reversed" in res.stderr and "nothing stored" in res.stderr
    good = tmp_path / "mou.yaml"
    good.write_text(yaml.safe_dump(terms(c("KOR", "NLD", min=60))))
    assert run("add", str(good), "--id", "m1").exit_code == 0
    supply = tmp_path / "supply.csv"
    supply.write_text("supplier,item,available\nKOR,neon,100\n")
    assert run("status", "m1", "in_force", "--supply", str(supply)).exit_code == 0
    good.write_text(yaml.safe_dump(terms(c("KOR", "NLD", min=50))))
    assert run("add", str(good), "--id", "m2").exit_code == 0
    res = run("check", "m2", "--supply", str(supply))
    assert res.exit_code == 1 and "m1#1 + m2#1" in res.stdout
    res = run("status", "m2", "in_force", "--supply", str(supply), "--format", "json")
    assert res.exit_code == 1 and json.loads(res.stdout)["conflicting"] == ["m1#1", "m2#1"]
    listed = json.loads(run("list", "--format", "json").stdout)
    assert {(a["id"], a["status"]) for a in listed} == {("m1", "in_force"), ("m2", "draft")}
    res = run("gaps", "--format", "json")
    assert res.exit_code == 0 and "gallium" in {r["item"] for r in json.loads(res.stdout)["rows"]}
