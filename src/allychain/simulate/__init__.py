"""Disruption simulation: an ARIO-family dynamic supply-network model.

Layers: :mod:`~allychain.simulate.kernels` (one step's physics, pure numpy) →
:mod:`~allychain.simulate.engine` (time loop) → :mod:`~allychain.simulate.recorder`
(observer collecting arrays).  :func:`simulate` is the entry point; see
``docs/simulation.md`` for the equations.
"""

from allychain.simulate.api import build_system, capacity_path_array, merge_paths, run_scenario, simulate
from allychain.simulate.forcing import Forcing, ShockArrays
from allychain.simulate.memory import MemoryEstimate, estimate_memory, estimate_montecarlo_memory
from allychain.simulate.params import Params
from allychain.simulate.recorder import SimResult, loss_metrics
from allychain.simulate.system import SimSystem, from_iotables

__all__ = [
    "estimate_memory",
    "estimate_montecarlo_memory",
    "MemoryEstimate",
    "simulate",
    "run_scenario",
    "build_system",
    "merge_paths",
    "capacity_path_array",
    "Forcing",
    "ShockArrays",
    "Params",
    "SimResult",
    "SimSystem",
    "from_iotables",
    "loss_metrics",
]
