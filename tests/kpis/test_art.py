"""ART against hand-computed cases and its edges."""

from __future__ import annotations

import pytest

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
