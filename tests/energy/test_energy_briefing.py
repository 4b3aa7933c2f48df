"""The briefing pack's energy section for KOR+NLD, checked by hand against the built-in tables."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib", reason="the briefing section draws a chart")


def test_energy_section_kor_nld() -> None:
    import allychain
    from allychain.report.briefing_energy import energy_section, energy_summary

    e = energy_section(allychain.load("builtin"), ["KOR", "NLD"])
    kor, nld = e["members"]
    assert (kor["member"], kor["grid"], kor["fab_items"]) == ("KOR", "KOR", 6)
    assert (kor["carbon_intensity"], kor["share_carbon_free"], kor["saidi"]) == (413, 38.7, 9.05)
    assert kor["largest"][:2] == ["High-bandwidth memory (HBM) 90 %", "DRAM chips 77 %"]
    assert kor["not_covered"] == ["outage frequency (SAIFI)"]
    # NXP's automotive chips (10 % of 2023 revenue, counted at its headquarters) are the Dutch fab output
    assert nld["fab_items"] == 1 and nld["largest"] == ["Automotive semiconductors 10 %"]
    assert nld["carbon_intensity"] is None                                    # not covered, not 0
    assert nld["share_carbon_free"] == pytest.approx(48 + 3.3)                # CBS renewables + Eurostat nuclear
    assert set(nld["not_covered"]) == {"carbon intensity", "outage duration (SAIDI)", "outage frequency (SAIFI)"}
    assert len(e["agreements"]) == 4 and all(a["parties"] == "KOR;NLD" for a in e["agreements"])
    assert [r["item_id"] for r in e["rows"] if r["member"] == "NLD"] == ["automotive-chips"]
    adv = {r["item_id"]: r for r in e["items"]}["advanced-logic-chips"]
    assert adv["carbon_intensity"] == pytest.approx((92 * 554 + 8 * 413) / 100)
    imp = {r["item_id"]: r for r in e["imports"]}
    assert len(e["imports"]) == 10 and imp["euv-optics"]["grids"] == "DEU 100 %"
    assert imp["euv-optics"]["carbon_intensity"] == 381 and imp["euv-optics"]["top_grid_saidi"] == 12.2
    assert e["chart"].startswith("data:image/svg+xml;base64,")
    assert {"lcp-kor-2023", "hankyung-2023", "kor-nld-js-2023"} <= {s["source_id"] for s in e["sources"]}
    text = energy_summary(e) or ""
    assert text.startswith("Power: KOR's fabs (6 items) run on the KOR grid: 413 gCO2e/kWh, 39 % carbon-free")
    assert "NLD's fabs (1 items) run on the NLD grid: carbon intensity not covered, 51 % carbon-free" in text
    assert "4 energy agreements" in text
