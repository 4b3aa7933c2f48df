"""Share networks and site networks as simulation systems."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allychain.model.network import Network
from allychain.simulate import build_system, simulate
from allychain.simulate.networks import ROW


def _share_net():
    items = pd.DataFrame({"item_id": ["ore", "metal", "chip"], "name": ["ore", "metal", "chip"],
                          "kind": ["raw_material", "material", "chip"]})
    providers = pd.DataFrame({"provider_id": ["AAA", "BBB", "CCC", "firm1"], "name": ["A", "B", "C", "F"],
                              "kind": ["country", "country", "country", "firm"]})
    shares = pd.DataFrame({"item_id": ["ore", "ore", "metal", "metal", "chip", "chip", "chip"],
                           "provider_id": ["AAA", "BBB", "AAA", "firm1", "BBB", "CCC", "AAA"],
                           "share": [60.0, 40.0, 70.0, 30.0, 50.0, 30.0, np.nan],
                           "year": [2020, 2020, 2020, 2020, 2021, 2021, 2021]})
    relations = pd.DataFrame({"source": ["ore", "metal"], "target": ["metal", "chip"],
                              "kind": ["goes_into", "goes_into"]})
    return Network(name="toy", items=items, providers=providers, shares=shares, relations=relations)


def test_share_network_construction_by_hand():
    s = build_system(_share_net())
    # ore: AAA 0.6, BBB 0.4; metal: AAA 0.7 + ROW 0.3 (firm rows not counted); chip: BBB .5, CCC .3, ROW .2
    x0 = dict(zip(s.node_ids, s.x0, strict=False))
    assert x0 == pytest.approx({"AAA/ore": .6, "BBB/ore": .4, "AAA/metal": .7, f"{ROW}/metal": .3,
                                "BBB/chip": .5, "CCC/chip": .3, f"{ROW}/chip": .2})
    # only the final item has final demand; every node is balanced
    out = np.bincount(s.edge_sup, weights=s.edge_z0, minlength=s.n) + s.y0
    assert np.allclose(out, s.x0)
    assert s.y0[s.node_ids.index("BBB/chip")] == pytest.approx(0.5)
    # proportional sourcing: CCC/chip buys metal 0.7:0.3 from AAA and ROW
    j = s.node_ids.index("CCC/chip")
    flows = {s.node_ids[k]: z for k, b, z in zip(s.edge_sup, s.edge_buyer, s.edge_z0, strict=False) if b == j}
    assert flows == pytest.approx({"AAA/metal": 0.7 * 0.3, f"{ROW}/metal": 0.3 * 0.3})


def test_share_network_single_supplier_loss_propagates_after_cover():
    s = build_system(_share_net())
    path = np.zeros((120, s.n))
    path[:, s.node_ids.index("AAA/metal")] = 1.0
    res = simulate(s, 120, capacity_path=path)
    chip = [s.node_ids.index(k) for k in ("BBB/chip", "CCC/chip")]
    x = res.arrays["production"][:, 0, :]
    # 90-day stocks, ψ = 0.8: no chip loss for the first 18 days, then a loss
    assert np.allclose(x[:18, chip], s.x0[chip])
    assert np.all(x[-1, chip] < 0.9 * s.x0[chip])


def test_site_network_baseline_solves_leontief():
    nodes = pd.DataFrame({"node_id": ["mine", "smelter", "fab"], "product": ["ore", "metal", "chip"],
                          "capacity": [100.0, 100.0, 100.0], "inventory": [np.nan, 60.0, 300.0],
                          "demand": [0.0, 2.0, 10.0], "country": ["AAA", "BBB", "CCC"]})
    edges = pd.DataFrame({"supplier": ["mine", "smelter"], "customer": ["smelter", "fab"], "share": [1.0, 1.0]})
    bom = pd.DataFrame({"node_id": ["smelter", "fab"], "input_product": ["ore", "metal"], "quantity": [3.0, 0.5]})
    s = build_system(Network(name="site", nodes=nodes, edges=edges, bom=bom))
    # fab 10; smelter 2 + 0.5*10 = 7; mine 3*7 = 21
    assert np.allclose(s.x0, [21.0, 7.0, 10.0])
    assert np.allclose(s.edge_z0, [21.0, 5.0])
    # inventory over baseline output = target in steps: smelter 60/7, fab 300/10
    assert np.allclose(s.slot_s, [60 / 7, 30.0])
    res = simulate(s, 20)
    assert np.allclose(res.arrays["production"][:, 0, :], s.x0)
