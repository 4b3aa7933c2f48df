"""Primary rules and protection levels against hand-solved cases."""

from __future__ import annotations

import pandas as pd
import pytest

from allychain.disclosure import PrimaryRules, assess_cells
from allychain.errors import DataError


def _cell(values, orgs=None, rules=PrimaryRules()):
    orgs = orgs or [f"o{i}" for i in range(len(values))]
    c = pd.DataFrame({"cell": "a", "organisation": orgs, "value": values})
    return assess_cells(c, ["cell"], rules).iloc[0]


def test_p_percent_rule_fires_and_sets_the_classical_protection_level():
    # T = 109, x1 = 100, x2 = 5: the rest (4) is below 10 % of x1 (10) → sensitive
    r = _cell([100.0, 5.0, 4.0])
    assert r.sensitive and r.reason == "p%"
    assert (r.value, r.x1, r.x2, r.contributors) == (109.0, 100.0, 5.0, 3)
    # UPL = p/100·x1 − (T − x1 − x2) = 10 − 4 = 6; LPL = UPL
    assert r.upl == pytest.approx(6.0) and r.lpl == pytest.approx(6.0)


def test_p_percent_rule_quiet_when_the_rest_hides_the_largest():
    r = _cell([100.0, 50.0, 20.0])  # rest 20 ≥ 10
    assert not r.sensitive and r.reason == "" and r.upl == 0.0
    r = _cell([100.0, 50.0, 10.0])  # rest exactly 10: not below p/100·x1
    assert not r.sensitive


def test_p_parameter_is_in_percent():
    # rest 20 against 25 % of 100: sensitive with p = 25, UPL = 25 − 20 = 5
    r = _cell([100.0, 50.0, 20.0], rules=PrimaryRules(p=25.0))
    assert r.sensitive and r.upl == pytest.approx(5.0)


def test_frequency_rule_alone_protects_a_share_of_the_value():
    r = _cell([30.0, 70.0], rules=PrimaryRules(p=None))
    assert r.sensitive and r.reason == "frequency" and r.upl == pytest.approx(10.0)
    r = _cell([30.0, 70.0], rules=PrimaryRules(p=None, frequency_share=25.0))
    assert r.upl == pytest.approx(25.0)
    assert not _cell([30.0, 70.0, 40.0], rules=PrimaryRules(p=None)).sensitive


def test_two_contributors_fail_both_rules_and_the_larger_level_applies():
    # n = 2 < 3: frequency level 10 % of 100 = 10; p%: 0.1·70 − 0 = 7 → 10
    r = _cell([70.0, 30.0])
    assert r.reason == "frequency+p%" and r.upl == pytest.approx(10.0)


def test_contributors_are_organisations_at_holding_level():
    # Two plants of firm F (50 + 50) are one contributor of 100: the rest (4) is under 10 → sensitive.
    r = _cell([50.0, 50.0, 5.0, 4.0], orgs=["F", "F", "G", "H"])
    assert r.sensitive and r.contributors == 3 and r.x1 == 100.0 and r.upl == pytest.approx(6.0)
    # Counted as plants the cell would look safe (x1 = x2 = 50, rest 9 ≥ 5): the wrong answer.
    assert not _cell([50.0, 50.0, 5.0, 4.0]).sensitive


def test_nk_dominance_rule_and_its_protection_level():
    rules = PrimaryRules(min_frequency=0, p=None, nk=(1, 60.0))
    r = _cell([70.0, 20.0, 10.0], rules=rules)
    # x1 = 70 > 60 % of 100; the total must reach 70/0.6 = 116.67 → UPL = 16.67
    assert r.sensitive and r.reason == "nk" and r.upl == pytest.approx(70 / 0.6 - 100)
    assert not _cell([55.0, 25.0, 20.0], rules=rules).sensitive
    # k below 50 % can ask for more than T downwards: LPL is capped at T (figures are non-negative)
    r = _cell([60.0, 40.0, 0.5], rules=PrimaryRules(min_frequency=0, p=None, nk=(2, 40.0)))
    assert r.upl == pytest.approx(100 / 0.4 - 100.5) and r.lpl == pytest.approx(100.5)


def test_zero_figures_do_not_count_as_contributors():
    r = _cell([0.0, 0.0, 100.0, 0.0])
    assert r.contributors == 1 and r.sensitive
    empty = _cell([0.0, 0.0])
    assert empty.contributors == 0 and not empty.sensitive and empty.value == 0.0


def test_bad_figures_are_refused_with_row_and_column():
    c = pd.DataFrame({"cell": ["a", "a"], "organisation": ["F", "G"], "value": [3.0, -1.0]})
    with pytest.raises(DataError, match=r"row 3.*column 'value'"):
        assess_cells(c, ["cell"])
    with pytest.raises(DataError, match="lack column"):
        assess_cells(c.drop(columns="organisation"), ["cell"])


@pytest.mark.parametrize("kw", [{"p": 0.0}, {"p": 150.0}, {"nk": (0, 80.0)}, {"nk": (2, 0.9 * 0)},
                                {"frequency_share": 0.0}, {"min_frequency": -1}])
def test_rule_parameters_are_checked(kw):
    with pytest.raises(ValueError):
        PrimaryRules(**kw)
