"""Published aggregates: disclosure control between the submissions and what leaves the workspace."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from allychain.errors import DisclosureError, NotFound, PermissionDenied

pytest.importorskip("highspy")

_spec = importlib.util.spec_from_file_location(
    "independent_audit", Path(__file__).resolve().parents[1] / "disclosure" / "independent_audit.py")
assert _spec and _spec.loader
independent = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(independent)

ITEMS = ["neon", "c4f6", "cobalt"]
COUNTRIES = ["KOR", "NLD", "JPN"]
ORGS = ["o1", "o2", "o3", "o4", "o5"]


def _figures() -> dict[tuple[str, str, str], float]:
    """(org, item, country) → capacity in t/month.  Every cell has ≥ 3 organisations of similar
    size except neon × JPN, which only o1 makes (sensitive: it needs complementary cells)."""
    rng = np.random.default_rng(7)
    out = {}
    for it in ITEMS:
        for co in COUNTRIES:
            makers = ["o1"] if (it, co) == ("neon", "JPN") else list(rng.choice(ORGS, size=3, replace=False))
            for o in makers:
                out[(o, it, co)] = float(rng.integers(40, 60))
    return out


def _csv(figs: dict[tuple[str, str, str], float], org: str) -> bytes:
    lines = ["item,site,country,period,value,unit"]
    lines += [f"{it},,{co},2025,{v:g},t/month" for (o, it, co), v in sorted(figs.items()) if o == org]
    return ("\n".join(lines) + "\n").encode()


def _truth(figs: dict[tuple[str, str, str], float]) -> pd.DataFrame:
    from allychain.disclosure import margin_table

    c = pd.DataFrame([(it, co, o, v) for (o, it, co), v in figs.items()],
                     columns=["item", "country", "organisation", "value"])
    return margin_table(c, name="capacity:2025").cells


@pytest.fixture()
def world(store: Any, people: dict[str, Any]) -> dict[str, Any]:
    from allychain.workspace import accounts, submissions

    admin = people["admin"]
    subs = {}
    figs = _figures()
    for o in ORGS:
        accounts.add_org(store, admin, o, f"Firm {o}", "company", "KOR")
        tok = accounts.add_user(store, admin, f"sub-{o}", o, ["submitter"], password=f"pw-{o}-long-enough")["token"]
        p = accounts.authenticate_token(store, tok)
        subs[o] = (p, submissions.submit(store, p, "capacity", _csv(figs, o), f"{o}.csv")["id"])
    return {"subs": subs, "figs": figs, **people}


def _rows(out: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(out["rows"])


def test_publish_withholds_the_sensitive_cell_and_enough_others(store: Any, world: dict[str, Any]) -> None:
    from allychain.workspace import publish

    out = publish.publish(store, world["p"]["steward"], "capacity")
    rows = _rows(out)
    nj = [r for r in out["rows"] if (r["item"], r["country"]) == ("neon", "JPN")]
    assert nj == [{"item": "neon", "country": "JPN", "value": None, "status": "suppressed"}]
    assert all((r["value"] is None) == (r["status"] == "suppressed") for r in out["rows"])
    # the row total alone would give it away: another cell of its row and of its column is withheld too
    assert (rows[(rows["item"] == "neon") & (rows["country"] != "JPN")]["status"] == "suppressed").any()
    assert (rows[(rows["country"] == "JPN") & (rows["item"] != "neon")]["status"] == "suppressed").any()
    assert set(rows["status"]) <= {"published", "suppressed"}
    # published figures are the true sums (capacities in t/month)
    truth = _truth(world["figs"]).set_index(["item", "country"])["value"]
    pub = rows[rows["status"] == "published"]
    for it, co, v in pub[["item", "country", "value"]].itertuples(index=False):
        assert v == pytest.approx(truth[(it, co)])
    # an attacker written independently of the auditor cannot narrow any sensitive cell
    published = rows.assign(value=rows["value"].astype(float))
    assert independent.violations([(published, _truth(world["figs"]))]) == []
    assert out["sources"] and {s["version"] for s in out["sources"]} == {1} and len(out["sources"]) == 5
    assert out["organisations"] == 5 and out["period"] == "2025" and out["linked_releases"] == []


def test_publish_is_audited_with_the_aggregate_read(store: Any, world: dict[str, Any]) -> None:
    from allychain.workspace import audit, publish

    out = publish.publish(store, world["p"]["steward"], "capacity")
    with store.transaction() as repo:
        events = [(e.action, e.outcome, e.object_type, e.object_id) for e in repo.audit_events()]
    assert ("submission:aggregate", "ok", "submissions", "capacity") in events
    assert ("aggregate:publish", "ok", "release", out["id"]) in events
    with store.transaction() as repo:
        detail = next(json.loads(e.detail) for e in repo.audit_events() if e.object_id == out["id"])
    assert detail["rules"]["p"] == 10.0 and detail["rules"]["min_frequency"] == 3
    assert "all protected" in detail["verdict"] and detail["suppressed"] == out["suppressed"]
    assert audit.verify(store).ok


@pytest.mark.parametrize("who", ["admin", "submitter_samsung", "analyst_samsung", "observer_asml"])
def test_only_stewards_publish(store: Any, world: dict[str, Any], who: str) -> None:
    from allychain.workspace import publish

    with pytest.raises(PermissionDenied):
        publish.publish(store, world["p"][who], "capacity")
    with store.transaction() as repo:
        assert not repo.releases()
        denied = [e for e in repo.audit_events() if e.action == "aggregate:publish"]
    assert [e.outcome for e in denied] == ["denied"]


def test_everyone_reads_published_aggregates_but_only_stewards_see_sources(store: Any, world: dict[str, Any]) -> None:
    from allychain.workspace import publish

    with pytest.raises(NotFound, match="nothing of capacity"):
        publish.aggregates(store, world["p"]["analyst_asml"], "capacity")
    out = publish.publish(store, world["p"]["steward"], "capacity")
    for who in ("admin", "analyst_asml", "observer_samsung", "submitter_samsung", "steward"):
        got = publish.aggregates(store, world["p"][who], "capacity")
        assert got["id"] == out["id"] and got["rows"] == out["rows"] and "sources" not in got
    assert "sources" not in publish.list_releases(store, world["p"]["analyst_asml"])[0]
    assert publish.list_releases(store, world["p"]["steward"])[0]["sources"] == out["sources"]
    with pytest.raises(NotFound):
        publish.aggregates(store, world["p"]["analyst_asml"], "payroll")


def test_a_correction_is_published_against_the_first_release(store: Any, world: dict[str, Any]) -> None:
    from allychain.workspace import publish, submissions

    first = publish.publish(store, world["p"]["steward"], "capacity")
    figs = dict(world["figs"])
    p, sid = world["subs"]["o1"]
    figs[("o1", "neon", "JPN")] = 75.0  # o1 corrects its one-firm cell
    submissions.correct(store, p, sid, _csv(figs, "o1"), "o1.csv")
    second = publish.publish(store, world["p"]["steward"], "capacity")
    assert second["seq"] == 2 and second["linked_releases"] == ["r1"]
    assert {(s["submission"], s["version"]) for s in second["sources"]} >= {(sid, 2)}
    pair = [(_rows(first).assign(value=lambda d: d["value"].astype(float)), _truth(world["figs"])),
            (_rows(second).assign(value=lambda d: d["value"].astype(float)), _truth(figs))]
    assert independent.violations(pair) == []
    assert [r["seq"] for r in publish.list_releases(store, world["p"]["steward"], "capacity")] == [1, 2]


def test_an_unsafe_release_is_refused_audited_and_not_stored(store: Any, world: dict[str, Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import allychain.disclosure as disclosure
    from allychain.workspace import publish

    def refuse(*a: Any, **k: Any) -> Any:
        raise DisclosureError("release of capacity:2025 refused: 1 of 4 audited cell(s) can be narrowed")

    monkeypatch.setattr(disclosure, "release", refuse)
    with pytest.raises(DisclosureError):
        publish.publish(store, world["p"]["steward"], "capacity")
    with store.transaction() as repo:
        assert not repo.releases()
        refused = [json.loads(e.detail) for e in repo.audit_events() if e.outcome == "refused"]
    assert refused and "refused" in refused[0]["reason"]


def test_mixed_units_are_refused_with_the_item(store: Any, world: dict[str, Any]) -> None:
    from allychain.errors import DataError
    from allychain.workspace import publish, submissions

    p, sid = world["subs"]["o2"]
    data = _csv(world["figs"], "o2").decode().replace("t/month", "kg/month", 1).encode()
    submissions.correct(store, p, sid, data, "o2.csv")
    with pytest.raises(DataError, match="several units"):
        publish.publish(store, world["p"]["steward"], "capacity")


def test_cli_publish_aggregates_and_releases(store: Any, world: dict[str, Any], db_url: str) -> None:
    from typer.testing import CliRunner

    from allychain.cli.main import app

    if not db_url.startswith("sqlite"):
        pytest.skip("the CLI path is the same on both engines; run once")
    steward = {"ALLYCHAIN_TOKEN": world["tokens"]["steward"]}
    analyst = {"ALLYCHAIN_TOKEN": world["tokens"]["analyst_asml"]}
    r = CliRunner().invoke(app, ["workspace", "publish", "capacity", "--db", db_url, "--format", "json"], env=steward)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert any(row["status"] == "suppressed" for row in out["rows"])
    r = CliRunner().invoke(app, ["workspace", "aggregates", "capacity", "--db", db_url, "--format", "csv"], env=analyst)
    assert r.exit_code == 0 and r.stdout.splitlines()[0] == "item,country,value,status"
    assert "neon,JPN,,suppressed" in r.stdout
    r = CliRunner().invoke(app, ["workspace", "releases", "--db", db_url, "--format", "json"], env=analyst)
    assert r.exit_code == 0 and [x["id"] for x in json.loads(r.stdout)] == [out["id"]]
    r = CliRunner().invoke(app, ["workspace", "publish", "capacity", "--db", db_url], env=analyst)
    assert r.exit_code != 0 and "aggregate:publish is not permitted" in (r.stderr + str(r.exception))


def _org(store: Any, admin: Any, org: str, country: str) -> Any:
    from allychain.workspace import accounts

    accounts.add_org(store, admin, org, org, "company", country)
    tok = accounts.add_user(store, admin, f"u-{org}", org, ["submitter"], password=f"pw-{org}-long-enough")["token"]
    return accounts.authenticate_token(store, tok)


def test_inventory_days_are_means_over_organisations_of_their_latest_counts(store: Any,
                                                                           people: dict[str, Any]) -> None:
    from allychain.workspace import publish, submissions

    head = "item,site,country,date,days,quantity,unit\n"
    files = {  # (organisation, its country): rows; site A of k1 has an older count (ignored)
        ("k1", "KOR"): "neon,A,KOR,2025-01-01,99,,\nneon,A,KOR,2025-06-01,30,,\nneon,B,KOR,2025-06-01,50,,\n",
        ("k2", "KOR"): "neon,,KOR,2025-06-01,20,,\n",
        ("k3", "KOR"): "neon,,USA,2025-06-01,60,,\n",  # stock abroad: counted for the member country KOR
        ("n1", "NLD"): "neon,,NLD,2025-06-01,10,,\n",
        ("n2", "NLD"): "neon,,NLD,2025-06-01,12,,\n",
        ("n3", "NLD"): "neon,,NLD,2025-06-01,11,,\n",
    }
    for (org, country), body in files.items():
        submissions.submit(store, _org(store, people["admin"], org, country), "inventory", (head + body).encode(),
                           "inv.csv")
    out = publish.publish(store, people["p"]["steward"], "inventory_days")
    rows = {(r["item"], r["country"]): r for r in out["rows"]}
    # KOR: k1 = mean(30, 50) = 40, k2 = 20, k3 = 60 → mean 40 over 3 organisations; NLD: mean(10, 12, 11) = 11
    assert rows[("neon", "KOR")] == {"item": "neon", "country": "KOR", "value": pytest.approx(40.0),
                                     "status": "published"}
    assert rows[("neon", "NLD")]["value"] == pytest.approx(11.0)
    assert rows[("neon", "_total")]["value"] == pytest.approx((40 * 3 + 11 * 3) / 6)
    assert out["unit"] == "days" and out["organisations"] == 6 and out["table"] == "inventory_days"


def test_sourcing_shares_are_means_over_the_organisations_buying_the_item(store: Any,
                                                                         people: dict[str, Any]) -> None:
    from allychain.workspace import publish, submissions

    head = "item,supplier,supplier_kind,year,share\n"
    files = {"b1": "neon,UKR,country,2024,60\nneon,CHN,country,2024,40\n",
             "b2": "neon,UKR,country,2024,50\nneon,CHN,country,2024,30\nneon,somefirm,firm,2024,20\n",
             "b3": "neon,UKR,country,2024,70\nneon,CHN,country,2024,30\n",
             "b4": "neon,UKR,country,2024,40\nneon,CHN,country,2024,60\n"}
    for org, body in files.items():
        submissions.submit(store, _org(store, people["admin"], org, "KOR"), "sourcing", (head + body).encode(),
                           "src.csv")
    out = publish.publish(store, people["p"]["steward"], "sourcing")
    rows = {(r["item"], r["country"]): r for r in out["rows"]}
    # UKR: (60 + 50 + 70 + 40) / 4 = 55 %; CHN: (40 + 30 + 30 + 60) / 4 = 40 %; the firm supplier is not a country
    assert rows[("neon", "UKR")]["value"] == pytest.approx(55.0)
    assert rows[("neon", "CHN")]["value"] == pytest.approx(40.0)
    assert rows[("neon", "_total")]["value"] == pytest.approx(95.0)
    assert out["year"] == "2024" and out["unit"] == "percent" and out["table"] == "sourcing:2024"
