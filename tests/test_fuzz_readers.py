"""Fuzzing every reader: malformed tables, manifests, pymrio folders, capacity paths, scenario and
Monte Carlo specs, allocation and stockpile plans, ETO releases.

Each test mutates a valid input with hypothesis (bytes flipped, cells replaced by hostile values,
lines cut or repeated, nesting deepened) and asserts that reading it either succeeds or raises an
:class:`~allychain.errors.AllychainError` — never any other exception — within the per-example
deadline.  The default is a few dozen examples per reader so the suite stays fast; set
``ALLYCHAIN_FUZZ_EXAMPLES`` (e.g. ``2000``) to run the long mode by hand.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import allychain
from allychain.data import spec as specs
from allychain.errors import AllychainError

EXAMPLES = int(os.environ.get("ALLYCHAIN_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=20), derandomize=EXAMPLES <= 25,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
EXAMPLES_DIR = Path(allychain.__file__).parent / "data" / "examples"
SCENARIOS = Path(allychain.__file__).parent / "scenarios"

HOSTILE = ["", " ", "1e309", "-1e309", "9" * 400, "nan", "inf", "-0", "1.0e300", "0x10", "%", "61%%", "\ufeffx",
           "g\u0430llium", "\u200b", "[bold]x[/]", "[/]", "\x00", '"', '""', "a,b", "\n", "\r", "\\", "~", "&a",
           "*a", "!!python/object:os.system", "{", "[", "- x", ": :", "\u202e", "é", "\udcff"]


def mutate(data: bytes, draw: Any) -> bytes:
    """A few random edits of ``data``: replace a field, flip bytes, cut, repeat or insert a hostile value."""
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["field", "flip", "cut", "repeat", "insert"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "field":
            value = draw(st.sampled_from(HOSTILE)).encode("utf-8", "surrogatepass")
            end = pos
            while end < len(data) and data[end:end + 1] not in (b",", b"\n", b":", b" ", b"\t"):
                end += 1
            data = data[:pos] + value + data[end:]
        elif op == "flip":
            data = data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1:]
        elif op == "cut":
            data = data[:pos]
        elif op == "repeat":
            data = data + data[pos:]
        else:
            data = data[:pos] + draw(st.binary(max_size=12)) + data[pos:]
    return data


def accepts_or_refuses(read: Any, *args: Any) -> None:
    try:
        read(*args)
    except AllychainError:
        pass


# -- table readers --------------------------------------------------------------------------------------
NATIVE = EXAMPLES_DIR / "three_tier"


@FUZZ
@given(st.sampled_from(sorted(p.name for p in NATIVE.glob("*.csv"))), st.data())
def test_native_tables(tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject) -> None:
    d = tmp_path_factory.mktemp("native") / "net"
    shutil.copytree(NATIVE, d)
    (d / name).write_bytes(mutate((d / name).read_bytes(), data.draw))
    accepts_or_refuses(allychain.load, str(d))


SHARES = ("item_id,provider_id,share,year\nN1,USA,40,2021\nN1,KOR,35,2021\nN2,ASML,90,2021\n")
SHARE_NET = {"items.csv": "item_id,name,kind\nN1,Silicon wafers,material\nN2,Lithography tools,tool\n",
             "providers.csv": "provider_id,name,kind,country\nUSA,United States,country,\nKOR,South Korea,country,\n"
                              "ASML,ASML Holding,firm,NLD\n",
             "shares.csv": SHARES,
             "relations.csv": "source,target,kind\nN1,N2,goes_into\n"}


@FUZZ
@given(st.sampled_from(sorted(SHARE_NET)), st.data())
def test_share_tables(tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject) -> None:
    d = tmp_path_factory.mktemp("shares") / "net"
    d.mkdir()
    for f, text in SHARE_NET.items():
        (d / f).write_text(text, encoding="utf-8")
    (d / name).write_bytes(mutate(SHARE_NET[name].encode(), data.draw))
    accepts_or_refuses(allychain.load, str(d))


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                       max_size=3), max_leaves=12)


@FUZZ
@given(st.dictionaries(st.sampled_from(["format", "version", "name", "tables", "io", "crosswalks", "x"]),
                       json_values, max_size=6), st.integers(0, 3000))
def test_manifests(tmp_path_factory: pytest.TempPathFactory, doc: dict, depth: int) -> None:
    d = tmp_path_factory.mktemp("manifest") / "net"
    shutil.copytree(NATIVE, d)
    doc = {"format": "allychain-network", "version": 1, "tables": {"nodes": "nodes.csv"}, **doc}
    text = json.dumps(doc, default=str)
    if depth > 100:
        text = text[:-1] + ', "deep": ' + "[" * depth + "]" * depth + "}"
    (d / "manifest.json").write_text(text, encoding="utf-8")
    accepts_or_refuses(allychain.load, str(d))


# -- pymrio folders -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mrio_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pymrio = pytest.importorskip("pymrio")
    d = tmp_path_factory.mktemp("mrio") / "good"
    pymrio.load_test().save_all(d)
    return d


@FUZZ
@given(st.sampled_from(["Z.txt", "Y.txt", "unit.txt", "file_parameters.json"]), st.data())
def test_pymrio_folders(tmp_path_factory: pytest.TempPathFactory, mrio_folder: Path, name: str,
                        data: st.DataObject) -> None:
    from allychain.data.mrio import load_mrio

    d = tmp_path_factory.mktemp("mrio") / "m"
    shutil.copytree(mrio_folder, d)
    if data.draw(st.booleans(), label="delete"):
        (d / name).unlink()
    else:
        (d / name).write_bytes(mutate((d / name).read_bytes(), data.draw))
    accepts_or_refuses(load_mrio, d)


# -- capacity paths and specifications ------------------------------------------------------------------
PATH = b"step,reg3/food,reg2/mining\n0,0.5,0\n10,0.2,0.1\n20,0,0\n"


@FUZZ
@given(st.data())
def test_capacity_paths(tmp_path: Path, data: st.DataObject) -> None:
    f = tmp_path / "path.csv"
    f.write_bytes(mutate(PATH, data.draw))
    accepts_or_refuses(specs.read_capacity_path, f)


SPECS = {
    "scenario": (specs.read_scenario, SCENARIOS / "pymrio-test-food-fire.yaml"),
    "montecarlo": (specs.read_montecarlo, SCENARIOS / "pymrio-test-montecarlo.yaml"),
    "allocation": (specs.read_allocation_plan, EXAMPLES_DIR / "plans" / "allocation.yaml"),
    "stockpile": (specs.read_stockpile_spec, EXAMPLES_DIR / "three_tier" / "stockpile.yaml"),
}


@FUZZ
@given(st.sampled_from(sorted(SPECS)), st.data())
def test_specifications(tmp_path_factory: pytest.TempPathFactory, kind: str, data: st.DataObject) -> None:
    read, source = SPECS[kind]
    f = tmp_path_factory.mktemp("spec") / source.name
    f.write_bytes(mutate(source.read_bytes(), data.draw))
    accepts_or_refuses(read, f)


# -- the ETO importer -----------------------------------------------------------------------------------
def _eto_writer() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("eto_tables", Path(__file__).parent / "test_eto.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.write_release


write_eto_release = _eto_writer()  # loaded once, outside any hypothesis test


@FUZZ
@given(st.data())
def test_eto_releases(tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    d = write_eto_release(tmp_path_factory.mktemp("eto") / "release")
    name = data.draw(st.sampled_from(sorted(p.name for p in d.glob("*.csv"))))
    (d / name).write_bytes(mutate((d / name).read_bytes(), data.draw))
    accepts_or_refuses(allychain.load, str(d))
