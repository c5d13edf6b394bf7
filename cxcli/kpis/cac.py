"""Customer Acquisition Cost (CAC).

CAC = marketing spend in the window / new customers in the window, from two inputs: spend rows
(`--spend FILE`: `--date`, `--amount`) and a customer roster (`--customers FILE`: `--start`).
When both inputs have a channel column (`--channel COL`, or one named like `channel`), results
come per channel too. A window with no new customers gives `value: null` and a note. With
`--arpu` (monthly revenue per customer) the CAC payback in months = CAC / (ARPU × margin).

>>> from cxcli.windows import explicit_window
>>> kpi = Cac().with_windows([explicit_window("2025-03-01", "2025-04-01")])
>>> state = kpi.update(kpi.init(), {"date": _us(["2025-03-05", "2025-04-02"]),
...                                 "amount": _np([900.0, 50.0])})
>>> state = kpi.update(state, {"start": _us(["2025-03-10", "2025-03-11", "2025-02-01"])})
>>> kpi.finalize(kpi.view(state, 0)).value
450.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..definition import Estimate, Role, WindowedKpi, option
from ..errors import UsageError
from ..money import check_currency, currency_option
from ..registry import register
from .orders import MICRO, micros

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

DATE = Role(
    "date", "date", ("spend_date", "day", "spent_on", "day_date"), "spend dates", kind="time"
)
AMOUNT = Role(
    "amount", "amount", ("spend", "cost", "spend_amount", "budget_spent"), "spend amounts"
)
START = Role(
    "start",
    "start_date",
    ("start", "signup", "signup_date", "signed_up", "created_at", "acquired_at", "joined"),
    "customer start (signup) dates",
    kind="time",
)
CHANNEL = Role(
    "channel",
    "channel",
    ("source", "acquisition_channel", "utm_source", "marketing_channel"),
    "acquisition channels (in both inputs)",
    False,
)


@dataclass
class Acquisition:
    """Per window: spend (µ-units) and new customers."""

    spend: list[int] = field(default_factory=list)
    new: list[int] = field(default_factory=list)


@register
@dataclass(frozen=True)
class Cac(WindowedKpi[Acquisition]):
    """Marketing spend per new customer in the window."""

    name = "cac"
    invalid_rule = "a spend amount is invalid when it is not a number or beyond ±1e15"
    title = "Customer Acquisition Cost"
    value_unit = "money"
    decimals = 2
    roles = (DATE, AMOUNT, START, CHANNEL)
    inputs: ClassVar[dict[str, tuple[str, ...]]] = {
        "spend": ("date", "amount", "channel"),
        "customers": ("start", "channel"),
    }
    window_roles = ("date", "start")
    segment_role = "channel"
    examples = (
        "cx cac --spend spend.csv --customers crm.csv --date Day --amount Cost --start Signup",
        "cx cac --spend spend.csv --customers customers.csv --channel Source --period month",
        "cx cac --spend 'spend/*.csv' --customers crm.parquet --arpu 49 --margin 0.7 --max 300",
    )

    arpu: float | None = option(None, "monthly revenue per customer, for the payback period")
    margin: float = option(1.0, "gross margin (0-1) for the payback period")

    currency: str | None = currency_option()

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not 0 < self.margin <= 1:
            raise UsageError("--margin must be in (0, 1], e.g. 0.7 for 70%")
        if self.arpu is not None and self.arpu <= 0:
            raise UsageError("--arpu must be positive")

    @property
    def definition(self) -> str:
        return "cac.spend_per_new_customer"

    @property
    def higher_is_better(self) -> bool:
        return False

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        import numpy as np

        from ..times import parse_times
        from ..values import Parsed, parse_amounts

        parsed: dict[str, Parsed] = {}
        for role in ("date", "start"):
            if role in columns:
                parsed[role] = parse_times(columns[role], times, role)
        if "amount" in columns:
            amount = parse_amounts(columns["amount"])
            parsed["amount"] = Parsed(
                amount.values, amount.missing, amount.invalid | (amount.values < 0)
            )
        if "channel" in columns:  # a segment, not a value: never missing or invalid here
            n = len(columns["channel"])
            parsed["channel"] = Parsed(np.zeros(n), np.zeros(n, bool), np.zeros(n, bool))
        return parsed

    def init(self) -> Acquisition:
        n = len(self.windows)
        return Acquisition([0] * n, [0] * n)

    def update(self, state: Acquisition, values: Mapping[str, np.ndarray]) -> Acquisition:
        for i, window in enumerate(self.windows):
            if "date" in values:
                dates = values["date"]
                inside = (dates >= window.start) & (dates < window.end)
                state.spend[i] += micros(values["amount"][inside])
            if "start" in values:
                starts = values["start"]
                state.new[i] += int(((starts >= window.start) & (starts < window.end)).sum())
        return state

    def merge(self, a: Acquisition, b: Acquisition) -> Acquisition:
        return Acquisition(
            [x + y for x, y in zip(a.spend, b.spend, strict=True)],
            [x + y for x, y in zip(a.new, b.new, strict=True)],
        )

    def view(self, state: Acquisition, index: int) -> dict[str, Any]:
        return {"spend": state.spend[index] / MICRO, "new": state.new[index]}

    def finalize(self, state: dict[str, Any], confidence: float = 0.95) -> Estimate:
        spend, new = state["spend"], state["new"]
        details: dict[str, Any] = {"spend": spend, "new_customers": new, "payback_months": None}
        if not new:
            return Estimate(None, 0, None, details, ("no new customers in the window",))
        cac = spend / new
        if self.arpu is not None:
            details["payback_months"] = cac / (self.arpu * self.margin)
        return Estimate(cac, new, None, details)


def _us(days: list[str]) -> np.ndarray:  # for the doctest
    import numpy as np

    return np.array(days, dtype="datetime64[us]").astype(np.int64)


def _np(values: list[float]) -> np.ndarray:
    import numpy as np

    return np.array(values)
