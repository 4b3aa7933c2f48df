"""The dialogue briefing pack: one self-contained HTML file for ministers and analysts.

:func:`build_briefing` gathers what the pack states — chokepoints, each member's
critical dependencies, the alliance's coverage and shared outside dependencies,
partner recommendation, scenario results, unprotected nodes, the talent gap, each member's
energy dependency for its fabs, methods and data —
from the public analysis, simulation and decision functions; :func:`render_html`
writes it with the Jinja2 template ``templates/briefing.html.j2``.  Charts are
matplotlib SVG embedded as ``data:`` addresses (vector: sharp in print and on
screen; text drawn as paths, so no font is needed).  Nothing refers to the
internet: the file opens offline.

>>> from allychain.data.load import load                          # doctest: +SKIP
>>> pack = build_briefing(load("builtin"), ["KOR", "NLD"])          # doctest: +SKIP
>>> write_briefing(pack, "brief.html")                              # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from allychain.model.network import Network
from allychain.model.rules import CHOKEPOINT_RULES, DEPENDENCY_RULES
from allychain.report.briefing_energy import energy_section, energy_summary
from allychain.report.briefing_sections import (
    alliance_section,
    chokepoint_section,
    lead_section,
    member_section,
    methods_section,
    partner_section,
    scenario_chart,
    scenario_section,
    severity_section,
    summary_lines,
    unprotected_section,
)
from allychain.report.briefing_talent import talent_section, talent_summary

__all__ = ["build_briefing", "render_html", "write_briefing", "scenario_chart"]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


def _noop(fraction: float, message: str = "") -> None:
    return None


def build_briefing(
    network: Network,
    members: str | Iterable[str],
    scenarios: Sequence[Any] = (),
    data_label: str | None = None,
    year: int | None = None,
    decisions: bool = True,
    progress: Progress | None = None,
    network_for: Callable[[str | None], Network] | None = None,
    title: str | None = None,
    candidates: str = "like-minded",
    since_last: dict[str, Any] | None = None,
    talent_programme: str | None = "builtin:kor-nld",
) -> dict[str, Any]:
    """Everything the briefing pack states, as a plain dict (the template's context).

    Parameters
    ----------
    network
        The network the analyses run on.
    members
        Alliance members (codes, names or an alliance id).
    scenarios
        :class:`~allychain.simulate.scenario.Scenario` objects or YAML paths to run.
    data_label
        How the data was named (``builtin``, ``eto`` …) for the methods section.
    decisions
        Include unprotected nodes (TTS < TTR) from :func:`allychain.optimize.tts_ttr`.
    candidates
        Partner candidate pool (:func:`allychain.analysis.candidate_pool`; default the
        like-minded pool, as in ``analyze partners``).
    since_last
        What changed since the previous meeting of a dialogue
        (:func:`allychain.workspace.dialogues.since_last_meeting`), shown as its own section.
    talent_programme
        The programme the talent section shows the gap with and without (a programme file or
        ``builtin:NAME``; default the alliance's Korea-Netherlands programme; ``None``: none).
    network_for
        Resolves a scenario's ``data`` key to a network (default: ``network`` when the
        key is empty or names it, else :func:`allychain.data.load.load`).
    """
    from allychain import __version__
    from allychain.model.members import country_name, resolve_members

    prog = progress or _noop
    mem = resolve_members(members, network)
    names = dict(zip(network.stages["stage_id"].astype(str), network.stages["name"].astype(str), strict=True))
    names.update(network.item_names())
    label = data_label or network.name
    steps_total = 9 + len(scenarios) + (1 if decisions else 0)
    done = 0

    def step(message: str) -> None:
        nonlocal done
        prog(done / steps_total, message)
        done += 1

    step("chokepoints")
    chokepoint = chokepoint_section(network, names, year)
    step("members' dependencies")
    members_ = member_section(network, mem, names, year)
    step("alliance view")
    alliance = alliance_section(network, mem, names, year)
    step("severity")
    severity = severity_section(network, mem, names, year)
    step("partners")
    partner = partner_section(network, mem, year, candidates=candidates)
    step("technology lead")
    lead = lead_section(network, mem)
    scenario_results = []
    for sc in scenarios:
        sc = _scenario(sc)
        step(f"scenario: {sc.name}")
        scenario_results.append(scenario_section(sc, _network_for(sc.data, network, label, network_for)))
    unprotected: dict[str, Any] | None = None
    if decisions:
        step("time to survive vs time to recover")
        unprotected = unprotected_section(network, mem)
    inputs = _inputs(network, mem, year, talent_programme, step)
    step("methods and data")
    methods = methods_section(network, alliance, names)
    pack = {
        "title": title or f"Supply-chain briefing: {' + '.join(country_name(m) for m in mem)}",
        "members": mem, "member_names": [country_name(m) for m in mem],
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__, "data_label": label,
        "info": methods.pop("info"),
        "rules": CHOKEPOINT_RULES.describe(),
        "critical_share": DEPENDENCY_RULES.critical_share,
        "chokepoints": chokepoint,
        "member_deps": members_,
        "alliance": alliance,
        "severity": severity,
        "partners": partner, "lead": lead,
        "scenarios": scenario_results,
        "unprotected": unprotected,
        **inputs,
        "methods": methods,
        "since_last": since_last,
    }
    pack["summary"] = summary_lines(pack)
    for line in (talent_summary(inputs["talent"]), energy_summary(inputs["energy"])):
        if line:
            pack["summary"].insert(len(pack["summary"]) - 1, line)
    prog(1.0, "done")
    return pack


def _inputs(network: Network, mem: list[str], year: int | None, talent_programme: str | None,
            step: Callable[[str], None]) -> dict[str, Any]:
    """The sections on the chain's other inputs: people (the talent gap) and power (the members' fabs' grids)."""
    step("talent")
    talent = talent_section(mem, talent_programme, network=network)
    step("energy")
    return {"talent": talent, "energy": energy_section(network, mem, year)}


def _scenario(sc: Any) -> Any:
    from allychain.simulate.scenario import Scenario

    if isinstance(sc, Scenario):
        return sc
    from allychain.data.spec import read_scenario

    return read_scenario(sc)


def _network_for(spec: str | None, network: Network, label: str,
                 network_for: Callable[[str | None], Network] | None) -> Network:
    if network_for is not None:
        return network_for(spec)
    if spec in (None, label, network.name):
        return network
    from allychain.data.load import load

    return load(spec)


# --------------------------------------------------------------------------- rendering
def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return "—"
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v)) or "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if np.isinf(v):
            return "∞"
        return f"{v:,.{digits}f}"
    return str(v)


def render_html(pack: dict[str, Any]) -> str:
    """The briefing pack as one HTML document (styles and charts inline)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    folder = Path(str(resources.files("allychain.report").joinpath("templates")))
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    return env.get_template("briefing.html.j2").render(p=pack)


def write_briefing(pack: dict[str, Any], path: str | Path, overwrite: bool = False) -> Path:
    """Write the HTML whole or not at all (:func:`allychain.durable.output_file`: a
    temporary sibling replaces ``path`` when complete; an existing file that is not an
    HTML document is replaced only with ``overwrite``)."""
    from allychain.durable import output_file

    path = Path(path)
    html = render_html(pack)
    with output_file(path, overwrite=overwrite, what="--out") as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
