"""Durations in units and clock text, and verbal answer scales: what each reads as, what is
refused, and that any way of writing a value reads back the same."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcli.errors import InputError, UsageError
from cxcli.kpis.ces import Ces
from cxcli.kpis.csat import Csat
from cxcli.kpis.nps import Nps
from cxcli.labels import BUILT_IN, apply, choose, parse_labels
from cxcli.units import DurationFormat, decide_duration, name_rule, parse_durations


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("Time tracked", ("h", "hh:mm")),  # Freshdesk
        ("First response time (in hrs)", ("h", "hh:mm")),
        ("Full resolution time in minutes", ("min", "mm:ss")),  # Zendesk
        ("Agent wait time in minutes within business hours", ("min", "mm:ss")),
        ("wait_ms", ("ms", "")),
        ("talk_seconds", ("s", "")),
        ("Handle time [s]", ("s", "")),
        ("Duration (hh:mm:ss)", ("s", "")),
        ("AHT hh:mm", ("h", "hh:mm")),
        ("Wrap (mm:ss)", ("min", "mm:ss")),
        ("Resolution days", ("d", "")),
        ("TALK TIME", None),
        ("Handle", None),
        ("Admin notes", None),
        ("Mins of hold", ("min", "mm:ss")),
    ],
)
def test_what_a_column_name_says_about_its_unit(name, rule):
    assert name_rule(name) == rule


def test_numbers_take_the_unit_and_clock_text_its_reading():
    column = pa.array(["1.5", "02:51", "1:02:03", "75:30", "-1", "2:60", None])
    mm_ss = parse_durations(column, DurationFormat("min", "mm:ss"))
    assert mm_ss.values[:4].tolist() == [90, 171, 3723, 4530]
    assert mm_ss.invalid.tolist() == [False, False, False, False, True, True, False]
    hh_mm = parse_durations(column, DurationFormat("h", "hh:mm"))
    assert hh_mm.values[:4].tolist() == [5400, 10260, 3723, 75 * 3600 + 30 * 60]
    unread = parse_durations(column, DurationFormat("s", ""))
    assert unread.invalid[1] and not unread.invalid[2]  # two fields: no reading; three: h:mm:ss
    typed = parse_durations(pa.array([90_000_000, None], pa.duration("us")))
    assert typed.values[0] == 90 and typed.missing[1]


def decide(column: str, values: list, **options):
    notes: list[str] = []
    defaults = {"unit": None, "clock": None, "role_clock": "", "option": "--handle"}
    fmt = decide_duration(
        column,
        pa.array(values, pa.string()),
        **{**defaults, **options},
        notice=notes.append,
        source="calls.csv",
    )
    return fmt, notes


def test_a_total_of_two_field_clock_text_is_never_guessed():
    with pytest.raises(InputError) as caught:
        decide("Handle", ["01:17", "00:45", "02:00"])
    message = str(caught.value)
    assert (
        "calls.csv: column 'Handle' (--handle) holds two-field clock times like '01:17'" in message
    )
    assert "as mm:ss '01:17' is 1m 17s and the mean 1m 21s" in message
    assert "as hh:mm '01:17' is 1h 17m 00s and the mean 1h 20m 40s" in message
    assert "--clock hh:mm or --clock mm:ss" in message
    assert decide("Handle", ["01:17"], clock="hh:mm")[0] == DurationFormat("s", "hh:mm")
    assert decide("Time tracked", ["01:17"])[0] == DurationFormat("h", "hh:mm")
    assert decide("Handle", ["1:01:17", "300"])[0] == DurationFormat("s", "")  # no two fields
    assert decide("Handle", ["5"], unit="min")[0] == DurationFormat("min", "mm:ss")


def test_components_read_two_fields_as_minutes_and_seconds_and_say_so():
    fmt, notes = decide("TALK", ["02:51", "1:00:00"], role_clock="mm:ss", option="--talk")
    assert fmt == DurationFormat("s", "mm:ss")
    assert notes == [
        "'TALK' (--talk): clock times like '02:51' read as mm:ss (2m 51s); give --clock hh:mm "
        "if they are hours and minutes"
    ]
    fmt, notes = decide("Hold (in minutes)", ["2.5"], option="--hold")
    assert fmt.unit == "min" and "numbers read as minutes, as its name says" in notes[0]
    with pytest.raises(UsageError):
        decide("x", ["1"], clock="ss:mm")


seconds = st.integers(0, 500 * 3600)


@given(
    st.lists(seconds, min_size=1, max_size=20),
    st.sampled_from(["h:mm:ss", "mm:ss", "hh:mm", "min", "h", "ms"]),
)
def test_any_way_of_writing_a_duration_reads_back(values, style):
    def write(s: int) -> str:
        if style == "h:mm:ss":
            return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        if style == "mm:ss":
            return f"{s // 60:02d}:{s % 60:02d}"
        if style == "hh:mm":
            return f"{s // 3600:02d}:{s % 3600 // 60:02d}"
        return {"min": str(s / 60), "h": str(s / 3600), "ms": str(s * 1000)}[style]

    fmt = {"mm:ss": DurationFormat("s", "mm:ss"), "hh:mm": DurationFormat("s", "hh:mm")}.get(
        style, DurationFormat(style if style in ("min", "h", "ms") else "s", "")
    )
    parsed = parse_durations(pa.array([write(s) for s in values]), fmt)
    expected = [s - s % 60 if style == "hh:mm" else s for s in values]
    assert not parsed.invalid.any()
    assert parsed.values.tolist() == pytest.approx(expected, abs=1e-6)


def labels(kpi: str, values: list[str | None]):
    return choose(kpi, pa.array(values, pa.string()))


def test_label_sets_are_chosen_by_the_labels_a_column_holds():
    assert labels("csat", ["Very satisfied", "Satisfied", None]).name == "5-point satisfaction"
    assert labels("csat", ["Satisfied", "Neutral", "Dissatisfied"]).name == "3-point satisfaction"
    assert labels("csat", ["Moderately satisfied", "Extremely satisfied"]).scale == (1, 7)
    assert labels("csat", ["Good", "Bad", "Offered", "unoffered"]).scale == (1, 2)
    assert labels("csat", ["Awesome", "just  okay", "NOT GOOD"]).name == "Freshdesk 3-point"
    assert labels("ces", ["Strongly agree", "Somewhat agree"]).scale == (1, 7)
    assert labels("ces", ["Very easy", "Difficult"]).scale == (1, 5)
    assert labels("nps", ["10 - Extremely likely", "9", "0 - Not at all likely"]).numbered
    assert labels("csat", ["5", "4", "3"]) is None  # plain numbers: no labels
    assert labels("csat", ["Very satisfied", "meh"]) is None  # unknown words: invalid, not mapped
    assert labels("nps", ["Very satisfied"]) is None  # not an NPS scale
    assert all(s.scale[0] < s.scale[1] for s in BUILT_IN)


def test_labels_become_their_numbers():
    found = labels("csat", ["Very satisfied"])
    out = apply(pa.array(["very  SATISFIED", "Neutral", "5", None, "?", "4 - Satisfied"]), found)
    assert out.to_pylist() == ["5", "3", "5", None, "?", "4 - Satisfied"]
    zendesk = labels("csat", ["Good", "Offered"])
    assert apply(pa.array(["Good", "Offered", "Bad"]), zendesk).to_pylist() == ["2", None, "1"]
    numbered = labels("nps", ["10 - Extremely likely"])
    assert apply(
        pa.array(["10 - Extremely likely", "7", "0 – Not at all likely"]), numbered
    ).to_pylist() == ["10", "7", "0"]


def test_the_labels_scale_sets_the_kpis_unless_given():
    sample = {"score": pa.array(["Awesome", "Not Good", "Just Okay", None])}
    fitted = Csat().fit(sample, {"score": "Survey"}, lambda m: None)
    assert fitted.scale_text == "1-3" and fitted.definition == "csat.top1box"
    est = fitted.compute({"score": ["Awesome", "Not Good", "Just Okay", "Awesome", None]})
    assert est.value == 50.0 and est.n == 4
    with pytest.raises(UsageError, match="--scale 1-5 does not fit"):
        Csat(scale="1-5").fit(sample, {"score": "Survey"}, lambda m: None)
    easy = Ces(lower_is_easier=True).compute(
        {"score": ["Strongly agree", "Strongly disagree", "Agree", "Somewhat agree"]}
    )
    assert easy.value == pytest.approx((1 + 7 + 2 + 3) / 4)  # easy is low when the user says so
    assert Nps().compute(
        {"score": ["10 - Extremely likely", "0 - Not at all likely", "9"]}
    ).value == pytest.approx(100 / 3)


def test_given_labels():
    given_ = parse_labels('"Good, I\'m satisfied"=2, Bad=1, Offered=')
    assert given_.mapping == {"good, i'm satisfied": 2, "bad": 1, "offered": None}
    assert given_.scale == (1, 2)
    est = Csat(labels="Top=5,Middle=3,Bottom=1", scale="1-5").compute(
        {"score": ["Top", "Middle", "Bottom", "5"]}
    )
    assert est.value == 50.0 and est.n == 4
    with pytest.raises(UsageError, match="LABEL=NUMBER"):
        parse_labels("Good")
    with pytest.raises(UsageError, match="not a whole number"):
        parse_labels("Good=high")
    with pytest.raises(UsageError, match="does not fit"):
        Csat(labels="A=1,B=9", scale="1-5").compute({"score": ["A"]})
