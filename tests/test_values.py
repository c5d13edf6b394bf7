"""Parsing raw columns of every type into values with missing / invalid masks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcli import values
from cxcli.times import TimeSettings, parse_times
from cxcli.units import parse_durations
from cxcli.values import parse_booleans, parse_integers, parse_numbers

M, BAD, V = "missing", "invalid", "valid"


def status(parsed) -> list[str]:
    return [
        M if m else BAD if i else V for m, i in zip(parsed.missing, parsed.invalid, strict=True)
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["9", "9.0", "9.5", "11", "-1", "ten", None, " ", "NA", "10"],
            [V, V, BAD, BAD, BAD, BAD, M, M, M, V],
        ),
        (["٣", "1,234", "1e309", "inf", "NaN", "+7", "07"], [BAD, BAD, BAD, BAD, M, V, V]),
    ],
)
def test_integers_from_text(values, expected):
    assert status(parse_integers(pa.array(values, pa.string()), 0, 10)) == expected


def test_integers_from_typed_columns():
    ints = parse_integers(pa.array([1, None, 12], pa.int32()), 0, 10)
    assert status(ints) == [V, M, BAD] and ints.values[0] == 1
    floats = parse_integers(pa.array([1.0, 2.5, None, float("nan"), float("inf")]), 0, 10)
    assert status(floats) == [V, BAD, M, M, BAD]
    dictionary = pa.array(["3", "x", "3"]).dictionary_encode()
    assert status(parse_integers(dictionary, 0, 10)) == [V, BAD, V]
    booleans = parse_integers(pa.array([True, None]), 0, 10)
    assert status(booleans) == [BAD, M]


def test_clean_text_fast_path_gives_the_same_values():
    clean = parse_integers(pa.array(["1", "2", None]), 0, 10)
    assert clean.values[:2].tolist() == [1, 2] and status(clean) == [V, V, M]


def test_numbers():
    parsed = parse_numbers(pa.array(["1.5", "-2", "x", "", "1e3"]))
    assert status(parsed) == [V, V, BAD, M, V]
    assert parsed.values[[0, 1, 4]].tolist() == [1.5, -2.0, 1000.0]


def _us(text: str) -> int:
    stamp = dt.datetime.fromisoformat(text)
    if stamp.tzinfo:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    return (stamp - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)


@pytest.mark.parametrize(
    "values",
    [
        ["2025-03-04", "2025-03-04 10:15:00", "2025-03-04T10:15"],
        ["2025-03-04T10:15:00Z", "2025-03-04T10:15:00+02:00", "2025-03-04T10:15:00.5-05:00"],
        ["2025-03-04", "2025-03-04T10:15:00Z", "2025-03-04T12:00:00+0200"],
    ],
)
def test_times_naive_zoned_and_mixed(values):
    parsed = parse_times(pa.array(values))
    assert not parsed.invalid.any() and not parsed.missing.any()
    expected = [_us(v.replace("Z", "+00:00").replace("+0200", "+02:00")) for v in values]
    assert parsed.values.tolist() == expected


def test_bad_times_are_invalid_and_located():
    parsed = parse_times(
        pa.array(["2025-02-30", "yesterday", "", None, "2025-03-01", "31/12/2025"])
    )
    assert status(parsed) == [BAD, BAD, M, M, V, BAD]


def test_typed_times():
    stamps = pa.array([0, 86_400], pa.timestamp("s", tz="Europe/Berlin"))
    assert parse_times(stamps).values.tolist() == [0, 86_400_000_000]
    dates = pa.array([dt.date(1970, 1, 2), None])
    parsed = parse_times(dates)
    assert parsed.values[0] == 86_400_000_000 and status(parsed) == [V, M]
    assert status(parse_times(pa.array([1, 2]))) == [BAD, BAD]


def test_all_arrays_have_matching_lengths():
    parsed = parse_integers(pa.array([], pa.string()), 0, 10)
    assert parsed.values.shape == parsed.missing.shape == parsed.invalid.shape == (0,)
    assert isinstance(parsed.values, np.ndarray)


def test_times_with_an_explicit_format():
    parsed = parse_times(
        pa.array(["31/12/2025 23:59", "01/02/2025 00:00", "12/31/2025 10:00", ""]),
        TimeSettings(fmt="%d/%m/%Y %H:%M"),
    )
    assert status(parsed) == [V, V, BAD, M]
    assert parsed.values[1] == _us("2025-02-01T00:00:00")
    zoned = parse_times(pa.array(["2025-01-01 02:00 +0200"]), TimeSettings(fmt="%Y-%m-%d %H:%M %z"))
    assert zoned.values[0] == _us("2025-01-01T00:00:00")


@pytest.mark.parametrize(
    ("text", "value", "state"),
    [
        ("true", True, V),
        ("TRUE", True, V),
        ("Yes", True, V),
        ("y", True, V),
        ("T", True, V),
        ("1", True, V),
        ("false", False, V),
        ("No", False, V),
        ("n", False, V),
        ("f", False, V),
        ("0", False, V),
        ("", False, M),
        ("maybe", False, BAD),
        ("2", False, BAD),
    ],
)
def test_booleans(text, value, state):
    parsed = parse_booleans(pa.array([text]))
    assert status(parsed) == [state]
    if state == V:
        assert bool(parsed.values[0]) is value


def test_boolean_columns():
    assert status(parse_booleans(pa.array([True, None]))) == [V, M]
    assert status(parse_booleans(pa.array([0, 1, 2]))) == [V, V, BAD]


@pytest.mark.parametrize(
    ("text", "seconds", "state"),
    [
        ("07:40", 460.0, V),
        ("1:02:03", 3723.0, V),
        ("0:00:30.5", 30.5, V),
        ("75:30", 4530.0, V),
        ("90", 90.0, V),
        ("12.5", 12.5, V),
        ("-5", None, BAD),
        ("1:60", None, BAD),
        ("1:60:00", None, BAD),
        ("x", None, BAD),
        ("", None, M),
        ("1:2:3:4", None, BAD),
    ],
)
def test_durations(text, seconds, state):
    parsed = parse_durations(pa.array([text]))
    assert status(parsed) == [state]
    if seconds is not None:
        assert parsed.values[0] == seconds


def test_duration_numbers():
    parsed = parse_durations(pa.array([12.5, -1.0, None]))
    assert status(parsed) == [V, BAD, M] and parsed.values[0] == 12.5


@pytest.mark.parametrize(
    ("parse", "spellings"),
    [
        (lambda a: values.parse_integers(a, 0, 10), ["9", " 7", "10", "11", "9.0", "NA", "", "x"]),
        (values.parse_booleans, ["yes", "No", " y", "maybe", "", "N/A", "TRUE", "0"]),
        (parse_durations, ["06:40", "548", "", "-30", "1:02:03", "61:00", "7.5", "ab"]),
        (values.parse_numbers, ["1.5", "inf", "", "NaN", "1e3", " 4 ", "x", "-2"]),
    ],
)
def test_low_cardinality_columns_parse_the_same_through_the_dictionary(
    parse, spellings, monkeypatch
):
    rng = np.random.default_rng(5)
    cells = [spellings[i] for i in rng.integers(0, len(spellings), 50_000)]
    column = pa.array([None if i % 997 == 0 else c for i, c in enumerate(cells)], pa.string())
    assert values._by_dictionary(column, parse) is not None  # the fast path is taken
    fast = parse(column)
    monkeypatch.setattr(values, "DICTIONARY_MIN_ROWS", 10**9)  # every row parsed directly
    monkeypatch.setattr(values, "SPELLED_SCALE", -1)  # and no score table either
    assert_same_parse(fast, parse(column))
    assert fast.missing.sum() > 0 and fast.invalid.sum() > 0


def assert_same_parse(fast: values.Parsed, slow: values.Parsed) -> None:
    """Equal masks, and equal values wherever they mean something."""
    np.testing.assert_array_equal(fast.missing, slow.missing)
    np.testing.assert_array_equal(fast.invalid, slow.invalid)
    np.testing.assert_array_equal(fast.values[fast.valid], slow.values[slow.valid])


def test_score_texts_are_learned_once_and_bounded(monkeypatch):
    monkeypatch.setattr(values, "_SPELLINGS", {})
    column = pa.array(["9", "NA", " 7", None, "ten", "9.0", "10", "11"] * 5_000, pa.string())
    first = values.parse_integers(column, 0, 10)
    learned = values._SPELLINGS[(0, 10)]
    assert len(learned.texts) == 11 + 5  # the scale, then each other text once
    assert_same_parse(first, values.parse_integers(column, 0, 10))  # from the table alone
    assert values._SPELLINGS[(0, 10)] is learned
    assert status(first)[:8] == [V, M, V, M, BAD, V, V, BAD]
    later = pa.array([None, "n/a", "9", "eleven", " 3 "] * 5_000, pa.string())  # 3 texts more
    assert status(values.parse_integers(later, 0, 10))[:5] == [M, M, V, BAD, V]
    assert len(values._SPELLINGS[(0, 10)].texts) == 11 + 5 + 3
    assert_same_parse(values.parse_integers(column, 0, 10), first)  # the old texts still hold
    monkeypatch.setattr(values, "SPELLINGS_LIMIT", 12)  # too many texts: the general path
    monkeypatch.setattr(values, "_SPELLINGS", {})
    assert_same_parse(values.parse_integers(column, 0, 10), first)
    assert len(values._SPELLINGS[(0, 10)].texts) == 11  # the scale alone: nothing learned


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_score_table_takes_any_text_array(kind, monkeypatch):
    monkeypatch.setattr(values, "_SPELLINGS", {})
    column = pa.array(["x", "9", None, "10", "7.0"] * 20_000, kind).slice(1, 60_000)
    parsed = values.parse_integers(column, 0, 10)
    assert status(parsed)[:5] == [V, M, V, V, BAD]  # "9", None, "10", "7.0", "x"
    assert parsed.values[[0, 2, 3]].tolist() == [9, 10, 7]


@given(
    st.lists(
        st.one_of(st.none(), st.text(alphabet="0123456789:.- eNAyxt", max_size=8)),
        min_size=1,
        max_size=40,
    )
)
def test_the_dictionary_path_equals_the_direct_parse_for_any_cells(cells):
    column = pa.array((cells * (values.DICTIONARY_MIN_ROWS // len(cells) + 1)), pa.string())
    parsers = [
        lambda a: values.parse_integers(a, 0, 10),
        values.parse_booleans,
        parse_durations,
        values.parse_numbers,
    ]
    for parse in parsers:
        fast = parse(column)
        direct, spelled = values.DICTIONARY_MIN_ROWS, values.SPELLED_SCALE
        try:
            values.DICTIONARY_MIN_ROWS, values.SPELLED_SCALE = 10**9, -1
            slow = parse(column)
        finally:
            values.DICTIONARY_MIN_ROWS, values.SPELLED_SCALE = direct, spelled
        assert_same_parse(fast, slow)


@given(st.lists(st.booleans(), max_size=70), st.integers(0, 3))
def test_arrow_of_wraps_masks_and_positions_as_pyarrow_converts_them(mask, step):
    """Bits packed least significant first, any length (not only whole bytes); positions from
    any integer array or view; both usable to filter and take."""
    bools = np.array(mask, dtype=bool)[:: step or 1]
    wrapped = values.arrow_of(bools)
    assert wrapped.type == pa.bool_() and wrapped.null_count == 0
    assert wrapped.to_pylist() == bools.tolist()
    assert wrapped.slice(min(3, len(bools))).to_pylist() == bools[3:].tolist()
    texts = pa.array([str(i) for i in range(len(bools))])
    assert texts.filter(wrapped).to_pylist() == [str(i) for i in np.flatnonzero(bools)]
    for positions in (np.flatnonzero(bools), np.flatnonzero(bools).astype(np.int32)[::-1]):
        taken = texts.take(values.arrow_of(positions))
        assert taken.to_pylist() == [str(i) for i in positions]
