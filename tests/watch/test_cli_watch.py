"""`allychain watch extract` through the real entry point: JSON lines, JSON, table, stdin, errors."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from allychain.cli.main import main

TEXT = "China will require licences for exports of gallium and germanium from 1 August.\n"


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
        stdin: bytes | None = None) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["allychain", *args])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_json_lines_one_event_per_line(tmp_path: Path, monkeypatch, capsys) -> None:
    f = tmp_path / "notice.txt"
    f.write_text(TEXT, encoding="utf-8")
    rc, out, err = run(monkeypatch, capsys, "watch", "extract", str(f), "--date", "2023-07-03")
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    ev = json.loads(lines[0])
    assert ev["item_ids"] == ["gallium", "germanium"] and ev["effective_date"] == "2023-08-01"
    assert TEXT[ev["trigger"]["start"]:ev["trigger"]["end"]] == ev["trigger"]["text"]
    assert "1 event(s)" in err


def test_array_with_links_from_stdin(monkeypatch, capsys) -> None:
    rc, out, _ = run(monkeypatch, capsys, "watch", "extract", "-", "--date", "2023-07-03", "--format", "json",
                     "--link", stdin=TEXT.encode())
    assert rc == 0
    arr = json.loads(out)
    assert len(arr) == 1 and arr[0]["event"]["document"] == "stdin" and "KOR" in arr[0]["exposed_members"]


def test_table_and_bad_files_exit_with_their_status_without_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    good, bad = tmp_path / "a.html", tmp_path / "b.bin"
    good.write_text(f"<html><body><p>{TEXT}</p></body></html>", encoding="utf-8")
    bad.write_bytes(b"\x00\x01\x02" * 1000)
    rc, out, err = run(monkeypatch, capsys, "watch", "extract", str(good), str(bad), str(tmp_path / "none.txt"),
                       "-f", "table", "--date", "2023-07-03")
    assert rc == 4  # binary input is 3 (invalid input), a missing file 4 (environment): the highest
    assert "licence_requirement" in out and "gallium" in out
    assert "binary" in err and "no such file" in err and "Traceback" not in err


def test_binary_input_alone_exits_3(tmp_path: Path, monkeypatch, capsys) -> None:
    bad = tmp_path / "b.bin"
    bad.write_bytes(b"\x00\x01\x02" * 1000)
    rc, out, err = run(monkeypatch, capsys, "watch", "extract", str(bad))
    assert rc == 3 and out == "" and "binary" in err
