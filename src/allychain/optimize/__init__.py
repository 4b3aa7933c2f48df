"""Decisions: time-to-survive vs time-to-recover, emergency allocation, stockpile sizing.

Each model follows build → solve → typed :class:`~allychain.optimize.result.Result`.
The LP solver is HiGHS (``highspy``, in the ``[optimize]`` extra), imported lazily.
"""

from typing import Any

from allychain.optimize.result import Result, Status

__all__ = ["Result", "Status", "tts_ttr", "tts_ttr_montecarlo", "allocate", "size_stockpile", "site_network",
           "unprotected_nodes", "Unprotected"]


def __getattr__(name: str) -> Any:  # lazy re-exports keep 'import allychain' light
    if name in ("tts_ttr_montecarlo", "triangular_sampler"):
        from allychain.optimize import montecarlo

        return getattr(montecarlo, name)
    if name in ("tts_ttr", "build_model", "disruption_groups"):
        from allychain.optimize import ttr_tts

        return getattr(ttr_tts, name)
    if name == "allocate":
        from allychain.optimize.allocation import allocate

        return allocate
    if name == "size_stockpile":
        from allychain.optimize.stockpile import size_stockpile

        return size_stockpile
    if name in ("unprotected_nodes", "Unprotected"):
        from allychain.optimize import unprotected

        return getattr(unprotected, name)
    if name == "site_network":
        from allychain.optimize.country import site_network

        return site_network
    raise AttributeError(name)
