"""Small hand-made networks for the analysis tests, built from compact literals."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pytest

from allychain.model.network import Network

AGGREGATES = {"VAR": "Various countries", "OTHER": "Other countries"}
NAMES = {"KOR": "South Korea", "NLD": "Netherlands", "JPN": "Japan", "USA": "United States", "CHN": "China",
         "TWN": "Taiwan", "DEU": "Germany", "SGP": "Singapore", "UKR": "Ukraine", "FRA": "France",
         "GBR": "United Kingdom", "ISR": "Israel", "IND": "India", "BRA": "Brazil"}


def provider_kind(pid: str) -> str:
    if pid in AGGREGATES:
        return "aggregate"
    if pid.isupper() and len(pid) == 3:
        return "country"
    return "firm"


def make_network(
    shares: Iterable[tuple] = (),
    relations: Iterable[tuple] = (),
    items: dict[str, str] | None = None,
    stages: dict[str, str] | None = None,
    item_stage: dict[str, str] | None = None,
    market: dict[str, float] | None = None,
    sources: Iterable[tuple] = (),
    **tables: pd.DataFrame,
) -> Network:
    """A network from literals.

    shares: (item, provider, share or None, year[, source_id]); providers are made up
    from the ids: ISO alpha-3 → country, VAR/OTHER → aggregate, anything else → firm.
    relations: (source, target, kind). items: id → kind (names are the ids, capitalised).
    """
    shares = [tuple(s) + (None,) * (5 - len(s)) for s in shares]
    sh = pd.DataFrame(shares, columns=["item_id", "provider_id", "share", "year", "source_id"])
    sh["share"] = pd.to_numeric(sh["share"], errors="coerce").astype(float)
    stages = stages or {}
    ids = set(sh["item_id"]) - set(stages)
    for s, t, _ in relations:
        ids |= {s, t}
    kinds = dict(items or {})
    for i in ids:
        kinds.setdefault(i, "tool")
    it = pd.DataFrame({"item_id": sorted(kinds), "name": [i.replace("-", " ").capitalize() for i in sorted(kinds)],
                       "kind": [kinds[i] for i in sorted(kinds)],
                       "stage_id": [(item_stage or {}).get(i) for i in sorted(kinds)],
                       "market_size": [(market or {}).get(i, float("nan")) for i in sorted(kinds)]})
    pids = sorted(set(sh["provider_id"]))
    prov = pd.DataFrame({"provider_id": pids, "name": [AGGREGATES.get(p) or NAMES.get(p, p) for p in pids],
                         "kind": [provider_kind(p) for p in pids]})
    st = pd.DataFrame({"stage_id": list(stages), "name": list(stages.values())}) if stages else None
    rel = pd.DataFrame(list(relations), columns=["source", "target", "kind"]) if relations else None
    src = pd.DataFrame(list(sources), columns=["source_id", "title"]) if sources else None
    return Network(name="hand", items=it, providers=prov, shares=sh, relations=rel, stages=st, sources=src, **tables)


@pytest.fixture
def net():
    return make_network


CHAIN_SHARES = [
    ("fab", "KOR", 17, 2022), ("fab", "TWN", 18, 2022), ("fab", "VAR", 65, 2022),
    ("litho-tools", "NLD", 80, 2025), ("litho-tools", "JPN", 20, 2025),
    ("euv", "NLD", 100, 2025),
    ("duv", "NLD", 60, 2025), ("duv", "JPN", 40, 2025),
    ("neon", "UKR", 50, 2022), ("neon", "CHN", 30, 2022),
    ("resist", "JPN", None, 2022), ("resist", "KOR", None, 2022),
    ("wafer", "JPN", 70, 2022), ("wafer", "KOR", 20, 2022), ("wafer", "VAR", 10, 2022),
]
CHAIN_RELATIONS = [
    ("litho", "chip", "goes_into"), ("litho-tools", "litho", "goes_into"), ("euv", "litho-tools", "is_type_of"),
    ("duv", "litho-tools", "is_type_of"), ("neon", "duv", "goes_into"), ("resist", "litho", "goes_into"),
    ("wafer", "litho", "goes_into"),
]


@pytest.fixture
def chain():
    """The chain network described in test_analysis_dependencies.py."""
    return make_network(shares=CHAIN_SHARES, relations=CHAIN_RELATIONS, stages={"fab": "Fabrication"},
                        items={"litho": "process", "chip": "output", "neon": "raw_material", "resist": "chemical",
                               "wafer": "material"},
                        item_stage={"litho": "fab"})


