"""Shared state for duration KPIs (AHT, ART): exact count, sum and sum of squares, and what the
median, p90 and any --quantiles need.

Sums are kept in integer microseconds (cxcli/sums.py: exact, never wrapping), so merging in any
order gives exactly the same mean.
Quantiles are exact as long as they can be in bounded memory: up to EXACT_LIMIT values a state
keeps them; past that, whole seconds below BINS_LIMIT (12 days) are counted in one bin per second
(durations from second-resolution timestamps and clock texts — nearly all of them), and the rest
as distinct (value, count) pairs, up to TAIL_LIMIT of them. Only past that (e.g. millisecond
durations by the million) does a state fold everything into a mergeable KLL sketch (Apache
DataSketches, k = 400: a normalized rank error of about 0.68%, ≤ 1% asked), whose quantiles may
differ in their last digits from run to run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Kpi, option
from ..errors import UsageError
from ..stats import (
    BOOTSTRAP_MAX_N,
    BOOTSTRAP_MIN_N,
    Test,
    bootstrap_t_interval,
    mean_interval,
    quantile_ranks,
    welch_test,
)
from ..sums import exact_total

if TYPE_CHECKING:
    import numpy as np

KLL_K = 400
EXACT_LIMIT = 10_000
BINS_LIMIT = 1 << 20  # one int64 count per second up to 12.1 days: at most 8 MiB a state
BINS_PER_VALUE = 4  # and at most 4 bins (32 bytes) per value the state has seen
TAIL_LIMIT = 1 << 16  # distinct values outside the bins
US = 1_000_000
SKETCH_POINTS = 1000


def _new_sketch() -> Any:
    from ..sketches import kll

    return kll(KLL_K)


@dataclass
class DurationState:
    """n durations: their µs sum, squared-seconds sum, named counters, and for the quantiles
    either the values (small n), per-second bins plus a (value, count) tail, or a KLL sketch."""

    n: int = 0
    total_us: int = 0
    sum_squares: float = 0.0
    values: list[np.ndarray] = field(default_factory=list)  # while n <= EXACT_LIMIT
    bins: np.ndarray | None = None  # counts of whole seconds 0, 1, … once n > EXACT_LIMIT
    tail: tuple[np.ndarray, np.ndarray] | None = None  # distinct other values and their counts
    pending: list[np.ndarray] = field(default_factory=list)  # other values not yet in `tail`
    sketch: Any = None  # a datasketches.kll_doubles_sketch once the tail outgrows TAIL_LIMIT
    counters: dict[str, int] = field(default_factory=dict)
    _distinct: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _reached: np.ndarray | None = field(default=None, repr=False)  # cumulative counts

    def add(self, seconds: np.ndarray) -> None:
        import numpy as np

        if seconds.size == 0:
            return
        self._distinct = self._reached = None
        seconds = np.ascontiguousarray(seconds, dtype=np.float64)
        self.n += int(seconds.size)
        self.total_us += exact_total(seconds, US)
        self.sum_squares += float(np.square(seconds).sum())
        self._keep(seconds)

    def _keep(self, seconds: np.ndarray) -> None:
        if self.sketch is not None:
            self.sketch.update(seconds)
        elif self.bins is None and self.n <= EXACT_LIMIT:
            self.values.append(seconds)
        else:
            if self.bins is None:
                self._start_bins()
            self._count(seconds)

    def _start_bins(self) -> None:
        import numpy as np

        kept, self.values, self.bins = self.values, [], np.zeros(0, dtype=np.int64)
        for seconds in kept:
            self._count(seconds)

    def _count(self, seconds: np.ndarray) -> None:
        """Whole seconds into the bins, the rest to the tail."""
        import numpy as np

        assert self.bins is not None
        limit = min(BINS_LIMIT, BINS_PER_VALUE * self.n)
        whole = (seconds >= 0) & (seconds < limit) & (np.floor(seconds) == seconds)
        binned = seconds if whole.all() else seconds[whole]
        if binned.size:
            seconds_at = binned.astype(np.int64)
            top = int(seconds_at.max()) + 1
            if top > self.bins.size:
                grown = np.zeros(min(limit, max(top, 2 * self.bins.size)), np.int64)
                grown[: self.bins.size] = self.bins
                self.bins = grown
            # Counted in place: no temporary as long as the largest second (8 MiB at 12 days)
            # to map, fault in and unmap every batch.
            np.add.at(self.bins, seconds_at, 1)
        if binned.size < seconds.size:
            self._add_tail(seconds[~whole], None)

    def _add_tail(self, values: np.ndarray, counts: np.ndarray | None = None) -> None:
        """Values outside the bins; every TAIL_LIMIT of them are folded into distinct pairs."""
        import numpy as np

        if counts is None:
            self.pending.append(values)
            if sum(p.size for p in self.pending) <= TAIL_LIMIT:
                return
            values = np.concatenate(self.pending)
            counts = np.ones(values.size, np.int64)
        self.pending = []
        if self.tail is not None:
            values = np.concatenate([self.tail[0], values])
            counts = np.concatenate([self.tail[1], counts])
        distinct, where = np.unique(values, return_inverse=True)
        self.tail = (distinct, np.bincount(where, weights=counts).astype(np.int64))
        if distinct.size > TAIL_LIMIT:
            self._to_sketch()

    def _to_sketch(self) -> None:
        """Fold everything into a KLL sketch, a million values at a time."""
        import numpy as np

        self.sketch = sketch = _new_sketch()
        for values, counts in self._pairs():
            if not values.size:
                continue
            reached = np.cumsum(counts)
            cuts = np.searchsorted(reached, np.arange(1_000_000, reached[-1], 1_000_000))
            for some, times in zip(np.split(values, cuts), np.split(counts, cuts), strict=True):
                sketch.update(np.repeat(some, times))
        for kept in self.values + self.pending:
            sketch.update(kept)
        self.values, self.bins, self.tail, self.pending = [], None, None, []

    def _pairs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(values, counts) of the bins and of the tail."""
        import numpy as np

        pairs = []
        if self.bins is not None:
            seen = np.flatnonzero(self.bins)
            pairs.append((seen.astype(np.float64), self.bins[seen]))
        if self.tail is not None:
            pairs.append(self.tail)
        return pairs

    def count(self, name: str, amount: int) -> None:
        self.counters[name] = self.counters.get(name, 0) + int(amount)

    def merged(self, other: DurationState) -> DurationState:
        import numpy as np

        out = DurationState(
            self.n + other.n,
            self.total_us + other.total_us,
            self.sum_squares + other.sum_squares,
        )
        for counters in (self.counters, other.counters):
            for name, value in counters.items():
                out.count(name, value)
        parts = (self, other)
        if out.n <= EXACT_LIMIT:  # then both parts still hold their values
            out.values = self.values + other.values
            return out
        if any(part.sketch is not None for part in parts):
            out.sketch = _new_sketch()
        else:
            out.bins = np.zeros(max(0 if p.bins is None else p.bins.size for p in parts), np.int64)
        for part in parts:
            if out.sketch is not None:
                out.sketch.merge(part.sketch if part.sketch is not None else part._folded())
                continue
            if part.bins is not None:
                out.bins[: part.bins.size] += part.bins
            if part.tail is not None:
                out._add_tail(*part.tail)
            for seconds in part.values + part.pending:
                out._keep(seconds)  # into the bins, the tail, or a sketch the tail became
        return out

    def _folded(self) -> Any:
        """A new KLL sketch of this state's values (the state is left as it was)."""
        copy = DurationState(self.n, values=list(self.values), bins=self.bins, tail=self.tail)
        copy.pending = list(self.pending)
        copy._to_sketch()
        return copy.sketch

    @property
    def mean(self) -> float | None:
        return self.total_us / US / self.n if self.n else None

    @property
    def sd(self) -> float | None:
        if self.n < 2:
            return None
        mean = self.total_us / US / self.n
        return math.sqrt(max(0.0, (self.sum_squares - self.n * mean * mean) / (self.n - 1)))

    def distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """The durations as sorted distinct values and their counts: exact, or for a state
        that became a sketch, 1,000 evenly ranked values of equal weight (approximate)."""
        import numpy as np

        if self.n == 0:
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        if self.sketch is not None:
            ranks = (np.arange(SKETCH_POINTS) + 0.5) / SKETCH_POINTS
            values = np.asarray(self.sketch.get_quantiles(ranks), dtype=np.float64)
            weights = np.diff(np.round(np.linspace(0, self.n, SKETCH_POINTS + 1))).astype(np.int64)
            return values, weights
        if self._distinct is not None:
            return self._distinct
        small = [(kept, np.ones(kept.size, np.int64)) for kept in self.values + self.pending]
        if self.tail is not None:
            small.append(self.tail)
        parts = [_distinct_pairs(small)] if small else []
        if self.bins is not None:  # whole seconds: already sorted and distinct
            seen = np.flatnonzero(self.bins)
            parts.insert(0, (seen.astype(np.float64), self.bins[seen]))
        interleaved = len(parts) == 2 and parts[0][0].size and parts[1][0].size
        if interleaved and parts[1][0][0] <= parts[0][0][-1]:  # the rest falls among the bins
            parts = [_distinct_pairs(parts)]
        values = np.concatenate([v for v, _ in parts]) if parts else np.zeros(0)
        counts = np.concatenate([c for _, c in parts]) if parts else np.zeros(0, np.int64)
        self._distinct = (values, counts)
        return self._distinct

    def at_ranks(self, ranks: Sequence[int]) -> list[float]:
        """The values of 1-based ranks in sorted order (from the sketch: approximate)."""
        import numpy as np

        if self.sketch is not None:
            return [float(self.sketch.get_quantile(r / self.n)) for r in ranks]
        values, counts = self.distinct()
        if self._reached is None or self._reached.size != counts.size:
            self._reached = np.cumsum(counts)
        return [float(values[np.searchsorted(self._reached, r)]) for r in ranks]

    def quantiles(self, probabilities: tuple[float, ...]) -> dict[str, float | None]:
        """The smallest value whose rank is at least p (exact, or from the sketch)."""
        if self.n == 0:
            return {quantile_label(p): None for p in probabilities}
        if self.sketch is not None:
            return {quantile_label(p): float(self.sketch.get_quantile(p)) for p in probabilities}
        ranks = [min(max(math.ceil(p * self.n), 1), self.n) for p in probabilities]
        return dict(zip(map(quantile_label, probabilities), self.at_ranks(ranks), strict=True))

    def kept_values(self) -> np.ndarray | None:
        """Every duration, while the state still holds them (n ≤ EXACT_LIMIT)."""
        import numpy as np

        if self.bins is not None or self.sketch is not None:
            return None
        return np.concatenate(self.values) if self.values else np.zeros(0)


def _distinct_pairs(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """(values, counts) pairs as sorted distinct values with their summed counts."""
    import numpy as np

    values = np.concatenate([v for v, _ in pairs])
    counts = np.concatenate([c for _, c in pairs])
    distinct, where = np.unique(values, return_inverse=True)
    return distinct, np.bincount(where, weights=counts, minlength=distinct.size).astype(np.int64)


def quantile_label(p: float) -> str:
    return "p" + f"{p * 100:g}".replace(".", "_")


def mean_interval_of(
    state: DurationState, confidence: float
) -> tuple[tuple[float, float] | None, str | None]:
    """The interval of the mean duration and its method: a studentised bootstrap of the values
    from BOOTSTRAP_MIN_N to BOOTSTRAP_MAX_N of them (durations are skewed: Student t
    under-covers there), Student t otherwise; never below 0."""
    small = BOOTSTRAP_MIN_N <= state.n <= BOOTSTRAP_MAX_N
    values = state.kept_values() if small else None
    if values is not None:
        ci = bootstrap_t_interval(values, confidence)
        method = "bootstrap_t"
    elif state.sd:
        ci = mean_interval(state.mean, state.sd, state.n, confidence)
        method = "student_t"
    else:
        return None, None
    if ci is None:
        return None, None
    return (max(0.0, ci[0]), ci[1]), method


def parse_quantiles(text: str) -> tuple[float, ...]:
    """`0.5,0.9,0.99` → (0.5, 0.9, 0.99)."""
    try:
        values = tuple(float(part) for part in re.split(r"[,\s]+", text.strip()) if part)
    except ValueError:
        values = ()
    if not values or not all(0 <= v <= 1 for v in values):
        raise UsageError(f"--quantiles {text!r}: give probabilities in [0, 1], e.g. 0.5,0.9,0.99")
    return values


@dataclass(frozen=True)
class DurationKpi(Kpi[DurationState]):
    """A KPI whose value is a mean duration in seconds, with quantiles from the sketch."""

    value_unit = "seconds"
    indicator = "leading"  # handle and resolution times move before satisfaction does

    quantiles: str = option("0.5,0.9", "quantiles to report, e.g. 0.5,0.9,0.99")

    def __post_init__(self) -> None:
        parse_quantiles(self.quantiles)

    @property
    def higher_is_better(self) -> bool:
        return False

    def init(self) -> DurationState:
        return DurationState()

    def merge(self, a: DurationState, b: DurationState) -> DurationState:
        return a.merged(b)

    def duration_details(self, state: DurationState, confidence: float) -> Estimate:
        """Mean, interval and quantiles of the state; subclasses add their own details."""
        asked = parse_quantiles(self.quantiles)
        marks = state.quantiles(tuple(dict.fromkeys((0.5, 0.9, *asked))))
        details: dict[str, Any] = {
            "mean": state.mean,
            "sd": state.sd,
            "median": marks["p50"],
            "median_ci": None,
            "p90": marks["p90"],
            "quantiles": {quantile_label(p): marks[quantile_label(p)] for p in asked},
            "ci_method": None,
        }
        if state.n == 0:
            return Estimate(None, 0, None, details, ("no valid durations",))
        ranks = quantile_ranks(state.n, 0.5, confidence)
        if ranks is not None:
            details["median_ci"] = state.at_ranks(ranks)
        ci, details["ci_method"] = mean_interval_of(state, confidence)
        notes = ()
        if state.sd == 0:
            notes = (f"all {state.n:,} durations are equal: no spread to give an interval from",)
        return Estimate(state.mean, state.n, ci, details, notes)

    def spread(self, state: DurationState) -> list[tuple[float, float]] | None:
        """The percentiles 1–99 (exact, or from the sketch)."""
        if state.n == 0:
            return None
        shares = tuple(i / 100 for i in range(1, 100))
        values = state.quantiles(shares).values()
        return [(v, p) for v, p in zip(values, shares, strict=True) if v is not None]

    def from_result(self, result: Mapping[str, Any]) -> DurationState | None:
        details, n = result.get("details") or {}, result.get("n") or 0
        mean, sd = details.get("mean"), details.get("sd")
        if not n or mean is None or sd is None:
            return None
        squares = sd * sd * (n - 1) + n * mean * mean  # the sum of squares behind mean and sd
        return DurationState(n, round(mean * n * US), squares)

    def compare(
        self, before: DurationState, after: DurationState, confidence: float
    ) -> Test | None:
        if before.sd is None or after.sd is None:
            return None
        return welch_test(
            before.mean, before.sd**2, before.n, after.mean, after.sd**2, after.n, confidence
        )
