"""``allychain optimize …`` through typer's test runner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from allychain.cli.main import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["optimize", *map(str, args)])


def test_tts_json_shape(example_dir):
    r = run("tts", "--data", example_dir, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["kind"] == "tts" and d["status"] == "optimal"
    assert {"objective", "message", "meta", "tts"} <= set(d)
    rows = {x["disruption"]: x for x in d["tts"]}
    assert set(rows["fab-kr"]) == {"disruption", "nodes", "country", "product", "ttr", "tts", "impact",
                                   "lost_units", "rei", "unprotected"}
    assert rows["fab-kr"]["tts"] == pytest.approx(0.9) and rows["fab-kr"]["unprotected"] is True
    assert d["tts"][0]["disruption"] == "fab-kr"  # sorted by risk exposure


def test_tts_nodes_csv_and_plot(example_dir, tmp_path):
    png = tmp_path / "tts.png"
    r = run("tts", "--data", example_dir, "--nodes", "wafer-kr,resist-us", "--format", "csv", "--plot", png)
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("disruption,country,product,ttr,tts") and len(lines) == 3
    assert png.stat().st_size > 1000


def test_tts_infinite_is_a_json_string(tmp_path):
    (tmp_path / "nodes.csv").write_text("node_id,product,capacity,inventory,demand,margin,ttr\n"
                                        "a,x,10,0,,,3\nb,x,10,0,,,3\nc,y,10,0,4,1,1\n")
    (tmp_path / "edges.csv").write_text("supplier,customer\na,c\nb,c\n")
    r = run("tts", "--data", tmp_path, "--nodes", "a", "-f", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["tts"][0]["tts"] == "inf"


def test_tts_unknown_node_is_clean_error(example_dir):
    r = run("tts", "--data", example_dir, "--nodes", "nope")
    assert r.exit_code == 3
    assert "unknown node" in r.stderr and "Traceback" not in r.output


def test_tts_montecarlo_json(example_dir):
    r = run("tts", "--data", example_dir, "--samples", "5", "--seed", "1", "-f", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["kind"] == "tts-montecarlo" and len(d["summary"]) == 9 and d["samples"] is None


def test_allocate_example_json(example_dir):
    plan = example_dir.parent / "plans" / "allocation.yaml"
    r = run("allocate", plan, "-f", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert set(d) >= {"allocation", "members", "sources", "commitments", "objective", "status"}
    assert d["status"] == "optimal"
    got = {(m["member"], m["item"]): m["received"] for m in d["members"]}
    assert got[("NLD", "photoresist")] == pytest.approx(40)  # priority 2, fully served
    r = run("allocate", plan, "--fairness", "-f", "csv")
    assert r.exit_code == 0 and r.stdout.startswith("from,to,item,amount")


def test_bad_plan_has_no_traceback(tmp_path):
    p = tmp_path / "PLAN.yaml"
    p.write_text("shortfalls:\n  - {member: KOR, item: resist, amount: -3}\nsupply: []\n")
    r = run("allocate", p)
    assert r.exit_code == 3
    assert "shortfalls[0].amount" in r.stderr and "expected units >= 0" in r.stderr
    assert "Traceback" not in r.output
    r = run("allocate", tmp_path / "missing.yaml")
    assert r.exit_code == 3 and "not found" in r.stderr


def test_infeasible_plan_names_commitments(tmp_path):
    p = tmp_path / "PLAN.yaml"
    p.write_text(
        "shortfalls:\n  - {member: KOR, item: r, amount: 100}\n  - {member: NLD, item: r, amount: 100}\n"
        "supply:\n  - {member: JPN, item: r, stockpile: 50}\n"
        "commitments:\n  - {name: one, from: JPN, to: KOR, item: r, min: 30}\n"
        "  - {name: two, from: JPN, to: NLD, item: r, min: 30}\n")
    r = run("allocate", p)
    assert r.exit_code == 1  # infeasible: the computation ran and has no solution
    assert "one (JPN→KOR r: min 30)" in r.stderr and "two (JPN→NLD r: min 30)" in r.stderr


def test_stockpile_example(example_dir, tmp_path):
    png = tmp_path / "s.png"
    r = run("stockpile", example_dir / "stockpile.yaml", "-f", "json", "--plot", png)
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["kind"] == "stockpile" and d["objective"] > 0
    assert {x["disruption"] for x in d["disruptions"] if x["binding"]} == {"resist-jp", "fab-nl"}
    assert png.exists()


def test_console_script_exit_status(tmp_path):
    import subprocess
    import sys

    p = tmp_path / "PLAN.yaml"
    p.write_text("shortfalls: []\nsupply: nope\n")
    r = subprocess.run([sys.executable, "-m", "allychain", "optimize", "allocate", str(p)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 3
    assert "key 'supply': got 'nope'; expected a list" in r.stderr and "Traceback" not in r.stderr
