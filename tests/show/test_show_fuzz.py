"""Schema-based fuzzing of the API (schemathesis): no request that the OpenAPI schema
allows — nor one that breaks it — makes the server fail (no 5xx), and every error is
problem+json.

Examples per operation and mode are bounded (derandomised, so runs are repeatable);
``POST /api/jobs/report`` is left out (each accepted request builds a whole briefing
pack; it has its own tests)."""

from __future__ import annotations

from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="fuzzing needs schemathesis (test extra)")
if not hasattr(schemathesis, "GenerationMode"):
    pytest.skip("the fuzzing tests use the schemathesis 4 API: pip install 'schemathesis>=4'", allow_module_level=True)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402

EXAMPLES = {"positive": 10, "negative": 6}
SKIP = {"POST /api/jobs/report"}


@pytest.fixture(scope="module")
def operations(network: Any) -> dict[str, Any]:
    from allychain.api import create_app

    # schemathesis addresses the application as "testserver": a name this server must be told to answer
    app = create_app(network, allowed_hosts=["testserver"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    ops = [r.ok() for r in schema.get_all_operations()]
    return {op.label: op for op in ops if op.label not in SKIP}


def fuzz(op: Any, mode: str, failures: list[str]) -> None:
    @given(case=op.as_strategy(generation_mode=schemathesis.GenerationMode(mode)))
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        r = case.call()
        where = f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:80]}"
        if r.status_code >= 500:
            failures.append(f"{where} -> {r.status_code}: {r.text[:200]}")
        elif r.status_code >= 400:
            ctype = r.headers.get("content-type") or ""
            ctype = ctype[0] if isinstance(ctype, list) else ctype
            ok = ctype.startswith("application/problem+json")
            body = r.json() if ok else {}
            if not ok or body.get("status") != r.status_code or not body.get("detail"):
                failures.append(f"{where} -> {r.status_code} not problem+json: {r.text[:200]}")

    try:
        run()
    except Unsatisfiable:
        if mode == "positive":
            raise
        # an operation without parameters or body has no invalid request to make


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_api_never_fails(operations: dict[str, Any], mode: str) -> None:
    assert len(operations) >= 20
    failures: list[str] = []
    for op in operations.values():
        fuzz(op, mode, failures)
    assert failures == []
