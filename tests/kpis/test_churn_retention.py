"""Churn and retention over hand-computed windows and their edges."""

from __future__ import annotations

import pytest

from cxcli.kpis.churn import Churn
from cxcli.kpis.retention import Retention
from cxcli.windows import explicit_window

MARCH = explicit_window("2025-03-01", "2025-04-01")


def roster(rows):
    ids, starts, ends = zip(*rows, strict=True) if rows else ((), (), ())
    return {"id": list(ids), "start": list(starts), "end": list(ends)}


BOUNDARIES = [
    ("a", "2025-01-01", None),  # active throughout: S, E
    ("b", "2025-01-01", "2025-03-01"),  # ends exactly at `from`: in S, lost
    ("c", "2025-01-01", "2025-04-01"),  # ends exactly at `to`: in S and E, not lost
    ("d", "2025-03-01", None),  # starts exactly at `from`: new, not in S
    ("e", "2025-04-01", None),  # starts exactly at `to`: nowhere
    ("f", "2025-03-10", "2025-03-10"),  # starts and ends the same day in the window: new, gone
    ("g", "2025-01-01", "2025-02-28"),  # gone before the window
    ("h", "2025-02-01", "2025-03-31"),  # in S, lost on the last day
]


def test_boundaries_by_hand():
    view = Churn().with_windows([MARCH])
    est = view.compute(roster(BOUNDARIES))
    # S = a, b, c, h; L = b, h; N = d, f; E = a, c, d
    assert {k: est.details[k] for k in "SLNE"} == {"S": 4, "L": 2, "N": 2, "E": 3}
    assert est.value == 50.0 and est.n == 4
    # of S = 4 two are kept (a, c); the classic CRR (E − N − R)/S = (3 − 2 − 0)/4
    cohort = Retention().with_windows([MARCH]).compute(roster(BOUNDARIES))
    assert cohort.value == 50.0 and cohort.value + est.value == 100
    assert cohort.details["crr"] == 25.0 and "CRR (E − N − R)/S is 25.0%" in cohort.notes[-1]
    crr = Retention(method="crr").with_windows([MARCH]).compute(roster(BOUNDARIES))
    assert crr.value == 25.0 and crr.details["cohort_rate"] == 50.0


def test_monthly_and_annual_equivalents():
    est = (
        Churn()
        .with_windows([explicit_window("2025-01-01", "2025-07-01")])
        .compute(roster([("a", "2024-01-01", "2025-02-01"), ("b", "2024-01-01", None)]))
    )
    days = 181
    assert est.details["monthly_equivalent"] == pytest.approx(
        100 * (1 - 0.5 ** ((365.2425 / 12) / days))
    )
    assert est.details["annual_equivalent"] == pytest.approx(100 * (1 - 0.5 ** (365.2425 / days)))


def test_end_before_start_is_invalid_and_duplicates_count_once():
    kpi = Churn().with_windows([MARCH])
    import pyarrow as pa

    columns = roster([("a", "2025-02-01", "2025-01-01"), ("b", "2025-01-01", None)])
    parsed = kpi.parse({k: pa.array(v, pa.string()) for k, v in columns.items()})
    _, invalid = kpi.row_status(parsed)
    assert invalid.tolist() == [True, False]
    est = kpi.compute(
        roster(
            [
                ("a", "2025-01-01", None),
                ("a", "2025-02-01", "2025-03-05"),
                ("b", "2025-01-01", None),
            ]
        )
    )
    assert est.details["S"] == 2 and est.details["L"] == 0  # a: its earliest start, never ends
    assert est.details["duplicate_ids"] == 1 and est.details["duplicate_examples"] == ["a"]
    assert any("repeat a customer id" in note for note in est.notes)


def test_empty_window_gives_null_and_a_note():
    est = Churn().with_windows([MARCH]).compute(roster([("a", "2025-03-05", None)]))
    assert est.value is None and est.details["N"] == 1
    assert "no customers were active" in " ".join(est.notes)
    assert Churn().with_windows([MARCH]).compute(roster([])).value is None


def test_revenue_churn():
    est = (
        Churn()
        .with_windows([MARCH])
        .compute(
            {
                "id": ["a", "b"],
                "start": ["2025-01-01"] * 2,
                "end": ["2025-03-05", None],
                "mrr": [100, 300],
            }
        )
    )
    assert est.details["revenue_churn"] == 25.0


def test_compare():
    kpi = Churn().with_windows([MARCH])
    low = {"S": 1000, "L": 20}
    high = {"S": 1000, "L": 60}
    test = kpi.compare(low, high, 0.95)
    assert test.p_value < 0.001 and test.method == "pooled_z"
