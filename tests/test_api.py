"""cx from Python: the same numbers and JSON as the command for every KPI, every kind of data in
memory giving what its file gives, results as objects and tables, errors as exceptions, and
nothing changed in the process by `import cxcli`."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from conftest import ROOT, SAMPLE

import cxcli as cx
from cxcli.registry import all_kpis
from cxcli.source import BATCH_ROWS

S = str(SAMPLE)
# Each KPI as the command runs it, and the same call from Python.
CASES = {
    "nps": (["nps", f"{S}/survey.csv", "--by", "Region", "--period", "quarter"], {
        "data": f"{S}/survey.csv", "by": "Region", "period": "quarter"}),
    "csat": (["csat", f"{S}/survey.parquet", "--score", "Sat", "--where", "Channel = 'email'"], {
        "data": f"{S}/survey.parquet", "score": "Sat", "where": "Channel = 'email'"}),
    "ces": (["ces", f"{S}/survey.csv", "--score", "Effort", "--by", "Channel"], {
        "data": f"{S}/survey.csv", "score": "Effort", "by": ["Channel"]}),
    "fcr": (["fcr", f"{S}/tickets.csv", "--contacts", "Touches", "--reopened", "Reopened"], {
        "data": f"{S}/tickets.csv", "contacts": "Touches", "reopened": "Reopened"}),
    "aht": (["aht", f"{S}/tickets.csv", "--talk", "Talk", "--hold", "Hold", "--acw", "Wrap",
             "--by", "Agent", "--top", "3", "--min-n", "120"], {
        "data": f"{S}/tickets.csv", "talk": "Talk", "hold": "Hold", "acw": "Wrap",
        "by": "Agent", "top": 3, "min_n": 120}),
    "art": (["art", f"{S}/tickets.parquet", "--created", "Opened", "--resolved", "Closed",
             "--period", "month", "--method", "km"], {
        "data": f"{S}/tickets.parquet", "created": "Opened", "resolved": "Closed",
        "period": "month", "method": "km"}),
    "churn": (["churn", f"{S}/customers.csv", "--id", "Customer", "--start", "Signup", "--end",
               "Cancelled", "--from", "2025-01-01", "--to", "2025-07-01", "--period", "quarter"], {
        "data": f"{S}/customers.csv", "id": "Customer", "start": "Signup", "end": "Cancelled",
        "from_": "2025-01-01", "to": "2025-07-01", "period": "quarter"}),
    "retention": (["retention", f"{S}/customers.csv", "--id", "Customer", "--by", "Plan"], {
        "data": f"{S}/customers.csv", "id": "Customer", "by": "Plan"}),
    "clv": (["clv", f"{S}/orders.csv", "--customer", "Cust", "--lifespan", "3", "--margin",
             "0.3"], {"data": f"{S}/orders.csv", "customer": "Cust", "lifespan": 3,
                      "margin": 0.3}),
    "arpu": (["arpu", f"{S}/orders.csv", "--period", "month", "--from", "2025-01-01", "--to",
              "2025-04-01", "--currency", "EUR"], {
        "data": f"{S}/orders.csv", "period": "month", "from_": "2025-01-01", "to": "2025-04-01",
        "currency": "EUR"}),
    "cac": (["cac", "--spend", f"{S}/spend.csv", "--customers", f"{S}/customers.csv", "--date",
             "Day", "--amount", "Cost", "--start", "Signup", "--arpu", "80"], {
        "spend": f"{S}/spend.csv", "customers": f"{S}/customers.csv", "date": "Day",
        "amount": "Cost", "start": "Signup", "arpu": 80}),
    "mau": (["mau", f"{S}/events.parquet", "--approx", "--min", "6000"], {
        "data": f"{S}/events.parquet", "approx": True, "min": 6000}),
    "redemption": (["redemption", f"{S}/loyalty.csv", "--max", "50"], {
        "data": f"{S}/loyalty.csv", "max": 50}),
    "sentiment": (["sentiment", f"{S}/survey.csv", "--text", "Comment", "--by", "Channel"], {
        "data": f"{S}/survey.csv", "text": "Comment", "by": "Channel"}),
    "themes": (["themes", f"{S}/survey.parquet", "--text", "Comment", "--score", "LTR"], {
        "data": f"{S}/survey.parquet", "text": "Comment", "score": "LTR"}),
    "drivers": (["drivers", f"{S}/survey.csv", "--attributes", "Price,Support,Delivery", "--by",
                 "Region"], {"data": f"{S}/survey.csv", "outcome": "LTR",
                             "attributes": ["Price", "Support", "Delivery"], "by": "Region"}),
    "cohorts": (["cohorts", f"{S}/events.parquet", "--user", "uid", "--time", "ts", "--period",
                 "week"], {"data": f"{S}/events.parquet", "user": "uid", "time": "ts",
                           "period": "week"}),
}  # fmt: skip


@pytest.fixture
def cx_run(cx):  # conftest's runner of the command (`cx` here is the package)
    return cx


def test_every_kpi_has_a_case_and_a_function():
    from cxcli import api

    assert list(CASES) == list(api.__all__[-len(CASES) :])
    assert set(CASES) == set(all_kpis())
    assert all(callable(getattr(cx, name)) for name in CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_the_api_gives_the_commands_json(cx_run, name):
    args, call = CASES[name]
    run = cx_run(*args, "-q", "-f", "json")
    assert run.exit_code in (0, 3), run.stderr
    data = call.pop("data", None)
    try:
        result = getattr(cx, name)(data, **call)
    finally:
        if data is not None:
            call["data"] = data
    assert result.to_dict() == json.loads(run.stdout)
    assert result.value == run.json["value"] and result.n == run.json["n"]


def _table(path: str) -> pa.Table:
    """A CSV as pyarrow reads it, every column text (as cx reads a file: it decides itself)."""
    names = pacsv.read_csv(path).column_names
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    return pacsv.read_csv(path, convert_options=options)


class Capsule:
    """Any object with the Arrow PyCapsule stream interface."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self.table.__arrow_c_stream__(requested_schema)


def _kinds(table: pa.Table) -> dict[str, object]:
    import pandas as pd
    import polars as pl
    import pyarrow.dataset as ds

    return {
        "pyarrow.Table": table,
        "pyarrow.RecordBatch": table.combine_chunks().to_batches()[0],
        "pyarrow.RecordBatchReader": table.to_reader(max_chunksize=1000),
        "pyarrow.Dataset": ds.dataset(table),
        "pandas": table.to_pandas(),
        "pandas (Arrow strings)": table.to_pandas(types_mapper=pd.ArrowDtype),
        "polars": pl.from_arrow(table),
        "polars lazy": pl.from_arrow(table).lazy(),
        "capsule": Capsule(table),
    }


def _numbers(result: cx.Result) -> dict:
    data = result.to_dict()
    quality = {k: v for k, v in data["quality"].items() if k != "invalid_examples"}
    rows = [(e["row"], e["column"], e["value"]) for e in data["quality"]["invalid_examples"]]
    groups = [(g["key"], g["value"], g["n"], g["ci"], g.get("change")) for g in data["groups"]]
    return {"value": data["value"], "n": data["n"], "ci": data["ci"], "details": data["details"],
            "quality": quality, "examples": rows, "groups": groups}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "path", "options"),
    [
        ("nps", "survey.csv", {"by": "Region", "period": "month"}),
        ("aht", "tickets.csv", {"talk": "Talk", "hold": "Hold", "acw": "Wrap"}),
        ("art", "tickets.csv", {"created": "Opened", "resolved": "Closed"}),
        ("churn", "customers.csv", {"id": "Customer", "start": "Signup", "end": "Cancelled"}),
    ],
)
def test_data_in_memory_gives_what_its_file_gives(name, path, options):
    from_file = _numbers(getattr(cx, name)(f"{S}/{path}", **options))
    for kind, data in _kinds(_table(f"{S}/{path}")).items():
        assert _numbers(getattr(cx, name)(data, **options)) == from_file, kind


def test_typed_columns_in_memory_read_as_parquet_does():
    import pyarrow.parquet as pq

    table = pq.read_table(f"{S}/survey.parquet")
    from_file = _numbers(cx.csat(f"{S}/survey.parquet", score="Sat", by="Channel"))
    for kind, data in _kinds(table).items():
        assert _numbers(cx.csat(data, score="Sat", by="Channel")) == from_file, kind


def test_a_frame_larger_than_a_batch_is_read_a_slice_at_a_time():
    import pandas as pd

    from cxcli.formats.arrow import ArrowReader
    from cxcli.source import Input, ReadSettings

    rows = 3 * BATCH_ROWS + 17
    frame = pd.DataFrame({"LTR": [i % 11 for i in range(rows)], "Other": ["x"] * rows})
    item = Input("pandas.DataFrame", "arrow", None, data=frame)
    batches = list(ArrowReader(item, ReadSettings()).batches(["LTR"]))
    assert [b.num_rows for b in batches] == [BATCH_ROWS] * 3 + [17]
    assert all(b.schema.names == ["LTR"] for b in batches)  # only the columns asked for
    assert item.rows == rows and cx.nps(frame).n == rows


def test_results_as_objects_and_tables():
    result = cx.nps(f"{S}/survey.csv", by="Region", period="quarter")
    table = result.to_arrow()
    assert table.column_names == ["Region", "period", "value", "ci_low", "ci_high", "n",
                                  "change", "change_p", "change_significant"]  # fmt: skip
    assert table.num_rows == len(result.groups) == 8
    assert table.column("n").to_pylist() == [g["n"] for g in result.groups]
    frame = result.to_pandas()
    assert list(frame["Region"].unique()) == ["APAC", "EMEA", "LATAM", "NA"]
    whole = cx.nps(f"{S}/survey.csv").to_arrow()
    assert whole.num_rows == 1 and whole.column("value")[0].as_py() == pytest.approx(21.5349, 1e-4)
    assert "Net Promoter Score" in result._repr_html_() and "<pre>" in result._repr_html_()
    assert result._repr_markdown_().startswith("## Net Promoter Score")
    assert "21.5" in result.__rich__().plain and repr(result).startswith("<cx nps 21.5")
    assert "using column 'LTR' for --score" in result.messages


def test_errors_are_exceptions_with_where_they_happened(capsys):
    with pytest.raises(cx.ColumnNotFound) as missing:
        cx.nps(f"{S}/survey.csv", score="Likelihood")
    assert missing.value.column == "Likelihood" and missing.value.file.endswith("survey.csv")
    assert "column 'Likelihood' (--score) not found" in str(missing.value)
    bad = pa.table({"LTR": ["ten", "eleven", "9", "x"]})
    with pytest.raises(cx.InputError) as invalid:
        cx.nps(bad)
    error = invalid.value
    assert (error.file, error.row, error.column, error.value) == ("pyarrow.Table", 1, "LTR", "ten")
    with pytest.raises(cx.UsageError, match="takes no option 'scroe'") as typo:
        cx.nps(bad, scroe="LTR")
    assert "did you mean score" in str(typo.value)
    with pytest.raises(cx.UsageError, match="spend=…, customers=…"):
        cx.cac(bad)
    with pytest.raises(cx.InputError, match="not data cx can read"):
        cx.nps(42)
    assert capsys.readouterr() == ("", "")  # the library prints nothing


def test_a_report_from_python_equals_the_commands(sample_report):
    _, data = sample_report
    run = cx.report(SAMPLE / "cx.toml", date="2026-11-23")
    assert set(run.results) == {k["id"] for k in data["kpis"]}
    for entry in data["kpis"]:
        assert run.results[entry["id"]].value == entry["value"]
    assert run.index["value"] == data["index"]["value"]
    mine = run.to_dict()
    assert [k["target"] for k in mine["kpis"]] == [k["target"] for k in data["kpis"]]
    with pytest.raises(cx.ConfigError):
        cx.report(SAMPLE / "survey.csv")


def test_inspect_from_python():
    info = cx.inspect(SAMPLE / "tickets.csv")
    assert {"fcr", "aht", "art"} <= {k["kpi"] for k in info["kpis"]}


def test_the_docstring_examples_run(monkeypatch):
    from cxcli import api

    monkeypatch.chdir(ROOT)
    assert doctest.testmod(api).attempted >= 40 and doctest.testmod(api).failed == 0


def test_importing_cxcli_changes_nothing_in_the_process():
    script = """
import sys, pandas as pd
before = (list(sys.meta_path), sys.excepthook, sys.exit)
import cxcli as cx
result = cx.nps(pd.DataFrame({"LTR": [10, 9, 3, None]}))
assert (list(sys.meta_path), sys.excepthook, sys.exit) == before
import pandas.testing  # pandas still imports
print(round(result.value, 6), result.n)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["33.333333", "3"]


def test_the_readmes_walk_through_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## From Python", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    test = doctest.DocTestParser().get_doctest(code, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 10


def test_a_baseline_from_an_earlier_result_is_tested_as_the_command_does(cx_run):
    before = cx.nps(f"{S}/survey.csv", where="Channel = 'email'")
    after = cx.nps(f"{S}/survey.csv", where="Channel = 'chat'", baseline=before)
    command = cx_run("nps", f"{S}/survey.csv", "--where", "Channel = 'chat'", "-q",
                     "--baseline", str(before.value))  # fmt: skip
    change = after.to_dict()["baseline"]
    assert change["delta"] == pytest.approx(after.value - before.value)
    assert change["p_value"] is not None and command.json["baseline"]["delta"] == change["delta"]
    assert cx.nps(f"{S}/survey.csv", baseline=before.to_dict()).to_dict()["baseline"]
    with pytest.raises(cx.UsageError, match="not a cx nps report"):
        cx.nps(f"{S}/survey.csv", baseline=cx.csat(f"{S}/survey.csv", score="Sat"))


def test_a_windowed_kpis_time_role_is_the_column_named(cx_run):
    run = cx_run("mau", f"{S}/events.parquet", "--time", "nonexistent", "-q")
    assert run.exit_code == 2 and "column 'nonexistent' (--time) not found" in run.stderr
    with pytest.raises(cx.ColumnNotFound, match=r"column 'nonexistent' \(--time\)"):
        cx.mau(f"{S}/events.parquet", time="nonexistent")
    assert cx.mau(f"{S}/events.parquet", time="ts").value == 6500


def test_each_kpi_function_shows_its_roles_and_options():
    import inspect

    nps = inspect.signature(cx.nps).parameters
    assert {"score", "labels", "by", "period", "where", "since", "min", "progress"} <= set(nps)
    assert nps["data"].kind is inspect.Parameter.POSITIONAL_ONLY
    mau = inspect.signature(cx.mau).parameters
    assert {"user", "time", "approx", "from_", "to"} <= set(mau) and "since" not in mau
    cac = inspect.signature(cx.cac).parameters
    assert list(cac)[:2] == ["spend", "customers"] and cac["margin"].default == 1.0
    assert cx.clv.__doc__.startswith("Customer Lifetime Value: `cx clv` from Python")


def test_progress_changes_no_number():
    assert cx.nps(f"{S}/survey.csv", progress=True).to_dict() == cx.nps(f"{S}/survey.csv").to_dict()
