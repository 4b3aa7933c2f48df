"""The energy profile for the adapters: /api/energy/profile gives the same numbers as the CLI and the briefing
section (hand-checked against the built-in tables); not covered is null, never 0; an unknown member is a 422 problem."""

from __future__ import annotations

from typing import Any

import pytest


def test_api_energy_profile(client: Any) -> None:
    r = client.get("/api/energy/profile", params={"members": "KOR,NLD"})
    assert r.status_code == 200
    d = r.json()
    assert set(d) == {"members", "items", "grids", "cooperation", "sources", "imports"}
    kor = [m for m in d["members"] if m["member"] == "KOR"]
    assert {m["item_id"] for m in kor} >= {"dram-chips", "nand-flash-chips", "hbm"}
    assert all((m["grid"], m["carbon_intensity"], m["saidi"]) == ("KOR", 413, 9.05) for m in kor)
    assert all(m["saifi"] is None for m in kor)                                  # not covered: null, not 0
    # the Dutch fab output is NXP's automotive chips (10 %), on the Dutch grid, whose carbon intensity,
    # SAIDI and SAIFI the built-in tables do not cover: null and said so, never 0
    (nld,) = [m for m in d["members"] if m["member"] == "NLD"]
    assert (nld["item_id"], nld["grid"], nld["share"]) == ("automotive-chips", "NLD", 10.0)
    assert nld["carbon_intensity"] is None and nld["saidi"] is None and nld["share_carbon_free"] == 51.3
    assert nld["status"] == "not covered: carbon_intensity, saidi, saifi, kwh_per_unit"
    grids = {g["country"]: g for g in d["grids"]}
    assert grids["NLD"]["share_carbon_free"] == pytest.approx(51.3) and grids["NLD"]["carbon_free_derived"]
    assert {a["agreement_id"] for a in d["cooperation"]} == {
        "kor-nld-nuclear-joint-statement-2023", "kor-nld-nuclear-mou-2023", "khnp-nld-feasibility-2023",
        "kepco-nf-nuclic-2023"}
    assert {"hankyung-2023", "kor-nld-js-2023"} <= {s["source_id"] for s in d["sources"]}


def test_api_energy_profile_unknown_member_is_a_problem(client: Any) -> None:
    r = client.get("/api/energy/profile", params={"members": "Atlantis"})
    assert r.status_code == 422   # unknown member: unprocessable, as in every analysis route
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "Atlantis" in r.json()["detail"]


def test_builtin_outage_scenario_runs_as_a_job_on_its_shipped_example_network(app: Any, client: Any) -> None:
    r = client.post("/api/jobs/scenario", json={"scenario": "power-outage-yokkaichi-2019", "steps": 60})
    assert r.status_code == 202, r.text
    app.state.allychain.jobs.wait(r.json()["id"], timeout=120)
    job = client.get(f"/api/jobs/{r.json()['id']}").json()
    assert job["status"] == "done", job
    res = client.get(f"/api/jobs/{job['id']}/result").json()
    assert res["scenario"]["data"] == "example:nand_2019"
    jpn = res["series"]["regions"]["JPN"]
    assert jpn[0] == pytest.approx(0.0, abs=1e-9) and jpn[-1] == pytest.approx(100.0)  # down at once, back by day 49
