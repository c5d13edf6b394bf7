"""cx cohorts: triangles by hand from a roster (customers who never churn, churn in their start
month, come back, hold overlapping subscriptions) and from events, the last incomplete period
left out, an independent pandas count on the samples, the command and the report."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SAMPLE

from cxcli.errors import UsageError
from cxcli.kpis.cohorts import Cohorts
from cxcli.periods import Period

ROSTER = {
    "id": ["a", "b", "c", "c", "d", "e", "e", "f"],
    "start": [
        *("2025-01-05", "2025-01-10", "2025-01-15", "2025-04-01"),
        *("2025-02-03", "2025-02-01", "2025-03-01", "2025-05-31"),
    ],
    "end": [None, "2025-01-20", "2025-02-10", None, "2025-03-31", "2025-05-01", None, None],
}


def roster(**options) -> Cohorts:
    return Cohorts(mode="roster", **options)


def test_a_roster_by_hand():
    est = roster().compute(ROSTER)
    by = {c["cohort"]: (c["size"], c["retained"]) for c in est.details["cohorts"]}
    third = 100 / 3
    # a never churns, b churns in January, c leaves in February and is back in April
    assert by["2025-01"] == (3, pytest.approx([2 * third, third, third, 2 * third, 2 * third]))
    # d ends on 31 March: not active at its end; e's two subscriptions overlap: one customer
    assert by["2025-02"] == (2, pytest.approx([100, 50, 50, 50]))
    assert by["2025-05"] == (1, [100.0])
    assert "2025-03" not in by and "2025-04" not in by  # nobody started then
    assert est.value == pytest.approx(100 * 2 / 5)  # one period on: 1 of 3, 1 of 2
    assert est.details["retained_after_1"] == {"retained": 2, "customers": 5}
    assert est.details["latest"] == "2025-05" and est.n == 6


def test_quarters_of_the_same_roster():
    est = roster(grain=Period.QUARTER).compute(ROSTER)
    assert est.details["cohorts"][0]["cohort"] == "2025-Q1"
    # at the end of Q1: a and e (d ended on its last day, b and c earlier); of 5 customers
    assert est.details["cohorts"][0]["size"] == 5
    assert est.details["cohorts"][0]["retained"][0] == pytest.approx(40)


def test_events_and_the_incomplete_last_period():
    events = {
        "user": ["u1", "u2", "u1", "u3", "u2", "u1"],
        "time": [
            "2025-01-02",
            "2025-01-30",
            "2025-02-14",
            "2025-02-02",
            "2025-03-01",
            "2025-03-15",
        ],
    }
    est = Cohorts(mode="events").compute(events)
    by = {c["cohort"]: (c["size"], c["retained"]) for c in est.details["cohorts"]}
    # March has data to the 15th only: not complete, not shown
    assert by == {"2025-01": (2, [100.0, 50.0]), "2025-02": (1, [100.0])}
    assert est.details["latest"] == "2025-02"
    early = Cohorts(mode="events").compute({"user": ["u1"], "time": ["2025-01-02"]})
    assert est.value == 50.0 and early.value is None and "no complete period" in early.notes[0]


def test_the_sample_events_against_pandas(cx):
    out = cx("cohorts", str(SAMPLE / "events.parquet"), "--user", "uid", "--time", "ts", "-q").json
    frame = pd.read_parquet(SAMPLE / "events.parquet")
    month = frame["ts"].dt.tz_convert(None).dt.to_period("M")
    frame = pd.DataFrame({"uid": frame["uid"], "month": month}).drop_duplicates()
    first = frame.groupby("uid")["month"].transform("min")
    offset = (frame["month"] - first).apply(lambda d: d.n)
    counts = frame.assign(cohort=first, k=offset).groupby(["cohort", "k"]).size()
    for row in out["details"]["cohorts"]:
        size = counts[(pd.Period(row["cohort"]), 0)]
        assert row["size"] == size
        for k, share in enumerate(row["retained"]):
            assert share == pytest.approx(100 * counts.get((pd.Period(row["cohort"]), k), 0) / size)


def test_the_command_from_a_roster_by_segment(cx):
    args = ["cohorts", str(SAMPLE / "customers.csv"), "--id", "Customer", "--start", "Signup"]
    out = cx(*args, "--end", "Cancelled", "--by", "Plan", "--period", "quarter", "-q").json
    assert out["definition"] == "cohorts.roster" and out["params"]["cohort_period"] == "quarter"
    assert {g["key"]["Plan"] for g in out["groups"]} >= {"Pro", "Enterprise"}
    # a customer with subscriptions on two plans is in both plans' cohorts, once overall
    in_groups = sum(c["size"] for g in out["groups"] for c in g["details"]["cohorts"])
    overall = sum(c["size"] for c in out["details"]["cohorts"])
    assert overall <= in_groups <= overall + 5
    table = cx(*args, "--end", "Cancelled", "-q", "-f", "table", env={"COLUMNS": "60"}).stdout
    assert "cohort" in table and "2024-01" in table and "not shown" in table
    md = cx(*args, "-q", "-f", "markdown").stdout
    assert "| cohort | size | 0 | 1 |" in md


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "day"], "--period is week, month or quarter"),
        (["--start", "Nope"], "column 'Nope'"),
    ],
)
def test_errors(cx, args, message):
    run = cx("cohorts", str(SAMPLE / "customers.csv"), *args, "-q")
    assert run.exit_code == 2 and message in run.stderr


def test_a_file_with_neither_a_roster_nor_events_says_what_to_give():
    with pytest.raises(UsageError, match="a roster"):
        Cohorts().select_roles({}, {})
