"""Power outages as shocks: the consequence model by hand, its profile, the scenario key and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from allychain.data.spec import parse_scenario_text
from allychain.errors import SpecError
from allychain.model.disruption import Target
from allychain.model.outage import FabConsequences, PowerOutage, loss_profile, lost_days

P = FabConsequences(wip_days=100, scrap_share=0.1, restart_days=4)
JPN = Target(countries=("JPN",))


def test_lost_days_by_hand() -> None:
    # 6 h + 10 % of 100 days of work in progress + half of a 4-day linear restart
    assert lost_days(PowerOutage(JPN, hours=6, params=P)) == pytest.approx(0.25 + 10 + 2)
    assert lost_days(PowerOutage(JPN, hours=6, restart_days=10, params=P)) == pytest.approx(0.25 + 10 + 5)
    assert lost_days(PowerOutage(JPN, hours=6, share=0.5, params=P)) == pytest.approx(0.5 * 12.25)
    assert lost_days(PowerOutage(JPN, hours=6, consequences="none", params=P)) == pytest.approx(0.25)


def test_profile_integrates_each_day_exactly() -> None:
    o = PowerOutage(JPN, hours=12, onset=2, params=FabConsequences(wip_days=10, scrap_share=0.1, restart_days=2))
    prof = loss_profile(o, 10)
    # full loss from day 2.0 to 3.5 (12 h + 1 day of scrap), then linear to 0 at 5.5
    assert prof[:2].tolist() == [0, 0]
    assert prof[2] == pytest.approx(1.0)
    # day 3: 0.5 full, then 0.5 of ramp falling from 1 to 0.75 -> 0.5 + 0.4375
    assert prof[3] == pytest.approx(0.5 + 0.5 * (1 + 0.75) / 2)
    assert prof[4] == pytest.approx((0.75 + 0.25) / 2)
    assert prof[5] == pytest.approx(0.5 * 0.25 / 2)
    assert prof[6:].sum() == 0
    assert prof.sum() == pytest.approx(lost_days(o))
    assert np.all((prof >= 0) & (prof <= 1))


def test_short_run_cuts_the_profile_and_zero_outage_loses_nothing() -> None:
    o = PowerOutage(JPN, hours=0, consequences="none")
    assert loss_profile(o, 5).sum() == 0
    long = PowerOutage(JPN, hours=0.5, restart_days=30)
    assert loss_profile(long, 10).sum() == pytest.approx(10.0)  # still at full loss on day 10


def test_bad_consequence_parameters_refused() -> None:
    with pytest.raises(ValueError, match="scrap_share"):
        FabConsequences(scrap_share=1.5)


SCEN = """name: t
horizon: 30
power_outages:
  - {body}
"""


@pytest.mark.parametrize(("body", "key", "expected"), [
    ("{countries: [JPN], minutes: -13}", "power_outages[0].minutes", "in minutes, >= 0"),
    ("{countries: [JPN], minutes: 13, hours: 1}", "power_outages[0]", "'hours' or 'minutes'"),
    ("{countries: [JPN]}", "power_outages[0]", "'hours' or 'minutes'"),
    ("{countries: [JPN], hours: 1, share: 1.5}", "power_outages[0].share", "a fraction from 0 to 1"),
    ("{countries: [JPN], hours: 1, consequences: grid}", "power_outages[0].consequences", "fab"),
    ("{countries: [JPN], hours: 1, restart_days: -2}", "power_outages[0].restart_days", ">= 0"),
    ("{hours: 1}", "power_outages[0]", "naming what is hit"),
    ("{countries: [JPN], hours: 1, blackout: true}", "power_outages[0]", "blackout"),
])
def test_bad_outage_entries_name_the_key(body: str, key: str, expected: str) -> None:
    with pytest.raises(SpecError) as exc:
        parse_scenario_text(SCEN.format(body=body), "outage.yaml")
    assert exc.value.file == "outage.yaml"
    assert exc.value.key.startswith(key), exc.value.key
    assert expected in str(exc.value)


def test_scenario_outage_reads_minutes_and_defaults() -> None:
    sc = parse_scenario_text(SCEN.format(body="{countries: [JPN], items: [nand-flash-chips], minutes: 13}"), "o.yaml")
    (o,) = sc.power_outages
    assert o.hours == pytest.approx(13 / 60) and o.restart_days is None and o.consequences == "fab"
    assert o.target == Target(countries=("JPN",), items=("nand-flash-chips",))
