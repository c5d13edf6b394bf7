"""Probabilistic lifetime value for non-contractual customers: BG/NBD for repeat purchases and
dropout (Fader, Hardie & Lee 2005, "Counting your customers the easy way") and Gamma-Gamma for
spend (Fader, Hardie & Lee 2005, "RFM and CLV"), fitted by maximum likelihood.

A customer is summarised by x (repeat purchases: purchase days after the first), t_x (the
time from the first to the last purchase) and T (from the first purchase to the end of the
calibration period), in weeks, and m_x (the mean spend of the repeat purchase days). The
log-likelihoods are written with `gammaln`/`betaln` in log space and fitted over log
parameters (L-BFGS-B), from further starts when one fails; customers with the same summary
are counted once, with a weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

STARTS = (np.zeros(4), np.log([0.5, 5.0, 1.0, 3.0]), np.log([1.0, 1.0, 0.5, 0.5]))
GG_STARTS = (np.zeros(3), np.log([5.0, 3.0, 10.0]), np.log([1.0, 2.0, 1.0]))
WEEKS_PER_MONTH = 365.25 / 12 / 7


@dataclass(frozen=True)
class Fit:
    """Fitted parameters, the log-likelihood at them, whether the optimiser converged (and its
    message), and the covariance of the log parameters (the inverse Hessian; None if singular)."""

    params: np.ndarray
    loglik: float
    converged: bool
    message: str
    covariance: np.ndarray | None


def bgnbd_loglik(params: np.ndarray, x: np.ndarray, tx: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each customer's BG/NBD log-likelihood at params = (r, α, a, b)."""
    r, alpha, a, b = params
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    alive = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + t)
    repeat = x > 0
    dropped = np.full(x.shape, -np.inf)
    dropped[repeat] = (
        betaln(a + 1, b + x[repeat] - 1)
        - betaln(a, b)
        - (r + x[repeat]) * np.log(alpha + tx[repeat])
    )
    return common + np.logaddexp(alive, dropped)


def gamma_gamma_loglik(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Each repeat customer's Gamma-Gamma log-likelihood of its mean spend m at (p, q, γ)."""
    p, q, gamma = params
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def _fit(loglik, starts, weights: np.ndarray) -> Fit:
    """Maximum likelihood over log parameters: the first start that converges inside the
    bounds, else the best of them all."""

    def objective(log_params: np.ndarray) -> float:
        value = -(weights * loglik(np.exp(log_params))).sum()
        return value if np.isfinite(value) else 1e300

    best = None
    with np.errstate(all="ignore"):
        for start in starts:
            found = minimize(objective, start, method="L-BFGS-B", bounds=[(-12, 12)] * len(start))
            if best is None or found.fun < best.fun:
                best = found
            if found.success and np.all(np.abs(found.x) < 11.9):
                break  # the next starts are for a fit that failed
    assert best is not None
    at_bound = bool(np.any(np.abs(best.x) > 11.9))
    covariance = _inverse_hessian(objective, best.x)
    converged = bool(best.success) and not at_bound and covariance is not None
    message = str(best.message)
    if at_bound:
        message = "a parameter ran to its bound"
    elif covariance is None:
        message = "the likelihood is flat at the optimum: a parameter is not identified"
    return Fit(np.exp(best.x), -float(best.fun), converged, message, covariance)


def _inverse_hessian(objective, at: np.ndarray) -> np.ndarray | None:
    """The covariance of the log parameters: the inverse of the objective's Hessian there
    (central differences), or None when it is not positive definite."""
    k, h = len(at), 1e-4
    hessian = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            e_i, e_j = np.eye(k)[i] * h, np.eye(k)[j] * h
            value = (
                objective(at + e_i + e_j)
                - objective(at + e_i - e_j)
                - objective(at - e_i + e_j)
                + objective(at - e_i - e_j)
            ) / (4 * h * h)
            hessian[i, j] = hessian[j, i] = value
    try:
        covariance = np.linalg.inv(hessian)
        np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        return None
    return covariance


def _grouped(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the columns and how many customers have each."""
    rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(float)


def fit_bgnbd(x: np.ndarray, tx: np.ndarray, t: np.ndarray) -> Fit:
    (gx, gtx, gt), weights = _grouped(x, tx, t)
    return _fit(lambda p: bgnbd_loglik(p, gx, gtx, gt), STARTS, weights)


def fit_gamma_gamma(x: np.ndarray, m: np.ndarray) -> Fit:
    (gx, gm), weights = _grouped(x, m)
    return _fit(lambda p: gamma_gamma_loglik(p, gx, gm), GG_STARTS, weights)


def p_alive(params: np.ndarray, x: np.ndarray, tx: np.ndarray, t: np.ndarray) -> np.ndarray:
    """P(still active at T | x, t_x, T)."""
    r, alpha, a, b = params
    with np.errstate(divide="ignore", over="ignore"):
        ratio = np.where(
            x > 0,
            a
            / np.maximum(b + x - 1, 1e-300)
            * np.exp((r + x) * np.log((alpha + t) / (alpha + tx))),
            0.0,
        )
    return 1 / (1 + ratio)


def expected_purchases(
    params: np.ndarray, x: np.ndarray, tx: np.ndarray, t: np.ndarray, horizon: float
) -> np.ndarray:
    """E[purchases in (T, T + horizon] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
    r, alpha, a, b = params
    z = horizon / (alpha + t + horizon)
    power = np.exp((r + x) * np.log((alpha + t) / (alpha + t + horizon)))
    bracket = 1 - power * hyp2f1(r + x, b + x, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * bracket * p_alive(params, x, tx, t)


def expected_spend(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[mean spend | x, m_x]: the population mean weighted against the customer's own."""
    p, q, gamma = params
    weight = p * x / (p * x + q - 1)
    return (1 - weight) * gamma * p / (q - 1) + weight * m


def lifetime_values(
    bgnbd: np.ndarray,
    spend: np.ndarray,
    x: np.ndarray,
    tx: np.ndarray,
    t: np.ndarray,
    months: int,
    discount: float,
) -> np.ndarray:
    """Each customer's value over `months`: expected purchases month by month, times expected
    spend, discounted at `discount` a month."""
    value = np.zeros(len(x))
    before = np.zeros(len(x))
    for month in range(1, months + 1):
        upto = expected_purchases(bgnbd, x, tx, t, month * WEEKS_PER_MONTH)
        value += (upto - before) / (1 + discount) ** month
        before = upto
    return value * spend
