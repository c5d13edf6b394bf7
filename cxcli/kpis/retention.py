"""Customer retention rate.

Retention (`--method cohort`, the default) = 100 · (S − L) / S over a window [from, to): of the
S customers active at `from`, the share still active at `to` — so retention + churn = 100.
`--method crr` keeps the classic customer retention rate 100 · (E − N − R) / S, with E =
customers active at `to`, N = new ones (first start in the window) and R = returning ones (a
win-back in the window): it differs from the cohort share when customers who joined in the
window also left in it (it can even leave 0–100), which a note then says. Details: S, L, N, E,
reactivated, and both rates. Wilson interval; change between periods: a pooled two-proportion
test (exact with few customers). A customer whose end is before its start is invalid; several
subscriptions of one customer are one customer. Default window: the last complete calendar
month the data reaches.

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

from ..definition import Estimate, option
from ..errors import UsageError
from ..registry import register
from ..stats import Test, two_proportion_test, wilson
from .roster import RosterKpi

METHODS = ("cohort", "crr")


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

    method: str = option(
        "cohort", "cohort: (S − L)/S, agrees with churn; crr: (E − N − R)/S", choices=METHODS
    )

    @property
    def definition(self) -> str:
        return f"retention.{self.method}"

    def check(self) -> None:
        if self.method not in METHODS:
            raise UsageError(f"--method {self.method!r}: use one of {', '.join(METHODS)}")

    def _kept(self, view: dict[str, Any]) -> int:
        if self.method == "crr":
            return view["E"] - view["N"] - view["R"]
        return view["S"] - view["L"]

    def finalize(self, state: dict[str, Any], confidence: float = 0.95) -> Estimate:
        view = state
        details = self.counts(view)
        s = view["S"]
        notes = list(self.notes(view))
        if not s:
            details["cohort_rate"] = details["crr"] = None
            return Estimate(None, 0, None, details, tuple(notes))
        cohort = 100 * (s - view["L"]) / s
        crr = 100 * (view["E"] - view["N"] - view["R"]) / s
        details["cohort_rate"], details["crr"] = cohort, crr
        if abs(crr - cohort) > 1:
            left = view["E"] - view["N"] - view["R"] - (s - view["L"])
            notes.append(
                f"the classic CRR (E − N − R)/S is {crr:.1f}% against {cohort:.1f}% of the "
                f"starting customers kept: {-left} customers who joined or came back in the "
                "window also left in it"
                + ("" if self.method == "cohort" else "; --method cohort counts only the start")
            )
        if not 0 <= crr <= 100 and self.method == "crr":
            notes.append(f"CRR {crr:.1f}% is outside 0–100: it is no share of any group")
        kept = self._kept(view)
        ci = wilson(kept, s, confidence) if 0 <= kept <= s else None
        return Estimate(100 * kept / s, s, ci, details, tuple(notes))

    def compare(
        self, before: dict[str, Any], after: dict[str, Any], confidence: float
    ) -> Test | None:
        kept = (self._kept(before), self._kept(after))
        if not (0 <= kept[0] <= before["S"] and 0 <= kept[1] <= after["S"]):
            return None
        return two_proportion_test(kept[0], before["S"], kept[1], after["S"], confidence)
