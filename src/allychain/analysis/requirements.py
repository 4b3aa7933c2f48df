"""What production needs, through all tiers.

The requirement graph has an edge *input → item* for every ``goes_into`` relation
and every bill-of-materials row of a site-level network (``bom.input_product`` →
the node's ``product``), and an edge *variant → category* for every ``is_type_of``
relation.  Starting from the items a member performs (the *roots*):

* the inputs of an item are its own inputs plus those of every category it is a
  type of (EUV lithography tools need what lithography tools need);
* an input that is a category is needed through its variants too — EUV tools are
  required by photolithography only because they are a type of lithography tools;
* inputs of inputs are needed, tier after tier (tier = number of ``goes_into``
  steps from the root; a variant has its category's tier).

A root's own variants are not requirements (making lithography tools does not need
EUV tools).  The closure visits each item once: O(items + relations) per root.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from allychain.model.network import Network

__all__ = ["RequirementGraph", "requirement_graph", "closure", "REQUIREMENT_COLUMNS"]

REQUIREMENT_COLUMNS = ["item_id", "tier", "via", "roots"]


@dataclass
class RequirementGraph:
    """Adjacency of the requirement relations (see module docstring)."""

    inputs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    categories: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    variants: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    relation: dict[tuple[str, str], str] = field(default_factory=dict)

    def inherited_inputs(self, item: str) -> list[tuple[str, str]]:
        """(input, item or category it goes into) for ``item`` and all its categories."""
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        stack = [item]
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            out.extend((i, x) for i in self.inputs.get(x, ()))
            stack.extend(self.categories.get(x, ()))
        return out

    def sinks(self) -> list[str]:
        """Items that something goes into and that go into nothing: the chain's final outputs."""
        fed = {x for x, v in self.inputs.items() if v}
        feeding = {i for v in self.inputs.values() for i in v} | {x for x, c in self.categories.items() if c}
        return sorted(x for x in fed if x not in feeding)


def requirement_graph(n: Network) -> RequirementGraph:
    """Build the requirement graph of a network from ``relations`` and ``bom``."""
    g = RequirementGraph()
    r = n.relations.dropna(subset=["source", "target", "kind"])
    for s, t, k in zip(r["source"].astype(str), r["target"].astype(str), r["kind"].astype(str), strict=False):
        if k == "goes_into":
            if s not in g.inputs[t]:
                g.inputs[t].append(s)
            g.relation[(s, t)] = "goes_into"
        elif k == "is_type_of":
            if t not in g.categories[s]:
                g.categories[s].append(t)
                g.variants[t].append(s)
            g.relation[(s, t)] = "is_type_of"
    if len(n.bom) and len(n.nodes):
        product = dict(zip(n.nodes["node_id"].astype(str), n.nodes["product"].astype(str), strict=False))
        for node, inp in zip(n.bom["node_id"].astype(str), n.bom["input_product"].astype(str), strict=False):
            p = product.get(node)
            if p is None or p == inp:
                continue
            if inp not in g.inputs[p]:
                g.inputs[p].append(inp)
            g.relation.setdefault((inp, p), "bom")
    return g


def closure(g: RequirementGraph, roots: Iterable[str]) -> pd.DataFrame:
    """Every item the roots need, through all tiers.

    Returns
    -------
    DataFrame
        ``item_id``, ``tier`` (1 = direct input), ``via`` (one shortest chain from the
        item to a root, e.g. ``"N20 is_type_of N19 goes_into N25"``) and ``roots``
        (the roots whose closure holds the item).  Roots appear only when another
        root needs them.
    """
    roots = list(dict.fromkeys(str(r) for r in roots))
    best: dict[str, tuple[int, str]] = {}
    reached_from: dict[str, list[str]] = defaultdict(list)
    for root in roots:
        tier: dict[str, int] = {}
        parent: dict[str, tuple[str, str]] = {}
        dq: deque[str] = deque()
        for inp, into in g.inherited_inputs(root):
            if inp not in tier:
                tier[inp] = 1
                parent[inp] = (root, "goes_into" if into == root else f"goes_into {into}, a category of")
                dq.append(inp)
        while dq:
            x = dq.popleft()
            for v in g.variants.get(x, ()):
                if v not in tier or tier[v] > tier[x]:
                    tier[v] = tier[x]
                    parent[v] = (x, "is_type_of")
                    dq.appendleft(v)
            for inp, into in g.inherited_inputs(x):
                if inp not in tier:
                    tier[inp] = tier[x] + 1
                    parent[inp] = (x, "goes_into" if into == x else f"goes_into {into}, a category of")
                    dq.append(inp)
        for item, t in tier.items():
            if item == root:
                continue
            reached_from[item].append(root)
            chain = [item]
            cur = item
            guard = 0
            while cur != root and cur in parent and guard < 10_000:
                nxt, rel = parent[cur]
                chain += [rel, nxt]
                cur = nxt
                guard += 1
            via = " ".join(chain)
            if item not in best or t < best[item][0]:
                best[item] = (t, via)
    rows = [(i, t, via, reached_from[i]) for i, (t, via) in best.items()]
    out = pd.DataFrame(rows, columns=REQUIREMENT_COLUMNS).astype({"item_id": object, "tier": "int64", "via": object})
    return out.sort_values(["tier", "item_id"]).reset_index(drop=True)
