"""Technology lead: hand-checked on a small network, and on the real data (built-in + the ETO copy)
against values recomputed here from the CSV files with the csv module."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import allychain
from allychain.model.network import Network
from allychain.watch.lead import LeadRules, lead

BUILTIN = Path(allychain.__file__).resolve().parent / "data" / "builtin"


def hand_network() -> Network:
    """Five items, two years each (2020, 2023) except 'gas'; members KOR + NLD."""
    shares = [
        # litho: NLD 90 → 70, JPN 10 → 25, CHN new at 5: the share falls 20 points (high), JPN catches up
        ("litho", "NLD", 90, 2020), ("litho", "JPN", 10, 2020),
        ("litho", "NLD", 70, 2023), ("litho", "JPN", 25, 2023), ("litho", "CHN", 5, 2023),
        # resist: KOR 40 → 30 while JPN 35 → 45: the lead is lost, and the share fell 10 points
        ("resist", "KOR", 40, 2020), ("resist", "JPN", 35, 2020), ("resist", "USA", 25, 2020),
        ("resist", "KOR", 30, 2023), ("resist", "JPN", 45, 2023), ("resist", "USA", 25, 2023),
        # memory: 10 % unknown in 2020 (NLD could hold it): the fall is 5 to 15 points, not certainly 10;
        # the margin 30 → 15 crosses the 20-point floor
        ("memory", "KOR", 60, 2020), ("memory", "USA", 30, 2020),
        ("memory", "KOR", 55, 2023), ("memory", "USA", 40, 2023), ("memory", "CHN", 5, 2023),
        # gas: NLD named with an unknown share: bounded, never 0
        ("gas", "NLD", None, 2023), ("gas", "UKR", 50, 2023),
        # tool: 2019 only firm rows with unknown shares (not assessable), 2024 country rows
        ("tool", "asml", None, 2019), ("tool", "nikon", None, 2019),
        ("tool", "NLD", 94, 2024), ("tool", "JPN", 6, 2024),
    ]
    sh = pd.DataFrame(shares, columns=["item_id", "provider_id", "share", "year"])
    sh["share"] = pd.to_numeric(sh["share"]).astype(float)
    sh["source_id"] = "src-" + sh["year"].astype(str)
    ids = sorted(set(sh["item_id"]))
    items = pd.DataFrame({"item_id": ids, "name": [i.capitalize() for i in ids], "kind": "tool"})
    pids = sorted(set(sh["provider_id"]))
    home = {"asml": "NLD", "nikon": "JPN"}
    prov = pd.DataFrame({"provider_id": pids, "name": pids,
                         "kind": ["firm" if p in home else "country" for p in pids],
                         "country": [home.get(p) for p in pids]})
    return Network(name="hand", items=items, providers=prov, shares=sh)


@pytest.fixture(scope="module")
def hand():
    return lead(hand_network(), "KOR,NLD")


def _item(res, item: str) -> dict:
    (r,) = res.items[res.items["item_id"] == item].to_dict("records")
    return r


def test_share_fall_and_catching_up_hand_checked(hand) -> None:
    r = _item(hand, "litho")
    assert (r["previous_year"], r["latest_year"]) == (2020, 2023)
    assert (r["change_low"], r["change_high"]) == pytest.approx((-20.0, -20.0))    # 70 − 90, nothing unknown
    assert (r["catching_up"], r["gain_low"], r["gain_high"]) == ("JPN", pytest.approx(15.0), pytest.approx(15.0))
    assert (r["rank"], r["margin"], r["top_outside"]) == (1, pytest.approx(45.0), "JPN")   # 70 − 25
    (a,) = [a for a in hand.alerts if a["item_id"] == "litho"]
    assert (a["kind"], a["severity"]) == ("share_fall", "high")          # 20 ≥ 2 × the 10-point default
    assert a["from_member_shares"] == "KOR ?; NLD 90" and a["to_member_shares"] == "KOR ?; NLD 70"


def test_lead_lost_and_margin_floor_hand_checked(hand) -> None:
    kinds = {(a["item_id"], a["kind"]): a["severity"] for a in hand.alerts}
    # resist: margin 40 − 35 = 5 > 0 before, 30 − 45 = −15 after: lost; the fall is exactly 10 points
    assert kinds[("resist", "lead_lost")] == "high" and kinds[("resist", "share_fall")] == "medium"
    r = _item(hand, "resist")
    assert (r["rank"], r["rank_certain"], r["catching_up"]) == (2, True, "JPN")
    # memory 2020: KOR 60, USA 30, 10 % unattributed (NLD may hold it): alliance in [60, 70]
    m = _item(hand, "memory")
    assert (m["change_low"], m["change_high"]) == pytest.approx((55 - 70, 55 - 60))
    assert ("memory", "share_fall") not in kinds          # a certain fall of 5 points only
    assert kinds[("memory", "margin_below")] == "medium"  # margin ≥ 60 − 30 = 30 before, 55 − 40 = 15 after
    # CHN's 2020 share could have been up to the 10 unattributed points: its gain is not certain; USA's is 10
    assert (m["catching_up"], m["gain_low"]) == ("USA", pytest.approx(10.0))
    assert len(hand.alerts) == 4


def test_unknown_is_not_zero(hand) -> None:
    v = hand.vintages.set_index(["item_id", "year"])
    gas = v.loc[("gas", 2023)]
    assert gas["status"] == "bounded" and (gas["alliance_share"], gas["alliance_share_high"]) == (0.0, 50.0)
    assert gas["member_shares"] == "KOR ?; NLD ?"
    tool = v.loc[("tool", 2019)]
    assert tool["status"] == "not_assessable" and pd.isna(tool["alliance_share"])
    assert tool["read_from"] == "firm rows summed by home country"
    t = _item(hand, "tool")
    assert t["previous_year"] == 2019 and pd.isna(t["change_low"]) and not t["alerts"]   # no move claimed


def test_rules_are_configurable() -> None:
    res = lead(hand_network(), "KOR,NLD", LeadRules(share_fall=25.0, margin_floor=10.0))
    kinds = {(a["item_id"], a["kind"]) for a in res.alerts}
    assert kinds == {("resist", "lead_lost")}
    solo = lead(hand_network(), "NLD")
    assert "resist" not in set(solo.items["item_id"])          # NLD is not named for resist


def test_cli_lead(tmp_path: Path, monkeypatch, capsys) -> None:
    from allychain.cli.main import main

    monkeypatch.setattr(sys, "argv", ["allychain", "watch", "lead", "--members", "KOR,NLD", "-f", "json",
                                      "--plot", str(tmp_path / "lead.svg")])
    with pytest.raises(SystemExit) as e:
        main()
    out, err = capsys.readouterr()
    assert (e.value.code or 0) == 0, err
    got = json.loads(out)
    assert got["members"] == ["KOR", "NLD"] and got["rules"] == {"share_fall": 10.0, "margin_floor": 20.0}
    litho = next(r for r in got["items"] if r["item_id"] == "lithography-tools")
    assert litho["member_shares"] == "KOR ?; NLD 94.1" and litho["latest_year"] == 2024
    assert (tmp_path / "lead.svg").read_text().lstrip().startswith("<?xml")
    monkeypatch.setattr(sys, "argv", ["allychain", "watch", "lead", "--share-fall", "-1"])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 2 and "Traceback" not in capsys.readouterr().err


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_lead_on_real_data_hand_checked(eto_dir: Path) -> None:
    """Lithography tools: the built-in 2024 row (36Kr, NLD 94.1 %) against ETO's TechInsights rows.

    Expected values are recomputed from the CSV files, not taken from the loader."""
    cw = {r["id"]: r["external_id"] for r in _csv(BUILTIN / "crosswalk_eto.csv") if r["kind"] == "item"}
    countries = {r["provider_id"] for r in _csv(eto_dir / "providers.csv")
                 if r["provider_type"] == "country" and r["provider_name"] != "Various countries"}
    eto = [r for r in _csv(eto_dir / "provision.csv")
           if r["provided_id"] == cw["lithography-tools"] and r["provider_id"] in countries]
    e_share = {r["provider_name"]: float(r["share_provided"]) for r in eto}
    (e_year,) = {int(r["year"]) for r in eto}
    bi = [r for r in _csv(BUILTIN / "shares.csv") if r["item_id"] == "lithography-tools" and r["provider_id"] == "NLD"
          and r["share"]]
    (b,) = [r for r in bi if int(r["year"]) == max(int(x["year"]) for x in bi)]
    b_share, b_year = float(b["share"]), int(b["year"])
    assert b_year < e_year

    res = lead(allychain.load(f"builtin+{eto_dir}"), "KOR,NLD")
    r = _item(res, "lithography-tools")
    assert (r["previous_year"], r["latest_year"]) == (b_year, e_year)
    assert b["source_id"] in r["previous"] and "eto" in r["latest"]
    assert r["previous_member_shares"] == f"KOR ?; NLD {b_share:.3g}"
    assert r["member_shares"] == f"KOR {e_share['KOR']:.3g}; NLD {e_share['NLD']:.3g}"
    alliance = e_share["NLD"] + e_share["KOR"]
    u_prev = 100.0 - b_share                                     # KOR may have held the rest in the 2024 row
    assert (r["change_low"], r["change_high"]) == pytest.approx((alliance - (b_share + u_prev), alliance - b_share))
    top = max((s, c) for c, s in e_share.items() if c not in ("KOR", "NLD"))
    assert (r["top_outside"], r["top_outside_share"]) == (top[1], pytest.approx(top[0]))
    assert (r["catching_up"], r["gain_low"]) == (top[1], pytest.approx(top[0] - u_prev))
    (a,) = [a for a in res.alerts if a["item_id"] == "lithography-tools"]
    assert a["kind"] == "share_fall" and (a["from_year"], a["to_year"]) == (b_year, e_year)

    # ArF dry: the built-in 2019 rows name ASML and Nikon without shares: the move is not claimed
    v = res.vintages[res.vintages["item_id"] == "arf-dry-lithography-tools"].set_index("year")
    arf = [x for x in _csv(eto_dir / "provision.csv")
           if x["provided_id"] == cw["arf-dry-lithography-tools"] and x["provider_name"] == "NLD"]
    (nld,) = arf
    assert v.loc[int(nld["year"]), "member_shares"] == f"KOR ?; NLD {float(nld['share_provided']):.3g}"
    assert v.loc[2019, "status"] == "not_assessable" and v.loc[2019, "sources"] == "cset-2021"
    assert pd.isna(_item(res, "arf-dry-lithography-tools")["change_low"])
