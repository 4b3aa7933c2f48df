"""Stocks a buyer holds of an input, by the input's class — the simulation's default
inventory targets on share networks, with their sources.

=========  ==============  ==============================================================
class      days of use     basis
=========  ==============  ==============================================================
tool       1,825 (5 years) tools are capital goods: a fab runs its installed base, and a
                           halt in deliveries stops additions to it, not the running tools.
                           The installed base is years of deliveries; five years is the
                           recovery period of semiconductor manufacturing equipment (IRS
                           Publication 946, asset class 36.0: class life 6 years, 5-year
                           recovery) and the useful life fabs state for production
                           machinery in their filings (five years at Intel until 2023, when
                           it was raised to eight).  With the engine's ``psi = 0.8`` a buyer
                           cut off from new tools first loses output after a year.
(other)    —               the engine's ``inventory_days`` (90 by default)
=========  ==============  ==============================================================

Other classes keep the engine's default: for specialty gases and chemicals the public
record gives about three months (Korean chipmakers' rare gases "usually stocked up three
months in advance", 2022) and about one month (Korean stocks of the three materials Japan
restricted in 2019, as reported by the Yomiuri Shimbun), so the 90-day default stands
(docs/simulation.md, "What the defaults rest on").
"""

from __future__ import annotations

import math

from allychain.model.recovery import CLASS_OF_KIND

__all__ = ["STOCK_DAYS_BY_CLASS", "STOCK_SOURCES", "stock_days"]

#: default stock of an input, days of use, by the input's TTR class (classes not listed: the
#: engine's ``inventory_days``)
STOCK_DAYS_BY_CLASS: dict[str, float] = {"tool": 5 * 365.0}

STOCK_SOURCES: dict[str, str] = {
    "tool": "installed base of capital equipment: 5-year recovery period of semiconductor manufacturing "
            "equipment (IRS Publication 946, How to Depreciate Property, asset class 36.0) and the 5-year useful "
            "life of production machinery in fab operators' filings (Intel Form 10-K, to 2022)",
}


def stock_days(kind: object) -> float:
    """Default stock of an input of item ``kind`` in days of use; NaN where the engine's
    ``inventory_days`` applies.

    >>> stock_days("tool")
    1825.0
    >>> stock_days("chemical")
    nan
    """
    if not isinstance(kind, str) or kind not in CLASS_OF_KIND:
        return math.nan
    return STOCK_DAYS_BY_CLASS.get(CLASS_OF_KIND[kind], math.nan)
