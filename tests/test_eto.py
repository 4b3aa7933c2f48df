"""The ETO importer: the real copy (counts computed independently with the csv module)
and small invented "other releases" written to tmp_path."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from allychain.cli.main import app
from allychain.data.eto import parse_market_size, read_eto, resolve_place
from allychain.data.load import load
from allychain.errors import DataError
from allychain.model.info import info

AGGREGATE_NAMES = ("Various countries", "Various")


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def eto(eto_dir):
    return read_eto(eto_dir)


@pytest.fixture(scope="module")
def expected(eto_dir):
    """Counts and facts computed from the CSV files without allychain."""
    inputs = rows(eto_dir, "inputs.csv")
    providers = rows(eto_dir, "providers.csv")
    provision = rows(eto_dir, "provision.csv")
    sequence = rows(eto_dir, "sequence.csv")
    country_rows = [r for r in providers if r["provider_type"] == "country"]
    country_ids = {r["provider_id"] for r in country_rows
                   if r["provider_name"] not in AGGREGATE_NAMES and r["provider_name"] != "EUR"}
    firm_ids = {r["provider_id"] for r in providers
                if r["provider_type"] == "organization" and not r["provider_name"].startswith("Various")}
    input_ids = {r["input_id"] for r in inputs}
    known_country = {r["provided_id"] for r in provision
                     if r["provider_id"] in country_ids and r["share_provided"].strip() and r["provided_id"] in input_ids}
    names: dict[str, set[str]] = {}
    for r in providers:
        names.setdefault(r["provider_id"], set()).update(x for x in (r["provider_name"], r["alias"]) if x)
    name_rows = {i + 2 for i, r in enumerate(provision) if r["provider_name"] not in names[r["provider_id"]]}
    return {
        "items": len(inputs),
        "share_rows": len(provision),
        "providers": len({r["provider_id"] for r in providers}),
        "countries": len(country_ids),
        "firms": len(firm_ids),
        "years": sorted({int(r["year"]) for r in provision if r["year"]}),
        "items_with_known_country_shares": len(known_country),
        "unknown_shares": sum(1 for r in provision if not r["share_provided"].strip()),
        "zero_shares": sum(1 for r in provision if r["share_provided"].strip() and float(r["share_provided"]) == 0),
        "relations": sum(bool(r["goes_into_id"]) + bool(r["is_type_of_id"]) for r in sequence),
        "name_rows": name_rows,
        "sources": len({t for f, c in (("stages.csv", "market_share_chart_source"),
                                       ("inputs.csv", "market_share_chart_source"), ("provision.csv", "source"))
                        for t in (r[c].strip() for r in rows(eto_dir, f)) if t}),
        "provision": provision,
        "providers_rows": providers,
    }


# -- the real copy -----------------------------------------------------------------------------------------------
def test_counts_match_the_csv_files(eto, expected, eto_dir):
    # recomputed from the files with the csv module, so any release of the data can stand here
    assert expected["items"] > 0 and expected["share_rows"] > 0 and expected["countries"] > 0
    assert len(eto.items) == expected["items"]
    assert len(eto.shares) == expected["share_rows"]
    assert len(eto.providers) == expected["providers"]
    assert len(eto.countries()) == expected["countries"]
    assert len(eto.firms()) == expected["firms"]
    assert len(eto.relations) == expected["relations"]
    assert len(eto.stages) == len(rows(eto_dir, "stages.csv"))
    assert sorted(int(y) for y in eto.shares["year"].dropna().unique()) == expected["years"]
    assert set(eto.shares["dataset"]) == {"eto"}


def test_meta(eto):
    assert eto.meta["family"] == "eto"
    assert eto.meta["license"] == "CC BY-NC 4.0 — CSET Emerging Technology Observatory"
    assert "CSET" in eto.meta["description"]


def test_country_ids_are_iso3_and_firms_keep_eto_ids(eto, expected):
    p = eto.providers.set_index("provider_id")
    iso = {r["provider_name"] for r in expected["providers_rows"]
           if r["provider_type"] == "country" and r["provider_name"] not in AGGREGATE_NAMES and r["provider_name"] != "EUR"}
    assert set(eto.countries()) == iso
    assert p.loc["NLD", "name"] == "Netherlands" and p.loc["NLD", "kind"] == "country"
    assert eto.meta["provider_ids"]["P45"] == "NLD" and eto.meta["provider_ids"]["P88"] == "P88"
    assert list(eto.providers.columns) == ["provider_id", "name", "kind", "country", "aliases"]
    assert p.loc["P88", "name"] == "ASML" and p.loc["P88", "kind"] == "firm" and p.loc["P88", "country"] == "NLD"
    # aliases of one firm spread over several rows of providers.csv are joined
    assert set(p.loc["P159", "aliases"].split("; ")) == {"Canon ANELVA", "Canon Machinery"}


def test_aggregate_and_region_are_not_countries(eto):
    p = eto.providers.set_index("provider_id")
    assert p.loc["VARIOUS", "kind"] == "aggregate"
    assert p.loc["VARIOUS", "name"] == "Various countries"
    assert p.loc["EUR", "kind"] == "region"
    assert "VARIOUS" not in eto.countries() and "EUR" not in eto.countries()
    # "Various companies" is not one firm either; its home is the aggregate
    assert p.loc["P370", "kind"] == "aggregate" and p.loc["P370", "country"] == "VARIOUS"
    assert "P370" not in eto.firms()


def share_of(n, item, provider, year=None):
    s = n.shares
    m = (s["item_id"] == item) & (s["provider_id"] == provider)
    if year is not None:
        m &= s["year"] == year
    vals = s.loc[m, "share"]
    assert len(vals) == 1, (item, provider, len(vals))
    return float(vals.iloc[0])


def test_shares_read_off_the_csv(eto, expected):
    prov = expected["provision"]
    by = {(r["provided_id"], r["provider_id"], r["year"]): r["share_provided"] for r in prov}
    assert share_of(eto, "N20", "NLD", 2025) == float(by[("N20", "P45", "2025")]) == 100.0
    assert share_of(eto, "N20", "P88", 2025) == float(by[("N20", "P88", "2025")]) == 100.0
    # every row: the same number, or NaN where the cell is empty; provider ids mapped P45 -> NLD etc.
    id_map = {}
    for r in expected["providers_rows"]:
        if r["provider_type"] == "country":
            id_map[r["provider_id"]] = "VARIOUS" if r["provider_name"] in AGGREGATE_NAMES else r["provider_name"]
        else:
            id_map[r["provider_id"]] = r["provider_id"]
    got = {(i, p, int(y)): v for i, p, y, v in zip(eto.shares["item_id"], eto.shares["provider_id"],
                                                     eto.shares["year"], eto.shares["share"], strict=True)}
    assert len(got) == len(prov)
    for r in prov:
        v = got[(r["provided_id"], id_map[r["provider_id"]], int(r["year"]))]
        if r["share_provided"].strip():
            assert v == pytest.approx(float(r["share_provided"]))
        else:
            assert math.isnan(v)


def test_unknown_shares_stay_nan(eto, expected):
    assert int(eto.shares["share"].isna().sum()) == expected["unknown_shares"] == 246
    assert int((eto.shares["share"] == 0).sum()) == expected["zero_shares"]


def test_stage_shares_refer_to_stages(eto, expected):
    stage_rows = [r for r in expected["provision"] if r["provided_id"].startswith("S")]
    assert stage_rows and int(eto.shares["item_id"].isin(eto.stages["stage_id"]).sum()) == len(stage_rows)


def test_name_differences_are_findings(eto, expected):
    found = [p for p in eto.meta["findings"] if p.check == "names" and p.column == "provider_name"]
    assert {p.row for p in found} == expected["name_rows"]
    assert len(found) == 9
    assert all(p.severity == "warning" and p.file.endswith("provision.csv") for p in found)
    various = next(p for p in found if p.value == "Various")
    assert "Various countries" in various.message


def test_market_sizes(eto, eto_dir):
    st = eto.stages.set_index("stage_id")
    assert st.loc["S1", "market_size"] == 5.74e11 and st.loc["S1", "market_size_year"] == 2022
    assert math.isnan(st.loc["S2", "market_size"])  # empty in the file: unknown, not 0
    it = eto.items.set_index("item_id")
    for r in rows(eto_dir, "inputs.csv"):
        text = r["market_share_chart_global_market_size_info"]
        if text == "$13 billion (2025)":
            assert it.loc[r["input_id"], "market_size"] == 1.3e10
        if text == "$296 million (2025)":
            assert it.loc[r["input_id"], "market_size"] == 2.96e8
        if text == "$10.9 billion":
            assert it.loc[r["input_id"], "market_size"] == pytest.approx(1.09e10)
            y = it.loc[r["input_id"], "market_size_year"]
            assert (pd.isna(y) and not r["year"]) or y == int(r["year"])
        if not text:
            assert math.isnan(it.loc[r["input_id"], "market_size"])
    assert not (eto.items["market_size"] == 0).any()


def test_item_kinds_and_relations(eto, eto_dir):
    types = {"tool_resource": "tool", "material_resource": "material", "process": "process",
             "design_resource": "design", "ultimate_output": "output"}
    it = eto.items.set_index("item_id")
    for r in rows(eto_dir, "inputs.csv"):
        assert it.loc[r["input_id"], "kind"] == types[r["type"]]
    rel = set(zip(eto.relations["source"], eto.relations["target"], eto.relations["kind"], strict=True))
    assert ("N20", "N19", "is_type_of") in rel
    assert ("N8", "N26", "goes_into") in rel


def test_sources_deduplicated_with_stable_ids(eto, eto_dir, expected):
    assert len(eto.sources) == expected["sources"]
    assert eto.sources["source_id"].str.startswith("eto-src-").all()
    assert not eto.sources["title"].str.contains(r"\]\(", regex=True).any()
    again = read_eto(eto_dir)
    assert list(again.sources["source_id"]) == list(eto.sources["source_id"])
    cset = eto.sources[eto.sources["title"] == "CSET (citing SEMI)"]
    assert list(cset["url"]) == ["https://cset.georgetown.edu/publication/the-semiconductor-supply-chain/"]
    assert eto.shares["source_id"].notna().sum() == sum(1 for r in expected["provision"] if r["source"].strip())


def test_info_counts(eto, expected):
    got = info(eto)
    for key in ("items", "providers", "countries", "firms", "share_rows", "items_with_known_country_shares", "years"):
        assert got[key] == expected[key], key
    assert got["items_with_known_country_shares"] == 91


def test_cli_validate_and_info(eto_dir, expected):
    runner = CliRunner()
    res = runner.invoke(app, ["data", "validate", str(eto_dir)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["data", "info", "--data", str(eto_dir), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    for key in ("items", "providers", "countries", "firms", "share_rows", "items_with_known_country_shares", "years"):
        assert data[key] == expected[key], key


def test_load_detects_eto_folder(eto_dir, expected):
    assert len(load(str(eto_dir)).shares) == expected["share_rows"]


# -- invented other releases -------------------------------------------------------------------------------------
STAGES = [["stage_id", "stage_name", "description", "market_share_chart_global_market_size_info",
           "market_share_chart_source"],
          ["S1", "Design", "Drawing the chip", "$10 billion (2020)", "[Example](https://example.org/a) survey"],
          ["S2", "Fabrication", "", "", ""]]
INPUTS = [["input_id", "input_name", "type", "stage_id", "description", "year",
           "market_share_chart_global_market_size_info"],
          ["X1", "Widget tools", "tool_resource", "", "Tools making widgets", "2024", "$1.5 billion"],
          ["X2", "Gizmo material", "material_resource", "", "", "", "$250 million (2023)"],
          ["X3", "Finished gadget", "ultimate_output", "S2", "", "", "unknown"],
          ["X4", "Gadget design", "process", "S1", "", "", ""]]
PROVIDERS = [["provider_name", "alias", "provider_id", "provider_type", "country"],
             ["Netherlands", "", "Q1", "country", ""],
             ["JPN", "Japan", "Q2", "country", ""],
             ["Various countries", "", "Q3", "country", ""],
             ["EUR", "Europe", "Q4", "country", "EUR"],
             ["Acme Litho", "Acme Lithography Systems", "Q10", "organization", "NLD"],
             ["Borealis Chemicals", "", "Q11", "organization", "Japan"],
             ["Orbit Fab", "", "Q12", "organization", "Various countries"]]
PROVISION = [["share_provided", "provided_id", "provider_id", "negligible_market_share", "provider_name", "provided_name"],
             ["61%", "X1", "Q1", "", "Netherlands", "Widget tools"],
             ["39%", "X1", "Q2", "", "JPN", "Widget tools"],
             ["61%", "X1", "Q10", "", "Acme Litho Corp", "Widget tools"],
             ["", "X1", "Q11", "Negligible", "Borealis Chemicals", "Widget tools"],
             ["", "X2", "Q3", "", "Various", "Gizmo material"],
             ["100", "X2", "Q4", "", "EUR", "Gizmo"],
             ["", "S1", "Q12", "", "Orbit Fab", "Design"]]
SEQUENCE = [["input_id", "goes_into_id", "is_type_of_id", "input_name"],
            ["X1", "X3", "", "Widget tools"],
            ["X2", "X3", "X1", "Gizmo material"]]


def write_csv(path: Path, table: list[list[str]], bom: bool = False) -> None:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(table)


def write_release(folder: Path, bom: bool = True, **tables: list[list[str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    base = {"stages": STAGES, "inputs": INPUTS, "providers": PROVIDERS, "provision": PROVISION,
            "sequence": SEQUENCE}
    for name, table in {**base, **tables}.items():
        if table is not None:
            write_csv(folder / f"{name}.csv", table, bom=bom)
    return folder


def test_other_release_reads(tmp_path):
    folder = write_release(tmp_path / "rel")
    assert (folder / "provision.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    n = read_eto(folder)
    assert len(n.items) == 4 and len(n.shares) == 7 and len(n.relations) == 3
    assert share_of(n, "X1", "NLD") == 61.0  # "61%", provider named "Netherlands"
    assert share_of(n, "X1", "JPN") == 39.0
    assert share_of(n, "X1", "Q10") == 61.0
    assert math.isnan(share_of(n, "X1", "Q11"))
    assert n.shares["year"].isna().all()  # no year column: unknown, not guessed
    neg = dict(zip(n.shares["provider_id"], n.shares["negligible"], strict=True))
    assert neg["Q11"] is True or neg["Q11"] == True  # noqa: E712 (pandas boolean)
    assert pd.isna(neg["NLD"])
    p = n.providers.set_index("provider_id")
    assert p.loc["VARIOUS", "kind"] == "aggregate" and p.loc["EUR", "kind"] == "region"
    assert p.loc["EUR", "name"] == "Europe"
    assert p.loc["Q11", "country"] == "JPN" and p.loc["Q10", "country"] == "NLD"
    assert p.loc["Q12", "country"] == "VARIOUS"
    assert sorted(n.countries()) == ["JPN", "NLD"] and sorted(n.firms()) == ["Q10", "Q11", "Q12"]
    it = n.items.set_index("item_id")
    assert it.loc["X1", "market_size"] == 1.5e9 and it.loc["X1", "market_size_year"] == 2024
    assert it.loc["X2", "market_size"] == 2.5e8 and it.loc["X2", "market_size_year"] == 2023
    assert math.isnan(it.loc["X3", "market_size"]) and it.loc["X3", "kind"] == "output"
    assert n.stages.set_index("stage_id").loc["S1", "market_size"] == 1e10
    src = n.sources.set_index("source_id")
    assert list(src["title"]) == ["Example survey"] and list(src["url"]) == ["https://example.org/a"]
    findings = [f for f in n.meta["findings"] if f.check == "names"]
    assert {(f.row, f.column) for f in findings} == {(4, "provider_name"), (6, "provider_name"), (7, "provided_name")}
    assert any(f.check == "market_size" and f.value == "unknown" for f in n.meta["findings"])


def test_other_release_with_year_column_and_old_names(tmp_path):
    providers = [["provider_name", "provider_id", "provider_type", "country"],
                 ["USA", "P1", "country", ""], ["Other", "P3", "country", ""], ["Europe", "P5", "country", ""],
                 ["Asia-Pacific", "P6", "country", ""], ["MAL", "P46", "country", ""],
                 ["Acme", "P9", "organization", "United States"]]
    provision = [["provider_name", "provider_id", "provided_name", "provided_id", "share_provided", "year",
                  "negligible_share"],
                 ["USA", "P1", "Design", "S1", "61%", "2019", ""], ["Other", "P3", "Design", "S1", "9%", "2019", ""],
                 ["Europe", "P5", "Design", "S1", "10%", "2019", ""], ["Asia-Pacific", "P6", "Design", "S1", "5%", "2019", ""],
                 ["MAL", "P46", "Design", "S1", "2%", "2019", ""], ["Acme", "P9", "Design", "S1", "", "2019", "negligible"],
                 ["USA", "P1", "Design", "S1", "60%", "2022", ""]]
    n = read_eto(write_release(tmp_path / "old", bom=False, providers=providers, provision=provision))
    p = n.providers.set_index("provider_id")
    assert dict(p["kind"]) == {"USA": "country", "OTHER": "aggregate", "EUR": "region", "APAC": "region",
                               "MYS": "country", "P9": "firm"}
    assert p.loc["P9", "country"] == "USA"
    assert share_of(n, "S1", "USA", 2019) == 61.0 and share_of(n, "S1", "USA", 2022) == 60.0
    assert bool(n.shares.loc[n.shares["provider_id"] == "P9", "negligible"].iloc[0]) is True


def test_column_order_does_not_matter(tmp_path):
    shuffled = [[r[i] for i in (4, 0, 3, 2, 1)] for r in PROVIDERS]
    a = read_eto(write_release(tmp_path / "a"))
    b = read_eto(write_release(tmp_path / "b", providers=shuffled))
    pd.testing.assert_frame_equal(a.providers, b.providers)
    pd.testing.assert_frame_equal(a.shares, b.shares)


def problems_of(exc: pytest.ExceptionInfo) -> list:
    return exc.value.problems


def test_errors_name_file_row_column_value(tmp_path):
    provision = [PROVISION[0], ["abc", "X1", "Q1", "", "", ""], ["120%", "X1", "Q2", "", "", ""],
                 ["5", "X9", "Q1", "", "", ""], ["5", "X1", "Q99", "", "", ""], ["5", "X2", "Q1", "maybe", "", ""]]
    with pytest.raises(DataError) as exc:
        read_eto(write_release(tmp_path / "bad", provision=provision))
    got = {(Path(p.file).name, p.row, p.column, p.value) for p in problems_of(exc)}
    assert ("provision.csv", 2, "share_provided", "abc") in got
    assert ("provision.csv", 3, "share_provided", "120%") in got
    assert ("provision.csv", 6, "negligible_market_share", "maybe") in got
    assert len(problems_of(exc)) == 3  # reference checks wait until values are valid
    provision = [PROVISION[0], ["5", "X9", "Q1", "", "", ""], ["5", "X1", "Q99", "", "", ""]]
    with pytest.raises(DataError) as exc:
        read_eto(write_release(tmp_path / "refs", provision=provision))
    got = {(Path(p.file).name, p.row, p.column, p.value) for p in problems_of(exc)}
    assert got == {("provision.csv", 2, "provided_id", "X9"), ("provision.csv", 3, "provider_id", "Q99")}
    assert "inputs.csv column 'input_id'" in str(exc.value)  # ETO column names, not allychain's


def test_ambiguous_and_unknown_countries_are_errors(tmp_path):
    providers = [PROVIDERS[0], ["Korea", "", "Q1", "country", ""], ["Atlantis", "", "Q2", "country", ""],
                 ["Acme", "", "Q10", "organization", "Narnia"], ["Beta", "", "Q11", "organization", "NLD"],
                 ["Gamma", "", "Q12", "organization", "NLD"], ["Various", "", "Q3", "country", ""],
                 ["Europe", "", "Q4", "country", ""]]
    with pytest.raises(DataError) as exc:
        read_eto(write_release(tmp_path / "c", providers=providers))
    msgs = {(p.row, p.column): p.message for p in problems_of(exc)}
    assert "ambiguous" in msgs[(2, "provider_name")] and "KOR" in msgs[(2, "provider_name")]
    assert "unknown country" in msgs[(3, "provider_name")]
    assert "unknown country" in msgs[(4, "country")]


def test_missing_file_and_column(tmp_path):
    folder = write_release(tmp_path / "m")
    (folder / "sequence.csv").unlink()
    with pytest.raises(DataError, match="required file sequence.csv is missing"):
        read_eto(folder)
    provision = [r[1:] for r in PROVISION]
    with pytest.raises(DataError) as exc:
        read_eto(write_release(tmp_path / "n", provision=provision))
    assert "required column 'share_provided' is missing" in str(exc.value)


def test_unknown_type_and_cycle(tmp_path):
    inputs = [INPUTS[0], ["X1", "Widget tools", "spaceship", "", "", "", ""], *INPUTS[2:]]
    with pytest.raises(DataError) as exc:
        read_eto(write_release(tmp_path / "t", inputs=inputs))
    p = problems_of(exc)[0]
    assert (p.column, p.value) == ("type", "spaceship") and "tool_resource" in p.expected
    sequence = [SEQUENCE[0], ["X1", "X3", "", ""], ["X3", "X1", "", ""]]
    with pytest.raises(DataError, match="cycle in 'goes_into'"):
        read_eto(write_release(tmp_path / "cyc", sequence=sequence))


def test_parse_market_size_and_resolve_place():
    assert parse_market_size("$13 billion (2025)") == (1.3e10, 2025)
    assert parse_market_size("$296 million (2025)") == (2.96e8, 2025)
    assert parse_market_size("$10.9 billion", 2021) == (pytest.approx(1.09e10), 2021)
    assert parse_market_size("$1 billion (sputtering targets)", 2019) == (1e9, 2019)
    assert math.isnan(parse_market_size("")[0]) and math.isnan(parse_market_size("about a lot")[0])
    assert resolve_place("Netherlands").id == "NLD"
    assert resolve_place("South Korea").id == "KOR"
    assert resolve_place("Taiwan").id == "TWN"
    assert resolve_place("Czech Republic").id == "CZE"
    assert resolve_place("Russia").id == "RUS"  # single fuzzy match
    assert resolve_place("Various countries").kind == "aggregate"
    assert resolve_place("EUR").kind == "region"
    with pytest.raises(LookupError, match="ambiguous"):
        resolve_place("Korea")


def test_round_trip_through_native_format(eto, tmp_path):
    from allychain.data.native import read_native, write_native

    back = read_native(write_native(eto, tmp_path / "native"), dataset="eto")
    for comp, table in eto.tables():
        pd.testing.assert_frame_equal(table, back.table(comp), obj=comp)


@settings(max_examples=200, deadline=None)
@given(
    st.decimals(min_value="0.1", max_value="999.9", places=1, allow_nan=False, allow_infinity=False),
    st.sampled_from([("billion", 1e9), ("million", 1e6), ("trillion", 1e12)]),
    st.one_of(st.none(), st.integers(1990, 2030)),
    st.sampled_from(["", " (all photoresists)", " (2019)"]),
)
def test_parse_market_size_property(number, unit, year, note):
    word, scale = unit
    text = f"${number} {word}{note}" + (f" ({year})" if year is not None else "")
    usd, got_year = parse_market_size(text, year=2000)
    assert usd == pytest.approx(float(number) * scale, rel=1e-12)
    assert got_year == (year if year is not None else 2019 if note == " (2019)" else 2000)


# -- a provision row published twice ------------------------------------------------------------------------------
def _repeat_row(folder: Path, change: dict[str, str] | None = None) -> tuple[int, int]:
    """Append a copy of a provision row (changed where ``change`` says) with the csv module;
    return the line numbers of the original and of the copy (header = line 1)."""
    with open(folder / "provision.csv", encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    header = table[0]
    # a row with a provider and an item, as the 2019 release's repeated Powertech/ATP row
    k = next(i for i, r in enumerate(table[1:], start=1) if r[header.index("provider_id")] and
             r[header.index("provided_id")])
    copy = list(table[k])
    for col, value in (change or {}).items():
        copy[header.index(col)] = value
    table.append(copy)
    with open(folder / "provision.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(table)
    return k + 1, len(table)


def _check_repeated(folder: Path) -> None:
    before = len(rows(folder, "provision.csv"))
    first, copy = _repeat_row(folder)
    n = read_eto(folder)
    assert len(n.shares) == before  # read once
    warned = [p for p in n.meta["findings"] if p.check == "repeated_rows"]
    assert len(warned) == 1 and warned[0].severity == "warning"
    assert warned[0].row == copy and f"repeats row {first} word for word" in warned[0].message
    assert warned[0].file.endswith("provision.csv")
    r = CliRunner().invoke(app, ["data", "validate", str(folder)])
    assert r.exit_code == 0, r.output
    assert f"row {copy}: provision row repeats row {first} word for word" in r.output


def _check_disagreeing(folder: Path) -> None:
    with open(folder / "provision.csv", encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    share_col = next(c for c in header if c.lower() in ("share_provided", "share", "market_share"))
    first, copy = _repeat_row(folder, {share_col: "12.5"})  # same provider and item, another share
    with pytest.raises(DataError) as exc:
        read_eto(folder)
    dup = [p for p in exc.value.problems if "duplicate" in p.message]
    assert len(dup) == 1 and dup[0].row == copy and f"first at row {first}" in dup[0].message
    r = CliRunner().invoke(app, ["data", "validate", str(folder)])
    assert r.exit_code == 3 and f"row {copy}" in r.output and f"first at row {first}" in r.output


def test_repeated_provision_row_is_read_once_with_a_warning(tmp_path):
    _check_repeated(write_release(tmp_path / "rel", bom=False))


def test_repeated_provision_rows_that_disagree_are_rejected(tmp_path):
    _check_disagreeing(write_release(tmp_path / "rel", bom=False))


def test_repeated_row_in_a_copy_of_the_real_release(eto_dir, tmp_path):
    import shutil

    _check_repeated(Path(shutil.copytree(eto_dir, tmp_path / "same")))
    _check_disagreeing(Path(shutil.copytree(eto_dir, tmp_path / "differs")))
