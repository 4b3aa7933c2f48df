"""pymrio folders at the boundary: a non-numeric cell, a missing table or no tables at all give a
DataError naming the folder, the table and the cell — never a ValueError or AttributeError."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allychain.data.mrio import load_mrio
from allychain.errors import DataError

pymrio = pytest.importorskip("pymrio")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("mrio") / "good"
    pymrio.load_test().save_all(d)
    return d


def _copy(saved: Path, tmp: Path, name: str) -> Path:
    d = tmp / name
    shutil.copytree(saved, d)
    return d


def test_the_saved_test_system_loads(saved: Path) -> None:
    n = load_mrio(saved)
    assert n.io is not None and n.io.Z.shape == (48, 48)


def test_a_non_numeric_cell_is_named(saved: Path, tmp_path: Path) -> None:
    d = _copy(saved, tmp_path, "bad")
    lines = (d / "Z.txt").read_text().split("\n")
    cells = lines[3].split("\t")
    cells[4] = "abc"
    lines[3] = "\t".join(cells)
    (d / "Z.txt").write_text("\n".join(lines))
    with pytest.raises(DataError) as exc:
        load_mrio(d)
    (p,) = exc.value.problems
    assert p.file == f"{d}/Z" and p.value == "abc" and p.column == "reg1 / manufactoring"
    assert "reg1 / food" in p.message


def test_a_folder_without_tables_is_a_data_error(saved: Path, tmp_path: Path) -> None:
    d = tmp_path / "empty"
    d.mkdir()
    for f in ("file_parameters.json", "metadata.json"):
        shutil.copy(saved / f, d / f)
    with pytest.raises(DataError, match="pymrio cannot read it|no Z"):
        load_mrio(d)


def test_a_missing_final_demand_table_is_named(saved: Path, tmp_path: Path) -> None:
    io = pymrio.load_test()
    io.Y = None
    from allychain.data.mrio import from_pymrio

    with pytest.raises(DataError, match="has no Y table"):
        from_pymrio(io, name="x", source=str(tmp_path))
