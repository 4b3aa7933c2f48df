"""The analysis thresholds have one home (allychain.model.rules): the CLI options, the
REST API's query parameters and the dashboard's chart take their defaults from there."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from allychain.model.rules import CHOKEPOINT_RULES, DEPENDENCY_RULES


def test_cli_defaults_come_from_the_rules():
    from allychain.cli import analyze

    app = typer.main.get_group(analyze.app)
    cp = {p.name: p.default for p in app.commands["chokepoints"].params}
    assert (cp["country_share"], cp["firm_top3"], cp["hhi"]) == (
        CHOKEPOINT_RULES.country_share, CHOKEPOINT_RULES.firm_top3, CHOKEPOINT_RULES.hhi)
    deps = {p.name: p.default for p in app.commands["dependencies"].params}
    assert (deps["critical_share"], deps["min_share"]) == (DEPENDENCY_RULES.critical_share,
                                                           DEPENDENCY_RULES.min_role_share)


def test_api_defaults_come_from_the_rules():
    pytest.importorskip("fastapi")
    from allychain.api.routes_analysis import router

    params = {}
    for route in router.routes:
        for p in route.dependant.query_params:  # type: ignore[attr-defined]
            params.setdefault(route.path.rsplit("/", 1)[-1], {})[p.name] = p.field_info.default
    assert params["chokepoints"]["country_share"] == CHOKEPOINT_RULES.country_share
    assert params["chokepoints"]["hhi"] == CHOKEPOINT_RULES.hhi
    assert params["dependencies"]["critical_share"] == DEPENDENCY_RULES.critical_share


def test_no_threshold_literals_left_in_the_adapters():
    root = Path(__file__).resolve().parents[1] / "src" / "allychain"
    for rel in ("cli/analyze.py", "api/routes_analysis.py", "report/briefing.py", "report/charts.py",
                "report/templates/briefing.html.j2", "web/static/app.js"):
        text = (root / rel).read_text(encoding="utf-8")
        for literal in ("65.0", "≥ 65 %", "x0: 65", "2500.0", "(90.0"):
            assert literal not in text, f"{rel} still holds the threshold literal {literal!r}"
