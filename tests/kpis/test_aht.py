"""AHT against hand-computed cases and its edges."""

from __future__ import annotations

import numpy as np
import pytest

from cxcli.errors import UsageError
from cxcli.kpis.aht import Aht
from cxcli.kpis.duration import EXACT_LIMIT, KLL_K, DurationState, parse_quantiles


def test_components_empty_counts_as_zero_all_empty_is_missing():
    est = Aht().compute(
        {
            "talk": ["5:00", 120, None, None, "bad"],
            "hold": [60, None, None, "0:30", 10],
            "acw": ["00:01:00", 30, None, None, 10],
        }
    )
    # rows: 300+60+60=420, 120+0+30=150, (all empty: missing), 0+30+0=30, (invalid)
    assert (est.value, est.n) == (pytest.approx(200.0), 3)
    assert est.details["median"] == 150.0
    assert est.details["talk_mean"] == pytest.approx(140.0)
    assert est.details["hold_mean"] == pytest.approx(30.0)


def test_single_duration_column():
    kpi = Aht().bind({"duration": "d"})
    est = kpi.compute({"duration": ["1:02:03", "90", "-5", None]})
    assert kpi.definition == "aht.duration"
    assert (est.value, est.n) == (pytest.approx((3723 + 90) / 2), 2)
    assert "talk_mean" not in est.details


def test_quantile_option():
    assert parse_quantiles("0.5, 0.9,0.99") == (0.5, 0.9, 0.99)
    with pytest.raises(UsageError):
        Aht(quantiles="1.5")
    est = Aht(quantiles="0.25,0.75").compute({"talk": [10, 20, 30, 40]})
    # the smallest value with at least that share of values at or below it
    expected = np.quantile([10, 20, 30, 40], [0.25, 0.75], method="inverted_cdf")
    assert (
        est.details["quantiles"]
        == {"p25": 10.0, "p75": 30.0}
        == dict(zip(("p25", "p75"), expected.tolist(), strict=True))
    )


def test_empty_and_single_row():
    assert Aht().compute({"talk": []}).value is None
    est = Aht().compute({"talk": [42]})
    assert est.value == 42.0 and est.ci is None and est.details["median"] == 42.0


def test_role_selection():
    kpi = Aht()
    assert kpi.select_roles({}, {"talk": "t", "duration": "d"}) == {"talk": "t"}
    assert kpi.select_roles({"duration": "D"}, {"talk": "t"}) == {"duration": "D"}
    assert kpi.select_roles({}, {"duration": "d"}) == {"duration": "d"}
    with pytest.raises(UsageError):
        kpi.select_roles({"duration": "D", "talk": "T"}, {})


def test_exact_up_to_the_limit_then_sketch():
    small = DurationState()
    small.add(np.arange(EXACT_LIMIT, dtype=float))
    assert small.sketch is None and small.quantiles((0.5,))["p50"] == EXACT_LIMIT / 2 - 1
    small.add(np.array([1.0]))
    assert small.sketch is not None and small.values == []
    merged = DurationState()
    for _ in range(3):
        part = DurationState()
        part.add(np.arange(EXACT_LIMIT // 2, dtype=float))
        merged = merged.merged(part)
    assert merged.sketch is not None and merged.n == 3 * (EXACT_LIMIT // 2)


def test_sketch_rank_error_within_one_percent():
    rng = np.random.default_rng(42)
    values = rng.lognormal(5, 1, 300_000)
    state = DurationState()
    for part in np.array_split(values, 7):  # partial states merged, as the engine does
        piece = DurationState()
        piece.add(part)
        state = state.merged(piece)
    ordered = np.sort(values)
    for q, got in state.quantiles((0.1, 0.5, 0.9, 0.99)).items():
        rank = np.searchsorted(ordered, got) / len(values)
        wanted = float(q[1:].replace("_", ".")) / 100
        assert abs(rank - wanted) <= 0.01, (q, rank)
    assert state.mean == pytest.approx(values.mean(), rel=1e-9)
    assert KLL_K >= 400
