"""Critical values, intervals, tests and adjustments against published tables and independent
implementations (scipy, statsmodels, brute-force counting)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from scipy.special import stdtrit
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from cxcli.stats import (
    T_SERIES_MIN_DF,
    adjust,
    bootstrap_t_interval,
    constant_mean_interval,
    mean_interval,
    nps_change_test,
    nps_exact_table,
    quantile_ranks,
    t_critical,
    two_proportion_test,
    welch_test,
    wilson,
    z_critical,
)


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


# -- intervals against independent implementations, at several confidence levels -------------
LEVELS = [0.8, 0.9, 0.95, 0.99]


@pytest.mark.parametrize("confidence", LEVELS)
@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (37, 120), (912, 1000)])
def test_wilson_equals_statsmodels(confidence, k, n):
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    got = wilson(k, n, confidence)
    assert got == pytest.approx((100 * low, 100 * high), abs=1e-10)


@pytest.mark.parametrize("confidence", LEVELS)
@pytest.mark.parametrize("n", [2, 5, 30, 999, 1001, 50_000])
def test_student_t_interval_equals_scipy(confidence, n):
    low, high = scipy_stats.t.interval(confidence, n - 1, loc=4.2, scale=1.3 / math.sqrt(n))
    assert mean_interval(4.2, 1.3, n, confidence) == pytest.approx((low, high), rel=1e-12)


@pytest.mark.parametrize("confidence", LEVELS)
@pytest.mark.parametrize(
    ("a", "b"),
    [((5.0, 2.0, 12), (6.1, 3.5, 9)), ((100, 40, 500), (104, 90, 80)), ((3, 1, 2), (3.2, 1.1, 3))],
)
def test_welch_equals_scipy(confidence, a, b):
    (m1, s1, n1), (m2, s2, n2) = a, b
    test = welch_test(m1, s1 * s1, n1, m2, s2 * s2, n2, confidence)
    wanted = scipy_stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
    assert test.p_value == pytest.approx(wanted.pvalue, rel=1e-10)
    z = scipy_stats.norm.ppf(0.5 + confidence / 2) + scipy_stats.norm.ppf(0.8)
    assert test.mde == pytest.approx(z * math.sqrt(s1 * s1 / n1 + s2 * s2 / n2), rel=1e-12)


def test_welch_on_two_constant_samples_is_the_exact_permutation_p():
    assert welch_test(7, 0, 10, 6, 0, 10, 0.95).p_value == pytest.approx(2 / math.comb(20, 10))
    assert welch_test(7, 0, 2, 6, 0, 3, 0.95).p_value == pytest.approx(1 / math.comb(5, 2))
    assert welch_test(7, 0, 4, 7, 0, 4, 0.95).p_value == 1.0


# -- the change test of a share: pooled z where counts are large, else exact ------------------
@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(60, 100, 80, 100), (400, 1000, 452, 1000)])
def test_share_change_is_the_pooled_z_test_of_statsmodels(k1, n1, k2, n2):
    test = two_proportion_test(k1, n1, k2, n2, 0.95)
    _, wanted = proportions_ztest([k2, k1], [n2, n1])
    assert test.method == "pooled_z" and test.p_value == pytest.approx(wanted, rel=1e-10)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(1, 10, 6, 12), (0, 30, 3, 30), (9, 10, 4, 40)])
def test_share_change_with_small_counts_is_exact(k1, n1, k2, n2):
    """The hypergeometric chance, given k1 + k2, of a first count at least as far from its
    expectation as observed (scipy's distribution, summed here)."""
    test = two_proportion_test(k1, n1, k2, n2, 0.95)
    dist = scipy_stats.hypergeom(n1 + n2, k1 + k2, n1)
    x = np.arange(n1 + 1)
    expected = n1 * (k1 + k2) / (n1 + n2)
    wanted = dist.pmf(x)[np.abs(x - expected) >= abs(k1 - expected) - 1e-9].sum()
    assert test.method == "fisher_exact" and test.p_value == pytest.approx(wanted, rel=1e-9)


# -- the change test of an NPS --------------------------------------------------------------
def test_nps_exact_p_equals_brute_force_counting():
    rng = np.random.default_rng(3)
    for _ in range(300):
        n1, n2 = (int(x) for x in rng.integers(1, 13, 2))
        p1, p2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        d1, d2 = int(rng.integers(0, n1 - p1 + 1)), int(rng.integers(0, n2 - p2 + 1))
        table = nps_exact_table(p1 + p2, d1 + d2, n1, n2)
        assert table[p1, d1] == pytest.approx(brute_force_nps_p(p1, d1, n1, p2, d2, n2), abs=1e-12)


def brute_force_nps_p(p1, d1, n1, p2, d2, n2):
    """Count every split of the pooled answers (math.comb, no cx code)."""
    promoters, detractors, total = p1 + p2, d1 + d2, n1 + n2
    passives = total - promoters - detractors
    expected = n1 * (promoters - detractors) / total
    far = 0
    for x in range(min(promoters, n1) + 1):
        for y in range(min(detractors, n1 - x) + 1):
            rest = n1 - x - y
            if rest <= passives and abs(x - y - expected) >= abs(p1 - d1 - expected) - 1e-9:
                far += (
                    math.comb(promoters, x) * math.comb(detractors, y) * math.comb(passives, rest)
                )
    return far / math.comb(total, n1)


def test_nps_exact_p_equals_scipys_permutation_test():
    """The exact permutation test of the mean score (+1, 0, −1) difference."""
    first = np.array([1] * 3 + [0] * 4 + [-1] * 3)
    second = np.array([1] * 7 + [0] * 2 + [-1] * 1)
    wanted = scipy_stats.permutation_test(
        (first, second),
        lambda a, b: abs(a.mean() - b.mean()),
        permutation_type="independent",
        n_resamples=np.inf,
        alternative="greater",
    ).pvalue
    test = nps_change_test((3, 7), (3, 1), (10, 10), 0.95)
    assert test.method == "permutation_exact" and test.p_value == pytest.approx(wanted, rel=1e-9)


def test_nps_change_with_large_counts_is_the_pooled_z_test():
    test = nps_change_test((450, 500), (200, 180), (1000, 1000), 0.95)
    p, d = 950 / 2000, 380 / 2000
    se = math.sqrt((p + d - (p - d) ** 2) * (2 / 1000))
    z = (0.5 - 0.18 - (0.45 - 0.2)) / se
    assert test.method == "pooled_z"
    assert test.p_value == pytest.approx(2 * scipy_stats.norm.sf(z), rel=1e-10)
    assert test.mde == pytest.approx(100 * (1.959964 + 0.841621) * se, rel=1e-6)


# -- multiplicity ----------------------------------------------------------------------------
P_VALUES = [0.01, 0.04, None, 0.03, 0.5, 0.001, 0.04, 0.2, 1.0, 0.0]


@pytest.mark.parametrize(("method", "name"), [("bh", "fdr_bh"), ("holm", "holm")])
def test_adjustments_equal_statsmodels(method, name):
    got = adjust(P_VALUES, method)
    present = [p for p in P_VALUES if p is not None]
    wanted = multipletests(present, method=name)[1]
    assert got[2] is None
    assert [p for p in got if p is not None] == pytest.approx(list(wanted), abs=1e-15)
    assert adjust(P_VALUES, "none") == P_VALUES
    assert adjust([], method) == [] and adjust([None], method) == [None]


# -- durations: bootstrap-t, order statistics ------------------------------------------------
def test_bootstrap_interval_is_deterministic_and_order_free():
    values = np.exp(np.random.default_rng(1).normal(6, 1.5, 80))
    first = bootstrap_t_interval(values, 0.95)
    assert first == bootstrap_t_interval(values[::-1].copy(), 0.95)
    assert first == bootstrap_t_interval(np.random.default_rng(2).permutation(values), 0.95)
    low, high = first
    assert low < values.mean() < high
    assert high - values.mean() > values.mean() - low  # skewed data: a longer upper arm
    assert bootstrap_t_interval(np.full(20, 3.0), 0.95) is None


@pytest.mark.parametrize("confidence", LEVELS)
@pytest.mark.parametrize("n", [6, 10, 30, 100, 999])
@pytest.mark.parametrize("p", [0.5, 0.9])
def test_quantile_ranks_bracket_the_quantile_with_the_confidence(confidence, n, p):
    ranks = quantile_ranks(n, p, confidence)
    binomial = scipy_stats.binom(n, p)
    if ranks is None:  # no pair reaches the confidence: even (1, n) misses ξ too often on a side
        assert max(binomial.pmf(0), binomial.pmf(n)) > (1 - confidence) / 2
        return
    low, high = ranks
    assert binomial.cdf(low - 1) <= (1 - confidence) / 2 + 1e-12  # P(X(l) > ξ)
    assert binomial.sf(high - 1) <= (1 - confidence) / 2 + 1e-12  # P(X(u) < ξ)
    assert binomial.cdf(high - 1) - binomial.cdf(low - 1) >= confidence - 1e-12


def test_quantile_ranks_by_the_table():
    assert quantile_ranks(30, 0.5, 0.95) == (10, 21)
    assert quantile_ranks(100, 0.5, 0.95) == (40, 61)
    assert quantile_ranks(5, 0.5, 0.95) is None  # 1 − 2 / 32 < 0.95


def test_constant_mean_interval():
    low, high = constant_mean_interval(7, 5, (1, 7), 0.95)
    q = proportion_confint(5, 5, alpha=0.05, method="wilson")[0]
    assert (low, high) == pytest.approx((7 - 6 * (1 - q), 7.0))


def test_bootstrap_of_equal_values_whose_float_sd_is_not_zero():
    """Found by the fuzzer: eleven equal values have a float sd of ~1e-12, and every resample
    has none: no interval, not an error."""
    values = np.full(11, 11916.26103665134)
    assert float(values.std(ddof=1)) > 0
    assert bootstrap_t_interval(values, 0.95) is None
