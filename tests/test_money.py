"""Amounts with a currency: the symbol on values, changes and the report, from --currency or
the report config."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLE

from cxcli.money import axis_label, fmt_money


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (373.594, None, "373.59"),
        (1234.5, "USD", "$1,234.50"),
        (-3.0, "EUR", "-€3.00"),
        (12.0, "CHF", "CHF 12.00"),
        (-0.001, "USD", "$0.00"),  # no "-$0.00"
        (5e6, "JPY", "¥5,000,000.00"),
    ],
)
def test_amounts_read_as_money(value, currency, text):
    assert fmt_money(value, 2, currency) == text


def test_the_axis_names_the_currency_or_says_amount():
    assert axis_label("USD") == "USD ($)" and axis_label("SEK") == "SEK"
    assert axis_label(None) == "amount"


ARPU = [str(SAMPLE / "orders.csv"), "--from", "2025-01-01", "--to", "2025-07-01", "-q"]


def test_currency_on_the_command_line(cx):
    table = cx("arpu", *ARPU, "--period", "month", "--currency", "USD", "-f", "table").stdout
    assert "$373.59" in table and "▼ -$11.45 vs 2025-01" in table
    data = cx("arpu", *ARPU, "--currency", "USD").json
    assert data["params"]["currency"] == "USD" and data["value"] == pytest.approx(373.59, abs=0.01)
    assert cx("arpu", *ARPU, "-f", "table").stdout.split("\n")[1].startswith("373.59")


@pytest.mark.parametrize("code", ["usd", "US", "DOLLAR", "$"])
def test_a_currency_that_is_not_a_code_is_a_usage_error(cx, code):
    run = cx("clv", str(SAMPLE / "orders.csv"), "--lifespan", "3", "--currency", code)
    assert run.exit_code == 2 and "ISO 4217" in run.stderr and "Traceback" not in run.stderr


CONFIG = """
[report]
title = "Money"
{currency}
[inputs]
orders = "{orders}"
[[kpi]]
kpi = "arpu"
input = "orders"
from = "2025-01-01"
to = "2025-07-01"
[[kpi]]
kpi = "clv"
input = "orders"
lifespan = 3
currency = "EUR"
"""


def test_the_report_currency_applies_where_an_entry_sets_none(cx, tmp_path):
    config = tmp_path / "cx.toml"
    config.write_text(CONFIG.format(currency='currency = "USD"', orders=SAMPLE / "orders.csv"))
    run = cx("report", "-c", str(config), "-o", str(tmp_path / "out"), "-q")
    assert run.exit_code == 0, run.stderr
    arpu, clv = json.loads((tmp_path / "out" / "report.json").read_text())["kpis"]
    assert arpu["params"]["currency"] == "USD" and clv["params"]["currency"] == "EUR"
    html = (tmp_path / "out" / "report.html").read_text()
    assert "$373.59" in html and "€" in html and ">USD ($)<" in html and ">EUR (€)<" in html


def test_a_bad_report_currency_names_its_line(cx, tmp_path):
    config = tmp_path / "cx.toml"
    config.write_text(CONFIG.format(currency='currency = "dollars"', orders=SAMPLE / "orders.csv"))
    run = cx("report", "-c", str(config), "-o", str(tmp_path / "out"))
    assert run.exit_code == 2 and "cx.toml:4: [report] currency = 'dollars'" in run.stderr
