"""Import hygiene and entry points, checked in fresh interpreters."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

from conftest import SAMPLE

from cxcli import __version__


def python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_cx_nps_never_imports_pandas(tmp_path):
    """pyarrow would import pandas (0.4 s) on its first Python-value conversion; typer 0.29
    would import pydantic (0.2 s) to coerce parameters; the core never imports dask."""
    out = str(tmp_path / "r.json")
    code = f"""
import sys
from cxcli.cli import app, block_pandas
block_pandas()  # as main() does, which would then exit at once
app(["nps", {str(SAMPLE / "survey.csv")!r}, "--by", "Region", "--period", "month",
     "--where", "Channel = 'email'", "-q", "-o", {out!r}, "-f", "json"], standalone_mode=False)
banned = ("pandas", "scipy", "pydantic", "dask", "distributed", "boto3")  # dask: its extra only
print(sorted(m for m in sys.modules if m.split(".")[0] in banned))
"""
    assert python(code) == "[]"


def test_core_imports_no_cli_libraries():
    code = """
import sys
import cxcli.engine, cxcli.registry, cxcli.render.json, cxcli.render.csv
from cxcli.registry import all_kpis
all_kpis()
print(sorted({m.split(".")[0] for m in sys.modules} & {"typer", "rich", "click"}))
"""
    assert python(code) == "[]"


def test_version_is_fast_path():
    """The console script answers `--version` before importing the CLI or any library."""
    code = """
import sys
from cxcli.__main__ import main
sys.argv = ["cx", "--version"]
main()
print(sorted({m.split(".")[0] for m in sys.modules} & {"typer", "rich", "pyarrow", "numpy"}))
"""
    assert python(code) == f"cx {__version__}\n[]"


def test_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "cxcli", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("cx ")


def test_a_reader_that_leaves_early_is_not_an_error():
    """`cx … | head -1`: stop quietly with exit 0, whatever the format."""
    for fmt in ("table", "csv", "json"):
        script = (
            f"{sys.executable} -m cxcli nps {SAMPLE / 'survey.csv'} --by Region --by Channel "
            f"-q -f {fmt} | head -c 10 > /dev/null; exit ${{PIPESTATUS[0]}}"
        )
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True)
        assert result.returncode == 0, (fmt, result.stderr)
        assert "Traceback" not in result.stderr


def test_freed_memory_is_kept_where_glibc_allows():
    import platform

    from cxcli.cli import keep_freed_memory

    assert keep_freed_memory() is (platform.libc_ver()[0] == "glibc")


def test_arrow_buffers_come_from_jemalloc_unless_the_user_chose(tmp_path):
    """`cx` asks Arrow for jemalloc (lower peak RSS) on Linux; a pool the user set is kept."""
    from cxcli.cli import lean_arrow_pool

    environ = {"ARROW_DEFAULT_MEMORY_POOL": "system"}
    assert lean_arrow_pool(environ) is False and environ["ARROW_DEFAULT_MEMORY_POOL"] == "system"
    environ = {}
    assert lean_arrow_pool(environ) is (sys.platform == "linux")
    script = "import pyarrow as pa; pa.array([1]); print(pa.default_memory_pool().backend_name)"
    for chosen, expected in ((None, "jemalloc"), ("system", "system")):
        env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
        if chosen:
            env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
        code = f"from cxcli.cli import lean_arrow_pool; lean_arrow_pool(); {script}"
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        if sys.platform == "linux":
            assert result.stdout.strip() == expected and not result.stderr


def test_help_imports_no_data_libraries():
    """`cx --help` (through the console entry point, exit included) stays light."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cxcli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "Usage" in result.stdout and not imported & {"numpy", "pyarrow", "scipy", "pandas"}


def test_stdin_read_twice_leaves_no_spool(tmp_path):
    """A default window needs stdin twice (dates, then rows): it is spooled to a temporary
    file, which is gone when cx exits (the exit skips interpreter finalization)."""
    result = subprocess.run(
        [sys.executable, "-m", "cxcli", "churn", "-", "-q", "-f", "json"],
        input=(SAMPLE / "customers.csv").read_bytes(),
        capture_output=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0 and b'"kpi": "churn"' in result.stdout
    assert list(tmp_path.iterdir()) == []


def kpi_modules_for(*args: str, env: dict | None = None) -> list[str]:
    """KPI modules loaded once the CLI is set up for `cx <args>`."""
    code = f"""
import sys
sys.argv = ["cx", *{list(args)!r}]
import cxcli.cli
print(sorted(m for m in sys.modules if m.startswith("cxcli.kpis.")))
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    return ast.literal_eval(result.stdout)


def test_a_kpi_command_imports_only_its_own_kpi():
    assert kpi_modules_for("nps", "survey.csv") == ["cxcli.kpis.histogram", "cxcli.kpis.nps"]
    assert "cxcli.kpis.mau" in kpi_modules_for("kpis")  # listing them all imports them all
    assert "cxcli.kpis.mau" in kpi_modules_for("--help")
    completing = kpi_modules_for("nps", env={"_CX_COMPLETE": "complete_bash"})
    assert "cxcli.kpis.mau" in completing  # completion offers every command


def test_a_plain_csv_run_loads_no_other_reader_and_no_filter(tmp_path):
    """The JSON and workbook readers (and calamine), and the --where grammar, load only when
    an input or an option needs them (each costs milliseconds of start-up)."""
    code = f"""
import sys
from cxcli.cli import app, block_pandas
block_pandas()
app(["nps", {str(SAMPLE / "survey.csv")!r}, "-q", "-o", {str(tmp_path / "r.json")!r}],
    standalone_mode=False)
loaded = {{"cxcli.where", "cxcli.formats.jsonlines", "cxcli.formats.workbook",
          "python_calamine", "pyarrow.json"}} & set(sys.modules)
print(sorted(loaded))
"""
    assert python(code) == "[]"


def test_messy_runs_never_import_numpy_ma(tmp_path):
    """pyarrow's conversion of an ndarray imports numpy.ma (~20 ms of start-up): the parse
    paths wrap masks and positions instead (values.arrow_of), messy cells and all. (An AHT
    over at most 1,000 calls imports scipy, and numpy.ma with it, for its exact interval.)"""
    survey = tmp_path / "survey.csv"
    survey.write_text(
        "LTR,Region,Submitted At\n"
        "9,EU,2026-01-03T10:00:00Z\n"
        " 7,US,2026-02-01T09:30:00Z\n"
        "ten,EU,\n"
        "9.5,US,2026-02-11 08:00:00+01:00\n"
        "N/A,EU,not a date\n"
        "10,,2026-01-20T00:00:00Z\n"
    )
    calls = tmp_path / "calls.csv"
    calls.write_text("Talk\n" + "4:05\n 300\n\nn/a\n1:02:03\nnonsense\n" * 400)
    code = f"""
import sys
from cxcli.cli import app, block_pandas
block_pandas()
for args in ([{str(survey)!r}, "nps", "--score", "LTR", "--by", "Region", "--period", "month",
              "--time", "Submitted At"], [{str(calls)!r}, "aht", "--talk", "Talk"]):
    app([args[1], args[0], *args[2:], "--max-invalid", "100", "-q", "-f", "json",
         "-o", {str(tmp_path / "r.json")!r}], standalone_mode=False)
print(sorted(m for m in sys.modules if m.split(".")[0] in ("scipy", "cxcli")
             and m.endswith((".units", ".times", "scipy"))), "numpy.ma" in sys.modules)
"""
    assert python(code) == "['cxcli.times', 'cxcli.units'] False"
