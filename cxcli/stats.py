"""Confidence intervals and two-sample tests used by the KPIs (normal and Student t)."""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

_NORMAL = NormalDist()


@functools.lru_cache(maxsize=16)
def z_critical(confidence: float) -> float:
    """The two-sided normal critical value, 1.959964 for 0.95."""
    return _NORMAL.inv_cdf(0.5 + confidence / 2)


def two_sided_p_normal(z: float) -> float:
    return 2.0 * (1.0 - _NORMAL.cdf(abs(z)))


T_SERIES_MIN_DF = 1000  # from here the series below equals scipy's quantile to 1e-13


def t_critical(confidence: float, df: float) -> float:
    """The two-sided Student t critical value. For df ≥ 1000 (every mean over a large file)
    it is the Cornish-Fisher series in 1/df (Abramowitz & Stegun 26.7.5), within 1e-13 of
    scipy (tested), which then need not be imported: scipy costs 0.2-0.5 s to import."""
    p = 0.5 + confidence / 2
    if df < T_SERIES_MIN_DF:
        from scipy.special import stdtrit

        return float(stdtrit(df, p))
    z = _NORMAL.inv_cdf(p)
    z2 = z * z
    terms = (
        (z2 + 1) * z / 4,
        ((5 * z2 + 16) * z2 + 3) * z / 96,
        (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384,
        ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160,
    )
    return z + sum(term / df**power for power, term in enumerate(terms, start=1))


def two_sided_p_t(t: float, df: float) -> float:
    from scipy.special import stdtr

    return float(2.0 * stdtr(df, -abs(t)))


def wilson(successes: int, n: int, confidence: float) -> tuple[float, float] | None:
    """Wilson score interval for a proportion, as percentages."""
    if n == 0:
        return None
    z = z_critical(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def nps_adjusted(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    """Adjusted-Wald NPS (as a fraction) and its variance: n+3, promoters and detractors +0.75."""
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    return p - d, (p + d - (p - d) ** 2) / n_adj


def nps_interval(promoters: int, detractors: int, n: int, confidence: float):
    """Adjusted-Wald interval for NPS on the -100..100 scale."""
    if n == 0:
        return None
    centre, variance = nps_adjusted(promoters, detractors, n)
    half = z_critical(confidence) * math.sqrt(variance)
    return 100 * max(-1.0, centre - half), 100 * min(1.0, centre + half)


def mean_interval(mean: float, sd: float, n: int, confidence: float):
    """Student-t interval of a mean; None below two observations."""
    if n < 2:
        return None
    half = t_critical(confidence, n - 1) * sd / math.sqrt(n)
    return mean - half, mean + half


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Pooled two-proportion z-test."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    return two_sided_p_normal((k2 / n2 - k1 / n1) / se)


def welch_p(m1: float, v1: float, n1: int, m2: float, v2: float, n2: int) -> float | None:
    """Welch's unequal-variance t-test on two means (v = sample variances)."""
    if n1 < 2 or n2 < 2:
        return None
    a, b = v1 / n1, v2 / n2
    if a + b == 0:
        return 1.0 if m1 == m2 else 0.0
    t = (m2 - m1) / math.sqrt(a + b)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    return two_sided_p_t(t, df)
