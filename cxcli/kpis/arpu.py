"""Average Revenue Per User (ARPU).

ARPU = revenue in the window / distinct customers with an order in the window, over orders
(`--customer`, `--amount`, `--date`). Windows are half-open [from, to); by default the last
complete calendar month the order dates reach; `--period` gives a series. Revenue sums
are exact; distinct customers are counted exactly with memory proportional to customers.

>>> from cxcli.windows import explicit_window
>>> kpi = Arpu().with_windows([explicit_window("2025-03-01", "2025-04-01")])
>>> kpi.compute({"customer": ["a", "a", "b", "c"], "amount": [10, 20, 30, 99],
...              "date": ["2025-03-02", "2025-03-20", "2025-03-31", "2025-04-01"]}).value
30.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..definition import Estimate, WindowedKpi
from ..distinct import DistinctSet
from ..money import check_currency, currency_option
from ..registry import register
from .orders import AMOUNT_RULE, LINE_ROW, MICRO, ORDER_ROW, ROLES, micros, parse_orders

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed


@dataclass
class Revenue:
    """Per window: net and gross revenue (µ-units), orders, line items, and the customers who
    ordered."""

    revenue: list[int] = field(default_factory=list)
    orders: list[int] = field(default_factory=list)
    customers: list[DistinctSet] = field(default_factory=list)
    gross: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


@register
@dataclass(frozen=True)
class Arpu(WindowedKpi[Revenue]):
    """Revenue per customer who ordered in the window."""

    name = "arpu"
    invalid_rule = AMOUNT_RULE
    title = "Average Revenue Per User"
    value_unit = "money"
    decimals = 2
    roles = ROLES
    window_roles = ("date",)
    examples = (
        "cx arpu orders.csv --customer Cust --amount Amount --date Ordered",
        "cx arpu orders.csv --from 2025-01-01 --to 2025-07-01 --period month",
        "cx arpu orders.parquet --by Country --min 40",
    )

    currency: str | None = currency_option()

    def __post_init__(self) -> None:
        check_currency(self.currency)

    @property
    def definition(self) -> str:
        return "arpu.active_customers"

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        return parse_orders(columns, times)

    def init(self) -> Revenue:
        n = len(self.windows)
        return Revenue([0] * n, [0] * n, [DistinctSet() for _ in range(n)], [0] * n, [0] * n)

    def update(self, state: Revenue, values: Mapping[str, np.ndarray]) -> Revenue:
        import pyarrow as pa

        dates = values["date"]
        for i, window in enumerate(self.windows):
            inside = (dates >= window.start) & (dates < window.end)
            if not inside.any():
                continue
            orders = inside & (values["kind"] == ORDER_ROW)
            state.revenue[i] += micros(values["amount"][inside])
            state.gross[i] += micros(values["gross"][inside])
            state.orders[i] += int(orders.sum())
            state.lines[i] += int((inside & (values["kind"] == LINE_ROW)).sum())
            state.customers[i].add(pa.array(values["customer"][orders], pa.string()))
        return state

    def merge(self, a: Revenue, b: Revenue) -> Revenue:
        def add(x: list[int], y: list[int]) -> list[int]:
            return [p + q for p, q in zip(x, y, strict=True)]

        return Revenue(
            add(a.revenue, b.revenue),
            add(a.orders, b.orders),
            [x.union(y) for x, y in zip(a.customers, b.customers, strict=True)],
            add(a.gross, b.gross),
            add(a.lines, b.lines),
        )

    def view(self, state: Revenue, index: int) -> dict[str, Any]:
        return {
            "revenue": state.revenue[index] / MICRO,
            "gross": state.gross[index] / MICRO,
            "orders": state.orders[index],
            "lines": state.lines[index],
            "customers": state.customers[index].count(),
        }

    def finalize(self, state: dict[str, Any], confidence: float = 0.95) -> Estimate:
        customers, orders = state["customers"], state["orders"]
        details = {
            "revenue": state["revenue"],
            "customers": customers,
            "orders": orders,
            "revenue_per_order": state["revenue"] / orders if orders else None,
            "gross_revenue": state["gross"],
            "refunded": state["gross"] - state["revenue"],
            "line_items": state["lines"],
        }
        if not customers:
            return Estimate(None, 0, None, details, ("no orders in the window",))
        return Estimate(state["revenue"] / customers, customers, None, details)
