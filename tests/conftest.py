"""Shared fixtures. The ETO dataset copy lives beside the repository (../shared/data/eto)
and is never committed; tests that need it skip when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ETO_DIR = Path(os.environ.get("ALLYCHAIN_ETO_DIR", REPO.parent / "shared" / "data" / "eto"))

os.environ.setdefault("ALLYCHAIN_INVARIANTS", "1")  # internal invariant guards on in tests
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def eto_dir() -> Path:
    if not (ETO_DIR / "provision.csv").exists():
        pytest.skip(f"ETO dataset copy not found at {ETO_DIR}")
    return ETO_DIR
