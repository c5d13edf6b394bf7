"""Windows for KPIs measured over a span of time (churn, retention, arpu, cac, …): half-open
[from, to), by default the last complete calendar month the data reaches, and split into
calendar periods for a series."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import UsageError
from .periods import US_PER_DAY, Period, parse_date, period_label

_EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class Window:
    """[start, end) in µs since the epoch (UTC); `label` names a period of a series."""

    start: int
    end: int
    label: str | None = None

    @property
    def days(self) -> float:
        return (self.end - self.start) / US_PER_DAY

    def iso(self) -> tuple[str, str]:
        return iso_time(self.start), iso_time(self.end)


def iso_time(us: int) -> str:
    """Epoch µs as ISO 8601 (UTC): a date when it is midnight."""
    stamp = _EPOCH + dt.timedelta(microseconds=us)
    return stamp.date().isoformat() if stamp.time() == dt.time() else stamp.isoformat()


def _us(day: dt.date) -> int:
    return (day - _EPOCH.date()).days * US_PER_DAY


def explicit_window(start: str | None, end: str | None) -> Window | None:
    """--from / --to as a window; both or neither."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise UsageError("give both --from and --to, or neither (the last complete month)")
    window = Window(parse_date(start, "--from"), parse_date(end, "--to"))
    if window.start >= window.end:
        raise UsageError("--from must be before --to (the window is [from, to))")
    return window


def default_window(latest_us: int) -> Window:
    """The last complete calendar month the data reaches: the latest date's month when that
    date is its last day (data through 30 June gives June), else the month before."""
    latest = (_EPOCH + dt.timedelta(microseconds=latest_us)).date()
    following = latest + dt.timedelta(days=1)
    end = following.replace(day=1) if following.day == 1 else latest.replace(day=1)
    start = (end - dt.timedelta(days=1)).replace(day=1)
    return Window(_us(start), _us(end))


def _period_start(day: dt.date, period: Period) -> dt.date:
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if period is Period.MONTH:
        return day.replace(day=1)
    if period is Period.QUARTER:
        return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
    return day.replace(month=1, day=1)


def _next_start(start: dt.date, period: Period) -> dt.date:
    if period is Period.DAY:
        return start + dt.timedelta(days=1)
    if period is Period.WEEK:
        return start + dt.timedelta(days=7)
    months = {Period.MONTH: 1, Period.QUARTER: 3, Period.YEAR: 12}[period]
    total = start.year * 12 + start.month - 1 + months
    return dt.date(total // 12, total % 12 + 1, 1)


def split(window: Window, period: Period, limit: int = 5000) -> list[Window]:
    """The calendar periods that cover the window, each clipped to it and labelled."""
    import numpy as np

    from .periods import period_codes

    parts: list[Window] = []
    day = (_EPOCH + dt.timedelta(microseconds=window.start)).date()
    start = _period_start(day, period)
    while _us(start) < window.end:
        following = _next_start(start, period)
        code = int(period_codes(np.array([_us(start)], dtype=np.int64), period)[0])
        parts.append(
            Window(
                max(_us(start), window.start),
                min(_us(following), window.end),
                period_label(code, period),
            )
        )
        if len(parts) > limit:
            raise UsageError(f"--period {period} splits the window into more than {limit} parts")
        start = following
    return parts
