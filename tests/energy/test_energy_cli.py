"""``allychain energy profile``: formats, chart, not covered named, exit statuses."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from allychain.cli.main import main


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["allychain", "energy", "profile", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_default_kor_nld_table_names_grids_and_uncovered(monkeypatch, capsys) -> None:
    code, out, err = run(monkeypatch, capsys)
    assert code == 0
    assert "dram-chips" in out and "413" in out and "9.05" in out      # KOR grid: Ember via LCP, KEPCO SAIDI
    assert "automotive-chips" in out                                   # NLD's fab output: NXP's automotive chips
    assert "NLD (grid NLD): not covered" in err and "carbon_intensity" in err


def test_json_and_csv(monkeypatch, capsys) -> None:
    code, out, _ = run(monkeypatch, capsys, "--members", "KOR,USA", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"members", "items", "grids", "cooperation", "sources", "imports"}
    grids = {g["country"]: g for g in doc["grids"]}
    assert grids["USA"]["saidi"] == 336 and grids["USA"]["saidi_basis"] == "all"
    assert {a["agreement_id"] for a in doc["cooperation"]} >= {"kor-nld-nuclear-mou-2023"}
    cited = {s["source_id"] for s in doc["sources"]}
    assert {"eia-reliability-2023", "kor-nld-js-2023"} <= cited
    code, out, _ = run(monkeypatch, capsys, "-m", "KOR", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {r["item_id"] for r in rows} >= {"dram-chips", "hbm"} and rows[0]["grid"] == "KOR"


def test_plot_written_and_bad_input_exit_codes(tmp_path: Path, monkeypatch, capsys) -> None:
    png = tmp_path / "grids.png"
    code, _, err = run(monkeypatch, capsys, "--plot", str(png))
    assert code == 0 and png.stat().st_size > 1000 and "chart written" in err
    code, out, err = run(monkeypatch, capsys, "--members", "Atlantis")
    assert code == 3 and out == "" and "unknown member" in err and "Traceback" not in err
    code, _, err = run(monkeypatch, capsys, "--plot", str(tmp_path / "grids.txt"))
    assert code == 3 and ".png or .svg" in err
    code, _, err = run(monkeypatch, capsys, "--format", "yaml")
    assert code == 2


def test_params_folder_adds_rows_and_bad_rows_exit_3_naming_file_line_column(tmp_path: Path, monkeypatch,
                                                                              capsys) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "supply.csv").write_text("country,measure,year,basis,value,unit,source_id,confidence,note\n"
                                     "NLD,saidi,2023,all,21.8,minutes/customer/year,netbeheer,medium,\n"
                                     "KOR,saidi,2022,all,9.5,minutes/customer/year,netbeheer,low,replaces\n",
                                     encoding="utf-8")
    (good / "sources.csv").write_text("source_id,title,publisher,year,url\n"
                                      "netbeheer,Storingsrapport,Netbeheer Nederland,2024,https://example.org/s\n",
                                      encoding="utf-8")
    code, out, _ = run(monkeypatch, capsys, "-m", "NLD,KOR", "-f", "json", "--params", str(good))
    assert code == 0
    grids = {g["country"]: g for g in json.loads(out)["grids"]}
    assert grids["NLD"]["saidi"] == 21.8 and grids["KOR"]["saidi"] == 9.5      # added, and replacing a built-in row
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "supply.csv").write_text("country,measure,year,basis,value,unit,source_id,confidence,note\n"
                                    "NLD,share_nuclear,2023,all,130,percent,cbs-nld-2024,high,\n"
                                    "XYZ,saidi,1850,all,-4,minutes/customer/year,nowhere,high,\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "--params", str(bad))
    assert code == 3 and out == "" and "Traceback" not in err
    for what in ("supply.csv, row 2, column 'value': share above 100 %", "supply.csv, row 3, column 'country': "
                 "unknown country", "supply.csv, row 3, column 'year': year out of range",
                 "row 3, column 'value': negative value", "row 3, column 'source_id': unknown source"):
        assert what in err, (what, err)
    assert str(bad / "supply.csv") in err
