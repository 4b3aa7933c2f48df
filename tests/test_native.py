"""The native folder format: write → read is an identity, writes are atomic, and
docs/formats.md documents every schema column."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from allychain import schema
from allychain.data.native import read_native, write_native
from allychain.errors import DataError
from allychain.model.network import IOTables, Network
from allychain.testing import assert_network_equal, frame, networks

REPO = Path(__file__).resolve().parents[1]


def _shares_net() -> Network:
    shares = frame("shares", [
        dict(item_id="N1", provider_id="USA", share=40.5, year=2021, dataset="d1", negligible=False),
        dict(item_id="N1", provider_id="KOR", share=None, year=None, dataset="d1"),  # unknown share, unknown year
        dict(item_id="N2", provider_id="KOR", share=100.0, year=2019, dataset="d2", basis="revenue"),
    ])
    items = frame("items", [dict(item_id="N1", name='Wafers, "300 mm"', kind="material"),
                            dict(item_id="N2", name="Résist\nline two", kind="chemical", market_size=1.5e9,
                                 market_size_year=2022)])
    providers = frame("providers", [dict(provider_id="USA", name="United States", kind="country"),
                                    dict(provider_id="KOR", name="South Korea", kind="country")])
    return Network(name="hand", items=items, providers=providers, shares=shares,
                   meta={"description": "hand-made", "license": "CC0"})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_write_then_read_is_an_identity(n: Network) -> None:
    with tempfile.TemporaryDirectory() as d:
        back = read_native(write_native(n, Path(d) / "net"))
    assert_network_equal(n, back, check_name=True)
    for comp, t in back.tables():  # dtypes are the schema's, not whatever pandas guessed
        assert [str(x) for x in t.dtypes] == [str(x) for x in n.table(comp).dtypes]


def test_round_trip_keeps_unknowns_unknown_and_years_int(tmp_path: Path) -> None:
    n = _shares_net()
    back = read_native(write_native(n, tmp_path / "out"))
    assert_network_equal(n, back, check_name=True)
    s = back.shares.set_index("provider_id")
    assert np.isnan(s.loc["KOR", "share"].tolist()[0])  # NaN stays NaN, never 0
    assert str(back.shares["year"].dtype) == "Int64"
    assert back.shares["year"].isna().sum() == 1
    assert back.shares["year"].dropna().tolist() == [2021, 2019]
    assert back.items.loc[1, "name"] == "Résist\nline two"
    assert back.meta["description"] == "hand-made" and back.meta["license"] == "CC0"
    # an empty table is not written, and reads back empty
    assert not (tmp_path / "out" / "nodes.csv").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "allychain-network" and manifest["version"] == 1
    assert manifest["tables"] == {"items": "items.csv", "providers": "providers.csv", "shares": "shares.csv"}


def test_round_trip_of_io_tables(tmp_path: Path) -> None:
    idx = pd.MultiIndex.from_tuples([("KOR", "chips"), ("NLD", "tools")], names=["region", "sector"])
    z = pd.DataFrame([[1.0, 2.5], [0.0, 4.0]], index=idx, columns=idx)
    y = pd.DataFrame([[5.0], [6.0]], index=idx,
                     columns=pd.MultiIndex.from_tuples([("KOR", "household")], names=["region", "category"]))
    n = Network(name="io", io=IOTables(Z=z, Y=y, unit="M.EUR"))
    back = read_native(write_native(n, tmp_path / "io"))
    assert_network_equal(n, back)
    assert back.io is not None and back.io.unit == "M.EUR"
    assert back.io.x is not None and back.io.x.tolist() == [8.5, 10.0]  # x = row sums of Z and Y


def test_write_refuses_existing_without_overwrite(tmp_path: Path) -> None:
    write_native(_shares_net(), tmp_path / "out")
    with pytest.raises(FileExistsError, match="overwrite"):
        write_native(_shares_net(), tmp_path / "out")


def test_overwrite_never_replaces_a_folder_that_is_not_native(tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(FileExistsError, match="not an allychain native-format folder"):
        write_native(_shares_net(), precious, overwrite=True)
    assert (precious / "thesis.tex").read_text() == "years of work"
    a_file = tmp_path / "file.csv"
    a_file.write_text("x")
    with pytest.raises(FileExistsError):
        write_native(_shares_net(), a_file, overwrite=True)
    assert a_file.read_text() == "x"


def test_overwrite_replaces_a_native_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_native(_shares_net(), out)
    (out / "stale.csv").write_text("old")
    small = Network(name="small", items=frame("items", [dict(item_id="X", name="X", kind="tool")]))
    write_native(small, out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["items.csv", "manifest.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # nothing left beside it
    assert_network_equal(read_native(out), small)


def _fail_on_third_table(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = pd.DataFrame.to_csv

    def flaky(self: pd.DataFrame, path: object = None, *args: object, **kwargs: object) -> object:
        calls.append(str(path))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pd.DataFrame, "to_csv", flaky)
    return calls


def test_failed_write_leaves_previous_folder_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    old = Network(name="old", items=frame("items", [dict(item_id="OLD", name="Old", kind="tool")]))
    write_native(old, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    calls = _fail_on_third_table(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        write_native(_shares_net(), out, overwrite=True)
    assert len(calls) == 3
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind
    monkeypatch.undo()
    assert_network_equal(read_native(out), old)


def test_failed_first_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_on_third_table(monkeypatch)
    with pytest.raises(OSError):
        write_native(_shares_net(), tmp_path / "new")
    assert list(tmp_path.iterdir()) == []


def test_read_native_names_the_manifest_problems_together(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(
        {"format": "other", "version": 9, "tables": {"items": "/etc/passwd", "gadgets": "g.csv"}}))
    with pytest.raises(DataError) as exc:
        read_native(tmp_path / "m")
    cols = sorted(p.column or "" for p in exc.value.problems)
    assert cols == ["format", "tables", "tables.gadgets", "tables.items", "version"] or cols == [
        "format", "tables", "tables.items", "version"]
    assert any("inside the dataset folder" in p.message for p in exc.value.problems)


# -- docs/formats.md ------------------------------------------------------------------
def _doc_rows(text: str, component: str) -> dict[str, list[str]]:
    """Rows of the markdown table under the heading '### <component>.csv'."""
    m = re.search(rf"^### `?{component}\.csv`?\s*$(.*?)(?=^#{{2,3}} )", text + "\n## end", re.S | re.M)
    assert m, f"docs/formats.md has no section '### {component}.csv'"
    rows = {}
    for line in m.group(1).splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0] not in ("column", "") and not set(cells[0]) <= set("-: "):
            rows[cells[0]] = cells
    return rows


@pytest.mark.parametrize("component", schema.COMPONENTS)
def test_formats_doc_lists_every_schema_column(component: str) -> None:
    text = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    rows = _doc_rows(text, component)
    assert list(rows) == schema.columns(component)
    for attr in schema.attributes(component):
        _, dtype, unit, required, *_ = rows[attr.name]
        assert dtype == attr.dtype, attr.name
        assert unit == (attr.unit or "—"), attr.name
        assert required == ("yes" if attr.required else "no"), attr.name
