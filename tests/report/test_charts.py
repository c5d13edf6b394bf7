"""Trend charts: inline SVG, deterministic, with durations in the unit people read."""

from __future__ import annotations

import datetime as dt

from cxcli.report.charts import Line, trend_svg

DAYS = [dt.date(2025, m, 1) for m in range(1, 5)]


def test_charts_are_inline_svg_and_deterministic():
    line = Line("NPS", DAYS, [20.0, None, 24.0, 25.5], [15, None, 19, 20], [25, None, 29, 31])
    first = trend_svg("NPS by month", [line], "score", [("min", 22.0)])
    assert first.startswith("<svg") and first.rstrip().endswith("</svg>")
    assert 'aria-label="NPS by month"' in first and "min 22" in first
    assert trend_svg("NPS by month", [line], "score", [("min", 22.0)]) == first


def test_durations_are_drawn_in_hours_or_minutes():
    hours = trend_svg("ART", [Line("ART", DAYS, [72000.0, 80000, 81000, 79000])], "seconds")
    assert ">hours<" in hours
    minutes = trend_svg("AHT", [Line("AHT", DAYS, [380.0, 400, 390, 410])], "seconds")
    assert ">minutes<" in minutes
    assert ">seconds<" in trend_svg("x", [Line("x", DAYS, [30.0, 40, 50, 60])], "seconds")
