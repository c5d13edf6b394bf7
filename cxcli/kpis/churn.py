"""Customer churn rate.

Churn = 100 · L / S over a window [from, to): S = customers active at `from` (start < from, and
no end or end ≥ from), L = those of S whose end falls in [from, to). Details: S, L, new N, end
count E, the monthly and annual equivalents 1 − (1 − c)^(period / window length), and with
`--mrr` revenue churn (MRR lost / MRR at the start). Wilson interval; change between periods: a
pooled two-proportion z-test. A customer whose end is before its start is invalid; repeated ids
are counted once and reported. Default window: the last complete calendar month the data
reaches (windows.default_window).

>>> from cxcli.windows import explicit_window
>>> kpi = Churn().with_windows([explicit_window("2025-03-01", "2025-04-01")])
>>> kpi.compute({"id": ["a", "b", "c", "d"],
...              "start": ["2025-01-05", "2025-02-01", "2025-03-10", "2025-01-01"],
...              "end": ["2025-03-15", None, None, "2025-02-20"]}).value
50.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..definition import Estimate
from ..registry import register
from ..stats import Test, two_proportion_test, wilson
from .roster import RosterKpi

MONTH_DAYS = 365.2425 / 12
YEAR_DAYS = 365.2425


def equivalent(rate: float, days: float, period_days: float) -> float:
    """The rate over `days` restated for a period: 1 − (1 − c)^(period / days)."""
    return 1 - (1 - rate) ** (period_days / days)


@register
@dataclass(frozen=True)
class Churn(RosterKpi):
    """Share of customers active at the start of the window who left during it."""

    name = "churn"
    title = "Customer Churn"
    examples = (
        "cx churn customers.csv --id Customer --start Signup --end Cancelled",
        "cx churn customers.csv --from 2025-01-01 --to 2025-07-01 --period month --by Plan",
        "cx churn customers.parquet --mrr MRR --max 3 --gate-on interval",
    )

    @property
    def definition(self) -> str:
        return "churn.start_denominator"

    @property
    def higher_is_better(self) -> bool:
        return False

    def finalize(self, state: dict[str, Any], confidence: float = 0.95) -> Estimate:
        view = state
        details = self.counts(view)
        s, lost = view["S"], view["L"]
        rate = lost / s if s else None
        details["monthly_equivalent"] = (
            100 * equivalent(rate, view["days"], MONTH_DAYS) if rate is not None else None
        )
        details["annual_equivalent"] = (
            100 * equivalent(rate, view["days"], YEAR_DAYS) if rate is not None else None
        )
        details["revenue_churn"] = (
            100 * view["mrr_lost"] / view["mrr_start"] if view["mrr_start"] else None
        )
        notes = self.notes(view)
        if not s:
            return Estimate(None, 0, None, details, notes)
        return Estimate(100 * rate, s, wilson(lost, s, confidence), details, notes)

    def compare(
        self, before: dict[str, Any], after: dict[str, Any], confidence: float
    ) -> Test | None:
        return two_proportion_test(before["L"], before["S"], after["L"], after["S"], confidence)
