"""Quoted values as pyarrow reads them, and the byte-range split that depends on it: a quote
inside an unquoted field (`27" monitor`) is a character, so counting quotes is not enough.
The split read must equal the one-stream read of the same bytes, rows, values and errors
(with the file's true row) alike."""

from __future__ import annotations

import io
import random

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cxcli.engine import Query, run
from cxcli.errors import InputError
from cxcli.formats.delimited import _quotes
from cxcli.formats.quotes import QuoteScan, complete_records, field_starts, parity_breaks
from cxcli.kpis.nps import Nps

PIECES = [b"a", b",", b'"', b"\n", b'""', b"xyz", b" ", b'27" x', b'"q\nq"']


def reference_inside(data: bytes) -> bool:
    """Byte by byte, as pyarrow's parser: is the end of `data` inside a quoted value?"""
    inside, field_start, i = False, True, 0
    while i < len(data):
        byte = data[i]
        if inside:
            if byte == 34 and data[i + 1 : i + 2] == b'"':
                i += 2
                continue
            inside = byte != 34
            field_start = False
        else:
            inside = byte == 34 and field_start
            field_start = byte in (44, 10, 13)
        i += 1
    return inside


@given(st.lists(st.sampled_from(PIECES), max_size=60), st.integers(1, 9))
def test_scan_follows_quotes_as_the_reference_does_in_any_blocks(pieces, block):
    data = b"".join(pieces)
    scan = QuoteScan(",")
    array = np.frombuffer(data, dtype=np.uint8)
    for start in range(0, len(array), block):
        scan.feed(array[start : start + block])
    assert scan.inside == reference_inside(data)


def test_reference_agrees_with_pyarrow_on_record_ends():
    """The reference is itself checked: the line ends it puts outside quotes are pyarrow's
    records, on 3,000 random files."""
    rng = random.Random(5)
    checked = 0
    for _ in range(3000):
        data = b"x,y\n" + b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25))) + b"\n"
        if reference_inside(data):
            continue
        ends = [i for i, b in enumerate(data) if b == 10 and not reference_inside(data[: i + 1])]
        bad = []
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(column_names=["x", "y"], skip_rows=1),
            parse_options=pcsv.ParseOptions(
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=lambda row, seen=bad: seen.append(row) or "skip",
            ),
            convert_options=pcsv.ConvertOptions(column_types={"x": pa.string(), "y": pa.string()}),
        )
        assert table.num_rows + len(bad) == len(ends) - 1, data
        checked += 1
    assert checked > 1500


@given(st.lists(st.sampled_from(PIECES), max_size=80), st.integers(0, 1))
def test_parity_breaks_says_when_counting_misreads(pieces, parity):
    data = b"".join(pieces)
    array = np.frombuffer(data, dtype=np.uint8)
    count, if_given, if_other = parity_breaks(array, 10, field_starts(","), parity)
    assert count == data.count(b'"')
    if not (if_given if parity == 0 else if_other):  # counting from an even start holds
        assert reference_inside(data) == (count % 2 == 1)


@given(
    st.lists(st.sampled_from([*PIECES, b"plain,text\n" * 3]), max_size=60),
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(1, 9),
)
def test_a_span_counted_in_blocks_is_counted_as_one(tmp_path_factory, pieces, a, b, block):
    """The byte-range split counts quotes block by block, skipping blocks with none: any span
    in any blocks gives what one pass over the span gives."""
    data = b"".join(pieces)
    start, end = sorted((min(a, len(data)), min(b, len(data))))
    path = tmp_path_factory.mktemp("q") / "f.csv"
    path.write_bytes(data)
    starts = field_starts(",")
    previous = data[start - 1] if start else 10
    whole = parity_breaks(np.frombuffer(data[start:end], np.uint8), previous, starts, 0)
    if end == start:
        whole = (0, False, False)
    assert _quotes(str(path), start, end, starts, block) == whole


def test_complete_records_ends_at_the_last_line_end_outside_quotes():
    data = b'a,b\n1,27" tv\n2,"x\ny'
    assert complete_records(data, ",") == len(b'a,b\n1,27" tv\n')
    assert complete_records(b'"open\n', ",") == 0


def _body(rng: random.Random, rows: int, stray: bool, error_at: int | None) -> bytes:
    """Survey rows with quoted two-line comments; with `stray`, two quotes inside unquoted
    fields (an even number: counting would not see a quote left open), one early and one late,
    so that counting misreads every quoted value between them."""
    early, late = rng.randrange(rows), rng.randrange(rows)
    lines = [b"nps_score,comment\n"]
    for i in range(rows):
        comment = rng.choice([b"plain", b'"two\nlines, ""quoted"""', b'"a,b"', b"x y"])
        if stray and i in (early, late):
            comment = rng.choice([b'27" monitor', b'a"b'])
        if i == error_at:
            comment += b",extra"
        lines.append(b"%d,%s\n" % (rng.randint(0, 10), comment))
    return b"".join(lines)


def _read(path: str, monkeypatch, parallel: bool) -> dict | str:
    from cxcli.formats import delimited

    monkeypatch.setattr(delimited, "PARALLEL_MIN_BYTES", 64 if parallel else 1 << 40)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    try:
        out = run(Nps(), [path], Query()).to_dict()
    except InputError as exc:
        return str(exc)
    out.pop("elapsed_seconds", None)
    return out


@example(seed=8702, stray=False, error=False)  # its last line end was a cut: an empty range
@given(st.integers(0, 10_000), st.booleans(), st.booleans())
def test_split_read_equals_the_one_stream_read(tmp_path_factory, seed, stray, error):
    rng = random.Random(seed)
    rows = rng.randint(1, 300)
    data = _body(rng, rows, stray, rng.randrange(rows) if error else None)
    path = tmp_path_factory.mktemp("split") / "s.csv"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _read(str(path), monkeypatch, True) == _read(str(path), monkeypatch, False)


def test_a_file_past_the_split_size_reads_as_its_stream_does(cx, tmp_path):
    """The adversarial pass's files at 34 MiB (the split starts at 32): an inch mark before
    the cut and quoted two-line comments after it; and a bad line in the second half."""
    pair = b'10,"line one\nline two, ""quoted"""\n3,plain\n'
    repeat = (34 << 20) // len(pair)
    inch = tmp_path / "inch.csv"
    inch.write_bytes(b'nps_score,comment\n9,27" monitor\n' + pair * repeat)
    split = cx("nps", str(inch), "-q", "-f", "json")
    stream = cx("nps", "-", "-q", "-f", "json", input=inch.read_bytes())
    assert split.exit_code == stream.exit_code == 0, split.stderr
    n = f'"n": {2 * repeat + 1},'
    assert n in split.stdout and n in stream.stdout

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"nps_score,comment\n" + pair * repeat + b"5,too,many\n7,x\n")
    result = cx("nps", str(bad), "-q")
    assert result.exit_code == 2
    assert f"bad.csv: row {2 * repeat + 1}: expected 2 fields, found 3" in result.stderr
