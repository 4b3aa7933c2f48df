"""Labour and electricity as local inputs of the flow network: hand-solved on a toy chain
(nodes, shares, local links), the simulation (a grid outage at one country stops that
country's consuming nodes and nobody else's) and TTS/TTR (the input nodes carried, no
inventory), and on the built-in chain with the built-in inputs.  Without inputs nothing
changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from allychain.errors import AllychainError
from allychain.model.flows import flow_network
from allychain.model.network import Network
from allychain.optimize.country import site_network
from allychain.simulate.api import run_scenario
from allychain.simulate.networks import from_share_network
from allychain.simulate.scenario import parse_scenario


def toy() -> Network:
    """ore (AAA 100 %) goes into chip (AAA 60 %, BBB 40 %)."""
    items = pd.DataFrame({"item_id": ["ore", "chip"], "name": ["Ore", "Chip"], "kind": ["raw_material", "chip"]})
    providers = pd.DataFrame({"provider_id": ["AAA", "BBB"], "name": ["A", "B"], "kind": ["country", "country"]})
    shares = pd.DataFrame({"item_id": ["ore", "chip", "chip"], "provider_id": ["AAA", "AAA", "BBB"],
                           "share": [100.0, 60.0, 40.0], "year": [2022] * 3, "dataset": ["t"] * 3})
    relations = pd.DataFrame({"source": ["ore"], "target": ["chip"], "kind": ["goes_into"]})
    return Network(name="toy", items=items, providers=providers, shares=shares, relations=relations)


POWER = pd.DataFrame({"input_id": ["electricity", "electricity"], "kind": ["electricity", "electricity"],
                      "item_id": ["chip", "ore"]})


def test_local_input_nodes_by_hand() -> None:
    f = flow_network(toy(), inputs=POWER)
    got = dict(zip(f.nodes["node_id"], f.nodes["share"], strict=True))
    # q = 1/2 per consuming item: AAA draws 0.5·0.6 (chip) + 0.5·1.0 (ore), BBB 0.5·0.4
    assert got["AAA/electricity"] == pytest.approx(0.8) and got["BBB/electricity"] == pytest.approx(0.2)
    assert f.nodes.groupby("item_id")["share"].sum().to_dict() == pytest.approx({"ore": 1, "chip": 1,
                                                                                "electricity": 1})
    local = f.inputs[f.inputs["scope"] == "local"]
    assert set(zip(local["item_id"], local["quantity"], strict=True)) == {("chip", 0.5), ("ore", 0.5)}
    assert f.local == {"electricity": "electricity"} and f.items[-1] == "electricity"
    assert "electricity" not in f.finals


def test_without_inputs_nothing_changes() -> None:
    plain, empty = flow_network(toy()), flow_network(toy(), inputs=POWER.iloc[:0])
    assert plain.nodes.equals(empty.nodes) and plain.inputs.equals(empty.inputs) and plain.local == {}
    assert set(plain.inputs["scope"]) == {"world"}


def test_simulation_links_local_inputs_to_the_own_country_only() -> None:
    sim = from_share_network(flow_network(toy(), inputs=POWER))
    ids = sim.node_ids
    local_edges = {(ids[s], ids[b]) for s, b in zip(sim.edge_sup, sim.edge_buyer, strict=True)
                   if ids[s].endswith("/electricity")}
    assert local_edges == {("AAA/electricity", "AAA/chip"), ("AAA/electricity", "AAA/ore"),
                           ("BBB/electricity", "BBB/chip")}
    # balanced: every node delivers its baseline output
    out = np.bincount(sim.edge_sup, weights=sim.edge_z0, minlength=len(ids)) + sim.y0
    assert out == pytest.approx(sim.x0)


def test_grid_outage_stops_the_own_countrys_nodes_only() -> None:
    net = toy().replace(meta={"inputs": POWER})
    sc = parse_scenario({"name": "grid", "shocks": [{"nodes": ["BBB/electricity"], "loss_fraction": 1.0,
                                                       "onset": 2, "duration": 5}]}, "s.yaml")
    res = run_scenario(sc, net, steps=12)
    x = res.frame("production")
    assert x["BBB/chip"].iloc[4] < 0.05 * x["BBB/chip"].iloc[0]      # stopped within a step or two
    assert x["AAA/chip"].iloc[4] == pytest.approx(x["AAA/chip"].iloc[0], rel=1e-6)  # another grid: untouched


def test_tts_network_carries_the_input_nodes_without_inventory() -> None:
    tts = site_network(toy().replace(meta={"inputs": POWER}))
    nodes = tts.nodes.set_index("node_id")
    assert nodes.loc["AAA/electricity", "inventory"] == 0 and nodes.loc["AAA/electricity", "ttr"] == 0.25
    edges = set(zip(tts.edges["supplier"], tts.edges["customer"], strict=True))
    assert ("AAA/electricity", "BBB/chip") not in edges and ("BBB/electricity", "BBB/chip") in edges
    assert "AAA/electricity" in tts.meta["disruptable"]


@pytest.mark.parametrize(("table", "message"), [
    (POWER.assign(kind="water"), "kind water"),
    (POWER.assign(input_id="ore"), "already an item"),
    (POWER.drop(columns="kind"), "missing column"),
])
def test_bad_input_tables_are_clear_errors(table: pd.DataFrame, message: str) -> None:
    with pytest.raises(AllychainError, match=message):
        flow_network(toy(), inputs=table)


def test_builtin_chain_with_inputs_is_one_and_default_unchanged() -> None:
    from allychain.data.inputs import with_inputs
    from allychain.data.load import load
    from test_flows import assert_same_chain

    net = load("builtin")
    withp = with_inputs(net, ["labour", "electricity"])
    assert_same_chain(withp)
    plain, f = flow_network(net), flow_network(withp)
    # the default flow network is a prefix of the one with inputs: same nodes, shares and world inputs
    assert f.nodes.iloc[: len(plain.nodes)].equals(plain.nodes)
    assert f.inputs[f.inputs["scope"] == "world"].reset_index(drop=True).equals(plain.inputs)
    # sourced rows only: electricity into the items the energy table has kWh for, labour into wafer fabrication
    from allychain.energy import load_builtin

    local = f.inputs[f.inputs["scope"] == "local"]
    e = load_builtin().intensity
    powered = set(e.loc[e["value"].notna(), "item_id"]) & set(net.items["item_id"])
    assert {"foundry-services", "wafer-fabrication"} <= powered  # the fabs' kWh per wafer are sourced
    assert set(zip(local["input_id"], local["item_id"], strict=True)) == (
        {("electricity", i) for i in powered} | {("labour", "wafer-fabrication")})
    assert "memory-chips" in set(withp.meta["inputs_not_covered"]["item_id"])  # not covered, said so
    # a grid is shared by its country's consuming nodes: TWN/electricity feeds TWN's nodes only
    sim = from_share_network(f)
    ids = sim.node_ids
    fed = {ids[b] for s, b in zip(sim.edge_sup, sim.edge_buyer, strict=True) if ids[s] == "TWN/electricity"}
    assert fed == {"TWN/foundry-services", "TWN/wafer-fabrication"}


def test_builtin_taiwan_grid_outage_hits_taiwan_fabs_first() -> None:
    from allychain.data.inputs import with_inputs
    from allychain.data.load import load

    net = with_inputs(load("builtin"), ["electricity"])
    sc = parse_scenario({"name": "grid", "shocks": [{"nodes": ["TWN/electricity"], "loss_fraction": 1.0,
                                                       "onset": 2, "duration": 3}]}, "s.yaml")
    x = run_scenario(sc, net, steps=6).frame("production")
    assert x["TWN/foundry-services"].iloc[3] < 0.05 * x["TWN/foundry-services"].iloc[0]
    assert x["KOR/foundry-services"].iloc[3] == pytest.approx(x["KOR/foundry-services"].iloc[0], rel=1e-3)


def test_tts_power_is_a_node_others_must_survive() -> None:
    """Losing Korea's grid stops at least what losing Korea's wafer fabrication stops (it also
    feeds Korea's foundry services): its time to survive is no longer; its TTR (a week) is short."""
    pytest.importorskip("highspy", reason="TTS needs the optimize extra")
    from allychain.data.inputs import with_inputs
    from allychain.data.load import load
    from allychain.optimize import tts_ttr

    net = with_inputs(load("builtin"), ["electricity"])
    t = tts_ttr(net, ["KOR/electricity", "KOR/wafer-fabrication"]).table.set_index("disruption")
    assert t.at["KOR/electricity", "tts"] <= t.at["KOR/wafer-fabrication", "tts"] + 1e-6
    assert t.at["KOR/electricity", "ttr"] == pytest.approx(0.25)


def test_analyze_inputs_cli_and_bad_option(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    import json
    import sys

    from allychain.cli.main import main
    from allychain.data.load import load

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["allychain", "analyze", "inputs", *args])
        with pytest.raises(SystemExit) as exc:
            main()
        out, err = capsys.readouterr()
        return int(exc.value.code or 0), out, err

    code, out, err = run("-m", "KOR,NLD", "-f", "json")
    assert code == 0 and "electricity: not covered (no sourced kWh per unit)" in err
    rows = {(r["input_node"], r["item_id"]): r for r in json.loads(out)}
    plain = flow_network(load("builtin")).nodes.set_index("node_id")["share"]
    # the share on Taiwan's grid is Taiwan's node share of the item (a region's fabs on one grid)
    assert rows["TWN/electricity", "foundry-services"]["share"] == pytest.approx(plain["TWN/foundry-services"] * 100)
    assert rows["KOR/labour", "wafer-fabrication"]["member"] and not rows["TWN/labour", "wafer-fabrication"]["member"]
    code, out, err = run("--inputs", "water")
    assert code == 3 and "--inputs: got water" in err and "Traceback" not in err


def _random_inputs_network() -> object:
    from hypothesis import strategies as st

    from allychain.testing import share_networks

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Network, pd.DataFrame]:
        net = draw(share_networks(max_items=5, max_providers=4, min_shares=3, max_shares=10,
                                  provider_kinds=("country", "country", "firm")))
        items = list(net.items["item_id"].astype(str))
        rows = []
        for inp, kind in (("electricity", "electricity"), ("labour", "labour")):
            for it in draw(st.lists(st.sampled_from(items), max_size=3, unique=True)):
                rows.append({"input_id": inp, "kind": kind, "item_id": it})
        return net, pd.DataFrame(rows, columns=["input_id", "kind", "item_id"])

    return build()


def test_property_local_inputs_keep_every_market_whole_balanced_and_local() -> None:
    """Random share networks and input tables: every item's world supply stays 1 (the inputs
    too), the simulation baseline balances, each local edge joins one country to itself, and
    the nodes without inputs are those of the plain flow network."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_random_inputs_network())
    def check(case: tuple[Network, pd.DataFrame]) -> None:
        net, table = case
        try:
            plain = flow_network(net)
        except AllychainError:
            return  # a network without items: nothing to add inputs to
        f = flow_network(net, inputs=table)
        assert f.nodes.iloc[: len(plain.nodes)].equals(plain.nodes)
        totals = f.nodes.groupby("item_id")["share"].sum()
        assert np.allclose(totals, 1.0)
        assert set(f.local) == set(table["input_id"])
        sim = from_share_network(f)
        out = np.bincount(sim.edge_sup, weights=sim.edge_z0, minlength=len(sim.node_ids)) + sim.y0
        assert np.allclose(out, sim.x0)
        prov = dict(zip(f.nodes["node_id"], f.nodes["provider_id"], strict=True))
        for s, b in zip(sim.edge_sup, sim.edge_buyer, strict=True):
            if sim.node_ids[s].split("/", 1)[1] in f.local:
                assert prov[sim.node_ids[s]] == prov[sim.node_ids[b]]

    check()
