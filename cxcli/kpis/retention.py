"""Customer retention rate.

Retention = 100 · (E − N − R) / S over a window [from, to): S = customers active at `from`,
N = new customers (first start in the window), R = returning ones (a win-back in the window),
E = customers active at `to`. Details: S, L, N, E, reactivated. Wilson interval (when
0 ≤ E − N − R ≤ S); change between periods: a pooled two-proportion z-test. A customer whose
end is before its start is invalid; several subscriptions of one customer are one customer.
Default window: the last complete calendar month before the latest date in the data.

>>> from cxcli.windows import explicit_window
>>> kpi = Retention().with_windows([explicit_window("2025-03-01", "2025-04-01")])
>>> kpi.compute({"id": ["a", "b", "c", "d"],
...              "start": ["2025-01-05", "2025-02-01", "2025-03-10", "2025-01-01"],
...              "end": ["2025-03-15", None, None, "2025-02-20"]}).value
50.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..kpi import Estimate
from ..registry import register
from ..stats import two_proportion_p, wilson
from .roster import RosterKpi


@register
@dataclass(frozen=True)
class Retention(RosterKpi):
    """Share of the customers active at the start of the window still active at its end."""

    name = "retention"
    title = "Customer Retention"
    examples = (
        "cx retention customers.csv --id Customer --start Signup --end Cancelled",
        "cx retention customers.csv --from 2025-01-01 --to 2026-01-01 --period quarter",
        "cx retention customers.parquet --by Plan --min 90",
    )

    @property
    def definition(self) -> str:
        return "retention.crr"

    def finalize(self, state: dict[str, Any], confidence: float = 0.95) -> Estimate:
        view = state
        details = self.counts(view)
        s, kept = view["S"], view["E"] - view["N"] - view["R"]
        notes = self.notes(view)
        if not s:
            return Estimate(None, 0, None, details, notes)
        ci = wilson(kept, s, confidence) if 0 <= kept <= s else None
        return Estimate(100 * kept / s, s, ci, details, notes)

    def compare(self, before: dict[str, Any], after: dict[str, Any]) -> float | None:
        kept = tuple(v["E"] - v["N"] - v.get("R", 0) for v in (before, after))
        if not (0 <= kept[0] <= before["S"] and 0 <= kept[1] <= after["S"]):
            return None
        return two_proportion_p(kept[0], before["S"], kept[1], after["S"])
