"""Scenario runs and briefing packs as jobs: submit → progress → result."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from allychain.api.deps import JSON, state_of
from allychain.api.problems import PROBLEM_SCHEMA, ApiProblem
from allychain.api.serialize import dumps
from allychain.errors import ScenarioError

__all__ = ["router", "SCENARIO_DATA", "MAX_STEPS", "MAX_LEAD_TIME", "MAX_YAML", "scenario_dir", "scenario_files",
           "scenarios", "scenario_text", "ScenarioJob", "ReportJob", "parse_uploaded", "check_job_bounds",
           "submit_scenario", "submit_report", "jobs", "job_status", "cancel_job", "cancel_job_post", "job_result",
           "report"]

router = APIRouter(prefix="/api", tags=["jobs"], responses={400: PROBLEM_SCHEMA, 404: PROBLEM_SCHEMA,
                                                            422: PROBLEM_SCHEMA})

#: datasets a scenario may name besides the server's own (never a path: uploads must not read local folders)
SCENARIO_DATA = ("builtin", "pymrio-test", "example:nand_2019")  # shipped data only, never a path
MAX_STEPS = 3650
MAX_LEAD_TIME = 365
MAX_YAML = 100_000
JobId = PathParam(..., pattern="^[0-9a-f]{32}$", description="Job id as returned on submission.")


def scenario_dir() -> Path:
    return Path(str(resources.files("allychain").joinpath("scenarios")))


def scenario_files() -> dict[str, Path]:
    """Built-in scenario files by id (file stem); Monte Carlo specifications are left out."""
    out = {}
    for p in sorted(scenario_dir().glob("*.yaml")):
        if "montecarlo" in p.stem:
            continue
        out[p.stem] = p
    return out


def _describe_scenario(sid: str, path: Path) -> dict[str, Any] | None:
    from allychain.data.spec import read_scenario

    try:
        sc = read_scenario(path)
    except ScenarioError:
        return None
    return {"id": sid, "name": sc.name, "description": sc.description.strip(), "data": sc.data,
            "horizon": sc.horizon, "alliances": sc.alliances}


@router.get("/scenarios", summary="The built-in scenarios (runnable as jobs)")
def scenarios(request: Request) -> Response:
    def compute() -> list[dict[str, Any]]:
        rows = [_describe_scenario(sid, p) for sid, p in scenario_files().items()]
        return [r for r in rows if r is not None]

    from allychain.api.deps import cached

    return cached(request, ("scenarios",), compute)


@router.get("/scenarios/{scenario_id}", summary="One built-in scenario's YAML text",
            responses={200: {"content": {"application/yaml": {}}}})
def scenario_text(scenario_id: str = PathParam(..., max_length=200)) -> Response:
    files = scenario_files()
    if scenario_id not in files:
        raise ApiProblem(404, "unknown-scenario", "Unknown scenario",
                         f"no built-in scenario {scenario_id!r}; known: {', '.join(files)}")
    return Response(files[scenario_id].read_text(encoding="utf-8"), media_type="application/yaml")


class ScenarioJob(BaseModel):
    """A scenario to run: a built-in one by id, or the text of a scenario YAML."""

    model_config = ConfigDict(extra="forbid")
    scenario: str | None = Field(None, max_length=200, description="Id of a built-in scenario (see /api/scenarios).")
    yaml: str | None = Field(None, max_length=MAX_YAML, description="Scenario YAML text (an uploaded file).")
    steps: int | None = Field(None, ge=1, le=MAX_STEPS, description="Steps to simulate (default: horizon).")


class ReportJob(BaseModel):
    """A briefing pack to build."""

    model_config = ConfigDict(extra="forbid")
    members: str | None = Field(None, max_length=200, description="Comma-separated members (default: the "
                                                                     "server's).")
    scenarios: list[str] = Field(default_factory=list, max_length=10, description="Built-in scenario ids to include.")


def parse_uploaded(text: str) -> Any:
    """A scenario from uploaded YAML text, through the same reader as files
    (:func:`allychain.data.spec.parse_scenario_text`): no local files, data only by name."""
    from allychain.data.spec import parse_scenario_text

    sc = parse_scenario_text(text, "uploaded scenario")
    check_job_bounds(sc)
    return sc


def check_job_bounds(sc: Any, steps: int | None = None) -> None:
    """Every number that sizes a job's memory or time, bounded before the job is queued:
    the horizon (or ``steps``) at most :data:`MAX_STEPS`, lead times at most
    :data:`MAX_LEAD_TIME` steps (the engine keeps one slot per step of lead time and
    supply link, so ``lead_time: 1e8`` would ask for hundreds of GiB)."""
    src = getattr(sc, "source", None) or "uploaded scenario"
    if sc.horizon > MAX_STEPS:
        raise ScenarioError(f"{src}: key 'horizon': got {sc.horizon}; expected at most {MAX_STEPS} steps on this server")
    if steps is not None and steps > MAX_STEPS:
        raise ScenarioError(f"steps: got {steps}; expected at most {MAX_STEPS}")
    p = sc.params
    leads = {"parameters.lead_time": p.lead_time,
             **{f"parameters.lead_time_by_product.{k}": v for k, v in (p.lead_time_by_product or {}).items()}}
    for key, v in leads.items():
        if v > MAX_LEAD_TIME:
            raise ScenarioError(f"{src}: key {key!r}: got {v:g}; expected at most {MAX_LEAD_TIME} steps on this server")


def _client(request: Request) -> str:
    """Who a job belongs to for the per-client limit: the peer address."""
    return request.client.host if request.client else "unknown"


def _scenario_network(request: Request, sc: Any) -> Any:
    st = state_of(request)
    spec = sc.data
    if spec is not None and spec != st.data and spec not in SCENARIO_DATA:
        raise ScenarioError(f"{sc.source}: key 'data': value {spec!r}; expected {st.data!r} (the server's data) "
                            f"or one of {', '.join(SCENARIO_DATA)}")
    return spec


def _accepted(job: Any) -> JSONResponse:
    return JSONResponse(job.describe(), status_code=202, headers={"Location": f"/api/jobs/{job.id}"})


@router.post("/jobs/scenario", status_code=202, summary="Run a scenario as a job (built-in id or uploaded YAML)")
def submit_scenario(request: Request, body: ScenarioJob) -> JSONResponse:
    from allychain.data.spec import read_scenario
    from allychain.simulate.outcome import scenario_outcome

    if (body.scenario is None) == (body.yaml is None):
        raise ApiProblem(422, "validation-error", "Invalid request",
                         "give either 'scenario' (a built-in id, see /api/scenarios) or 'yaml' (scenario text)")
    if body.scenario is not None:
        files = scenario_files()
        if body.scenario not in files:
            raise ApiProblem(404, "unknown-scenario", "Unknown scenario",
                             f"no built-in scenario {body.scenario!r}; known: {', '.join(files)}")
        sc = read_scenario(files[body.scenario])
    else:
        sc = parse_uploaded(body.yaml or "")
    check_job_bounds(sc, body.steps)
    spec = _scenario_network(request, sc)
    st = state_of(request)
    steps = body.steps

    def work(progress: Any) -> dict[str, Any]:
        progress(0.0, "loading data")
        net = st.network_for(spec)
        return scenario_outcome(sc, net, steps=steps, progress=progress)

    job = st.jobs.submit("scenario", sc.name, {"scenario": body.scenario or "uploaded", "steps": steps}, work,
                         client=_client(request))
    return _accepted(job)


@router.post("/jobs/report", status_code=202, summary="Build a briefing pack (HTML) as a job")
def submit_report(request: Request, body: ReportJob) -> JSONResponse:
    from allychain.data.spec import read_scenario
    from allychain.model.members import resolve_members

    st = state_of(request)
    mem = resolve_members(body.members or st.members, st.network)
    files = scenario_files()
    unknown = [s for s in body.scenarios if s not in files]
    if unknown:
        raise ApiProblem(404, "unknown-scenario", "Unknown scenario",
                         f"no built-in scenario {', '.join(map(repr, unknown))}; known: {', '.join(files)}")
    scs = [read_scenario(files[s]) for s in body.scenarios]
    for sc in scs:
        _scenario_network(request, sc)

    def work(progress: Any) -> dict[str, Any]:
        from allychain.report.briefing import build_briefing, render_html

        pack = build_briefing(st.network, mem, scenarios=scs, data_label=st.data, progress=progress,
                              network_for=st.network_for)
        html = render_html(pack)
        return {"members": mem, "html": html, "bytes": len(html.encode("utf-8"))}

    job = st.jobs.submit("report", f"briefing pack {'+'.join(mem)}", {"members": mem, "scenarios": body.scenarios},
                         work, client=_client(request))
    return _accepted(job)


@router.get("/jobs", summary="Recent jobs, newest first")
def jobs(request: Request) -> list[dict[str, Any]]:
    return [j.describe() for j in state_of(request).jobs.list()]


def _job(request: Request, job_id: str) -> Any:
    job = state_of(request).jobs.get(job_id)
    if job is None:
        raise ApiProblem(404, "unknown-job", "Unknown job", f"no job {job_id!r} (jobs are kept while the server runs; "
                                                             "list them at /api/jobs)")
    return job


@router.get("/jobs/{job_id}", summary="A job's status and progress (0–1)")
def job_status(request: Request, job_id: str = JobId) -> dict[str, Any]:
    return _job(request, job_id).describe()


@router.delete("/jobs/{job_id}", summary="Cancel a job (queued: at once; running: at its next progress report)")
def cancel_job(request: Request, job_id: str = JobId) -> dict[str, Any]:
    job = state_of(request).jobs.cancel(job_id)
    if job is None:
        job = _job(request, job_id)  # raises the 404
    return job.describe()


@router.post("/jobs/{job_id}/cancel", summary="Cancel a job (the same as DELETE /api/jobs/{job_id})")
def cancel_job_post(request: Request, job_id: str = JobId) -> dict[str, Any]:
    return cancel_job(request, job_id)


def _finished(request: Request, job_id: str) -> Any:
    job = _job(request, job_id)
    if job.status == "failed":
        err = dict(job.error or {})
        status = int(err.pop("status", 500))
        kind = str(err.pop("type", "/problems/job-failed")).rsplit("/", 1)[-1]
        if status >= 500:  # the request for the result is sound; the job's own failure is in its document
            err["job_error"] = {"type": f"/problems/{kind}", "status": status, "detail": err.get("detail")}
            status, kind = 409, "job-failed"
        raise ApiProblem(status, kind, str(err.pop("title", "Job failed")),
                         f"job {job_id} failed: {err.pop('detail', 'no detail')}", **err)
    if job.status == "cancelled":
        raise ApiProblem(409, "job-cancelled", "Job cancelled", f"job {job_id} was cancelled; it has no result")
    if job.status != "done":
        raise ApiProblem(409, "job-not-finished", "Job not finished",
                         f"job {job_id} is {job.status} ({job.progress:.0%}); poll /api/jobs/{job_id} until "
                         "its status is 'done'")
    return job


@router.get("/jobs/{job_id}/result", summary="A finished job's result (scenario: summary and series)",
            responses={409: PROBLEM_SCHEMA})
def job_result(request: Request, job_id: str = JobId) -> Response:
    job = _finished(request, job_id)
    if job.kind == "report":
        res = {k: v for k, v in job.result.items() if k != "html"}
        res["html_url"] = f"/api/reports/{job.id}"
        return Response(dumps(res), media_type=JSON)
    return Response(dumps(job.result), media_type=JSON)


@router.get("/reports/{job_id}", summary="The briefing pack built by a report job (self-contained HTML)",
            responses={200: {"content": {"text/html": {}}}, 409: PROBLEM_SCHEMA})
def report(request: Request, job_id: str = JobId) -> Response:
    job = _finished(request, job_id)
    if job.kind != "report":
        raise ApiProblem(404, "not-a-report", "Not a report", f"job {job_id} is a {job.kind} job, not a report")
    return Response(job.result["html"], media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="briefing-{"-".join(job.result["members"])}.html"'})
