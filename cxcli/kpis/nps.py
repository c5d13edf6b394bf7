"""Net Promoter Score.

NPS = 100 · (promoters − detractors) / n over valid 0–10 answers: promoters answer 9–10,
passives 7–8, detractors 0–6. Whole numbers only (`9.0` counts as 9; `9.5`, `11`, `-1` and
text are invalid). Interval: adjusted Wald (n+3, promoters+0.75, detractors+0.75,
se = √((p+d−(p−d)²)/n)). Change between periods: pooled under the null — a z test with the
pooled variance, or with few answers the exact permutation test (stats.nps_change_test).

>>> Nps().compute({"score": [10, 9, 8, 3, None]}).value
25.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..definition import Estimate, NetShares, Role
from ..registry import register
from ..stats import Test, nps_change_test, nps_interval
from .histogram import ScoreKpi

if TYPE_CHECKING:
    import numpy as np

SCORE = Role(
    "score",
    "nps_score",
    aliases=("nps", "score", "likelihood_to_recommend", "ltr", "recommend", "nps_rating"),
    help="0-10 likelihood-to-recommend answers",
    kind="score",
    wording=r"\brecommend(ing)?\b",
    sibling="_NPS_GROUP",
)


@register
@dataclass(frozen=True)
class Nps(NetShares, ScoreKpi):
    """Net Promoter Score from 0–10 answers."""

    name = "nps"
    title = "Net Promoter Score"
    roles = (SCORE,)
    examples = (
        "cx nps survey.csv",
        'cx nps survey.csv --score LTR --by Region --period month --time "Submitted At"',
        "cat survey.csv | cx nps - --where \"Channel = 'email'\" --min 30 --gate-on interval",
    )

    net_name = "NPS"
    scales = ("0-10",)
    default_scale = "0-10"

    @property
    def definition(self) -> str:
        return "nps.standard"

    @property
    def categories(self) -> tuple[tuple[str, int, int], ...]:
        """The answers' categories, worst first: (name, lowest score, highest score)."""
        return ("detractor", 0, 6), ("passive", 7, 8), ("promoter", 9, 10)

    @staticmethod
    def _counts(state: np.ndarray) -> tuple[int, int, int]:
        counts = state.tolist()
        return sum(counts[9:]), sum(counts[7:9]), sum(counts[:7])

    def finalize(self, state: np.ndarray, confidence: float = 0.95) -> Estimate:
        promoters, passives, detractors = self._counts(state)
        n = promoters + passives + detractors

        def pct(count: int) -> float | None:
            return 100 * count / n if n else None

        details = {
            "promoters": promoters,
            "passives": passives,
            "detractors": detractors,
            "pct_promoters": pct(promoters),
            "pct_passives": pct(passives),
            "pct_detractors": pct(detractors),
            "distribution": self.distribution(state),
        }
        if n == 0:
            return Estimate(None, 0, None, details, ("no valid 0-10 scores",))
        value = 100 * (promoters - detractors) / n
        return Estimate(value, n, nps_interval(promoters, detractors, n, confidence), details)

    def compare(self, before: np.ndarray, after: np.ndarray, confidence: float) -> Test | None:
        (p1, _, d1), (p2, _, d2) = self._counts(before), self._counts(after)
        n = (int(before.sum()), int(after.sum()))
        return nps_change_test((p1, p2), (d1, d2), n, confidence)
