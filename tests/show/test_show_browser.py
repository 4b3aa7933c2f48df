"""The dashboard in a real browser (Debian's Chromium through Playwright): every page
loads without console errors, the value-chain map leads to an item, a scenario runs
from the UI and its chart appears.  Screenshots go to test-artifacts/show/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PAGES = [
    ("overview", "#/", "#chokepoint-chart .main-svg"),
    ("map", "#/map", "#value-chain a[data-item]"),
    ("item", "#/item/euv-lithography-tools", "#shares-chart .main-svg"),
    ("countries", "#/countries", "table.sortable"),
    ("country", "#/country/KOR", "#supplies-chart .main-svg"),
    ("alliance", "#/alliance", "#complementarity-chart .main-svg"),
    ("scenarios", "#/scenarios", "#scenario-select"),
    ("api", "#/api", "table.sortable"),
    ("watch", "#/watch", "#watch-input"),
    ("talent", "#/talent", "#talent-chart .main-svg"),
    ("energy", "#/energy", "#energy-chart .main-svg"),
]


@pytest.fixture(scope="module")
def session_page(browser: Any, live_server: str) -> Iterator[Any]:
    """One browser tab for the module (plotly.js is loaded once); pages change by address hash."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 860})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    pg.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    # the dashboard must not need the internet: anything outside the server is refused
    def only_local(route: Any) -> None:
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            problems.append(f"external request: {route.request.url}")
            route.abort()

    pg.route("**/*", only_local)
    pg.problems = problems
    yield pg
    ctx.close()


@pytest.fixture()
def page(session_page: Any) -> Iterator[Any]:
    """The module's tab; fails the test on any console error, page error or failed request."""
    session_page.problems.clear()
    yield session_page
    assert session_page.problems == []


def ready(pg: Any, base: str, hash_: str) -> None:
    if pg.url.startswith(base) and pg.evaluate("() => location.hash") == hash_:
        pg.reload()
    elif pg.url.startswith(base):
        pg.evaluate("h => { location.hash = h; }", hash_)  # same document: as a click on a link
    else:
        pg.goto(f"{base}/{hash_}")
    pg.wait_for_function("h => document.getElementById('main').dataset.ready === h", arg=hash_)


@pytest.mark.parametrize(("name", "hash_", "selector"), PAGES, ids=[p[0] for p in PAGES])
def test_page_loads(page: Any, live_server: str, artefacts: Path, name: str, hash_: str, selector: str) -> None:
    ready(page, live_server, hash_)
    page.wait_for_selector(selector)
    assert page.locator("main h1").count() == 1
    assert "Cannot show" not in page.inner_text("main h1")
    page.screenshot(path=str(artefacts / f"page-{name}.png"), full_page=True)


def test_map_to_item_by_keyboard(page: Any, live_server: str, artefacts: Path) -> None:
    ready(page, live_server, "#/map")
    page.fill("#map-filter", "EUV litho")
    link = page.locator('#value-chain a[data-item="euv-lithography-tools"]')
    assert link.count() == 1 and page.locator("#value-chain a[data-item]").count() == 1
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('main').dataset.ready === '#/item/euv-lithography-tools'")
    assert page.inner_text("main h1") == "EUV lithography tools"
    page.wait_for_selector("#shares-chart .main-svg")
    assert "ASML" in page.inner_text("main table")
    # the item's "used in" link goes on through the chain
    page.click("text=Photolithography")
    page.wait_for_function("() => document.getElementById('main').dataset.ready === '#/item/photolithography'")
    page.screenshot(path=str(artefacts / "map-to-item.png"), full_page=True)


def test_table_sorts(page: Any, live_server: str) -> None:
    ready(page, live_server, "#/countries")
    th = page.locator("th", has_text="Items with share rows")
    assert th.get_attribute("aria-sort") == "descending"
    th.locator("button").click()
    assert th.get_attribute("aria-sort") == "ascending"
    first = page.locator("tbody tr").first.locator("td").nth(3).inner_text()
    assert first == "0"


def test_run_scenario_from_ui(page: Any, live_server: str, artefacts: Path) -> None:
    ready(page, live_server, "#/scenarios")
    page.select_option("#scenario-select", "euv-deliveries-halted-kor")
    page.fill("#scenario-steps", "120")
    page.click("#run-scenario")
    page.wait_for_selector("#scenario-chart .main-svg")
    assert "done" in page.inner_text("#scenario-status")
    assert page.eval_on_selector("#scenario-progress", "e => e.value") == 1
    traces = page.eval_on_selector("#scenario-chart", "e => e.data.map(t => t.name)")
    assert "total" in traces and "KOR-NLD (alliance)" in traces
    assert page.locator("#scenario-result table tbody tr").count() >= 3
    page.screenshot(path=str(artefacts / "scenario-run.png"), full_page=True)


def test_uploaded_scenario_error_shown(page: Any, live_server: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: broken\nshocks: [{countries: [UKR], loss_fraction: 3}]\n", encoding="utf-8")
    ready(page, live_server, "#/scenarios")
    page.set_input_files("#scenario-file", str(bad))
    # the 422 answer is expected here: not a failure of the page
    page.click("#run-scenario")
    page.wait_for_selector("#scenario-result .problem")
    assert "loss" in page.inner_text("#scenario-result .problem")
    page.problems[:] = [p for p in page.problems if "422" not in p and "status of 422" not in p]


def test_search(page: Any, live_server: str) -> None:
    ready(page, live_server, "#/")
    page.fill("#q", "neon")
    page.keyboard.press("Enter")
    page.wait_for_function("() => (document.getElementById('main').dataset.ready || '').startsWith('#/search/')")
    page.click("main table >> text=Semiconductor-grade neon")
    page.wait_for_function("() => document.getElementById('main').dataset.ready === '#/item/neon'")


def test_briefing_pack_from_alliance_page(page: Any, live_server: str) -> None:
    ready(page, live_server, "#/alliance")
    page.click("#build-brief")
    link = page.wait_for_selector("#brief-link", timeout=120_000)
    href = link.get_attribute("href")
    assert href and href.startswith("/api/reports/")
    r = page.request.get(live_server + href)
    assert r.status == 200 and "Executive summary" in r.text()


def test_watch_page_highlights_spans_and_shows_user_text_as_text(page: Any, live_server: str,
                                                                  artefacts: Path) -> None:
    pytest.importorskip("spacy", reason="the watch extra is not installed")
    ready(page, live_server, "#/watch")
    text = ("<img src=x onerror=\"document.title='pwned'\"> On 3 July 2023 China said exporters of gallium "
            "and graphite will need licences from 1 August. 😀 Japan tightened exports of hydrogen fluoride "
            "to South Korea from 4 July.")
    page.fill("#watch-input", text)
    page.fill("#watch-date", "2023-07-03")
    page.click("#watch-run")
    page.wait_for_selector("#watch-text mark.f-item")
    box = page.locator("#watch-text")
    assert box.locator("img").count() == 0 and "<img src=x" in box.inner_text()
    assert "pwned" not in page.title()
    marks = {m.inner_text(): m.get_attribute("class") for m in box.locator("mark").all()}
    # spans are code points on the server and in the page, also after an emoji
    assert marks["gallium"] == "f-item" and marks["graphite"] == "f-item"   # natural graphite is a built-in item
    assert marks["hydrogen fluoride"] == "f-item" and marks["South Korea"] == "f-targeted"
    assert marks["1 August"] == "f-effective"
    assert page.locator("table[aria-label=Events] tbody tr").count() == 2
    page.screenshot(path=str(artefacts / "page-watch-result.png"), full_page=True)


def test_alliance_page_ranks_the_most_severe_dependencies(page: Any, live_server: str) -> None:
    ready(page, live_server, "#/alliance")
    table = page.wait_for_selector("table[aria-label='Most severe dependencies']")
    rows = table.query_selector_all("tbody tr")
    assert len(rows) == 10
    first = rows[0].inner_text()
    assert "EUV CO2 drive lasers (euv-drive-lasers)" in first and "critical" in first and "—" in first
