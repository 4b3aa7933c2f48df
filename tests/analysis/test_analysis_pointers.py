"""A request the data lacks points to the nearest item it covers (neon → ETO's electronic gases)."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from allychain.analysis import coverage_text
from allychain.analysis.coverage import nearest_covered, with_pointers
from allychain.cli.main import app
from allychain.data.load import builtin_concepts, load

CONCEPTS = pd.DataFrame([
    # widget-x is a kind of widget, which goes into the fab process (the only one of the three in the data)
    {"item_id": "widget-x", "name": "Widget X", "parent_id": "widget", "relation": "is_type_of", "external_ids": []},
    {"item_id": "widget", "name": "Widget", "parent_id": "wafer-fab", "relation": "goes_into", "external_ids": []},
    {"item_id": "gizmo", "name": "Gizmo", "parent_id": "gas-old", "relation": "is_type_of", "external_ids": ["gas"]},
    {"item_id": "gas-old", "name": "Old gas", "parent_id": None, "relation": None, "external_ids": ["gas"]},
])


def test_the_walk_goes_up_kinds_then_uses_and_says_how(net):
    n = net(shares=[("gas", "CHN", 90, 2022)], relations=[("gas", "wafer-fab", "goes_into")],
            items={"wafer-fab": "process"})
    got = nearest_covered(n, ["widget-x", "Widget", "gizmo", "wafer-fabs", "nothing-like-it"], CONCEPTS)
    assert got["widget-x"] == {"item_id": "wafer-fab", "name": "Wafer fab",
                               "how": "Widget X goes into it (2 links up)"}
    assert got["Widget"]["item_id"] == "wafer-fab" and got["Widget"]["how"] == "Widget goes into it"
    # gizmo's parent is not in the data by its own id, but by its external id
    assert got["gizmo"] == {"item_id": "gas", "name": "Gas", "how": "Gizmo is a kind of it"}
    assert got["wafer-fabs"]["how"] == "a close name" and got["wafer-fabs"]["item_id"] == "wafer-fab"
    assert "nothing-like-it" not in got
    # a request the data covers gets no pointer
    assert nearest_covered(n, ["gas"], CONCEPTS) == {}


def test_the_statement_names_the_pointer(net):
    n = net(shares=[("gas", "CHN", 90, 2022)], relations=[("gas", "wafer-fab", "goes_into")],
            items={"wafer-fab": "process"})
    cov = with_pointers(n, {"requested": 1, "assessed": 0, "not_in_data": ["gizmo"], "not_assessable": []}, CONCEPTS)
    assert "gizmo: nearest covered item Gas (gas) — Gizmo is a kind of it" in coverage_text(cov)


def test_builtin_concepts_hold_the_kind_links_and_the_crosswalk():
    c = builtin_concepts()
    neon = c[(c["item_id"] == "neon") & (c["relation"] == "is_type_of")]
    assert list(neon["parent_id"]) == ["electronic-gases"]
    gases = c[c["item_id"] == "electronic-gases"].iloc[0]
    assert "N91" in gases["external_ids"]


def test_neon_on_eto_points_to_electronic_gases(eto_dir):
    n = load(str(eto_dir))
    got = nearest_covered(n, ["neon", "Krypton"], builtin_concepts())
    assert got["neon"]["item_id"] == "N91" and got["neon"]["name"] == "Electronic gases"
    assert got["Krypton"]["item_id"] == "N91"
    r = CliRunner().invoke(app, ["analyze", "dependencies", "--members", "KOR", "--items", "neon",
                                 "--data", str(eto_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["coverage"]["not_in_data"] == ["neon"]
    assert out["coverage"]["nearest"]["neon"]["item_id"] == "N91"
