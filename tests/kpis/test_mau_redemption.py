"""MAU and redemption against hand-computed cases and their edges."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from cxcli.errors import UsageError
from cxcli.kpis.mau import Mau
from cxcli.kpis.redemption import Redemption
from cxcli.periods import Period
from cxcli.windows import explicit_window, split

WEEK = explicit_window("2025-03-03", "2025-03-10")  # seven days


def mau(columns, window=WEEK, **options):
    return Mau(**options).with_windows([window]).compute(columns)


def test_one_day_user_boundaries_empty_days_and_duplicates():
    est = mau(
        {
            "user": ["a", "a", "a", "b", "c", "d", "e"],
            "time": [
                "2025-03-03T00:00:00",  # exactly at `from`: in
                "2025-03-03T23:59:59",  # same user, same day: once
                "2025-03-09T23:59:59",  # last second of the window: in
                "2025-03-05",
                "2025-03-10T00:00:00",  # exactly at `to`: out
                "2025-03-02T23:59:59",  # before: out
                None,  # missing time
            ],
        }
    )
    # users a, b; daily actives: 3rd 1, 5th 1, 9th 1, four empty days -> 3 / 7
    assert est.value == 2.0 and est.details["dau_avg"] == pytest.approx(3 / 7)
    assert est.details["stickiness"] == pytest.approx(3 / 14)
    assert est.details["days"] == 7


def test_no_events_in_window():
    est = mau({"user": ["a"], "time": ["2025-01-01"]})
    assert est.value is None and est.notes and est.details["dau_avg"] == 0.0


def test_weekly_series_from_the_same_state():
    window = explicit_window("2025-03-01", "2025-03-17")
    kpi = Mau().with_windows([window, *split(window, Period.WEEK)])
    parsed = kpi.parse(
        {
            "user": pa.array(["a", "b", "a", "c"]),
            "time": pa.array(["2025-03-01", "2025-03-04", "2025-03-11", "2025-03-16"]),
        }
    )
    state = kpi.update(kpi.init(), {k: p.values for k, p in parsed.items()})
    counts = [kpi.finalize(kpi.view(state, i)).value for i in range(len(kpi.windows))]
    # whole window a, b, c; W09 (1-2 Mar) a; W10 b; W11 a, c
    assert counts == [3.0, 1.0, 1.0, 2.0]


def test_hll_within_its_bounds_and_close_to_exact():
    rng = np.random.default_rng(3)
    users = rng.integers(0, 40_000, 200_000).astype(str)
    times = np.datetime_as_string(
        np.datetime64("2025-03-03") + rng.integers(0, 7 * 86400, 200_000).astype("timedelta64[s]")
    )
    exact = mau({"user": users, "time": times})
    approx = mau({"user": users, "time": times}, approx=True)
    low, high = approx.ci
    assert low <= exact.value <= high
    assert abs(approx.value - exact.value) / exact.value < 0.05
    assert approx.details["dau_avg"] == pytest.approx(exact.details["dau_avg"], rel=0.05)
    assert Mau(approx=True).definition == "mau.hll"


MARCH = explicit_window("2025-03-01", "2025-04-01")


def redemption(columns, **options):
    kpi = Redemption(**options).with_windows([MARCH]).bind({k: k for k in columns})
    return kpi.compute(columns)


def test_type_spellings_sizes_and_unknown_types():
    est = redemption(
        {
            "member": ["a", "a", "b", "b", "c", "c"],
            "points": [100, -30, 50, 20, 10, 5],
            "type": [" EARN", "redeem", "Earn", "REDEEM ", "adjust", None],
            "time": ["2025-03-01"] * 6,
        }
    )
    # issued 150; redeemed 30 + 20 (a redemption recorded as -30 counts by its size)
    assert est.value == pytest.approx(100 * 50 / 150)
    assert (est.details["members_earning"], est.details["members_redeeming"]) == (2, 2)
    assert est.details["member_rate"] == 100.0


def test_configured_type_values():
    est = redemption(
        {
            "member": ["a", "b", "a"],
            "points": [100, 100, 50],
            "type": ["accrual", "bonus", "burn"],
            "time": ["2025-03-02"] * 3,
        },
        earn_value="accrual,bonus",
        redeem_value="burn",
    )
    assert est.value == 25.0 and est.details["member_rate"] == 50.0
    with pytest.raises(UsageError):
        Redemption(earn_value="x", redeem_value="x")


def test_signed_points_mode():
    est = redemption(
        {
            "member": ["a", "b", "a"],
            "points": [100, 60, -40],
            "time": ["2025-03-02", "2025-03-03", "2025-03-04"],
        }
    )
    assert est.value == 25.0 and est.details["members_redeeming"] == 1


def test_window_edges_and_nothing_issued():
    est = redemption(
        {"member": ["a", "a"], "points": [100, -10], "time": ["2025-04-01", "2025-03-31T23:00:00"]}
    )
    assert est.value is None and est.details["points_redeemed"] == 10.0 and est.notes


def test_expire_and_adjust_are_their_own_categories():
    from cxcli.kpis.redemption import Redemption
    from cxcli.windows import explicit_window

    kpi = Redemption().with_windows([explicit_window("2025-03-01", "2025-04-01")])
    kpi = kpi.bind({"member": "m", "points": "p", "type": "t", "time": "at"})
    est = kpi.compute(
        {
            "member": ["a", "a", "b", "b", "c", "c"],
            "points": [100, 40, 200, 50, -15, 7],
            "type": ["earn", "redeem", "earn", "Expired", "adjust", "bonus"],
            "time": ["2025-03-02"] * 6,
        }
    )
    # issued 300, redeemed 40, expired 50, adjusted -15 apart; "bonus" is no known type
    assert est.value == pytest.approx(100 * 40 / 300)
    assert est.details["points_expired"] == 50 and est.details["points_adjusted"] == -15
    assert est.details["settled_rate"] == pytest.approx(100 * 90 / 300)
