"""Verified downloads against a loopback server serving a synthetic release (no ../shared needed).

The server misbehaves on request: a body cut at a line boundary with no Content-Length,
a declared size above the cap, an endless stream, a dribble of one byte at a time. In
every case the cached copy must stay exactly as it was. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allychain.cli.main import app
from allychain.data.download import MANIFEST, download
from allychain.data.eto import read_eto
from allychain.errors import DownloadError

COUNTRIES = ("USA", "KOR", "NLD", "JPN", "TWN")
N_INPUTS, PER_INPUT = 260, len(COUNTRIES)  # 1,300 share rows, as in the reported case


def synthetic_release(n_inputs: int = N_INPUTS) -> dict[str, bytes]:
    """A small release in the ETO layout (made up: stages, tools, countries, equal shares)."""
    stages = "stage_id,stage_name,description\nS1,Design,d\nS2,Fabrication,f\nS3,Packaging,p\n"
    inputs = ["input_id,input_name,type,stage_name,stage_id,description,year"]
    inputs += [f"N{i},Tool {i},tool_resource,Fabrication,S2,a tool,2024" for i in range(n_inputs)]
    providers = ["provider_name,alias,provider_id,provider_type,country"]
    providers += [f"{c},{c},P{j},country," for j, c in enumerate(COUNTRIES)]
    provision = ["provider_name,provider_id,provided_name,provided_id,share_provided,year,source"]
    provision += [f"{c},P{j},Tool {i},N{i},20,2024,synthetic" for i in range(n_inputs)
                  for j, c in enumerate(COUNTRIES)]
    sequence = ["input_name,input_id,goes_into_name,goes_into_id,is_type_of_name,is_type_of_id"]
    sequence += [f"Tool {i},N{i},,,," for i in range(n_inputs)]
    return {"stages.csv": stages.encode(), "inputs.csv": ("\n".join(inputs) + "\n").encode(),
            "providers.csv": ("\n".join(providers) + "\n").encode(),
            "provision.csv": ("\n".join(provision) + "\n").encode(),
            "sequence.csv": ("\n".join(sequence) + "\n").encode()}


class Release(BaseHTTPRequestHandler):
    """Serves ``files``; ``modes`` maps a file name to how to misbehave."""

    files: dict[str, bytes] = {}
    modes: dict[str, str] = {}

    def do_GET(self) -> None:  # noqa: N802
        name = self.path.lstrip("/")
        body, mode = self.files.get(name), self.modes.get(name, "")
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        if mode == "":
            self.send_header("Content-Length", str(len(body)))
        elif mode == "oversized":
            self.send_header("Content-Length", str(10 * 2**30))
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            if mode.startswith("cut:"):  # close-delimited body ending after N whole lines
                lines = body.splitlines(keepends=True)
                self.wfile.write(b"".join(lines[: int(mode[4:]) + 1]))
            elif mode == "endless":
                line = b"P1,P1,Tool 0,N0,20,2024,again and again\n" * 1000
                for _ in range(5000):  # bounded: at most ~190 MB if the client never stops
                    self.wfile.write(line)
            elif mode == "dribble":
                for b in body[:200]:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.1)
            elif mode != "oversized":
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server():
    files, modes = synthetic_release(), {}
    handler = type("H", (Release,), {"files": files, "modes": modes})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", files, modes
    finally:
        httpd.shutdown()
        httpd.server_close()
        t.join(timeout=5)


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _good_cache(tmp_path: Path, url: str) -> tuple[Path, dict[str, str]]:
    dest = tmp_path / "cache" / "eto"
    download("eto", dest=dest, source=url, progress=False)
    return dest, _snapshot(dest)


def test_first_download_records_rows_and_checksums(server, tmp_path: Path) -> None:
    url, files, _ = server
    dest, _ = _good_cache(tmp_path, url)
    m = json.loads((dest / MANIFEST).read_text())
    rec = m["files"]["provision.csv"]
    assert rec["rows"] == N_INPUTS * PER_INPUT == 1300 and rec["change"] == "new"
    assert rec["sha256"] == hashlib.sha256(files["provision.csv"]).hexdigest()
    assert rec["bytes"] == len(files["provision.csv"])
    assert len(read_eto(dest).shares) == 1300
    dest.chmod(0o755)
    download("eto", dest=dest, source=url, progress=False)
    assert json.loads((dest / MANIFEST).read_text())["files"]["provision.csv"]["change"] == "unchanged"
    assert dest.stat().st_mode & 0o777 == 0o755  # kept (it was 0700 after a download before)


def test_truncated_at_a_line_boundary_without_length_leaves_the_cache(server, tmp_path: Path) -> None:
    url, _, modes = server
    dest, before = _good_cache(tmp_path, url)
    modes["provision.csv"] = "cut:780"  # the reported case: 780 of 1,300 share rows, exit 0 before
    with pytest.raises(DownloadError, match=r"provision.csv: 780 rows, the cached copy has 1,300"):
        download("eto", dest=dest, source=url, progress=False)
    assert _snapshot(dest) == before
    assert [p.name for p in dest.parent.iterdir()] == ["eto"]  # no temporary folder, no lock left
    # a release that really shrank is accepted when asked, and the change is recorded
    download("eto", dest=dest, source=url, progress=False, allow_fewer_rows=True)
    rec = json.loads((dest / MANIFEST).read_text())["files"]["provision.csv"]
    assert rec["rows"] == 780 and rec["change"] == "changed: 1,300 → 780 rows"


def test_declared_size_above_the_cap_is_refused_before_reading(server, tmp_path: Path) -> None:
    url, _, modes = server
    dest, before = _good_cache(tmp_path, url)
    modes["provision.csv"] = "oversized"
    with pytest.raises(DownloadError, match=r"announces 10,737,418,240 bytes, more than the size limit"):
        download("eto", dest=dest, source=url, progress=False)
    assert _snapshot(dest) == before


def test_an_endless_stream_is_cut_at_the_cap(server, tmp_path: Path) -> None:
    url, _, modes = server
    dest, before = _good_cache(tmp_path, url)
    modes["provision.csv"] = "endless"
    t = time.monotonic()
    with pytest.raises(DownloadError, match=r"passed the size limit of 2,097,152 bytes \(--max-size\)"):
        download("eto", dest=dest, source=url, progress=False, max_bytes=2 * 2**20)
    assert time.monotonic() - t < 30
    assert _snapshot(dest) == before


def test_a_dribbling_server_meets_the_overall_deadline(server, tmp_path: Path) -> None:
    url, _, modes = server
    dest, before = _good_cache(tmp_path, url)
    modes["provision.csv"] = "dribble"  # one byte every 0.1 s: each read is well within the timeout
    t = time.monotonic()
    with pytest.raises(DownloadError, match=r"did not finish within 1.5 s \(--deadline\)"):
        download("eto", dest=dest, source=url, progress=False, timeout=10, deadline=1.5)
    assert time.monotonic() - t < 5
    assert _snapshot(dest) == before


def test_cli_shows_rows_and_changes(server, tmp_path: Path) -> None:
    url, _, modes = server
    dest = tmp_path / "eto"
    r = CliRunner().invoke(app, ["data", "download", "eto", "--dest", str(dest), "--source", url])
    assert r.exit_code == 0, r.output
    assert "provision.csv: 1,300 rows, sha256" in r.stderr and "new" in r.stderr
    modes["provision.csv"] = "cut:100"
    r = CliRunner().invoke(app, ["data", "download", "eto", "--dest", str(dest), "--source", url])
    assert r.exit_code != 0 and "--allow-fewer-rows" in str(r.exception)
    r = CliRunner().invoke(app, ["data", "download", "eto", "--dest", str(dest), "--source", url, "--max-size", "0"])
    assert r.exit_code == 2 and "--max-size" in r.output  # a usage error, found where options are parsed
