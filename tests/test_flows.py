"""One flow network under simulation and TTS/TTR: the simulation system and the TTS/TTR
site network are both made from allychain.model.flows.flow_network — same nodes, same
input shares, same unknown parts — on built-in data and on builtin+eto."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allychain.data.load import load
from allychain.model.flows import UNKNOWN, flow_network
from allychain.model.network import Network
from allychain.optimize.country import site_network
from allychain.optimize.ttr_tts import site_view
from allychain.simulate import build_system
from allychain.simulate.networks import from_share_network


def toy() -> Network:
    """Two datasets; an unknown share; an item with firm rows only; a process step without
    shares; a variant linked by is_type_of."""
    items = pd.DataFrame({"item_id": ["ore", "resist", "euv-resist", "litho", "chip"],
                          "name": ["Ore", "Resist", "EUV resist", "Lithography", "Chip"],
                          "kind": ["raw_material", "chemical", "chemical", "process", "chip"]})
    providers = pd.DataFrame({"provider_id": ["AAA", "BBB", "CCC", "firmX"], "name": ["A", "B", "C", "X"],
                              "kind": ["country", "country", "country", "firm"],
                              "country": [None, None, None, "CCC"]})
    shares = pd.DataFrame({
        "item_id": ["ore", "ore", "ore", "resist", "resist", "euv-resist", "chip", "chip"],
        "provider_id": ["AAA", "BBB", "AAA", "AAA", "BBB", "firmX", "BBB", "CCC"],
        "share": [60.0, 40.0, 90.0, 70.0, np.nan, 80.0, 50.0, 30.0],
        "year": [2022, 2022, 2022, 2022, 2022, 2022, 2022, 2022],
        "dataset": ["first", "first", "second", "first", "first", "first", "first", "first"]})
    relations = pd.DataFrame({"source": ["ore", "resist", "euv-resist", "litho"],
                              "target": ["chip", "litho", "resist", "chip"],
                              "kind": ["goes_into", "goes_into", "is_type_of", "goes_into"]})
    return Network(name="toy", items=items, providers=providers, shares=shares, relations=relations,
                   meta={"precedence": ["first", "second"]})


def test_flow_network_by_hand():
    f = flow_network(toy())
    got = dict(zip(f.nodes["node_id"], f.nodes["share"], strict=True))
    assert got == pytest.approx({
        "AAA/ore": .6, "BBB/ore": .4,                     # dataset 'first' wins over 'second' (AAA 90 %)
        "AAA/resist": .7, "ROW/resist": .3,               # BBB's share is unknown: part of ROW, not 0
        "CCC/euv-resist": .8, "ROW/euv-resist": .2,        # firm rows only: firmX's home country
        "BBB/litho": .5, "CCC/litho": .3, "ROW/litho": .2,  # process step: where the chip is made
        "BBB/chip": .5, "CCC/chip": .3, "ROW/chip": .2})
    basis = dict(zip(f.nodes["node_id"], f.nodes["basis"], strict=True))
    assert basis["CCC/euv-resist"] == "firm home country" and basis["BBB/litho"] == "inherited"
    assert basis["ROW/chip"] == "unknown"
    inputs = {(t, s): q for t, s, q in zip(f.inputs["item_id"], f.inputs["input_id"], f.inputs["quantity"],
                                           strict=True)}
    assert inputs == {("chip", "ore"): 1.0, ("litho", "resist"): 1.0, ("resist", "euv-resist"): 1.0,
                      ("chip", "litho"): 1.0}
    assert f.finals == ["chip"]
    assert f.unknown().to_dict() == pytest.approx({"ore": 0, "resist": .3, "euv-resist": .2, "litho": .2,
                                                   "chip": .2})
    ignored = flow_network(toy(), is_type_of="ignore")
    assert ("resist", "euv-resist") not in set(zip(ignored.inputs["item_id"], ignored.inputs["input_id"], strict=True))
    assert "euv-resist" in ignored.finals


def assert_same_chain(net: Network) -> None:
    """The simulation system and the TTS/TTR network of ``net`` are both the flow network."""
    f = flow_network(net)
    sim = build_system(net)
    tts = site_view(net)
    # made from it, not re-derived: the same objects come out of the flow network directly
    assert sim.node_ids == from_share_network(f).node_ids
    assert tts.nodes.equals(site_network(f, source=net).nodes)
    # same nodes and shares
    ids = f.nodes["node_id"].tolist()
    assert sim.node_ids == ids
    assert np.allclose(sim.x0, f.nodes["share"])
    site = tts.nodes.set_index("node_id")
    providers = site[~site.index.str.startswith("market/")]
    assert providers.index.tolist() == ids
    head = tts.meta["assumptions"]["headroom"]
    assert np.allclose(providers["capacity"] / (1 + head), f.nodes["share"])
    # every market is whole: known shares plus the unknown part
    assert np.allclose(f.nodes.groupby("item_id")["share"].sum(), 1.0)
    # same input shares: simulation slots and TTS bills of materials both carry the flow quantities
    want = {(t, s): q for t, s, q in zip(f.inputs["item_id"], f.inputs["input_id"], f.inputs["quantity"],
                                         strict=True)}
    item_of = dict(zip(f.nodes["node_id"], f.nodes["item_id"], strict=True))
    sim_q = {(sim.node_ids[b], sim.products[p]): a for p, b, a in zip(sim.slot_prod, sim.slot_buyer, sim.slot_a,
                                                                     strict=True)}
    bom_q = {(n, i): q for n, i, q in zip(tts.bom["node_id"], tts.bom["input_product"], tts.bom["quantity"],
                                          strict=True)}
    assert sim_q == pytest.approx(bom_q)
    assert {(item_of[n], i): q for (n, i), q in sim_q.items()} == pytest.approx(
        {k: v for k, v in want.items() if any(item_of[n] == k[0] for n in ids)})
    # same unknown parts, named the same way
    sim_unknown = {sim.products[p]: x for p, x, r in zip(sim.node_product, sim.x0, sim.node_region, strict=True)
                   if r == UNKNOWN}
    assert sim_unknown == pytest.approx({k: v for k, v in f.unknown().items() if v > 0})
    assert tts.meta["unknown"] == pytest.approx(f.unknown().to_dict())
    assert not any(n.startswith(f"{UNKNOWN}/") for n in tts.meta["disruptable"])


def test_toy_chain_is_one():
    assert_same_chain(toy())


def test_builtin_chain_is_one():
    assert_same_chain(load("builtin"))


def test_builtin_plus_eto_chain_is_one(eto_dir):
    assert_same_chain(load(f"builtin+{eto_dir}"))


def test_firm_granularity_feeds_both_consumers_alike():
    net = toy()
    f = flow_network(net, granularity="firm")
    got = dict(zip(f.nodes["node_id"], f.nodes["share"], strict=True))
    # only euv-resist has firm rows: firmX 80 % (home country CCC), the rest unknown; every other item is unknown
    assert got["firmX/euv-resist"] == pytest.approx(0.8) and got["ROW/euv-resist"] == pytest.approx(0.2)
    assert got["ROW/ore"] == pytest.approx(1.0)
    country = dict(zip(f.nodes["node_id"], f.nodes["country"], strict=True))
    assert country["firmX/euv-resist"] == "CCC"
    sim = from_share_network(net, granularity="firm")
    tts = site_network(net, granularity="firm")
    assert sim.node_ids == f.nodes["node_id"].tolist()
    assert tts.nodes["node_id"].tolist()[: len(f.nodes)] == f.nodes["node_id"].tolist()
    assert tts.meta["disruptable"] == ["firmX/euv-resist"]
