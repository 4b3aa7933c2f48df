"""Data folders are read only inside themselves, and only from regular files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from allychain.data.load import builtin_path, load
from allychain.errors import DataError
from allychain.files import read_input

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or sys.platform == "win32",
                                reason="symbolic links and FIFOs need a POSIX file system")

THREE_TIER = Path(__file__).resolve().parents[1] / "src" / "allychain" / "data" / "examples" / "three_tier"
SECRET = "root:x:0:0:SECRET-LINE-THAT-MUST-NOT-LEAK\n"


def _copy_builtin(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(builtin_path(), folder)
    return folder


def _outside(tmp_path: Path) -> Path:
    f = tmp_path / "outside" / "passwd"
    f.parent.mkdir()
    f.write_text("item_id,name,kind\n" + SECRET)
    return f


def test_a_table_linked_to_an_outside_file_is_refused_unread(tmp_path: Path) -> None:
    folder = _copy_builtin(tmp_path)
    (folder / "items.csv").unlink()
    (folder / "items.csv").symlink_to(_outside(tmp_path))
    with pytest.raises(DataError) as exc:
        load(str(folder))
    text = str(exc.value)
    assert "items.csv: table leads outside the data folder" in text or "leads outside the data folder" in text
    assert "SECRET" not in text and "root:x" not in text


def test_a_linked_sub_folder_leading_out_is_refused(tmp_path: Path) -> None:
    folder = _copy_builtin(tmp_path)
    outside = _outside(tmp_path)
    (folder / "sub").symlink_to(outside.parent, target_is_directory=True)
    (outside.parent / "items.csv").write_text("item_id,name,kind\n" + SECRET)
    m = (folder / "manifest.json").read_text()
    (folder / "manifest.json").write_text(m.replace('"items.csv"', '"sub/items.csv"'))
    with pytest.raises(DataError, match="leads outside the data folder") as exc:
        load(str(folder))
    assert "SECRET" not in str(exc.value)


def test_links_that_stay_inside_are_fine_and_the_folder_may_be_a_link(tmp_path: Path) -> None:
    folder = _copy_builtin(tmp_path)
    (folder / "tables").mkdir()
    (folder / "items.csv").rename(folder / "tables" / "items.csv")
    (folder / "items.csv").symlink_to(Path("tables") / "items.csv")
    (tmp_path / "alias").symlink_to(folder, target_is_directory=True)
    assert len(load(str(tmp_path / "alias")).items) == len(load("builtin").items)


def test_an_eto_table_linked_outside_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "eto"
    folder.mkdir()
    for name in ("stages.csv", "inputs.csv", "providers.csv", "sequence.csv"):
        (folder / name).write_text("x\n1\n")
    (folder / "provision.csv").symlink_to(_outside(tmp_path))
    with pytest.raises(DataError, match="leads outside the data folder") as exc:
        load(str(folder))
    assert "SECRET" not in str(exc.value)


@pytest.mark.parametrize("target", ["items.csv", "manifest.json", "io/Z.csv"])
def test_a_fifo_named_as_a_table_is_refused_at_once(tmp_path: Path, target: str) -> None:
    """Reading a FIFO blocks until a writer comes; the reader must refuse it instead.
    Run in a child process with a deadline so that a regression fails instead of hanging."""
    if target.startswith("io/"):
        folder = tmp_path / "mrio"
        shutil.copytree(THREE_TIER, folder)
        (folder / "io").mkdir(exist_ok=True)
        (folder / "io" / "Y.csv").write_text(",,c\n,,fd\nr,s,1\n")
        import json

        m = json.loads((folder / "manifest.json").read_text())
        m["io"] = {"Z": "io/Z.csv", "Y": "io/Y.csv", "unit": "M.EUR"}
        (folder / "manifest.json").write_text(json.dumps(m))
    else:
        folder = _copy_builtin(tmp_path)
    (folder / target).unlink(missing_ok=True)
    os.mkfifo(folder / target)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    r = subprocess.run([sys.executable, "-m", "allychain", "data", "validate", str(folder)], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.returncode != 0
    assert "not a regular file" in r.stderr and target.split("/")[-1] in r.stderr
    assert "Traceback" not in r.stderr


def test_read_input_checks(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"x" * 100)
    assert read_input(f, root=tmp_path) == b"x" * 100
    with pytest.raises(DataError, match="file too large: 100 bytes"):
        read_input(f, max_bytes=99)
    with pytest.raises(DataError, match="a folder, not a file"):
        read_input(tmp_path)
    (tmp_path / "dangling").symlink_to(tmp_path / "nothing")
    with pytest.raises(DataError, match="file not found"):
        read_input(tmp_path / "dangling")
    with pytest.raises(DataError, match="leads outside"):
        read_input(f, root=tmp_path / "sub")
