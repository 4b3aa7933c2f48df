"""The pymrio bridge: ``--data pymrio-test`` and pymrio-written folders."""

from __future__ import annotations

import numpy as np
import pytest

from allychain.data.load import load
from allychain.errors import DataError

pymrio = pytest.importorskip("pymrio")

pytestmark = [pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def test_pymrio_test_spec_matches_pymrio():
    net = load("pymrio-test")
    ref = pymrio.load_test().calc_all()
    assert net.io.Z.shape == (48, 48)
    assert np.allclose(net.io.Z.to_numpy(), ref.Z.to_numpy())
    assert np.allclose(np.asarray(net.io.x, dtype=float), ref.x.to_numpy().ravel())
    assert net.io.node_ids[:2] == ["reg1/food", "reg1/mining"]
    assert net.io.unit == "Mill USD"
    assert sorted(net.providers["provider_id"]) == [f"reg{i}" for i in range(1, 7)]


def test_pymrio_folder_loads(tmp_path):
    io = pymrio.load_test().calc_all()
    io.save(tmp_path / "mrio")
    net = load(str(tmp_path / "mrio"))
    assert np.allclose(net.io.Z.to_numpy(), io.Z.to_numpy())
    net2 = load(f"pymrio:{tmp_path / 'mrio'}")
    assert np.allclose(net2.io.Y.to_numpy(), io.Y.to_numpy())
    with pytest.raises(DataError, match="no such file"):
        load(f"pymrio:{tmp_path / 'missing'}")
