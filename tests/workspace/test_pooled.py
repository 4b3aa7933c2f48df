"""Dependencies with pooled sourcing: only published (protected) figures are used, and labelled."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("highspy")

HEAD = "item,supplier,supplier_kind,year,share\n"
#: four buyers of neon (safe cells) and of gallium; one buyer of gallium from KAZ (sensitive → withheld)
FILES = {
    "b1": "neon,UKR,country,2024,60\nneon,CHN,country,2024,40\ngallium,CHN,country,2024,90\ngallium,KAZ,country,2024,10\n",
    "b2": "neon,UKR,country,2024,50\nneon,CHN,country,2024,30\nneon,somefirm,firm,2024,20\ngallium,CHN,country,2024,100\n",
    "b3": "neon,UKR,country,2024,70\nneon,CHN,country,2024,30\ngallium,CHN,country,2024,95\ngallium,JPN,country,2024,5\n",
    "b4": "neon,UKR,country,2024,40\nneon,CHN,country,2024,60\ngallium,CHN,country,2024,97\ngallium,JPN,country,2024,3\n",
}


@pytest.fixture(scope="module")
def pooled(api: Any) -> dict[str, Any]:
    from allychain.workspace import accounts, publish, submissions

    admin = api.people["admin"]
    for org, body in FILES.items():
        accounts.add_org(api.store, admin, org, org, "company", "KOR")
        tok = accounts.add_user(api.store, admin, f"u-{org}", org, ["submitter"])["token"]
        submissions.submit(api.store, accounts.authenticate_token(api.store, tok), "sourcing",
                           (HEAD + body).encode(), "s.csv")
    rel = publish.publish(api.store, api.people["p"]["steward"], "sourcing")
    observer = {"Authorization": f"Bearer {api.people['tokens']['observer_asml']}"}
    res = api.client.get("/api/ws/analysis/dependencies?members=KOR,NLD", headers=observer)
    assert res.status_code == 200, res.text
    return {"release": rel, "body": res.json()}


def test_rows_say_which_figures_rest_on_pooled_data(pooled: dict[str, Any]) -> None:
    body = pooled["body"]
    assert body["release"]["id"] == pooled["release"]["id"] and body["release"]["organisations"] == 4
    rows = {r["item_id"]: r for r in body["rows"]}
    neon = rows["neon"]
    # published means: UKR (60+50+70+40)/4 = 55 %, CHN (40+30+30+60)/4 = 40 %; nothing withheld
    assert neon["basis"] == "public + pooled"
    assert neon["pooled_top_foreign_country"] == "UKR" and neon["pooled_top_foreign_share"] == pytest.approx(55.0)
    assert neon["pooled_withheld_share"] == pytest.approx(0.0) and neon["pooled_critical"] is False
    # public columns are the public analysis, unchanged
    from allychain.analysis import dependencies
    from allychain.data.load import load

    public = dependencies(load("builtin"), ["KOR", "NLD"]).set_index("item_id")
    assert neon["foreign_share"] == pytest.approx(public.loc["neon", "foreign_share"])
    others = [r for i, r in rows.items() if i not in ("neon", "gallium")]
    assert others and all(r["basis"] == "public" and r["pooled_top_foreign_share"] is None for r in others)


def test_withheld_cells_leave_pooled_figures_open_never_guessed(pooled: dict[str, Any]) -> None:
    ga = {r["item_id"]: r for r in pooled["body"]["rows"]}["gallium"]
    published = {(r["item"], r["country"]): r for r in pooled["release"]["rows"]}
    # KAZ has one buyer and JPN two: both withheld (with their column totals); CHN is published
    assert published[("gallium", "KAZ")]["status"] == published[("gallium", "JPN")]["status"] == "suppressed"
    assert published[("gallium", "CHN")]["value"] == pytest.approx((90 + 100 + 95 + 97) / 4)
    # the pooled view uses only what was published: CHN 95.5 % is critical; the withheld remainder is the
    # item total (100 %) minus the published cells — the figure an attacker already has, nothing finer
    assert ga["pooled_top_foreign_country"] == "CHN" and ga["pooled_critical"] is True
    assert ga["pooled_withheld_share"] == pytest.approx(100.0 - 95.5)
    assert "KAZ" not in str(ga) and "JPN" not in str({k: v for k, v in ga.items() if k.startswith("pooled")})
