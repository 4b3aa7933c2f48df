"""The boundary tier against a corpus of malformed inputs (tests/corpus/).

Every case must fail to load with a :class:`DataError` whose problems name the file,
row, column and value, and the CLI must list every problem without a traceback.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import allychain
from allychain.cli.main import main
from allychain.data.native import read_native
from allychain.errors import DataError, Problem
from allychain.model.checks import consistency_check

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES: dict[str, dict] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))

_spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
assert _spec is not None and _spec.loader is not None
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)


def _path(case: str) -> Path:
    return CORPUS / CASES[case].get("path", case)


def _matches(p: dict, exp: dict) -> bool:
    """Does problem ``p`` (as :meth:`Problem.to_dict`) match the expected fields?"""
    file = (p.get("file") or "").replace("\\", "/")
    if "file" in exp and not (file == exp["file"] or file.endswith("/" + exp["file"])):
        return False
    if "row" in exp and p.get("row") != exp["row"]:
        return False
    if "column" in exp and p.get("column") != exp["column"]:
        return False
    if "value" in exp and str(p.get("value")) != str(exp["value"]):
        return False
    if "message" in exp and exp["message"] not in (p.get("message") or ""):
        return False
    if "expected" in exp and exp["expected"] not in (p.get("expected") or ""):
        return False
    return True


def _check(problems: list[dict], spec: dict) -> None:
    for exp in spec["problems"]:
        assert any(_matches(p, exp) for p in problems), f"no problem matches {exp}; got:\n" + "\n".join(
            map(str, problems))
    if "count" in spec:
        assert len(problems) == spec["count"], "\n".join(map(str, problems))


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["allychain", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_corpus_is_complete() -> None:
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))}
    assert folders == set(CASES), "every corpus folder needs an entry in cases.yaml and vice versa"
    assert set(CASES) == set(make_corpus.CASES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", sorted(CASES))
def test_load_reports_every_problem(case: str) -> None:
    with pytest.raises(DataError) as exc:
        allychain.load(str(_path(case)))
    problems = exc.value.problems
    assert problems and all(isinstance(p, Problem) and p.severity == "error" for p in problems)
    _check([p.to_dict() for p in problems], CASES[case])
    # the message lists every problem
    for p in problems:
        assert str(p) in str(exc.value)


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_validate_lists_problems(case: str, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(monkeypatch, capsys, "data", "validate", str(_path(case)))
    assert code == 3
    assert "Traceback" not in err + out
    with pytest.raises(DataError) as exc:
        allychain.load(str(_path(case)))
    for p in exc.value.problems:
        assert str(p) in err
    assert f"{len(exc.value.problems)} problem(s)" in err


@pytest.mark.parametrize("case", sorted(CASES))
def test_cli_validate_json(case: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(monkeypatch, capsys, "data", "validate", str(_path(case)), "--format", "json")
    assert code == 3
    assert "Traceback" not in err
    doc = json.loads(out)
    assert set(doc) == {"valid", "problems"}
    assert doc["valid"] is False
    assert all(set(p) >= {"file", "row", "column", "value", "expected", "message", "severity"} for p in doc["problems"])
    _check(doc["problems"], CASES[case])


def test_cli_in_a_real_process_has_no_traceback() -> None:
    r = subprocess.run([sys.executable, "-m", "allychain", "data", "validate", str(CORPUS / "many_problems")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    assert "5 problem(s)" in r.stderr
    assert "row 4, column 'provider_id': unknown provider id (got 'XXX')" in r.stderr
    assert r.stdout == ""


# -- what the boundary accepts ------------------------------------------------------
def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_valid_share_folder_reads_percent_signs_and_unknowns(tmp_path: Path) -> None:
    files = {**make_corpus.SHARE_NET,
             "shares.csv": "item_id,provider_id,share,year\nN1,USA,61%,2021\nN1,KOR,,\nN2,ASML, 90 % ,2021\n"}
    n = allychain.load(str(_write(tmp_path / "ok", files)))
    s = n.shares
    assert s["share"].iloc[0] == 61.0
    assert pd_isna(s["share"].iloc[1]) and pd_isna(s["year"].iloc[1])  # unknown stays unknown, never 0
    assert s["share"].iloc[2] == 90.0
    assert str(s["year"].dtype) == "Int64"
    assert list(s["dataset"]) == ["ok"] * 3


def pd_isna(v: object) -> bool:
    import pandas as pd

    return bool(pd.isna(v))


def test_site_folder_without_items_is_valid(tmp_path: Path) -> None:
    n = allychain.load(str(_write(tmp_path / "site", make_corpus.SITE_NET)))
    assert len(n.nodes) == 2 and len(n.edges) == 1 and len(n.bom) == 1
    assert n.items.empty
    assert pd_isna(n.nodes.set_index("node_id").loc["W1", "demand"])  # empty demand means none
    assert n.nodes.set_index("node_id").loc["F1", "margin"] == 3.5


def test_site_folder_with_only_edges_and_nodes_is_native(tmp_path: Path) -> None:
    folder = _write(tmp_path / "s", {"nodes.csv": make_corpus.NODES, "edges.csv": make_corpus.EDGES})
    assert len(allychain.load(str(folder)).edges) == 1


def test_bom_only_folder_is_recognised(tmp_path: Path) -> None:
    # a folder with any table file is read as native (no manifest needed)
    folder = _write(tmp_path / "b", {"alliances.csv": "alliance_id,member\nCHIP4,USA\n"})
    assert list(allychain.load(str(folder)).alliances["member"]) == ["USA"]


def test_read_native_on_a_folder_without_tables(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no network tables found"):
        read_native(_write(tmp_path / "empty", {"notes.txt": "x"}))


def test_misspelt_optional_column_is_a_named_warning(tmp_path: Path) -> None:
    nodes = make_corpus.NODES.replace("inventory", "inventry")
    n = allychain.load(str(_write(tmp_path / "typo", {**make_corpus.SITE_NET, "nodes.csv": nodes})))
    assert n.nodes["inventory"].isna().all()  # not silently read as inventory
    assert str(n.nodes["inventry"].dtype) == "string"
    found = consistency_check(n, checks=["unknown_columns"])
    assert len(found) == 1
    assert found[0].column == "inventry" and "did you mean 'inventory'" in found[0].message
    with pytest.raises(DataError, match="inventry"):
        consistency_check(n, strict=["unknown_columns"])


def test_misspelt_required_column_gets_a_hint(tmp_path: Path) -> None:
    nodes = make_corpus.NODES.replace("capacity", "capacty")
    with pytest.raises(DataError) as exc:
        allychain.load(str(_write(tmp_path / "typo", {**make_corpus.SITE_NET, "nodes.csv": nodes})))
    (p,) = exc.value.problems
    assert p.column == "capacity" and "is 'capacty' a misspelling?" in p.message


def test_crlf_bom_and_blank_lines_keep_row_numbers(tmp_path: Path) -> None:
    text = "\ufeffitem_id,name,kind\r\nN1,Wafers,material\r\n\r\nN2,Tools,gizmo\r\n"
    with pytest.raises(DataError) as exc:
        allychain.load(str(_write(tmp_path / "crlf", {"items.csv": text})))
    (p,) = exc.value.problems
    assert (p.row, p.column, p.value) == (4, "kind", "gizmo")


def test_problems_of_several_files_are_all_reported(tmp_path: Path) -> None:
    files = {**make_corpus.SHARE_NET, "items.csv": "",  # unreadable
             "providers.csv": make_corpus.PROVIDERS + "KOR,Korea,country,\n",
             "shares.csv": "item_id,provider_id,share,year\nN1,USA,40,2021\nN1,ZZZ,101,2021\n"}
    with pytest.raises(DataError) as exc:
        allychain.load(str(_write(tmp_path / "multi", files)))
    got = {(Path(p.file or "").name, p.row, p.column) for p in exc.value.problems}
    assert got == {("items.csv", None, None), ("providers.csv", 5, "provider_id"), ("shares.csv", 3, "share"),
                   ("shares.csv", 3, "provider_id")}
