"""ARPU, CLV and CAC against hand-computed cases and their edges."""

from __future__ import annotations

import numpy as np
import pytest

from cxcli.errors import UsageError
from cxcli.kpis.arpu import Arpu
from cxcli.kpis.cac import Cac
from cxcli.kpis.clv import Clv
from cxcli.windows import explicit_window

MARCH = explicit_window("2025-03-01", "2025-04-01")
ORDERS = {
    "customer": ["a", "a", "b", " b ", "c", None, "d"],
    "amount": [10, 20, 30, "5.5", 99, 1, "x"],
    "date": [
        "2025-03-01",
        "2025-03-20",
        "2025-03-31T23:59:59",
        "2025-03-02",
        "2025-04-01",
        "2025-03-03",
        "2025-03-04",
    ],
}


def test_arpu_window_edges_distinct_customers():
    est = Arpu().with_windows([MARCH]).compute(ORDERS)
    # in March: a (10 + 20), b (30 + 5.5, " b " is b); c is at `to`; None is missing; x invalid
    assert est.value == pytest.approx(65.5 / 2) and est.n == 2
    assert est.details["orders"] == 4 and est.details["revenue"] == pytest.approx(65.5)


def test_arpu_empty_window():
    est = Arpu().with_windows([explicit_window("2026-01-01", "2026-02-01")]).compute(ORDERS)
    assert est.value is None and est.notes


def test_clv_components_by_hand():
    kpi = Clv(lifespan=2, margin=0.25, years=0.5)
    est = kpi.compute(ORDERS)
    # valid orders: 5 (a, a, b, b, c) for 164.5; 3 customers
    aov, freq = 164.5 / 5, 5 / 3 / 0.5
    assert est.details["average_purchase_value"] == pytest.approx(aov)
    assert est.details["purchases_per_customer_per_year"] == pytest.approx(freq)
    assert est.value == pytest.approx(aov * freq * 2 * 0.25)
    assert kpi.definition == "clv.lifespan.years"  # --years: the formula as it was


def test_clv_from_annual_churn_and_each_customers_tenure():
    kpi = Clv(annual_churn=0.5)
    est = kpi.compute(
        {"customer": ["a", "b"], "amount": [100, 100], "date": ["2024-01-01", "2025-01-01"]}
    )
    years = 367 / 365.2425  # 1 Jan 2024 to 1 Jan 2025, both days included (2024 is a leap year)
    assert est.details["lifespan_years"] == 2.0 and est.details["years"] == pytest.approx(years)
    # a is a customer for 367 days, b (first order on the last day) for 1
    tenure = (367 + 1) / 365.2425
    assert est.details["customer_years"] == pytest.approx(tenure)
    assert est.value == pytest.approx(100 * (2 / tenure) * 2)
    assert kpi.definition == "clv.churn.tenure"
    assert "mostly the lifespan assumption" in est.notes[-1]  # 2 years from 1 year of orders


def test_clv_tenure_counts_a_growing_base_by_each_customers_time():
    """Three customers a year apart, each ordering monthly: purchases per customer-year are
    12, where dividing by the whole span (the --years formula) gives 8."""
    rows = {"customer": [], "amount": [], "date": []}
    for start, name in ((2022, "a"), (2023, "b"), (2024, "c")):
        for year in range(start, 2025):
            for month in range(1, 13):
                rows["customer"].append(name)
                rows["amount"].append(10)
                rows["date"].append(f"{year}-{month:02d}-01")
    est = Clv(lifespan=1).compute(rows)
    orders, span = 72, est.details["observed_years"]
    assert est.details["purchases_per_customer_per_year"] == pytest.approx(
        orders / est.details["customer_years"]
    )
    assert est.details["purchases_per_customer_per_year"] == pytest.approx(12, rel=0.05)
    old = Clv(lifespan=1, years=span).compute(rows)
    assert old.details["purchases_per_customer_per_year"] == pytest.approx(orders / 3 / span)


def test_clv_needs_a_lifespan():
    with pytest.raises(UsageError, match="--lifespan YEARS or --annual-churn RATE"):
        Clv().check()
    with pytest.raises(UsageError):
        Clv(margin=1.5)


def test_clv_single_day_needs_years():
    est = Clv(lifespan=1).compute({"customer": ["a"], "amount": [5], "date": ["2025-01-01"]})
    assert est.value is None and "--years" in est.notes[0]


def test_clv_span_counts_both_end_days_and_notes_a_short_one():
    """546 days of data (1 Jan 2024 to 29 Jun 2025) are 546 days, not 545."""
    dates = {"customer": ["a", "b"], "amount": [10, 10], "date": ["2024-01-01", "2025-06-29"]}
    est = Clv(lifespan=1).compute(dates)
    assert est.details["observed_years"] * 365.2425 == pytest.approx(546)
    assert est.notes == ()
    short = Clv(lifespan=1).compute({**dates, "date": ["2025-06-01 09:00", "2025-06-30 18:00"]})
    assert short.details["observed_years"] * 365.2425 == pytest.approx(30)
    assert "30 days, less than a year" in short.notes[0]
    year = Clv(lifespan=1).compute({**dates, "date": ["2024-07-01", "2025-06-29"]})
    assert "364 days, less than a year" in year.notes[0]


def us(days):
    return np.array(days, dtype="datetime64[us]").astype(np.int64)


def test_cac_and_payback():
    kpi = Cac(arpu=50, margin=0.5).with_windows([MARCH])
    state = kpi.update(
        kpi.init(),
        {
            "date": us(["2025-03-01", "2025-03-31", "2025-04-01"]),
            "amount": np.array([600.0, 400.0, 5000.0]),
        },
    )
    state = kpi.update(
        state, {"start": us(["2025-03-01", "2025-02-28", "2025-03-15", "2025-04-01"])}
    )
    est = kpi.finalize(kpi.view(state, 0))
    assert est.value == 500.0 and est.details["new_customers"] == 2
    assert est.details["payback_months"] == 20.0


def test_cac_with_no_new_customers():
    kpi = Cac().with_windows([MARCH])
    state = kpi.update(kpi.init(), {"date": us(["2025-03-05"]), "amount": np.array([10.0])})
    est = kpi.finalize(kpi.view(state, 0))
    assert est.value is None and est.notes == ("no new customers in the window",)
