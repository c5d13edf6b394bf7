"""ART against hand-computed cases and its edges."""

from __future__ import annotations

import pytest

from cxcli.errors import UsageError
from cxcli.kpis.art import Art
from cxcli.times import TimeSettings


def test_resolution_times_unresolved_and_backwards():
    est = Art().compute(
        {
            "created": ["2025-01-01T00:00:00Z", "2025-01-01", "2025-01-01", None, "2025-01-02"],
            "resolved": [
                "2025-01-01T02:00:00+01:00",
                "2025-01-02",
                None,
                "2025-01-02",
                "2025-01-01",
            ],
        }
    )
    # 1 h, 24 h; one open; one missing created; one resolved before created (invalid)
    assert (est.value, est.n) == (pytest.approx((3600 + 86400) / 2), 2)
    assert est.details["unresolved"] == 1 and est.details["resolved"] == 2


def test_all_unresolved():
    est = Art().compute({"created": ["2025-01-01"], "resolved": [None]})
    assert est.value is None and est.details["unresolved"] == 1


def test_tz_for_naive_times():
    kpi = Art()
    import pyarrow as pa

    parsed = kpi.parse(
        {"created": pa.array(["2025-07-01 10:00"]), "resolved": pa.array(["2025-07-01T10:00:00Z"])},
        TimeSettings(tz="Europe/Berlin"),
    )
    # 10:00 in Berlin (summer) is 08:00 UTC: two hours before the resolution
    assert (parsed["resolved"].values[0] - parsed["created"].values[0]) == 2 * 3600 * 10**6


DAY = 86_400

# 8 tickets: 5 resolved (1, 2, 2, 4, 6 days; the last on 2025-01-20, the latest time in the
# data), 3 open, created 1, 3 and 7 days before it. Open tickets are censored at their ages.
TICKETS = {
    "created": [
        *("2025-01-01", "2025-01-01", "2025-01-02", "2025-01-03", "2025-01-14"),
        *("2025-01-19", "2025-01-17", "2025-01-13"),
    ],
    "resolved": [
        *("2025-01-02", "2025-01-03", "2025-01-04", "2025-01-07", "2025-01-20"),
        *(None, None, None),
    ],
}


def test_open_tickets_are_counted_and_censored_at_the_latest_time():
    est = Art().compute(TICKETS)
    assert est.value == pytest.approx((1 + 2 + 2 + 4 + 6) / 5 * DAY)  # the mean of the resolved
    d = est.details
    assert d["as_of"] == "2025-01-20" and d["as_of_from"] == "latest time in the data"
    assert d["open"]["count"] == 3 and d["open"]["share"] == pytest.approx(3 / 8)
    assert d["open"]["median_age"] == 3 * DAY and d["open"]["oldest_age"] == 7 * DAY
    # at risk: 8 at 1 d (one ends; the 1-day-old open one is censored there, still at risk),
    # 6 at 2 d (two end), 3 at 4 d (the 3-day-old open one has left), 2 at 6 d:
    s = [7 / 8, 7 / 8 * 4 / 6, 7 / 8 * 4 / 6 * 2 / 3, 7 / 8 * 4 / 6 * 2 / 3 * 1 / 2]
    assert d["km"]["median"] == 4 * DAY  # S(4 d) = 0.389 is the first ≤ 0.5
    assert s[2] <= 0.5 < s[1]
    assert d["km"]["p90"] is None  # S stays above 0.1: too many still open
    area = 1 + s[0] * 1 + s[1] * 2 + s[2] * 2 + s[3] * 1  # up to 7 d, the oldest open one
    assert d["km"]["restricted_mean"] == pytest.approx(area * DAY)
    assert any("still open (37.5%" in note and "--method km" in note for note in est.notes)


def test_method_km_makes_the_median_the_headline():
    est = Art(method="km").compute(TICKETS)
    assert est.value == 4 * DAY and est.n == 8
    assert est.details["median"] == 4 * DAY and est.details["p90"] is None  # the curve's
    assert est.details["quantiles"] == {"p50": 4 * DAY, "p90": None}
    assert Art(method="km").definition == "art.km" and Art().definition == "art.mean"


def test_as_of_sees_tickets_as_they_stood_then():
    est = Art(as_of="2025-01-05").compute(TICKETS)
    d = est.details
    # resolved by 5 Jan: 1, 2, 2 days; the 4-day one is open then; 4 were created later
    assert est.n == 3 and d["open"]["count"] == 1 and d["created_after_as_of"] == 4
    assert d["as_of_from"] == "--as-of" and d["open"]["oldest_age"] == 2 * DAY
    with pytest.raises(UsageError, match="--as-of"):
        Art(as_of="soon")
    with pytest.raises(UsageError, match="--method"):
        Art(method="median")


def test_no_note_when_few_are_open_and_the_median_agrees():
    import datetime as dt

    start = dt.datetime(2025, 1, 1)
    created = [start + dt.timedelta(hours=7 * i) for i in range(60)]
    resolved = [c + dt.timedelta(hours=1 + i % 9) for i, c in enumerate(created)]
    resolved[-1] = None  # 1 of 60 open, just created: the medians agree
    est = Art().compute(
        {
            "created": [c.isoformat() for c in created],
            "resolved": [None if r is None else r.isoformat() for r in resolved],
        }
    )
    assert est.details["open"]["count"] == 1 and not est.notes


def test_open_tickets_memory_is_bounded_and_ages_are_never_understated():
    import numpy as np

    from cxcli.kpis.art import OPEN_LIMIT, OpenTickets

    rng = np.random.default_rng(3)
    created = rng.integers(0, 30 * DAY * 10**6, 3 * OPEN_LIMIT)
    store = OpenTickets()
    for part in np.array_split(created, 7):
        store.add(part)
    merged = OpenTickets().merged(store)
    as_of = 30 * DAY * 10**6
    ages, counts = merged.ages(as_of)
    assert counts.sum() == created.size and ages.size <= OPEN_LIMIT
    resolution = merged.resolution / 10**6
    true_ages = np.sort((as_of - created) / 10**6)
    got = np.sort(np.repeat(ages, counts))
    assert np.all(got >= true_ages - 1e-9) and np.all(got - true_ages < resolution)


def test_merge_order_gives_the_same_answer():
    kpi = Art(method="km")
    import numpy as np

    rng = np.random.default_rng(8)
    n = 3000
    created = rng.integers(0, 30 * DAY, n) * 10**6
    seconds = np.exp(rng.normal(11, 1, n)).astype(np.int64) * 10**6
    resolved = np.where(created + seconds <= 30 * DAY * 10**6, created + seconds, -(2**63))
    parts = [
        kpi.update(kpi.init(), {"created": created[s], "resolved": resolved[s]})
        for s in (slice(0, 1000), slice(1000, 2200), slice(2200, None))
    ]
    one = kpi.merge(kpi.merge(parts[0], parts[1]), parts[2])
    other = kpi.merge(parts[2], kpi.merge(parts[1], parts[0]))
    a, b = kpi.settle(one).finalize(one), kpi.settle(other).finalize(other)
    assert (a.value, a.ci, a.details["km"]) == (b.value, b.ci, b.details["km"])
