"""Cycles through goes_into and is_type_of together are rejected at the boundary, named."""

from __future__ import annotations

import itertools
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from allychain.data.load import load
from allychain.errors import DataError
from allychain.model.cycles import mixed_cycles

SHARES = "item_id,provider_id,share,year\nA,USA,40,2021\n"
PROVIDERS = "provider_id,name,kind,country\nUSA,United States,country,\n"


def _folder(path: Path, items: str, relations: str) -> Path:
    path.mkdir()
    (path / "items.csv").write_text("item_id,name,kind\n" + "".join(f"{i},{i},material\n" for i in items))
    (path / "providers.csv").write_text(PROVIDERS)
    (path / "shares.csv").write_text(SHARES)
    (path / "relations.csv").write_text("source,target,kind\n" + relations)
    return path


def test_the_reported_case_is_rejected_with_the_cycle_named(tmp_path: Path) -> None:
    # A goes_into B goes_into C, C is_type_of A: was "valid", then lost 30 % of world output for good
    f = _folder(tmp_path / "n", "ABC", "A,B,goes_into\nB,C,goes_into\nC,A,is_type_of\n")
    with pytest.raises(DataError) as exc:
        load(str(f))
    (p,) = exc.value.problems
    assert "A -goes_into-> B -goes_into-> C -is_type_of-> A" in p.message and "rows 2, 3, 4" in p.message
    assert p.file is not None and p.file.endswith("relations.csv") and p.row == 2


def test_a_cycle_closed_only_by_combining_datasets_is_rejected(tmp_path: Path) -> None:
    left = _folder(tmp_path / "left", "ABC", "A,B,goes_into\nB,C,goes_into\n")
    right = _folder(tmp_path / "right", "ABC", "C,A,is_type_of\n")
    assert len(load(str(left)).relations) == 2 and len(load(str(right)).relations) == 1
    with pytest.raises(DataError, match=r"relations of .*left\+.*right \(combined\).*A -goes_into-> B"):
        load(f"{left}+{right}")


def _brute_force(edges: list[tuple[int, int, str]]) -> bool:
    """Is there an edge on a cycle of the combined graph but on no cycle of its own kind?
    (Enumerates every simple cycle; edges are subdivided so parallel edges stay apart.)"""

    def cycles_of(sel: list[int]) -> set[int]:
        g = nx.DiGraph()
        for i in sel:
            u, v, _ = edges[i]
            g.add_edge(("n", u), ("e", i))
            g.add_edge(("e", i), ("n", v))
        return {node[1] for c in nx.simple_cycles(g) for node in c if node[0] == "e"}

    on_any = cycles_of(list(range(len(edges))))
    own = set().union(*(cycles_of([i for i, e in enumerate(edges) if e[2] == k]) for k in ("goes_into", "is_type_of")))
    return bool(on_any - own)


edge_lists = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.sampled_from(["goes_into", "is_type_of"])),
                      max_size=10)


@settings(max_examples=150, deadline=None)
@given(edge_lists)
def test_agrees_with_brute_force_and_names_real_mixed_cycles(edges: list[tuple[int, int, str]]) -> None:
    df = pd.DataFrame(edges, columns=["source", "target", "kind"]).astype({"source": str, "target": str})
    found = mixed_cycles(df, np.arange(2, len(df) + 2))
    assert bool(found) == _brute_force(edges)
    have = {(str(u), str(v), k) for u, v, k in edges}
    for p in found:
        path = p.message.split(": ", 1)[1].split(" (rows")[0]
        tokens = path.split(" ")
        nodes, kinds = tokens[0::2], [t[1:-2] for t in tokens[1::2]]
        assert nodes[0] == nodes[-1] and len(set(kinds)) == 2
        assert all((a, b, k) in have for a, b, k in zip(nodes, nodes[1:], kinds, strict=False))


def test_cycles_of_one_kind_are_left_to_find_cycles() -> None:
    df = pd.DataFrame({"source": ["A", "B", "A", "C"], "target": ["B", "A", "C", "A"],
                       "kind": ["goes_into", "goes_into", "is_type_of", "is_type_of"]})
    assert mixed_cycles(df, np.arange(2, 6)) == []


def test_long_chain_closed_by_one_mixed_edge() -> None:
    n = 20_000
    src = [f"i{k}" for k in range(n)]
    dst = [f"i{k + 1}" for k in range(n - 1)] + ["i0"]
    kinds = ["goes_into"] * (n - 1) + ["is_type_of"]
    df = pd.DataFrame({"source": src, "target": dst, "kind": kinds})
    (p,) = mixed_cycles(df, np.arange(2, n + 2))
    assert p.row == 2 and p.message.count("->") == 12 and f"… {n - 11} more steps …" in p.message
    for a, b in itertools.pairwise(["i0", "i1", "i2"]):
        assert f"{a} -goes_into-> {b}" in p.message
    assert p.message.endswith(f"i{n - 1} -is_type_of-> i0 (rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, … ({n} rows))")
