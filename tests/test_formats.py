"""Input formats: told by their bytes, not their names; JSON Lines and arrays with nesting and
drift; workbooks; headers of several rows; and the same numbers from every format."""

from __future__ import annotations

import gzip
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from exports import workbook
from hypothesis import given, settings
from hypothesis import strategies as st

from cxcli.engine import Query, run
from cxcli.errors import InputError, UsageError
from cxcli.formats.header import read_header
from cxcli.kpis.aht import Aht
from cxcli.kpis.nps import Nps
from cxcli.periods import Period
from cxcli.source import open_reader, resolve_inputs


def nps(path, **query):
    return run(Nps(), [str(path)], Query(**query)).to_dict()


def test_a_workbook_named_csv_and_csv_named_xlsx_are_read_as_what_they_are(tmp_path):
    book = workbook(tmp_path / "w.xlsx", [["nps_score"], [9], [10], [3]])
    disguised = tmp_path / "export.csv"
    disguised.write_bytes(book.read_bytes())
    assert nps(disguised)["inputs"][0]["format"] == "excel"
    assert nps(disguised)["value"] == pytest.approx(100 / 3)
    text = tmp_path / "export.xlsx"
    text.write_text("nps_score\n9\n")
    with pytest.raises(InputError, match="the name says excel, but the file is text"):
        nps(text)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7\n...", "this is a PDF document"),
        (b"SQLite format 3\x00" + b"\x00" * 100, "this is an SQLite database"),
        (b"ARROW1\x00\x00", r"this is an Arrow IPC \(Feather\) file"),
        (b"\x89PNG\r\n\x1a\n", "this is a PNG image"),
        (b"<!DOCTYPE html><html>", "this is an HTML page"),
        (b"\xfd7zXZ\x00\x00", "this is an xz archive"),
    ],
)
def test_formats_cx_does_not_read_are_named(tmp_path, data, message):
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as caught:
        nps(path)
    assert caught.value.hint  # and what to do


def test_a_zip_that_is_not_a_workbook_and_an_encrypted_workbook(tmp_path):
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("survey.csv", "nps_score\n9\n")
    with pytest.raises(InputError, match=r"a ZIP archive \(survey\.csv\), not a workbook"):
        nps(path)
    locked = tmp_path / "locked.xlsx"
    locked.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(InputError, match="password-protected workbook"):
        nps(locked)


def test_a_binary_file_read_with_an_encoding_gets_no_encoding_hint_again(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(b"\x00\x01\x02nps\x00\n1\n")
    with pytest.raises(InputError) as caught:
        run(Nps(), [str(path)], Query(encoding="latin-1"))
    assert "--encoding" not in (caught.value.hint or "")


EVENTS = [
    {"user_id": "u1", "score": 9, "props": {"plan": "pro", "when": "2025-05-06T11:49:26+02:00"}},
    {"user_id": None, "score": "10", "props": {"plan": None}},
    {"score": 3, "extra": [1, 2], "props": {"plan": "free", "when": "2025-05-07 08:00:00.5"}},
    {"user_id": "u4", "score": 7.0, "props": "flat"},
]


def test_json_lines_nested_with_drift(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in EVENTS) + "\n")
    reader = open_reader(resolve_inputs([str(path)])[0])
    assert reader.columns[:3] == ["user_id", "score", "props.plan"]
    table = reader.sample(["score", "props.plan", "props.when", "extra"])
    assert table.column("score").to_pylist() == ["9", "10", "3", "7.0"]
    assert table.column("props.when").to_pylist()[0] == "2025-05-06T11:49:26+02:00"  # as written
    assert table.column("extra").to_pylist()[2] == "[1, 2]"
    report = nps(path)  # 9 and "10" promote, 7.0 is passive, 3 detracts
    assert (report["n"], report["value"]) == (4, 25.0)


def test_json_chunks_are_typed_on_their_own(tmp_path, monkeypatch):
    from cxcli.formats import jsonlines

    monkeypatch.setattr(jsonlines, "CHUNK", 64)  # a few records a chunk: drift between chunks
    lines = [{"nps_score": 9, "x": i} for i in range(20)]
    lines += [{"nps_score": "10", "x": "later text"} for _ in range(20)]
    lines += [{"nps_score": None} for _ in range(5)] + [{"nps_score": "ten"}]
    path = tmp_path / "drift.ndjson"
    path.write_text("\n".join(json.dumps(e) for e in lines))
    report = nps(path)
    assert report["quality"] | {"invalid_examples": None} == report["quality"] | {
        "rows": 46,
        "used": 40,
        "missing": 5,
        "invalid": 1,
        "invalid_examples": None,
    }
    assert report["quality"]["invalid_examples"][0]["row"] == 46


def test_json_arrays_and_objects_across_lines(tmp_path):
    records = [{"nps_score": s, "note": 'a "quoted" ], {brace}\\'} for s in (10, 9, 0, 7)]
    pretty = tmp_path / "a.json"
    pretty.write_text(json.dumps(records, indent=2))
    stream = tmp_path / "s.json"
    stream.write_text("\n".join(json.dumps(r, indent=2) for r in records))
    compact = tmp_path / "c.json.gz"
    compact.write_bytes(gzip.compress(json.dumps(records).encode()))
    for path in (pretty, stream, compact):
        report = nps(path)
        assert (report["n"], report["value"]) == (4, 25.0), path
        assert report["inputs"][0]["format"] == "json"


def test_json_splitting_survives_any_chunk_boundary(tmp_path, monkeypatch):
    from cxcli.formats import jsonlines

    records = [{"nps_score": i % 11, "t": 'x\\"}],{' * (i % 3)} for i in range(60)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(records, indent=1))
    whole = nps(path)
    for size in (1, 7, 33):
        monkeypatch.setattr(jsonlines, "CHUNK", size)
        assert nps(path)["value"] == whole["value"] and nps(path)["n"] == 60


def _json_lines(path, rows, bad_row=None):
    """JSON Lines whose records drift (ids as numbers or text, a key sometimes absent)."""
    lines = []
    for i in range(1, rows + 1):
        record = {"user_id": i % 7 if i % 3 else f"u{i % 5}", "nps_score": i % 11}
        if i % 4 == 0:
            record["nps_score"] = ["ten", " 9", None][i % 3]
        if i % 5 == 0:
            del record["user_id"]
        lines.append(json.dumps(record))
    if bad_row is not None:
        lines[bad_row - 1] = '{"nps_score": 9,'
    path.write_text("\n".join(lines) + "\n")
    return path


def test_json_lines_in_byte_ranges_give_the_one_stream_report(tmp_path, monkeypatch):
    """A large JSON Lines file is parsed in byte ranges on threads, cut at line ends: the same
    report, row numbers of examples included, as reading it in one stream."""
    from cxcli.formats import jsonlines

    path = _json_lines(tmp_path / "events.jsonl", 5000)
    query = {"by": ("user_id",)}
    monkeypatch.setattr(jsonlines, "PARALLEL_MIN_BYTES", 10 << 30)
    one = nps(path, **query)
    monkeypatch.setattr(jsonlines, "PARALLEL_MIN_BYTES", 1024)
    monkeypatch.setattr(jsonlines, "CHUNK", 4096)  # several chunks a range
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    reader = open_reader(resolve_inputs([str(path)])[0])
    ranges = reader.ranges(4)
    data = path.read_bytes()
    assert len(ranges) == 4 and ranges[0][0] == 0 and ranges[-1][1] == len(data)
    assert all(data[start - 1 : start] == b"\n" for start, _ in ranges[1:])
    assert nps(path, **query) == one
    assert one["quality"]["invalid_examples"] and one["quality"]["missing"]


def test_json_lines_error_in_a_later_range_names_the_files_row(tmp_path, monkeypatch):
    from cxcli.formats import jsonlines

    path = _json_lines(tmp_path / "bad.jsonl", 5000, bad_row=4321)
    monkeypatch.setattr(jsonlines, "PARALLEL_MIN_BYTES", 1024)
    monkeypatch.setattr(jsonlines, "CHUNK", 4096)  # the header's chunk ends long before it
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    with pytest.raises(InputError, match=r"bad.jsonl: row 4321: not valid JSON"):
        nps(path)


def test_only_plain_json_lines_on_disk_are_cut(tmp_path, monkeypatch):
    from cxcli.formats import jsonlines

    monkeypatch.setattr(jsonlines, "PARALLEL_MIN_BYTES", 64)
    lines = _json_lines(tmp_path / "e.jsonl", 200)
    array = tmp_path / "a.json"
    array.write_text(json.dumps([{"nps_score": i % 11} for i in range(200)]))
    packed = tmp_path / "e.jsonl.gz"
    packed.write_bytes(gzip.compress(lines.read_bytes()))
    cut = {
        p.name: open_reader(resolve_inputs([str(p)])[0]).ranges(2) for p in (lines, array, packed)
    }
    assert cut["e.jsonl"] is not None and cut["a.json"] is None and cut["e.jsonl.gz"] is None
    assert open_reader(resolve_inputs([str(lines)])[0]).ranges(1) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"nps_score": 9}\n{"nps_score": 10,\n', r"row 2: not valid JSON"),
        ('{"nps_score": 9}\n[1, 2]\n', "row 2: a JSON list, not an object"),
        ('{"data": [{"nps_score": 9}, {"nps_score": 10}]}', r"jq -c '\.data\[\]'"),
        ("[]", "no JSON records"),
        ("   ", "empty"),
    ],
)
def test_json_that_cannot_be_records(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        nps(path)


@pytest.mark.parametrize("key", ["r", "r\xe9gion"])
def test_json_that_is_not_utf8_says_so_and_reads_with_its_encoding(cx, tmp_path, key):
    path = tmp_path / "latin.jsonl"
    lines = [
        f'{{"nps_score": 9, "{key}": "Z\xfcrich"}}',
        f'{{"nps_score": 3, "{key}": "Gen\xe8ve"}}',
    ]
    path.write_bytes("\n".join(lines).encode("latin-1"))
    result = cx("nps", str(path), "--by", key, "-q")
    assert result.exit_code == 2 and "not UTF-8 text" in result.stderr
    assert "--encoding latin-1" in result.stderr
    read = cx("nps", str(path), "--by", key, "--encoding", "latin-1", "-q")
    assert read.exit_code == 0, read.stderr
    assert [g["key"][key] for g in read.json["groups"]] == ["Genève", "Zürich"]


def test_stdin_json_and_workbook(cx, tmp_path):
    lines = "".join(json.dumps({"nps_score": s}) + "\n" for s in (10, 9, 3))
    result = cx("nps", "-", "-q", input=lines.encode())
    assert result.exit_code == 0, result.stderr
    assert result.json["inputs"][0]["format"] == "json" and result.json["n"] == 3
    book = workbook(tmp_path / "w.xlsx", [["nps_score"], [10], [2]])
    result = cx("nps", "-", "-q", input=book.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert (result.json["inputs"][0]["format"], result.json["value"]) == ("excel", 0.0)
    result = cx("nps", "-", "-q", input=gzip.compress(lines.encode()))
    assert result.exit_code == 0 and result.json["n"] == 3


def test_workbook_sheets_cells_and_blank_rows(cx, tmp_path):
    import datetime as dt

    rows = [
        ["nps_score", "When", "Talk", "Agent"],
        [9, dt.datetime(2025, 3, 6, 10, 0), dt.timedelta(minutes=5, seconds=30), 101],
        [],
        ["10", dt.date(2025, 3, 7), dt.timedelta(hours=26), 102],
        [7.0, "2025-03-08 09:00", "00:02:00", "x"],
    ]
    book = workbook(tmp_path / "w.xlsx", rows, sheet="Data", before=1)
    reader = open_reader(resolve_inputs([str(book)])[0], _settings(sheet="Data"))
    table = reader.sample(["nps_score", "When", "Talk", "Agent"])
    assert table.column("nps_score").to_pylist() == ["9", "10", "7"]
    assert table.column("When").to_pylist() == [
        "2025-03-06 10:00:00",
        "2025-03-07",
        "2025-03-08 09:00",
    ]
    assert table.column("Talk").to_pylist() == ["0:05:30", "26:00:00", "00:02:00"]
    assert table.column("Agent").to_pylist() == ["101", "102", "x"]
    result = cx("aht", str(book), "--sheet", "2", "--talk", "Talk", "-q")
    assert result.exit_code == 0 and result.json["value"] == pytest.approx((330 + 93600 + 120) / 3)
    assert result.json["quality"]["rows"] == 3  # the blank row is no row, as in CSV
    result = cx("nps", str(book), "--sheet", "9", "-q")
    assert result.exit_code == 2 and "has the sheets 1 'Notes 1', 2 'Data'" in result.stderr


def _settings(**options):
    from cxcli.source import ReadSettings

    return ReadSettings(**options)


def test_header_names_made_unique_and_still_refused_where_ambiguous(cx, write_csv):
    path = write_csv("d.csv", "Other,,Other,nps_score,column 2\n1,2,3,9,x\n")
    reader = open_reader(resolve_inputs([str(path)])[0])
    assert reader.columns == ["Other", "column 2 (2)", "Other (2)", "nps_score", "column 2"]
    inspect = cx("inspect", str(path), "--json")
    assert inspect.exit_code == 0, inspect.stderr
    assert cx("nps", str(path), "--by", "Other (2)", "-q").exit_code == 0
    result = cx("nps", str(path), "--by", "Other", "-q")
    assert result.exit_code == 2
    assert "the header has 2 columns named 'Other' (read as 'Other', 'Other (2)')" in result.stderr


def test_extra_header_rows_are_records_not_lines(write_csv):
    # a question with a line break in it: skipping *lines* would shift the data by one
    text = (
        'Q1,Q2\r\n"How likely\nare you to recommend us?",Why?\r\n'
        '{"ImportId":"QID1"},{"ImportId":"QID2"}\r\n9,a\r\n10,b\r\n'
    )
    path = write_csv("q.csv", text)
    report = run(Nps(), [str(path)], Query()).to_dict()
    assert (report["params"]["score"], report["n"], report["quality"]["rows"]) == ("Q1", 2, 2)
    bad = write_csv("bad.csv", text + "7,c,stray\r\n")
    with pytest.raises(InputError, match=r"bad\.csv: row 3: expected 2 fields, found 3"):
        run(Nps(), [str(bad)], Query(columns={"score": "Q1"}))  # a data row, as people count
    custom = write_csv("h.csv", "nps_score,x\nscore 0-10,comment\n\n9,a\n3,b\n")
    report = run(Nps(), [str(custom)], Query(header_rows=2)).to_dict()
    assert (report["n"], report["value"]) == (2, 0.0)
    with pytest.raises(UsageError, match="at least 1"):
        read_header([["a"]], 0)


def test_header_layouts():
    qualtrics = read_header(
        [
            ["StartDate", "Q1", "Q1_NPS_GROUP"],
            ["Start Date", "How likely…?", "How likely…? - Group"],
            ['{"ImportId":"startDate"}', '{"ImportId":"QID1"}', "{'ImportId': 'x'}"],
        ]
    )
    assert (qualtrics.rows, qualtrics.labels["Q1"]) == (3, "How likely…?")
    legacy = read_header([["V1", "V2", "Q1", ""], ["ResponseID", "ResponseSet", "How likely?", ""]])
    assert legacy.names == ["ResponseID", "ResponseSet", "Q1", "column 4"] and legacy.rows == 2
    monkey = read_header(
        [
            ["Respondent ID", "Collector ID", "Rate us", "Channels?", "", "Other", ""],
            ["", "", "Response", "Email", "Chat", "Open-Ended Response", "Other (please specify)"],
        ]
    )
    assert monkey.names[2:] == [
        "Rate us",
        "Channels? - Email",
        "Channels? - Chat",
        "Other - Open-Ended Response",  # a question over two columns: each its option
        "Other - Other (please specify)",
    ]
    assert monkey.labels["Channels? - Chat"] == "Channels?"
    plain = read_header([["a", "b"], ["", "x"], ["{}", "y"]])
    assert (plain.rows, plain.layout) == (1, None)


FORMATS = ("csv", "parquet", "jsonl", "xlsx")


def _write(folder, fmt: str, rows: list[dict]):
    names = list(rows[0])
    if fmt == "csv":
        path = folder / "d.csv"
        lines = [",".join(names)]
        lines += [",".join("" if r[n] is None else str(r[n]) for n in names) for r in rows]
        path.write_text("\n".join(lines) + "\n")
    elif fmt == "parquet":
        path = folder / "d.parquet"
        pq.write_table(
            pa.table({n: pa.array([r[n] for r in rows], pa.string()) for n in names}), path
        )
    elif fmt == "jsonl":
        path = folder / "d.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        path = workbook(folder / "d.xlsx", [names, *([r[n] for n in names] for r in rows)])
    return path


cells = st.fixed_dictionaries(
    {
        "nps_score": st.sampled_from(["9", "10", "0", "7", "x", None, "12", "8"]),
        "Region": st.sampled_from(["EU", "NA", "APAC"]),
        "When": st.sampled_from(
            ["2025-03-06 10:23:00 -0800", "2025-04-01", "2025-05-20T08:00:00Z", None]
        ),
        "talk_seconds": st.sampled_from(["300", "05:30", "1:02:03", "-1", None, "90"]),
    }
)


@settings(max_examples=15, deadline=None)
@given(st.lists(cells, min_size=1, max_size=25))
def test_every_format_gives_the_same_numbers(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("same")
    rows[0] = {**rows[0], "Region": "EU"}  # a first row with every column's key
    reports = {}
    for fmt in FORMATS:
        path = _write(folder, fmt, rows)
        query = Query(by=("Region",), period=Period.MONTH, time="When", max_invalid=100)
        nps_report = run(Nps(), [str(path)], query)
        aht_report = run(Aht(), [str(path)], Query(max_invalid=100))
        reports[fmt] = [_numbers(nps_report.to_dict()), _numbers(aht_report.to_dict())]
    assert reports["parquet"] == reports["csv"]
    assert reports["jsonl"] == reports["csv"]
    assert reports["xlsx"] == reports["csv"]


def _numbers(report: dict) -> dict:
    keep = ("value", "n", "ci", "details", "quality")
    out = {k: report[k] for k in keep}
    out["groups"] = [{k: g[k] for k in ("key", *keep)} for g in report["groups"]]
    for part in [out, *out["groups"]]:
        for example in part["quality"].get("invalid_examples", []):
            example.pop("file", None)
    return out
