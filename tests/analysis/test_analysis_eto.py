"""Analyses on the ETO dataset copy (numbers read off the CSV files with the csv module) and
on the built-in dataset combined with it (raw materials that ETO alone cannot see)."""

from __future__ import annotations

import csv
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest

from allychain.analysis import chokepoints, concentration, dependencies
from allychain.data.load import load


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def eto(eto_dir):
    return load(str(eto_dir))


@pytest.fixture(scope="module")
def csv_shares(eto_dir):
    """(item, level) → {year, rows: [(role, name, share)]} for the latest year with a known share.

    level: ``country`` for provider_type country, ``firm`` for organisations; role:
    ``individual``, or ``aggregate`` ("Various countries", "Various companies") and
    ``region`` (EUR, "Europe"), which count in the totals only.
    """
    prov = {r["provider_id"]: r for r in read(eto_dir, "providers.csv")}
    rows = defaultdict(list)
    for r in read(eto_dir, "provision.csv"):
        if not r["share_provided"].strip():
            continue
        p = prov[r["provider_id"]]
        level = "country" if p["provider_type"] == "country" else "firm"
        role = ("aggregate" if p["provider_name"].startswith("Various")
                else "region" if p["alias"] == "Europe" else "individual")
        rows[(r["provided_id"], level)].append((role, p["provider_name"], float(r["share_provided"]), int(r["year"])))
    out = {}
    for key, rs in rows.items():
        year = max(x[3] for x in rs)
        out[key] = {"year": year, "rows": [x[:3] for x in rs if x[3] == year]}
    return out


def expected(csv_shares, item, level="country"):
    e = csv_shares[(item, level)]
    ind = sorted((s for role, _, s in e["rows"] if role == "individual"), reverse=True)
    total = sum(s for _, _, s in e["rows"])
    return {"year": e["year"], "hhi": min(sum(s * s for s in ind), 10_000), "top1": ind[0] if ind else None,
            "top3": sum(ind[:3]), "providers": sum(1 for s in ind if s > 0), "unknown": max(0.0, 100 - total)}


@pytest.mark.parametrize("item", ["N20", "N19", "N21", "N26", "N17", "S2", "S1", "N84"])
def test_country_concentration_matches_the_csv(eto, csv_shares, item):
    e = expected(csv_shares, item)
    r = concentration(eto, items=[item]).iloc[0]
    assert r["year"] == e["year"]
    assert r["hhi"] == pytest.approx(e["hhi"])
    assert r["top1_share"] == pytest.approx(e["top1"])
    assert r["top3_share"] == pytest.approx(e["top3"])
    assert r["providers"] == e["providers"]
    assert r["unknown_share"] == pytest.approx(e["unknown"], abs=1e-6)


@pytest.mark.parametrize("item", ["N20", "N19", "N21", "N45"])
def test_firm_concentration_matches_the_csv(eto, csv_shares, item):
    e = expected(csv_shares, item, "firm")
    r = concentration(eto, level="firm", items=[item]).iloc[0]
    assert r["top3_share"] == pytest.approx(e["top3"])
    assert r["hhi"] == pytest.approx(e["hhi"])


def test_country_rule_fires_exactly_where_the_csv_says(eto, csv_shares):
    want = set()
    for (item, level), e in csv_shares.items():
        if level == "country" and any(role == "individual" and s >= 65 for role, _, s in e["rows"]):
            want.add(item)
    cp = chokepoints(eto, include_all=True)
    got = {i for i, r in zip(cp["item_id"], cp["rules"], strict=False) if "country_share" in r}
    assert got == want
    # "Various countries" never counts: no item fires because of it
    assert "VARIOUS" not in set(cp["top_country"].dropna())


def test_not_assessable_items_are_those_without_known_country_share(eto, eto_dir, csv_shares):
    c = concentration(eto)
    items = {r["input_id"] for r in read(eto_dir, "inputs.csv")}
    no_numbers = {i for i in items if not any(role == "individual" for role, *_ in
                                              csv_shares.get((i, "country"), {"rows": []})["rows"])}
    assert set(c.loc[c["status"] == "not_assessable", "item_id"]) == no_numbers


def test_korea_depends_on_euv_through_its_category(eto, csv_shares):
    d = dependencies(eto, "KOR").set_index("item_id")
    euv = d.loc["N20"]
    assert "is_type_of N19" in euv["via"]
    nld = [s for _, name, s in csv_shares[("N20", "country")]["rows"] if name == "NLD"][0]
    assert euv["top_foreign_country"] == "NLD" and euv["top_foreign_share"] == pytest.approx(nld)
    assert bool(euv["critical"]) is (nld >= 65)
    a = dependencies(eto, "KOR,NLD").set_index("item_id").loc["N20"]
    assert a["internal_share"] == pytest.approx(nld) and bool(a["critical"]) is False


def _builtin_country_top(item: str, exclude: set[str]) -> float | None:
    folder = Path(str(resources.files("allychain.data").joinpath("builtin")))
    kinds = {r["provider_id"]: r["kind"] for r in read(folder, "providers.csv")}
    rows = [r for r in read(folder, "shares.csv") if r["item_id"] == item and r["share"].strip()
            and kinds.get(r["provider_id"]) == "country"]
    if not rows:
        return None
    year = max(int(r["year"]) for r in rows if r["year"].strip())
    vals = [float(r["share"]) for r in rows if r["year"].strip() and int(r["year"]) == year
            and r["provider_id"] not in exclude]
    return max(vals) if vals else 0.0


def test_builtin_plus_eto_reveals_raw_material_dependencies(eto, eto_dir):
    both = load(f"builtin+{eto_dir}")  # any failure to load is a failure, never a skip
    eto_only = dependencies(eto, "KOR")
    assert not eto_only["kind"].isin(["raw_material"]).any()  # ETO has no raw-material tier
    d = dependencies(both, "KOR")
    raw = d[(d["kind"] == "raw_material") & (d["status"] == "assessed")]
    assert len(raw) > 0
    assert not set(raw["item_id"]) & set(eto.items["item_id"])
    for rec in raw.to_dict("records"):
        assert rec["top_foreign_share"] == pytest.approx(_builtin_country_top(rec["item_id"], {"KOR"}))
    assert raw["critical"].fillna(False).astype(bool).any()
    # ETO's ids still find their items in the combination (through the built-in crosswalk)
    c = concentration(both, items=["N20"])
    assert len(c) == 1 and c.iloc[0]["top1"] == "NLD"
