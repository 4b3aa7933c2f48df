"""kill -9 of the server during submissions (a short in-suite version of benchmarks/bench_ws_faults.py,
which runs 20+ trials on PostgreSQL and SQLite): every acknowledged submission survives complete, nothing
half-written is visible, retried requests never store twice, and the audit chain verifies."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "allychain" / "data" / "examples" / "three_tier"


def _bench() -> Any:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_ws_faults", BENCH / "bench_ws_faults.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(BENCH))


@pytest.mark.slow
def test_kill_9_during_submissions_loses_nothing_acknowledged() -> None:
    pytest.importorskip("uvicorn", reason="allychain serve needs the server extra")
    out = _bench().run("sqlite", trials=2, clients=2, seed=7, min_delay=0.3, max_delay=1.5, data=str(EXAMPLE),
                       log=lambda s: None)
    assert out["failed_checks"] == 0, out
    assert out["acknowledged"] > 0 and out["missing"] == 0 and out["wrong"] == 0
    assert out["half_written"] == 0 and out["duplicate_keys"] == 0
    assert out["chain_ok"] and out["creates_audited"] == out["submissions"] >= out["acknowledged"]
