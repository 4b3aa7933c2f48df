"""Random tables with random contributors: every release passes an independent audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from independent_audit import violations

from allychain.disclosure import PrimaryRules, ReleaseLog, audit_releases, margin_table, release

pytest.importorskip("highspy")


@st.composite
def contributions(draw: st.DrawFn) -> pd.DataFrame:
    """Items × countries; each cell 0–4 figures from a pool of organisations (so holdings
    span cells), sizes log-uniform over three orders of magnitude (realistic skew)."""
    n_items = draw(st.integers(1, 4))
    n_countries = draw(st.integers(1, 4))
    n_orgs = draw(st.integers(1, 7))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_items):
        for c in range(n_countries):
            for _ in range(int(rng.integers(0, 5))):
                rows.append((f"i{i}", f"c{c}", f"org{int(rng.integers(n_orgs))}", float(np.round(10 ** rng.uniform(0, 3)))))
    if not rows:
        rows.append(("i0", "c0", "org0", 5.0))
    return pd.DataFrame(rows, columns=["item", "country", "organisation", "value"])


rules = st.sampled_from([PrimaryRules(), PrimaryRules(p=20.0, min_frequency=2), PrimaryRules(nk=(2, 85.0)),
                         PrimaryRules(min_frequency=4, frequency_share=25.0)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contributions(), rules, st.sampled_from(["value", "count"]))
def test_every_release_passes_an_independent_audit(c, r, objective):
    t = margin_table(c, r, name="capacity")
    rel, report = release(t, objective=objective)
    assert report.safe
    pub = rel.published()
    # nothing but the published figures leaves, and the independent attacker cannot narrow any sensitive cell
    assert pub["value"].isna().sum() == rel.suppressed.sum()
    assert violations([(pub, t.cells)]) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contributions(), st.data())
def test_a_correction_released_against_the_log_is_safe_together_with_the_original(c, data):
    t1 = margin_table(c, name="capacity")
    r1, _ = release(t1)
    log = ReleaseLog().append(r1)
    # one member corrects one figure
    k = data.draw(st.integers(0, len(c) - 1))
    factor = data.draw(st.sampled_from([0.0, 0.5, 2.0, 10.0]))
    c2 = c.copy()
    c2.iloc[k, c2.columns.get_loc("value")] = float(np.round(c2.iloc[k]["value"] * factor))
    t2 = margin_table(c2, name="capacity")
    r2, report = release(t2, log)
    assert report.safe and r2.meta["linked_releases"] == ["r1"]
    both = [(r1.published(), t1.cells), (r2.published(), t2.cells)]
    assert violations(both) == []
    assert audit_releases(log.append(r2)).safe
