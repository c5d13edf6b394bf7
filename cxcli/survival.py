"""Kaplan–Meier estimation for durations some of which are still running (open tickets):
the survival curve, its quantiles with confidence intervals, the restricted mean, and the
log-rank test between two samples. Everything works on distinct times with counts, so a
state that bins durations per second gives the same curve as the raw values.

Conventions (those of lifelines and R's survival): a duration censored at t is still at risk
at t; S(t) = Π (1 − dᵢ/nᵢ) over event times tᵢ ≤ t; the q-quantile is the smallest t with
S(t) ≤ 1 − q (the median: S ≤ 0.5); Greenwood's variance, and pointwise intervals on the
log(−log S) scale ("exponential Greenwood"); a quantile's interval is the set of times whose
pointwise interval contains 1 − q (Brookmeyer & Crowley), read off the two bands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .stats import detectable, two_sided_p_normal, z_critical

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Curve:
    """The Kaplan–Meier curve at its event times: who was at risk, how many ended, S after
    each time, and the running Greenwood sum Σ d / (n (n − d))."""

    times: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray
    greenwood: np.ndarray
    subjects: int
    censored_times: np.ndarray
    censored_counts: np.ndarray

    @property
    def n_events(self) -> int:
        return int(self.events.sum())

    @property
    def last_time(self) -> float:
        """The largest time observed, event or censored."""
        ends = [float(t[-1]) for t in (self.times, self.censored_times) if t.size]
        return max(ends, default=0.0)

    def at_risk_at(self, times: np.ndarray) -> np.ndarray:
        """How many subjects have a time (event or censored) ≥ each of `times`."""
        import numpy as np

        ended = np.concatenate([[0], np.cumsum(self.events)])
        censored = np.concatenate([[0], np.cumsum(self.censored_counts)])
        before = ended[np.searchsorted(self.times, times, side="left")]
        before = before + censored[np.searchsorted(self.censored_times, times, side="left")]
        return self.subjects - before

    def events_at(self, times: np.ndarray) -> np.ndarray:
        """The events at each of `times` (0 where the curve has none)."""
        import numpy as np

        if self.times.size == 0:
            return np.zeros(times.size, dtype=np.int64)
        where = np.minimum(np.searchsorted(self.times, times), self.times.size - 1)
        return np.where(self.times[where] == times, self.events[where], 0)


def _combine(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    if values.size == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    if values.size == 1 or bool(np.all(values[1:] > values[:-1])):  # already distinct, sorted
        return values, np.asarray(counts, dtype=np.int64)
    distinct, where = np.unique(values, return_inverse=True)
    return distinct, np.bincount(where, weights=counts, minlength=distinct.size).astype(np.int64)


def kaplan_meier(
    event_times: np.ndarray,
    event_counts: np.ndarray,
    censored_times: np.ndarray,
    censored_counts: np.ndarray,
) -> Curve:
    """The curve of durations that ended at `event_times` and of those still running at
    `censored_times` (each with its count)."""
    import numpy as np

    times, events = _combine(np.asarray(event_times, float), np.asarray(event_counts))
    censored_times, censored_counts = _combine(
        np.asarray(censored_times, float), np.asarray(censored_counts)
    )
    subjects = int(events.sum() + censored_counts.sum())
    # at risk at t: all but those ended or censored before t (censored at t are still at risk)
    ended_before = np.concatenate([[0], np.cumsum(events)[:-1]])
    censored = np.concatenate([[0], np.cumsum(censored_counts)])
    at_risk = subjects - ended_before - censored[np.searchsorted(censored_times, times, "left")]
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1 - events / at_risk)
        terms = np.where(at_risk > events, events / (at_risk * (at_risk - events)), np.inf)
    return Curve(
        times,
        at_risk,
        events,
        survival,
        np.cumsum(terms),
        subjects,
        censored_times,
        censored_counts,
    )


def bands(curve: Curve, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise (lower, upper) intervals of S at each event time, on the log(−log) scale:
    S^exp(±z·√G / log S). Where S is 0 or 1 the interval is that value."""
    import numpy as np

    z = z_critical(confidence)
    s = curve.survival
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(s)
        spread = z * np.sqrt(curve.greenwood) / np.abs(log_s)
        lower = np.exp(log_s * np.exp(-spread))
        upper = np.exp(log_s * np.exp(spread))
        lower, upper = np.minimum(lower, upper), np.maximum(lower, upper)
    degenerate = (s <= 0) | (s >= 1) | ~np.isfinite(spread)
    lower = np.where(degenerate, np.where(s >= 1, 1.0, 0.0), lower)
    upper = np.where(degenerate & (s <= 0), 0.0, np.where(degenerate, 1.0, upper))
    return lower, upper


def _first_at_or_below(times: np.ndarray, values: np.ndarray, level: float) -> float | None:
    import numpy as np

    hits = np.flatnonzero(values <= level + 1e-12)
    return float(times[hits[0]]) if hits.size else None


def quantile(curve: Curve, q: float) -> float | None:
    """The smallest time at which S ≤ 1 − q; None when the curve never gets there (too many
    durations still running)."""
    return _first_at_or_below(curve.times, curve.survival, 1 - q)


def quantile_interval(
    curve: Curve, q: float, confidence: float
) -> tuple[float | None, float | None]:
    """(low, high) of the q-quantile: where the lower and the upper band reach 1 − q; a side
    is None when its band never does (the data cannot bound it yet)."""
    lower, upper = bands(curve, confidence)
    return (
        _first_at_or_below(curve.times, lower, 1 - q),
        _first_at_or_below(curve.times, upper, 1 - q),
    )


def restricted_mean(curve: Curve, limit: float | None = None) -> float:
    """The area under S from 0 to `limit` (default: the largest time observed): the mean
    duration counting every running one up to there."""
    import numpy as np

    limit = curve.last_time if limit is None else limit
    edges = np.concatenate([[0.0], curve.times[curve.times < limit], [limit]])
    heights = np.concatenate([[1.0], curve.survival[curve.times < limit]])
    return float((np.diff(edges) * heights).sum())


def logrank(first: Curve, second: Curve, confidence: float) -> tuple[float, float | None] | None:
    """The log-rank test of two curves: (two-sided p, the smallest change of the median it
    would detect with POWER, under proportional hazards and exponential times — Schoenfeld's
    events formula). None when neither has an event."""
    import numpy as np

    times = np.union1d(first.times, second.times)
    if times.size == 0:
        return None

    n1, d1 = first.at_risk_at(times), first.events_at(times)
    n2, d2 = second.at_risk_at(times), second.events_at(times)
    n, d = n1 + n2, d1 + d2
    live = n > 0
    expected = np.where(live, d * n1 / np.where(live, n, 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(
            n > 1, d * (n1 / n) * (n2 / n) * (n - d) / np.where(n > 1, n - 1, 1), 0.0
        )
    total_variance = float(variance.sum())
    if total_variance <= 0:
        return 1.0, None
    z = float((d1 - expected).sum()) / math.sqrt(total_variance)
    share = first.subjects / (first.subjects + second.subjects)
    events = first.n_events + second.n_events
    mde = None
    median = quantile(first, 0.5)
    if events and 0 < share < 1 and median is not None:
        step = detectable(1 / math.sqrt(events * share * (1 - share)), confidence)
        mde = median * (math.exp(step) - 1)
    return two_sided_p_normal(z), mde
