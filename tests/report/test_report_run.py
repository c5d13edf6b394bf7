"""`cx report` end to end: one scan per input with the same numbers as the subcommands,
target gates and exit codes, history, the lock, and atomic outputs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE
from statsmodels.stats.multitest import multipletests

from cxcli.engine import run
from cxcli.render.json import clean
from cxcli.reporting.config import load_config
from cxcli.reporting.history import locked

SMALL = """
[inputs]
surveys = "{survey}"
tickets = "{tickets}"

[[kpi]]
kpi = "nps"
key = "nps"
input = "surveys"
score = "LTR"
period = "month"
time = "Submitted At"
baseline = "previous"
target = {{ min = {nps_min}, gate_on = "{gate_on}" }}

[[kpi]]
kpi = "csat"
key = "csat"
input = "surveys"
score = "Sat"

[[kpi]]
kpi = "art"
key = "art"
input = "tickets"
created = "Opened"
resolved = "Closed"
by = "Queue"
"""


def small_config(tmp_path: Path, nps_min: float = 0, gate_on: str = "value") -> Path:
    path = tmp_path / "cx.toml"
    path.write_text(
        SMALL.format(
            survey=SAMPLE / "survey.csv",
            tickets=SAMPLE / "tickets.csv",
            nps_min=nps_min,
            gate_on=gate_on,
        )
    )
    return path


def report(cx, config: Path, out: Path, *args: str):
    return cx("report", "--config", str(config), "--output-dir", str(out), *args)


def test_sample_report_covers_every_kpi_and_reads_each_input_once(sample_report):
    from cxcli.registry import all_kpis

    out, data = sample_report
    assert {k["kpi"] for k in data["kpis"]} == set(all_kpis())
    assert [i["passes"] for i in data["inputs"]] == [1] * len(data["inputs"])
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md", "report.html"}
    assert data["schema_version"] == 1 and data["run_date"] == "2026-11-23"
    assert data["generated_at"] and data["index"]["value"] is not None


def test_report_values_equal_the_single_kpi_runs(sample_report):
    """Each KPI of the shared scan equals the same KPI run on its own."""
    _, data = sample_report
    config = load_config(SAMPLE / "cx.toml")
    for entry, got in zip(config.entries, data["kpis"], strict=True):
        paths = {
            name or "": list(config.sources[source].specs)
            for name, source in entry.job.inputs.items()
        }
        alone = run(entry.kpi, paths if entry.kpi.inputs else paths[""], entry.job.query)
        expected = json.loads(json.dumps(clean(alone.to_dict())))
        for key in ("value", "n", "ci", "details", "quality", "params"):
            assert got[key] == expected[key], (entry.id, key)
        assert unadjusted(got["groups"]) == unadjusted(expected["groups"]), entry.id


def unadjusted(groups: list[dict]) -> list[dict]:
    """Groups without what the report adjusts across all its tests (not per KPI)."""
    out = []
    for group in groups:
        change = {k: v for k, v in (group.get("change") or {}).items()}
        for key in ("p_adjusted", "significant"):
            change.pop(key, None)
        out.append({**group, "change": change or group.get("change")})
    return out


def test_report_adjusts_all_its_tests_together(sample_report):
    """Every change test of the report — each KPI's periods, baselines and previous runs — is
    one family: p_adjusted is Benjamini-Hochberg over all of them (statsmodels' answer)."""
    _, data = sample_report
    changes = [g["change"] for k in data["kpis"] for g in k["groups"] if g.get("change")]
    changes += [c for k in data["kpis"] for c in (k["baseline"], k["vs_previous_run"]) if c]
    tested = [c for c in changes if c["p_value"] is not None]
    assert data["adjust"] == "bh" and len(tested) > 5
    wanted = multipletests([c["p_value"] for c in tested], method="fdr_bh")[1]
    assert [c["p_adjusted"] for c in tested] == pytest.approx(list(wanted), rel=1e-12)
    assert all(c["significant"] == (c["p_adjusted"] < 0.05) for c in tested)


def test_report_values_equal_the_subcommand(cx, sample_report):
    _, data = sample_report
    alone = cx(
        "nps",
        str(SAMPLE / "survey.csv"),
        "--score",
        "LTR",
        "--by",
        "Region",
        "--period",
        "month",
        "--time",
        "Submitted At",
        "-f",
        "json",
    ).json
    got = next(k for k in data["kpis"] if k["id"] == "nps")
    assert (got["value"], got["ci"], unadjusted(got["groups"])) == (
        alone["value"],
        alone["ci"],
        unadjusted(alone["groups"]),
    )


def test_report_markdown_and_summary(sample_report):
    out, _ = sample_report
    md = (out / "report.md").read_text()
    assert md.startswith("# Sample CX report · 2026-11-23")
    assert "## Leading indicators" in md and "## Lagging indicators" in md
    assert (
        "| CSAT | all 4,000 rows | 78.0% |" in md and "missed (n.s.)" in md and "in progress" in md
    )


def test_a_missed_target_exits_3_naming_the_kpi(cx, tmp_path):
    result = report(cx, small_config(tmp_path, nps_min=60), tmp_path / "out")
    assert result.exit_code == 3
    assert (
        "cx report: target missed: Net Promoter Score (nps): 21.53 below the target min 60"
        in result.stderr
    )
    assert "MISSED" in result.stdout
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert data["kpis"][0]["target"]["status"] == "missed"
    assert 'baseline = "previous" needs a history: --history FILE' in data["kpis"][0]["notes"]


def test_gate_on_interval_passes_a_miss_that_is_not_significant(cx, tmp_path):
    # NPS 21.5 with interval [19.1, 23.9]: a target of 22 is missed, but not significantly.
    result = report(cx, small_config(tmp_path, nps_min=22, gate_on="interval"), tmp_path / "o")
    assert result.exit_code == 0, result.stderr
    data = json.loads((tmp_path / "o" / "report.json").read_text())
    assert data["kpis"][0]["target"]["status"] == "missed_not_significant"
    result = report(cx, small_config(tmp_path, nps_min=22, gate_on="value"), tmp_path / "o")
    assert result.exit_code == 3


def test_input_and_config_errors_exit_2(cx, tmp_path):
    config = small_config(tmp_path)
    config.write_text(config.read_text().replace('score = "Sat"', 'score = "Satisfaction"'))
    result = report(cx, config, tmp_path / "out")
    assert result.exit_code == 2
    assert (
        f"{config}:16: Customer Satisfaction: " in result.stderr
        and "'Satisfaction'" in result.stderr
    )
    assert not (tmp_path / "out" / "report.json").exists()
    config.write_text("[inputs\n")
    assert report(cx, config, tmp_path / "out").exit_code == 2


def test_history_is_idempotent_and_feeds_previous_baselines(cx, tmp_path):
    config, out, history = small_config(tmp_path), tmp_path / "out", tmp_path / "h.parquet"
    for _ in range(2):  # the same night twice: replaced, not duplicated
        result = report(cx, config, out, "--history", str(history), "--date", "2026-01-01")
        assert result.exit_code == 0, result.stderr
    rows = pq.read_table(history).to_pylist()
    assert [(r["run_date"], r["id"]) for r in rows] == [
        ("2026-01-01", "art"),
        ("2026-01-01", "csat"),
        ("2026-01-01", "nps"),
    ]
    first = json.loads((out / "report.json").read_text())["kpis"][0]
    assert first["vs_previous_run"] is None and first["history"] == []
    assert 'baseline = "previous", but the history has no earlier run' in first["notes"]
    result = report(cx, config, out, "--history", str(history), "--date", "2026-01-02")
    assert result.exit_code == 0
    assert len(pq.read_table(history)) == 6
    nps = json.loads((out / "report.json").read_text())["kpis"][0]
    assert nps["history"] == [{"run_date": "2026-01-01", "value": first["value"]}]
    # Same data both nights: no change, and the proper test says so (p = 1).
    assert nps["vs_previous_run"]["delta"] == 0 and nps["vs_previous_run"]["p_value"] == 1
    assert nps["baseline"]["vs"] == "run of 2026-01-01"
    assert "run history" in (out / "report.html").read_text()


def test_a_held_lock_stops_a_second_report(cx, tmp_path):
    config, out = small_config(tmp_path), tmp_path / "out"
    assert report(cx, config, out).exit_code == 0
    before = (out / "report.json").read_bytes()
    with locked([out / "report"]):
        result = report(cx, config, out, "--date", "2030-01-01")
    assert result.exit_code == 2
    assert "is being written by another cx report (pid" in result.stderr
    assert (out / "report.json").read_bytes() == before


def test_a_report_leaves_no_lock_file_behind(cx, tmp_path):
    config, out, history = small_config(tmp_path), tmp_path / "out", tmp_path / "h.parquet"
    (out / ".report.lock").parent.mkdir()
    (out / ".report.lock").write_text("pid 1")  # left by an older cx that was killed
    assert report(cx, config, out, "--history", str(history)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_run_that_opened_a_lock_just_removed_takes_the_new_one(tmp_path, monkeypatch):
    import fcntl

    import cxcli.reporting.history as history

    lock = tmp_path / ".report.lock"
    lock.write_text("")
    removed = os.open(lock, os.O_RDWR)  # opened just before the run that held it removed it
    lock.unlink()
    opened = [removed]
    real_open = history._open_lock
    monkeypatch.setattr(
        history, "_open_lock", lambda path: opened.pop() if opened else real_open(path)
    )
    with locked([tmp_path / "report"]):
        assert lock.exists()  # the lock it holds is the one a third run would open
        third = os.open(lock, os.O_RDWR)
        with pytest.raises(BlockingIOError):
            fcntl.flock(third, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(third)
    assert not lock.exists()


def test_two_reports_at_once_never_corrupt_the_history(tmp_path):
    config, out, history = small_config(tmp_path), tmp_path / "out", tmp_path / "h.parquet"
    cx = [str(Path(sys.executable).parent / "cx")] if shutil.which("cx") is None else ["cx"]
    args = [*cx, "report", "-c", str(config), "-o", str(out), "--history", str(history), "-q"]
    procs = [
        subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    assert any(code == 0 for code, _ in results)
    for code, err in results:
        assert code == 0 or (code == 2 and "another cx report" in err), err
    assert len(pq.read_table(history)) == 3  # one night, three KPIs
    json.loads((out / "report.json").read_text())


def test_a_failure_mid_report_leaves_the_previous_outputs(cx, tmp_path, monkeypatch):
    config, out = small_config(tmp_path), tmp_path / "out"
    assert report(cx, config, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import cxcli.output as output

    real_fsync, calls = os.fsync, []

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 2:  # the second file: the disk is full
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(output.os, "fsync", failing_fsync)
    result = report(cx, config, out, "--date", "2030-01-01")
    assert result.exit_code == 2 and "No space left on device" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temp files either


def test_name_template_and_formats(cx, tmp_path):
    config, out = small_config(tmp_path), tmp_path / "out"
    result = report(cx, config, out, "--name", "cx-{date}", "--date", "2026-02-03", "-f", "json")
    assert result.exit_code == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "cx-2026-02-03.json"
    ]
    assert report(cx, config, out, "--name", "{user}").exit_code == 2
    assert report(cx, config, out, "--date", "yesterday").exit_code == 2


def test_unwritable_folder_corrupt_history_and_unused_inputs(cx, tmp_path):
    config = small_config(tmp_path)
    config.write_text(config.read_text().replace("[inputs]\n", '[inputs]\nspare = "x.csv"\n'))
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = report(cx, config, blocker / "out")  # a folder inside a regular file
    assert result.exit_code == 2 and "cannot write in" in result.stderr
    assert "[inputs] spare is not read by any [[kpi]]" in result.stderr
    history = tmp_path / "h.parquet"
    history.write_bytes(b"not parquet")
    result = report(cx, config, tmp_path / "out", "--history", str(history))
    assert result.exit_code == 2 and "not a cx history file" in result.stderr
    assert history.read_bytes() == b"not parquet"


def test_report_adjust_option_overrides_the_config(cx, tmp_path):
    out = tmp_path / "out"
    args = ["report", "-c", str(SAMPLE / "cx.toml"), "-o", str(out), "--date", "2026-11-23"]
    args += ["--history", str(tmp_path / "history.parquet")]  # not the sample config's
    assert cx(*args, "--adjust", "holm", "-q").exit_code == 0
    data = json.loads((out / "report.json").read_text())
    changes = [g["change"] for k in data["kpis"] for g in k["groups"] if g.get("change")]
    tested = [c for c in changes if c["p_value"] is not None]
    wanted = multipletests([c["p_value"] for c in tested], method="holm")[1]
    assert data["adjust"] == "holm" and all(c["adjust"] == "holm" for c in tested)
    assert [c["p_adjusted"] for c in tested] == pytest.approx(list(wanted), rel=1e-12)
