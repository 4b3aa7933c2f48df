"""The requirement closure: one linear walk gives what a walk per root gave.

The reference below is the earlier algorithm (a breadth-first walk per root through
``inherited_inputs``, roots' closures merged by hand): quadratic, but simple enough to
trust.  Random acyclic requirement graphs (goes_into and is_type_of mixed) are walked by
both; tiers, the roots reaching each item (through the weights) and the via chains must
agree.
"""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from allychain.analysis.requirements import VIA_STEPS, RequirementGraph, closure


def reference(g: RequirementGraph, roots: list[str]) -> tuple[dict[str, int], dict[str, set[str]]]:
    """Per-root breadth-first walks: item → shortest tier over roots, item → roots reaching it."""
    best: dict[str, int] = {}
    reached: dict[str, set[str]] = defaultdict(set)
    for root in roots:
        tier: dict[str, int] = {}
        dq: deque[str] = deque()
        for inp, _ in g.inherited_inputs(root):
            if inp not in tier:
                tier[inp] = 1
                dq.append(inp)
        while dq:
            x = dq.popleft()
            for v in g.variants.get(x, ()):
                if v not in tier or tier[v] > tier[x]:
                    tier[v] = tier[x]
                    dq.appendleft(v)
            for inp, _ in g.inherited_inputs(x):
                if inp not in tier:
                    tier[inp] = tier[x] + 1
                    dq.append(inp)
        for item, t in tier.items():
            if item == root:
                continue
            reached[item].add(root)
            best[item] = min(t, best.get(item, t))
    return best, reached


def needs_itself(g: RequirementGraph) -> bool:
    """Does some item need itself (an input of one of its own categories, …)? Such graphs are cycles
    through both relation kinds, refused at the boundary; the two walks may differ on them."""
    import networkx as nx

    d = nx.DiGraph()
    for x, cats in g.categories.items():
        d.add_edges_from((("U", x), ("U", c)) for c in cats)
    for x, vs in g.variants.items():
        d.add_edges_from((("A", x), ("A", v)) for v in vs)
    for x, ins in g.inputs.items():
        d.add_edges_from((("U", x), ("A", i)) for i in ins)
    d.add_edges_from((("A", x[1]), ("U", x[1])) for x in list(d.nodes))
    return not nx.is_directed_acyclic_graph(d)


def graph(edges: list[tuple[int, int, str]]) -> RequirementGraph:
    g = RequirementGraph()
    for s, t, kind in edges:
        a, b = f"i{s}", f"i{t}"
        if kind == "goes_into":
            if a not in g.inputs[b]:
                g.inputs[b].append(a)
        elif b not in g.categories[a]:
            g.categories[a].append(b)
            g.variants[b].append(a)
    return g


# acyclic by construction: every relation points from a lower to a higher index
dags = st.lists(st.tuples(st.integers(0, 10), st.integers(1, 11), st.sampled_from(["goes_into", "is_type_of"]))
                .map(lambda e: (min(e[0], e[1] - 1), e[1], e[2])), min_size=3, max_size=30)


@settings(max_examples=100, deadline=None)
@given(dags, st.sets(st.integers(0, 11), min_size=1, max_size=4), st.data())
def test_one_walk_equals_a_walk_per_root(edges, root_ids, data) -> None:
    g = graph(edges)
    assume(not needs_itself(g))
    roots = [f"i{r}" for r in sorted(root_ids)]
    weights = {r: float(data.draw(st.integers(0, 100), label=f"w{r}")) for r in roots}
    best, reached = reference(g, roots)
    got = closure(g, roots, weights=weights)
    assert dict(zip(got["item_id"], got["tier"], strict=True)) == best
    for item, w, root, via in zip(got["item_id"], got["weight"], got["root"], got["via"], strict=True):
        assert w == max(weights[r] for r in reached[item])
        assert root in reached[item]
        # the via chain starts at the item, ends at its root and has `tier` goes_into steps
        words = via.split(" ")
        assert words[0] == item and words[-1] == root
        assert via.count("goes_into") == best[item]


def test_a_long_chain_is_walked_once_with_a_short_via() -> None:
    n = 10_000
    g = graph([(i, i + 1, "goes_into") for i in range(n - 1)])
    out = closure(g, [f"i{n - 1}"]).set_index("item_id")
    assert len(out) == n - 1
    assert out.loc["i0", "tier"] == n - 1
    via = out.loc["i0", "via"]
    assert via.startswith("i0 goes_into i1 goes_into i2") and via.endswith(f"more steps) … i{n - 1}")
    assert f"({n - 1 - (VIA_STEPS - 1):,} more steps)" in via
    assert len(via) < 400
    # every item a root (the worst case of a walk per root): tiers all 1, roots the next item
    every = closure(g, [f"i{i}" for i in range(n)], weights={f"i{i}": float(i % 7) for i in range(n)})
    assert (every["tier"] == 1).all() and len(every) == n - 1
    w = dict(zip(every["item_id"], every["weight"], strict=True))
    # i_k is needed by i_{k+1}, i_{k+2}, … : the largest weight among those
    assert w["i0"] == 6.0 and w[f"i{n - 2}"] == float((n - 1) % 7)
    assert np.isnan(closure(g, ["i5"])["weight"]).all()
