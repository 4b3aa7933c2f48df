"""The briefing pack: ``allychain report`` writes a self-contained HTML file (charts inline,
nothing from the internet) and, with --pdf, a PDF whose pages render."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("jinja2", reason="the briefing pack needs jinja2 (server extra)")

SCENARIO = Path(__file__).resolve().parents[2] / "src" / "allychain" / "scenarios" / "neon-loss.yaml"
SECTIONS = ["summary", "chokepoints", "member-dependencies", "alliance", "severity", "partners", "lead",
            "scenarios", "unprotected", "talent", "energy", "methods"]


def cli() -> typer.Typer:
    from allychain.cli.report import report_cmd

    app = typer.Typer()
    app.command("report")(report_cmd)

    @app.command("noop")
    def _noop() -> None:  # a second command keeps 'report' a named sub-command
        pass

    return app


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from allychain.report.pdf import pdf_available

    out = tmp_path_factory.mktemp("brief")
    args = ["report", "--members", "KOR,NLD", "--scenario", str(SCENARIO), "--out", str(out / "brief.html")]
    if pdf_available():
        args += ["--pdf", str(out / "brief.pdf")]
    r = CliRunner().invoke(cli(), args)
    assert r.exit_code == 0, r.output
    return {"dir": out, "html": (out / "brief.html").read_text(encoding="utf-8"), "output": r.output}


def test_report_has_every_section(brief: dict[str, Any]) -> None:
    html = brief["html"]
    for s in SECTIONS:
        assert f'id="{s}"' in html, s
    assert "South Korea" in html and "Netherlands" in html
    assert "Loss of Ukrainian neon" in html  # the chosen scenario's results
    assert "Sources" in html and "not covered" in html.lower()


def test_report_shows_the_technology_lead(brief: dict[str, Any]) -> None:
    html = brief["html"]
    lead = html[html.index('id="lead"'):html.index('id="scenarios"')]
    # built-in data: lithography tools 2019 (suppliers named, shares unknown) and 2024 (36Kr: NLD 94.1 %)
    assert "Lithography tools" in lead and "2024 builtin (36kr-equipment-2025): KOR ?; NLD 94.1" in lead
    assert "No lead alert on this data." in lead and "data:image/svg+xml;base64," in lead


def test_report_is_self_contained(brief: dict[str, Any]) -> None:
    html = brief["html"]
    # nothing is fetched: no external scripts, styles, images or fonts
    assert "<script" not in html
    assert not re.search(r'<(img|link|script|iframe)[^>]+(src|href)="(?!data:|#)', html)
    assert "url(http" not in html and "@import" not in html
    charts = re.findall(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"', html)
    assert len(charts) >= 5  # chokepoints, complementarity, partners, scenario, TTS/TTR


def test_report_matches_analysis(brief: dict[str, Any], network: Any) -> None:
    from allychain.analysis import chokepoints

    n = len(chokepoints(network))
    assert f"<strong>{n}</strong> of" in brief["html"]


def test_report_opens_offline_with_charts(brief: dict[str, Any], browser: Any, artefacts: Path) -> None:
    page = browser.new_page()
    requested: list[str] = []

    def block(route: Any) -> None:
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((brief["dir"] / "brief.html").as_uri())
    sizes = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
    assert len(sizes) >= 5 and all(done and width > 0 for done, width in sizes)
    assert requested == [] and errors == []
    page.screenshot(path=str(artefacts / "brief.png"), full_page=False)
    page.close()


def test_pdf_pages_render(brief: dict[str, Any], artefacts: Path) -> None:
    pdf = brief["dir"] / "brief.pdf"
    if not pdf.exists():
        pytest.skip("WeasyPrint is not installed (pip install 'allychain[pdf]')")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    out = brief["dir"] / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(out)], check=True, timeout=120)
    pages = sorted(brief["dir"].glob("page*.png"))
    assert len(pages) >= 4
    for p in pages[:3]:
        shutil.copy(p, artefacts / f"brief-{p.name}")
    # every page has ink: a PNG of a blank page compresses to almost nothing
    assert all(p.stat().st_size > 2_000 for p in pages)


def test_report_errors(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli(), ["report", "--members", "XXQ", "--out", str(tmp_path / "b.html")])
    assert r.exit_code != 0 and "XXQ" in str(r.exception or r.output)
    r = CliRunner().invoke(cli(), ["report", "--out", str(tmp_path / "missing" / "b.html")])
    assert r.exit_code != 0 and "does not exist" in str(r.exception)
    bad = tmp_path / "bad.yaml"
    bad.write_text("shocks: [{countries: [UKR], loss_fraction: 7}]", encoding="utf-8")
    r = CliRunner().invoke(cli(), ["report", "--scenario", str(bad), "--out", str(tmp_path / "b.html")])
    assert r.exit_code != 0 and "loss" in str(r.exception)
    assert not (tmp_path / "b.html").exists()


def test_report_ranks_the_most_severe_dependencies(brief: dict[str, Any]) -> None:
    import allychain
    from allychain.analysis import severity

    html = brief["html"]
    part = html[html.index('id="severity"'):html.index('id="partners"')]
    top = severity(allychain.load("builtin"), ["KOR", "NLD"], top=10)
    top = top[top["status"] == "assessed"]
    assert len(top) == 10
    # the pack shows the same ten, in the same order, with their components and rules
    positions = [part.index(f"({i})") for i in top["item_id"]]
    assert positions == sorted(positions)
    assert "critical_dependency" in part and "Agreement cover" in part
    assert "Most severe dependencies: EUV CO2 drive lasers" in html


def test_report_shows_the_talent_gap_with_and_without_the_alliance_programme(brief: dict[str, Any]) -> None:
    """KOR+NLD: the gap per year without and with builtin:kor-nld (50 a year per country in
    2024-2028): Korea 54,000 → 53,750 in 2031, the Netherlands 38,000 → 37,750 in 2030."""
    html = brief["html"]
    talent = html[html.index('id="talent"'):html.index('id="methods"')]
    assert "Gap with the programme" in talent and "data:image/svg+xml;base64," in talent
    for cells in (("KOR", "2031", "304,000", "250,000", "54,000", "53,750", "250"),
                  ("NLD", "2030", "88,000", "50,000", "38,000", "37,750", "250")):
        assert re.search(r"<tr><td>" + cells[0] + r"</td><td>all</td>"
                         + "".join(rf'<td class="num">{c}</td>' for c in cells[1:]) + "</tr>", talent), cells
    assert "Korea-Netherlands talent programme" in talent and "kor-nld-dialogue-2024" in talent
    assert "Talent: the workforce gap" in html[:html.index('id="chokepoints"')]  # in the executive summary
    assert "People in the chain" in talent and "of world Wafer fabrication (front end)" in talent


def test_report_shows_each_members_energy_dependency_for_its_fabs(brief: dict[str, Any]) -> None:
    """KOR+NLD: Korea's fab items (HBM 90 %, DRAM 77 %, NAND 58 % of world output …) run on the Korean grid
    (413 gCO2e/kWh life-cycle, 38.7 % carbon-free, KEPCO's 9.05 minutes of outage a year, SAIFI not covered);
    the Netherlands' fab output is NXP's 10 % of automotive semiconductors (TechInsights 2023, counted at its
    headquarters), on the Dutch grid; the December 2023 nuclear documents are listed."""
    html = brief["html"]
    part = html[html.index('id="energy"'):html.index('id="methods"')]
    assert re.search(r"<tr><td>KOR</td><td>KOR</td><td>High-bandwidth memory \(HBM\) 90 %, DRAM chips 77 %, "
                     r"NAND flash chips 58 % \(\+3\)</td><td class=\"num\">413 <span class=\"id\">\(lifecycle\)"
                     r"</span></td><td class=\"num\">38.7</td><td class=\"num\">9.05", part), part[:3000]
    assert re.search(r"<tr><td>NLD</td><td>NLD</td><td>Automotive semiconductors 10 %</td>", part), part[:3000]
    assert "outage frequency (SAIFI)" in part                     # not covered, named
    assert "Joint statement on the Korea-Netherlands strategic partnership" in part
    assert "data:image/svg+xml;base64," in part
    assert "Power: KOR&#39;s fabs" in html[:html.index('id="chokepoints"')]  # in the executive summary
