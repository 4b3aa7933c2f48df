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
EUV tools).  The closure visits each item a bounded number of times, whatever the
number of roots: O(items + relations) in all.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from allychain.model.network import Network

__all__ = ["RequirementGraph", "requirement_graph", "closure", "REQUIREMENT_COLUMNS"]

REQUIREMENT_COLUMNS = ["item_id", "tier", "via", "root", "weight"]


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
    for s, t, k in zip(r["source"].astype(str).tolist(), r["target"].astype(str).tolist(), r["kind"].astype(str).tolist(), strict=False):
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
        product = dict(zip(n.nodes["node_id"].astype(str).tolist(), n.nodes["product"].astype(str).tolist(), strict=False))
        for node, inp in zip(n.bom["node_id"].astype(str).tolist(), n.bom["input_product"].astype(str).tolist(), strict=False):
            p = product.get(node)
            if p is None or p == inp:
                continue
            if inp not in g.inputs[p]:
                g.inputs[p].append(inp)
            g.relation.setdefault((inp, p), "bom")
    return g


#: A ``via`` chain longer than this many steps is shortened in the middle ("… 9,990 more steps …").
VIA_STEPS = 12


State = tuple[str, str]


def _walk(g: RequirementGraph, order: list[str]) -> tuple[dict[State, str], dict[State, int], dict[State, State],
                                                          dict[State, int]]:
    """Breadth-first walk over the requirement states from the roots in ``order``.

    States: ``("A", x)`` — item x is required; ``("U", c)`` — the inputs of c (an item or
    one of its categories) are required.  Moves: A(x) → U(x) and A(x) → A(variant) at
    the same tier; U(c) → U(category) at the same tier; U(c) → A(input) one tier down.
    A root starts at U(root), so its own variants are not its requirements.

    A multi-source 0-1 BFS: every state gets the shortest tier over all roots, the root
    it was first reached from, its parent state and the number of steps of its chain
    to the root (required items on it).  Each state is settled once and each
    move looked at a bounded number of times: O(items + relations).
    """
    tier: dict[State, int] = {}
    parent: dict[State, State] = {}
    origin: dict[State, str] = {}
    steps: dict[State, int] = {}
    dq: deque[State] = deque()
    variants, categories, inputs = g.variants, g.categories, g.inputs
    for r in order:
        start = ("U", r)
        if start not in tier:
            tier[start], origin[start], steps[start] = 0, r, 0
            dq.append(start)
    done: set[State] = set()
    while dq:
        st = dq.popleft()
        if st in done:
            continue
        done.add(st)
        kind, x = st
        t, o, k = tier[st], origin[st], steps[st]
        if kind == "A":
            same = [("U", x)] + [("A", v) for v in variants.get(x, ())]
            down: list[State] = []
        else:
            same = [("U", c) for c in categories.get(x, ())]
            down = [("A", i) for i in inputs.get(x, ()) if i != o]  # an item is never its own requirement
        for nst in same:
            if nst[1] == o and nst[0] == "A":
                continue
            if tier.get(nst, t + 1) > t:
                tier[nst], origin[nst], parent[nst], steps[nst] = t, o, st, k + (nst[0] == "A")
                dq.appendleft(nst)
        for nst in down:
            if tier.get(nst, t + 2) > t + 1:
                tier[nst], origin[nst], parent[nst], steps[nst] = t + 1, o, st, k + 1
                dq.append(nst)
    return origin, tier, parent, steps


def _reach(g: RequirementGraph, order: list[str]) -> dict[str, str]:
    """Item → the first root in ``order`` whose closure holds it (one depth-first walk per root, each state once)."""
    first: dict[str, str] = {}
    seen: set[State] = set()
    for r in order:
        stack: list[State] = [("U", r)]
        while stack:
            st = stack.pop()
            if st in seen:
                continue
            seen.add(st)
            kind, x = st
            if kind == "A":
                if x == r:
                    seen.discard(st)  # reachable by another root later
                    continue
                first.setdefault(x, r)
                stack.append(("U", x))
                stack.extend(("A", v) for v in g.variants.get(x, ()))
            else:
                stack.extend(("U", c) for c in g.categories.get(x, ()))
                stack.extend(("A", i) for i in g.inputs.get(x, ()))
    return first


def _steps(item: str, parent: dict) -> Iterator[tuple[str, str]]:
    """(relation, next item) pairs of the chain from ``item`` up to its root."""
    st: tuple[str, str] | None = ("A", item)
    while st is not None and st in parent:
        p = parent[st]
        if p[0] == "A":  # st is a variant of a required category
            yield "is_type_of", p[1]
            st = p
            continue
        into, top = p[1], p  # st is an input of `into`: the owner item itself or one of its categories
        while top in parent and parent[top][0] == "U":
            top = parent[top]
        above = parent.get(top)  # the required item whose inputs these are; None at the root
        owner = above[1] if above is not None else top[1]
        yield ("goes_into" if into == owner else f"goes_into {into}, a category of"), owner
        st = above


def _via(item: str, parent: dict[State, State], steps: int, root: str, limit: int = VIA_STEPS) -> str:
    """One chain from ``item`` to its root: ``"N20 is_type_of N19 goes_into N25"``.

    A chain of more than ``limit`` steps shows its first ``limit - 1`` steps, how many
    more there are and the root (O(limit) whatever the chain's length).
    """
    chain = [item]
    for rel, nxt in _steps(item, parent):
        if len(chain) >= 2 * limit - 1 and steps > limit:
            return " ".join(chain) + f" … ({steps - limit + 1:,} more steps) … {root}"
        chain += [rel, nxt]
    return " ".join(chain)


def closure(g: RequirementGraph, roots: Iterable[str], weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Every item the roots need, through all tiers.

    Parameters
    ----------
    g
        The requirement graph.
    roots
        Items (or stages' items) the members perform.
    weights
        Optional root → weight (e.g. the members' share of the root, percent); the
        result's ``weight`` is the largest weight among the roots whose closure holds
        the item (NaN where none has a weight).

    Returns
    -------
    DataFrame
        ``item_id``, ``tier`` (1 = direct input; the shortest over the roots), ``via``
        (one shortest chain from the item to a root, e.g. ``"N20 is_type_of N19
        goes_into N25"``, shortened in the middle past :data:`VIA_STEPS` steps),
        ``root`` (the root that chain ends at) and ``weight``.  Roots appear only
        when another root needs them.

    Notes
    -----
    Two breadth-first walks over (item, requirement) states, each state visited once
    per walk: O(items + relations) in all, whatever the number of roots (a chain of
    100,000 items with every item a root takes well under a second; see
    ``benchmarks/bench_dependencies.py``).
    """
    roots = list(dict.fromkeys(str(r) for r in roots))
    origin, tier, parent, steps = _walk(g, roots)
    items = [x for (k, x) in tier if k == "A"]
    w = dict(weights or {})
    # weight: walk from the roots in decreasing weight; the first root to reach an item has the largest
    by_weight = sorted((r for r in roots if not _nan(w.get(r))), key=lambda r: -float(w[r]))
    reach = _reach(g, by_weight)
    rows = [(x, tier[("A", x)], _via(x, parent, steps[("A", x)], origin[("A", x)]), origin[("A", x)],
             float(w[reach[x]]) if x in reach else np.nan) for x in items]
    out = pd.DataFrame(rows, columns=REQUIREMENT_COLUMNS).astype({"item_id": object, "tier": "int64", "via": object})
    return out.sort_values(["tier", "item_id"]).reset_index(drop=True)


def _nan(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))
