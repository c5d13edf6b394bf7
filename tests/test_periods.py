"""Period codes and labels, and --since/--until dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cxcli.errors import UsageError
from cxcli.periods import Period, parse_date, period_codes, period_label


def label(day: str, period: Period) -> str:
    us = (dt.date.fromisoformat(day) - dt.date(1970, 1, 1)).days * 86_400_000_000
    return period_label(period_codes(np.array([us]), period)[0], period)


@pytest.mark.parametrize(
    ("day", "period", "expected"),
    [
        ("2025-03-04", Period.DAY, "2025-03-04"),
        ("2025-03-04", Period.WEEK, "2025-W10"),
        ("2024-12-30", Period.WEEK, "2025-W01"),  # ISO year differs from the calendar year
        ("2021-01-03", Period.WEEK, "2020-W53"),
        ("1969-12-31", Period.WEEK, "1970-W01"),
        ("2025-03-04", Period.MONTH, "2025-03"),
        ("1969-12-31", Period.MONTH, "1969-12"),
        ("2025-03-31", Period.QUARTER, "2025-Q1"),
        ("2025-04-01", Period.QUARTER, "2025-Q2"),
        ("2025-12-31", Period.YEAR, "2025"),
    ],
)
def test_labels(day, period, expected):
    assert label(day, period) == expected


def test_week_labels_match_isocalendar_for_every_day_of_several_years():
    start = dt.date(2019, 12, 20)
    for offset in range(0, 6 * 366, 1):
        day = start + dt.timedelta(days=offset)
        year, week, _ = day.isocalendar()
        assert label(day.isoformat(), Period.WEEK) == f"{year}-W{week:02d}"


def test_relative_and_absolute_dates():
    today = dt.date(2025, 3, 31)

    def day(text):
        return dt.date(1970, 1, 1) + dt.timedelta(microseconds=parse_date(text, "--since", today))

    assert day("-30d") == dt.date(2025, 3, 1)
    assert day("-2w") == dt.date(2025, 3, 17)
    assert day("-1m") == dt.date(2025, 2, 28)
    assert day("-1y") == dt.date(2024, 3, 31)
    assert day("2025-01-31") == dt.date(2025, 1, 31)
    assert parse_date("2025-01-01T02:00:00+02:00", "--since") == parse_date("2025-01-01", "x")
    with pytest.raises(UsageError, match="--since 'last week' is not a date"):
        parse_date("last week", "--since")


@pytest.mark.parametrize("span_days", [0, 31, 400, 300_000])  # table lookup, then calendar
def test_month_quarter_year_codes_equal_the_calendar(span_days):
    """Codes from the table of the days present equal numpy's calendar, before 1970 too."""
    rng = np.random.default_rng(span_days)
    day_us = 86_400_000_000
    epoch_us = rng.integers(-span_days, span_days + 1, 50_000) * day_us - 20_000 * day_us
    epoch_us += rng.integers(0, day_us, epoch_us.size)
    months = (epoch_us // day_us).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    assert (period_codes(epoch_us, Period.MONTH) == months).all()
    assert (period_codes(epoch_us, Period.QUARTER) == months // 3).all()
    assert (period_codes(epoch_us, Period.YEAR) == months // 12).all()
    assert period_codes(epoch_us[:0], Period.MONTH).size == 0
