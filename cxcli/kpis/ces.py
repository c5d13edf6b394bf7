"""Customer Effort Score (CES).

CES = the mean score on a 1-7 (default) or 1-5 scale, higher = easier unless
`--lower-is-easier`. Details: `pct_easy` (top-3-box on 1-7, top-2 on 1-5; bottom boxes when
lower is easier), `pct_difficult` (the opposite boxes) and the effort index
`pct_easy − pct_difficult`. Interval: Student t on the mean, kept within the scale (when every
answer is the same, the distribution-free bound of stats.constant_mean_interval); change
between periods: Welch's t-test.

>>> Ces().compute({"score": [7, 6, 5, 2]}).value
5.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..definition import Estimate, Role, option
from ..registry import register
from ..stats import Test, constant_mean_interval, mean_interval, welch_test
from .histogram import ScoreKpi, parse_scale

if TYPE_CHECKING:
    import numpy as np

    from ..labels import LabelSet

SCALES = ("1-7", "1-5")

SCORE = Role(
    "score",
    "ces_score",
    aliases=("ces", "effort", "customer_effort", "effort_score", "score"),
    help="effort answers on --scale",
    kind="score",
    wording=r"\b(easy|easier|ease|effort|difficult)\b",
)


@register
@dataclass(frozen=True)
class Ces(ScoreKpi):
    """Mean customer-effort score with the share of easy answers."""

    name = "ces"
    title = "Customer Effort Score"
    decimals = 2
    indicator = "leading"
    roles = (SCORE,)
    examples = (
        "cx ces survey.csv --score Effort",
        "cx ces survey.csv --score Effort --scale 1-5 --lower-is-easier --by Channel",
        "cx ces survey.parquet --period month --min 5 --gate-on interval",
    )

    scales = SCALES
    default_scale = "1-7"

    scale: str | None = option(
        None, "rating scale (default: 1-7, or the scale of the labels found)", choices=SCALES
    )
    lower_is_easier: bool = option(False, "1 means easy (the scale runs from easy to hard)")

    def __post_init__(self) -> None:
        if self.scale is not None:
            parse_scale(self.scale, SCALES)

    def _on_scale(self, found: LabelSet, column: str) -> Ces:
        """Labels are numbered easy = high; with --lower-is-easier the other way round."""
        if self.lower_is_easier and found.name not in ("given", "numbered"):
            found = found.reversed()
        return super()._on_scale(found, column)  # type: ignore[return-value]

    @property
    def definition(self) -> str:
        return "ces.mean"

    @property
    def value_range(self) -> tuple[float, float]:
        low, high = self.bounds
        return float(low), float(high)

    def index_score(self, value: float) -> float | None:
        low, high = self.bounds
        easy = (value - low) / (high - low) * 100
        return 100 - easy if self.lower_is_easier else easy

    @property
    def index_method(self) -> str:
        low, high = self.bounds
        easy = f"{high}" if not self.lower_is_easier else f"{low}"
        return f"the {self.scale_text} mean rescaled to 0–100 ({easy} = 100)"

    @property
    def higher_is_better(self) -> bool:
        return not self.lower_is_easier

    @property
    def categories(self) -> tuple[tuple[str, int, int], ...]:
        """The answers' categories, worst first: (name, lowest score, highest score), the
        boxes of `easy` and `difficult` in the details."""
        low, high = self.bounds
        box = 3 if high == 7 else 2
        hard, easy = (low, low + box - 1), (high - box + 1, high)
        if self.lower_is_easier:
            hard, easy = easy, hard
        return ("difficult", *hard), ("neutral", low + box, high - box), ("easy", *easy)

    def _boxes(self, state: np.ndarray) -> tuple[int, int]:
        box = 3 if self.bounds[1] == 7 else 2
        top, bottom = int(state[-box:].sum()), int(state[:box].sum())
        return (bottom, top) if self.lower_is_easier else (top, bottom)

    def finalize(self, state: np.ndarray, confidence: float = 0.95) -> Estimate:
        n, mean, sd = self.moments(state)
        easy, difficult = self._boxes(state)
        pct_easy = 100 * easy / n if n else None
        pct_difficult = 100 * difficult / n if n else None
        details = {
            "mean": mean,
            "sd": sd,
            "easy": easy,
            "difficult": difficult,
            "pct_easy": pct_easy,
            "pct_difficult": pct_difficult,
            "index": None if n == 0 else pct_easy - pct_difficult,
            "distribution": self.distribution(state),
        }
        if n == 0:
            return Estimate(None, 0, None, details, (f"no valid {self.scale_text} scores",))
        low, high = self.bounds
        if sd == 0:  # every answer the same: the t interval would have width 0
            ci = constant_mean_interval(mean, n, (low, high), confidence)
        else:
            ci = mean_interval(mean, sd, n, confidence) if sd is not None else None
        if ci is not None:  # a mean cannot leave the scale
            ci = (max(ci[0], low), min(ci[1], high))
        return Estimate(mean, n, ci, details)

    def compare(self, before: np.ndarray, after: np.ndarray, confidence: float) -> Test | None:
        n1, m1, s1 = self.moments(before)
        n2, m2, s2 = self.moments(after)
        if s1 is None or s2 is None:
            return None
        return welch_test(m1, s1 * s1, n1, m2, s2 * s2, n2, confidence)
