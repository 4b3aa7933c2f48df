"""`allychain data …`, `items` and `show` on hand-made folders, through the real entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import allychain
from allychain.cli.main import main
from allychain.data.native import read_native
from allychain.testing import assert_network_equal

ITEMS = "item_id,name,kind\nN1,Silicon wafers,material\nN2,Lithography tools,tool\nN3,Logic chips,chip\n"
PROVIDERS = ("provider_id,name,kind,country\nUSA,United States,country,\nKOR,South Korea,country,\n"
             "EUR,Europe,region,\nASML,ASML Holding,firm,NLD\n")
SHARES = ("item_id,provider_id,share,year\nN1,USA,40,2021\nN1,KOR,35,2021\nN1,EUR,,2021\n"
          "N2,ASML,90,2020\nN2,USA,,\n")
RELATIONS = "source,target,kind\nN1,N3,goes_into\nN2,N3,goes_into\n"
ALLIANCES = "alliance_id,member\nCHIP4,USA\nCHIP4,KOR\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "hand"
    d.mkdir()
    for name, text in {"items.csv": ITEMS, "providers.csv": PROVIDERS, "shares.csv": SHARES,
                       "relations.csv": RELATIONS, "alliances.csv": ALLIANCES}.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["allychain", *map(str, args)])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return int(exc.value.code or 0), out, err


def test_validate_valid_folder_exits_0(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(monkeypatch, capsys, "data", "validate", folder)
    assert code == 0
    assert "valid (0 warning(s))" in out and "items=3" in out
    assert "warning:" not in err
    code, out, _ = run(monkeypatch, capsys, "data", "validate", folder, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["valid"] is True
    assert {w["check"] for w in doc["warnings"]} <= {"providers_without_rows", "alliance_members"}


def test_validate_invalid_folder_exits_3(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "shares.csv").write_text(SHARES + "N3,USA,abc,2021\n", encoding="utf-8")
    code, out, err = run(monkeypatch, capsys, "data", "validate", folder)
    assert code == 3
    assert "shares.csv, row 7, column 'share': not a number (got 'abc')" in err
    assert out == ""


def test_validate_strict_turns_warnings_into_exit_3(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "shares.csv").write_text(SHARES.replace("N1,KOR,35", "N1,KOR,65"), encoding="utf-8")  # 105 %
    code, _, err = run(monkeypatch, capsys, "data", "validate", folder)
    assert code == 0 and "sum to 105 %" in err and "[share_sum]" in err
    code, out, err = run(monkeypatch, capsys, "data", "validate", folder, "--strict")
    assert code == 3 and "sum to 105 %" in err
    code, out, _ = run(monkeypatch, capsys, "data", "validate", folder, "--strict", "-f", "json")
    doc = json.loads(out)
    assert code == 3 and doc["valid"] is False
    assert [p["check"] for p in doc["problems"]].count("share_sum") == 1


def test_info_json_counts(folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(monkeypatch, capsys, "data", "info", "-d", folder, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["items"] == 3
    assert doc["providers"] == 4
    assert doc["countries"] == 2  # EUR is a region, never a country
    assert doc["firms"] == 1
    assert doc["regions_and_aggregates"] == 1
    assert doc["share_rows"] == 5
    assert doc["share_rows_unknown"] == 2
    assert doc["items_with_known_country_shares"] == 1  # N2's only country row is unknown
    assert doc["relations"] == 2
    assert doc["years"] == [2020, 2021]
    assert doc["alliances"] == ["CHIP4"]
    assert doc["datasets"] == ["hand"]


def test_items_lists_items(folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(monkeypatch, capsys, "items", "-d", folder, "-f", "json")
    assert code == 0
    rows = {r["item_id"]: r for r in json.loads(out)}
    assert list(rows) == ["N1", "N2", "N3"]
    assert rows["N1"]["providers"] == 3 and rows["N1"]["providers_with_known_share"] == 2
    assert rows["N3"]["providers"] == 0
    code, out, _ = run(monkeypatch, capsys, "items", "-d", folder, "--kind", "tool", "-f", "csv")
    assert code == 0 and out.splitlines()[1].startswith("N2,Lithography tools,tool")


def test_show_item_by_name(folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(monkeypatch, capsys, "show", "silicon wafers", "-d", folder, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["item_id"] == "N1"
    shares = {r["provider_id"]: r["share"] for r in doc["shares"]}
    assert shares == {"USA": 40.0, "KOR": 35.0, "EUR": None}  # unknown is null, not 0


def test_show_near_miss_suggests_and_exits_3(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(monkeypatch, capsys, "show", "Silicon wafer", "-d", folder)
    assert code == 3
    assert "unknown item 'Silicon wafer'" in err and "did you mean 'N1'" in err
    assert out == ""


def test_export_round_trip(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "exported"
    code, out, _ = run(monkeypatch, capsys, "data", "export", dest, "-d", folder)
    assert code == 0 and out.strip() == str(dest)
    original = allychain.load(str(folder))
    back = read_native(dest)
    assert_network_equal(original, back, check_name=True)
    assert pd.isna(back.shares.set_index(["item_id", "provider_id"]).loc[("N2", "USA"), "year"])
    # exporting again needs --overwrite, and says so without a traceback
    code, _, err = run(monkeypatch, capsys, "data", "export", dest, "-d", folder)
    assert code == 4 and "--overwrite" in err  # environment: the destination is in the way
    code, _, _ = run(monkeypatch, capsys, "data", "export", dest, "-d", folder, "--overwrite")
    assert code == 0
    assert_network_equal(original, read_native(dest))


def test_failed_export_leaves_previous_folder(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "exported"
    run(monkeypatch, capsys, "data", "export", dest, "-d", folder)
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    calls = []
    real = pd.DataFrame.to_csv

    def flaky(self: pd.DataFrame, path: object = None, *args: object, **kwargs: object) -> object:
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    monkeypatch.setattr(sys, "argv", ["allychain", "data", "export", str(dest), "-d", str(folder), "--overwrite"])
    with pytest.raises((OSError, SystemExit)):
        main()
    assert len(calls) == 3
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exported", "hand"]  # no temporary folder left
