"""Durable outputs (allychain.durable): whole or not at all, one writer, paths checked first."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from allychain import durable
from allychain.durable import check_output, lock_output, output_file, output_folder, recover, replace_folder
from allychain.errors import OutputError


def _unwritable(tmp_path: Path) -> Path:
    """A folder this process cannot create anything in (root ignores modes: use /sys)."""
    if os.geteuid() == 0:
        return Path("/sys")
    d = tmp_path / "ro"
    d.mkdir(exist_ok=True)
    d.chmod(0o500)
    return d


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_wrong_kind_of_path_is_refused_before_work(tmp_path: Path, kind: str) -> None:
    a_file, a_dir = tmp_path / "x.png", tmp_path / "d"
    a_file.write_bytes(b"\x89PNG\r\n\x1a\n")
    a_dir.mkdir()
    with pytest.raises(OutputError, match="is a folder; a file name is expected" if kind == "file" else
                       "is a file; a folder is expected"):
        check_output(a_dir if kind == "file" else a_file, kind)  # type: ignore[arg-type]
    with pytest.raises(OutputError, match="is not a folder"):
        check_output(a_file / "below", kind)  # type: ignore[arg-type]
    with pytest.raises(OutputError, match="cannot write in"):
        check_output(_unwritable(tmp_path) / "out", kind)  # type: ignore[arg-type]
    with pytest.raises(OutputError, match="cannot write in"):  # the writers themselves, not only the check
        with (output_file if kind == "file" else output_folder)(_unwritable(tmp_path) / "out2"):
            pass


def test_unrelated_files_are_refused_without_overwrite(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("precious")
    with pytest.raises(OutputError, match="holds other files.*--overwrite"), output_folder(mine) as tmp:
        (tmp / "a.csv").write_text("x\n")
    assert (mine / "thesis.docx").read_text() == "precious" and not (mine / "a.csv").exists()
    table = tmp_path / "items.png"  # a table saved under a chart's name is not a chart
    table.write_text("id,name\n")
    with pytest.raises(OutputError, match="does not look like an earlier result"):
        check_output(table, "file")
    with output_folder(mine, overwrite=True, kind="simulation") as tmp:
        (tmp / "a.csv").write_text("x\n")
    assert sorted(p.name for p in mine.iterdir()) == [durable.MARKER, "a.csv"]
    # now an earlier result: replaced without --overwrite
    with output_folder(mine, kind="simulation") as tmp:
        (tmp / "b.csv").write_text("y\n")
    assert sorted(p.name for p in mine.iterdir()) == [durable.MARKER, "b.csv"]


def test_failure_inside_leaves_the_earlier_result(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_folder(out, kind="t") as tmp:
        (tmp / "a.csv").write_text("old\n")
    with pytest.raises(RuntimeError), output_folder(out, kind="t") as tmp:
        (tmp / "a.csv").write_text("new\n")
        raise RuntimeError("boom")
    assert (out / "a.csv").read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder, no lock file left


@pytest.mark.parametrize("exchange", [True, False])
def test_modes_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool) -> None:
    if not exchange:
        monkeypatch.setattr(durable, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    with output_folder(out, kind="t") as tmp:
        (tmp / "a").write_text("1")
    out.chmod(0o755)
    with output_folder(out, kind="t") as tmp:
        (tmp / "a").write_text("2")
    assert stat.S_IMODE(out.stat().st_mode) == 0o755 and (out / "a").read_text() == "2"
    f = tmp_path / "brief.html"
    with output_file(f) as tmp:
        tmp.write_text("<html>1</html>")
    f.chmod(0o640)
    with output_file(f) as tmp:
        tmp.write_text("<html>2</html>")
    assert stat.S_IMODE(f.stat().st_mode) == 0o640 and f.read_text() == "<html>2</html>"


def test_interrupted_swaps_are_recovered(tmp_path: Path) -> None:
    out = tmp_path / "out"
    # killed after the earlier folder moved aside and before the new one moved in (two-rename fallback)
    old = tmp_path / ".out.old"
    old.mkdir()
    (old / "a").write_text("old")
    ready = tmp_path / ".out.ready"
    ready.mkdir()
    (ready / "a").write_text("new")
    with lock_output(out):
        recover(out)
    assert (out / "a").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # killed right after the earlier folder moved aside, nothing ready: the earlier one comes back
    os.rename(out, old)
    with lock_output(out):
        recover(out)
    assert (out / "a").read_text() == "new" and not old.exists()


def test_fallback_swap_without_exchange(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(durable, "_exchange", lambda a, b: False)
    out, tmp = tmp_path / "out", tmp_path / "new"
    out.mkdir()
    (out / "a").write_text("old")
    tmp.mkdir()
    (tmp / "a").write_text("new")
    replace_folder(tmp, out)
    assert (out / "a").read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_leftovers_of_killed_runs_are_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with output_folder(out, kind="t") as tmp:
        (tmp / "a").write_text("0")
    junk = [".out.tmp-0a1b2c3d", ".out.ab12cd34.tmp", ".out.ab12cd34.old", ".out.download-x1y2z3w4", ".out.old"]
    for name in junk:
        (tmp_path / name).mkdir()
        (tmp_path / name / "big.bin").write_bytes(b"0" * 1000)
    (tmp_path / "out.part").write_text("half")
    keep = [".outer.tmp-0a1b2c3d", ".out.b.ab12cd34.tmp", "out.csv"]
    for name in keep:
        (tmp_path / name).write_text("not ours")
    with output_folder(out, kind="t") as tmp:
        (tmp / "a").write_text("1")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out", *keep])


def test_second_writer_in_another_thread_fails_fast(tmp_path: Path) -> None:
    out = tmp_path / "out"
    inside, release = threading.Event(), threading.Event()

    def first() -> None:
        with output_folder(out, kind="t") as tmp:
            (tmp / "a").write_text("first")
            inside.set()
            release.wait(10)

    t = threading.Thread(target=first)
    t.start()
    assert inside.wait(10)
    try:
        with pytest.raises(OutputError, match="being written by another"), output_folder(out, kind="t"):
            pass
    finally:
        release.set()
        t.join()
    assert (out / "a").read_text() == "first"


HOLD = """
import sys, time
from allychain.durable import lock_output
with lock_output(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_second_process_gets_a_clear_message_and_the_lock_dies_with_the_holder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(durable.__file__).parents[1])}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputError, match=r"being written by another allychain run \(lock \.out\.lock\)"):
            with output_folder(out):
                pass
    finally:
        holder.kill()  # like kill -9: the kernel drops the lock
        holder.wait()
    with output_folder(out, kind="t") as tmp:
        (tmp / "a").write_text("after")
    assert (out / "a").read_text() == "after"


def test_concurrent_exports_never_traceback(tmp_path: Path) -> None:
    from allychain.data.load import load
    from allychain.data.native import read_native, write_native

    net = load("src/allychain/data/examples/three_tier" if Path("src").exists() else "builtin")
    out = tmp_path / "export"
    errors: list[BaseException] = []
    done: list[int] = []

    def export(i: int) -> None:
        try:
            write_native(net, out, overwrite=True)
            done.append(i)
        except BaseException as exc:  # noqa: BLE001 - collected and checked below
            errors.append(exc)

    threads = [threading.Thread(target=export, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert done, errors
    assert all(isinstance(e, OutputError) and "being written" in str(e) for e in errors), errors
    assert read_native(out).name == net.name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_marker_names_the_writer(tmp_path: Path) -> None:
    with output_folder(tmp_path / "o", kind="simulation"):
        pass
    m = json.loads((tmp_path / "o" / durable.MARKER).read_text())
    assert m["writer"] == "allychain" and m["kind"] == "simulation"
    assert durable.is_result_folder(tmp_path / "o", "simulation") and not durable.is_result_folder(tmp_path)


@pytest.mark.parametrize("args, words", [
    (["report", "--out", "{dir}"], "is a folder; a file name is expected"),
    (["report", "--out", "{dir}/brief.html", "--pdf", "{dir}"], "is a folder; a file name is expected"),
    (["analyze", "chokepoints", "--plot", "{dir}"], "must end in .png or .svg"),
    (["analyze", "chokepoints", "--plot", "{dir}/sub.png"], "is a folder; a file name is expected"),
    (["analyze", "chokepoints", "--plot", "{file}/x.png"], "is not a folder"),
    (["analyze", "chokepoints", "--plot", "{dir}/nowhere/x.png"], "does not exist"),
    (["analyze", "chokepoints", "--plot", "{table}"], "does not look like an earlier result"),
    (["simulate", "--steps", "5", "--out", "{file}"], "is a file; a folder is expected"),
    (["simulate", "--steps", "5", "--out", "{file}/below"], "is not a folder"),
    (["simulate", "--steps", "5", "--out", "{ro}/out"], "cannot write in"),
    (["data", "export", "{file}"], "not a folder"),
    (["optimize", "tts", "--data", "{three_tier}", "--plot", "{dir}/sub.png"], "is a folder; a file name is expected"),
    (["optimize", "stockpile", "{three_tier}/stockpile.yaml", "--plot", "{table}"],
     "does not look like an earlier result"),
])
def test_cli_output_paths_are_checked_before_any_work(tmp_path: Path, args: list[str], words: str) -> None:
    from typer.testing import CliRunner

    from allychain.cli.main import app

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "sub.png").mkdir()
    (tmp_path / "f.csv").write_text("x\n")
    (tmp_path / "t.png").write_text("item_id,share\n")  # a table saved under a chart's name
    names = {"dir": str(tmp_path / "d"), "file": str(tmp_path / "f.csv"), "table": str(tmp_path / "t.png"),
             "ro": str(_unwritable(tmp_path)),
             "three_tier": str(Path(__file__).resolve().parents[1] / "src/allychain/data/examples/three_tier")}
    r = CliRunner().invoke(app, [a.format(**names) for a in args])
    assert r.exit_code != 0
    assert words in str(r.exception) or words in r.output, (r.exception, r.output)
    if "--plot" in args:  # no --overwrite on these commands: the message must not offer one
        assert "--overwrite" not in str(r.exception) + r.output
    assert (tmp_path / "f.csv").read_text() == "x\n" and (tmp_path / "t.png").read_text() == "item_id,share\n"


def test_export_keeps_folder_modes_and_new_folders_get_the_default(tmp_path: Path) -> None:
    """Export changed 0755 to 0700 (mkdtemp's mode); a new folder now gets 0777 less the umask."""
    from allychain.data.load import load
    from allychain.data.native import write_native

    net = load("builtin")
    umask = os.umask(0o022)
    try:
        write_native(net, tmp_path / "new")
        assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o755
        (tmp_path / "new").chmod(0o750)
        write_native(net, tmp_path / "new", overwrite=True)
        assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o750
    finally:
        os.umask(umask)


def test_reading_the_cache_tidies_what_killed_downloads_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from allychain.data.download import cached_eto_path

    monkeypatch.setenv("ALLYCHAIN_CACHE_DIR", str(tmp_path))
    old = tmp_path / ".eto.old"  # a download killed between its two renames (the two-rename fallback)
    old.mkdir()
    for name in ("stages.csv", "inputs.csv", "providers.csv", "provision.csv", "sequence.csv"):
        (old / name).write_text("x\n")
    (tmp_path / ".eto.download-ab12cd34").mkdir()  # an earlier version's temporary folder
    assert cached_eto_path() == tmp_path / "eto"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eto"]


def test_the_current_folder_is_never_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    with output_folder(work, kind="simulation") as tmp:  # an earlier result, replaceable in itself
        (tmp / "a").write_text("1")
    monkeypatch.chdir(work)
    for dest in (".", str(work), str(tmp_path)):
        with pytest.raises(OutputError, match="is the current folder or holds it"):
            check_output(dest, "folder", overwrite=True)
    assert (work / "a").read_text() == "1"
