"""Customer Lifetime Value (CLV), two ways (`--model`).

`historic` (default): CLV = average purchase value × purchases per customer-year × lifespan
(years) × margin, over orders (`--customer`, `--amount`, `--date`). Average purchase value =
revenue / orders; purchases per customer-year = orders / the customers' years as customers,
each from their first order to the last order of the data, both days included
(`clv.lifespan.tenure`, `clv.churn.tenure`); with `--years` = orders / customers / years, the
earlier formula (`clv.lifespan.years`, `clv.churn.years`). Lifespan is `--lifespan` or
1 / `--annual-churn`; `--margin` defaults to 1. Every component is in `details`.

`bgnbd`: each customer's repeat purchases (purchase days after the first), recency and
tenure in weeks to `--until` feed a BG/NBD model of purchasing and dropping out, their mean
repeat spend a Gamma-Gamma model of spend (lifetime.py); CLV is each customer's expected
spend over `--horizon` months, discounted by `--discount` a month, times `--margin`; the
headline is its mean, with a parametric-bootstrap interval over the fitted parameters.
`--holdout END` compares the predictions with the orders from `--until` to END.

>>> Clv(lifespan=3, margin=0.5, years=1).compute({"customer": ["a", "a", "b"],
...     "amount": [10, 30, 20], "date": ["2024-01-01", "2025-01-01", "2024-07-01"]}).value
45.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, Kpi, option
from ..errors import UsageError
from ..ledger import Ledger
from ..money import check_currency, currency_option
from ..periods import US_PER_DAY
from ..registry import register
from .orders import AMOUNT_RULE, LINE_ROW, MICRO, ORDER_ROW, ROLES, micros, parse_orders

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..planning import Query
    from ..times import TimeSettings
    from ..values import Parsed

YEAR_US = 365.2425 * 86_400 * 1_000_000
SHORT_SPAN_DAYS = 365  # a shorter span of orders gets a note: its yearly rate is extrapolated
MODELS = ("historic", "bgnbd")


@dataclass
class Orders:
    """Revenue (µ-units), order count, the first and last order time, and the customers'
    ledger (their first days, or every purchase day for bgnbd)."""

    revenue: int = 0
    orders: int = 0
    first: int | None = None
    last: int | None = None
    gross: int = 0
    lines: int = 0
    ledger: Ledger = field(default_factory=Ledger)  # spend by customer and purchase day


@register
@dataclass(frozen=True)
class Clv(Kpi[Orders]):
    """Customer lifetime value from orders, lifespan (or churn) and margin."""

    name = "clv"
    invalid_rule = AMOUNT_RULE
    title = "Customer Lifetime Value"
    value_unit = "money"
    decimals = 2
    roles = ROLES
    time_role = "date"
    examples = (
        "cx clv orders.csv --customer Cust --amount Amount --date Ordered --lifespan 3",
        "cx clv orders.csv --annual-churn 0.25 --margin 0.4 --years 2 --by Country",
        "cx clv orders.parquet --lifespan 4 --since 2024-01-01 --until 2026-01-01",
    )

    lifespan: float | None = option(None, "expected customer lifespan in years")
    annual_churn: float | None = option(None, "annual churn rate (0-1); lifespan = 1 / rate")
    margin: float = option(1.0, "gross margin (0-1) applied to revenue")
    years: float | None = option(None, "years the orders cover (default: their observed span)")

    model: str = option(
        "historic",
        "historic: the formula over observed orders; bgnbd: BG/NBD and Gamma-Gamma models "
        "fitted to each customer's purchases",
        choices=MODELS,
    )
    horizon: int = option(12, "bgnbd: the months the value covers")
    discount: float = option(0.01, "bgnbd: discount rate a month")
    holdout: str | None = option(
        None, "bgnbd: leave the orders from --until to END out of the fit and check against them"
    )
    per_customer: str | None = option(
        None, "bgnbd: write each customer's P(alive), expected purchases and CLV to FILE"
    )
    currency: str | None = currency_option()
    calibration_end: int | None = field(default=None, metadata={"cli": False})  # --until, µs
    holdout_end: int | None = field(default=None, metadata={"cli": False})

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if self.lifespan is not None and self.lifespan <= 0:
            raise UsageError("--lifespan must be a positive number of years")
        if self.annual_churn is not None and not 0 < self.annual_churn <= 1:
            raise UsageError("--annual-churn must be a rate in (0, 1], e.g. 0.25")
        if not 0 < self.margin <= 1:
            raise UsageError("--margin must be in (0, 1], e.g. 0.3 for 30%")
        if self.years is not None and self.years <= 0:
            raise UsageError("--years must be positive")

    def check(self) -> None:
        if self.model == "bgnbd":
            given = [
                flag
                for flag, value in (
                    ("--lifespan", self.lifespan),
                    ("--annual-churn", self.annual_churn),
                    ("--years", self.years),
                )
                if value is not None
            ]
            if given:
                raise UsageError(f"{given[0]} is for --model historic: bgnbd fits the lifespan")
            if self.horizon < 1 or not 0 <= self.discount < 1:
                raise UsageError("--horizon is at least 1 month, --discount a rate in [0, 1)")
            return
        if self.holdout is not None or self.per_customer is not None:
            option = "--holdout" if self.holdout is not None else "--per-customer"
            raise UsageError(f"{option} needs --model bgnbd")
        if self.lifespan is None and self.annual_churn is None:
            raise UsageError(
                "cx clv needs the customer lifespan: give --lifespan YEARS or --annual-churn RATE"
            )
        if self.lifespan is not None and self.annual_churn is not None:
            raise UsageError("give --lifespan or --annual-churn, not both")

    @property
    def definition(self) -> str:
        if self.model == "bgnbd":
            return "clv.bgnbd"
        base = "clv.lifespan" if self.lifespan is not None else "clv.churn"
        return f"{base}.{'years' if self.years is not None else 'tenure'}"

    def side_files(self, state: Orders, details: Mapping[str, Any]) -> dict[str, tuple[bytes, str]]:
        """--per-customer FILE (written atomically, never through a link cx did not create)."""
        if self.per_customer is None:
            return {}
        from .clv_models import per_customer_file

        content = per_customer_file(self, state, dict(details), self.per_customer)
        return {self.per_customer: (content, "each customer's values")}

    def adopt(self, query: Query) -> tuple[Clv, Query]:
        """bgnbd: --until ends the calibration, not the rows read: with --holdout the rows up
        to its end are read, and the KPI splits them."""
        if self.model != "bgnbd" or self.holdout_end is not None:  # adopted already
            return self, query
        from dataclasses import replace

        from ..periods import parse_date

        if self.holdout is None:
            return replace(self, calibration_end=query.until), query
        if query.until is None:
            raise UsageError("--holdout needs --until: the end of the calibration period")
        end = parse_date(self.holdout, "--holdout")
        if end <= query.until:
            raise UsageError("--holdout must end after --until")
        kpi = replace(self, calibration_end=query.until, holdout_end=end)
        return kpi, replace(query, until=end)

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        return parse_orders(columns, times)

    def init(self) -> Orders:
        return Orders(ledger=Ledger(firsts=self.model != "bgnbd"))

    def update(self, state: Orders, values: Mapping[str, np.ndarray]) -> Orders:
        import numpy as np
        import pyarrow as pa

        dates = values["date"]
        if len(dates) == 0:
            return state
        orders = values["kind"] == ORDER_ROW
        state.revenue += micros(values["amount"])
        state.gross += micros(values["gross"])
        state.orders += int(orders.sum())
        state.lines += int((values["kind"] == LINE_ROW).sum())
        ids = pa.array(values["customer"][orders], pa.string())
        spend = np.round(values["amount"][orders] * MICRO).astype(np.int64)
        state.ledger.add(ids, dates[orders] // US_PER_DAY, spend)
        low, high = int(dates.min()), int(dates.max())
        state.first = low if state.first is None else min(state.first, low)
        state.last = high if state.last is None else max(state.last, high)
        return state

    def merge(self, a: Orders, b: Orders) -> Orders:
        firsts = [x for x in (a.first, b.first) if x is not None]
        lasts = [x for x in (a.last, b.last) if x is not None]
        return Orders(
            a.revenue + b.revenue,
            a.orders + b.orders,
            min(firsts) if firsts else None,
            max(lasts) if lasts else None,
            a.gross + b.gross,
            a.lines + b.lines,
            a.ledger.merge(b.ledger),
        )

    def finalize(self, state: Orders, confidence: float = 0.95) -> Estimate:
        if self.model == "bgnbd":
            from .clv_models import bgnbd_estimate

            return bgnbd_estimate(self, state, confidence)
        customers = state.ledger.customers()
        revenue = state.revenue / MICRO
        observed = _span_years(state.first, state.last)
        years = self.years if self.years is not None else observed
        lifespan = (
            self.lifespan
            if self.lifespan is not None
            else (1 / self.annual_churn if self.annual_churn else None)
        )
        aov = revenue / state.orders if state.orders else None
        tenure = _customer_years(state) if self.years is None else None
        if self.years is not None:
            frequency = state.orders / customers / years if customers and years else None
        else:
            frequency = state.orders / tenure if tenure else None
        details: dict[str, Any] = {
            "revenue": revenue,
            "orders": state.orders,
            "customers": customers,
            "average_purchase_value": aov,
            "years": years,
            "observed_years": observed,
            "customer_years": tenure,
            "purchases_per_customer_per_year": frequency,
            "lifespan_years": lifespan,
            "margin": self.margin,
            "gross_revenue": state.gross / MICRO,
            "refunded": (state.gross - state.revenue) / MICRO,
            "line_items": state.lines,
        }
        if not state.orders:
            return Estimate(None, 0, None, details, ("no valid orders",))
        days = round((observed or 0) * YEAR_US / US_PER_DAY)
        if self.years is None and days <= 1:
            note = "the orders are all of one day: give the years they stand for with --years"
            return Estimate(None, customers, None, details, (note,))
        notes = ()
        if self.years is None and days < SHORT_SPAN_DAYS:
            notes = (
                f"the orders cover only {days} days, less than a year: purchases per year are "
                "extrapolated from them (--years sets the span)",
            )
        if self.years is None and lifespan and observed and lifespan > observed:
            notes += (
                f"the value is mostly the lifespan assumption: the orders cover "
                f"{observed:.1f} years, the lifespan is {lifespan:g}",
            )
        value = aov * frequency * lifespan * self.margin if lifespan else None
        return Estimate(value, customers, None, details, notes)


def _customer_years(state: Orders) -> float | None:
    """The customers' years as customers: each from their first order to the last order of
    the data, both days included."""
    from ..ledger import customers_of

    firsts = customers_of(state.ledger.table()).first
    if state.last is None or not len(firsts):
        return None
    days = (state.last // US_PER_DAY - firsts + 1).sum()
    return float(days) * US_PER_DAY / YEAR_US


def _span_years(first: int | None, last: int | None) -> float | None:
    """The calendar days the orders cover, first and last day included (orders on 1 January
    and 30 June cover 181 days), in years."""
    if first is None or last is None:
        return None
    days = last // US_PER_DAY - first // US_PER_DAY + 1
    return days * US_PER_DAY / YEAR_US
