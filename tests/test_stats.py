"""Critical values and intervals against published tables and scipy."""

from __future__ import annotations

import pytest
from scipy.special import stdtrit

from cxcli.stats import T_SERIES_MIN_DF, t_critical, wilson, z_critical


@pytest.mark.parametrize("confidence", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
@pytest.mark.parametrize("df", [1, 10, 999, T_SERIES_MIN_DF, 1500, 10_000, 10**6, 10**9])
def test_t_critical_equals_scipy_on_both_sides_of_the_series(confidence, df):
    wanted = float(stdtrit(df, 0.5 + confidence / 2))
    assert t_critical(confidence, df) == pytest.approx(wanted, rel=1e-13, abs=0)


def test_published_values():
    assert t_critical(0.95, 10) == pytest.approx(2.228138851986, abs=1e-12)
    assert t_critical(0.95, 1000) == pytest.approx(1.962339081, abs=1e-9)
    assert z_critical(0.95) == pytest.approx(1.959963985, abs=1e-9)


def test_wilson_by_hand():
    low, high = wilson(8, 10, 0.95)  # 80% of 10: [49.02%, 94.33%]
    assert low == pytest.approx(49.016, abs=1e-3) and high == pytest.approx(94.332, abs=1e-3)
    assert wilson(0, 0, 0.95) is None
