"""Customer Satisfaction (CSAT).

CSAT = 100 · satisfied / n, where satisfied means score ≥ `--satisfied`; by default the top two
boxes of the scale (4–5 on 1-5), or the top box on 1-3. The definition name says which boxes
counted (`csat.top2box`). Also the mean score and the distribution. Wilson interval; change
between periods: a pooled two-proportion z-test.

>>> Csat().compute({"score": [5, 4, 3, 1]}).value
50.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..definition import Estimate, Role, option
from ..errors import UsageError
from ..registry import register
from ..stats import Test, two_proportion_test, wilson
from .histogram import ScoreKpi

if TYPE_CHECKING:
    import numpy as np

SCALES = ("1-5", "1-2", "1-3", "1-7", "1-10", "0-10")

SCORE = Role(
    "score",
    "csat_score",
    aliases=("csat", "satisfaction", "sat", "csat_rating", "satisfaction_score", "score"),
    help="satisfaction answers on --scale",
    kind="score",
    wording=r"\bsatisf(ied|action)\b",
)


@register
@dataclass(frozen=True)
class Csat(ScoreKpi):
    """Share of satisfied answers (top-2-box by default)."""

    name = "csat"
    title = "Customer Satisfaction"
    value_unit = "percent"
    roles = (SCORE,)
    examples = (
        "cx csat survey.csv --score Sat",
        "cx csat survey.csv --score Sat --scale 1-7 --satisfied 6 --by Channel",
        "cx csat survey.parquet --period week --min 80 -f json",
    )

    scales = SCALES
    default_scale = "1-5"

    scale: str | None = option(
        None, "rating scale (default: 1-5, or the scale of the labels found)", choices=SCALES
    )
    satisfied: int | None = option(
        None, "lowest score that counts as satisfied (default: top-2-box)"
    )

    def __post_init__(self) -> None:
        low, high = self.bounds
        if self.satisfied is not None and not low <= self.satisfied <= high:
            raise UsageError(f"--satisfied {self.satisfied} is outside the {self.scale_text} scale")

    @property
    def threshold(self) -> int:
        low, high = self.bounds
        if self.satisfied is not None:
            return self.satisfied
        return high if high - low < 4 else high - 1

    @property
    def categories(self) -> tuple[tuple[str, int, int], ...]:
        """The answers' categories, worst first: (name, lowest score, highest score)."""
        low, high = self.bounds
        return ("not satisfied", low, self.threshold - 1), ("satisfied", self.threshold, high)

    @property
    def definition(self) -> str:
        return f"csat.top{self.bounds[1] - self.threshold + 1}box"

    def params(self) -> dict:
        return {**super().params(), "satisfied": self.threshold}

    def _satisfied(self, state: np.ndarray) -> int:
        return int(state[self.threshold - self.bounds[0] :].sum())

    def finalize(self, state: np.ndarray, confidence: float = 0.95) -> Estimate:
        n, mean, sd = self.moments(state)
        satisfied = self._satisfied(state)
        details = {
            "satisfied": satisfied,
            "unsatisfied": n - satisfied,
            "mean": mean,
            "sd": sd,
            "distribution": self.distribution(state),
        }
        if n == 0:
            return Estimate(None, 0, None, details, (f"no valid {self.scale_text} scores",))
        return Estimate(100 * satisfied / n, n, wilson(satisfied, n, confidence), details)

    def compare(self, before: np.ndarray, after: np.ndarray, confidence: float) -> Test | None:
        return two_proportion_test(
            self._satisfied(before),
            int(before.sum()),
            self._satisfied(after),
            int(after.sum()),
            confidence,
        )
