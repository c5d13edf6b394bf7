"""The report config: what it accepts, and that every mistake names the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxcli.reporting.config import ConfigError, load_config

SURVEY = "Submitted At,Region,LTR,Sat\n2025-01-03,EU,9,5\n2025-02-03,US,3,2\n"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "survey.csv").write_text(SURVEY)
    path = tmp_path / "cx.toml"
    path.write_text(text)
    return path


GOOD = """
[report]
title = "Weekly"

[inputs]
surveys = "survey.csv"

[[kpi]]
kpi = "nps"
label = "Relationship NPS"
input = "surveys"
score = "LTR"
by = ["Region"]
period = "month"
time = "Submitted At"
target = { min = 30, gate_on = "interval" }
baseline = 25

[[kpi]]
kpi = "csat"
key = "sat"
input = "surveys"
score = "Sat"
scale = "1-5"
target = { min = 80, by = "2026-06-30" }
benchmark = 75

[index]
weights = { nps = 2, sat = 1 }
"""


def test_a_good_config_is_read_into_jobs(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.title == "Weekly"
    assert config.sources["surveys"].specs == (str(tmp_path / "survey.csv"),)  # relative to it
    nps, csat = config.entries
    assert nps.id == "relationship_nps" and nps.label == "Relationship NPS"
    assert nps.job.query.columns["score"] == "LTR"
    assert nps.job.query.by == ("Region",) and str(nps.job.query.period) == "month"
    assert nps.target.min == 30 and nps.target.gate_on == "interval"
    assert nps.baseline == 25 and nps.indicator == "lagging"
    assert csat.id == "sat" and csat.kpi.scale == "1-5" and csat.benchmark == 75
    assert str(csat.target.by) == "2026-06-30"
    assert config.index.weights == {"relationship_nps": 2.0, "sat": 1.0}


def test_config_keys_are_the_subcommand_options(tmp_path):
    text = GOOD.replace('scale = "1-5"', 'scale = "1-5"\nsatisfied = 3')
    assert load_config(write(tmp_path, text)).entries[1].kpi.satisfied == 3


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ('score = "LTR"', 'scroe = "LTR"', 12, "unknown key 'scroe' (did you mean 'score'?)"),
        ('kpi = "csat"', 'kpi = "csats"', 20, "kpi = 'csats' is not a KPI; one of: nps, csat"),
        ('period = "month"', 'period = "fortnight"', 14, "period = 'fortnight'; one of: day"),
        ('"surveys"\nscore = "Sat"', '"survey"\nscore = "Sat"', 22, "is not in [inputs] (has: "),
        ("baseline = 25", 'baseline = "last"', 17, 'baseline must be a number or "previous"'),
        ('scale = "1-5"', 'scale = "1-4"', 24, "scale = '1-4'; one of:"),
        ("target = { min = 30", "target = { mni = 30", 16, "target: unknown key 'mni'"),
        ('by = "2026-06-30"', 'by = "June"', 25, "target.by = 'June' is not a date"),
        ("target = { min = 30, gate_on", "target = { gate_on", 16, "target needs `min` or"),
        ('gate_on = "interval"', 'gate_on = "ci"', 16, "gate_on = 'ci'; one of: value"),
        ('by = ["Region"]', "by = 3", 13, "by must be text or a list of text, not 3"),
        ('time = "Submitted At"', 'time = "x"\nwhere = "LTR >>> 3"', 16, "where: --where"),
        ("benchmark = 75", 'benchmark = "high"', 26, "benchmark must be a number"),
        ('key = "sat"', 'key = "relationship_nps"', 21, "key 'relationship_nps' is used twice"),
        ("sat = 1 }", "effort = 1 }", 29, "'effort' is not a KPI key of this config"),
        ("weights = { nps = 2, sat = 1 }", "weights = { nps = -1 }", 29, "must be a number ≥ 0"),
        ('title = "Weekly"', 'titel = "Weekly"', 3, "[report]: unknown key 'titel'"),
        ('surveys = "survey.csv"', 'surveys = ["-"]', 6, "a report reads files, not stdin"),
    ],
)
def test_each_mistake_names_file_line_and_key(tmp_path, old, new, line, message):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:{line}: "), text
    assert message in text


def test_window_options_belong_to_windowed_kpis(tmp_path):
    path = write(tmp_path, GOOD.replace('time = "Submitted At"', 'from = "2025-01-01"'))
    with pytest.raises(ConfigError, match=r"cx.toml:15: .*unknown key 'from'"):
        load_config(path)


def test_kpi_option_checks_are_config_errors(tmp_path):
    churn = '[[kpi]]\nkpi = "churn"\nfrom = "2025-02-01"\nto = "2025-01-01"\ninput = "surveys"\n\n'
    text = GOOD.replace('[[kpi]]\nkpi = "csat"', churn + '[[kpi]]\nkpi = "csat"')
    with pytest.raises(ConfigError, match=r"cx.toml:21: .*--from must be before --to"):
        load_config(write(tmp_path, text))


def test_invalid_toml_names_the_line(tmp_path):
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line 3"):
        load_config(write(tmp_path, '[inputs]\nsurveys = "survey.csv"\nkpi = = 1\n'))


def test_missing_tables_and_files(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match=r"no \[inputs\] table"):
        load_config(write(tmp_path, '[[kpi]]\nkpi = "nps"\n'))
    with pytest.raises(ConfigError, match=r"no \[\[kpi\]\] entries"):
        load_config(write(tmp_path, '[inputs]\na = "survey.csv"\n'))
    with pytest.raises(ConfigError, match=r"unknown table 'kpis'"):
        load_config(write(tmp_path, '[inputs]\na = "survey.csv"\n[[kpis]]\nkpi = "nps"\n'))


def test_the_config_never_executes_code(tmp_path):
    hostile = GOOD.replace('score = "LTR"', "score = \"__import__('os').system('touch pwned')\"")
    hostile = hostile.replace("where = ", "where = ")
    config = load_config(write(tmp_path, hostile))  # a column name like any other
    assert config.entries[0].job.query.columns["score"].startswith("__import__")
    assert not (tmp_path / "pwned").exists()


def test_an_index_needs_a_scale_for_kpis_without_one(tmp_path):
    text = GOOD.replace(
        '[[kpi]]\nkpi = "csat"',
        '[[kpi]]\nkpi = "aht"\nkey = "aht"\ninput = "surveys"\n\n[[kpi]]\nkpi = "csat"',
    )
    text = text.replace("weights = { nps = 2, sat = 1 }", "weights = { nps = 2, aht = 1 }")
    with pytest.raises(ConfigError, match=r"aht \(aht\) has no 0–100 scale"):
        load_config(write(tmp_path, text))
    text = text.replace(
        "weights = { nps = 2, aht = 1 }",
        "weights = { nps = 2, aht = 1 }\nranges = { aht = [900, 300] }",
    )
    assert load_config(write(tmp_path, text)).index.ranges == {"aht": (900.0, 300.0)}


def test_the_readme_example_config_is_valid(tmp_path):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```toml\n[report]", 1)[1].split("```", 1)[0]
    path = tmp_path / "cx.toml"
    path.write_text("[report]" + block)
    config = load_config(path)
    assert [e.id for e in config.entries] == ["nps", "nps_goal", "art"]
    assert config.sources["tickets"].encoding == "latin-1"
    assert config.index.ranges == {"art": (172800.0, 28800.0)}


def test_entries_of_one_kpi_read_apart_by_default(tmp_path):
    path = tmp_path / "cx.toml"
    path.write_text(
        '[inputs]\nsurveys = "s.csv"\n\n'
        '[[kpi]]\nkpi = "nps"\ninput = "surveys"\n\n'
        '[[kpi]]\nkpi = "nps"\nkey = "nps_split"\ninput = "surveys"\nby = ["Region", "Channel"]\n'
        'period = "month"\n\n'
        '[[kpi]]\nkpi = "ces"\ninput = "surveys"\nby = "Channel"\nlabel = "Effort"\n'
    )
    labels = [entry.label for entry in load_config(path).entries]
    assert labels == [
        "Net Promoter Score",
        "Net Promoter Score by Region, Channel",
        "Effort",
    ]


EXPORTS = """
[inputs]
freshdesk = { path = "freshdesk.csv" }
book = { path = "answers.xlsx", sheet = 2, header_rows = 2 }

[labels]
"Top notch" = 3
"So-so" = 2
"Poor" = 1

[[kpi]]
kpi = "csat"
key = "fd"
input = "freshdesk"
score = "Survey results"

[[kpi]]
kpi = "csat"
key = "book"
input = "book"
score = "Rating"

[[kpi]]
kpi = "csat"
key = "table"
input = "freshdesk"
score = "Survey results"
labels = { "Awesome" = 5, "Just Okay" = 3, "Not Good, sadly" = 1, "Not Good" = 1 }
scale = "1-5"

[[kpi]]
kpi = "aht"
input = "freshdesk"
duration = "Time tracked"
"""


def test_report_reads_sheets_header_rows_labels_and_the_former_duration_key(cx, tmp_path):
    from exports import workbook

    (tmp_path / "freshdesk.csv").write_text(
        "Survey results,Time tracked\nAwesome,01:00\nNot Good,00:30\nJust Okay,02:00\n,\n"
    )
    rows = [["Rating", "Note"], ["score", "free text"], ["Top notch", "a"], ["Poor", "b"]]
    workbook(tmp_path / "answers.xlsx", rows, before=1)
    config = tmp_path / "cx.toml"
    config.write_text(EXPORTS)
    result = cx("report", "-c", str(config), "-o", str(tmp_path / "out"), "-q")
    assert result.exit_code == 0, result.stderr
    import json

    kpis = {k["id"]: k for k in json.loads((tmp_path / "out" / "report.json").read_text())["kpis"]}
    assert kpis["fd"]["value"] == pytest.approx(100 / 3)  # Freshdesk's own scale: Awesome
    assert kpis["fd"]["params"]["scale"] == "1-3"
    assert kpis["book"]["value"] == 50.0 and kpis["book"]["quality"]["rows"] == 2
    assert kpis["book"]["params"]["labels"] == "cx.toml [labels]"
    assert kpis["table"]["value"] == pytest.approx(100 / 3)  # 5 and 4 satisfy on 1-5
    assert kpis["aht"]["value"] == pytest.approx((3600 + 1800 + 7200) / 3)  # hh:mm, as said
    assert kpis["aht"]["params"]["handle"] == kpis["aht"]["params"]["duration"] == "Time tracked"


def test_label_tables_are_checked(tmp_path):
    bad = GOOD + '\n[labels]\n"Great" = "high"\n'
    with pytest.raises(ConfigError, match=r"cx\.toml:\d+: \[labels\]: 'Great' = 'high'"):
        load_config(write(tmp_path, bad))


def test_adjust_is_read_and_checked(tmp_path):
    assert load_config(write(tmp_path, GOOD)).adjust == "bh"
    holm = GOOD.replace('title = "Weekly"', 'title = "Weekly"\nadjust = "holm"')
    assert load_config(write(tmp_path, holm)).adjust == "holm"
    wrong = GOOD.replace('title = "Weekly"', 'title = "Weekly"\nadjust = "bonferroni"')
    with pytest.raises(ConfigError, match=r"adjust = 'bonferroni': use one of bh, holm, none"):
        load_config(write(tmp_path, wrong))
