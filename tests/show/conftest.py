"""Fixtures of the API, dashboard and report tests: one application on the built-in
data per session, a test client, and a live server on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def network() -> Any:
    from allychain.data.load import load

    return load("builtin")


@pytest.fixture(scope="session")
def app(network: Any) -> Any:
    pytest.importorskip("fastapi", reason="the API needs the server extra: pip install 'allychain[server]'")
    pytest.importorskip("uvicorn", reason="the API needs the server extra: pip install 'allychain[server]'")
    from allychain.api import create_app

    return create_app(network)


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[Any]:
    with warnings.catch_warnings():
        # starlette's test client warns when it runs on httpx rather than httpx2
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    with TestClient(app, base_url="http://127.0.0.1") as c:  # the server answers loopback Host names only
        yield c


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    """The application served by uvicorn on 127.0.0.1 in a thread; yields its base address."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="allychain-test-server", daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    if not server.started:
        pytest.fail("the test server did not start within 20 s")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def artefacts() -> Any:
    """Folder for screenshots and rendered pages kept by CI (test-artifacts/show, git-ignored)."""
    from pathlib import Path

    p = Path(__file__).resolve().parents[2] / "test-artifacts" / "show"
    p.mkdir(parents=True, exist_ok=True)
    return p


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; skips when either is missing."""
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install playwright")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
