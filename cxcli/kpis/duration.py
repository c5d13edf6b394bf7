"""Shared state for duration KPIs (AHT, ART): exact count, sum and sum of squares, and the
values themselves or a mergeable KLL quantile sketch (Apache DataSketches) for the median, p90
and any --quantiles.

Sums are kept in integer microseconds, so merging in any order gives exactly the same mean.
Up to EXACT_LIMIT values a state keeps them, and quantiles are exact and reproducible; past
that it folds them into a KLL sketch with k = 400: a normalized rank error of about 0.68%
(≤ 1% asked) in constant memory. KLL compacts at random, so on inputs that large the quantiles
(not the mean or the counts) may differ in their last digits from run to run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UsageError
from ..kpi import Estimate, Kpi, option
from ..stats import mean_interval, welch_p

if TYPE_CHECKING:
    import numpy as np

KLL_K = 400
EXACT_LIMIT = 10_000
US = 1_000_000


def _new_sketch() -> Any:
    from datasketches import kll_doubles_sketch

    return kll_doubles_sketch(KLL_K)


@dataclass
class DurationState:
    """n durations: their µs sum, squared-seconds sum, a KLL sketch, and named counters."""

    n: int = 0
    total_us: int = 0
    sum_squares: float = 0.0
    values: list[np.ndarray] = field(default_factory=list)  # while n <= EXACT_LIMIT
    sketch: Any = None  # a datasketches.kll_doubles_sketch once n > EXACT_LIMIT
    counters: dict[str, int] = field(default_factory=dict)

    def add(self, seconds: np.ndarray) -> None:
        import numpy as np

        if seconds.size == 0:
            return
        seconds = np.ascontiguousarray(seconds, dtype=np.float64)
        self.n += int(seconds.size)
        self.total_us += int(np.rint(seconds * US).astype(np.int64).sum())
        self.sum_squares += float(np.square(seconds).sum())
        self._keep(seconds)

    def _keep(self, seconds: np.ndarray) -> None:
        if self.sketch is None and self.n <= EXACT_LIMIT:
            self.values.append(seconds)
            return
        if self.sketch is None:
            self.sketch = _new_sketch()
            for kept in self.values:
                self.sketch.update(kept)
            self.values = []
        self.sketch.update(seconds)

    def count(self, name: str, amount: int) -> None:
        self.counters[name] = self.counters.get(name, 0) + int(amount)

    def merged(self, other: DurationState) -> DurationState:
        out = DurationState(
            self.n + other.n,
            self.total_us + other.total_us,
            self.sum_squares + other.sum_squares,
        )
        if out.n <= EXACT_LIMIT:
            out.values = self.values + other.values
        else:
            out.sketch = _new_sketch()
            for part in (self, other):
                if part.sketch is not None:
                    out.sketch.merge(part.sketch)
                for kept in part.values:
                    out.sketch.update(kept)
        for counters in (self.counters, other.counters):
            for name, value in counters.items():
                out.count(name, value)
        return out

    @property
    def mean(self) -> float | None:
        return self.total_us / US / self.n if self.n else None

    @property
    def sd(self) -> float | None:
        if self.n < 2:
            return None
        mean = self.total_us / US / self.n
        return math.sqrt(max(0.0, (self.sum_squares - self.n * mean * mean) / (self.n - 1)))

    def quantiles(self, probabilities: tuple[float, ...]) -> dict[str, float | None]:
        """The smallest value whose rank is at least p (exact, or from the sketch)."""
        import numpy as np

        if self.n == 0:
            return {_label(p): None for p in probabilities}
        if self.sketch is not None:
            return {_label(p): float(self.sketch.get_quantile(p)) for p in probabilities}
        ordered = np.sort(np.concatenate(self.values))
        picks = {}
        for p in probabilities:
            index = min(max(math.ceil(p * self.n) - 1, 0), self.n - 1)
            picks[_label(p)] = float(ordered[index])
        return picks


def _label(p: float) -> str:
    return "p" + f"{p * 100:g}".replace(".", "_")


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

    unit = "seconds"
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
            "p90": marks["p90"],
            "quantiles": {_label(p): marks[_label(p)] for p in asked},
        }
        if state.n == 0:
            return Estimate(None, 0, None, details, ("no valid durations",))
        ci = None
        if state.sd is not None:
            low, high = mean_interval(state.mean, state.sd, state.n, confidence)
            ci = (max(0.0, low), high)
        return Estimate(state.mean, state.n, ci, details)

    def from_result(self, result: Mapping[str, Any]) -> DurationState | None:
        details, n = result.get("details") or {}, result.get("n") or 0
        mean, sd = details.get("mean"), details.get("sd")
        if not n or mean is None or sd is None:
            return None
        squares = sd * sd * (n - 1) + n * mean * mean  # the sum of squares behind mean and sd
        return DurationState(n, round(mean * n * US), squares)

    def compare(self, before: DurationState, after: DurationState) -> float | None:
        if before.sd is None or after.sd is None:
            return None
        return welch_p(before.mean, before.sd**2, before.n, after.mean, after.sd**2, after.n)
