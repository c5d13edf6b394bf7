"""Confidence intervals and two-sample tests used by the KPIs, with the minimum detectable
effect of each test. Which method each KPI uses, and how each was checked (coverage and size by
simulation and exact enumeration: `make calibration`), is in the README's statistics section."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_NORMAL = NormalDist()
POWER = 0.8  # the power at which a change's minimum detectable effect is given
EXPECTED_MIN = 20  # below this expected count in a cell a change is tested exactly
# below this expected count in a cell a change is tested exactly
EXACT_SUPPORT_MAX = 1_000_000  # the largest conditional support enumerated


@dataclass(frozen=True)
class Test:
    """A two-sample test of a change: its two-sided p-value, the smallest change it would
    detect with POWER at the run's confidence (in the KPI's units), and the method's name."""

    p_value: float
    mde: float | None
    method: str


def detectable(se: float, confidence: float) -> float:
    """The minimum detectable effect of a two-sided z test: (z_α/2 + z_power) · se."""
    return (z_critical(confidence) + _NORMAL.inv_cdf(POWER)) * se


@functools.lru_cache(maxsize=16)
def z_critical(confidence: float) -> float:
    """The two-sided normal critical value, 1.959964 for 0.95."""
    return _NORMAL.inv_cdf(0.5 + confidence / 2)


def two_sided_p_normal(z: float) -> float:
    """2 · (1 − Φ(|z|)), accurate far into the tail (1e-28 is not 0)."""
    return math.erfc(abs(z) / math.sqrt(2))


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


BOOTSTRAP_MIN_N = 10  # from this n to BOOTSTRAP_MAX_N a duration mean's interval is a
BOOTSTRAP_MAX_N = 1000  # studentised bootstrap (below: too few values to resample)
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20250101  # fixed: the same values give the same interval on every run


def bootstrap_t_interval(values: np.ndarray, confidence: float) -> tuple[float, float] | None:
    """The studentised (bootstrap-t) interval of a mean, from BOOTSTRAP_RESAMPLES resamples
    with a fixed seed, of the sorted values (so neither the run nor the order in which partial
    states merged changes it). On skewed durations it covers far better than Student t at
    small n (lognormal σ = 1.5: 0.89 vs 0.79 at n = 30; `make calibration`). None when the
    values have no spread."""
    import numpy as np

    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    if n < 2:
        return None
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    if sd == 0 or x[0] == x[-1]:  # equal values: their float sd may be a rounding error
        return None
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    centred = x - mean  # resampled around the mean: sums of squares stay exact enough
    studentised = []
    step = max(1, 2_000_000 // n)  # resamples per chunk: at most 8 MB of indices
    for start in range(0, BOOTSTRAP_RESAMPLES, step):
        count = min(step, BOOTSTRAP_RESAMPLES - start)
        sample = centred[rng.integers(0, n, size=(count, n), dtype=np.int32)]
        shift = sample.sum(axis=1) / n  # the resample's mean minus the sample's
        squares = np.einsum("ij,ij->i", sample, sample) - n * shift * shift
        spread = np.sqrt(np.maximum(squares, 0.0) / (n - 1))
        keep = spread > 0
        studentised.append(shift[keep] / (spread[keep] / math.sqrt(n)))
    t = np.concatenate(studentised)
    if t.size < BOOTSTRAP_RESAMPLES // 2:  # most resamples without spread: no interval
        return None
    alpha = 1 - confidence
    upper, lower = np.quantile(t, [1 - alpha / 2, alpha / 2])
    scale = sd / math.sqrt(n)
    return mean - float(upper) * scale, mean - float(lower) * scale


def quantile_ranks(n: int, p: float, confidence: float) -> tuple[int, int] | None:
    """The order statistics (1-based ranks l ≤ u) that bracket the p-quantile with at least
    `confidence`, whatever the distribution: P(X(l) ≤ ξp ≤ X(u)) ≥ confidence, α/2 each
    side, from the binomial(n, p) (exact up to n = 1000, its normal approximation beyond).
    None when n is too small for any pair to reach the confidence."""
    alpha = 1 - confidence
    if n > BOOTSTRAP_MAX_N:
        z = z_critical(confidence)
        spread = z * math.sqrt(n * p * (1 - p))
        low, high = math.floor(n * p - spread), math.ceil(n * p + spread) + 1
    else:
        import numpy as np
        from scipy.special import bdtr

        cdf = bdtr(np.arange(n + 1), n, p)  # P(B ≤ k), k = 0..n
        lows = np.flatnonzero(cdf <= alpha / 2)  # P(B ≤ l − 1) ≤ α/2 → l = k + 1
        highs = np.flatnonzero(cdf >= 1 - alpha / 2)  # P(B ≤ u − 1) ≥ 1 − α/2 → u = k + 1
        if not lows.size or not highs.size:
            return None
        low, high = int(lows[-1]) + 1, int(highs[0]) + 1
    if low < 1 or high > n:
        return None
    return low, high


def constant_mean_interval(
    value: float, n: int, bounds: tuple[float, float], confidence: float
) -> tuple[float, float]:
    """The interval of a mean on a bounded scale when all n answers are equal (the t interval
    has width zero there): the Wilson lower bound q of the share of answers equal to `value`,
    and the rest as far away as the scale allows: [v − (v − low)(1 − q), v + (high − v)(1 − q)].
    Distribution-free, and as wide as n answers honestly leave it."""
    low, high = bounds
    q = wilson(n, n, confidence)
    assert q is not None
    rest = 1 - q[0] / 100
    return value - (value - low) * rest, value + (high - value) * rest


def two_proportion_test(k1: int, n1: int, k2: int, n2: int, confidence: float) -> Test | None:
    """The change of a share (k of n, as a percentage). A pooled two-proportion z test when
    every expected count of the smaller group is at least EXPECTED_MIN; otherwise the exact
    conditional (Fisher) test on the difference, whose size never exceeds α."""
    if n1 == 0 or n2 == 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    mde = 100 * detectable(se, confidence)
    counts = (k1 + k2, n1 + n2 - k1 - k2)
    if min(n1, n2) * min(c for c in counts if c) / (n1 + n2) < EXPECTED_MIN:
        p = _exact_proportions(k1, n1, k2, n2)
        if p is not None:
            return Test(p, mde, "fisher_exact")
    if se == 0:
        return Test(1.0, mde, "pooled_z")
    return Test(two_sided_p_normal((k2 / n2 - k1 / n1) / se), mde, "pooled_z")


def _log_choose_upto(n: int, top: int) -> np.ndarray:
    """log C(n, k) for k = 0..top (top ≤ n), as a running sum of log((n − k + 1) / k): no
    scipy needed (its import costs 0.2-0.5 s)."""
    import numpy as np

    k = np.arange(1, top + 1, dtype=np.float64)
    return np.concatenate([[0.0], np.cumsum(np.log(n - k + 1) - np.log(k))])


def _log_choose(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _exact_proportions(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Two-sided exact conditional p: given the k1 + k2 successes, the chance that the first
    group's count lies at least as far from its expectation as observed (hypergeometric)."""
    import numpy as np

    total, n = k1 + k2, n1 + n2
    x = np.arange(max(0, n1 - (n - total)), min(total, n1) + 1)
    if x.size > EXACT_SUPPORT_MAX:
        return None
    successes = _log_choose_upto(total, min(total, n1))[x]
    failures = _log_choose_upto(n - total, min(n - total, n1))[n1 - x]
    weights = np.exp(successes + failures - _log_choose(n, n1))
    distance, observed = np.abs(x - n1 * total / n), abs(k1 - n1 * total / n)
    far = distance > observed + 1e-9
    tied = np.abs(distance - observed) <= 1e-9
    return float(min(1.0, weights[far | tied].sum()))


def nps_change_test(
    promoters: tuple[int, int], detractors: tuple[int, int], n: tuple[int, int], confidence: float
) -> Test | None:
    """The change of an NPS between two samples. Under the null both share one distribution:
    a z test with the pooled variance (p + d − (p − d)²)(1/n1 + 1/n2) when every category's
    expected count in the smaller sample is at least EXPECTED_MIN, else the exact conditional
    (permutation) test of the NPS difference given the pooled counts. Its size is ≤ 0.06 from
    n = 10 (exact enumeration in `make calibration`)."""
    (p1, p2), (d1, d2), (n1, n2) = promoters, detractors, n
    if n1 == 0 or n2 == 0:
        return None
    total = n1 + n2
    p, d = (p1 + p2) / total, (d1 + d2) / total
    se = math.sqrt(max(0.0, p + d - (p - d) ** 2) * (1 / n1 + 1 / n2))
    mde = 100 * detectable(se, confidence)
    counts = (p1 + p2, d1 + d2, total - p1 - p2 - d1 - d2)
    if min(n1, n2) * min(c for c in counts if c) / total < EXPECTED_MIN:
        exact = _exact_nps(p1, d1, n1, p2, d2, n2)
        if exact is not None:
            return Test(exact, mde, "permutation_exact")
    if se == 0:
        return Test(1.0, mde, "pooled_z")
    delta = (p2 - d2) / n2 - (p1 - d1) / n1
    return Test(two_sided_p_normal(delta / se), mde, "pooled_z")


def _exact_nps(p1: int, d1: int, n1: int, p2: int, d2: int, n2: int) -> float | None:
    """The exact conditional p of the first sample's (p1, d1), from `nps_exact_table`."""
    table = nps_exact_table(p1 + p2, d1 + d2, n1, n2)
    return None if table is None else float(table[p1, d1])


def nps_exact_table(promoters: int, detractors: int, n1: int, n2: int) -> np.ndarray | None:
    """Given P promoters and D detractors among n1 + n2 answers, the first sample's (x, y) is
    multivariate hypergeometric and its NPS difference moves with x − y. The p-value of each
    (x, y) is the chance of an x − y at least as far from its expectation (NaN where (x, y)
    is impossible); None when the support is too large to enumerate."""
    import numpy as np

    total = n1 + n2
    passives = total - promoters - detractors
    x = np.arange(min(promoters, n1) + 1)[:, None]
    y = np.arange(min(detractors, n1) + 1)[None, :]
    if x.size * y.size > EXACT_SUPPORT_MAX:
        return None
    xs, ys = np.broadcast_arrays(x, y)
    rest = n1 - xs - ys
    possible = (rest >= 0) & (rest <= passives)
    log_weights = (
        _log_choose_upto(promoters, x.size - 1)[xs]
        + _log_choose_upto(detractors, y.size - 1)[ys]
        + _log_choose_upto(passives, min(passives, n1))[np.clip(rest, 0, min(passives, n1))]
        - _log_choose(total, n1)
    )
    weights = np.where(possible, np.exp(log_weights), 0.0)
    distance = np.abs(xs - ys - n1 * (promoters - detractors) / total)
    order = np.argsort(-distance, axis=None, kind="stable")
    flat_distance = distance.reshape(-1)[order]
    tail = np.cumsum(weights.reshape(-1)[order])  # P(distance ≥ this one's), ties included:
    last_tie = np.searchsorted(-flat_distance, 1e-9 - flat_distance, side="right") - 1
    p_values = np.empty(distance.size)
    p_values[order] = np.minimum(1.0, tail[last_tie])
    return np.where(possible, p_values.reshape(distance.shape), np.nan)


def welch_test(
    m1: float, v1: float, n1: int, m2: float, v2: float, n2: int, confidence: float
) -> Test | None:
    """Welch's unequal-variance t test on two means (v = sample variances). Two samples with
    no spread at all: the exact permutation p of their difference (1 / C(n, n1), doubled when
    the sizes are equal), or 1 when their values are the same."""
    if n1 < 2 or n2 < 2:
        return None
    a, b = v1 / n1, v2 / n2
    mde = detectable(math.sqrt(a + b), confidence)
    if a + b == 0:
        if m1 == m2:
            return Test(1.0, mde, "welch_t")
        p = (2 if n1 == n2 else 1) / math.comb(n1 + n2, n1)
        return Test(min(1.0, p), mde, "permutation_exact")
    t = (m2 - m1) / math.sqrt(a + b)
    df = (a + b) ** 2 / (a * a / (n1 - 1) + b * b / (n2 - 1))
    return Test(two_sided_p_t(t, df), mde, "welch_t")


ADJUSTMENTS = ("bh", "holm", "none")
ADJUSTMENT_NAMES = {"bh": "Benjamini–Hochberg", "holm": "Holm", "none": "no adjustment"}


def adjust(p_values: Sequence[float | None], method: str) -> list[float | None]:
    """The p-values of one run's tests adjusted together: Benjamini–Hochberg (false discovery
    rate), Holm (family-wise error) or none. None stays None and does not count as a test."""
    import numpy as np

    if method not in ADJUSTMENTS:
        raise ValueError(method)
    present = [i for i, p in enumerate(p_values) if p is not None]
    out: list[float | None] = list(p_values)
    m = len(present)
    if method == "none" or m == 0:
        return out
    p = np.array([p_values[i] for i in present], dtype=np.float64)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "bh":
        scaled = ranked * m / np.arange(1, m + 1)
        adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    else:
        adjusted = np.maximum.accumulate(ranked * (m - np.arange(m)))
    values = np.empty(m)
    values[order] = np.minimum(adjusted, 1.0)
    for i, value in zip(present, values.tolist(), strict=True):
        out[i] = value
    return out
