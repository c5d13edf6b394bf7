"""The report's pictures: inline SVG, deterministic, in the unit people read, and one for every
KPI of a report (with or without periods)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from conftest import SAMPLE

from cxcli.reporting.charts import (
    Axis,
    Line,
    Point,
    distribution_svg,
    segments_svg,
    spread_svg,
    stacked_svg,
    trend_svg,
)

DAYS = [dt.date(2025, m, 1) for m in range(1, 5)]
SCORE = Axis("score")


def texts(svg: str) -> list[str]:
    """The words drawn in an SVG (svg.fonttype none keeps them as text)."""
    return [t.strip() for t in re.findall(r">([^<>]+)</text>", svg) if t.strip()]


def test_charts_are_inline_svg_and_deterministic():
    line = Line("NPS", DAYS, [20.0, None, 24.0, 25.5], [15, None, 19, 20], [25, None, 29, 31])
    first = trend_svg("NPS by month", [line], SCORE, [("min 22", 22.0)])
    assert first.startswith("<svg") and first.rstrip().endswith("</svg>")
    assert 'aria-label="NPS by month"' in first and "min 22" in first
    assert trend_svg("NPS by month", [line], SCORE, [("min 22", 22.0)]) == first


def test_durations_are_drawn_in_hours_or_minutes():
    seconds = Axis("seconds")
    hours = trend_svg("ART", [Line("ART", DAYS, [72000.0, 80000, 81000, 79000])], seconds)
    assert ">hours<" in hours
    minutes = trend_svg("AHT", [Line("AHT", DAYS, [380.0, 400, 390, 410])], seconds)
    assert ">minutes<" in minutes
    assert ">seconds<" in trend_svg("x", [Line("x", DAYS, [30.0, 40, 50, 60])], seconds)


def test_money_axes_name_the_currency_never_just_money():
    line = [Line("ARPU", DAYS, [163.0, 292, 250, 200])]
    assert ">USD ($)<" in trend_svg("ARPU", line, Axis("money", "USD"))
    plain = trend_svg("ARPU", line, Axis("money"))
    assert ">amount<" in plain and ">money<" not in plain


def test_a_legend_stands_outside_the_plot():
    lines = [Line(name, DAYS, [1.0, 2, 3, 4]) for name in ("APAC", "EMEA")]
    svg = trend_svg("NPS by month", lines, SCORE)
    plot = re.search(r'<g id="patch_2">\s*<path d="M ([\d.]+) [\d.]+\s+L ([\d.]+)', svg)
    assert plot is not None  # the axes' background: from x0 to x1
    right = float(plot.group(2))
    legend = re.search(r'<g id="legend_1">(.*?)</g>\s*</g>', svg, re.S)
    assert legend is not None
    xs = [float(x) for x in re.findall(r'x="([\d.]+)"', legend.group(1))]
    xs += [float(x) for x in re.findall(r"translate\(([\d.]+) ", legend.group(1))]
    assert xs and min(xs) > right  # every legend element right of the plot area


def test_segments_are_dots_with_whiskers_and_reference_lines():
    points = [Point("EMEA", 39.8, 34.5, 44.7, 784), Point("APAC", -2.5, -10.3, 5.3, 401)]
    references = [("overall 21.5", 21.5), ("target min 20.0", 20)]
    svg = segments_svg("NPS by Region", points, SCORE, references)
    words = texts(svg)
    assert "EMEA (n=784)" in words and "APAC (n=401)" in words
    assert "overall 21.5" in words and "target min 20.0" in words


def test_nps_shares_stack_to_100_with_their_labels():
    svg = stacked_svg("NPS", [("overall", [21.0, 36.5, 42.5]), ("EMEA", [14.0, 31.0, 55.0])])
    words = texts(svg)
    assert {"detractors", "passives", "promoters", "overall", "EMEA"} <= set(words)
    assert "42%" in words or "43%" in words
    assert "55%" in words and "14%" in words


def test_answer_distribution_and_duration_spread():
    svg = distribution_svg("CSAT", [("1", 10), ("2", 30), ("3", 60)])
    assert {"10%", "30%", "60%", "score"} <= set(texts(svg))
    points = [(60.0 * i, i / 10) for i in range(1, 10)]
    spread = spread_svg("AHT", points, [("median 5m 00s", 300.0)], Axis("seconds"))
    assert "median 5m 00s" in texts(spread) and "minutes" in texts(spread)


def test_labels_from_data_are_text_not_markup():
    svg = segments_svg("CAC by plan", [Point("$5 plan <b>", 1.0, 0.5, 1.5, 3)], SCORE)
    assert "$5 plan &lt;b&gt; (n=3)" in svg and "<b>" not in svg


NO_PERIODS = """
[report]
title = "No periods"
currency = "USD"
[inputs]
surveys = "{s}/survey.csv"
tickets = "{s}/tickets.csv"
customers = "{s}/customers.csv"
orders = "{s}/orders.csv"
[[kpi]]
kpi = "nps"
input = "surveys"
by = "Region"
target = {{ min = 20 }}
[[kpi]]
kpi = "csat"
input = "surveys"
score = "Sat"
[[kpi]]
kpi = "aht"
input = "tickets"
talk = "Talk"
hold = "Hold"
acw = "Wrap"
[[kpi]]
kpi = "churn"
input = "customers"
id = "Customer"
start = "Signup"
end = "Cancelled"
target = {{ max = 15 }}
[[kpi]]
kpi = "arpu"
input = "orders"
"""


@pytest.fixture(scope="module")
def no_periods(tmp_path_factory):
    folder = tmp_path_factory.mktemp("no-periods")
    config = folder / "cx.toml"
    config.write_text(NO_PERIODS.format(s=SAMPLE))
    from typer.testing import CliRunner

    from cxcli.cli import app

    args = ["report", "-c", str(config), "-o", str(folder / "out"), "-q"]
    result = CliRunner().invoke(app, args, env={"NO_COLOR": "1"})
    assert result.exit_code in (0, 3), result.stderr
    return (folder / "out" / "report.html").read_text()


def _sections(html: str) -> dict[str, str]:
    """Each KPI's section of the page, by its heading."""
    pattern = r'<section class="kpi"><h3>([^<]*?) <span class="badge.*?</section>'
    return {m.group(1): m.group(0) for m in re.finditer(pattern, html, re.S)}


def test_a_report_without_periods_has_a_picture_for_every_kpi(no_periods):
    sections = _sections(no_periods)
    assert len(sections) == 5
    for name, body in sections.items():
        assert "<svg" in body, name
    nps = next(b for n, b in sections.items() if "NPS" in n or "Promoter" in n)
    assert "detractors, passives, promoters" in nps and " by Region" in nps  # shares and dots
    assert ">target min 20.0<" in nps and ">overall 21.5<" in nps
    csat = next(b for n, b in sections.items() if "CSAT" in n or "Satisfaction" in n)
    assert "answers by score" in csat
    aht = next(b for n, b in sections.items() if "Handle" in n)
    assert "how durations spread" in aht and ">median 6m 03s<" in aht and ">p90 9m 58s<" in aht
    churn = next(b for n, b in sections.items() if "Churn" in n)
    assert ">target max 15.0%<" in churn  # the value against its target


def test_every_tile_says_its_scope(no_periods, sample_report):
    for html in (no_periods, (sample_report[0] / "report.html").read_text()):
        tiles = re.findall(r'<div class="tile">.*?<div class="scope">(.*?)</div>', html, re.S)
        assert tiles and all(t for t in tiles)
    assert "all 4,000 rows" in no_periods and "June 2025 (whole window)" in no_periods


def test_a_window_target_is_not_drawn_on_its_periods(sample_report):
    out, data = sample_report
    html = (out / "report.html").read_text()
    churn = next(b for n, b in _sections(html).items() if n.startswith("Churn"))
    assert "H1 2025 (whole window)" in churn
    assert "Rows: each period counts its segment's every row" in churn.replace("&#x27;", "'")
    assert "the target is for the whole window, not one period, and is not drawn" in churn
    assert ">target max 45.0%<" not in churn.split("by month")[-1]
    nps = next(b for n, b in _sections(html).items() if n == "Relationship NPS")
    assert ">target min 20.0<" in nps  # a row KPI's target holds for each month too
    kinds = {k["id"]: k for k in data["kpis"]}
    assert kinds["churn"]["target"]["max"] == 45


def test_the_header_is_short_and_the_details_fold(sample_report):
    out, data = sample_report
    html = (out / "report.html").read_text()
    rows = sum(i["rows"] for i in data["inputs"])
    files = sum(i["files"] for i in data["inputs"])
    assert f"from {files} files, {rows:,} rows</p>" in html
    assert re.search(r"<details class=\"meta\"><summary>Technical details</summary>", html)
    assert json.dumps(data["cx_version"])[1:-1] in html.split("<details")[1]


def test_the_report_lists_themes_and_draws_the_drivers(sample_report):
    html = (sample_report[0] / "report.html").read_text()
    sections = _sections(html)
    themes = next(b for n, b in sections.items() if n.startswith("Comment themes"))
    assert "<th>side</th><th>term</th><th>z</th><th>in detractor</th><th>in promoter</th>" in themes
    assert "<td>detractor</td>" in themes and "<td class='num'>" in themes
    drivers = next(b for n, b in sections.items() if n.startswith("Drivers of LTR"))
    assert "<svg" in drivers and "importance of each attribute" in drivers
    assert "<th>attribute</th><th>importance</th>" in drivers and "<td>Support</td>" in drivers
    assert "importance is not effect" in drivers


def test_the_report_draws_cohorts_as_a_heatmap(sample_report):
    html = (sample_report[0] / "report.html").read_text()
    cohorts = next(b for n, b in _sections(html).items() if n.startswith("Customer cohorts"))
    assert "% of each cohort retained" in cohorts and "<svg" in cohorts
    assert "<th>cohort</th><th>size</th><th>0</th>" in cohorts and "<td>2024-01</td>" in cohorts
