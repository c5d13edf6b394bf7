"""CES against hand-computed cases and its edges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ttest_ind

from cxcli.kpis.ces import Ces


def test_mean_boxes_and_index_on_1_to_7():
    est = Ces().compute({"score": [7, 6, 5, 4, 3, 2, 1, 7]})
    assert est.value == pytest.approx(35 / 8)
    assert est.details["easy"] == 4 and est.details["difficult"] == 3
    assert est.details["pct_easy"] == 50.0
    assert est.details["index"] == pytest.approx(50.0 - 37.5)


def test_t_interval_by_hand():
    est = Ces().compute({"score": [3, 4, 5, 3, 4, 5]})
    # mean 4, sd sqrt(4/5), n 6, t(0.975, 5) = 2.570582
    half = 2.570582 * (4 / 5) ** 0.5 / 6**0.5
    assert est.ci == pytest.approx((4 - half, 4 + half))


def test_interval_is_kept_on_the_scale():
    est = Ces().compute({"score": [7, 6]})
    assert est.ci[1] == 7 and est.ci[0] >= 1


def test_lower_is_easier_flips_boxes_and_direction():
    kpi = Ces(scale="1-5", lower_is_easier=True)
    est = kpi.compute({"score": [1, 2, 5, 3]})
    assert est.details["pct_easy"] == 50.0 and est.details["pct_difficult"] == 25.0
    assert est.value == pytest.approx(2.75)
    assert kpi.higher_is_better is False


def test_single_row_has_no_interval():
    est = Ces().compute({"score": [6]})
    assert est.value == 6.0 and est.ci is None and est.details["sd"] is None


def test_constant_scores_get_the_distribution_free_interval():
    """All answers 5 of 1-7 at n = 3: the Wilson lower bound of 3/3 at 95% is 1 / (1 + z²/3)
    = 0.4385; the rest of the answers could lie anywhere on the scale."""
    est = Ces().compute({"score": [5, 5, 5]})
    rest = 1 - 1 / (1 + 1.959963984540054**2 / 3)
    assert est.ci == pytest.approx((5 - 4 * rest, 5 + 2 * rest), abs=1e-12)
    assert Ces().compute({"score": [7] * 50}).ci[0] > 6.5  # narrower as n grows
    low, high = Ces(scale="1-5").compute({"score": [1] * 10}).ci
    assert low == 1 and 1 < high < 5


def test_invalid_values():
    est = Ces().compute({"score": [8, 0, "x", 7]})
    assert est.n == 1


def test_welch():
    kpi = Ces()
    a = kpi.update(kpi.init(), {"score": np.array([4, 5, 6] * 20)})
    b = kpi.update(kpi.init(), {"score": np.array([5, 6, 7] * 20)})
    test = kpi.compare(a, b, 0.95)
    wanted = ttest_ind([4, 5, 6] * 20, [5, 6, 7] * 20, equal_var=False).pvalue
    assert test.p_value == pytest.approx(wanted, rel=1e-10) and test.method == "welch_t"
    # mde = (z.975 + z.8) · se, se = √(2 · (40/59) / 60)
    assert test.mde == pytest.approx((1.959964 + 0.841621) * (2 * 40 / 59 / 60) ** 0.5, rel=1e-6)
    assert kpi.compare(a, kpi.update(kpi.init(), {"score": np.array([5])}), 0.95) is None
