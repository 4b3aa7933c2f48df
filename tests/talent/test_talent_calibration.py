"""Calibration: the built-in parameters reproduce published workforce projections within 10 %.

Each test names its source.  The supply rows of both sources are given as totals (the
sources publish supply only as demand growth minus the gap), so these tests check the
published stock, demand path and supply flowing through the stock-flow accounting year by
year to the published gap — not an independent forecast of graduates (see docs/talent.md).
"""

from __future__ import annotations

import pytest

from allychain.talent import builtin_sources, builtin_workforce, project

TOLERANCE = 0.10


def _gap(country: str, year: int) -> float:
    p = project(builtin_workforce(), countries=[country], until=year)
    row = p.at(year)
    assert len(row) == 1
    return float(row["gap"].iloc[0])


def test_sia_oxford_economics_2023_us_unfilled_jobs_2030() -> None:
    """SIA & Oxford Economics, "Chipping Away: Assessing and Addressing the Labor Market Gap Facing the
    U.S. Semiconductor Industry", July 2023: about 67,000 of the roughly 115,000 new jobs by 2030
    at risk of going unfilled (employment about 345,000 → about 460,000)."""
    gap = _gap("USA", 2030)
    assert gap == pytest.approx(67_000, rel=TOLERANCE)
    series = project(builtin_workforce(), countries=["USA"], until=2030).series
    new_jobs = series["demand"].iloc[-1] - series["stock"].iloc[0]
    assert new_jobs == pytest.approx(115_000, rel=TOLERANCE)
    assert gap / new_jobs == pytest.approx(0.58, abs=0.02)  # "58 % of the new jobs"
    assert "sia-oe-2023" in set(builtin_sources()["source_id"])


def test_korea_2031_semiconductor_workforce_shortfall() -> None:
    """Ministry of Education (with MOTIE, MSIT), semiconductor talent plan, July 2022: workforce about
    177,000 (2021) → about 304,000 needed (2031); Korea Semiconductor Industry Association, as
    reported 2023: a shortfall of about 54,000 workers by 2031."""
    assert _gap("KOR", 2031) == pytest.approx(54_000, rel=TOLERANCE)
    series = project(builtin_workforce(), countries=["KOR"], until=2031).series
    assert series["demand"].iloc[-1] - series["stock"].iloc[0] == pytest.approx(127_000, rel=TOLERANCE)


def test_every_built_in_row_cites_a_listed_public_source() -> None:
    table = builtin_workforce()
    sources = builtin_sources().set_index("source_id")
    assert set(table["source_id"]) <= set(sources.index)
    for col in ("title", "publisher", "year", "url"):
        assert (sources[col].str.strip() != "").all(), col
    assert sources["url"].str.startswith("https://").all()
    assert set(table["confidence"]) <= {"high", "medium", "low"}
    derived = table[table["note"].str.startswith("Derived")]
    assert (derived["confidence"] == "low").all()  # derived figures are never marked better than low


def test_docs_describe_every_parameter_column_and_flow() -> None:
    from pathlib import Path

    from allychain import schema
    from allychain.talent.params import FLOWS

    text = (Path(__file__).resolve().parents[2] / "docs" / "talent.md").read_text(encoding="utf-8")
    for col in schema.columns("workforce"):
        assert f"`{col}`" in text, col
    for flow in FLOWS:
        assert f"`{flow}`" in text, flow
