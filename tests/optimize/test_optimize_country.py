"""Country × item mapping of share networks."""

from __future__ import annotations

import pandas as pd
import pytest

from allychain.model.network import Network
from allychain.optimize.country import TTR_DEFAULTS, site_network
from allychain.optimize.ttr_tts import tts_ttr


def share_net():
    items = pd.DataFrame({"item_id": ["resist", "wafer", "chip"], "name": ["Photoresist", "Wafer", "Chip"],
                          "kind": ["chemical", "material", "chip"], "market_size": [None, None, None]})
    providers = pd.DataFrame({"provider_id": ["JPN", "KOR", "USA", "TWN"], "name": ["J", "K", "U", "T"],
                              "kind": ["country"] * 4})
    shares = pd.DataFrame({"item_id": ["resist", "resist", "wafer", "chip", "chip", "chip"],
                           "provider_id": ["JPN", "USA", "JPN", "TWN", "KOR", "USA"],
                           "share": [60.0, 40.0, 100.0, 50.0, 30.0, None], "year": [2022] * 6})
    relations = pd.DataFrame({"source": ["resist", "wafer"], "target": ["chip", "chip"], "kind": ["goes_into"] * 2})
    return Network(name="toy", items=items, providers=providers, shares=shares, relations=relations)


def test_mapping_tables():
    s = site_network(share_net(), headroom=0.1)
    nodes = s.nodes.set_index("node_id")
    # chip shares as published (USA's share unknown): TWN 50 %, KOR 30 %, and the unknown 20 % is ROW/chip,
    # never spread over the known providers
    assert nodes.loc["TWN/chip", "capacity"] == pytest.approx(0.5 * 1.1)
    assert nodes.loc["ROW/chip", "capacity"] == pytest.approx(0.2 * 1.1)
    assert "USA/chip" not in nodes.index and s.meta["unknown"]["chip"] == pytest.approx(0.2)
    assert nodes.loc["JPN/resist", "ttr"] == TTR_DEFAULTS["material"]
    assert nodes.loc["KOR/chip", "ttr"] == TTR_DEFAULTS["chip"]
    assert nodes.loc["market/chip", "demand"] == 1.0
    assert set(s.meta["disruptable"]) == set(nodes.index) - {"market/chip", "ROW/chip"}
    assert (s.bom["quantity"] == 1.0).all()  # each input goes into one item
    assert len(s.edges) == 3 * 3 + 3  # (2 resist + 1 wafer) x 3 chip nodes (TWN, KOR, ROW) + 3 to market


def test_tts_by_hand_on_mapping():
    # resist: JPN 60 %, USA 40 %, headroom 10 %, cover 2 months.  JPN down: USA gives 0.44/month for
    # a need of 1, short 0.56/month; stocks 0.6*2 + 0.4*2 of resist (and chip stocks 2 months of chips)
    s = site_network(share_net(), headroom=0.1, cover={"resist": 2.0, "chip": 0.0, "wafer": 2.0})
    r = tts_ttr(s).table.set_index("disruption")
    assert r.loc["JPN/resist", "tts"] == pytest.approx(2.0 / 0.56)
    assert r.loc["JPN/wafer", "tts"] == pytest.approx(2.0)  # single source: its cover
    assert bool(r.loc["JPN/wafer", "unprotected"])
    o = site_network(share_net(), ttr={"wafer": 1.0})
    assert o.nodes.set_index("node_id").loc["JPN/wafer", "ttr"] == 1.0


def test_demo_lists_member_unprotected_nodes():
    from rich.console import Console

    from allychain.cli.optimize import demo

    n = share_net()
    n = n.replace(alliances=pd.DataFrame({"alliance_id": ["KOR-NLD", "KOR-NLD"], "member": ["KOR", "NLD"]}))
    console = Console(record=True, width=120)
    res = demo(n, console)
    text = console.export_text()
    t = res.table.set_index("disruption")
    assert bool(t.loc["KOR/chip", "unprotected"])  # 30 % share, 2 months of chips, TTR 21 months
    assert "KOR/chip" in text and "JPN/wafer" not in text  # only members' nodes are listed
    assert "1 unprotected" in text
