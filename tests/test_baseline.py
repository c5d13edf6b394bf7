"""--baseline and --fail-on-decline: the change from a number or a previous report, and a CI
gate that fails only when the decline is statistically real."""

from __future__ import annotations

import json

import pytest
from conftest import ROLE_ARGS, SAMPLE

from cxcli.registry import all_kpis

SURVEY = str(SAMPLE / "survey.csv")
FILES = {
    "nps": ["survey.csv"],
    "csat": ["survey.csv", "--score", "Sat"],
    "ces": ["survey.csv", "--score", "Effort"],
    "fcr": ["tickets.csv", *ROLE_ARGS["fcr"]],
    "aht": ["tickets.csv", *ROLE_ARGS["aht"]],
    "art": ["tickets.csv", *ROLE_ARGS["art"]],
    "churn": ["customers.csv", *ROLE_ARGS["churn"]],
    "retention": ["customers.csv", *ROLE_ARGS["churn"]],
    "redemption": ["loyalty.csv", *ROLE_ARGS["redemption"]],
    "sentiment": ["survey.csv", "--text", "Comment"],
}


def args(name: str) -> list[str]:
    file, *rest = FILES[name]
    return [name, str(SAMPLE / file), *rest, "-q", "-f", "json"]


@pytest.mark.parametrize("name", list(FILES))
def test_a_report_compared_with_itself_is_no_change(cx, tmp_path, name):
    """from_result rebuilds what compare needs: the same data gives p = 1, delta 0."""
    previous = tmp_path / "previous.json"
    previous.write_text(cx(*args(name)).stdout)
    versus = cx(*args(name), "--baseline", str(previous)).json["baseline"]
    assert versus["delta"] == 0 and versus["p_value"] == pytest.approx(1.0)
    assert versus["significant"] is False


def test_kpis_without_a_test_still_give_the_change(cx, tmp_path):
    assert set(FILES) | {"clv", "arpu", "cac", "mau", "themes", "drivers", "cohorts"} == set(
        all_kpis()
    )
    data = cx("mau", str(SAMPLE / "events.parquet"), "-q", "--baseline", "6000").json
    assert data["params"]["from"] == "2025-06-01"  # the sample reaches 30 June
    assert data["baseline"]["delta"] == data["value"] - 6000 and data["baseline"]["p_value"] is None
    assert data["baseline"]["test"] is None and data["baseline"]["p_adjusted"] is None


def test_significant_decline_against_a_previous_report(cx, tmp_path):
    previous = tmp_path / "last-week.json"
    previous.write_text(cx("nps", SURVEY, "-q", "--where", "Region = 'EMEA'").stdout)
    result = cx(
        "nps",
        SURVEY,
        "-q",
        "--where",
        "Region = 'APAC'",
        "--baseline",
        str(previous),
        "--fail-on-decline",
    )
    assert result.exit_code == 3 and "significant decline" in result.stderr
    versus = result.json["baseline"]
    assert versus["declined"] and versus["significant"] and versus["p_value"] < 0.001


def test_a_decline_within_the_noise_passes(cx, tmp_path):
    previous = tmp_path / "p.json"
    previous.write_text(cx("nps", SURVEY, "-q", "--where", "Channel = 'chat'").stdout)
    result = cx(
        "nps",
        SURVEY,
        "-q",
        "--where",
        "Channel = 'web'",
        "--baseline",
        str(previous),
        "--fail-on-decline",
    )
    versus = result.json["baseline"]
    assert versus["significant"] is False and result.exit_code == 0


def test_number_baselines_use_the_interval_and_direction(cx):
    worse = cx("nps", SURVEY, "-q", "--baseline", "30", "--fail-on-decline")
    assert worse.exit_code == 3 and "outside the interval" in worse.stderr
    near = cx("nps", SURVEY, "-q", "--baseline", "22", "--fail-on-decline")
    assert near.exit_code == 0 and near.json["baseline"]["significant"] is False
    # resolution time: lower is better, so a higher value is the decline
    art = cx(*args("art"), "--baseline", "3600", "--fail-on-decline")
    assert art.exit_code == 3 and art.json["baseline"]["declined"] is True


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fail-on-decline"], "--fail-on-decline needs --baseline"),
        (["--baseline", "nope.json"], "neither a number nor a readable JSON report"),
    ],
)
def test_baseline_usage_errors(cx, extra, message):
    result = cx("nps", SURVEY, "-q", *extra)
    assert result.exit_code == 2 and message in result.stderr


def test_a_report_of_another_kpi_is_refused(cx, tmp_path):
    other = tmp_path / "csat.json"
    other.write_text(json.dumps(cx("csat", SURVEY, "--score", "Sat", "-q").json))
    result = cx("nps", SURVEY, "-q", "--baseline", str(other))
    assert result.exit_code == 2 and "not a cx nps report" in result.stderr


def test_table_and_markdown_show_the_baseline(cx):
    table = cx("nps", SURVEY, "-q", "--baseline", "20", "-f", "table").stdout
    assert "▲ +1.5 vs baseline 20 (n.s.)" in table
    assert "vs baseline 20" in cx("nps", SURVEY, "-q", "--baseline", "20", "-f", "markdown").stdout


def test_a_km_resolution_time_against_a_report_is_judged_by_its_interval(cx, tmp_path):
    """A report does not carry the Kaplan–Meier curve, so no log-rank test: the previous
    value inside this run's interval is no significant change."""
    args = ["art", str(SAMPLE / "tickets.csv"), "--created", "Opened", "--resolved", "Closed"]
    previous = tmp_path / "previous.json"
    previous.write_text(cx(*args, "--method", "km", "-q", "-f", "json").stdout)
    versus = cx(*args, "--method", "km", "-q", "--baseline", str(previous)).json["baseline"]
    assert versus["test"] is None and versus["p_value"] is None
    assert versus["delta"] == 0 and versus["significant"] is False
