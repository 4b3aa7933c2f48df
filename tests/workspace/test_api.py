"""The workspace REST API: uploads, versions with ETag/If-Match, bad input as problem+json, nothing stored."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

CAP = b"item,site,country,period,value,unit\nneon,Pyeongtaek,KOR,2025,100,t/year\n"


def _auth(env: Any, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {env.people['tokens'][who]}"}


def _counts(env: Any) -> tuple[int, int]:
    with env.store.engine.connect() as conn:
        return (conn.exec_driver_sql("SELECT count(*) FROM submissions").scalar(),
                conn.exec_driver_sql("SELECT count(*) FROM submission_versions").scalar())


def _post(env: Any, who: str, body: bytes, ctype: str = "text/csv", kind: str = "capacity", **kw: Any) -> Any:
    headers = {**_auth(env, who), "Content-Type": ctype, **kw.pop("headers", {})}
    return env.client.post(f"/api/ws/submissions?kind={kind}", content=body, headers=headers, **kw)


def test_upload_read_correct_withdraw(api: Any) -> None:
    res = _post(api, "submitter_samsung", CAP, headers={"X-Filename": "cap.csv"})
    assert res.status_code == 201, res.text
    sub = res.json()
    assert sub["version"] == 1 and res.headers["etag"] == sub["etag"] and res.headers["location"].endswith(sub["id"])
    got = api.client.get(f"/api/ws/submissions/{sub['id']}", headers=_auth(api, "submitter_samsung"))
    assert got.json()["data"]["csv"].encode() == CAP and got.headers["etag"] == sub["etag"]
    url = f"/api/ws/submissions/{sub['id']}"
    fixed = CAP.replace(b"100", b"120")
    no_match = api.client.put(url, content=fixed, headers={**_auth(api, "submitter_samsung"),
                                                           "Content-Type": "text/csv"})
    assert no_match.status_code == 428
    ok = api.client.put(url, content=fixed, headers={**_auth(api, "submitter_samsung"), "Content-Type": "text/csv",
                                                     "If-Match": sub["etag"]})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api.client.put(url, content=CAP, headers={**_auth(api, "submitter_samsung"), "Content-Type": "text/csv",
                                                      "If-Match": sub["etag"]})
    assert stale.status_code == 412 and stale.headers["content-type"].startswith("application/problem+json")
    assert "version 2, not 1" in stale.json()["detail"]
    assert api.client.get(url, headers=_auth(api, "submitter_samsung")).json()["data"]["csv"].encode() == fixed
    stale_delete = api.client.delete(url, headers={**_auth(api, "submitter_samsung"), "If-Match": sub["etag"]})
    assert stale_delete.status_code == 412
    gone = api.client.delete(url, headers={**_auth(api, "submitter_samsung"), "If-Match": ok.headers["etag"]})
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"


def test_multipart_upload_and_idempotency(api: Any) -> None:
    headers = {**_auth(api, "submitter_asml"), "Idempotency-Key": "batch-7"}
    files = {"file": ("asml.csv", CAP.replace(b"KOR", b"NLD"), "text/csv")}
    first = api.client.post("/api/ws/submissions", files=files, data={"kind": "capacity"}, headers=headers)
    assert first.status_code == 201, first.text
    again = api.client.post("/api/ws/submissions", files=files, data={"kind": "capacity"}, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"] and not again.json()["created"]
    got = api.client.get(f"/api/ws/submissions/{first.json()['id']}", headers=_auth(api, "submitter_asml"))
    assert got.json()["versions"][0]["filename"] == "asml.csv"


@pytest.mark.parametrize(("body", "ctype", "kind", "status", "needle"), [
    (b"item,site,country,period,value,unit\nneon,,KOR,2025,\"5,t/year\n", "text/csv", "capacity", 422, "unterminated"),
    (b"item,site,country,period,value,unit\nneon,,KOR,2025,5,barrels\n", "text/csv", "capacity", 422, "unit"),
    (b"item,site,country,period,value,unit\nflux-capacitor,,KOR,2025,5,t/year\n", "text/csv", "capacity", 422,
     "unknown item"),
    (b"item,supplier,supplier_kind,year,share\nneon,UKR,country,2024,140\n", "text/csv", "sourcing", 422, "range"),
    (CAP, "application/json", "capacity", 415, "content type"),
    (CAP, "text/plain", "capacity", 415, "text/csv"),
    (CAP, "text/csv", "forecasts", 400, "unknown submission kind"),
    (b"", "text/csv", "capacity", 422, "empty"),
])
def test_bad_input_is_problem_json_and_nothing_stored(api: Any, body: bytes, ctype: str, kind: str, status: int,
                                                      needle: str) -> None:
    before = _counts(api)
    res = _post(api, "submitter_samsung", body, ctype, kind)
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    doc = res.json()
    assert doc["status"] == status and needle in (doc["detail"] + str(doc.get("problems", "")))
    if status == 422:
        assert doc["problems"] and all(p["file"] == "upload.csv" and p["expected"] for p in doc["problems"])
    assert _counts(api) == before


def test_oversized_upload_is_413_before_reading_it_all(api: Any) -> None:
    from allychain.workspace.validation import MAX_BYTES

    big = CAP + b"neon,x,KOR,2025,1,t/year\n" * (MAX_BYTES // 24 + 10)
    before = _counts(api)
    res = _post(api, "submitter_samsung", big)
    assert res.status_code == 413 and res.headers["content-type"].startswith("application/problem+json")
    assert str(MAX_BYTES) in res.json()["detail"]
    files = {"file": ("big.csv", big, "text/csv")}
    res = api.client.post("/api/ws/submissions", files=files, data={"kind": "capacity"},
                          headers=_auth(api, "submitter_samsung"))
    assert res.status_code == 413
    assert _counts(api) == before


def test_revoked_expired_and_malformed_tokens(api: Any) -> None:
    from allychain.store.models import utcnow
    from allychain.workspace import accounts

    p = api.people["p"]["submitter_samsung"]
    revoked = accounts.create_token(api.store, p, days=1)
    accounts.revoke_token(api.store, p, revoked["id"])
    expired = accounts.create_token(api.store, p, days=1)
    with api.store.transaction() as repo:
        repo.get_token(expired["id"]).expires_at = utcnow() - dt.timedelta(minutes=1)
    before = _counts(api)
    for header in (f"Bearer {revoked['token']}", f"Bearer {expired['token']}", "Bearer nonsense", "Basic abc",
                   "Bearer " + revoked["token"][:-3] + "xyz"):
        res = api.client.post("/api/ws/submissions?kind=capacity", content=CAP,
                              headers={"Authorization": header, "Content-Type": "text/csv"})
        assert res.status_code == 401, (header, res.text)
        assert res.headers["content-type"].startswith("application/problem+json")
        assert revoked["token"] not in res.text and expired["token"] not in res.text
    assert _counts(api) == before


def test_openapi_documents_the_workspace(api: Any) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    post = paths["/api/ws/submissions"]["post"]
    assert {"text/csv", "multipart/form-data"} <= set(post["requestBody"]["content"])
    assert {"401", "403", "413", "415", "422"} <= set(post["responses"])
    assert "428" in paths["/api/ws/submissions/{sub_id}"]["put"]["responses"]


def test_server_without_workspace_is_unchanged(builtin_network: Any, ws_tools: Any) -> None:
    from allychain.api import create_app

    with ws_tools.client_for(create_app(builtin_network)) as client:
        assert client.get("/api/ws/me").status_code == 404
        assert client.get("/ws/login").status_code == 404
        assert not [p for p in client.get("/openapi.json").json()["paths"] if p.startswith("/api/ws")]
        assert client.get("/api/health").status_code == 200
