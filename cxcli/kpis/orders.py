"""What the order KPIs (arpu, clv) share: the columns of an order export and exact money sums."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..kpi import Role

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

MICRO = 1_000_000  # money is summed in integer millionths, so merges are exact

CUSTOMER = Role(
    "customer",
    "customer_id",
    (
        *("customer", "cust", "cust_id", "account_id", "client_id", "user_id", "buyer_id"),
        *("customer_email", "email"),
    ),
    "customer ids",
)
AMOUNT = Role(
    "amount",
    "amount",
    ("revenue", "total", "order_total", "order_value", "value", "price", "sales", "net_amount"),
    "order amounts",
)
DATE = Role(
    "date",
    "order_date",
    ("date", "ordered", "ordered_at", "order_time", "purchased_at", "created_at", "timestamp"),
    "order dates",
    kind="time",
)


def parse_orders(columns: Mapping[str, pa.Array], times: TimeSettings | None) -> dict[str, Parsed]:
    """Customer ids as trimmed text (so 123 and "123" are one customer), amounts as numbers,
    dates as times; whichever of the three are present."""
    from ..times import parse_times
    from ..values import parse_ids, parse_numbers

    parsed: dict[str, Parsed] = {}
    if "customer" in columns:
        parsed["customer"] = parse_ids(columns["customer"])
    if "amount" in columns:
        parsed["amount"] = parse_numbers(columns["amount"])
    if "date" in columns:
        parsed["date"] = parse_times(columns["date"], times, "date")
    return parsed


def micros(amounts: np.ndarray) -> int:
    import numpy as np

    return int(np.rint(amounts * MICRO).astype(np.int64).sum())
