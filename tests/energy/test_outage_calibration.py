"""Calibration: the 13-minute Yokkaichi power outage of 15 June 2019, simulated, against Western Digital's
reported loss (docs/energy.md, "Calibration").

Reported: Western Digital expected "a reduction of Western Digital's flash wafer availability of approximately
6 exabytes" (press release, 27 June 2019), which ExtremeTech put at "roughly half of Western Digital's
quarterly NAND production" (as reported by TechSpot, 1 July 2019): about 91.25 / 2 = 45.6 days of its output.
Western Digital's flash wafers then all came from the joint venture's Yokkaichi fabs (Kitakami K1 began output
in 2020), so the loss in days of Western Digital's output is the loss in days of the site's output.

The scenario gives only the incident's facts: site (Japan's NAND fabs), outage (13 minutes, TrendForce) and the
time to full production (mid-July, about 30 days; Reuters as reported by TechSpot).  Work in progress and the
share of it scrapped come from the general consequence model (allychain.model.outage: Renesas 2023 cycle time,
Samsung Pyeongtaek 2018 scrap), not from this incident.

Tolerance: ±30 % — the reference itself is "approximately" 6 EB and "roughly half" a quarter.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from allychain.data.load import load
from allychain.data.spec import read_scenario
from allychain.model.outage import lost_days
from allychain.simulate.api import run_scenario

SCENARIO = Path(str(resources.files("allychain").joinpath("scenarios"))) / "power-outage-yokkaichi-2019.yaml"
REPORTED_DAYS = 91.25 / 2   # 6 EB = about half of Western Digital's quarterly NAND output
TOLERANCE = 0.30


def _simulated_lost_days(scenario) -> float:
    res = run_scenario(scenario, load(scenario.data))
    ids = list(res.system.node_ids)
    i = ids.index("JPN/nand-flash-chips")
    x = res.arrays["production"][:, 0, i]
    return float(np.clip(1.0 - x / res.system.x0[i], 0.0, None).sum())


def test_yokkaichi_2019_outage_lost_output_within_tolerance_of_reported() -> None:
    sc = read_scenario(SCENARIO)
    assert sc.data == "example:nand_2019"
    (outage,) = sc.power_outages
    assert outage.hours == pytest.approx(13 / 60) and outage.restart_days == 30
    simulated = _simulated_lost_days(sc)
    # the simulation loses what the consequence model books (the site's customers keep ordering)
    assert simulated == pytest.approx(lost_days(outage), rel=0.02)
    assert abs(simulated - REPORTED_DAYS) <= TOLERANCE * REPORTED_DAYS, (simulated, REPORTED_DAYS)


def test_minutes_without_power_alone_miss_the_reported_loss() -> None:
    import dataclasses

    sc = read_scenario(SCENARIO)
    bare = dataclasses.replace(sc, power_outages=(dataclasses.replace(sc.power_outages[0], consequences="none"),))
    simulated = _simulated_lost_days(bare)
    assert simulated == pytest.approx(13 / 60 / 24, rel=0.05)   # 13 minutes of output, nothing more
    assert simulated < 0.01 * REPORTED_DAYS
