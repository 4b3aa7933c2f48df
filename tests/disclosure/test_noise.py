"""Differentially private counts through OpenDP, and the privacy budget."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from allychain.disclosure.noise import PrivacyBudget, noisy_counts
from allychain.errors import DataError, DisclosureError


def test_budget_adds_up_and_refuses_beyond_its_total():
    b = PrivacyBudget(1.0).spend(0.25, "r1").spend(0.5, "r2")
    assert b.used == pytest.approx(0.75) and b.remaining == pytest.approx(0.25)
    assert [s for s, _ in b.spent] == ["r1", "r2"]
    with pytest.raises(DisclosureError, match="release r3 needs ε = 0.3 but only 0.25"):
        b.spend(0.3, "r3")
    assert PrivacyBudget.from_dict(b.to_dict()) == b
    with pytest.raises(ValueError):
        PrivacyBudget(0.0)


def test_a_refused_release_draws_no_noise_and_spends_nothing():
    b = PrivacyBudget(0.5)
    with pytest.raises(DisclosureError):
        noisy_counts(pd.Series([10, 20]), 1.0, b, "too-much")
    assert b.spent == ()


def test_bad_counts_are_refused():
    with pytest.raises(DataError, match="non-negative integers"):
        noisy_counts(pd.Series([3, -1]), 0.5, PrivacyBudget(1.0), "r")
    with pytest.raises(DataError):
        noisy_counts(pd.Series([3.5]), 0.5, PrivacyBudget(1.0), "r")


def _discrete_laplace_abs_mean(scale: float) -> float:
    t = math.exp(-1 / scale)
    return 2 * t / (1 - t * t)  # E|X| for P(x) ∝ t^|x|


@pytest.mark.parametrize(("epsilon", "cells"), [(0.5, 1), (1.0, 3)])
def test_noise_has_the_calibrated_scale_and_the_stated_95_percent_interval(epsilon, cells):
    n = 20000
    true = pd.Series(np.full(n, 1000), index=[f"item{i}" for i in range(n)])
    out, after = noisy_counts(true, epsilon, PrivacyBudget(10.0), "r1", cells_per_organisation=cells)
    scale = cells / epsilon
    assert (out["scale"] == scale).all() and after.used == pytest.approx(epsilon)
    err = out["count"].to_numpy() - 1000
    assert np.all(err == np.round(err))  # integer noise (discrete Laplace)
    assert abs(err.mean()) < 0.05 * scale + 0.05  # unbiased (SE ≈ 1.4 scale / √n)
    assert np.abs(err).mean() == pytest.approx(_discrete_laplace_abs_mean(scale), rel=0.04)
    h = int(out["ci95"].iloc[0])
    assert np.mean(np.abs(err) <= h) >= 0.94  # the stated half-width covers 95 % (sampling slack 1 %)
    assert np.mean(np.abs(err) <= h - 1) < 0.96  # and is not needlessly wide


def test_small_counts_are_never_shown_negative():
    out, _ = noisy_counts(pd.Series(np.zeros(2000, dtype=int)), 0.2, PrivacyBudget(1.0), "zeros")
    assert (out["count"] >= 0).all() and (out["count"] > 0).any()
