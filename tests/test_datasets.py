"""Datasets: hive-partitioned folders locally and in an S3 store (moto's server on a free
loopback port), partition columns, pruning, schema drift, endpoints and credentials."""

from __future__ import annotations

import json
import pickle
import socket
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cxcli.formats.parquet import ParquetReader

MONTHS = ("01", "02", "03")
SECRET = "not-a-real-secret-key-1234"


def events(month: str, users: int = 60) -> pa.Table:
    """A month of events: user i on day (i % 28) + 1, twice."""
    ids = [f"u{i}" for i in range(users)] * 2
    days = [
        f"2025-{month}-{(i % 28) + 1:02d}T{h:02d}:00:00Z" for h in (9, 17) for i in range(users)
    ]
    platform = ["ios" if i % 3 else "web" for i in range(len(ids))]
    times = pc.cast(pa.array(days), pa.timestamp("us", "UTC"))  # typed: statistics
    return pa.table(
        {"uid": ids, "ts": times, "platform": platform, "score": [i % 11 for i in range(len(ids))]}
    )


def write_hive(write) -> None:
    for month in MONTHS:
        write(f"events/year=2025/month={month}/part-0.parquet", events(month))
    write("events/_SUCCESS", None)
    write("events/.hidden/x.parquet", None)


@pytest.fixture
def local_hive(tmp_path) -> Path:
    def write(name: str, table: pa.Table | None) -> None:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if table is None:
            path.write_bytes(b"")
        else:
            pq.write_table(table, path)

    write_hive(write)
    return tmp_path / "events"


@pytest.fixture
def data_reads(monkeypatch) -> list[str]:
    """The Parquet files whose data a run reads (their footers may be read for row counts)."""
    read: list[str] = []
    batches = ParquetReader.batches

    def counted(self, names):
        read.append(self.item.path)
        return batches(self, names)

    monkeypatch.setattr(ParquetReader, "batches", counted)
    return read


def mau_args(source: str, *extra: str) -> list[str]:
    window = ["--from", "2025-01-01", "--to", "2025-04-01"]
    return ["mau", source, "--user", "uid", "--time", "ts", *window, "-q", "-f", "json", *extra]


def test_partition_folders_become_columns(local_hive, cx):
    run = cx(*mau_args(str(local_hive), "--by", "month", "--period", "month"))
    assert run.exit_code == 0, run.stderr
    report = run.json
    assert report["value"] == 60 and len(report["inputs"]) == 3  # _SUCCESS and .hidden left out
    by_month = {(g["key"]["month"], g["key"]["period"]): g["value"] for g in report["groups"]}
    assert by_month[("01", "2025-01")] == 60 and by_month[("01", "2025-02")] is None
    assert by_month[("03", "2025-03")] == 60


def test_a_where_on_partition_columns_reads_fewer_files(local_hive, data_reads, cx):
    args = ["nps", str(local_hive), "--score", "score", "-q", "-f", "json"]
    every = cx(*args).json
    assert len(data_reads) == 3
    data_reads.clear()
    some = cx(*args, "--where", "month >= '02' and score >= 0").json
    assert len(data_reads) == 2 and all("month=01" not in p for p in data_reads)
    assert some["quality"]["filtered_out"] == 120  # the unread file's rows, from its footer
    assert some["quality"]["rows"] == every["quality"]["rows"] - 120
    assert any("1 of 3 files not read" in note for note in some["notes"])
    data_reads.clear()
    unpruned = cx(*args, "--where", "month >= '02' or score > 5").json  # `or`: no pruning
    assert len(data_reads) == 3 and unpruned["quality"]["filtered_out"] > 0


def test_pruning_gives_the_numbers_of_filtering(local_hive, cx):
    """Pruned or filtered row by row, the same rows are left: the same result."""
    args = ["nps", str(local_hive), "--score", "score", "-q", "-f", "json", "--by", "platform"]
    pruned = cx(*args, "--where", "month = 3").json
    filtered = cx(*args, "--where", "month = 3 or uid = 'nobody'").json  # read every file
    for report in (pruned, filtered):
        report.pop("notes"), report["params"].pop("where")
    assert pruned == filtered


def test_since_until_on_a_partition_time_column_prune(tmp_path, data_reads, cx):
    for day in ("2025-03-01", "2025-03-02", "2025-03-03"):
        folder = tmp_path / "answers" / f"date={day}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"nps_score": [10, 0, 9]}), folder / "part.parquet")
    args = ["nps", str(tmp_path / "answers"), "--time", "date", "-q", "-f", "json"]
    run = cx(*args, "--since", "2025-03-02", "--until", "2025-03-03")
    assert run.exit_code == 0, run.stderr
    assert len(data_reads) == 1 and "date=2025-03-02" in data_reads[0]
    assert run.json["n"] == 3 and run.json["quality"]["filtered_out"] == 6


def test_partition_values_are_text_and_compare_as_numbers_when_asked(local_hive, cx):
    args = ["nps", str(local_hive), "--score", "score", "-q", "-f", "json", "--by", "month"]
    keys = [g["key"]["month"] for g in cx(*args).json["groups"]]
    assert keys == ["01", "02", "03"]  # "03", not 3
    assert cx(*args, "--where", "month = 2").json["n"] == 120


def test_schema_drift_across_files_is_unified(tmp_path, cx):
    """int, float and text scores; an int, dictionary and text --by; a file without it."""
    folder = tmp_path / "drift"
    folder.mkdir()
    pq.write_table(
        pa.table({"nps_score": pa.array([10, 9], pa.int64()), "n": pa.array([1, 2], pa.int32())}),
        folder / "a.parquet",
    )
    pq.write_table(
        pa.table({"nps_score": [10.0, 3.0], "n": pa.array([1.0, 2.0])}), folder / "b.parquet"
    )
    pq.write_table(pa.table({"nps_score": ["9", "1"], "n": ["1", "2"]}), folder / "c.parquet")
    pq.write_table(pa.table({"nps_score": [8]}), folder / "d.parquet")
    run = cx("nps", str(folder), "--by", "n", "-q", "-f", "json")
    assert run.exit_code == 0, run.stderr
    groups = {g["key"]["n"]: g["n"] for g in run.json["groups"]}
    assert groups == {"1": 3, "2": 3, None: 1}
    assert run.json["n"] == 7
    assert any("d.parquet has no column 'n'" in note for note in run.json["notes"])


def test_a_dataset_split_for_workers_by_row_groups(tmp_path, cx):
    """One large Parquet file: --jobs reads its row groups as fragments, same result."""
    table = pa.concat_tables([events(m, 500) for m in MONTHS])
    pq.write_table(table, tmp_path / "one.parquet", row_group_size=300)
    args = mau_args(str(tmp_path / "one.parquet"), "--period", "month", "--by", "platform")
    assert cx(*args, "--jobs", "2").json == cx(*args).json


# --- an S3 store: moto's server on loopback ------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """moto's S3 server on a free loopback port, with a hive dataset in bucket `lake`; the
    credentials and endpoint in the environment, as a user's shell would have them."""
    pytest.importorskip("moto")
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": endpoint,
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
        import pyarrow.fs as pafs

        fs = pafs.S3FileSystem(
            endpoint_override=f"127.0.0.1:{port}", scheme="http", allow_bucket_creation=True
        )
        fs.create_dir("lake")

        def write(name: str, table: pa.Table | None) -> None:
            if table is None:
                with fs.open_output_stream(f"lake/{name}") as out:
                    out.write(b"")
            else:
                pq.write_table(table, f"lake/{name}", filesystem=fs)

        write_hive(write)
        with fs.open_output_stream("lake/text/answers.csv") as out:
            out.write(b"nps_score,region\n10,eu\n0,us\n9,eu\n")
        with fs.open_output_stream("lake/text/more.jsonl.gz", compression="gzip") as out:
            out.write(b'{"nps_score": 7, "region": "us"}\n')
        yield endpoint
    server.stop()


def test_an_s3_dataset_gives_the_numbers_of_the_same_files_on_disk(s3, local_hive, cx):
    remote = cx(*mau_args("s3://lake/events/", "--by", "platform"))
    assert remote.exit_code == 0, remote.stderr
    local = cx(*mau_args(str(local_hive), "--by", "platform")).json
    report = remote.json
    assert [i["path"] for i in report["inputs"]] == [
        f"s3://lake/events/year=2025/month={m}/part-0.parquet" for m in MONTHS
    ]
    for key in ("value", "details", "groups", "quality"):
        assert report[key] == local[key]


def test_the_issue_command_on_dask(s3, data_reads, cx):
    """`cx mau s3://bucket/events/ --user uid --time ts --engine dask` against the server; the
    default window (the last complete month) from the Parquet statistics: one read a file."""
    run = cx("mau", "s3://lake/events/", "--user", "uid", "--time", "ts", "-q", "-f", "json")
    assert len(data_reads) == 3
    dask = cx(
        "mau",
        "s3://lake/events/",
        "--user",
        "uid",
        "--time",
        "ts",
        "--engine",
        "dask",
        "--jobs",
        "2",
        "-q",
        "-f",
        "json",
    )
    assert dask.exit_code == 0, dask.stderr
    assert dask.json == run.json
    assert run.json["params"]["from"] == "2025-02-01"  # the events end on 28 March


def test_s3_text_objects_and_compression(s3, cx):
    run = cx("nps", "s3://lake/text/", "-q", "-f", "json", "--by", "region")
    assert run.exit_code == 0, run.stderr
    assert run.json["n"] == 4 and {i["format"] for i in run.json["inputs"]} == {"csv", "json"}


def test_s3_pruning_reads_fewer_objects(s3, data_reads, cx):
    run = cx(
        "nps", "s3://lake/events", "--score", "score", "--where", "month = '03'", "-q", "-f", "json"
    )
    assert run.exit_code == 0, run.stderr
    assert data_reads == ["s3://lake/events/year=2025/month=03/part-0.parquet"]
    assert run.json["quality"]["filtered_out"] == 240


def test_the_endpoint_option_wins_over_the_environment(s3, cx, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    bad = cx("nps", "s3://lake/text/", "-q")
    assert bad.exit_code == 2 and bad.stderr.count("\n") <= 2 and "Traceback" not in bad.stderr
    assert "s3://lake/text/" in bad.stderr
    good = cx("nps", "s3://lake/text/", "-q", "-f", "json", "--s3-endpoint", s3)
    assert good.exit_code == 0 and good.json["n"] == 4


def test_missing_objects_and_other_schemes(s3, cx):
    run = cx("nps", "s3://lake/nothing-here/x.csv", "-q")
    assert run.exit_code == 2 and "s3://lake/nothing-here/x.csv" in run.stderr
    other = cx("nps", "ftp://host/x.csv", "-q")
    assert other.exit_code == 2 and "not ftp://" in other.stderr


def test_no_secret_in_output_states_or_what_workers_are_sent(s3, tmp_path, cx, sent_fragments):
    from cxcli import engine
    from cxcli.kpis.nps import Nps

    state = tmp_path / "s3.state"
    run = cx("nps", "s3://lake/text/", "-f", "json", "--emit-state", str(state))
    assert SECRET not in run.stdout + run.stderr
    assert SECRET.encode() not in state.read_bytes()
    sent_fragments.clear()
    engine.run(Nps(), ["s3://lake/text/"], engine.Query())
    assert sent_fragments and SECRET.encode() not in pickle.dumps(sent_fragments)
    assert json.loads(run.stdout)["n"] == 4
