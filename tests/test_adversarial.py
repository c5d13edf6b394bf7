"""The adversarial pass's cases (issue 16): each gives the right number, or exit 2 with a
message naming the file, row, column and value — never a wrapped sum, a write through a
planted link, a name outside its folder or an "internal error"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE

from cxcli.kpis.duration import US, DurationState
from cxcli.sums import AMOUNT_MAX, exact_total


def _json(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _no_bug(result) -> None:
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


# --- sums ----------------------------------------------------------------------------------


@pytest.mark.parametrize("magnitude", [1.0, 3.6e8, 1e12, AMOUNT_MAX])
def test_exact_total_is_the_exact_integer_sum(magnitude):
    rng = np.random.default_rng(3)
    values = np.round(rng.uniform(-magnitude, magnitude, 50_000), 2)
    values[:10] = magnitude  # the largest the parsers let through
    expected = sum(round(v * 1_000_000) for v in values.tolist())
    assert exact_total(values, 1_000_000) == expected


def test_a_duration_state_never_wraps():
    state = DurationState()
    for _ in range(3):  # 30,000 handle times of 99999 hours: 1.08e19 µs, past int64
        state.add(np.full(10_000, 99_999 * 3600.0))
    assert state.total_us == 30_000 * 99_999 * 3600 * US
    assert state.mean == 99_999 * 3600.0


def test_sentinel_resolution_times_are_invalid_not_a_negative_mean(cx, write_csv):
    rows = ["id,created,resolved"]
    rows += [f"{i},2025-03-01T10:00:00,2025-03-01T11:00:00" for i in range(1000)]
    rows += [f"{2000 + i},2025-03-02T10:00:00,9999-12-31" for i in range(50)]
    path = write_csv("art.csv", "\n".join(rows) + "\n")
    result = cx("art", str(path), "--max", "86400", "-q", "-f", "json")
    out = _json(result)  # the gate is judged on the printed number, 1 hour
    assert out["value"] == 3600.0 and out["quality"]["invalid"] == 50
    assert (
        out["quality"]["invalid_examples"][0]
        == {
            "row": 1001,
            "column": "resolved",
            "value": "9999-12-31",
        }
        or out["quality"]["invalid_examples"][0]["value"] == "9999-12-31"
    )
    assert any("more than 10 years" in note for note in out["notes"])


def test_handle_times_past_a_week_are_invalid(cx, write_csv):
    path = write_csv("aht.csv", "id,handle_seconds\n" + "".join(f"{i},300\n" for i in range(99)))
    path.write_text(path.read_text() + "100,1e13\n")
    out = _json(cx("aht", str(path), "-q", "-f", "json"))
    assert out["value"] == 300.0 and out["quality"]["invalid"] == 1


def test_idr_sized_orders_sum_exactly(cx, write_csv):
    rows = "".join(f"{i % 5000},150000000,2025-03-{i % 28 + 1:02d}\n" for i in range(70_000))
    path = write_csv("orders.csv", "customer_id,amount,order_date\n" + rows)
    args = ("--from", "2025-03-01", "--to", "2025-04-01", "-q", "-f", "json")
    arpu = _json(cx("arpu", str(path), *args))
    assert arpu["details"]["revenue"] == 70_000 * 150_000_000
    assert arpu["value"] == 70_000 * 150_000_000 / 5000


def test_amounts_beyond_the_range_are_invalid(cx, write_csv):
    path = write_csv(
        "huge.csv", "customer_id,amount,order_date\n1,1e308,2025-03-05\n2,10,2025-03-05\n"
    )
    args = ("--from", "2025-03-01", "--to", "2025-04-01", "-q", "-f", "json")
    out = _json(cx("arpu", str(path), *args, "--max-invalid", "100"))
    assert out["details"]["revenue"] == 10 and out["quality"]["invalid"] == 1


# --- inputs resolved once ------------------------------------------------------------------


def test_a_link_to_a_file_in_the_folder_is_read_once(cx, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "2025-06.csv").write_bytes((SAMPLE / "survey.csv").read_bytes())
    (folder / "latest.csv").symlink_to("2025-06.csv")
    (folder / "loop").symlink_to(".")  # a directory loop: never followed
    one = _json(cx("nps", str(SAMPLE / "survey.csv"), "-q", "-f", "json"))
    out = _json(cx("nps", str(folder), "-q", "-f", "json"))
    assert out["n"] == one["n"] and len(out["inputs"]) == 1
    assert any("the same file as" in note for note in out["notes"])
    globbed = _json(cx("nps", f"{folder}/**/*.csv", "-q", "-f", "json"))
    assert globbed["n"] == one["n"] and len(globbed["inputs"]) == 1


def test_unreadable_entries_are_an_error_or_a_note(cx, tmp_path, monkeypatch):
    from cxcli import source

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "a.csv").write_text("nps_score\n9\n")
    (folder / "b.csv").write_text("nps_score\n10\n")
    real = source._file_input

    def guarded(path):
        if path.name == "b.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(source, "_file_input", guarded)
    result = cx("nps", str(folder), "-q")
    assert result.exit_code == 2 and "b.csv: cannot read: Permission denied" in result.stderr
    out = _json(cx("nps", str(folder), "--skip-unreadable", "-q", "-f", "json"))
    assert out["n"] == 1 and any("--skip-unreadable" in note for note in out["notes"])


def test_a_fifo_is_read_as_a_stream(tmp_path):
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    run = subprocess.Popen(
        [sys.executable, "-m", "cxcli", "nps", str(fifo), "-q", "-f", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with open(fifo, "wb") as fh:
        fh.write(b"nps_score\n9\n10\n3\n")
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert json.loads(out)["n"] == 3


# --- escaping ------------------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script>\x1b]8;;http://x\x07<img src=x onerror=alert(1)>\x1b[31m"


def test_markdown_terminal_and_csv_carry_no_markup_or_control_bytes(cx, write_csv):
    name = '=HYPERLINK("http://x")\x1b[2J'
    quoted = name.replace('"', '""')
    path = write_csv("h.csv", f'nps_score,"{quoted}"\n9,"{HOSTILE}"\n10,ok\n')
    result = cx("nps", str(path), "--by", name, "-q", "-f", "markdown")
    assert result.exit_code == 0, result.stderr
    markdown = result.stdout
    assert "<script" not in markdown and "<img" not in markdown and "\x1b" not in markdown
    assert "&lt;script&gt;" in markdown
    table = cx("nps", str(path), "--by", name, "-q", "-f", "table").stdout
    assert "\x1b" not in table and "\x07" not in table
    csv_text = cx("nps", str(path), "--by", name, "-q", "-f", "csv").stdout
    header = csv_text.splitlines()[0]
    assert "'=HYPERLINK" in header and ',"=HYPERLINK' not in header and ",=HYPERLINK" not in header


def test_messages_to_the_terminal_carry_no_control_bytes(cx, write_csv):
    path = write_csv("m.csv", "nps_score\n9\n")
    result = cx("nps", str(path), "--score", "x\x1b[2Jy")
    assert result.exit_code == 2 and "\x1b" not in result.stderr


# --- report names, side files, outputs -----------------------------------------------------


def _config(tmp_path: Path, history: str | None = None) -> Path:
    path = tmp_path / "cx.toml"
    lines = [f'[inputs]\nsurveys = "{SAMPLE / "survey.csv"}"', ""]
    if history:
        lines.insert(0, f'[report]\nhistory = "{history}"\n')
    lines += ['[[kpi]]\nkpi = "nps"\ninput = "surveys"\nscore = "LTR"\n']
    path.write_text("\n".join(lines))
    return path


@pytest.mark.parametrize(
    "name", ["../../esc", "{date.__class__.__name__}", "{date:>9999999999}", "a/b", "{0}", "x\x00"]
)
def test_report_names_are_names(cx, tmp_path, name):
    result = cx(
        "report",
        "--config",
        str(_config(tmp_path)),
        "-o",
        str(tmp_path / "out"),
        "--name",
        name,
        "-q",
    )
    assert result.exit_code == 2 and "--name" in result.stderr
    assert not (tmp_path.parent / "esc.json").exists()


def test_a_planted_lock_link_is_refused_and_its_target_untouched(cx, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / ".report.lock").symlink_to(victim)
    result = cx("report", "--config", str(_config(tmp_path)), "-o", str(out), "-q")
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert victim.read_text() == "precious"


def test_a_planted_history_temp_link_is_never_written_through(cx, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    history = out / "history.parquet"
    for pid in (os.getpid(), *range(os.getpid() - 5, os.getpid() + 5)):  # the old, guessable name
        link = out / f".history.parquet.{pid}.tmp"
        if not link.exists():
            link.symlink_to(victim)
    result = cx("report", "--config", str(_config(tmp_path, str(history))), "-o", str(out), "-q")
    assert result.exit_code == 0, result.stderr
    assert victim.read_text() == "precious" and pq.read_table(history).num_rows == 1


def test_history_must_be_a_cx_history(cx, tmp_path):
    out = tmp_path / "out"
    result = cx(
        "report",
        "--config",
        str(_config(tmp_path)),
        "-o",
        str(out),
        "--history",
        str(out / "report.json"),
        "-q",
    )
    assert result.exit_code == 2 and "--history" in result.stderr
    for table, problem in (
        (
            pa.table({"run_date": ["2025-01-01"], "id": [None], "value": [1.0], "result": ["{}"]}),
            "row 1",
        ),
        (
            pa.table({"run_date": [1], "id": ["x"], "value": ["a"], "result": ["{}"]}),
            "not a cx history",
        ),
        (pa.table({"run_date": ["soon"], "id": ["x"], "value": [1.0], "result": ["{}"]}), "row 1"),
    ):
        path = tmp_path / "h.parquet"
        pq.write_table(table, path)
        result = cx("report", "--config", str(_config(tmp_path, str(path))), "-o", str(out), "-q")
        _no_bug(result)
        assert result.exit_code == 2 and problem in result.stderr, result.stderr


def test_stale_temporary_files_are_removed_and_fresh_ones_kept(cx, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    stale, fresh = out / ".report.json.abc123.tmp", out / ".report.html.def456.tmp"
    stale.write_text("old")
    fresh.write_text("new")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    result = cx("report", "--config", str(_config(tmp_path)), "-o", str(out), "-q")
    assert result.exit_code == 0, result.stderr
    assert not stale.exists() and fresh.exists()


KILLED = """
import os, signal, sys
from pathlib import Path
from cxcli import output
real = os.replace
done = []
def replace(src, dst):
    real(src, dst)
    done.append(dst)
    if len(done) == 2 and str(dst).endswith(".md"):  # the journal, then one report file
        os.kill(os.getpid(), signal.SIGKILL)
output.os.replace = replace
folder = Path(sys.argv[1])
files = {folder / f"report.{s}": f"run 2 {s}" for s in ("md", "json", "html")}
output.write_files(files, journal=folder / ".report.journal")
"""


def test_a_kill_among_the_renames_is_finished_by_the_next_run(tmp_path):
    from cxcli.output import recover

    for suffix in ("md", "json", "html"):
        (tmp_path / f"report.{suffix}").write_text(f"run 1 {suffix}")
    run = subprocess.run([sys.executable, "-c", KILLED, str(tmp_path)], check=False)
    assert run.returncode == -signal.SIGKILL
    texts = {p.suffix: p.read_text() for p in tmp_path.glob("report.*")}
    assert texts[".md"] == "run 2 md" and texts[".json"] == "run 1 json"  # mixed: killed
    assert sorted(p.name for p in recover(tmp_path / ".report.journal")) == [
        "report.html",
        "report.json",
    ]
    assert {p.read_text() for p in tmp_path.glob("report.*")} == {
        "run 2 md",
        "run 2 json",
        "run 2 html",
    }
    assert not list(tmp_path.glob(".*"))  # no journal, no temporary file left


# --- bad inputs are exit 2, never an internal error ----------------------------------------


def _parquet(tmp_path: Path, name: str, **columns) -> Path:
    path = tmp_path / name
    pq.write_table(pa.table(columns), path)
    return path


def test_bad_inputs_are_exit_2_or_counted_never_a_bug(cx, tmp_path, write_csv):
    cases = [
        (
            [
                "nps",
                _parquet(tmp_path, "u64.parquet", nps_score=pa.array([2**64 - 1, 9], pa.uint64())),
            ],
            0,
        ),
        (
            [
                "nps",
                _parquet(
                    tmp_path,
                    "ns.parquet",
                    nps_score=[9, 10],
                    created_at=pa.array([2**62 + 1, 0], pa.timestamp("ns")),
                ),
                "--period",
                "month",
            ],
            0,
        ),
        (
            [
                "nps",
                _parquet(
                    tmp_path,
                    "s.parquet",
                    nps_score=[9, 10],
                    created_at=pa.array([2**62, 0], pa.timestamp("ms")),
                ),
                "--period",
                "month",
            ],
            0,
        ),
        (
            [
                "nps",
                write_csv(
                    "tz.csv",
                    "nps_score,created_at\n9,0001-01-01T00:00:00\n10,2025-01-01T00:00:00\n",
                ),
                "--tz",
                "Asia/Tokyo",
                "--period",
                "month",
            ],
            0,
        ),
        (["nps", write_csv("u32.csv", "nps_score\n9\n10\n".encode("utf-32"))], 0),
        (["nps", write_csv("p.csv", "nps_score\n9.99999999999999999\n10\n")], 0),
        (["nps", write_csv("ok.csv", "nps_score\n9\n"), "--min", "nan"], 2),
    ]
    for args, code in cases:
        result = cx(*map(str, args), "-q", "-f", "json", "--max-invalid", "100")
        _no_bug(result)
        assert result.exit_code == code, (args, result.stderr)
    out = json.loads(
        cx("nps", str(tmp_path / "p.csv"), "-q", "-f", "json", "--max-invalid", "100").stdout
    )
    assert out["quality"]["invalid"] == 1  # 9.99999999999999999 is no whole score
    out = json.loads(
        cx(
            "nps",
            str(tmp_path / "tz.csv"),
            "--tz",
            "Asia/Tokyo",
            "--period",
            "month",
            "-q",
            "-f",
            "json",
            "--max-invalid",
            "100",
        ).stdout
    )
    assert out["quality"]["invalid"] == 1  # before year 1 once moved to UTC


def test_configs_nested_deep_or_with_a_bom(cx, tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = cx("report", "--config", str(deep), "-q")
    _no_bug(result)
    assert result.exit_code == 2 and "nest too deeply" in result.stderr
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + _config(tmp_path).read_bytes())
    assert cx("report", "--config", str(bom), "-o", str(tmp_path / "o"), "-q").exit_code == 0


def test_a_file_name_that_is_not_utf8(cx, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (Path(os.fsdecode(bytes(folder))) / os.fsdecode(b"caf\xe9.csv")).write_text("nps_score\n9\n")
    result = cx("nps", str(folder), "-q")
    _no_bug(result)
    assert result.exit_code == 2 and "caf\\xe9.csv: the file name is not UTF-8" in result.stderr


def test_stdout_on_a_full_disk_is_a_message():
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "cxcli", "nps", str(SAMPLE / "survey.csv"), "-q"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert run.returncode == 2 and "No space left on device" in run.stderr
    assert "internal error" not in run.stderr and "Exception ignored" not in run.stderr


def test_sigint_says_interrupted_and_exits_130(tmp_path):
    fifo = tmp_path / "never.csv"
    os.mkfifo(fifo)  # nobody writes: cx waits on it
    run = subprocess.Popen(
        [sys.executable, "-m", "cxcli", "nps", str(fifo), "-q"],
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 130 and "interrupted" in err


def test_where_compares_two_columns_as_numbers_in_every_format(cx, write_csv, tmp_path):
    csv_path = write_csv("ab.csv", "nps_score,a,b\n10,10,9\n0,9,10\n")
    parquet = _parquet(tmp_path, "ab.parquet", nps_score=[10, 0], a=[10, 9], b=[9, 10])
    values = [
        _json(cx("nps", str(p), "--where", "a > b", "-q", "-f", "json"))["value"]
        for p in (csv_path, parquet)
    ]
    assert values == [100.0, 100.0]


# --- paths no test ran before ---------------------------------------------------------------


def test_a_field_larger_than_the_largest_block(cx, write_csv, monkeypatch):
    from cxcli import engine

    monkeypatch.setattr(engine, "BLOCK_SIZES", (1 << 10, 2 << 10))
    path = write_csv("f.csv", 'nps_score,comment\n9,"' + "x" * 5000 + '"\n10,ok\n')
    result = cx("nps", str(path), "-q")
    assert (
        result.exit_code == 2
        and "f.csv: a field is larger than the 2 KiB read block" in result.stderr
    )


def test_compressed_stdin(cx):
    import gzip

    data = gzip.compress((SAMPLE / "survey.csv").read_bytes())
    one = _json(cx("nps", str(SAMPLE / "survey.csv"), "-q", "-f", "json"))
    assert _json(cx("nps", "-", "-q", "-f", "json", input=data))["value"] == one["value"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--encoding", "klingon"], "--encoding 'klingon' is not an encoding Python knows"),
        (["--time-format", "%Q", "--period", "month", "--time", "Submitted At"], "--time-format"),
        (["--confidence", "1.5"], "--confidence 1.5 must be in [0.5, 1)"),
        (["--max-invalid", "120"], "--max-invalid 120 must be a percentage"),
        (["--top", "0"], "--top must be at least 1"),
        (["--quantiles", "2"], None),
    ],
)
def test_option_errors_are_usage_errors(cx, args, message):
    result = cx("nps", str(SAMPLE / "survey.csv"), *args, "-q")
    _no_bug(result)
    assert result.exit_code == 2, result.stderr
    if message:
        assert message in result.stderr, result.stderr


def test_corrupt_parquet(cx, tmp_path):
    path = tmp_path / "c.parquet"
    data = (SAMPLE / "survey.parquet").read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\x00" * 64 + data[-8:])
    result = cx("nps", str(path), "-q")
    _no_bug(result)
    assert result.exit_code == 2 and "c.parquet" in result.stderr


def test_a_baseline_that_cannot_be_rebuilt(cx, tmp_path):
    previous = tmp_path / "prev.json"
    previous.write_text(json.dumps({"kpi": "nps", "value": 10, "n": 5}))  # no details
    result = cx("nps", str(SAMPLE / "survey.csv"), "--baseline", str(previous), "-q", "-f", "json")
    _no_bug(result)
    assert result.exit_code in (0, 2), result.stderr
    if result.exit_code == 0:  # compared by value, with no test it cannot do
        assert json.loads(result.stdout)["baseline"]["p_value"] is None


def test_inspect_shows_column_names_inert(cx, write_csv):
    path = write_csv("[bold]n.csv", 'nps_score,"x\x1b[31my"\n9,a\n')
    result = cx("inspect", str(path))
    assert result.exit_code == 0 and "\x1b" not in result.stdout and "[bold]n.csv" in result.stdout


def test_the_report_summary_prints_config_text_inert(cx, tmp_path):
    config = tmp_path / "cx.toml"
    config.write_text(
        '[report]\ntitle = "[bold red]Weekly\\u001b[2J"\n'
        f'[inputs]\ns = "{SAMPLE / "survey.csv"}"\n'
        '[[kpi]]\nkpi = "nps"\ninput = "s"\nlabel = "[blink]NPS\\u001b]8;;http://x\\u0007"\n'
    )
    run = cx("report", "-c", str(config), "-o", str(tmp_path / "out"), "-q")
    assert run.exit_code == 0, run.stderr
    assert "[bold red]Weekly" in run.stdout and "[blink]NPS" in run.stdout
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout
