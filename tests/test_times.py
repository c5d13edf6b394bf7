"""Time columns: each format cx reads without being told, decided once per column from a
sample; the user's --time-format and --tz; and what it refuses to guess."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcli.errors import InputError
from cxcli.kpis.nps import Nps
from cxcli.readings import TIME_KEY, fit
from cxcli.times import (
    MixedOrder,
    TimeFormat,
    TimeSettings,
    decide_format,
    parse_times,
    slashed_order,
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def us(stamp: dt.datetime) -> int:
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return (stamp - EPOCH) // dt.timedelta(microseconds=1)


def read(texts: list[str | None], tz: str | None = None, fmt: str | None = None):
    """Decide the column's format from itself, then parse it, as a run does."""
    column = pa.array(texts, pa.string())
    found = decide_format(column, fmt).format
    return parse_times(column, TimeSettings(fmt, tz, (("t", found),)), "t"), found


WHEN = dt.datetime(2025, 3, 6, 22, 23, 5)
ZONE = dt.timezone(dt.timedelta(hours=-8))


@pytest.mark.parametrize(
    ("text", "kind", "instant"),
    [
        ("2025-03-06 22:23:05 -0800", "iso", WHEN.replace(tzinfo=ZONE)),  # Delighted, Zendesk
        ("2025-03-06 22:23:05 -08:00", "iso", WHEN.replace(tzinfo=ZONE)),
        ("2025-03-06T22:23:05Z", "iso", WHEN),
        ("2025-03-06 22:23:05.000000", "iso", WHEN),  # Amplitude
        ("03/06/2025 10:23:05 PM", "mdy", WHEN),  # SurveyMonkey
        ("06.03.2025 22:23:05", "dmy", WHEN),
        ("Thu, 06 Mar 2025 22:23:05 +0000", "rfc2822", WHEN),
        ("06 Mar 2025 22:23:05 GMT", "rfc2822", WHEN),
        ("1741299785", "epoch", WHEN),
        ("1741299785000", "epoch", WHEN),
        ("1741299785000000", "epoch", WHEN),
    ],
)
def test_each_format_is_read_without_being_told(text, kind, instant):
    # a second value tells day/month order where the format has one
    other = {"mdy": "03/13/2025 01:00:00 AM", "dmy": "13.03.2025 01:00:00"}.get(kind, text)
    parsed, found = read([text, other, None, ""])
    assert found.kind == kind
    assert parsed.values[0] == us(instant)
    assert parsed.valid.tolist() == [True, True, False, False]
    assert parsed.missing.tolist() == [False, False, True, True]


def test_naive_times_take_tz_and_zoned_ones_keep_their_offset():
    naive, _ = read(["03/06/2025 10:23:05 PM", "03/13/2025 01:00:00 AM"], tz="Europe/Berlin")
    assert naive.values[0] == us(WHEN - dt.timedelta(hours=1))
    zoned, _ = read(["2025-03-06 22:23:05 -0800", "2025-03-06 22:23:05"], tz="Europe/Berlin")
    assert zoned.values.tolist() == [
        us(WHEN.replace(tzinfo=ZONE)),
        us(WHEN - dt.timedelta(hours=1)),
    ]
    epoch, _ = read(["1741299785"], tz="Asia/Tokyo")  # an instant: no zone applies
    assert epoch.values[0] == us(WHEN)


def test_impossible_dates_and_other_formats_are_invalid_not_reread():
    parsed, found = read(["30/02/2025", "13/01/2025", "2025-01-05", "31/12/2025 9:00 AM", "x"])
    assert found.kind == "dmy"  # a day above 12 tells; 30 February is still no date
    assert parsed.invalid.tolist() == [True, False, True, False, True]
    assert parsed.values[3] == us(dt.datetime(2025, 12, 31, 9, 0))
    ampm, _ = read(["03/06/2025 13:00 PM", "03/06/2025 00:10 AM", "03/13/2025 12:10 AM"])
    assert ampm.invalid.tolist() == [True, True, False]
    assert ampm.values[2] == us(dt.datetime(2025, 3, 13, 0, 10))


def test_month_day_order_is_never_guessed():
    assert slashed_order(pa.array(["03/04/2025", "01/02/2025"])) is None
    with pytest.raises(MixedOrder):
        slashed_order(pa.array(["13/04/2025", "04/13/2025"]))
    columns = {"score": pa.array(["9", "9"]), TIME_KEY: pa.array(["03/04/2025", "01/02/2025"])}
    with pytest.raises(InputError, match=r"no day above 12.*\n.*'%m/%d/%Y'.*'%d/%m/%Y'"):
        fit(Nps(), columns, {"score": "score"}, time_column="When")
    told = fit(Nps(), columns, {"score": "score"}, time_column="When", whole_column=lambda c: "dmy")
    assert told[1].format_of(TIME_KEY).kind == "dmy"


def test_a_column_that_reads_as_no_time_names_itself_and_its_first_value():
    columns = {"score": pa.array(["9"]), TIME_KEY: pa.array([None, "yesterday"])}
    with pytest.raises(
        InputError,
        match=r"column 'Sent' \(--time\): no value reads as a time, e\.g\. row 2 'yesterday'",
    ):
        fit(Nps(), columns, {"score": "score"}, time_column="Sent", source="s.csv")


def test_the_users_format_wins_and_must_match_something():
    parsed, found = read(["06/03/2025", "07/03/2025"], fmt="%d/%m/%Y")
    assert found.kind == "strptime" and parsed.values[0] == us(dt.datetime(2025, 3, 6))
    columns = {"score": pa.array(["9"]), TIME_KEY: pa.array(["2025-03-06"])}
    with pytest.raises(InputError, match="no value matches --time-format '%d/%m/%Y'"):
        fit(Nps(), columns, {"score": "score"}, fmt="%d/%m/%Y", time_column="t")
    seconds, found = read(["1741299785.5", "1741299786"], fmt="%s")
    assert found == TimeFormat("epoch", "%s", "s")  # %s: epoch seconds, fractions allowed
    assert seconds.values.tolist() == [us(WHEN) + 500_000, us(WHEN) + 1_000_000]


def test_epoch_units_by_magnitude_and_a_mixed_column():
    mixed = decide_format(pa.array(["1741299785000", "1741299786000", "17412997850", "1.5"]))
    assert mixed.unreadable  # ms, tenths of seconds, a fraction: no one unit, so no guess
    parsed, found = read(["1741299785000", "1741299786000"])
    assert (found.kind, found.unit) == ("epoch", "ms")
    assert parsed.values.tolist() == [us(WHEN), us(WHEN) + 1_000_000]
    later = parse_times(
        pa.array(["1741299785", "1741299785000.5"]), TimeSettings(formats=(("t", found),)), "t"
    )
    assert later.invalid.tolist() == [True, True]  # seconds in an ms column, a fraction: invalid
    typed = parse_times(
        pa.array([1_741_299_785_000], pa.int64()), TimeSettings(formats=(("t", found),)), "t"
    )
    assert typed.values[0] == us(WHEN)


instants = st.datetimes(min_value=dt.datetime(1975, 1, 1), max_value=dt.datetime(2199, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
WRITERS = {
    "iso space offset": lambda d, z: d.replace(tzinfo=z).strftime("%Y-%m-%d %H:%M:%S %z"),
    "iso T offset": lambda d, z: d.replace(tzinfo=z).isoformat(),
    "mdy am/pm": lambda d, z: d.strftime("%m/%d/%Y %I:%M:%S %p"),
    "dmy dotted": lambda d, z: d.strftime("%d.%m.%Y %H:%M:%S"),
    "rfc2822": lambda d, z: d.replace(tzinfo=z).strftime("%a, %d %b %Y %H:%M:%S %z"),
    "epoch ms": lambda d, z: str(us(d.replace(tzinfo=z)) // 1000),
}


@given(st.sampled_from(sorted(WRITERS)), st.lists(instants, min_size=1, max_size=30), offsets)
def test_every_format_round_trips(name, stamps, zone):
    # a day above 12 in the column tells the order, as an export of a month always has
    stamps = [*stamps, dt.datetime(2025, 1, 13, 8, 0)]
    texts = [WRITERS[name](d, zone) for d in stamps]
    parsed, found = read(texts)
    zoned = "offset" in name or "rfc" in name or "epoch" in name
    expected = [us(d.replace(tzinfo=zone)) if zoned else us(d) for d in stamps]
    assert parsed.values.tolist() == expected, found
    assert not parsed.invalid.any()


@given(
    st.lists(st.tuples(st.sampled_from(sorted(WRITERS)), instants), min_size=2, max_size=40),
    st.integers(1, 39),
)
def test_a_column_is_never_half_read_in_two_formats(cells, cut):
    """Whatever the mix, one format is decided for the column, and any split into batches
    reads each value the same way: a value is either read in that format or invalid."""
    texts = [WRITERS[name](d, dt.UTC) for name, d in cells]
    column = pa.array(texts)
    try:
        found = decide_format(column).format
    except MixedOrder:
        return
    settings = TimeSettings(formats=(("t", found),))
    whole = parse_times(column, settings, "t")
    cut = min(cut, len(texts) - 1)
    parts = [
        parse_times(column.slice(0, cut), settings, "t"),
        parse_times(column.slice(cut), settings, "t"),
    ]
    assert whole.invalid.tolist() == [*parts[0].invalid, *parts[1].invalid]
    valid = ~whole.invalid
    joined = [*parts[0].values, *parts[1].values]
    assert [v for v, ok in zip(whole.values, valid, strict=True) if ok] == [
        v for v, ok in zip(joined, valid, strict=True) if ok
    ]
    for (name, stamp), ok, value in zip(cells, valid, whole.values, strict=True):
        if ok and name != "dmy dotted" and name != "mdy am/pm":
            assert value == us(stamp.replace(tzinfo=dt.UTC))


@given(
    # to 2037: Arrow's zone rules stop there (2038 in Berlin is read as winter time)
    st.lists(
        st.one_of(instants.filter(lambda d: d.year < 2038), st.sampled_from([None, ""])),
        min_size=1,
        max_size=40,
    ),
    st.booleans(),
    st.sampled_from([None, "Europe/Berlin"]),
    st.integers(0, 3),
)
def test_clean_iso_columns_read_in_one_cast_as_value_by_value(cells, zoned, tz, skip):
    """The one-cast path for clean ISO text (all naive or all with an offset; nulls and empty
    text missing; an Arrow slice) gives what parsing each value on its own gives."""
    zone = dt.timezone(dt.timedelta(hours=5, minutes=30))
    texts = [
        c if c is None or c == "" else c.replace(tzinfo=zone if zoned else None).isoformat()
        for c in cells
    ]
    column = pa.array(["junk"] * skip + texts, pa.string()).slice(skip)
    parsed = parse_times(column, TimeSettings(tz=tz), "t")
    local = ZoneInfo(tz) if tz else dt.UTC
    for cell, value, missing in zip(cells, parsed.values, parsed.missing, strict=True):
        assert missing == (cell is None or cell == "")
        if not missing:
            assert value == us(cell.replace(tzinfo=zone if zoned else local))
    assert not parsed.invalid.any()


def test_the_default_window_pass_reads_times_as_the_run_does(cx, write_csv):
    """--time-format and --tz reach the pass that finds the latest date (it places the window)."""
    rows = ["Customer,Signup,Cancelled"]
    rows += [
        f"C{i},{d}/01/2025 00:30,{'' if i % 3 else '15/02/2025 00:30'}"
        for i, d in enumerate(range(1, 28))
    ]
    rows += ["C99,31/03/2025 00:30,"]  # the latest date: 31 March, 00:30
    path = write_csv("roster.csv", "\n".join(rows) + "\n")
    args = ["churn", str(path), "--id", "Customer", "--start", "Signup", "--end", "Cancelled"]
    plain = cx(*args, "--time-format", "%d/%m/%Y %H:%M", "-q")
    assert plain.exit_code == 0, plain.stderr
    assert (plain.json["params"]["from"], plain.json["params"]["to"]) == (
        "2025-03-01",
        "2025-04-01",
    )  # the data reaches the last day of March: March is complete
    berlin = cx(*args, "--time-format", "%d/%m/%Y %H:%M", "--tz", "Europe/Berlin", "-q")
    # 00:30 on 31 March in Berlin is 30 March in UTC: March is not complete
    assert (berlin.json["params"]["from"], berlin.json["params"]["to"]) == (
        "2025-02-01",
        "2025-03-01",
    )


def test_day_month_order_from_the_whole_column_when_the_sample_cannot_tell(cx, write_csv):
    early = [f"9,0{1 + i % 9}/0{1 + i % 3}/2025" for i in range(120_000)]  # > 1 MiB, all ≤ 12
    path = write_csv("late.csv", "nps_score,When\n" + "\n".join([*early, "10,25/03/2025"]) + "\n")
    result = cx("nps", str(path), "--time", "When", "--period", "month")
    assert result.exit_code == 0, result.stderr
    assert "times read as day/month/year" in result.stderr
    periods = {g["key"]["period"]: g["n"] for g in result.json["groups"]}
    assert periods["2025-03"] == 40_001  # 25/03 and every dd/03 of the early rows
    ambiguous = write_csv("amb.csv", "nps_score,When\n" + "\n".join(early[:50]) + "\n")
    result = cx("nps", str(ambiguous), "--time", "When", "--period", "month", "-q")
    assert result.exit_code == 2 and "no day above 12" in result.stderr
    stdin = cx(
        "nps", "-", "--time", "When", "--period", "month", "-q", input=ambiguous.read_bytes()
    )
    assert stdin.exit_code == 2 and "--time-format '%m/%d/%Y'" in stdin.stderr
