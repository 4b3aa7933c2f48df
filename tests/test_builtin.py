"""The built-in curated dataset (src/allychain/data/builtin): it loads, passes the strict
consistency checks, every share row is sourced, the raw-material and chemical tier is
covered and linked into the value chain, and a few hand-checked facts from the cited
sources hold when read back from the loaded network."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pycountry
import pytest
from typer.testing import CliRunner

import allychain
from allychain.data.load import builtin_path
from allychain.data.native import read_native
from allychain.model.checks import consistency_check
from allychain.model.views import find_item

RAW_KINDS = ("raw_material", "chemical")

# id -> a name (or part of one) a user would type; all must be present
REQUIRED_MATERIALS = {
    "neon": "neon",
    "helium": "helium",
    "gallium": "gallium",
    "germanium": "germanium",
    "hydrogen-fluoride": "hydrogen fluoride",
    "fluorinated-polyimide": "fluorinated polyimide",
    "euv-photoresist": "euv photoresist",
    "arf-photoresist": "arf photoresist",
    "palladium": "palladium",
    "c4f6": "c4f6",
    "wf6": "wf6",
    "abf-film": "abf",
    "high-purity-quartz": "high-purity quartz",
    "graphite": "graphite",
    "refined-rare-earths": "refined rare earths",
}


@pytest.fixture(scope="module")
def net() -> allychain.Network:
    return allychain.load("builtin")


def _share(n: allychain.Network, item: str, provider: str) -> float:
    """The latest known share of ``provider`` in ``item`` (NaN when absent)."""
    s = n.shares[(n.shares["item_id"] == item) & (n.shares["provider_id"] == provider)].dropna(subset=["share"])
    if s.empty:
        return float("nan")
    return float(s.sort_values("year").iloc[-1]["share"])


def _country_kind(n: allychain.Network) -> pd.Series:
    return n.shares["provider_id"].map(n.providers.set_index("provider_id")["kind"])


# ------------------------------------------------------------------ loading and checks
def test_loads_with_both_entry_points(net):
    direct = read_native(builtin_path())
    assert net.name == direct.name == "builtin"
    for comp in ("stages", "items", "providers", "shares", "relations", "sources", "alliances"):
        assert len(net.table(comp)) == len(direct.table(comp)) > 0, comp
    assert set(net.datasets) == {"builtin"}
    assert 60 <= len(net.items) <= 120
    assert 150 <= len(net.shares) <= 400


def test_strict_consistency_checks_pass(net):
    consistency_check(net, strict=["share_sum", "alliance_members"])
    assert consistency_check(net) == []  # no warnings at all


def test_manifest_declares_license_and_crosswalk():
    m = json.loads((builtin_path() / "manifest.json").read_text(encoding="utf-8"))
    assert m["format"] == "allychain-network" and m["version"] == 1 and m["name"] == "builtin"
    assert m["license"].startswith("CC BY 4.0")
    assert m["crosswalks"] == {"eto": "crosswalk_eto.csv"}
    assert set(m["tables"]) == {"stages", "items", "providers", "shares", "relations", "sources", "alliances"}


# ------------------------------------------------------------------ sourcing
def test_every_share_row_is_sourced(net):
    s = net.shares
    assert s["source_id"].notna().all()
    assert set(s["source_id"]) <= set(net.sources["source_id"])
    assert s["year"].notna().all() and s["basis"].notna().all()
    assert s["confidence"].str.match(r"^(high|medium|low): \S").all()


def test_every_source_has_title_year_and_address(net):
    src = net.sources
    assert src["source_id"].is_unique
    assert src["title"].notna().all() and src["year"].notna().all()
    assert src["url"].str.match(r"^https?://\S+$").all()
    assert src["year"].between(2000, 2026).all()
    used = set(net.shares["source_id"]) | set(net.relations["source_id"].dropna()) | set(net.items["source_id"].dropna())
    used |= set(net.stages["source_id"].dropna()) | set(net.alliances["source_id"].dropna())
    assert set(src["source_id"]) <= used, "every listed source is cited somewhere"


def test_unknown_shares_are_empty_never_zero(net):
    s = net.shares["share"]
    assert (s.dropna() > 0).all() and (s.dropna() <= 100).all()
    assert s.isna().any()  # the dataset says who supplies even where the share is unknown


def test_item_market_sizes_have_year_and_source(net):
    for comp in ("items", "stages"):
        t = net.table(comp)
        sized = t[t["market_size"].notna()]
        assert len(sized) >= 1
        assert sized["market_size_year"].notna().all() and sized["source_id"].notna().all()


# ------------------------------------------------------------------ providers and alliances
def test_provider_ids_follow_conventions(net):
    p = net.providers.set_index("provider_id")
    countries = p[p["kind"] == "country"].index
    for c in countries:
        assert re.fullmatch(r"[A-Z]{3}", c) and pycountry.countries.get(alpha_3=c) is not None, c
    firms = p[p["kind"] == "firm"]
    assert firms.index.str.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*").all()
    assert firms["country"].isin(countries).all()
    assert set(p[p["kind"] == "aggregate"].index) == {"rest-of-world"}
    assert "rest-of-world" not in net.countries()


def test_kor_nld_alliance(net):
    assert sorted(net.alliance_members("KOR-NLD")) == ["KOR", "NLD"]
    names = net.alliances.loc[net.alliances["alliance_id"] == "KOR-NLD", "name"]
    assert (names == "Korea–Netherlands semiconductor alliance").all()


# ------------------------------------------------------------------ raw-material and chemical tier
def test_raw_material_and_chemical_tier(net):
    it = net.items
    raw = set(it.loc[it["kind"].isin(RAW_KINDS), "item_id"])
    items = set(it["item_id"])
    s = net.shares[_country_kind(net).eq("country").fillna(False).to_numpy() & net.shares["share"].notna().to_numpy()]
    with_country_share = set(s["item_id"])
    r = net.relations[net.relations["kind"] == "goes_into"]
    consumed = set(r.loc[r["target"].isin(items), "source"])
    # every raw material and chemical feeds something in the dataset
    assert raw <= consumed, sorted(raw - consumed)
    covered = raw & with_country_share & consumed
    assert len(covered) >= 20, sorted(raw - covered)


def test_required_materials_are_present_and_findable(net):
    ids = set(net.items["item_id"])
    assert set(REQUIRED_MATERIALS) <= ids
    for item_id, typed in REQUIRED_MATERIALS.items():
        assert find_item(net, item_id) == item_id
        name = net.item_names()[item_id]
        assert typed in name.casefold(), (item_id, name)
        assert find_item(net, name.upper()) == item_id


def test_relations_form_a_value_chain(net):
    r = net.relations
    assert (r["source"] != r["target"]).all()
    assert not r.duplicated(["source", "target", "kind"]).any()
    g = {}
    for s, t in zip(r.loc[r["kind"] == "goes_into", "source"], r.loc[r["kind"] == "goes_into", "target"], strict=True):
        g.setdefault(s, set()).add(t)

    def reaches(a: str, b: str) -> bool:
        seen, todo = set(), [a]
        while todo:
            x = todo.pop()
            if x == b:
                return True
            if x not in seen:
                seen.add(x)
                todo.extend(g.get(x, ()))
        return False

    # every raw material, chemical and material reaches the final output through goes_into
    it = net.items
    upstream = it.loc[it["kind"].isin(RAW_KINDS + ("material", "tool")), "item_id"]
    for raw in upstream:
        assert reaches(raw, "finished-semiconductors"), raw
    assert reaches("fluorspar", "hydrogen-fluoride")
    assert {"arf-immersion-lithography-tools", "krf-lithography-tools"} <= g["neon"]
    is_type = set(zip(r.loc[r["kind"] == "is_type_of", "source"], r.loc[r["kind"] == "is_type_of", "target"], strict=True))
    assert ("euv-lithography-tools", "lithography-tools") in is_type


# ------------------------------------------------------------------ hand-checked facts
def test_facts_from_the_cited_sources(net):
    # USGS MCS 2024: China about 98% of primary gallium
    assert _share(net, "gallium", "CHN") >= 90
    # ASML is the sole EUV lithography supplier
    assert _share(net, "euv-lithography-tools", "asml") == 100
    assert _share(net, "euv-lithography-tools", "NLD") == 100
    # SIA/BCG 2021: 92% of sub-10 nm capacity in Taiwan, 8% in Korea
    assert _share(net, "advanced-logic-chips", "TWN") == 92
    assert _share(net, "advanced-logic-chips", "KOR") == 8
    # TrendForce 4Q23: Samsung, SK hynix and Micron hold almost all DRAM revenue
    dram = sum(_share(net, "dram-chips", f) for f in ("samsung", "sk-hynix", "micron"))
    assert 90 <= dram <= 100
    assert _share(net, "foundry-services", "tsmc") > 60
    # Reuters 2022: Ukraine's Ingas and Cryoin made 45-54% of semiconductor-grade neon
    assert 45 <= _share(net, "neon", "UKR") <= 54
    # USGS: Russia first and South Africa second in palladium mine output
    assert _share(net, "palladium", "RUS") > _share(net, "palladium", "ZAF") > 30
    # USGS: China about two-thirds of germanium and over 80% of tungsten
    assert _share(net, "germanium", "CHN") >= 60
    assert _share(net, "tungsten", "CHN") >= 80
    # Japan dominates the chemicals restricted in 2019 and ABF film
    for item in ("fluorinated-polyimide", "photoresists", "hydrogen-fluoride", "abf-film"):
        assert _share(net, item, "JPN") >= 70, item
    # IEA GCMO 2024: refining is more concentrated than mining (rare earths: China 90 % refined, 69 % mined)
    assert _share(net, "refined-rare-earths", "CHN") >= 90 > _share(net, "rare-earths", "CHN")
    assert _share(net, "refined-graphite", "CHN") >= 90 > _share(net, "graphite", "CHN") >= 75
    # TRUMPF builds the drive lasers of the EUV sources; Mitsui Chemicals holds ASML's exclusive pellicle licence
    assert _share(net, "euv-drive-lasers", "DEU") == _share(net, "euv-pellicles", "JPN") == 100
    # the largest helium producers are the United States and Qatar
    he = {c: _share(net, "helium", c) for c in ("USA", "QAT", "DZA", "RUS")}
    assert max(he, key=he.get) == "USA" and he["QAT"] > he["DZA"]


def test_firm_hq_country_shares_match_firm_shares(net):
    """Where country rows are firm shares summed by headquarters, the sums agree."""
    s = net.shares
    home = net.providers.set_index("provider_id")["country"]
    for item in ("dram-chips", "foundry-services", "hbm", "silicon-wafers"):
        rows = s[(s["item_id"] == item) & s["share"].notna()]
        firms = rows[rows["provider_id"].map(home).notna()]
        countries = rows[rows["basis"].str.startswith("firm_hq")]
        year = int(countries["year"].iloc[0])
        by_home = firms[firms["year"] == year].groupby(firms["provider_id"].map(home))["share"].sum()
        got = countries.set_index("provider_id")["share"]
        for c, v in got.items():
            assert by_home[c] == pytest.approx(v, abs=0.05), (item, c)


# ------------------------------------------------------------------ ETO crosswalk
def test_crosswalk_ids_unique_and_known(net):
    cw = net.meta["crosswalks"]["eto"]
    assert list(cw.columns) == ["kind", "id", "external_id"]
    assert set(cw["kind"]) == {"item", "stage", "provider"}
    assert not cw.duplicated(["kind", "id"]).any()
    assert not cw.duplicated(["kind", "external_id"]).any()
    known = {"item": set(net.items["item_id"]), "stage": set(net.stages["stage_id"]),
             "provider": set(net.providers["provider_id"])}
    pattern = {"item": r"N\d+", "stage": r"S\d", "provider": r"P\d+"}
    for kind, i, ext in cw.itertuples(index=False):
        assert i in known[kind], (kind, i)
        assert re.fullmatch(pattern[kind], ext), (kind, ext)
    firms = set(net.firms())
    assert set(cw.loc[cw["kind"] == "provider", "id"]) <= firms
    assert ("item", "euv-lithography-tools", "N20") in set(cw.itertuples(index=False, name=None))


def test_crosswalk_external_ids_exist_in_eto(eto_dir, net):
    """Reads only the id columns of the ETO inputs and providers lists."""
    def ids(fname: str, col: str) -> set[str]:
        with open(eto_dir / fname, encoding="utf-8-sig", newline="") as fh:
            return {row[col] for row in csv.DictReader(fh)}

    cw = net.meta["crosswalks"]["eto"]
    ext = {k: set(g["external_id"]) for k, g in cw.groupby("kind")}
    assert ext["item"] <= ids("inputs.csv", "input_id")
    assert ext["provider"] <= ids("providers.csv", "provider_id")
    assert ext["stage"] <= {"S1", "S2", "S3"}


# ------------------------------------------------------------------ CLI
def test_cli_validate_and_show():
    from allychain.cli.main import app

    runner = CliRunner()
    res = runner.invoke(app, ["data", "validate", "builtin", "--strict"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["show", "Gallium", "-f", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["item_id"] == "gallium"
    rows = {r["provider_id"]: r for r in out["shares"]}
    assert rows["CHN"]["share"] >= 90 and rows["CHN"]["url"].startswith("https://")


def test_every_grouping_is_sourced(net):
    """Groupings used for partner pools (everything but the analysed cases) cite their membership list."""
    g = net.alliances[net.alliances["kind"].astype(object).ne("case")]
    assert len(g) and g["source_id"].notna().all() and g["year"].notna().all() and g["like_minded"].notna().all()
    assert set(g["source_id"]) <= set(net.sources["source_id"])
    assert set(g["member"]) <= set(net.countries())
    assert not {"CHN", "RUS"} & set(g.loc[g["like_minded"].astype(bool), "member"])


def test_netherlands_needs_the_euv_modules_from_abroad(net):
    """The Dutch chain is ASML's: EUV optics from Germany (ZEISS) and EUV light sources from the United
    States (Cymer), both named in the ASML Annual Report 2023."""
    from allychain.analysis import dependencies

    d = dependencies(net, "NLD").set_index("item_id")
    for item, country in (("euv-optics", "DEU"), ("euv-light-sources", "USA")):
        assert d.loc[item, "top_foreign_country"] == country and d.loc[item, "foreign_share"] == 100
        assert bool(d.loc[item, "critical"]) and d.loc[item, "tier"] == 1
