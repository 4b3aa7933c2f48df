"""Power outages as shocks of their own, with the consequences a fab suffers beyond the minutes without power.

A grid outage of a few minutes stops a fab for far longer than the minutes without power: the wafers inside
the process tools when the power went are scrapped, and facilities and tools must be restarted and
requalified before output is back to normal.  Documented incidents show it: a half-hour outage at Samsung's
Pyeongtaek NAND fab (9 March 2018) damaged 50,000–60,000 wafers; a 13-minute outage at the Kioxia / Western
Digital Yokkaichi fabs (15 June 2019) cost Western Digital about 6 exabytes of flash, with full production
only back by mid-July.  This module turns an outage into a capacity-loss profile per step (a day); it lives
in ``model`` because the simulation (scenarios) and the energy analysis both use it.

The consequence model (all times in days; a step is a day)::

    lost output (days of the site's output) = share · (h/24 + s·W + R/2)

* ``h`` — the outage, hours (from the scenario);
* ``W`` — work in progress in days of output = the fab's cycle time (Little's law); default 119 days;
* ``s`` — share of the work in progress scrapped by a fab-wide outage; default 0.156;
* ``R`` — days from power back to full output (restart and requalification), output rising linearly over
  them; default 7 days, or the incident's documented restoration time;
* ``share`` — the share of the target's capacity on the failed grid or site (default 1).

As a profile: capacity lost in full (``share``) for ``h/24 + s·W`` days from the onset — the scrapped wafers
are booked as output lost at once rather than as gaps spread over the next cycle time (the total is the same,
the shortage comes earlier) — then recovering linearly over ``R`` days.  Steps are integrated exactly (a
partial day loses its fraction).  With ``consequences: none`` only the hours without power are lost.

==============  ========  ===============================================================================
parameter       default   source
==============  ========  ===============================================================================
``wip_days``    119       wafer fabrication takes 16–18 weeks (Renesas Electronics, December 2023, as
                          reported); mid-point 17 weeks; work in progress = cycle time × output rate
``scrap_share`` 0.156     Samsung Pyeongtaek, 9 March 2018: a ~30-minute outage damaged 50,000–60,000
                          wafers (Tom's Hardware; AnandTech, 2018) at a line of about 90,000 wafers a month
                          (Citi, as reported): 55,000 / (90,000 / 30.4 × 119) = 0.156 of work in progress
``restart_days`` 7        Samsung Pyeongtaek 2018: the fab was reported running at planned capacity again
                          within a week (Tom's Hardware, 15 March 2018); longer where tools were damaged —
                          give the incident's own figure (``restart_days``) where one is documented
==============  ========  ===============================================================================

These are planning assumptions from public reports of other incidents, not measurements of any one fab; the
Yokkaichi 2019 calibration (docs/energy.md, tests/energy/test_outage_calibration.py) does not use them to fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from allychain.model.disruption import TARGET_KEYS, TARGET_RENAMED, Target, read_target
from allychain.model.spec import Spec

__all__ = ["CONSEQUENCES", "FabConsequences", "PowerOutage", "OUTAGE_SOURCES", "lost_days", "loss_profile",
           "read_outage"]

#: consequence models of an outage: fab (scrap and restart) or none (the hours without power only)
CONSEQUENCES = ("fab", "none")

#: the public sources of the default consequence parameters
OUTAGE_SOURCES: dict[str, str] = {
    "wip_days": "Renesas Electronics (A. Bier, 6 December 2023, as reported): wafer fabrication 16-18 weeks",
    "scrap_share": "Tom's Hardware and AnandTech (March 2018): 50,000-60,000 wafers damaged by a ~30-minute outage "
                   "at Samsung Pyeongtaek; Citi (as reported): about 90,000 wafers a month there",
    "restart_days": "Tom's Hardware (15 March 2018): Pyeongtaek running at planned capacity again within a week",
}


@dataclass(frozen=True)
class FabConsequences:
    """The parameters of the fab consequence model (see the module docstring for their sources)."""

    wip_days: float = 119.0
    scrap_share: float = 55_000 / (90_000 / 30.4 * 119.0)
    restart_days: float = 7.0

    def __post_init__(self) -> None:
        if not (self.wip_days >= 0 and 0 <= self.scrap_share <= 1 and self.restart_days >= 0):
            raise ValueError("wip_days and restart_days must be >= 0 and scrap_share from 0 to 1")


@dataclass(frozen=True)
class PowerOutage:
    """A grid outage of ``hours`` at ``target`` from step ``onset``.

    ``restart_days`` is the incident's documented time from power back to full output (``None``: the
    model's default); ``share`` the share of the target's capacity on the failed grid; ``consequences``
    ``fab`` (scrap and restart) or ``none`` (the hours only).
    """

    target: Target
    hours: float
    onset: int = 0
    restart_days: float | None = None
    share: float = 1.0
    consequences: str = "fab"
    name: str = ""
    params: FabConsequences = field(default_factory=FabConsequences)

    def phases(self) -> tuple[float, float]:
        """(days at full loss, days of linear recovery)."""
        if self.consequences == "none":
            return self.hours / 24.0, 0.0
        p = self.params
        restart = p.restart_days if self.restart_days is None else self.restart_days
        return self.hours / 24.0 + p.scrap_share * p.wip_days, restart


def lost_days(outage: PowerOutage) -> float:
    """Output lost, in days of the target's normal output: ``share · (h/24 + s·W + R/2)``.

    >>> from allychain.model.disruption import Target
    >>> round(lost_days(PowerOutage(Target(countries=("JPN",)), hours=12, restart_days=10,
    ...                             params=FabConsequences(wip_days=100, scrap_share=0.1))), 6)
    15.5
    >>> lost_days(PowerOutage(Target(countries=("JPN",)), hours=12, consequences="none"))
    0.5
    """
    full, ramp = outage.phases()
    return outage.share * (full + ramp / 2.0)


def loss_profile(outage: PowerOutage, steps: int) -> np.ndarray:
    """Share of capacity lost in each of ``steps`` steps (days), integrated exactly over each step.

    The sum over enough steps equals :func:`lost_days`; a step holding part of a phase loses its part.
    """
    full, ramp = outage.phases()
    a, b, c = float(outage.onset), outage.onset + full, outage.onset + full + ramp

    def cumulative(x: np.ndarray) -> np.ndarray:  # ∫_0^x of the loss level (share = 1)
        flat = np.clip(x, a, b) - a
        r = np.clip(x, b, c) - b
        slope = r - (r * r / (2.0 * ramp) if ramp > 0 else 0.0)
        return flat + slope

    edges = np.arange(steps + 1, dtype=float)
    return outage.share * np.diff(cumulative(edges))


def read_outage(spec: Spec) -> PowerOutage:
    """One entry of a scenario's ``power_outages`` list: the target keys, ``hours`` (or ``minutes``),
    ``onset``, ``restart_days``, ``share``, ``consequences``, ``name``."""
    spec.check_keys((*TARGET_KEYS, "hours", "minutes", "onset", "restart_days", "share", "consequences", "name"),
                    TARGET_RENAMED)
    if spec.has("hours") == spec.has("minutes"):
        spec.fail(dict(spec.data), "the outage's length: 'hours' or 'minutes' (one of them)")
    hours = (spec.num("hours", low=0, expected="the outage's length in hours, >= 0") if spec.has("hours")
             else spec.num("minutes", low=0, expected="the outage's length in minutes, >= 0") / 60.0)
    restart = (spec.num("restart_days", low=0, expected="days from power back to full output, >= 0")
               if spec.has("restart_days") else None)
    return PowerOutage(target=read_target(spec), hours=hours,
                       onset=spec.integer("onset", 0, low=0, expected="a step >= 0"), restart_days=restart,
                       share=spec.num("share", 1.0, 0, 1, "the share of the target's capacity on the failed grid, "
                                                           "a fraction from 0 to 1"),
                       consequences=spec.text("consequences", "fab", choices=CONSEQUENCES),
                       name=spec.text("name", ""))
