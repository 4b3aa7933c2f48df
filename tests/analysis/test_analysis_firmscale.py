"""Dependency analysis on a generated site network against a brute-force walk over its
sites: which products a member needs (through every tier), each one's internal, foreign and
top-foreign capacity shares, and criticality."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from allychain.analysis.dependencies import CRITICAL_SHARE, MIN_ROLE_SHARE, dependencies
from allychain.data.synthetic import firm_network


@pytest.fixture(scope="module")
def net():
    return firm_network(1_500, seed=21)


def _walk(net, member: str) -> dict[str, dict[str, object]]:
    """Plain Python over the site rows: roots are the products the member makes at least
    MIN_ROLE_SHARE of (or at any site of its own); a product is required when a BOM walk
    from a root reaches it in one step or more."""
    cap: dict[str, dict[str, float]] = {}
    for p, c, k in zip(net.nodes["product"], net.nodes["country"], net.nodes["capacity"], strict=True):
        cap.setdefault(p, {}).setdefault(c, 0.0)
        cap[p][c] += k
    share = {p: {c: 100.0 * v / sum(by.values()) for c, v in by.items()} for p, by in cap.items()}
    roots = {p for p, by in share.items() if by.get(member, 0.0) >= MIN_ROLE_SHARE}
    roots |= set(net.nodes.loc[net.nodes["country"] == member, "product"])
    product = dict(zip(net.nodes["node_id"], net.nodes["product"], strict=True))
    inputs: dict[str, set[str]] = {}
    for node, inp in zip(net.bom["node_id"], net.bom["input_product"], strict=True):
        inputs.setdefault(product[node], set()).add(inp)
    tier: dict[str, int] = {}
    weight: dict[str, float] = {}
    for r in roots:
        seen = {r: 0}
        queue = deque([r])
        while queue:
            p = queue.popleft()
            for q in inputs.get(p, ()):
                if q not in seen:
                    seen[q] = seen[p] + 1
                    queue.append(q)
        for q, t in seen.items():
            if t > 0:
                tier[q] = min(t, tier.get(q, t))
                weight[q] = max(share[r].get(member, 0.0), weight.get(q, -1.0))
    out = {}
    for p, t in tier.items():
        foreign = {c: v for c, v in share[p].items() if c != member}
        top = max(foreign, key=lambda c: foreign[c]) if foreign else None
        out[p] = {"tier": t, "internal": share[p].get(member, 0.0), "foreign": sum(foreign.values()),
                  "top": top, "top_share": foreign.get(top, 0.0) if top else 0.0, "weight": weight[p],
                  "critical": bool(top and foreign[top] >= CRITICAL_SHARE)}
    return out


@pytest.mark.parametrize("member", ["KOR", "NLD", "USA"])
def test_dependencies_match_a_brute_force_walk(net, member) -> None:
    ref = _walk(net, member)
    got = dependencies(net, member).set_index("item_id")
    assert set(got.index) == set(ref), set(got.index) ^ set(ref)
    assert ref, "the member needs something"
    for p, r in ref.items():
        row = got.loc[p]
        assert row["tier"] == r["tier"], p
        assert row["internal_share"] == pytest.approx(r["internal"], abs=1e-9), p
        assert row["foreign_share"] == pytest.approx(r["foreign"], abs=1e-9), p
        assert row["top_foreign_share"] == pytest.approx(r["top_share"], abs=1e-9), p
        if r["top_share"] > 0:
            assert row["top_foreign_country"] == r["top"], p
        assert bool(row["critical"]) == r["critical"], p
        assert row["role_weight"] == pytest.approx(r["weight"], abs=1e-9), p
    assert np.isfinite(got["foreign_share"]).all()
    assert got["critical"].any() and not got["critical"].all()  # both outcomes occur: the test can fail either way
