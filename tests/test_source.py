"""Reading inputs: CSV dialects and compression, Parquet types, stdin, globs and directories."""

from __future__ import annotations

import bz2
import gzip

import pyarrow as pa
import pytest

from cxcli.engine import Query, run
from cxcli.errors import InputError
from cxcli.kpis.nps import Nps
from cxcli.source import open_reader, resolve_inputs


def nps(*paths, **query):
    """The report as JSON; these small files are mostly invalid on purpose: no guard."""
    return run(Nps(), [str(p) for p in paths], Query(**{"max_invalid": 100, **query})).to_dict()


BASIC = "id,nps_score,comment\n1,10,ok\n2,0,bad\n3,9,\n"


def test_quoted_commas_line_breaks_crlf_and_bom(write_csv):
    text = (
        '\ufeffid,nps_score,comment\r\n1,10,"fine, thanks"\r\n2,0,"two\r\nlines, ""quoted"""\r\n'
        '3,9,"a\nb"\r\n'
    )
    report = nps(write_csv("s.csv", text.encode("utf-8")))
    assert report["value"] == pytest.approx(100 / 3)
    assert report["quality"]["rows"] == 3


@pytest.mark.parametrize("suffix", ["gz", "bz2", "zst"])
def test_compressed_by_suffix(write_csv, tmp_path, suffix):
    data = BASIC.encode()
    if suffix == "gz":
        blob = gzip.compress(data)
    elif suffix == "bz2":
        blob = bz2.compress(data)
    else:
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, "zstd") as out:
            out.write(data)
        blob = sink.getvalue().to_pybytes()
    report = nps(write_csv(f"s.csv.{suffix}", blob))
    assert report["n"] == 3 and report["value"] == pytest.approx(100 / 3)


def test_gzip_without_suffix_is_sniffed(write_csv):
    assert nps(write_csv("s.csv", gzip.compress(BASIC.encode())))["n"] == 3


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiters_are_detected(write_csv, delimiter):
    text = BASIC.replace(",", delimiter)
    assert nps(write_csv("s.csv", text))["n"] == 3


def test_tsv_suffix(write_csv):
    assert nps(write_csv("s.tsv", BASIC.replace(",", "\t")))["n"] == 3


def test_late_text_in_an_integer_column_is_one_invalid_value(write_csv):
    rows = 900_000  # ~6 MB of clean integers before the bad value
    text = "nps_score\n" + "9\n" * rows + "ten\n" + "0\n"
    report = nps(write_csv("big.csv", text))
    quality = report["quality"]
    assert (quality["rows"], quality["used"], quality["invalid"]) == (rows + 2, rows + 1, 1)
    assert quality["invalid_examples"][0]["row"] == rows + 1
    assert quality["invalid_examples"][0]["value"] == "ten"


@pytest.mark.parametrize(
    "scores",
    [
        pa.array([10, 0, None, 11], pa.int64()),
        pa.array([10, 0, None, 11], pa.int8()),
        pa.array([10.0, 0.0, float("nan"), 10.5]),
        pa.array(["10", "0", None, "x"]),
        pa.array(["10", "0", None, "x"]).dictionary_encode(),
    ],
)
def test_parquet_score_types(write_parquet, scores):
    report = nps(write_parquet("s.parquet", {"nps_score": scores, "other": [1, 2, 3, 4]}))
    quality = report["quality"]
    counts = (quality["rows"], quality["used"], quality["missing"], quality["invalid"])
    assert counts == (4, 2, 1, 1)
    assert report["value"] == 0.0


def test_only_needed_columns_are_read(write_csv, write_parquet):
    for path in (
        write_csv("s.csv", BASIC),
        write_parquet("s.parquet", {"id": [1], "nps_score": [9], "comment": ["x"]}),
    ):
        item = resolve_inputs([str(path)])[0]
        batch = next(open_reader(item).batches(["nps_score"]))
        assert batch.schema.names == ["nps_score"]


def test_directories_globs_and_hidden_files(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.csv").write_text(BASIC)
    (tmp_path / "a" / "two.csv").write_text("nps_score\n0\n")
    (tmp_path / "a" / ".hidden.csv").write_text("nps_score\n10\n")
    (tmp_path / "a" / "notes.md").write_text("not data")
    assert nps(tmp_path / "a")["n"] == 4
    assert nps(str(tmp_path / "a" / "t*.csv"))["n"] == 1
    report = nps(tmp_path / "a" / "one.csv", tmp_path / "a" / "two.csv")
    assert [i["rows"] for i in report["inputs"]] == [3, 1]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p / "nope.csv", "no such file"),
        (
            lambda p: (p / "empty").mkdir() or p / "empty",
            "holds no .csv, .jsonl, .xlsx or .parquet",
        ),
        (lambda p: p / "*.nothing", "no file matches"),
        (lambda p: (p / "z.csv").write_bytes(b"") or p / "z.csv", "empty"),
    ],
)
def test_input_errors(tmp_path, setup, message):
    with pytest.raises(InputError, match=message):
        nps(setup(tmp_path))


def test_header_only_gives_null_value(write_csv):
    report = nps(write_csv("h.csv", "id,nps_score\n"))
    assert report["value"] is None and report["quality"]["rows"] == 0
    assert "the input has no data rows" in report["notes"]


def test_wrong_field_count_names_the_row(write_csv):
    path = write_csv("bad.csv", 'nps_score,comment\n9,"a\nb"\n10,x,extra\n')
    with pytest.raises(InputError, match=r"bad.csv: row 2: expected 2 fields, found 3"):
        nps(path)


def test_duplicate_column_names(write_csv):
    with pytest.raises(InputError, match="2 columns named 'nps_score'"):
        nps(write_csv("d.csv", "nps_score,nps_score\n1,2\n"))


def test_a_file_with_none_of_the_columns_is_an_error(write_csv):
    a = write_csv("a.csv", BASIC)
    b = write_csv("b.csv", "score_x\n1\n")
    with pytest.raises(InputError, match=r"b\.csv: none of the columns 'nps_score' is"):
        nps(a, b)


def test_a_column_a_later_file_lacks_reads_as_missing(write_csv):
    """Schema drift: a --by column the first file has and a later one lacks; the later file's
    rows count, their segment as missing, and a note names the file and the column."""
    a = write_csv("a.csv", "nps_score,region\n9,eu\n")
    b = write_csv("b.csv", "nps_score\n10\n0\n")
    report = nps(a, b, by=("region",))
    assert report["n"] == 3 and report["quality"]["missing"] == 0
    groups = {g["key"]["region"]: g["n"] for g in report["groups"]}
    assert groups == {None: 2, "eu": 1}
    assert any("b.csv has no column 'region'" in note for note in report["notes"])


def test_non_utf8_header(write_csv):
    with pytest.raises(InputError, match="not UTF-8"):
        nps(write_csv("l.csv", "r\xe9gion,nps_score\nx,1\n".encode("latin-1")))


def test_utf16_with_bom(write_csv):
    report = nps(write_csv("u.csv", BASIC.encode("utf-16")))
    assert report["n"] == 3


def test_header_names_with_spaces(write_csv):
    path = write_csv("s.csv", "id, LTR ,Region\n1,9,EU\n2,3,US\n")
    report = run(Nps(), [str(path)], Query(columns={"score": "LTR"}, by=("Region",))).to_dict()
    assert report["params"]["score"] == " LTR " and report["value"] == 0.0


def test_blank_lines_before_the_header(write_csv):
    assert nps(write_csv("b.csv", "\n\r\nnps_score\n9\n"))["n"] == 1
