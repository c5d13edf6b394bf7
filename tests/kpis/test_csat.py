"""CSAT against hand-computed cases and its edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxcli.errors import UsageError
from cxcli.kpis.csat import Csat


def test_top2box_default_on_1_to_5():
    est = Csat().compute({"score": [5, 4, 3, 2, 1]})
    assert est.value == pytest.approx(40.0)
    assert est.details["satisfied"] == 2 and est.details["mean"] == 3.0
    assert Csat().definition == "csat.top2box"


def test_wilson_interval_by_hand():
    est = Csat().compute({"score": [5, 4, 3, 2, 1]})
    z, n, p = 1.959963985, 5, 0.4
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert est.ci == pytest.approx((100 * (centre - half), 100 * (centre + half)))


@pytest.mark.parametrize(
    ("scale", "satisfied", "scores", "value", "definition"),
    [
        ("1-7", None, [7, 6, 5, 1], 50.0, "csat.top2box"),
        ("1-7", 5, [7, 6, 5, 1], 75.0, "csat.top3box"),
        ("1-3", None, [3, 2, 1, 3], 50.0, "csat.top1box"),
        ("0-10", None, [10, 9, 8, 0], 50.0, "csat.top2box"),
        ("1-10", 8, [10, 9, 8, 7], 75.0, "csat.top3box"),
    ],
)
def test_scales_and_thresholds(scale, satisfied, scores, value, definition):
    kpi = Csat(scale=scale, satisfied=satisfied)
    assert kpi.compute({"score": scores}).value == pytest.approx(value)
    assert kpi.definition == definition


def test_out_of_scale_is_invalid():
    est = Csat().compute({"score": [6, 0, 5, "4.0"]})
    assert est.n == 2 and est.value == 100.0


def test_bad_options():
    with pytest.raises(UsageError):
        Csat(scale="2-9")
    with pytest.raises(UsageError):
        Csat(satisfied=6)


def test_empty():
    est = Csat().compute({"score": []})
    assert est.value is None and est.ci is None and est.details["mean"] is None


def test_all_satisfied_interval_stays_in_range():
    est = Csat().compute({"score": [5, 5, 5]})
    assert est.value == 100.0 and est.ci[1] == pytest.approx(100.0) and est.ci[0] < 100


def test_compare_pooled_z():
    kpi = Csat()
    a = kpi.update(kpi.init(), {"score": np.array([5] * 60 + [1] * 40)})
    b = kpi.update(kpi.init(), {"score": np.array([5] * 80 + [1] * 20)})
    # by hand: pooled 0.7, se = sqrt(.7*.3*(2/100)) = 0.0648; z = 0.2/0.0648 = 3.086
    test = kpi.compare(a, b, 0.95)
    assert test.p_value == pytest.approx(0.002028, rel=1e-2) and test.method == "pooled_z"
    assert test.mde == pytest.approx(100 * (1.959964 + 0.841621) * (0.21 * 0.02) ** 0.5, rel=1e-6)
    assert kpi.compare(a, a, 0.95).p_value == pytest.approx(1.0)
    both_full = kpi.update(kpi.init(), {"score": np.array([5, 5])})
    assert kpi.compare(both_full, both_full, 0.95).p_value == 1.0
