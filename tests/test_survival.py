"""Kaplan–Meier, its intervals, the restricted mean and the log-rank test: by hand on small
cases (ties, all censored, none censored) and against lifelines on its bundled censored data
sets and on generated data."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_lymphoma, load_rossi, load_waltons
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time

from cxcli import survival as sv


def curve(times, ended) -> sv.Curve:
    times, ended = np.asarray(times, float), np.asarray(ended, bool)
    return sv.kaplan_meier(
        times[ended], np.ones(ended.sum()), times[~ended], np.ones((~ended).sum())
    )


def test_by_hand_with_a_tie_of_an_event_and_a_censoring():
    # 1 ends; at 2 one ends and one is censored (still at risk at 2); 3 ends; 4 is censored
    c = curve([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    assert c.times.tolist() == [1, 2, 3] and c.at_risk.tolist() == [5, 4, 2]
    assert c.survival == pytest.approx([0.8, 0.6, 0.3])
    assert c.greenwood[-1] == pytest.approx(1 / 20 + 1 / 12 + 1 / 2)
    assert sv.quantile(c, 0.5) == 3 and sv.quantile(c, 0.9) is None
    assert sv.restricted_mean(c) == pytest.approx(1 + 0.8 + 0.6 + 0.3)  # up to 4


def test_counts_are_the_same_as_repeated_rows():
    by_rows = curve([1, 1, 1, 2, 5, 5], [1, 1, 0, 1, 0, 0])
    by_counts = sv.kaplan_meier(
        np.array([1.0, 2.0]), np.array([2, 1]), np.array([1.0, 5.0]), np.array([1, 2])
    )
    assert by_counts.survival == pytest.approx(by_rows.survival)
    assert by_counts.greenwood == pytest.approx(by_rows.greenwood)


def test_all_censored_and_none_censored():
    none_ended = curve([3, 5, 8], [0, 0, 0])
    assert none_ended.n_events == 0 and sv.quantile(none_ended, 0.5) is None
    assert sv.restricted_mean(none_ended) == 8.0
    assert sv.quantile_interval(none_ended, 0.5, 0.95) == (None, None)
    all_ended = curve([5, 1, 3, 2], [1, 1, 1, 1])
    assert sv.quantile(all_ended, 0.5) == 2  # the plain median: smallest with rank ≥ n/2
    assert sv.restricted_mean(all_ended) == pytest.approx(np.mean([5, 1, 3, 2]))
    assert all_ended.survival[-1] == 0


DATASETS = {
    "waltons": (load_waltons, "T", "E"),
    "rossi": (load_rossi, "week", "arrest"),
    "lymphoma": (load_lymphoma, "Time", "Censor"),
}


def generated():
    rng = np.random.default_rng(4)
    times = np.round(rng.lognormal(3, 1, 400))
    censor = np.round(rng.uniform(0, 80, 400))
    return np.minimum(times, censor), times <= censor


@pytest.mark.parametrize("name", [*DATASETS, "generated"])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_equals_lifelines(name, confidence):
    if name == "generated":
        times, ended = generated()
    else:
        load, t, e = DATASETS[name]
        frame = load()
        times, ended = frame[t].to_numpy(float), frame[e].to_numpy(bool)
    kmf = KaplanMeierFitter(alpha=1 - confidence).fit(times, ended)
    c = curve(times, ended)
    assert c.survival == pytest.approx(kmf.survival_function_.loc[c.times].to_numpy().ravel())
    lower, upper = sv.bands(c, confidence)
    theirs = np.sort(kmf.confidence_interval_.loc[c.times].to_numpy(), axis=1)
    assert np.c_[lower, upper] == pytest.approx(theirs, abs=1e-12)
    median = kmf.median_survival_time_
    assert sv.quantile(c, 0.5) == (None if np.isinf(median) else median)
    low, high = median_survival_times(kmf.confidence_interval_).to_numpy().ravel()
    got = sv.quantile_interval(c, 0.5, confidence)
    assert got == (None if np.isinf(low) else low, None if np.isinf(high) else high)
    assert sv.restricted_mean(c) == pytest.approx(
        restricted_mean_survival_time(kmf, t=c.last_time), rel=1e-12
    )


def test_logrank_equals_lifelines():
    frame = load_waltons()
    control, treated = frame[frame.group == "control"], frame[frame.group != "control"]
    wanted = logrank_test(control["T"], treated["T"], control["E"], treated["E"]).p_value
    p, mde = sv.logrank(curve(control["T"], control["E"]), curve(treated["T"], treated["E"]), 0.95)
    assert p == pytest.approx(wanted, rel=1e-9) and mde > 0
    times, ended = generated()
    a, b = slice(0, 150), slice(150, None)
    wanted = logrank_test(times[a], times[b], ended[a], ended[b]).p_value
    p, _ = sv.logrank(curve(times[a], ended[a]), curve(times[b], ended[b]), 0.95)
    assert p == pytest.approx(wanted, rel=1e-9)
    assert sv.logrank(curve([1, 2], [0, 0]), curve([3], [0]), 0.95) is None
