"""``allychain serve`` as a process: starts on the ETO data, answers on loopback, stops."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("uvicorn", reason="allychain serve needs the server extra")


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def eto_server(eto_dir: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "allychain.cli.serve", "--port", str(port), "--data", str(eto_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    started = None
    try:
        with httpx.Client(timeout=2.0) as c:
            while time.perf_counter() - t0 < 60 and proc.poll() is None:
                try:
                    if c.get(base + "/api/health").status_code == 200:
                        started = time.perf_counter() - t0
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
        if started is None:
            err = proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else ""
            pytest.fail(f"server did not start: {err[-2000:]}")
        yield {"base": base, "startup": started}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_serve_eto(eto_server: dict[str, Any], eto_dir: Path) -> None:
    from allychain.analysis import chokepoints
    from allychain.data.eto import read_eto

    # start-up time is a speed goal: benchmarks/bench_api.py measures it (target < 3 s), not this test
    with httpx.Client(base_url=eto_server["base"], timeout=60.0) as c:
        health = c.get("/api/health").json()
        assert health["data"] == str(eto_dir)
        body = c.get("/api/analysis/chokepoints").json()
        assert body["count"] == len(chokepoints(read_eto(eto_dir)))
        assert c.get("/").status_code == 200
        bad = c.get("/api/analysis/partners", params={"k": 99})
        assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_serve_bad_data_exits_cleanly(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "allychain.cli.serve", "--port", "0", "--data", str(tmp_path / "none")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "no such file or folder" in r.stderr and "Traceback" not in r.stderr
