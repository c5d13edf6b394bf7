"""`cx inspect` and `cx init`: detection as the KPI commands do it, and the round trip from
files to a config that `cx report` runs."""

from __future__ import annotations

import json

from conftest import SAMPLE

FILES = ["survey.csv", "tickets.parquet", "customers.csv", "spend.csv", "events.parquet"]


def test_inspect_describes_columns_and_the_kpis_a_file_feeds(cx, write_csv):
    path = write_csv(
        "s.csv",
        "id,LTR,csat_score,Region,when,flag\n"
        "1,9,5,NA,2025-01-01,yes\n2,N/A,4,EU,2025-01-02,no\n3,7,,EU,2025-01-03,\n",
    )
    result = cx("inspect", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    (info,) = result.json
    columns = {c["name"]: c for c in info["columns"]}
    assert columns["LTR"]["type"] == "integer" and columns["LTR"]["missing"] == 1  # N/A
    assert columns["Region"]["type"] == "text" and columns["Region"]["missing"] == 0  # NA: a region
    assert columns["when"]["type"] == "timestamp" and columns["flag"]["type"] == "boolean"
    assert columns["csat_score"]["missing"] == 1
    assert "nps --score" in columns["LTR"]["roles"]
    commands = {k["kpi"]: k["command"] for k in info["kpis"]}
    assert commands["nps"] == f"cx nps {path} --score LTR"
    assert commands["csat"] == f"cx csat {path} --score csat_score"
    assert "fcr" in info["not_found"]


def test_inspect_table_and_errors(cx):
    result = cx("inspect", str(SAMPLE / "tickets.parquet"))
    assert result.exit_code == 0
    assert "cx art " in result.stdout and "int64" in result.stdout
    result = cx("inspect", "nope.csv")
    assert result.exit_code == 2 and "nope.csv: no such file" in result.stderr


def test_init_writes_a_config_that_report_runs(cx, tmp_path):
    files = [str(SAMPLE / name) for name in FILES]
    config = tmp_path / "cx.toml"
    result = cx("init", *files, "--output", str(config))
    assert result.exit_code == 0, result.stderr
    text = config.read_text()
    assert 'kpi = "nps"' in text and 'score = "LTR"' in text and 'spend = "spend"' in text
    assert cx("init", *files, "--output", str(config)).exit_code == 2  # no overwrite
    result = cx("report", "--config", str(config), "-o", str(tmp_path / "out"), "-q")
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    kpis = {k["kpi"] for k in data["kpis"]}
    assert {"nps", "csat", "ces", "fcr", "aht", "art", "churn", "cac", "mau"} <= kpis
    assert all(i["passes"] == 2 for i in data["inputs"] if i["name"] == "customers")


def test_init_with_no_usable_file_exits_2(cx, write_csv, tmp_path):
    path = write_csv("x.csv", "a,b\n1,2\n")
    result = cx("init", str(path), "--output", str(tmp_path / "cx.toml"))
    assert result.exit_code == 2 and "no KPI could be found" in result.stderr
