"""Solving the TTS/TTR programme: one HiGHS instance, disruptions as bound changes.

:class:`Solver` loads the compiled :class:`~allychain.optimize.tts_model.TTSModel` once;
each disruption changes bounds and re-solves warm-started.
"""

from __future__ import annotations

import math

import numpy as np

from allychain.errors import SolverError
from allychain.lp import highs, load_lp, new_highs, status_of
from allychain.optimize.result import Status
from allychain.optimize.tts_model import TTSModel

__all__ = ["Solver"]


class Solver:
    """One HiGHS instance holding the model; disruptions change bounds and re-solve."""

    def __init__(self, model: TTSModel, lose_inventory: bool = False, horizon: float = 1e6) -> None:
        self.m = model
        self.horizon = float(horizon)
        self.lose_inventory = lose_inventory
        self.h = load_lp(model.lp, new_highs())
        # re-solves start from the previous basis: presolve would only redo work on each call,
        # and Dantzig pricing avoids recomputing steepest-edge weights after every bound change
        # (3-4x faster re-solves on the 1,000-node benchmark)
        self.h.setOptionValue("presolve", "off")
        self.h.setOptionValue("simplex_dual_edge_weight_strategy", 0)
        self.inf = highs().kHighsInf
        self.D = len(model.demand_nodes)
        # Loss weights are money per unit (margins of 1e10 and more) while every other
        # coefficient is a quantity near 1; such a cost range breaks warm re-solves in HiGHS
        # (status 'Not Set' after switching from the TTS mode). The programme is solved with
        # weights scaled to at most 1 and the impact scaled back.
        peak = float(np.max(np.abs(model.weight))) if self.D else 0.0
        self.wscale = peak if math.isfinite(peak) and peak > 0 else 1.0
        self.set_mode("impact")

    def set_mode(self, mode: str) -> None:
        m, h, D = self.m, self.h, self.D
        l_idx = np.arange(m.l0, m.l0 + D, dtype=np.int32)
        if mode == "tts":
            if D:
                h.changeColsCost(D, l_idx, np.zeros(D))
                h.changeColsBounds(D, l_idx, np.zeros(D), np.zeros(D))
            h.changeColCost(m.t_col, -1.0)
            h.changeColBounds(m.t_col, 0.0, self.horizon if math.isfinite(self.horizon) else self.inf)
        else:
            if D:
                h.changeColsCost(D, l_idx, m.weight / self.wscale)
                h.changeColsBounds(D, l_idx, np.zeros(D), np.full(D, self.inf))
            h.changeColCost(m.t_col, 0.0)
        self.mode = mode

    def _disrupt(self, idx: np.ndarray, on: bool) -> None:
        k = len(idx)
        if not k:
            return
        self.h.changeColsBounds(k, idx, np.zeros(k), np.zeros(k) if on else np.full(k, self.inf))
        if self.lose_inventory:
            for i in idx:
                self.h.changeRowBounds(int(self.m.n_nodes + i), -self.inf, 0.0 if on else float(self.m.inventory[i]))

    def _run(self, what: str) -> tuple[Status, str]:
        self.h.run()
        st, text = status_of(self.h)
        if st == Status.error:
            # a warm start HiGHS cannot continue from: solve once more from scratch
            self.h.clearSolver()
            self.h.run()
            st, text = status_of(self.h)
        if st == Status.error:
            raise SolverError(f"HiGHS could not solve the {what}: model status '{text}'")
        return st, text

    def tts(self, idx: np.ndarray, what: str) -> float:
        if self.mode != "tts":
            self.set_mode("tts")
        self._disrupt(idx, True)
        try:
            st, text = self._run(what)
            value = -float(self.h.getInfo().objective_function_value)  # read before the model changes
        finally:
            self._disrupt(idx, False)
        if st == Status.unbounded or value >= self.horizon * (1 - 1e-9):
            return math.inf
        if st != Status.optimal:
            raise SolverError(f"the TTS programme for {what} is {text}; t = 0 should always be feasible — "
                              "check for negative inventories or capacities")
        return value + 0.0

    def impact(self, idx: np.ndarray, ts: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
        if self.mode != "impact":
            self.set_mode("impact")
        m = self.m
        out = np.full(len(ts), math.nan)
        lost = np.full(len(ts), math.nan)
        self._disrupt(idx, True)
        try:
            for k, t in enumerate(ts):
                if not math.isfinite(t):
                    continue
                self.h.changeColBounds(m.t_col, float(t), float(t))
                st, text = self._run(what)
                if st != Status.optimal:
                    raise SolverError(f"the impact programme for {what} at t={t:g} is {text}; "
                                      "losing all demand should always be feasible")
                out[k] = float(self.h.getInfo().objective_function_value) * self.wscale
                if self.D:
                    x = self.h.getSolution().col_value
                    lost[k] = float(np.sum(np.asarray(x[m.l0:m.l0 + self.D])))
                else:
                    lost[k] = 0.0
        finally:
            self._disrupt(idx, False)
        return out, lost


