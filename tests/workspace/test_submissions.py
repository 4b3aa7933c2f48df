"""Submissions: validated by the boundary tier, versioned, withdrawn, confidential across organisations."""

from __future__ import annotations

from typing import Any

import pytest

from allychain.errors import Conflict, DataError, NotFound, PayloadTooLarge, PermissionDenied, PreconditionFailed

CAP = b"item,site,country,period,value,unit\nneon,Pyeongtaek,KOR,2025,100,t/year\nneon,,KOR,2025-Q1,30,t/month\n"
INV = b"item,site,country,date,days,quantity,unit\nneon,Hwaseong,KOR,2025-06-30,45,,\nhelium,,KOR,2025-06-30,,12,t\n"
SRC = b"item,supplier,supplier_kind,year,share\nneon,UKR,country,2024,40\nneon,CHN,country,2024,60\n"


def _counts(store: Any) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()  # type: ignore[return-value]
                     for t in ("submissions", "submission_versions", "audit_events"))


def test_three_kinds_round_trip(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import submissions

    kim = people["p"]["submitter_samsung"]
    for kind, data in (("capacity", CAP), ("inventory", INV), ("sourcing", SRC)):
        out = submissions.submit(store, kim, kind, data, f"{kind}.csv")
        assert out["version"] == 1 and out["organisation"] == "samsung" and out["rows"] == 2
        got = submissions.get_submission(store, kim, out["id"])
        assert got["data"]["csv"].encode() == data and got["kind"] == kind


@pytest.mark.parametrize(("kind", "data", "where"), [
    ("capacity", b"item,site,country,period,value,unit\nneon,,KOR,2025,100,tonnes\n", ("unit", 2, "tonnes")),
    ("capacity", b"item,site,country,period,value,unit\nunobtainium,,KOR,2025,1,t/year\n", ("item", 2, "unobtainium")),
    ("capacity", b"item,site,country,period,value,unit\nneon,,KOR,2025,-5,t/year\n", ("value", 2, -5.0)),
    ("capacity", b"item,site,country,period,value,unit\nneon,,KOR,2025,\"10,t/year\n", (None, 2, None)),
    ("capacity", b"item,site,country,period,value\nneon,,KOR,2025,1\n", ("unit", 1, None)),
    ("inventory", b"item,site,country,date,days,quantity,unit\nneon,,KOR,2025-02-30x,,5,\n", ("date", 2, "2025-02-30x")),
    ("sourcing", b"item,supplier,supplier_kind,year,share\nneon,UKR,country,2024,70\nneon,CHN,country,2024,60\n",
     ("share", 3, 130.0)),
    ("sourcing", b"item,supplier,supplier_kind,year,share\nneon,XYZ,country,2024,10\n", ("supplier", 2, "XYZ")),
    ("capacity", b"\xff\xfei\x00t\x00e\x00m\x00", (None, 1, None)),
])
def test_bad_files_are_refused_with_where_and_nothing_stored(store: Any, people: dict[str, Any], kind: str,
                                                              data: bytes, where: tuple[Any, int, Any]) -> None:
    from allychain.workspace import submissions

    before = _counts(store)
    with pytest.raises(DataError) as info:
        submissions.submit(store, people["p"]["submitter_samsung"], kind, data, "mine.csv")
    column, row, value = where
    assert any(p.file == "mine.csv" and p.row == row and (column is None or p.column == column)
               and (value is None or p.value == value) and p.expected for p in info.value.problems), \
        info.value.problems
    assert _counts(store) == before


def test_oversized_upload(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import submissions
    from allychain.workspace.validation import MAX_BYTES

    big = CAP + b"neon,x,KOR,2025,1,t/year\n" * (MAX_BYTES // 20)
    before = _counts(store)
    with pytest.raises(PayloadTooLarge):
        submissions.submit(store, people["p"]["submitter_samsung"], "capacity", big, "big.csv")
    assert _counts(store) == before


def test_corrections_are_versions_with_optimistic_concurrency(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import submissions

    kim = people["p"]["submitter_samsung"]
    sub = submissions.submit(store, kim, "capacity", CAP, "cap.csv")
    fixed = CAP.replace(b"100", b"110")
    assert submissions.correct(store, kim, sub["id"], fixed, "cap.csv", expected_version=1)["version"] == 2
    with pytest.raises(PreconditionFailed, match="version 2, not 1"):
        submissions.correct(store, kim, sub["id"], CAP, "cap.csv", expected_version=1)
    got = submissions.get_submission(store, kim, sub["id"])
    assert [v["version"] for v in got["versions"]] == [1, 2] and got["data"]["csv"].encode() == fixed
    assert submissions.get_submission(store, kim, sub["id"], version=1)["data"]["csv"].encode() == CAP
    submissions.withdraw(store, kim, sub["id"])
    with pytest.raises(Conflict, match="withdrawn"):
        submissions.correct(store, kim, sub["id"], CAP, "cap.csv", expected_version=2)
    again = submissions.get_submission(store, kim, sub["id"])
    assert again["status"] == "withdrawn" and len(again["versions"]) == 2


def test_other_organisations_get_404_like_a_missing_submission(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import submissions

    p = people["p"]
    sub = submissions.submit(store, p["submitter_samsung"], "capacity", CAP, "cap.csv")
    with pytest.raises(NotFound) as foreign:
        submissions.get_submission(store, p["submitter_asml"], sub["id"])
    with pytest.raises(NotFound) as missing:
        submissions.get_submission(store, p["submitter_asml"], "s0000000000000000")
    assert str(foreign.value).replace(sub["id"], "ID") == str(missing.value).replace("s0000000000000000", "ID")
    for fn in (lambda who: submissions.withdraw(store, who, sub["id"]),
               lambda who: submissions.correct(store, who, sub["id"], CAP, "c.csv", expected_version=1)):
        with pytest.raises(NotFound):
            fn(p["submitter_asml"])
    with pytest.raises(PermissionDenied):
        submissions.get_submission(store, p["admin2_samsung"], sub["id"])  # admin of the same company: no data
    assert [s["id"] for s in submissions.list_submissions(store, p["submitter_asml"])] == []
    assert submissions.get_submission(store, p["steward"], sub["id"])["organisation"] == "samsung"


def test_idempotency_key_prevents_duplicates(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import submissions

    kim = people["p"]["submitter_samsung"]
    a = submissions.submit(store, kim, "capacity", CAP, "cap.csv", idempotency_key="k1")
    b = submissions.submit(store, kim, "capacity", CAP, "cap.csv", idempotency_key="k1")
    assert a["id"] == b["id"] and a["created"] and not b["created"]
    assert len(submissions.list_submissions(store, kim)) == 1


def test_current_rows_for_disclosure_control(store: Any, people: dict[str, Any]) -> None:
    from allychain.workspace import audit, submissions

    p = people["p"]
    s1 = submissions.submit(store, p["submitter_samsung"], "capacity", CAP, "cap.csv")
    submissions.correct(store, p["submitter_samsung"], s1["id"], CAP.replace(b"100", b"111"), "cap.csv", 1)
    s2 = submissions.submit(store, p["submitter_asml"], "capacity",
                            b"item,site,country,period,value,unit\neuv-lithography-tools,Veldhoven,NLD,2025,5,units/month\n",
                            "asml.csv")
    s3 = submissions.submit(store, p["submitter_asml"], "capacity", CAP.replace(b"KOR", b"NLD"), "x.csv")
    submissions.withdraw(store, p["submitter_asml"], s3["id"])
    for who in ("submitter_samsung", "analyst_asml", "admin"):
        with pytest.raises(PermissionDenied):
            submissions.current_rows(store, p[who], "capacity")
    df = submissions.current_rows(store, p["steward"], "capacity")
    assert sorted(df["value"].tolist()) == [5.0, 30.0, 111.0]  # latest version only, withdrawn left out
    assert set(df["organisation"]) == {"samsung", "asml"} and set(df["submission_id"]) == {s1["id"], s2["id"]}
    assert df.loc[df["organisation"] == "samsung", "version"].tolist() == [2, 2]
    last = list(audit.export(store))[-1]
    assert last["action"] == "submission:aggregate" and last["detail"]["submissions"] == 2


def test_concurrent_corrections_one_wins_no_lost_update(store: Any, people: dict[str, Any]) -> None:
    """Two corrections against the same version at once: exactly one is stored, the other gets 412."""
    import threading

    from allychain.workspace import submissions

    kim = people["p"]["submitter_samsung"]
    sub = submissions.submit(store, kim, "capacity", CAP, "cap.csv")
    results: list[str] = []
    barrier = threading.Barrier(4)

    def fix(value: bytes) -> None:
        barrier.wait()
        try:
            submissions.correct(store, kim, sub["id"], CAP.replace(b"100", value), "cap.csv", expected_version=1)
            results.append("stored")
        except PreconditionFailed:
            results.append("412")

    threads = [threading.Thread(target=fix, args=(v,)) for v in (b"101", b"102", b"103", b"104")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["412", "412", "412", "stored"]
    got = submissions.get_submission(store, kim, sub["id"])
    assert [v["version"] for v in got["versions"]] == [1, 2]


def test_same_idempotency_key_at_once_stores_one(store: Any, people: dict[str, Any]) -> None:
    import threading

    from allychain.workspace import submissions

    kim = people["p"]["submitter_samsung"]
    ids: list[str] = []
    barrier = threading.Barrier(3)

    def go() -> None:
        barrier.wait()
        ids.append(submissions.submit(store, kim, "capacity", CAP, "cap.csv", idempotency_key="same")["id"])

    threads = [threading.Thread(target=go) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 3 and len(set(ids)) == 1
    assert len(submissions.list_submissions(store, kim)) == 1
