"""The honesty guard: when more than --max-invalid of the values a KPI read are invalid, no
number is given (exit 2, or a failed KPI in cx report), because one computed from the rest
would mislead. Missing answers do not count: a question many skip is normal."""

from __future__ import annotations

import json


def scores(write_csv, valid: int, invalid: int, missing: int = 0):
    rows = ["9"] * valid + ["Extremely happy"] * invalid + [""] * missing
    return write_csv("s.csv", "nps_score,id\n" + "".join(f"{r},{i}\n" for i, r in enumerate(rows)))


def test_the_guard_at_its_threshold(cx, write_csv):
    at = cx("nps", str(scores(write_csv, 80, 20)), "-q")  # 20% exactly: allowed
    assert at.exit_code == 0 and at.json["quality"]["invalid"] == 20
    over = cx("nps", str(scores(write_csv, 79, 21)), "-q")
    assert over.exit_code == 2 and over.stdout == ""
    assert "column 'nps_score': 21 of the 100 values read (21%) are invalid" in over.stderr
    assert "e.g. row 80 'Extremely happy'" in over.stderr and "--max-invalid 20" in over.stderr
    allowed = cx("nps", str(scores(write_csv, 79, 21)), "-q", "--max-invalid", "25")
    assert allowed.exit_code == 0 and allowed.json["failed"] is None
    off = cx("nps", str(scores(write_csv, 1, 99)), "-q", "--max-invalid", "100")
    assert off.exit_code == 0 and off.json["value"] == 100.0
    assert cx("nps", str(scores(write_csv, 1, 1)), "--max-invalid", "120").exit_code == 2


def test_missing_answers_are_not_invalid(cx, write_csv):
    result = cx("nps", str(scores(write_csv, 10, 2, missing=500)), "-q")  # 2 of 12 read: 17%
    assert result.exit_code == 0 and result.json["quality"]["missing"] == 500


def test_a_report_shows_the_kpi_as_failed_with_the_reason_and_the_rest(cx, tmp_path):
    survey = tmp_path / "s.csv"
    survey.write_text("nps_score,Sat\n" + "9,Extremely happy\n" * 8 + "3,5\n" * 2)
    config = tmp_path / "cx.toml"
    config.write_text(
        '[inputs]\ns = "s.csv"\n\n[[kpi]]\nkpi = "nps"\ninput = "s"\n\n'
        '[[kpi]]\nkpi = "csat"\ninput = "s"\nscore = "Sat"\ntarget = { min = 50 }\n'
    )
    result = cx("report", "-c", str(config), "-o", str(tmp_path / "out"), "-q")
    assert result.exit_code == 2
    assert "no value: Customer Satisfaction (csat): " in result.stderr
    assert "target missed" not in result.stderr  # no number: nothing to hold against it
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    nps, csat = data["kpis"]
    assert nps["value"] == 60.0 and nps["failed"] is None
    assert csat["value"] is None and "8 of the 10 values read (80%)" in csat["failed"]["reason"]
    assert "FAILED: data" in result.stdout
    html = (tmp_path / "out" / "report.html").read_text()
    assert "FAILED: data" in html and "a number from the rest would mislead" in html
