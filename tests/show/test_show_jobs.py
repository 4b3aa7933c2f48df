"""Scenario runs and briefing packs as jobs: submit → progress → result."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("scipy", reason="the simulation needs the sim extra")

UPLOAD = """
name: Neon halved
data: builtin
horizon: 40
alliances: {KOR-NLD: [KOR, NLD]}
shocks:
  - countries: [UKR]
    items: [neon]
    loss_fraction: 0.5
    onset: 2
    duration: 10
"""


def run_job(app: Any, client: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(url, json=body)
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/api/jobs/{job['id']}"
    assert job["status"] in ("queued", "running", "done")
    app.state.allychain.jobs.wait(job["id"], timeout=120)
    return client.get(f"/api/jobs/{job['id']}").json()


def test_builtin_scenarios_listed(client: Any) -> None:
    rows = client.get("/api/scenarios").json()
    ids = {r["id"] for r in rows}
    assert "euv-deliveries-halted-kor" in ids and not any("montecarlo" in i for i in ids)
    text = client.get("/api/scenarios/euv-deliveries-halted-kor")
    assert text.status_code == 200 and "export_restrictions" in text.text


def test_scenario_job_matches_run_scenario(app: Any, client: Any, network: Any) -> None:
    from allychain.api.routes_jobs import scenario_files
    from allychain.data.spec import read_scenario as load_scenario
    from allychain.simulate.api import run_scenario

    job = run_job(app, client, "/api/jobs/scenario", {"scenario": "euv-deliveries-halted-kor", "steps": 60})
    assert job["status"] == "done" and job["progress"] == 1.0 and job["error"] is None
    res = client.get(f"/api/jobs/{job['id']}/result").json()
    want = run_scenario(load_scenario(scenario_files()["euv-deliveries-halted-kor"]), network, steps=60)
    summ = want.summary(alliances={"KOR-NLD": ["KOR", "NLD"]})
    assert res["summary"]["total"]["total_loss"] == pytest.approx(summ["total"]["total_loss"])
    assert res["summary"]["alliances"]["KOR-NLD"]["peak_loss_share"] == pytest.approx(
        summ["alliances"]["KOR-NLD"]["peak_loss_share"])
    assert len(res["series"]["step"]) == len(res["series"]["total"]) == 60
    assert res["series"]["total"][0] == pytest.approx(100.0, abs=1.0)
    assert "KOR-NLD" in res["series"]["alliances"]


def test_uploaded_scenario(app: Any, client: Any) -> None:
    job = run_job(app, client, "/api/jobs/scenario", {"yaml": UPLOAD})
    assert job["status"] == "done", job
    res = client.get(f"/api/jobs/{job['id']}/result").json()
    assert res["scenario"]["name"] == "Neon halved" and len(res["series"]["step"]) == 40


@pytest.mark.parametrize(("body", "status", "kind", "words"), [
    ({"yaml": "name: x\nshocks: [{countries: [UKR], loss_fraction: 2}]"}, 422, "scenario-error", "loss"),
    ({"yaml": "data: /etc\nhorizon: 5"}, 422, "scenario-error", "data"),
    ({"yaml": "capacity_path: /etc/passwd"}, 422, "scenario-error", "capacity_path"),
    ({"yaml": "{{{"}, 422, "scenario-error", "YAML"),
    # hostile uploads go through the same reader as files (allychain.data.spec): clear 4xx, never a 500
    ({"yaml": "horizon: .inf"}, 422, "scenario-error", "key 'horizon': got .inf; expected a finite number"),
    ({"yaml": "shocks: [{nodes: [UKR/neon], loss_fraction: .nan}]"}, 422, "scenario-error",
     "key 'shocks[0].loss_fraction': got .nan"),
    ({"yaml": "horizon: " + "9" * 400}, 422, "scenario-error", "an integer of 400 digits"),
    ({"yaml": "horizon: 1e309"}, 422, "scenario-error", "got '1e309'"),
    ({"yaml": "a: " + "[" * 5000 + "]" * 5000}, 422, "scenario-error", "nesting deeper than"),
    ({"yaml": 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: [*a,*a,*a,*a,*a,*a,*a,*a,*a]'}, 422,
     "scenario-error", "YAML alias"),
    ({"scenario": "nope"}, 404, "unknown-scenario", "nope"),
    ({}, 422, "validation-error", "either"),
    ({"scenario": "neon-loss", "steps": 0}, 422, "validation-error", "steps"),
    ({"scenario": "neon-loss", "colour": "red"}, 422, "validation-error", "colour"),
])
def test_bad_scenario_requests(client: Any, body: dict[str, Any], status: int, kind: str, words: str) -> None:
    r = client.post("/api/jobs/scenario", json=body)
    assert r.status_code == status, r.text
    p = r.json()
    assert p["type"] == f"/problems/{kind}" and words in p["detail"]


def test_upload_with_previous_keys_still_runs(app: Any, client: Any) -> None:
    from allychain.errors import AllychainDeprecationWarning

    old = "data: builtin\nhorizon: 5\ngroups: {A: [KOR]}\nshocks: [{region: UKR, products: [neon], loss: 0.5}]"
    with pytest.warns(AllychainDeprecationWarning) as rec:
        job = run_job(app, client, "/api/jobs/scenario", {"yaml": old})
    assert job["status"] == "done", job
    said = " ".join(str(w.message) for w in rec)
    assert "'groups' is deprecated; call it 'alliances'" in said and "'shocks[0].loss' is deprecated" in said


def test_failed_job_reports_problem(app: Any, client: Any) -> None:
    # valid YAML whose node names are not in the data: fails while running
    job = run_job(app, client, "/api/jobs/scenario",
                  {"yaml": "data: builtin\nhorizon: 5\nshocks: [{nodes: [XXX/none], loss_fraction: 0.5}]"})
    assert job["status"] == "failed" and job["error"]["type"] == "/problems/scenario-error"
    r = client.get(f"/api/jobs/{job['id']}/result")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_result_before_finish_is_409(app: Any, client: Any) -> None:
    import threading

    gate = threading.Event()
    job = app.state.allychain.jobs.submit("test", "blocked", {}, lambda progress: gate.wait(10))
    r = client.get(f"/api/jobs/{job.id}/result")
    gate.set()
    assert r.status_code == 409 and r.json()["type"] == "/problems/job-not-finished"


def test_report_job(app: Any, client: Any) -> None:
    job = run_job(app, client, "/api/jobs/report", {"members": "KOR,NLD", "scenarios": []})
    assert job["status"] == "done", job
    res = client.get(f"/api/jobs/{job['id']}/result").json()
    assert res["members"] == ["KOR", "NLD"] and res["html_url"] == f"/api/reports/{job['id']}"
    html = client.get(res["html_url"])
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Executive summary" in html.text and "data:image/svg+xml;base64," in html.text
    assert client.post("/api/jobs/report", json={"scenarios": ["nope"]}).status_code == 404
