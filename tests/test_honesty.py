"""Data with a known truth, through the command as a user runs it: cx's answers must match the
truth within their stated uncertainty — open tickets, NPS periods drawn from one distribution
across thousands of segments, lognormal handle times per agent, rosters with in-window joiners
who leave — and every change test of a run is adjusted together."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

DAY = 86_400


def test_open_tickets_do_not_bias_the_km_median(cx, tmp_path):
    """15% of tickets still open (opened over the 30 days before the export, lognormal
    times): the resolved tickets' median is far low; the Kaplan–Meier median covers the truth,
    and by week nothing 'improves' under the log-rank test."""
    rng = np.random.default_rng(12)
    n, median = 20_000, 2.5 * DAY
    export = pd.Timestamp("2025-07-01")
    created = export - pd.to_timedelta(rng.uniform(0, 30 * DAY, n).round(), unit="s")
    resolved = created + pd.to_timedelta(np.exp(rng.normal(np.log(median), 1.2, n)).round(), "s")
    closed = np.where(resolved <= export, resolved.strftime("%Y-%m-%dT%H:%M:%S"), "")
    path = tmp_path / "tickets.csv"
    frame = pd.DataFrame(
        {"created_at": created.strftime("%Y-%m-%dT%H:%M:%S"), "resolved_at": closed}
    )
    frame.to_csv(path, index=False)
    plain = cx("art", str(path), "-q").json
    assert 0.13 < plain["details"]["open"]["share"] < 0.18
    assert plain["details"]["median"] < 0.9 * median  # the resolved ones alone: biased low
    assert any("still open" in note and "--method km" in note for note in plain["notes"])
    km = cx("art", str(path), "--method", "km", "-q").json
    assert km["definition"] == "art.km" and km["ci"]["low"] <= median <= km["ci"]["high"]
    assert km["details"]["km"]["median"] == plain["details"]["km"]["median"] == km["value"]
    weekly = cx("art", str(path), "--method", "km", "--period", "week", "-q").json
    changes = [g["change"] for g in weekly["groups"] if g.get("change") and g["change"]["test"]]
    assert changes and all(c["test"] == "logrank" for c in changes)
    assert not any(c["significant"] for c in changes)
    by_mean = cx("art", str(path), "--period", "week", "-q").json  # the bias the mean has
    assert any(g["change"] and g["change"]["significant"] for g in by_mean["groups"])


def test_thousands_of_small_segments_from_one_distribution(cx, tmp_path):
    """n = 10 per segment and period, 1,500 segments, nothing changes: the raw tests flag at
    most their α; adjusted together, (almost) none."""
    rng = np.random.default_rng(2)
    segments, n = 1500, 10
    scores = rng.choice(11, size=segments * 2 * n, p=[0.04] * 7 + [0.14, 0.14, 0.22, 0.22])
    frame = pd.DataFrame(
        {
            "segment": np.repeat(np.arange(segments), 2 * n),
            "month": np.tile(np.repeat(["2025-01-15", "2025-02-15"], n), segments),
            "nps": scores,
        }
    )
    path = tmp_path / "survey.csv"
    frame.to_csv(path, index=False)
    args = ["nps", str(path), "--by", "segment", "--period", "month", "--time", "month", "-q"]
    raw = cx(*args, "--adjust", "none", "-f", "json").json
    changes = [g["change"] for g in raw["groups"] if g.get("change")]
    assert len(changes) == segments
    assert np.mean([c["p_value"] < 0.05 for c in changes]) <= 0.06
    assert raw["params"]["adjust"] == "none"
    assert all(c["p_adjusted"] == c["p_value"] for c in changes)
    adjusted = cx(*args, "-f", "json").json  # bh by default
    flagged = [g["change"]["significant"] for g in adjusted["groups"] if g.get("change")]
    assert sum(flagged) <= 1
    assert any(
        "1500 change tests adjusted together (Benjamini–Hochberg)" in x for x in adjusted["notes"]
    )
    wanted = multipletests([c["p_value"] for c in changes], method="fdr_bh")[1]
    got = [g["change"]["p_adjusted"] for g in adjusted["groups"] if g.get("change")]
    assert got == pytest.approx(list(wanted), rel=1e-12)


def test_lognormal_handle_times_per_agent(cx, tmp_path):
    """200 agents with 30 calls each, lognormal (σ = 1.5): the bootstrap interval of each
    agent's mean covers the true mean for at least 85% of them (Student t: about 79%)."""
    rng = np.random.default_rng(6)
    agents, calls, sigma = 200, 30, 1.5
    handle = np.exp(rng.normal(5.5, sigma, agents * calls)).round(1)
    frame = pd.DataFrame({"agent": np.repeat(np.arange(agents), calls), "handle_time": handle})
    path = tmp_path / "calls.csv"
    frame.to_csv(path, index=False)
    data = cx("aht", str(path), "--handle", "handle_time", "--by", "agent", "-q").json
    truth = np.exp(5.5 + sigma**2 / 2)
    groups = data["groups"]
    assert all(g["details"]["ci_method"] == "bootstrap_t" for g in groups)
    covered = np.mean([g["ci"]["low"] <= truth <= g["ci"]["high"] for g in groups])
    assert covered >= 0.85
    median = np.exp(5.5)
    inside = np.mean(
        [g["details"]["median_ci"][0] <= median <= g["details"]["median_ci"][1] for g in groups]
    )
    assert inside >= 0.9  # order statistics: at least 95% in theory
    again = cx("aht", str(path), "--handle", "handle_time", "--by", "agent", "-q").json
    assert [g["ci"] for g in again["groups"]] == [g["ci"] for g in groups]  # seeded


@pytest.mark.parametrize("seed", range(6))
def test_retention_and_churn_add_up_to_100(cx, tmp_path, seed):
    """Rosters with joiners who leave inside the window: the cohort retention is 100 − churn
    always; the classic CRR differs, by the joiners who left, and says so."""
    rng = np.random.default_rng(seed)
    n = 400
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 540, n), unit="D")
    length = pd.to_timedelta(rng.integers(1, 400, n), unit="D")
    end = np.where(rng.random(n) < 0.6, (start + length).strftime("%Y-%m-%d"), "")
    ids = rng.integers(0, 330, n)  # some customers have several subscriptions
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in ids],
            "start_date": start.strftime("%Y-%m-%d"),
            "end_date": end,
        }
    )
    path = tmp_path / "roster.csv"
    frame.to_csv(path, index=False)
    window = ["--from", "2025-01-01", "--to", "2025-04-01", "-q"]
    churn = cx("churn", str(path), *window).json
    cohort = cx("retention", str(path), *window).json
    crr = cx("retention", str(path), *window, "--method", "crr").json
    assert cohort["value"] + churn["value"] == pytest.approx(100, abs=1e-9)
    assert cohort["n"] == churn["n"] == churn["details"]["S"]
    d = crr["details"]
    assert crr["value"] == pytest.approx(100 * (d["E"] - d["N"] - d["reactivated"]) / d["S"])
    if abs(crr["value"] - cohort["value"]) > 1:
        assert any("classic CRR" in note for note in crr["notes"] + cohort["notes"])


def test_a_baseline_joins_the_runs_family_of_tests(cx, tmp_path, write_csv):
    rows = ["Submitted At,LTR"]
    rng = np.random.default_rng(1)
    for month in range(1, 7):
        rows += [f"2025-{month:02d}-10,{s}" for s in rng.integers(0, 11, 60)]
    path = write_csv("s.csv", "\n".join(rows) + "\n")
    previous = tmp_path / "before.json"
    previous.write_text(cx("nps", str(path), "-q", "-f", "json").stdout)
    data = cx("nps", str(path), "--period", "month", "--baseline", str(previous), "-q").json
    raw = [g["change"]["p_value"] for g in data["groups"] if g.get("change")]
    raw.append(data["baseline"]["p_value"])
    wanted = multipletests(raw, method="fdr_bh")[1]
    got = [g["change"]["p_adjusted"] for g in data["groups"] if g.get("change")]
    assert [*got, data["baseline"]["p_adjusted"]] == pytest.approx(list(wanted), rel=1e-12)
    holm = cx("nps", str(path), "--period", "month", "--adjust", "holm", "-q").json
    wanted = multipletests(raw[:-1], method="holm")[1]
    got = [g["change"]["p_adjusted"] for g in holm["groups"] if g.get("change")]
    assert got == pytest.approx(list(wanted), rel=1e-12)
    assert cx("nps", str(path), "--adjust", "fdr").exit_code == 2
