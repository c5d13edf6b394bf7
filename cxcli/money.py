"""Amounts of money as people read them: an ISO 4217 currency code (`--currency USD`, or
`currency` in a report config) puts its symbol on values, tiles and chart axes."""

from __future__ import annotations

import re
from typing import Any

from .definition import option
from .errors import UsageError

# Symbols readers know without the code; any other valid code is written before the amount.
SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "KRW": "₩",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "MXN": "MX$",
}
_CODE = re.compile(r"[A-Z]{3}")


def currency_option() -> Any:
    """The `currency` option of a money KPI."""
    return option(None, "ISO 4217 code of the amounts, e.g. USD: shown as $1,234.50")


def check_currency(code: str | None, where: str = "--currency") -> None:
    if code is not None and not _CODE.fullmatch(code):
        raise UsageError(f"{where} {code!r}: give an ISO 4217 code of three capitals, e.g. USD")


def fmt_money(value: float, decimals: int, currency: str | None) -> str:
    """`1,234.50`; with a currency `$1,234.50`, `-€3.00`, `CHF 12.00`."""
    number = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 and float(number.replace(",", "")) else ""
    if currency is None:
        return sign + number
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{currency} {number}"


def axis_label(currency: str | None) -> str:
    """A chart's value axis for amounts: the currency, or plainly that it is an amount."""
    if currency is None:
        return "amount"
    symbol = SYMBOLS.get(currency)
    return f"{currency} ({symbol})" if symbol else currency
