"""``allychain talent gap``: formats, programme files, chart, exit statuses."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from allychain.cli.main import main

PROGRAMME = """programmes:
  - name: joint academy
    country: KOR
    per_year: 1000
    from: 2025
    entry_share: 0.8
"""


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["allychain", "talent", "gap", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_table_shows_each_countrys_last_assessable_gap_and_names_uncovered_flows(monkeypatch, capsys) -> None:
    code, out, err = run(monkeypatch, capsys)
    assert code == 0
    assert "KOR" in out and "54000" in out and "USA" in out and "67000" in out
    assert "not covered" in err and "attrition" in err


def test_json_with_programme_has_effect_sensitivity_coverage_and_sources(tmp_path: Path, monkeypatch,
                                                                        capsys) -> None:
    prog = tmp_path / "p.yaml"
    prog.write_text(PROGRAMME, encoding="utf-8")
    code, out, _ = run(monkeypatch, capsys, "-c", "KOR", "--programme", str(prog), "-f", "json")
    assert code == 0
    doc = json.loads(out)
    last = [r for r in doc["gap"] if r["year"] == 2031][0]
    assert last["gap"] == pytest.approx(54_000) and last["closed"] == pytest.approx(4_800)
    assert last["gap_with"] == pytest.approx(49_200)
    sens = {r["input"]: r for r in doc["sensitivity"]}
    assert sens["pipeline"]["covered"] and sens["attrition"]["elasticity"] is None
    assert {s["source_id"] for s in doc["sources"]} >= {"moe-kor-2022", "ksia-2023"}


def test_csv_every_year_and_plot_written(tmp_path: Path, monkeypatch, capsys) -> None:
    png = tmp_path / "gap.png"
    code, out, _ = run(monkeypatch, capsys, "-c", "USA", "-f", "csv", "--plot", str(png))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["year"]) for r in rows] == list(range(2022, 2031))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("args", "code", "message"), [
    (("-c", "XYZ"), 3, "country XYZ has no workforce parameters"),
    (("--until", "2010"), 3, "until: got 2010"),
    (("--until", "3000"), 2, "--until"),
    (("--plot", "chart.gif"), 3, "must end in .png or .svg"),
])
def test_bad_options_exit_without_traceback(monkeypatch, capsys, args: tuple[str, ...], code: int,
                                            message: str) -> None:
    got, _, err = run(monkeypatch, capsys, *args)
    assert got == code and message in err and "Traceback" not in err


def test_programme_for_unknown_country_exits_3_naming_the_key(tmp_path: Path, monkeypatch, capsys) -> None:
    prog = tmp_path / "p.yaml"
    prog.write_text(PROGRAMME.replace("KOR", "JPN"), encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "--programme", str(prog))
    assert code == 3 and out == ""
    assert "programmes[0].country" in err and "'JPN'" in err


OWN = """country,level,flow,year,value,unit,source_id,confidence,note
DEU,bachelor,stock,2024,1000,persons,own-survey,low,
DEU,bachelor,demand,2030,1600,persons,own-survey,low,
DEU,bachelor,graduates,2024,500,persons/year,own-survey,low,
DEU,bachelor,entry_share,2024,0.2,fraction,own-survey,low,
DEU,bachelor,attrition,2024,0.05,fraction/year,own-survey,low,
KOR,all,demand,2031,310000,persons,own-survey,low,replaces the built-in row
"""


def test_own_parameter_rows_add_countries_and_replace_built_in_rows(tmp_path: Path, monkeypatch, capsys) -> None:
    f = tmp_path / "own.csv"
    f.write_text(OWN, encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "--params", str(f), "-f", "csv")
    assert code == 0
    rows = {(r["country"], r["year"]): r for r in csv.DictReader(io.StringIO(out))}
    assert float(rows["KOR", "2031"]["gap"]) == pytest.approx(60_000)  # 310,000 - 250,000
    # DEU: S(t+1) = 0.95 S(t) + 100, from 1000
    assert float(rows["DEU", "2025"]["stock"]) == pytest.approx(1050)
    assert float(rows["DEU", "2026"]["stock"]) == pytest.approx(1050 * 0.95 + 100)
    assert "DEU bachelor: not covered" in err and "migration" in err


def test_own_parameter_file_errors_name_file_line_and_column(tmp_path: Path, monkeypatch, capsys) -> None:
    f = tmp_path / "own.csv"
    f.write_text(OWN.replace("0.2,fraction", "1.4,fraction").replace("1600,", "-1600,"), encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "--params", str(f))
    assert code == 3 and out == "" and "Traceback" not in err
    assert f"{f}, row 3, column 'value': negative value" in err
    assert f"{f}, row 5, column 'value': share or rate above 100 % (got '1.4')" in err
