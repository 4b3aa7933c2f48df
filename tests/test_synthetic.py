"""The synthetic firm-scale generator: the shape it promises (tiers, BOMs, heavy-tailed
supplier degree, concentrated countries), reproducibility, and a network the readers, the
simulation and the CLI accept.  Checked on the 10⁴-link size (and smaller) only."""

from __future__ import annotations

import sys
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from allychain.cli.main import main
from allychain.data.native import read_native
from allychain.data.synthetic import TIERS, firm_network, sites_for_links
from allychain.simulate.networks import from_site_network
from allychain.testing import assert_network_equal


@pytest.fixture(scope="module")
def net():
    return firm_network(sites_for_links(10_000), seed=7)


def _tier(net) -> dict[str, int]:
    return dict(zip(net.nodes["node_id"], net.meta["tier"].tolist(), strict=True))


def test_size_matches_the_request(net) -> None:
    assert len(net.nodes) == sites_for_links(10_000)
    assert 8_000 <= len(net.edges) <= 12_500  # about 10⁴ links
    assert not net.edges.duplicated(["supplier", "customer"]).any()


def test_the_same_seed_gives_the_same_network_and_another_seed_another() -> None:
    a, b = firm_network(400, seed=3), firm_network(400, seed=3)
    assert_network_equal(a, b)
    c = firm_network(400, seed=4)
    assert not a.edges.equals(c.edges)


def test_tiers_are_acyclic_every_edge_goes_up_a_tier(net) -> None:
    tier = _tier(net)
    sup = net.edges["supplier"].map(tier).to_numpy()
    cus = net.edges["customer"].map(tier).to_numpy()
    assert (sup < cus).all()
    prod_tier = net.nodes.groupby("product")["node_id"].first().map(tier)
    bom_in = net.bom["input_product"].map(prod_tier).to_numpy()
    bom_node = net.bom["node_id"].map(tier).to_numpy()
    assert (bom_in < bom_node).all()
    # every tier is populated, in the stated order
    assert net.nodes.groupby("stage")["node_id"].count().reindex([s for _, s, _ in TIERS]).gt(0).all()


def test_every_bom_input_is_supplied_and_every_edge_serves_a_bom_input(net) -> None:
    product = dict(zip(net.nodes["node_id"], net.nodes["product"], strict=True))
    supplied = defaultdict(set)
    for s, c in zip(net.edges["supplier"], net.edges["customer"], strict=True):
        supplied[c].add(product[s])
    needs = defaultdict(set)
    for node, inp in zip(net.bom["node_id"], net.bom["input_product"], strict=True):
        needs[node].add(inp)
    missing = [(n, p) for n, ps in needs.items() for p in ps if p not in supplied[n]]
    assert not missing, missing[:5]
    stray = [(c, p) for c, ps in supplied.items() for p in ps if p not in needs[c]]
    assert not stray, stray[:5]
    assert (net.bom["quantity"] > 0).all()
    raw = net.nodes.loc[net.nodes["stage"] == TIERS[0][1], "node_id"]
    assert not net.bom["node_id"].isin(raw).any()  # raw materials need nothing


def test_supplier_degree_is_heavy_tailed(net) -> None:
    """Against a Poisson degree of the same mean (what uniform attachment gives): the
    largest supplier has tens of times the mean, and the tail index of the top 5 %
    (Hill estimator) is that of a power law, not of a thin tail."""
    deg = net.edges.groupby("supplier").size().to_numpy(dtype=float)
    mean = deg.mean()
    assert deg.max() > 15 * mean
    top = np.sort(deg)[-max(20, len(deg) // 20):]
    hill = 1.0 / np.mean(np.log(top / top[0]))
    assert 0.8 < hill < 3.5, hill
    # a Poisson of this mean essentially never reaches 15× its mean
    rng = np.random.default_rng(0)
    assert rng.poisson(mean, len(deg)).max() < 15 * mean


def test_markets_are_concentrated_by_country(net) -> None:
    cap = net.nodes.groupby(["product", "country"])["capacity"].sum()
    top = cap.groupby(level=0).max() / cap.groupby(level=0).sum()
    assert top.median() > 0.35
    assert (top > 0.65).sum() >= 5  # some single-country markets (critical for everyone else)
    assert net.nodes["country"].nunique() >= 15


def test_the_baseline_fits_within_capacity_and_serves_the_demand(net) -> None:
    system = from_site_network(net)
    cap = net.nodes["capacity"].to_numpy(dtype=float)
    assert (system.x0 <= cap * (1 + 1e-9)).all()
    final = net.nodes["demand"].notna().to_numpy()
    assert np.allclose(system.x0[final], net.nodes["demand"].to_numpy(dtype=float)[final])
    # most sites with a customer produce (a few only serve sites that nobody buys from)
    has_customer = net.nodes["node_id"].isin(net.edges["supplier"]).to_numpy()
    assert (system.x0[has_customer] > 0).mean() > 0.9
    assert (system.x0 >= 0).all()


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["allychain", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return int(exc.value.code or 0), out + err


def test_written_network_reads_back_whole_and_valid(tmp_path, monkeypatch, capsys) -> None:
    out = tmp_path / "gen"
    code, text = _cli(monkeypatch, capsys, "data", "generate", "--sites", "300", "--out", str(out), "--seed", "5")
    assert code == 0, text
    back = read_native(out)  # the boundary validation passes
    ref = firm_network(300, seed=5)
    for table in ("nodes", "edges", "bom"):
        got, want = getattr(back, table), getattr(ref, table)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_exact=False,
                                      rtol=1e-15)
    code, text = _cli(monkeypatch, capsys, "data", "generate", "--sites", "300", "--out", str(out))
    assert code == 4 and "exists" in text
    code, text = _cli(monkeypatch, capsys, "data", "generate", "--sites", "20", "--out", str(tmp_path / "few"))
    assert code == 2 and not (tmp_path / "few").exists()
