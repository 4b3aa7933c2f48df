"""Agreement cover read from the registry: the watchlist grade and the severity score's agreement component,
hand-checked on the built-in chain with and without an agreement in force."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from allychain.analysis import severity_report
from allychain.model.rules import SeverityRules
from allychain.services.agreement_cover import agreement_cover, severity_cover
from allychain.services.watchlist import watchlist
from allychain.workspace import agreements as ag

HF_MOU = {"title": "Japan–Korea MOU on hydrogen fluoride", "parties": ["JPN", "KOR"], "signed": "2026-05-01",
          "items": ["hydrogen-fluoride"], "source": "MOU text, 2026",
          "commitments": [{"item": "hydrogen-fluoride", "from": "JPN", "to": "KOR", "min": 100}]}


def _mou(store: Any, steward: Any) -> None:
    ag.register(store, steward, HF_MOU, "mou-hf")
    ag.set_status(store, steward, "mou-hf", "in_force", supply={("JPN", "hydrogen-fluoride"): 1000.0})
    # a draft on gallium commits nothing yet: it must not count
    ag.register(store, steward, {**HF_MOU, "parties": ["CHN", "KOR"], "items": ["gallium"],
                                 "commitments": [{"item": "gallium", "from": "CHN", "to": "KOR", "min": 1}]}, "draft-ga")


def test_grades_and_severity_with_and_without_an_agreement(store: Any, people: dict[str, Any],
                                                           builtin_network: Any) -> None:
    n = builtin_network
    _mou(store, people["p"]["steward"])
    cover = agreement_cover(ag.coverage(store, people["p"]["analyst_samsung"]), ["KOR", "NLD"])
    assert cover.of("hydrogen-fluoride", "KOR") == ("mou-hf",) and cover.of("gallium", "KOR") == ()

    # watchlist: HF (JPN 70 %) is B from the shares; the MOU commits supply to KOR → C
    without = watchlist(n, "KOR,NLD", tts_ttr=False).set_index(["member", "item_id"])
    with_ = watchlist(n, "KOR,NLD", tts_ttr=False, cover=cover).set_index(["member", "item_id"])
    hf = ("KOR", "hydrogen-fluoride")
    assert (without.loc[hf, "grade"], without.loc[hf, "agreement_cover"]) == ("B", "not assessed")
    assert (with_.loc[hf, "base_grade"], with_.loc[hf, "grade"]) == ("B", "C")
    assert (with_.loc[hf, "agreement_cover"], with_.loc[hf, "agreements"]) == ("covered", "mou-hf")
    ga = ("KOR", "gallium")
    assert (with_.loc[ga, "grade"], with_.loc[ga, "agreement_cover"]) == ("A", "not covered")
    assert with_.loc[("NLD", "euv-optics"), "agreement_cover"] == "not covered"

    # severity: both members need HF (NLD through NXP's fabs) and only KOR is covered → cover 1/2,
    # component 1 − 1/2; gallium: no cover, component 1
    from allychain.analysis import dependencies

    assert "hydrogen-fluoride" in set(dependencies(n, ["NLD"])["item_id"])
    frac = severity_cover(n, cover)
    assert frac["hydrogen-fluoride"] == 0.5 and frac["gallium"] == 0.0
    rows = severity_report(n, ["KOR", "NLD"], agreement_cover=frac)["rows"].set_index("item_id")
    base = severity_report(n, ["KOR", "NLD"])["rows"].set_index("item_id")
    assert rows.loc["hydrogen-fluoride", "agreement_cover"] == 0.5
    assert rows.loc["gallium", "agreement_cover"] == 1.0
    assert math.isnan(base.loc["hydrogen-fluoride", "agreement_cover"])          # no registry: unknown, not 0
    # the score: the weighted mean of the known components, the cover now among them (weights of SeverityRules)
    w = SeverityRules().weights
    for item, comp in (("hydrogen-fluoride", 0.5), ("gallium", 1.0)):
        known = {k: base.loc[item, k] for k in w if k != "agreement_cover" and not math.isnan(base.loc[item, k])}
        want = (sum(w[k] * v for k, v in known.items()) + w["agreement_cover"] * comp) / (
            sum(w[k] for k in known) + w["agreement_cover"])
        assert rows.loc[item, "score"] == pytest.approx(want)


def test_cli_reads_the_registry(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    from typer.testing import CliRunner

    from allychain.cli.main import app
    from allychain.store import open_store
    from allychain.workspace import accounts

    db = f"sqlite:///{tmp_path / 'ws.db'}"
    store = open_store(db, migrate=True)
    boot = accounts.bootstrap(store)
    admin = accounts.authenticate_token(store, boot["token"])
    tok = accounts.add_user(store, admin, "stew", "secretariat", ["steward"])["token"]
    _mou(store, accounts.authenticate_token(store, tok))
    store.dispose()
    runner = CliRunner()
    res = runner.invoke(app, ["watch", "list", "--members", "KOR", "--no-tts", "--grades", "C", "-f", "json",
                              "--db", db], env={"ALLYCHAIN_TOKEN": tok})
    assert res.exit_code == 0, res.stderr
    hf = next(r for r in json.loads(res.stdout) if r["item_id"] == "hydrogen-fluoride")
    assert (hf["grade"], hf["base_grade"], hf["agreements"]) == ("C", "B", "mou-hf")
    res = runner.invoke(app, ["analyze", "severity", "--members", "KOR,NLD", "--all", "-f", "json", "--db", db],
                        env={"ALLYCHAIN_TOKEN": tok})
    assert res.exit_code == 0, res.stderr
    rows = {r["item_id"]: r for r in json.loads(res.stdout)["rows"]}
    assert rows["hydrogen-fluoride"]["agreement_cover"] == 0.5 and rows["gallium"]["agreement_cover"] == 1.0
    import sys

    from allychain.cli.main import main

    monkeypatch.delenv("ALLYCHAIN_TOKEN", raising=False)
    monkeypatch.setattr(sys, "argv", ["allychain", "watch", "list", "--no-tts", "--db", db])
    with pytest.raises(SystemExit) as e:
        main()
    err = capsys.readouterr().err
    assert e.value.code not in (0, None) and "ALLYCHAIN_TOKEN" in err and "Traceback" not in err
