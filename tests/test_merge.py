"""Combining datasets: union with provenance per row, conflicts recorded, associative."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allychain
from allychain import schema
from allychain.data.merge import CONFLICT_COLUMNS, ENTITY, merge, merge_all
from allychain.data.native import write_native
from allychain.errors import InvariantError
from allychain.model.checks import consistency_check
from allychain.model.invariants import guard_union
from allychain.model.network import Network
from allychain.testing import assert_network_equal, frame, networks

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def parts_of(draw: st.DrawFn) -> tuple[Network, list[Network]]:
    """A valid network ``u`` and three networks made of (overlapping) subsets of its
    rows.  An entity row held by several parts has its optional values blanked in
    some copies but kept in at least one, so a merge must fill them back.  The
    parts never contradict each other."""
    u = draw(networks())
    tables: list[dict[str, pd.DataFrame]] = [{}, {}, {}]
    for comp, df in u.tables():
        if df.empty:
            continue
        owners = draw(st.lists(st.sets(st.sampled_from([0, 1, 2])), min_size=len(df), max_size=len(df)))
        optional = [a.name for a in schema.attributes(comp) if not a.required and not a.key]
        for i in range(3):
            rows = [r for r, o in enumerate(owners) if i in o]
            part = df.iloc[rows].reset_index(drop=True)
            if comp in ENTITY and optional:
                for j, r in enumerate(rows):
                    full = min(owners[r])  # this copy keeps every value
                    if i != full and draw(st.booleans()):
                        part.loc[j, optional] = pd.NA
            tables[i][comp] = part
    return u, [Network(name=f"p{i}", **t) for i, t in enumerate(tables)]


def _union(u: Network, parts: list[Network]) -> Network:
    """``u`` restricted to the rows held by at least one part."""
    kept = {}
    for comp, df in u.tables():
        if df.empty:
            continue
        key = list(schema.key(comp)) if comp not in ("shares",) else ["item_id", "provider_id", "year", "dataset"]
        held = pd.concat([p.table(comp)[key] for p in parts]).drop_duplicates()
        kept[comp] = df.merge(held, on=key, how="inner")
    return Network(**kept)


@settings(SETTINGS, max_examples=12)
@given(parts_of())
def test_merge_is_associative_and_loses_nothing(data: tuple[Network, list[Network]]) -> None:
    u, (a, b, c) = data
    left = merge(merge(a, b), c)
    right = merge(a, merge(b, c))
    assert_network_equal(left, right, ignore_row_order=True)
    assert_network_equal(left, _union(u, [a, b, c]), ignore_row_order=True)
    assert not (left.meta["conflicts"]["table"] != "shares").any()  # entities never disagree here


@SETTINGS
@given(networks())
def test_merge_with_an_empty_network_is_the_identity(n: Network) -> None:
    empty = Network(name="nothing")
    assert_network_equal(merge(n, empty), n)
    assert_network_equal(merge(empty, n), n)
    assert merge(n, empty).meta["conflicts"].empty


@SETTINGS
@given(networks(datasets=("d1",)), networks(datasets=("d2",)))
def test_provenance_is_kept_per_row(a: Network, b: Network) -> None:
    m = merge(a, b)
    for comp in ("shares", "relations"):
        got = m.table(comp)
        # every row of b that is not also in a keeps b's label
        assert set(got["dataset"].dropna()) <= {"d1", "d2"}
        assert (got["dataset"] == "d1").sum() == len(a.table(comp))
    assert (m.shares["dataset"] == "d2").sum() == len(b.shares)  # share rows of both datasets are all kept


# -- conflicts, by hand ---------------------------------------------------------------
def _two() -> tuple[Network, Network]:
    prov = frame("providers", [dict(provider_id="USA", name="United States", kind="country")])
    a = Network(name="a", items=frame("items", [dict(item_id="N1", name="Silicon wafers", kind="material")]),
                providers=prov,
                shares=frame("shares", [dict(item_id="N1", provider_id="USA", share=40.0, year=2021, dataset="a")]))
    b = Network(name="b", items=frame("items", [dict(item_id="N1", name="Wafers", kind="material",
                                                     description="300 mm"),
                                                dict(item_id="N2", name="Photoresist", kind="chemical")]),
                providers=prov,
                shares=frame("shares", [dict(item_id="N1", provider_id="USA", share=55.0, year=2021, dataset="b"),
                                        dict(item_id="N2", provider_id="USA", share=None, year=2021, dataset="b")]))
    return a, b


def test_differing_item_names_are_a_conflict_and_the_left_wins() -> None:
    a, b = _two()
    m = merge(a, b)
    c = m.meta["conflicts"]
    assert list(c.columns) == CONFLICT_COLUMNS
    row = c[c["table"] == "items"].iloc[0].to_dict()
    assert row == dict(table="items", key="N1", column="name", value_a="Silicon wafers", dataset_a="a",
                       value_b="Wafers", dataset_b="b", used="a")
    items = m.items.set_index("item_id")
    assert items.loc["N1", "name"] == "Silicon wafers"
    assert items.loc["N1", "description"] == "300 mm"  # filled from b, not a conflict
    assert list(items.index) == ["N1", "N2"]
    assert m.meta["precedence"] == ["a", "b"]


def test_differing_shares_keep_both_rows_and_record_a_conflict() -> None:
    a, b = _two()
    m = merge(a, b)
    s = m.shares
    n1 = s[(s["item_id"] == "N1") & (s["provider_id"] == "USA")]
    assert sorted(zip(n1["dataset"], n1["share"], strict=True)) == [("a", 40.0), ("b", 55.0)]
    assert pd.isna(s.loc[s["item_id"] == "N2", "share"]).all()  # unknown stays unknown
    c = m.meta["conflicts"]
    row = c[c["table"] == "shares"].iloc[0].to_dict()
    assert row["key"] == "N1/USA/2021" and (row["value_a"], row["value_b"]) == (40.0, 55.0)
    assert row["used"] == "both rows kept"
    warnings = consistency_check(m, checks=["conflicts"])
    assert len(warnings) == 2
    assert any("is 40.0 in a but 55.0 in b" in w.message for w in warnings)


def test_conflicts_accumulate_over_several_merges() -> None:
    a, b = _two()
    c = Network(name="c", items=frame("items", [dict(item_id="N2", name="Resist", kind="chemical")]))
    m = merge(merge(a, b), c)
    assert_network_equal(merge_all([a, b, c]), m)
    assert len(m.meta["conflicts"]) == 3
    assert m.items.set_index("item_id").loc["N2", "name"] == "Photoresist"


def test_load_combines_folders_left_first(tmp_path: Path) -> None:
    a, b = _two()
    write_native(a, tmp_path / "a")
    write_native(b, tmp_path / "b")
    m = allychain.load(f"{tmp_path / 'a'}+{tmp_path / 'b'}")
    assert m.name == f"{tmp_path / 'a'}+{tmp_path / 'b'}"
    assert m.datasets == ["a", "b"]
    assert m.items.set_index("item_id").loc["N1", "name"] == "Silicon wafers"


def test_union_guard_catches_a_lost_row() -> None:
    a, b = _two()
    m = merge(a, b)
    broken = m.replace(items=m.items.iloc[:1])
    with pytest.raises(InvariantError, match="items: 1 key"):
        guard_union(broken, [a, b], {"items": ["item_id"]})
