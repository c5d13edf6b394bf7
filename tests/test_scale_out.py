"""Scale-out: every KPI gives the same result in this process, on a process pool (--jobs) and
on Dask workers (--engine dask); partial states written with --emit-state merge (cx merge)
into the result of one run over all the inputs, and states that do not belong together are
refused."""

from __future__ import annotations

import json
import pickle
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, SAMPLE

from cxcli.distinct import DistinctSet, shard_of
from cxcli.render import Format

PARTS = 3


def demo_commands() -> list[str]:
    """The `make demo` KPI commands, one per KPI and feature the demo shows."""
    text = (ROOT / "Makefile").read_text()
    return [c for c in re.findall(r"^\t\$\(CX\) (.+)$", text, flags=re.M) if c[:6] != "report"]


@pytest.fixture(scope="module")
def parts(tmp_path_factory) -> Path:
    """Each sample file (and the CDNOW test file) cut into 3 files (sample_data/NAME.EXT →
    NAME_EXT/partI.EXT); the Parquet parts have several row groups, which --jobs and Dask read
    as fragments."""
    root = tmp_path_factory.mktemp("parts")
    for path in [*sorted(SAMPLE.iterdir()), ROOT / "tests" / "data" / "cdnow_sample.csv"]:
        if path.suffix == ".csv":
            names = pcsv.read_csv(path).column_names
            types = {n: pa.string() for n in names}
            table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types))
        elif path.suffix == ".parquet":
            table = pq.read_table(path)
        else:
            continue
        folder = root / f"{path.stem}_{path.suffix[1:]}"
        folder.mkdir()
        cuts = [table.num_rows * i // PARTS for i in range(PARTS + 1)]
        for i in range(PARTS):
            piece = table.slice(cuts[i], cuts[i + 1] - cuts[i])
            if path.suffix == ".csv":
                pcsv.write_csv(piece, folder / f"part{i}.csv")
            else:
                pq.write_table(piece, folder / f"part{i}.parquet", row_group_size=500)
    return root


def on_parts(command: str, root: Path) -> list[str]:
    """The demo command over the parts instead of the sample file, as JSON."""
    args = shlex.split(command.replace("--format table", "--format json"))
    found = re.compile(r"^(?:sample_data|tests/data)/(\w+)\.(csv|parquet)$")
    return [str(root / f"{m[1]}_{m[2]}") if (m := found.match(a)) else a for a in args]


@pytest.fixture(scope="module")
def cluster():
    """A Dask LocalCluster for the module (2 workers of one thread), shared by the tests."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=50,
    ) as running:
        yield running.scheduler_address


@pytest.mark.parametrize("command", demo_commands(), ids=lambda c: c.split()[0])
def test_every_schedule_gives_the_same_result(command, parts, cluster, cx):
    """Exact KPIs equal to the last digit; the sketch-based quantiles too here, as the merge
    order (neighbours with neighbours) is the file order on every schedule."""
    args = on_parts(command, parts)
    local = cx(*args, "-q")
    assert local.exit_code == 0, local.stderr
    pool = cx(*args, "-q", "--jobs", "2")
    dask = cx(*args, "-q", "--engine", "dask", "--scheduler", cluster)
    assert pool.exit_code == dask.exit_code == 0, pool.stderr + dask.stderr
    assert pool.json == local.json
    assert dask.json == local.json


def test_the_parts_give_the_numbers_of_the_whole(parts, cx):
    """The fixture's parts hold the sample's rows: the same NPS as the sample file."""
    whole = cx("nps", str(SAMPLE / "survey.csv"), "-q", "-f", "json").json
    split = cx("nps", str(parts / "survey_csv"), "-q", "-f", "json").json
    assert split["value"] == whole["value"] and split["n"] == whole["n"]
    assert len(split["inputs"]) == PARTS
    assert sum(i["rows"] for i in split["inputs"]) == whole["inputs"][0]["rows"]


def test_a_dask_run_starts_its_own_local_cluster(parts, cx):
    """With no --scheduler, the run starts a LocalCluster of --jobs workers and stops it."""
    args = ["mau", str(parts / "events_parquet"), "--user", "uid", "--time", "ts", "-q"]
    args += ["--period", "month", "--from", "2025-01-01", "--to", "2025-07-01", "-f", "json"]
    local = cx(*args)
    dask = cx(*args, "--engine", "dask", "--jobs", "2")
    assert dask.exit_code == 0, dask.stderr
    assert dask.json == local.json


def test_an_error_on_a_worker_is_the_same_one_line(tmp_path, cluster, cx):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.csv").write_text("nps_score\n10\n")
    (bad / "b.csv").write_text('nps_score\n"9\n')  # a quote never closed
    local = cx("nps", str(bad), "-f", "json")
    dask = cx("nps", str(bad), "-f", "json", "--engine", "dask", "--scheduler", cluster)
    pool = cx("nps", str(bad), "-f", "json", "--jobs", "2")
    assert local.exit_code == dask.exit_code == pool.exit_code == 2
    assert "never closed" in local.stderr
    assert dask.stderr == pool.stderr == local.stderr


def test_scheduler_without_dask_engine_is_a_usage_error(cx):
    run = cx("nps", str(SAMPLE / "survey.csv"), "--scheduler", "tcp://127.0.0.1:1")
    assert run.exit_code == 2 and "--scheduler needs --engine dask" in run.stderr


def test_stdin_is_saved_for_workers(cx):
    text = (SAMPLE / "survey.csv").read_text()
    local = cx("nps", "-", "-q", "-f", "json", input=text).json
    pool = cx("nps", "-", "-q", "-f", "json", "--jobs", "2", input=text).json
    assert pool == local


# --- shards of exact distinct sets --------------------------------------------------------


def test_shards_share_no_id_and_join_back():
    ids = pa.array([f"user-{i}" for i in range(5000)] + ["", "é", "user-1"])
    distinct = DistinctSet()
    distinct.add(ids)
    pieces = distinct.split(4)
    seen = [set(p.chunks[0].to_pylist()) if p.chunks else set() for p in pieces]
    assert sum(len(s) for s in seen) == len(set(ids.to_pylist())) == distinct.count()
    assert all(not (a & b) for i, a in enumerate(seen) for b in seen[i + 1 :])
    assert min(len(s) for s in seen) > 900  # spread over the shards
    assert DistinctSet.joined(pieces).count() == distinct.count()


def test_the_shard_of_an_id_does_not_depend_on_its_array():
    """Sliced, large_string or string: the same id goes to the same shard in every process."""
    ids = pa.array(["a", "bb", "user-123", "x" * 40, "ü"])
    once = shard_of(ids, 7)
    assert (shard_of(ids.cast(pa.large_string()), 7) == once).all()
    assert (shard_of(ids.slice(2), 7) == once[2:]).all()
    assert (shard_of(pa.array(["a", "bb", "user-123"]), 7) == once[:3]).all()
    assert ((once >= 0) & (once < 7)).all()


# --- sketches pickle ----------------------------------------------------------------------


def test_sketches_pickle_and_unpickle():
    from cxcli.sketches import hll, kll

    sketch = hll(12)
    for i in range(10_000):
        sketch.update(f"id{i}")
    back = pickle.loads(pickle.dumps(sketch))
    assert back.get_estimate() == sketch.get_estimate()
    quantiles = kll(200)
    quantiles.update(np.arange(100_000, dtype=float))
    again = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(quantiles))))
    assert again.get_quantile(0.9) == quantiles.get_quantile(0.9) and again.n == 100_000


def test_a_fragment_and_its_accumulators_pickle(parts, sent_fragments):
    """What a worker is sent and sends back holds no open file, filesystem or lambda."""
    from cxcli import engine
    from cxcli.fragments import scan
    from cxcli.kpis.aht import Aht

    engine.run(Aht(), [str(parts / "tickets_csv")], engine.Query(jobs=2))
    fragment = sent_fragments[0]
    scanned = pickle.loads(pickle.dumps(scan(pickle.loads(pickle.dumps(fragment)))))
    assert scanned.reads[0][1] == pcsv.read_csv(fragment.item.path).num_rows


# --- --emit-state and cx merge --------------------------------------------------------------


def emit_each(args: list[str], folder: Path, tmp_path: Path, cx) -> list[str]:
    """One state per part of `folder` (the command's input), as separate jobs would."""
    states = []
    for part in sorted(folder.iterdir()):
        state = tmp_path / f"{folder.name}-{part.stem}.state"
        run = cx(
            *[str(part) if a == str(folder) else a for a in args], "-q", "--emit-state", str(state)
        )
        assert run.exit_code == 0, run.stderr
        states.append(str(state))
    return states


ONE_INPUT = [c for c in demo_commands() if not c.startswith("cac")]  # cac: the test below


@pytest.mark.parametrize("command", ONE_INPUT, ids=lambda c: c.split()[0])
def test_merged_states_give_the_result_of_one_run(command, parts, tmp_path, cx):
    """Every KPI: cx merge of one state per part == one run over all the parts."""
    args = on_parts(command, parts)
    (folder,) = [Path(a) for a in args if a.startswith(str(parts))]
    files = sorted(str(p) for p in folder.iterdir())
    whole = cx(*[a for a in args if a != str(folder)][:1], *files, *args[2:], "-q")
    assert whole.exit_code == 0, whole.stderr
    window = whole.json["params"].get("from")
    if window and "--from" not in args:  # jobs agree on the window only when it is given
        args += ["--from", window, "--to", whole.json["params"]["to"]]
        whole = cx(*[a for a in args if a != str(folder)][:1], *files, *args[2:], "-q")
    states = emit_each(args, folder, tmp_path, cx)
    merged = cx("merge", *states, "-f", "json")
    assert merged.exit_code == 0, merged.stderr
    assert merged.json == whole.json


def test_states_of_a_kpi_of_two_inputs(parts, tmp_path, cx):
    spend, customers = parts / "spend_csv", parts / "customers_csv"
    common = ["--date", "Day", "--amount", "Cost", "--start", "Signup", "-q", "-f", "json"]
    common += ["--from", "2024-01-01", "--to", "2025-01-01"]  # every job the same window
    states = []
    for i in range(PARTS):
        state = str(tmp_path / f"cac{i}.state")
        run = cx(
            "cac",
            "--spend",
            str(spend / f"part{i}.csv"),
            "--customers",
            str(customers / f"part{i}.csv"),
            *common,
            "--emit-state",
            state,
        )
        assert run.exit_code == 0, run.stderr
        states.append(state)
    whole = cx(
        "cac",
        *[a for i in range(PARTS) for a in ("--spend", str(spend / f"part{i}.csv"))],
        *[a for i in range(PARTS) for a in ("--customers", str(customers / f"part{i}.csv"))],
        *common,
    )
    merged = cx("merge", *states, "-f", "json")
    assert merged.exit_code == 0, merged.stderr
    drop = ("inputs",)  # whole lists the spend files first; the states interleave them
    assert {k: v for k, v in merged.json.items() if k not in drop} == {
        k: v for k, v in whole.json.items() if k not in drop
    }
    assert sorted(i["path"] for i in merged.json["inputs"]) == sorted(
        i["path"] for i in whole.json["inputs"]
    )


@pytest.mark.parametrize("fmt", [f.value for f in Format])
def test_merge_writes_every_format(fmt, parts, tmp_path, cx):
    """The README's example: a.state + b.state == one run over a.csv and b.csv."""
    folder = parts / "survey_csv"
    files = [str(p) for p in sorted(folder.iterdir())]
    states = []
    for i, file in enumerate(files):
        states.append(str(tmp_path / f"{i}.state"))
        assert cx("nps", file, "--by", "Region", "-q", "--emit-state", states[-1]).exit_code == 0
    env = {"COLUMNS": "100"}
    merged = cx("merge", *states, "-f", fmt, env=env)
    whole = cx("nps", *files, "--by", "Region", "-q", "-f", fmt, env=env)
    assert merged.exit_code == 0, merged.stderr
    assert merged.stdout == whole.stdout
    out, one = tmp_path / f"merged.{fmt}", tmp_path / f"whole.{fmt}"
    assert cx("merge", *states, "-f", fmt, "-o", str(out), "-q").exit_code == 0
    cx("nps", *files, "--by", "Region", "-q", "-f", fmt, "-o", str(one))
    assert out.read_text() == one.read_text()


def test_a_merged_state_merges_again(parts, tmp_path, cx):
    files = [str(p) for p in sorted((parts / "survey_csv").iterdir())]
    states = [str(tmp_path / f"{i}.state") for i in range(3)]
    for file, state in zip(files, states, strict=True):
        cx("nps", file, "-q", "--emit-state", state)
    two = str(tmp_path / "two.state")
    assert cx("merge", states[0], states[1], "-q", "--emit-state", two, "-f", "json").exit_code == 0
    assert cx("merge", two, states[2], "-f", "json").json == cx("merge", *states, "-f", "json").json


def test_a_state_is_arrow_ipc_with_an_envelope_and_no_pickle(tmp_path, cx):
    state = tmp_path / "a.state"
    args = ["mau", str(SAMPLE / "events.parquet"), "--period", "month", "-q"]
    assert cx(*args, "--emit-state", str(state)).exit_code == 0
    with ipc.open_file(pa.memory_map(str(state))) as reader:
        metadata = reader.schema.metadata
        assert reader.num_record_batches == 1
    head = json.loads(metadata[b"cx.envelope"])
    params = cx(*args, "-f", "json").json["params"]
    assert head["format"] == "cx-state" and head["kpi"] == "mau"
    assert head["definition"] == "mau.distinct" and head["period"] == "month"
    assert head["window"] == [params["from"], params["to"]]
    assert head["columns"] == {"user": "uid", "time": "ts"}
    assert head["inputs"][0]["fingerprint"].startswith("sample-sha256:")
    for key in ("cx", "options", "by", "tz", "filters", "confidence"):
        assert key in head
    raw = state.read_bytes()
    assert raw[:6] == b"ARROW1"
    table = ipc.open_file(pa.memory_map(str(state))).read_all()
    plain = pa.BufferOutputStream()
    with ipc.new_file(plain, table.schema) as writer:  # the same, uncompressed
        writer.write_table(table)
    assert len(raw) < plain.getvalue().size  # zstd


def _states(cx, tmp_path, *runs: list[str]) -> list[str]:
    out = []
    for i, args in enumerate(runs):
        path = str(tmp_path / f"s{i}.state")
        run = cx(*args, "-q", "--emit-state", path)
        assert run.exit_code == 0, run.stderr
        out.append(path)
    return out


@pytest.mark.parametrize(
    ("second", "field"),
    [
        (["csat", "{b}", "--score", "Sat"], "kpi"),
        (["nps", "{b}", "--by", "Region"], "by"),
        (["nps", "{b}", "--period", "month"], "period"),
        (["nps", "{b}", "--where", "Channel == 'chat'"], "filters"),
        (["nps", "{b}", "--confidence", "0.9"], "confidence"),
        (["nps", "{b}", "--score", "Sat"], "columns"),
        (["nps", "{b}", "--tz", "Europe/Paris"], "tz"),
    ],
)
def test_merge_refuses_states_computed_differently(second, field, parts, tmp_path, cx):
    a, b = (str(p) for p in sorted((parts / "survey_csv").iterdir())[:2])
    states = _states(cx, tmp_path, ["nps", a], [x.format(b=b) for x in second])
    run = cx("merge", *states)
    assert run.exit_code == 2
    assert f"its {field} is" in run.stderr and "computed the same way" in run.stderr


def test_merge_refuses_another_window(parts, tmp_path, cx):
    files = sorted((parts / "events_parquet").iterdir())
    states = _states(
        cx,
        tmp_path,
        ["mau", str(files[0]), "--from", "2025-01-01", "--to", "2025-02-01"],
        ["mau", str(files[1]), "--from", "2025-02-01", "--to", "2025-03-01"],
    )
    run = cx("merge", *states)
    assert run.exit_code == 2 and "its window is" in run.stderr


def test_merge_refuses_other_kpi_options(parts, tmp_path, cx):
    files = sorted((parts / "events_parquet").iterdir())
    window = ["--from", "2025-01-01", "--to", "2025-02-01"]
    states = _states(
        cx, tmp_path, ["mau", str(files[0]), *window], ["mau", str(files[1]), *window, "--approx"]
    )
    run = cx("merge", *states)
    assert run.exit_code == 2 and "its definition is" in run.stderr


def test_merge_refuses_overlapping_inputs(parts, tmp_path, cx):
    a, b = (str(p) for p in sorted((parts / "survey_csv").iterdir())[:2])
    copy = tmp_path / "copy-of-a.csv"
    copy.write_bytes(Path(a).read_bytes())
    states = _states(cx, tmp_path, ["nps", a, b], ["nps", str(copy)])
    run = cx("merge", *states)
    assert run.exit_code == 2
    assert "copy-of-a.csv is also in" in run.stderr and "count twice" in run.stderr


def test_merge_refuses_another_version_and_format(parts, tmp_path, cx):
    a, b = (str(p) for p in sorted((parts / "survey_csv").iterdir())[:2])
    states = _states(cx, tmp_path, ["nps", a], ["nps", b])
    table = ipc.open_file(pa.memory_map(states[1])).read_all()
    head = json.loads(table.schema.metadata[b"cx.envelope"])
    for change, said in (({"cx": "0.0.1"}, "its cx is"), ({"format_version": 99}, "format 99")):
        meta = dict(table.schema.metadata)
        meta[b"cx.envelope"] = json.dumps({**head, **change}).encode()
        changed = table.replace_schema_metadata(meta)
        with ipc.new_file(states[1], changed.schema) as writer:
            writer.write_table(changed)
        run = cx("merge", *states)
        assert run.exit_code == 2 and said in run.stderr, run.stderr


@pytest.mark.parametrize(
    ("content", "said"),
    [(b"", "not a cx state file"), (b"PAR1 not arrow", "not a cx state file")],
)
def test_merge_refuses_what_is_not_a_state(content, said, tmp_path, cx):
    path = tmp_path / "x.state"
    path.write_bytes(content)
    run = cx("merge", str(path))
    assert run.exit_code == 2 and said in run.stderr and "Traceback" not in run.stderr


def test_merge_refuses_a_state_naming_a_class_outside_cx(parts, tmp_path, cx):
    """The state's shape may name only cx's own dataclasses: nothing else is built."""
    (state,) = _states(cx, tmp_path, ["nps", str(SAMPLE / "survey.csv")])
    table = ipc.open_file(pa.memory_map(state)).read_all()
    shape = table.schema.metadata[b"cx.state"].decode()
    evil = re.sub(r'"cxcli\.[\w.]+:Nps"', '"os:system"', shape)
    assert evil != shape
    meta = {**table.schema.metadata, b"cx.state": evil.encode()}
    changed = table.replace_schema_metadata(meta)
    with ipc.new_file(state, changed.schema) as writer:
        writer.write_table(changed)
    run = cx("merge", state)
    assert run.exit_code == 2 and "damaged cx state" in run.stderr


def test_merge_of_a_missing_file(cx, tmp_path):
    run = cx("merge", str(tmp_path / "nope.state"))
    assert run.exit_code == 2 and "no such file" in run.stderr


def test_cx_report_runs_on_the_schedule_asked(tmp_path, cx, cluster):
    """`cx report --engine dask` and `[report] jobs = 2` give the report of the local run."""

    def report(folder: str, *args: str) -> dict:
        out = tmp_path / folder
        common = ["-o", str(out), "--date", "2026-11-23", "-q", "--history", str(out / "h.parquet")]
        run = cx("report", *args, *common)
        assert run.exit_code in (0, 3), run.stderr
        data = json.loads((out / "report.json").read_text())
        data.pop("generated_at")
        return data

    local = report("local", "-c", str(SAMPLE / "cx.toml"))
    assert (
        report("dask", "-c", str(SAMPLE / "cx.toml"), "--engine", "dask", "--scheduler", cluster)
        == local
    )
    copy = tmp_path / "sample"  # the config's paths are relative to its folder
    copy.mkdir()
    for path in SAMPLE.iterdir():
        if path.suffix in (".csv", ".parquet", ".toml"):
            shutil.copy(path, copy / path.name)
    config = copy / "cx.toml"
    config.write_text(config.read_text().replace("[report]", "[report]\njobs = 2", 1))
    pooled = json.dumps(report("pool", "-c", str(config))).replace(str(copy), str(SAMPLE))
    assert json.loads(pooled) == local


def test_a_state_written_on_dask_stays_mergeable(parts, tmp_path, cluster, cx):
    """On Dask, exact MAU shards keep only their views unless the run writes its state: then
    the joined id sets come back whole, and the state merges with another job's."""
    files = sorted((parts / "events_parquet").iterdir())
    window = ["--from", "2025-01-01", "--to", "2025-07-01", "--period", "month", "-q"]
    args = ["mau", "--user", "uid", "--time", "ts", *window]
    dask_state, local_state = str(tmp_path / "dask.state"), str(tmp_path / "local.state")
    on_dask = ["--engine", "dask", "--scheduler", cluster, "--emit-state", dask_state]
    assert cx(*args, str(files[0]), str(files[1]), *on_dask).exit_code == 0
    assert cx(*args, str(files[2]), "--emit-state", local_state).exit_code == 0
    merged = cx("merge", dask_state, local_state, "-f", "json")
    assert merged.exit_code == 0, merged.stderr
    assert merged.json == cx(*args, *map(str, files), "-f", "json").json


def big_csv(path: Path, bad_line: int | None = None) -> Path:
    """A 5 MB survey (over the size --jobs cuts into byte ranges) with invalid scores spread
    through it, and optionally a malformed line."""
    lines = ["id,nps_score,comment,region"]
    for i in range(120_000):
        score = "ten" if i % 9_973 == 0 and i > 70_000 else str(i % 11)
        lines.append(f'{i},{score},"a, comment\nover two lines",r{i % 7}')
        if i == bad_line:
            lines.append("oops,1,2,3,4,5")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jobs_cut_a_large_csv_into_byte_ranges_with_the_rows_of_one_pass(
    tmp_path, cx, sent_fragments
):
    path = big_csv(tmp_path / "big.csv")
    args = ["nps", str(path), "--by", "region", "-q", "-f", "json"]
    local = cx(*args).json
    sent_fragments.clear()
    pool = cx(*args, "--jobs", "2").json
    assert len(sent_fragments) == 2 and all(f.byte_range for f in sent_fragments)
    assert pool == local
    rows = [e["row"] for e in local["quality"]["invalid_examples"]]
    assert rows and min(rows) > 70_000  # from the second range, numbered in the file


def test_a_malformed_line_in_a_later_range_names_its_row(tmp_path, cx):
    path = big_csv(tmp_path / "bad.csv", bad_line=100_000)
    local = cx("nps", str(path), "-q", "-f", "json")
    pool = cx("nps", str(path), "-q", "-f", "json", "--jobs", "2")
    assert local.exit_code == pool.exit_code == 2
    assert pool.stderr == local.stderr and "row 100002" in local.stderr
