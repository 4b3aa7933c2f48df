"""A few seconds of the soak test (benchmarks/soak_api.py) against a live loopback server:
good, bad and hostile requests from concurrent clients — no 5xx, every job accounted for.
The 60-second run with memory sampling is in docs/benchmarks.md."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

SOAK = Path(__file__).resolve().parents[2] / "benchmarks" / "soak_api.py"


@pytest.fixture(scope="module")
def soak() -> Any:
    pytest.importorskip("httpx")
    spec = importlib.util.spec_from_file_location("soak_api", SOAK)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_short_soak_no_5xx_and_every_job_accounted_for(live_server: str, soak: Any) -> None:
    st = soak.run_soak(live_server, seconds=4.0, clients=4, max_requests=400, seed=7)
    assert st.requests >= 20 and st.by_kind["hostile"] > 0 and st.by_kind["bad"] > 0
    assert st.server_errors == []
    assert st.jobs_unaccounted == []
    assert sum(st.jobs_final.values()) == st.jobs_accepted
    assert all(s < 500 for s in st.statuses)


def test_soak_refuses_non_loopback_addresses(soak: Any) -> None:
    with pytest.raises(SystemExit, match="loopback"):
        soak.run_soak("http://example.org", seconds=0.1, clients=1)
