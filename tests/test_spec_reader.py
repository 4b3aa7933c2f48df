"""The reader boundary for specification files (allychain.data.spec): hostile and careless
input gets a SpecError/ScenarioError naming file, key path, value and what was expected."""

from __future__ import annotations

import os
import tracemalloc
import warnings
from pathlib import Path

import pytest

from allychain.data.spec import (
    Limits,
    load_yaml_text,
    parse_scenario_text,
    read_allocation_plan,
    read_capacity_path,
    read_montecarlo,
    read_scenario,
    read_stockpile_spec,
)
from allychain.errors import AllychainDeprecationWarning, ScenarioError, SpecError

BILLION_LAUGHS = "\n".join(
    [f'{c}: &{c} [{",".join([f"*{p}"] * 9)}]' for p, c in zip("abcdefgh", "bcdefghi", strict=True)])
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + BILLION_LAUGHS + "\n"


def _write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_billion_laughs_is_refused_before_anything_expands(tmp_path):
    p = _write(tmp_path, BILLION_LAUGHS)
    assert p.stat().st_size < 500
    read_scenario(_write(tmp_path, "name: warm-up\n", "w.yaml"))  # imports happen outside the measurement
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError, match=r"line 2: YAML alias '\*a'.*not accepted"):
            read_scenario(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20  # fully expanded it would be 9**9 strings (gigabytes)


@pytest.mark.parametrize("text, key, shown, expected", [
    ("horizon: .inf\n", "horizon", ".inf", "finite number"),
    ("shocks:\n  - nodes: [a/b]\n    loss_fraction: 0.5\n    onset: .nan\n", "shocks[0].onset", ".nan",
     "finite number"),
    ("horizon: " + "9" * 400 + "\n", "horizon", "an integer of 400 digits", "2**53"),
    ("horizon: 1e309\n", "horizon", "'1e309'", "finite number"),
    ("horizon: -3\n", "horizon", "-3", "positive number of steps"),
    ("horizon: 2.5\n", "horizon", "2.5", "positive number of steps"),
    ("name: [1, 2]\n", "name", "[1, 2]", "a text value"),
])
def test_non_finite_huge_and_wrong_values_name_key_and_value(tmp_path, text, key, shown, expected):
    p = _write(tmp_path, text)
    with pytest.raises(SpecError) as exc:
        read_scenario(p)
    e = exc.value
    assert (e.file, e.key) == (str(p), key)
    msg = str(e)
    assert msg.startswith(f"{p}: key '{key}': got {shown}; expected") and expected in msg


def test_yaml_12_numbers_are_numbers_not_text():
    doc = load_yaml_text("a: 1.0e300\nb: 1e5\nc: -2.5E-3\nd: .5\ne: '1e5'\n", "x.yaml")
    assert doc == {"a": 1e300, "b": 1e5, "c": -2.5e-3, "d": 0.5, "e": "1e5"}


def test_deep_nesting_is_refused_before_recursion(tmp_path):
    p = _write(tmp_path, "[" * 5000 + "]" * 5000)
    with pytest.raises(ScenarioError, match="nesting deeper than 32 levels"):
        read_scenario(p)
    assert load_yaml_text("a: " + "[" * 5 + "]" * 5, "x", Limits(max_depth=8)) == {"a": [[[[[]]]]]}
    with pytest.raises(ScenarioError, match="deeper than 4"):
        load_yaml_text("a: " + "[" * 5 + "]" * 5, "x", Limits(max_depth=4))


def test_size_limit_is_documented_and_configurable(tmp_path, monkeypatch):
    p = _write(tmp_path, "description: '" + "x" * 2000 + "'\n")
    with pytest.raises(ScenarioError, match=r"expected a scenario file of at most 1,000 bytes"):
        read_scenario(p, limits=Limits(max_bytes=1000))
    monkeypatch.setenv("ALLYCHAIN_SPEC_MAX_BYTES", "1500")
    with pytest.raises(ScenarioError, match="ALLYCHAIN_SPEC_MAX_BYTES"):
        read_scenario(p)
    monkeypatch.setenv("ALLYCHAIN_SPEC_MAX_BYTES", "lots")
    with pytest.raises(ScenarioError, match="ALLYCHAIN_SPEC_MAX_BYTES: got 'lots'"):
        read_scenario(p)
    monkeypatch.delenv("ALLYCHAIN_SPEC_MAX_BYTES")
    assert read_scenario(p).description == "x" * 2000


def test_latin1_file_is_refused_with_a_hint(tmp_path):
    p = _write(tmp_path, "name: Caf\xe9 fire\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"line 1: byte 0xe9 .* not UTF-8 \(it looks like Latin-1.*save the "
                                            r"file as UTF-8"):
        read_scenario(p)
    bom = _write(tmp_path, "\ufeffname: Café\n".encode(), "bom.yaml")
    assert read_scenario(bom).name == "Café"


def test_only_regular_files_are_read(tmp_path):
    with pytest.raises(ScenarioError, match="is a folder; expected the scenario file"):
        read_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="not found"):
        read_montecarlo(tmp_path / "nothere.yaml")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.yaml"
        os.mkfifo(fifo)
        with pytest.raises(ScenarioError, match="not a regular file"):
            read_allocation_plan(fifo)  # refused before open(): a FIFO would block forever


def test_capacity_path_steps_and_values(tmp_path):
    ok = read_capacity_path(_write(tmp_path, "step,a/b\n0,0.5\n3,1\n", "cp.csv"))
    assert ok.index.tolist() == [0, 3] and ok["a/b"].tolist() == [0.5, 1.0]
    for body, match in [("step,a/b\n1e30,0.5\n", r"row 2, column 'step': got '1e30'; expected a whole number"),
                        ("step,a/b\n" + "9" * 400 + ",0.5\n", "column 'step'"),
                        ("step,a/b\n1,inf\n", r"column 'a/b': got 'inf'; expected a share"),
                        ("step,a/b\n1,0.5\n1,0.2\n", r"row 3, column 'step'.*each step once"),
                        ("a/b\n0.5\n", "column 'step' missing")]:
        with pytest.raises(ScenarioError, match=match):
            read_capacity_path(_write(tmp_path, body, "bad.csv"))


def test_plan_unknown_member_and_huge_amount(tmp_path):
    plan = ("shortfalls: [{member: KOR, item: neon, amount: 5}]\nsupply: [{member: NLD, item: neon, stockpile: 3}]\n"
            "commitments: [{from: NLD, to: XXX, item: neon, min: 1}]\n")
    with pytest.raises(SpecError, match=r"key 'commitments\[0\].to': got 'XXX'; expected a member of the plan "
                                        r"\(KOR, NLD\); this one is unknown"):
        read_allocation_plan(_write(tmp_path, plan, "plan.yaml"))
    huge = plan.replace("amount: 5", "amount: " + "7" * 400).replace("XXX", "KOR")
    with pytest.raises(SpecError, match=r"key 'shortfalls\[0\].amount': got an integer of 400 digits"):
        read_allocation_plan(_write(tmp_path, huge, "huge.yaml"))


def test_previous_keys_still_read_with_a_deprecation_warning(tmp_path):
    old = ("groups: {KOR-NLD: [KOR, NLD]}\nshocks:\n  - region: UKR\n    products: [neon]\n    loss: 1.0\n"
           "demand_shocks:\n  - {region: KOR, change: -0.1}\n")
    new = ("alliances: {KOR-NLD: [KOR, NLD]}\nshocks:\n  - countries: [UKR]\n    items: [neon]\n"
           "    loss_fraction: 1.0\ndemand_shocks:\n  - {countries: [KOR], change_fraction: -0.1}\n")
    with pytest.warns(AllychainDeprecationWarning) as rec:
        a = read_scenario(_write(tmp_path, old, "old.yaml"))
    said = " ".join(str(w.message) for w in rec)
    for o, n in (("groups", "alliances"), ("shocks[0].region", "countries"), ("shocks[0].products", "items"),
                 ("shocks[0].loss", "loss_fraction"), ("demand_shocks[0].change", "change_fraction")):
        assert f"key '{o}' is deprecated; call it '{n}'" in said
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = read_scenario(_write(tmp_path, new, "new.yaml"))
    assert (a.alliances, a.shocks, a.demand_shocks) == (b.alliances, b.shocks, b.demand_shocks)
    assert a.shocks[0].target.kind == "country+item"
    with pytest.raises(SpecError, match="only one of 'loss_fraction' and its old name 'loss'"):
        read_scenario(_write(tmp_path, "shocks: [{nodes: [a/b], loss: 1, loss_fraction: 1}]\n", "both.yaml"))
    mc = "hazards:\n  - candidates: {countries: [reg1]}\n    loss_fraction: 0.5\n"
    with pytest.warns(AllychainDeprecationWarning, match="'hazards' is deprecated; call it 'shocks'"):
        spec = read_montecarlo(_write(tmp_path, mc, "mc.yaml"))
    assert spec.shocks[0].candidates.countries == ("reg1",)
    st = "stockpiles: [{member: KOR, item: wafer}]\ndisruptions: [{node: fab-nl}]\n"
    with pytest.warns(AllychainDeprecationWarning, match="'disruptions\\[0\\].node' is deprecated"):
        sp = read_stockpile_spec(_write(tmp_path, st, "st.yaml"))
    assert sp.selectors[0]["target"].nodes == ("fab-nl",)


def test_uploaded_text_goes_through_the_same_reader():
    with pytest.raises(ScenarioError, match="alias"):
        parse_scenario_text(BILLION_LAUGHS)
    with pytest.raises(SpecError, match="uploaded scenario: key 'horizon': got .inf"):
        parse_scenario_text("horizon: .inf")
    with pytest.raises(SpecError, match="key 'capacity_path'.*no file names"):
        parse_scenario_text("capacity_path: /etc/passwd")
    assert parse_scenario_text("horizon: 1.0e2").horizon == 100
