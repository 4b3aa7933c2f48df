"""Fixtures of the optimisation tests (skipped where HiGHS is not installed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("highspy")
pytest.importorskip("scipy")

EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "allychain" / "data" / "examples" / "three_tier"


def net(nodes, edges=None, bom=None):  # noqa: ANN001, ANN201
    from allychain.model.network import Network

    return Network(nodes=pd.DataFrame(nodes), edges=None if edges is None else pd.DataFrame(edges),
                   bom=None if bom is None else pd.DataFrame(bom))


@pytest.fixture(scope="session")
def example_dir() -> Path:
    return EXAMPLE
