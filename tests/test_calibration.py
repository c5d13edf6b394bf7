"""The size of the change tests by exact enumeration (bench/calibration.py's harness, which
`make calibration` runs with its simulations): every pair of samples is listed with its
probability under one true distribution, so the false-positive rate is exact, not simulated."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent.parent / "bench" / "calibration.py"
spec = importlib.util.spec_from_file_location("calibration", HARNESS)
calibration = importlib.util.module_from_spec(spec)
spec.loader.exec_module(calibration)


@pytest.mark.parametrize("n", [10, 20, 30, 50])
def test_nps_change_test_size_is_at_most_six_percent(n):
    size, truth = calibration.nps_test_size(n, n)
    assert size <= 0.06, (n, truth)


@pytest.mark.parametrize(("n1", "n2"), [(10, 13), (10, 40), (13, 47)])
def test_nps_change_test_size_with_unequal_samples(n1, n2):
    size, truth = calibration.nps_test_size(n1, n2)
    assert size <= 0.06, (n1, n2, truth)


@pytest.mark.parametrize(
    ("n1", "n2"), [(10, 10), (13, 13), (20, 20), (30, 30), (50, 50), (10, 300), (25, 50)]
)
def test_share_change_test_size_is_at_most_six_percent(n1, n2):
    size, share = calibration.share_test_size(n1, n2)
    assert size <= 0.06, (n1, n2, share)


def test_the_old_nps_test_would_fail_here():
    """The unpooled z test (adjusted-Wald variances, n + 3) this replaces: 0.108 at n = 10 near
    NPS 0 in the audit; the harness must see it, or it could not fail."""
    import math

    from cxcli import stats

    def old(promoters, detractors, n, confidence):
        def variance(p, d, n):
            p, d = (p + 0.75) / (n + 3), (d + 0.75) / (n + 3)
            return (p + d - (p - d) ** 2) / (n + 3)

        (p1, p2), (d1, d2), (n1, n2) = promoters, detractors, n
        delta = (p2 - d2) / n2 - (p1 - d1) / n1
        z = delta / math.sqrt(variance(p1, d1, n1) + variance(p2, d2, n2))
        return stats.Test(stats.two_sided_p_normal(z), None, "old")

    calibration._nps_rejects.cache_clear()
    original, stats.nps_change_test = stats.nps_change_test, old
    try:
        size, _ = calibration.nps_test_size(10, 10, [(0.3, 0.3)])
    finally:
        stats.nps_change_test = original
        calibration._nps_rejects.cache_clear()
    assert size > 0.1
