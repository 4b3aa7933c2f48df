"""``allychain analyze …`` on the chain network written as a native folder."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from allychain.cli.main import app, main
from allychain.data.native import write_native

runner = CliRunner()


@pytest.fixture
def data(chain, tmp_path):
    return str(write_native(chain, tmp_path / "chain"))


def run_json(*args):
    res = runner.invoke(app, ["analyze", *args, "--format", "json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_chokepoints_json_shape(data):
    out = run_json("chokepoints", "--data", data)
    assert isinstance(out, list) and out
    for rec in out:
        assert {"item_id", "item_name", "rules", "top_country", "top_country_share", "hhi"} <= set(rec)
        assert set(rec["rules"]) <= {"country_share", "firm_top3", "hhi"} and rec["rules"]
    by = {r["item_id"]: r for r in out}
    assert by["euv"]["top_country"] == "NLD" and by["euv"]["top_country_share"] == 100
    assert by["euv"]["hhi"] == 10_000
    # the stage 'fab' (Various countries 65 %) is no chokepoint: an aggregate is never one country
    assert "fab" not in by


def test_chokepoint_rule_options(data):
    out = run_json("chokepoints", "--data", data, "--rules", "country_share", "--country-share", "75")
    assert sorted(r["item_id"] for r in out) == ["euv", "litho-tools"]
    assert all(r["rules"] == ["country_share"] for r in out)


def test_concentration_json_and_csv(data):
    out = run_json("concentration", "--data", data, "--items", "litho-tools,resist")
    by = {r["item_id"]: r for r in out}
    assert by["litho-tools"]["hhi"] == pytest.approx(80**2 + 20**2)
    assert by["resist"]["status"] == "not_assessable" and by["resist"]["hhi"] is None
    res = runner.invoke(app, ["analyze", "concentration", "--data", data, "--format", "csv"])
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].startswith("item_id,item_name,level,status")


def test_dependencies_json_shape(data):
    out = run_json("dependencies", "--data", data, "--members", "KOR")
    assert out["members"] == ["KOR"]
    assert {"not_in_data", "not_assessable"} <= set(out["coverage"])
    assert out["coverage"]["not_assessable"] == ["resist"]
    for d in out["dependencies"]:
        assert {"item_id", "item_name", "status", "foreign_share", "top_foreign_country", "top_foreign_share",
                "critical"} <= set(d)
        assert d["status"] in ("assessed", "not_assessable")
        assert d["critical"] in (True, False, None)
        if d["status"] == "not_assessable":
            assert d["critical"] is None and d["foreign_share"] is None
    by = {d["item_id"]: d for d in out["dependencies"]}
    assert by["euv"]["critical"] is True and by["euv"]["top_foreign_country"] == "NLD"


def test_dependencies_accepts_country_names(data):
    out = run_json("dependencies", "--data", data, "--members", "south korea", "--items", "euv,unobtainium")
    assert out["members"] == ["KOR"]
    assert out["coverage"]["not_in_data"] == ["unobtainium"]


def test_alliance_json_shape(data):
    out = run_json("alliance", "--data", data, "--members", "KOR,Netherlands")
    assert out["members"] == ["KOR", "NLD"]
    assert {"dependencies", "coverage", "shares", "no_supplier", "complementarity_matrix",
            "shared_dependencies"} <= set(out)
    by = {d["item_id"]: d for d in out["dependencies"]}
    assert by["euv"]["critical"] is False and by["euv"]["foreign_share"] == 0
    assert by["wafer"]["critical"] is True
    assert out["complementarity_matrix"]["NLD"]["KOR"] == 3


def test_partners_json_shape(data):
    out = run_json("partners", "--data", data, "--members", "KOR,NLD")
    assert isinstance(out, list) and out[0]["country"] == "JPN" and out[0]["score"] == 1
    assert all({"country", "score"} <= set(r) for r in out)
    assert [r["score"] for r in out] == sorted((r["score"] for r in out), reverse=True)
    best = run_json("partners", "--data", data, "--members", "KOR,NLD", "--k", "2")
    assert best[0]["country"] == "JPN"


def test_table_output_states_coverage(data):
    res = runner.invoke(app, ["analyze", "dependencies", "--data", data, "--members", "KOR"])
    assert res.exit_code == 0
    assert "not assessable" in res.stdout and "resist" in res.stdout


@pytest.mark.parametrize("cmd", [
    ["chokepoints"], ["concentration"], ["dependencies", "--members", "KOR"], ["alliance", "--members", "KOR,NLD"],
    ["partners", "--members", "KOR,NLD"],
])
@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plots_are_written(data, tmp_path, cmd, suffix):
    path = tmp_path / f"plot.{suffix}"
    res = runner.invoke(app, ["analyze", *cmd, "--data", data, "--format", "json", "--plot", str(path)])
    assert res.exit_code == 0, res.output
    head = path.read_bytes()[:2000]
    if suffix == "png":
        assert head.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert b"<svg" in head


def _main(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["allychain", "analyze", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return exc.value.code, capsys.readouterr()


def test_unknown_member_is_a_clean_error_with_suggestion(data, monkeypatch, capsys):
    code, cap = _main(monkeypatch, capsys, "dependencies", "--data", data, "--members", "Netherland")
    assert code == 3
    assert "unknown member 'Netherland'" in cap.err and "Netherlands" in cap.err
    assert "Traceback" not in cap.err


def test_bad_plot_suffix_and_bad_rule_are_clean_errors(data, tmp_path, monkeypatch, capsys):
    code, cap = _main(monkeypatch, capsys, "chokepoints", "--data", data, "--plot", str(tmp_path / "x.gif"))
    assert code == 3 and ".png or .svg" in cap.err
    code, cap = _main(monkeypatch, capsys, "chokepoints", "--data", data, "--rules", "nope")
    assert code == 3 and "unknown chokepoint rule" in cap.err


def test_demo_prints_a_compact_alliance_analysis(chain):
    from rich.console import Console

    from allychain.cli.analyze import demo

    console = Console(record=True, width=160)
    demo(chain, console)
    text = console.export_text()
    assert "chokepoints" in text and "critical dependencies of KOR+NLD" in text and "best partners" in text
    assert "JPN" in text


def test_partners_exclude_and_candidates_restrict_the_pool() -> None:
    import allychain
    from allychain.analysis import partners

    n = allychain.load("builtin")
    everyone = run_json("partners", "--members", "KOR,NLD", "--data", "builtin", "--candidates", "all")
    assert everyone[0]["country"] == "CHN"  # the unrestricted best candidate on the built-in data
    excluded = run_json("partners", "--members", "KOR,NLD", "--data", "builtin", "--candidates", "all",
                        "--exclude", "China,RUS")
    assert {r["country"] for r in excluded}.isdisjoint({"CHN", "RUS"})
    pool = [c for c in n.countries() if c not in ("KOR", "NLD", "CHN", "RUS")]
    expected = partners(n, ["KOR", "NLD"], candidates=pool)
    assert [r["country"] for r in excluded] == list(expected["country"])
    only = run_json("partners", "--members", "KOR,NLD", "--data", "builtin", "--candidates", "USA,Japan,TWN")
    assert sorted(r["country"] for r in only) == ["JPN", "TWN", "USA"]
