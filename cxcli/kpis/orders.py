"""What the order KPIs (arpu, clv) share: the columns of an order export and exact money sums.

An order export may have a row per line item (Shopify): with `--order`, a row with an order id
and no amount is a line of that order, its total being on another line — a used row, neither
missing nor an order of its own (`line_items` in details). Revenue is net: `--refunds` (an
amount refunded) comes off, and a `--status` of `voided` makes no order, `refunded` (with no
refund amount) no revenue; the gross is in details too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..definition import Role

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

MICRO = 1_000_000  # money is summed in integer millionths, so merges are exact
AMOUNT_RULE = "an amount is invalid when it is not a number or beyond ±1e15"  # the note
ORDER_ROW, LINE_ROW, VOIDED_ROW = 1, 0, 2  # what a row of an order export is

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
ORDER = Role(
    "order",
    "order_id",
    ("order_number", "order_name", "order_no"),
    "order ids: a row with one and no amount is a line of that order",
    False,
)
REFUNDS = Role(
    "refunds",
    "refunded_amount",
    ("refunds", "refund_amount", "refunded", "amount_refunded"),
    "amounts refunded (taken off the revenue)",
    False,
)
STATUS = Role(
    "status",
    "financial_status",
    ("payment_status", "order_status"),
    "payment status: voided makes no order, refunded no revenue",
    False,
)
ROLES = (CUSTOMER, AMOUNT, DATE, ORDER, REFUNDS, STATUS)


def parse_orders(columns: Mapping[str, pa.Array], times: TimeSettings | None) -> dict[str, Parsed]:
    """Customer ids as trimmed text (so 123 and "123" are one customer), net amounts (and
    `gross`, and `kind`: ORDER, LINE or VOIDED), dates as times; whichever of the roles are
    present."""
    import numpy as np

    from ..times import parse_times
    from ..values import Parsed, parse_amounts, parse_ids

    parsed: dict[str, Parsed] = {}
    if "customer" in columns:
        parsed["customer"] = parse_ids(columns["customer"])
    if "date" in columns:
        parsed["date"] = parse_times(columns["date"], times, "date")
    if "amount" not in columns:
        return parsed
    amount = parse_amounts(columns["amount"])
    n = len(amount.values)
    none = np.zeros(n, dtype=bool)
    kind, missing = np.full(n, ORDER_ROW, dtype=np.int8), amount.missing
    gross = np.where(amount.missing, 0.0, amount.values)
    refunded = np.zeros(n)
    for role in ("order", "refunds", "status"):
        if role in columns:
            parsed[role] = Parsed(np.zeros(n), none, none)
    if "order" in columns:
        line = amount.missing & ~parse_ids(columns["order"]).missing
        kind, missing = np.where(line, LINE_ROW, kind), amount.missing & ~line
    if "refunds" in columns:
        refunds = parse_amounts(columns["refunds"])
        refunded = np.where(refunds.missing, 0.0, refunds.values)
        parsed["refunds"] = Parsed(refunded, none, refunds.invalid | (refunded < 0))
    if "status" in columns:
        status = _status(columns["status"])
        voided = (status == "voided") & (kind == ORDER_ROW)
        kind = np.where(voided, VOIDED_ROW, kind)
        gross = np.where(voided, 0.0, gross)
        whole = (status == "refunded") & ("refunds" not in columns)
        refunded = np.where(whole, gross, refunded)
    parsed["amount"] = Parsed(gross - refunded, missing, amount.invalid)
    parsed["gross"] = Parsed(gross, none, none)
    parsed["kind"] = Parsed(kind, none, none)
    return parsed


def _status(column: pa.Array) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_lower(pc.utf8_trim_whitespace(column.cast(pa.string())))
    return text.fill_null("").to_numpy(zero_copy_only=False)


def micros(amounts: np.ndarray) -> int:
    """The exact sum of amounts in millionths (amounts are bounded by AMOUNT_MAX)."""
    from ..sums import exact_total

    return exact_total(amounts, MICRO)
