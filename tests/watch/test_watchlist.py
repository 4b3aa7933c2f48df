"""The graded watchlist on the built-in chain, hand-checked against data/builtin/shares.csv."""

from __future__ import annotations

import json
import sys

import pytest

import allychain
from allychain.services.watchlist import WatchlistRules, watchlist


@pytest.fixture(scope="module")
def wl():
    return watchlist(allychain.load("builtin"), "KOR,NLD")


def _row(wl, item: str) -> dict:
    (r,) = wl[(wl["member"] == "KOR") & (wl["item_id"] == item)].to_dict("records")
    return r


def test_grades_hand_checked(wl) -> None:
    # shares.csv: gallium CHN 98 % → A; HF JPN 70 % → B (≥ 65, < 80); silicon wafers JPN 51.3 % → C;
    # neon UKR 45 % with 55 % unknown → D (one country could hold half)
    assert (_row(wl, "gallium")["grade"], _row(wl, "gallium")["top_country"]) == ("A", "CHN")
    assert _row(wl, "gallium")["hs_codes"] == "811292;811299" and _row(wl, "gallium")["cadence"] == "weekly"
    hf = _row(wl, "hydrogen-fluoride")
    assert (hf["grade"], hf["top_country"], hf["top_share"], hf["hs_codes"]) == ("B", "JPN", 70.0, "281111")
    assert _row(wl, "silicon-wafers")["grade"] == "C"
    neon = _row(wl, "neon")
    assert neon["grade"] == "D" and "unknown" in neon["reason"] and neon["top_share"] == 45.0
    # the EUV tools come from a member: listed, and flagged as a dependency inside the alliance
    euv = _row(wl, "euv-lithography-tools")
    assert euv["top_country"] == "NLD" and euv["top_in_members"] and euv["grade"] == "A"
    assert list(wl["grade"]) == sorted(wl["grade"])


def test_unknown_is_not_zero(wl) -> None:
    na = wl[wl["status"] == "not_assessable"]
    assert len(na) and set(na["grade"]) == {"D"} and na["top_share"].isna().all()
    # NLD's recorded inputs (shares.csv): EUV optics DEU 100 %, EUV light sources USA 100 % and their drive
    # lasers DEU 100 % → A; through NXP's fabs the fab inputs too (HF JPN 70 % → B)
    nld = wl[wl["member"] == "NLD"].set_index("item_id")
    assert {"euv-optics", "euv-light-sources", "euv-drive-lasers", "hydrogen-fluoride"} <= set(nld.index)
    assert wl.attrs["not_covered"] == []
    for item, country in (("euv-optics", "DEU"), ("euv-light-sources", "USA"), ("euv-drive-lasers", "DEU")):
        assert (nld.loc[item, "top_country"], nld.loc[item, "grade"]) == (country, "A"), item
    assert (nld.loc["hydrogen-fluoride", "top_country"], nld.loc["hydrogen-fluoride", "grade"]) == ("JPN", "B")
    # vacuum subsystems: Japan 21 % the only known country share; Europe's 58 % is a region not split by
    # country, so 79 % is unknown and one country could hold half: D, not "safe" (VLI Research 2016)
    v = nld.loc["vacuum-subsystems"]
    assert (v["grade"], v["top_share"], v["unknown_share"]) == ("D", 21.0, 79.0) and "unknown" in v["reason"]
    # Australia mines gold and rare earths, but no input of that production is recorded: not "safe"
    assert watchlist(allychain.load("builtin"), "KOR,AUS", tts_ttr=False).attrs["not_covered"] == ["AUS"]
    # no workspace: agreement cover not assessed (never "not covered")
    assert set(wl["agreement_cover"]) == {"not assessed"}


def test_tts_ttr_raises_a_grade_hand_checked() -> None:
    """With A at 99 %, photoresists and ArF photoresist (JPN 90 %) are B from the shares alone; Japan's
    photoresist node cannot be covered until it recovers (TTS < TTR = 9 months, the material class of
    model.recovery), so photoresists rise to A; ArF photoresist's node can (TTS ≥ TTR) and stays B."""
    from allychain.model.recovery import TTR_DEFAULTS
    from allychain.optimize import unprotected_nodes

    n = allychain.load("builtin")
    wl = watchlist(n, "KOR", WatchlistRules(a=99.0)).set_index("item_id")
    t = unprotected_nodes(n).result.table.set_index("disruption")
    for item, grade in (("photoresists", "A"), ("arf-photoresist", "B")):
        r = wl.loc[item]
        assert (r["base_grade"], r["grade"]) == ("B", grade)
        assert r["ttr"] == TTR_DEFAULTS["material"] == t.loc[f"JPN/{item}", "ttr"]
        assert r["tts"] == pytest.approx(t.loc[f"JPN/{item}", "tts"])
        assert r["tts_ttr"] == ("unprotected" if r["tts"] < r["ttr"] else "protected")
    assert wl.loc["photoresists", "tts_ttr"] == "unprotected" and "B → A" in wl.loc["photoresists", "reason"]
    # not-assessable items stay D whatever the decision model says
    assert set(wl.loc[wl["base_grade"] == "D", "grade"]) == {"D"}


def test_rules_are_configurable_and_low_role_drops_a_grade() -> None:
    n = allychain.load("builtin")
    strict = watchlist(n, "KOR", WatchlistRules(a=99.0), tts_ttr=False)
    assert strict.set_index("item_id").loc["gallium", "grade"] == "B"
    low = watchlist(n, "KOR", WatchlistRules(low_role=95.0), tts_ttr=False)     # every role weight here is 90 %
    assert low.set_index("item_id").loc["gallium", "grade"] == "B"


def test_cli_list_json(monkeypatch, capsys) -> None:
    from allychain.cli.main import main

    monkeypatch.setattr(sys, "argv", ["allychain", "watch", "list", "--members", "KOR", "-f", "json",
                                      "--grades", "A", "--no-tts"])
    with pytest.raises(SystemExit) as e:
        main()
    out, err = capsys.readouterr()
    assert (e.value.code or 0) == 0, err
    rows = json.loads(out)
    assert rows and {r["grade"] for r in rows} == {"A"} and "gallium" in {r["item_id"] for r in rows}
    assert {r["tts_ttr"] for r in rows} == {"not assessed"}
    monkeypatch.setattr(sys, "argv", ["allychain", "watch", "list", "--grades", "E"])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code != 0 and "Traceback" not in capsys.readouterr().err
