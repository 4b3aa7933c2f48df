"""The downloader, against a local HTTP server on 127.0.0.1 (the only address used here).

Every test that serves a release runs twice: on a small synthetic release written to a
temporary folder (always, so the downloader is tested without ``../shared``) and on the
shared ETO copy (skipped clearly where it is absent)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allychain.cli.main import app
from allychain.data.download import MANIFEST, OPTIONAL_FILES, REQUIRED_FILES, cached_eto_path, download
from allychain.data.eto import read_eto
from allychain.data.load import load
from allychain.errors import DataError, DownloadError
from allychain.model.info import info

REQUIRED = REQUIRED_FILES["eto"]
COUNTS = ("items", "providers", "countries", "firms", "share_rows", "items_with_known_country_shares", "years",
          "relations", "sources", "stages")


class Handler(SimpleHTTPRequestHandler):
    """Serves a folder; ``overrides`` maps a file name to (status, body, declared length or None)."""

    overrides: dict[str, tuple[int, bytes, int | None]] = {}

    def do_GET(self) -> None:  # noqa: N802
        name = self.path.lstrip("/")
        if name in self.overrides:
            status, body, length = self.overrides[name]
            self.send_response(status)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


COUNTRIES = ("USA", "KOR", "NLD", "JPN", "TWN")


def write_synthetic_release(folder: Path, n_inputs: int = 30) -> Path:
    """A made-up release in the ETO layout: three stages, ``n_inputs`` tools, five countries
    with known shares (one unknown per tool), a chain of goes_into relations, a source."""
    def write(name: str, lines: list[str]) -> None:
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    folder.mkdir(parents=True, exist_ok=True)
    write("stages.csv", ["stage_id,stage_name,description", "S1,Design,d", "S2,Fabrication,f", "S3,Packaging,p"])
    write("inputs.csv", ["input_id,input_name,type,stage_id,description,year"]
          + [f"N{i},Tool {i},tool_resource,S2,a tool,2024" for i in range(n_inputs)])
    write("providers.csv", ["provider_name,alias,provider_id,provider_type,country"]
          + [f"{c},{c},P{j},country," for j, c in enumerate(COUNTRIES)])
    write("provision.csv", ["provider_name,provider_id,provided_name,provided_id,share_provided,year,source"]
          + [f"{c},P{j},Tool {i},N{i},{'' if j == i % len(COUNTRIES) else 20},2024,\"Synthetic survey, 2024\""
             for i in range(n_inputs) for j, c in enumerate(COUNTRIES)])
    write("sequence.csv", ["input_name,input_id,goes_into_name,goes_into_id,is_type_of_name,is_type_of_id"]
          + [f"Tool {i},N{i},{f'Tool {i + 1}' if i + 1 < n_inputs else ''},{f'N{i + 1}' if i + 1 < n_inputs else ''},,"
             for i in range(n_inputs)])
    return folder


@pytest.fixture(scope="module", params=["synthetic", "shared"])
def release(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder a test server serves: the synthetic release, or the shared ETO copy."""
    if request.param == "shared":
        return request.getfixturevalue("eto_dir")  # skips, saying where it looked, without the copy
    return write_synthetic_release(tmp_path_factory.mktemp("synthetic") / "eto")


@pytest.fixture
def server(release):
    """Start a server on 127.0.0.1 (free port); yields (base url, overrides dict)."""
    overrides: dict[str, tuple[int, bytes, int | None]] = {}
    handler = type("H", (Handler,), {"overrides": overrides})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(release)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", overrides
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(n) -> dict:
    got = info(n)
    return {k: got[k] for k in COUNTS}


@pytest.fixture(scope="module")
def reference(release):
    return counts(read_eto(release))


def test_download_api(server, release, tmp_path, reference):
    url, _ = server
    dest = download("eto", dest=tmp_path / "eto", source=url, progress=False)
    assert dest == tmp_path / "eto"
    served = sorted(f for f in (*REQUIRED, *OPTIONAL_FILES["eto"]) if (release / f).exists())
    assert sorted(p.name for p in dest.iterdir() if p.name != MANIFEST) == served  # absent optional files skipped
    for name in served:
        assert (dest / name).read_bytes() == (release / name).read_bytes(), name
    manifest = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["source"] == url and manifest["dataset"] == "eto" and manifest["downloaded_at"]
    assert {n: f["sha256"] for n, f in manifest["files"].items()} == {n: sha(release / n) for n in served}
    assert counts(read_eto(dest)) == reference
    assert [p.name for p in tmp_path.iterdir()] == ["eto"]  # no temporary folder left


def test_download_cli_and_load_from_cache(server, release, tmp_path, monkeypatch, reference):
    url, _ = server
    monkeypatch.setenv("ALLYCHAIN_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DataError, match="allychain data download eto"):
        cached_eto_path()
    runner = CliRunner()
    res = runner.invoke(app, ["data", "download", "eto", "--dest", str(tmp_path / "d"), "--source", url])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines()[-1] == str(tmp_path / "d")
    assert "CC BY-NC 4.0" in res.stderr
    for name in REQUIRED:
        assert (tmp_path / "d" / name).read_bytes() == (release / name).read_bytes()
    # without --dest: into the cache, which load("eto") and --data eto then use
    res = runner.invoke(app, ["data", "download", "eto", "--source", url])
    assert res.exit_code == 0, res.output
    assert cached_eto_path() == tmp_path / "cache" / "eto"
    assert counts(load("eto")) == reference
    res = runner.invoke(app, ["data", "info", "--data", "eto", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert {k: json.loads(res.stdout)[k] for k in COUNTS} == reference


def test_cache_dir_follows_xdg(server, tmp_path, monkeypatch):
    url, _ = server
    monkeypatch.delenv("ALLYCHAIN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert download("eto", source=url, progress=False) == tmp_path / "xdg" / "allychain" / "eto"
    assert cached_eto_path() == tmp_path / "xdg" / "allychain" / "eto"


def test_404_for_required_file_leaves_nothing(server, tmp_path):
    url, overrides = server
    overrides["provision.csv"] = (404, b"not found", None)
    with pytest.raises(DownloadError, match=r"provision\.csv: HTTP 404"):
        download("eto", dest=tmp_path / "eto", source=url, progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["truncated", "garbage", "short_body", "wrong_header", "empty"])
def test_bad_file_keeps_existing_cache(server, release, tmp_path, kind):
    url, overrides = server
    dest = download("eto", dest=tmp_path / "eto", source=url, progress=False)
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    body = (release / "provision.csv").read_bytes()
    cut = body[: len(body) // 2]
    cut = cut[: cut.rindex(b",")]  # ends inside a row: too few fields
    overrides["provision.csv"] = {
        "truncated": (200, cut, None),
        "garbage": (200, b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary", None),
        "short_body": (200, body[:1000], len(body)),  # server announces more than it sends
        "wrong_header": (200, b"a,b\n1,2\n", None),
        "empty": (200, b"", None),
    }[kind]
    with pytest.raises(DownloadError) as exc:
        download("eto", dest=dest, source=url, progress=False)
    message = str(exc.value)
    assert "provision.csv" in message
    expect = {"truncated": "do not read as the eto dataset", "garbage": "not UTF-8", "short_body": "truncated",
              "wrong_header": "header lacks columns", "empty": "empty"}[kind]
    assert expect in message
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before  # untouched
    assert [p.name for p in tmp_path.iterdir()] == ["eto"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on exit: nothing listens there


def test_offline_message_in_cli(tmp_path):
    port = free_port()
    env = {**os.environ, "ALLYCHAIN_CACHE_DIR": str(tmp_path / "cache")}
    res = subprocess.run(
        [sys.executable, "-m", "allychain", "data", "download", "eto", "--dest", str(tmp_path / "eto"),
         "--source", f"http://127.0.0.1:{port}/", "--timeout", "5"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert res.returncode != 0
    assert f"cannot reach http://127.0.0.1:{port}/stages.csv" in res.stderr
    assert "you appear to be offline" in res.stderr and "--source" in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
    assert not (tmp_path / "eto").exists()


def test_refuses_to_replace_unrelated_folder(server, tmp_path):
    url, _ = server
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(DownloadError, match="does not hold an earlier download"):
        download("eto", dest=mine, source=url, progress=False)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_local_folder_as_source_and_unknown_dataset(release, tmp_path, reference):
    dest = download("eto", dest=tmp_path / "eto", source=str(release), progress=False)
    assert counts(read_eto(dest)) == reference
    with pytest.raises(DownloadError, match="unknown dataset"):
        download("nope", dest=tmp_path / "x")
