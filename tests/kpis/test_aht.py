"""AHT against hand-computed cases and its edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxcli.errors import ColumnNotFound, UsageError
from cxcli.kpis.aht import Aht
from cxcli.kpis.duration import EXACT_LIMIT, KLL_K, TAIL_LIMIT, DurationState, parse_quantiles


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


def test_single_total_column():
    kpi = Aht().bind({"handle": "d"})
    est = kpi.compute({"handle": ["1:02:03", "90", "-5", None]})
    assert kpi.definition == "aht.duration"
    assert (est.value, est.n) == (pytest.approx((3723 + 90) / 2), 2)
    assert "talk_mean" not in est.details


def test_the_total_wins_and_the_components_are_details():
    # the total is not the components' sum here (a queue, a transfer): the total counts
    est = Aht().compute(
        {"handle": [600, 300, None, 200], "talk": [400, 250, 100, None], "acw": [50, 20, 5, 5]}
    )
    assert (est.value, est.n) == (pytest.approx(1100 / 3), 3)  # the row with no total: missing
    assert est.details["talk_mean"] == pytest.approx(650 / 3)  # an empty component counts 0
    assert est.details["acw_mean"] == pytest.approx(25.0)
    assert "hold_mean" not in est.details


def test_units_and_clock_readings_from_options():
    assert Aht(unit="min").compute({"handle": [1.5, "2", "0:30"]}).value == pytest.approx(
        (90 + 120 + 30) / 3
    )
    hours = Aht(clock="hh:mm").compute({"handle": ["01:17", "00:30", "1:00:00"]})
    assert hours.value == pytest.approx((4620 + 1800 + 3600) / 3)
    minutes = Aht(clock="mm:ss").compute({"handle": ["01:17", "75:30"]})
    assert minutes.value == pytest.approx((77 + 4530) / 2)
    with pytest.raises(UsageError, match="--unit"):
        Aht(unit="weeks").compute({"handle": [1]})


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
    # a total found beside components wins; the components stay, for the details
    assert kpi.select_roles({}, {"talk": "t", "handle": "d"}) == {"handle": "d", "talk": "t"}
    assert kpi.select_roles({"handle": "D"}, {"talk": "t"}) == {"handle": "D", "talk": "t"}
    assert kpi.select_roles({}, {"handle": "d"}) == {"handle": "d"}
    assert kpi.select_roles({"handle": "D", "talk": "T"}, {}) == {"handle": "D", "talk": "T"}
    # naming a component uses components: every one the file has, never a silent subset
    found = {"talk": "t", "hold": "h", "handle": "d"}
    assert kpi.select_roles({"acw": "W"}, found) == {"talk": "t", "hold": "h", "acw": "W"}
    with pytest.raises(ColumnNotFound):
        kpi.select_roles({}, {})


def exact_quantiles(values: np.ndarray, probabilities: tuple[float, ...]) -> list[float]:
    """The oracle: the smallest value with at least a share p of values at or below it."""
    ordered = np.sort(values)
    return [float(ordered[max(math.ceil(p * len(values)), 1) - 1]) for p in probabilities]


def state_of(parts: list[np.ndarray]) -> DurationState:
    """Partial states merged, as the engine does with batches, byte ranges and groups."""
    state = DurationState()
    for part in parts:
        piece = DurationState()
        piece.add(part)
        state = state.merged(piece)
    return state


def test_values_kept_up_to_the_limit_then_counted_per_second():
    small = DurationState()
    small.add(np.arange(EXACT_LIMIT, dtype=float))
    assert small.bins is None and small.quantiles((0.5,))["p50"] == EXACT_LIMIT / 2 - 1
    small.add(np.array([1.0, 2.5, 1e9]))
    assert small.values == [] and small.bins is not None and small.sketch is None
    assert small.bins.size <= 4 * small.n  # bins grow with the values, not the largest one
    assert small.quantiles((0.0, 0.5, 1.0)) == {"p0": 0.0, "p50": 4999.0, "p100": 1e9}


def test_batches_added_to_one_state_count_every_repeated_second():
    """Batch after batch into one state, as a scan feeds it: each batch repeats seconds many
    times over, the later ones reach further (the bins grow between batches, up to 4 a value
    seen), and every whole second binned is counted once per occurrence."""
    rng = np.random.default_rng(3)
    state = DurationState()
    batches = [rng.integers(0, top, 30_000).astype(float) for top in (50, 5_000, 900_000, 10)]
    for batch in batches:
        state.add(batch)
    seen = np.concatenate(batches).astype(np.int64)
    assert state.bins is not None and 5_000 < state.bins.size < 900_000  # grown, then bounded
    binned = seen[seen < state.bins.size]  # the rest went to the tail
    assert state.bins.tolist() == np.bincount(binned, minlength=state.bins.size).tolist()
    wanted = exact_quantiles(seen.astype(float), PROBABILITIES)
    assert list(state.quantiles(PROBABILITIES).values()) == wanted


PROBABILITIES = (0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0)


def test_quantiles_exact_at_scale_whatever_the_merge_order():
    rng = np.random.default_rng(7)
    seconds = rng.integers(0, 3 * 86_400, 400_000).astype(float)
    long = rng.choice(rng.integers(1 << 20, 1 << 22, 20_000), 100_000)  # past the bins
    seconds[rng.choice(seconds.size, long.size, replace=False)] = long
    seconds[rng.integers(0, seconds.size, 500)] += 0.25  # some fractions: the tail
    wanted = exact_quantiles(seconds, PROBABILITIES)
    for pieces in (1, 3, 40, 400):
        parts = np.array_split(seconds, pieces)
        for order in (parts, parts[::-1]):
            state = state_of(order)
            assert state.sketch is None and state.bins is not None and state.tail is not None
            assert list(state.quantiles(PROBABILITIES).values()) == wanted, pieces


def test_too_many_distinct_values_fold_into_a_sketch():
    values = np.arange(TAIL_LIMIT + 10, dtype=float) + 0.5  # no whole seconds at all
    state = state_of(np.array_split(values, 5))
    assert state.sketch is not None and state.bins is None and state.n == values.size
    whole = DurationState()
    whole.add(np.arange(20_000, dtype=float))
    mixed = state.merged(whole).merged(state_of([np.array([1.0, 2.0])]))
    assert mixed.sketch is not None and mixed.n == values.size + 20_002
    ordered = np.sort(np.concatenate([values, np.arange(20_000), [1.0, 2.0]]))
    rank = np.searchsorted(ordered, mixed.quantiles((0.5,))["p50"]) / ordered.size
    assert abs(rank - 0.5) <= 0.01


def test_sketch_rank_error_within_one_percent():
    rng = np.random.default_rng(42)
    values = rng.lognormal(5, 1, 300_000)
    state = state_of(np.array_split(values, 7))
    assert state.sketch is not None
    ordered = np.sort(values)
    for q, got in state.quantiles((0.1, 0.5, 0.9, 0.99)).items():
        rank = np.searchsorted(ordered, got) / len(values)
        wanted = float(q[1:].replace("_", ".")) / 100
        assert abs(rank - wanted) <= 0.01, (q, rank)
    assert state.mean == pytest.approx(values.mean(), rel=1e-9)
    assert KLL_K >= 400


def test_the_bootstrap_interval_does_not_depend_on_merge_order():
    import numpy as np

    from cxcli.kpis.aht import Aht

    kpi = Aht()
    values = np.exp(np.random.default_rng(5).normal(6, 1.5, 300)).round(1)
    parts = [kpi.update(kpi.init(), {"handle": part}) for part in np.array_split(values, 4)]
    one = kpi.merge(kpi.merge(parts[0], parts[1]), kpi.merge(parts[2], parts[3]))
    other = kpi.merge(parts[3], kpi.merge(parts[1], kpi.merge(parts[2], parts[0])))
    a, b = kpi.finalize(one), kpi.finalize(other)
    assert a.details["ci_method"] == "bootstrap_t" and a.ci == b.ci
    assert a.details["median_ci"] == b.details["median_ci"]
