"""An independent check of every number in the golden files: each is recomputed from the sample
data without cx code — pandas for the counts, scipy, statsmodels and lifelines for intervals and
tests, the published formulas written out where no library has them (the adjusted-Wald NPS
interval, the minimum detectable effect) — so `make golden` cannot approve a number no oracle has
seen. `verify(name, data)` fails on a wrong number and on any number it did not check."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times, restricted_mean_survival_time
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from test_oracle import oracle_scores
from test_oracle_customers import counts, roster
from test_oracle_tickets import seconds
from test_stats import brute_force_nps_p

CONFIDENCE = 0.95
EXACT_BELOW = 20  # the documented rule: an expected count below this → the exact test
RESAMPLES, SEED = 2000, 20250101  # the documented bootstrap
DAY = pd.Timedelta(days=1)


def numbers(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, float]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from numbers(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from numbers(item, (*path, i))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, value


class Golden:
    """A golden report and the paths of the numbers checked so far."""

    def __init__(self, data: dict) -> None:
        self.data, self.seen = data, set()

    def get(self, path: tuple) -> Any:
        value = self.data
        for key in path:
            value = value[key]
        return value

    def check(self, path: tuple, expected: Any, rel: float = 1e-9) -> None:
        got = self.get(path)
        if isinstance(expected, dict):
            assert isinstance(got, dict) and set(got) >= set(expected), path
            for key, item in expected.items():
                self.check((*path, key), item, rel)
        elif isinstance(expected, list | tuple):
            assert isinstance(got, list) and len(got) == len(expected), (path, got, expected)
            for i, item in enumerate(expected):
                self.check((*path, i), item, rel)
        elif expected is None:
            assert got is None, (path, got)
        elif isinstance(expected, bool | str):
            assert got == expected, (path, got, expected)
        else:
            assert got == pytest.approx(float(expected), rel=rel, abs=1e-9), (path, got, expected)
            self.seen.add(path)

    def unchecked(self) -> list[tuple]:
        allowed = {"schema_version", "params"}  # the format's version; the options given
        return [p for p, _ in numbers(self.data) if p not in self.seen and p[0] not in allowed]


def read(name: str, columns: list[str] | None = None) -> pd.DataFrame:
    path = SAMPLE / name
    if name.endswith(".parquet"):
        return pd.read_parquet(path, columns=columns)
    return pd.read_csv(path, dtype=str, keep_default_na=False, usecols=columns)


def check_inputs(g: Golden, files: list[str]) -> None:
    for i, name in enumerate(files):
        g.check(("inputs", i, "size"), os.path.getsize(SAMPLE / name))
        g.check(("inputs", i, "rows"), len(read(name)))


def check_quality(
    g: Golden, path: tuple, frame: pd.DataFrame, used, missing, invalid, **extra
) -> None:
    """Row accounting, and each invalid example: its row of the file holds its value."""
    q = (*path, "quality")
    g.check(q, {"rows": len(frame), "used": int(used.sum()), "missing": int(missing.sum())})
    g.check(q, {"invalid": int(invalid.sum()), **extra})
    for i, example in enumerate(g.get((*q, "invalid_examples"))):
        file = read(example["file"]) if example.get("file") else frame
        cell = file.iloc[example["row"] - 1][example["column"]]
        where = (*q, "invalid_examples", i)
        g.check((*where, "row"), example["row"])
        if isinstance(example["value"], str):
            assert str(cell).startswith(example["value"].rstrip("…")), example
        else:  # a typed file's value
            g.check((*where, "value"), float(cell))


def check_ci(g: Golden, path: tuple, low_high) -> None:
    if low_high is None:
        g.check((*path, "ci"), None)
    else:
        low, high = low_high
        g.check((*path, "ci"), {"level": CONFIDENCE, "low": low, "high": high})


def z(level: float = CONFIDENCE) -> float:
    return stats.norm.ppf(0.5 + level / 2)


def mde(se: float) -> float:
    return (z() + stats.norm.ppf(0.8)) * se


def wilson(k: int, n: int) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=1 - CONFIDENCE, method="wilson")
    return 100 * low, 100 * high


# -- the change tests --------------------------------------------------------------------------
def share_change(k1: int, n1: int, k2: int, n2: int) -> dict:
    pooled = (k1 + k2) / (n1 + n2)
    present = [c for c in (k1 + k2, n1 + n2 - k1 - k2) if c]
    out = {"mde": 100 * mde(math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)))}
    if min(n1, n2) * min(present) / (n1 + n2) < EXACT_BELOW:
        dist = stats.hypergeom(n1 + n2, k1 + k2, n1)
        x = np.arange(n1 + 1)
        expected = n1 * (k1 + k2) / (n1 + n2)
        far = np.abs(x - expected) >= abs(k1 - expected) - 1e-9
        return {**out, "test": "fisher_exact", "p_value": float(dist.pmf(x)[far].sum())}
    _, p = proportions_ztest([k2, k1], [n2, n1])
    return {**out, "test": "pooled_z", "p_value": float(p)}


def nps_change(a: tuple[int, int, int], b: tuple[int, int, int]) -> dict:
    """(promoters, detractors, n) before and after."""
    (p1, d1, n1), (p2, d2, n2) = a, b
    total = n1 + n2
    pooled = [(p1 + p2), (d1 + d2), total - p1 - p2 - d1 - d2]
    p, d = pooled[0] / total, pooled[1] / total
    se = math.sqrt((p + d - (p - d) ** 2) * (1 / n1 + 1 / n2))
    out = {"mde": 100 * mde(se)}
    if min(n1, n2) * min(c for c in pooled if c) / total < EXACT_BELOW:
        exact = brute_force_nps_p(p1, d1, n1, p2, d2, n2)
        return {**out, "test": "permutation_exact", "p_value": exact}
    delta = (p2 - d2) / n2 - (p1 - d1) / n1
    return {**out, "test": "pooled_z", "p_value": 2 * stats.norm.sf(abs(delta) / se)}


def welch_change(a: np.ndarray, b: np.ndarray) -> dict:
    result = stats.ttest_ind(b, a, equal_var=False)
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    return {"test": "welch_t", "p_value": float(result.pvalue), "mde": mde(se)}


def check_changes(g: Golden, tests: dict[int, dict], labels: list) -> None:
    """Each group's change against the group before it (`tests` by group index, `labels` the
    previous period or None), adjusted together as Benjamini-Hochberg (statsmodels)."""
    tested = [i for i in sorted(tests) if tests[i] and tests[i].get("p_value") is not None]
    adjusted = multipletests([tests[i]["p_value"] for i in tested], method="fdr_bh")[1]
    for i, group in enumerate(g.data["groups"]):
        if labels[i] is None:
            g.check(("groups", i, "change"), None)
            continue
        change = {"vs": labels[i], **tests.get(i, {})}
        if i in tested:
            p = adjusted[tested.index(i)] if len(tested) > 1 else change["p_value"]
            change.update(p_adjusted=p, adjust="bh", significant=bool(p < 1 - CONFIDENCE))
        else:
            change.update(p_value=None, p_adjusted=None, test=None, mde=None, significant=None)
        g.check(("groups", i, "change"), change, rel=1e-7)
        values = (g.get(("groups", i - 1, "value")), group["value"])
        g.check(("groups", i, "change", "delta"), None if None in values else values[1] - values[0])


def periods(keys: list[dict]) -> list[str | None]:
    """The previous period of each group in the same segment, or None."""
    out: list[str | None] = []
    for i, key in enumerate(keys):
        before = keys[i - 1] if i else None
        same = before is not None and {k: v for k, v in before.items() if k != "period"} == {
            k: v for k, v in key.items() if k != "period"
        }
        out.append(before["period"] if same and key.get("period") and before["period"] else None)
    return out


# -- surveys -------------------------------------------------------------------------------------
def survey(column: str, low: int, high: int, where=None) -> tuple[pd.DataFrame, pd.Series, ...]:
    frame = read("survey.csv")
    kept = frame if where is None else frame[where(frame)]
    scores, missing, invalid = oracle_scores(kept[column], low, high)
    return kept, scores, missing, invalid, len(frame) - len(kept)


def nps_numbers(scores: pd.Series) -> tuple[dict, int, tuple[float, float] | None, tuple]:
    valid = scores.dropna().astype(int)
    n = len(valid)
    p, a, d = int((valid >= 9).sum()), int(valid.between(7, 8).sum()), int((valid <= 6).sum())
    details = {
        "promoters": p,
        "passives": a,
        "detractors": d,
        "pct_promoters": 100 * p / n,
        "pct_passives": 100 * a / n,
        "pct_detractors": 100 * d / n,
        "distribution": {str(s): int((valid == s).sum()) for s in range(11)},
    }
    pa, da = (p + 0.75) / (n + 3), (d + 0.75) / (n + 3)  # adjusted Wald (Rocks 2016)
    half = z() * math.sqrt((pa + da - (pa - da) ** 2) / (n + 3))
    ci = (100 * max(-1, pa - da - half), 100 * min(1, pa - da + half))
    return details, 100 * (p - d) / n, ci, (p, d, n)


def check_nps(g: Golden, by: list[str], period: str | None = None, source="survey.csv") -> None:
    frame = read(source)
    if source.endswith(".parquet"):  # scores as numbers (missing = null), times typed
        frame = frame.assign(LTR=frame["LTR"].map(lambda v: "" if pd.isna(v) else f"{v:g}"))
    when = pd.to_datetime(frame["Submitted At"], utc=True)
    inside = pd.Series(True, index=frame.index)
    params = g.data["params"]
    if params.get("since") or g.data["quality"]["filtered_out"]:
        inside = (when >= "2025-03-01") & (when < "2025-04-01")
    frame, when = frame[inside], when[inside]
    scores, missing, invalid = oracle_scores(frame["LTR"], 0, 10)
    used = scores.notna()
    filtered = int((~inside).sum())
    details, value, ci, _ = nps_numbers(scores)
    g.check((), {"value": value, "n": int(used.sum()), "details": details})
    check_ci(g, (), ci)
    check_quality(g, (), frame, used, missing, invalid, filtered_out=filtered, skipped_lines=0)
    if not by and not period:
        return
    label = _period_labels(when, period) if period else None
    keys = [*by, "period"] if period else by
    table = frame.assign(period=label) if period else frame
    groups = list(table.groupby(keys, sort=True))
    assert len(groups) == len(g.data["groups"])
    counted = []
    for i, (key, part) in enumerate(groups):
        key = key if isinstance(key, tuple) else (key,)
        assert g.data["groups"][i]["key"] == dict(zip(keys, key, strict=True))
        s, m, bad = scores[part.index], missing[part.index], invalid[part.index]
        details, value, ci, stat = nps_numbers(s)
        counted.append(stat)
        g.check(("groups", i), {"value": value, "n": stat[2], "details": details})
        check_ci(g, ("groups", i), ci)
        check_quality(g, ("groups", i), part, s.notna(), m, bad)
    if period:
        labels = periods([grp["key"] for grp in g.data["groups"]])
        tests = {i: nps_change(counted[i - 1], counted[i]) for i, x in enumerate(labels) if x}
        check_changes(g, tests, labels)


def _period_labels(when: pd.Series, period: str) -> pd.Series:
    if period == "month":
        return when.dt.strftime("%Y-%m")
    iso = when.dt.isocalendar()
    return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)


def check_csat(g: Golden) -> None:
    frame, scores, missing, invalid, _ = survey("Sat", 1, 5)

    def numbers_of(s: pd.Series) -> tuple[dict, float, tuple, int]:
        valid = s.dropna()
        n, satisfied = len(valid), int((valid >= 4).sum())
        details = {
            "satisfied": satisfied,
            "unsatisfied": n - satisfied,
            "mean": valid.mean(),
            "sd": valid.std(ddof=1),
            "distribution": {str(x): int((valid == x).sum()) for x in range(1, 6)},
        }
        return details, 100 * satisfied / n, wilson(satisfied, n), n

    details, value, ci, n = numbers_of(scores)
    g.check((), {"value": value, "n": n, "details": details})
    check_ci(g, (), ci)
    check_quality(g, (), frame, scores.notna(), missing, invalid, filtered_out=0, skipped_lines=0)
    for i, (channel, part) in enumerate(frame.groupby("Channel", sort=True)):
        assert g.data["groups"][i]["key"] == {"Channel": channel}
        s = scores[part.index]
        details, value, ci, n = numbers_of(s)
        g.check(("groups", i), {"value": value, "n": n, "details": details})
        check_ci(g, ("groups", i), ci)
        check_quality(g, ("groups", i), part, s.notna(), missing[part.index], invalid[part.index])


def check_ces(g: Golden) -> None:
    frame, scores, missing, invalid, filtered = survey(
        "Effort", 1, 7, where=lambda f: f["Region"] == "EMEA"
    )
    valid = scores.dropna()
    n = len(valid)
    easy, hard = int((valid >= 5).sum()), int((valid <= 3).sum())
    details = {
        "mean": valid.mean(),
        "sd": valid.std(ddof=1),
        "easy": easy,
        "difficult": hard,
        "pct_easy": 100 * easy / n,
        "pct_difficult": 100 * hard / n,
        "index": 100 * (easy - hard) / n,
        "distribution": {str(x): int((valid == x).sum()) for x in range(1, 8)},
    }
    g.check((), {"value": valid.mean(), "n": n, "details": details})
    low, high = stats.t.interval(CONFIDENCE, n - 1, loc=valid.mean(), scale=stats.sem(valid))
    check_ci(g, (), (max(1, low), min(7, high)))
    check_quality(
        g, (), frame, scores.notna(), missing, invalid, filtered_out=filtered, skipped_lines=0
    )


# -- tickets ------------------------------------------------------------------------------------
def check_fcr(g: Golden) -> None:
    df = read("tickets.csv")
    flag = df["Reopened"].str.strip().str.lower()
    yes, no = ["yes", "y", "true", "1", "t"], ["no", "n", "false", "0", "f", ""]
    reopened, bad = flag.isin(yes), ~flag.isin(yes + no)
    resolved = df["Closed"] != ""
    touches = pd.to_numeric(df["Touches"].where(~df["Touches"].isin(["", "n/a"])), errors="coerce")
    missing = resolved & touches.isna() & ~bad
    used = ~bad & ~missing
    ok = used & resolved
    first = ok & (touches <= 1) & ~reopened

    def numbers_of(rows) -> tuple[dict, float, tuple, int]:
        n, f = int(ok[rows].sum()), int(first[rows].sum())
        again = int((ok & reopened)[rows].sum())
        details = {
            "resolved_first_contact": f,
            "resolved": n,
            "unresolved": int((used & ~resolved)[rows].sum()),
            "reopened": again,
            "pct_reopened": 100 * again / n,
        }
        return details, 100 * f / n, wilson(f, n), n

    everything = df.index
    details, value, ci, n = numbers_of(everything)
    g.check((), {"value": value, "n": n, "details": details})
    check_ci(g, (), ci)
    check_quality(g, (), df, used, missing, bad, filtered_out=0, skipped_lines=0)
    for i, (queue, part) in enumerate(df.groupby("Queue", sort=True)):
        assert g.data["groups"][i]["key"] == {"Queue": queue}
        details, value, ci, n = numbers_of(part.index)
        g.check(("groups", i), {"value": value, "n": n, "details": details})
        check_ci(g, ("groups", i), ci)
        rows = part.index
        check_quality(g, ("groups", i), part, used[rows], missing[rows], bad[rows])


def rank_value(sorted_values: np.ndarray, rank: int) -> float:
    return float(sorted_values[rank - 1])


def quantile(values: np.ndarray, p: float) -> float:
    """The smallest value whose rank is at least p · n (the documented definition)."""
    ordered = np.sort(values)
    return rank_value(ordered, min(max(math.ceil(p * len(values)), 1), len(values)))


def median_interval(values: np.ndarray) -> list[float] | None:
    """Order statistics l, u with P(B ≤ l − 1) ≤ α/2 and P(B ≥ u) ≤ α/2, B ~ binomial(n, ½)."""
    n, alpha = len(values), 1 - CONFIDENCE
    b = stats.binom(n, 0.5)
    if n > 1000:
        spread = z() * math.sqrt(n / 4)
        low, high = math.floor(n / 2 - spread), math.ceil(n / 2 + spread) + 1
    else:
        ks = np.arange(n + 1)
        lows, highs = ks[b.cdf(ks) <= alpha / 2], ks[b.cdf(ks) >= 1 - alpha / 2]
        if not lows.size or not highs.size:
            return None
        low, high = int(lows[-1]) + 1, int(highs[0]) + 1
    ordered = np.sort(values)
    return [rank_value(ordered, low), rank_value(ordered, high)]


def bootstrap_t(values: np.ndarray) -> tuple[float, float]:
    """The documented studentised bootstrap, written from its description."""
    x = np.sort(values)
    n, mean, sd = x.size, x.mean(), x.std(ddof=1)
    rng = np.random.default_rng(SEED)
    draws = []
    step = max(1, 2_000_000 // n)
    for start in range(0, RESAMPLES, step):
        picks = rng.integers(0, n, size=(min(step, RESAMPLES - start), n), dtype=np.int32)
        sample = x[picks]
        spread = sample.std(axis=1, ddof=1)
        keep = spread > 0
        draws.append((sample.mean(axis=1)[keep] - mean) / (spread[keep] / math.sqrt(n)))
    t = np.concatenate(draws)
    upper, lower = np.quantile(t, [0.975, 0.025])
    return max(0.0, mean - upper * sd / math.sqrt(n)), mean - lower * sd / math.sqrt(n)


def mean_ci(values: np.ndarray) -> tuple[tuple[float, float], str]:
    if 10 <= len(values) <= 1000:
        return bootstrap_t(values), "bootstrap_t"
    low, high = stats.t.interval(
        CONFIDENCE, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
    )
    return (max(0.0, low), high), "student_t"


def duration_numbers(values: np.ndarray, quantiles=(0.5, 0.9)) -> tuple[dict, tuple]:
    ci, method = mean_ci(values)
    details = {
        "mean": values.mean(),
        "sd": values.std(ddof=1),
        "median": quantile(values, 0.5),
        "median_ci": median_interval(values),
        "p90": quantile(values, 0.9),
        "quantiles": {f"p{round(q * 100)}": quantile(values, q) for q in quantiles},
        "ci_method": method,
    }
    return details, ci


def check_aht(g: Golden) -> None:
    df = read("tickets.parquet").astype(str).replace({"None": "", "nan": ""})
    parts = {c: seconds(df[c]) for c in ("Talk", "Hold", "Wrap")}
    invalid = parts["Talk"][2] | parts["Hold"][2] | parts["Wrap"][2]
    missing = parts["Talk"][1] & parts["Hold"][1] & parts["Wrap"][1] & ~invalid
    used = ~invalid & ~missing
    handle = parts["Talk"][0] + parts["Hold"][0] + parts["Wrap"][0]

    def numbers_of(rows) -> tuple[dict, tuple]:
        details, ci = duration_numbers(handle[rows & used].to_numpy())
        for role, column in (("talk", "Talk"), ("hold", "Hold"), ("acw", "Wrap")):
            details[f"{role}_mean"] = parts[column][0][rows & used].mean()
        return details, ci

    everything = pd.Series(True, index=df.index)
    details, ci = numbers_of(everything)
    g.check((), {"value": handle[used].mean(), "n": int(used.sum()), "details": details})
    check_ci(g, (), ci)
    check_quality(g, (), df, used, missing, invalid, filtered_out=0, skipped_lines=0)
    ranked = []
    for i, (agent, part) in enumerate(df.groupby("Agent", sort=True)):
        assert g.data["groups"][i]["key"] == {"Agent": agent}
        rows = df.index.isin(part.index)
        rows = pd.Series(rows, index=df.index)
        details, ci = numbers_of(rows)
        n = int((rows & used).sum())
        value = handle[rows & used].mean()
        g.check(("groups", i), {"value": value, "n": n, "details": details}, rel=1e-9)
        check_ci(g, ("groups", i), ci)
        check_quality(g, ("groups", i), part, used[rows], missing[rows], invalid[rows])
        assert g.data["groups"][i]["too_small"] == (n < 120)
        if n >= 120:
            ranked.append((value, agent, n))
    ranked.sort()
    best = [{"key": {"Agent": a}, "value": v, "n": n} for v, a, n in ranked[:3]]
    worst = [{"key": {"Agent": a}, "value": v, "n": n} for v, a, n in reversed(ranked[-3:])]
    too_small = len(g.data["groups"]) - len(ranked)
    g.check(("ranking",), {"top": 3, "best": best, "worst": worst, "too_small": too_small})


def check_art(g: Golden) -> None:
    df = read("tickets.csv")
    created = pd.to_datetime(df["Opened"], utc=True)
    closed = pd.to_datetime(df["Closed"].replace("", None), utc=True)
    invalid = closed < created
    used = ~invalid
    done = used & closed.notna()
    as_of = max(created[used].max(), closed[done].max())
    seconds_ = (closed - created).dt.total_seconds()
    age = (as_of - created).dt.total_seconds()

    def numbers_of(rows) -> tuple[dict, tuple, np.ndarray]:
        values = seconds_[rows & done].to_numpy()
        details, ci = duration_numbers(values, (0.5, 0.9, 0.99))
        open_ = rows & used & closed.isna()
        ages = age[open_].to_numpy()
        details.update(
            resolved=len(values),
            unresolved=int(open_.sum()),
            as_of=as_of.strftime("%Y-%m-%dT%H:%M:%S"),
            open={
                "count": int(open_.sum()),
                "share": open_.sum() / (open_.sum() + len(values)),
                "median_age": quantile(ages, 0.5) if ages.size else None,
                "oldest_age": ages.max() if ages.size else None,
                "age_resolution": 1e-6,
            },
            km=_km(values, ages),
        )
        return details, ci, values

    everything = pd.Series(True, index=df.index)
    details, ci, _ = numbers_of(everything)
    g.check((), {"value": details["mean"], "n": details["resolved"], "details": details})
    check_ci(g, (), ci)
    check_quality(g, (), df, used, pd.Series(False, index=df.index), invalid)
    g.check(("quality",), {"filtered_out": 0, "skipped_lines": 0})
    month = created.dt.strftime("%Y-%m")
    resolved_values = []
    for i, label in enumerate(sorted(month.unique())):
        rows = month == label
        assert g.data["groups"][i]["key"] == {"period": label}
        details, ci, values = numbers_of(rows)
        resolved_values.append(values)
        g.check(("groups", i), {"value": values.mean(), "n": len(values), "details": details})
        check_ci(g, ("groups", i), ci)
        part = df[rows]
        check_quality(g, ("groups", i), part, used[rows], (~used & False)[rows], invalid[rows])
    labels = periods([grp["key"] for grp in g.data["groups"]])
    tests = {
        i: welch_change(resolved_values[i - 1], resolved_values[i])
        for i, x in enumerate(labels)
        if x
    }
    check_changes(g, tests, labels)


def _km(resolved: np.ndarray, open_ages: np.ndarray) -> dict:
    durations = np.concatenate([resolved, open_ages])
    ended = np.r_[np.ones(resolved.size), np.zeros(open_ages.size)]
    kmf = KaplanMeierFitter(alpha=1 - CONFIDENCE).fit(durations, ended)

    def finite(x: float) -> float | None:
        return None if np.isinf(x) else float(x)

    low, high = median_survival_times(kmf.confidence_interval_).to_numpy().ravel()
    tau = float(durations.max())
    return {
        "median": finite(kmf.median_survival_time_),
        "median_ci": [finite(low), finite(high)],
        "p90": finite(kmf.percentile(0.1)),
        "restricted_mean": restricted_mean_survival_time(kmf, t=tau),
        "restricted_to": tau,
        "quantiles": {
            "p50": finite(kmf.median_survival_time_),
            "p90": finite(kmf.percentile(0.1)),
            "p99": finite(kmf.percentile(0.01)),
        },
    }


# -- customers and revenue ---------------------------------------------------------------------
def roster_quality(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    start = pd.to_datetime(frame["Signup"].replace("", None))
    end = pd.to_datetime(frame["Cancelled"].replace("", None))
    missing = start.isna()
    invalid = end < start
    return ~missing & ~invalid, missing, invalid


def roster_details(frame: pd.DataFrame, begin: str, end: str) -> dict:
    valid = roster(frame)
    c = counts(valid, begin, end)
    rows = valid.groupby("id").size()
    return {
        **{k: c[k] for k in "SLNE"},
        "reactivated": c["R"],
        "customers": int(rows.size),
        "duplicate_ids": int((rows - 1).sum()),
    }


def check_churn(g: Golden) -> None:
    frame = read("customers.csv")
    begin, end = "2025-06-01", "2025-07-01"  # the sample reaches 30 June: June is complete
    details = roster_details(frame, begin, end)
    rate = details["L"] / details["S"]
    days = 30
    valid = roster(frame).assign(mrr=pd.to_numeric(frame["MRR"]))
    f = pd.Timestamp(begin)
    at_start = (valid["start"] < f) & (valid["end"].isna() | (valid["end"] >= f))
    t = pd.Timestamp(end)
    kept_ids = set(valid["id"][(valid["start"] < t) & (valid["end"].isna() | (valid["end"] >= t))])
    lost = at_start & ~valid["id"].isin(kept_ids)
    details.update(
        monthly_equivalent=100 * (1 - (1 - rate) ** ((365.2425 / 12) / days)),
        annual_equivalent=100 * (1 - (1 - rate) ** (365.2425 / days)),
        revenue_churn=100 * valid["mrr"][lost].sum() / valid["mrr"][at_start].sum(),
    )
    g.check((), {"value": 100 * rate, "n": details["S"], "details": details})
    check_ci(g, (), wilson(details["L"], details["S"]))
    used, missing, invalid = roster_quality(frame)
    check_quality(g, (), frame, used, missing, invalid, filtered_out=0, skipped_lines=0)


def check_retention(g: Golden) -> None:
    frame = read("customers.csv")
    used, missing, invalid = roster_quality(frame)
    whole = roster_details(frame, "2025-01-01", "2025-07-01")
    cohort = 100 * (whole["S"] - whole["L"]) / whole["S"]
    crr = 100 * (whole["E"] - whole["N"] - whole["reactivated"]) / whole["S"]
    g.check((), {"value": cohort, "n": whole["S"], "details": whole})
    g.check(("details",), {"cohort_rate": cohort, "crr": crr})
    check_ci(g, (), wilson(whole["S"] - whole["L"], whole["S"]))
    check_quality(g, (), frame, used, missing, invalid, filtered_out=0, skipped_lines=0)
    quarters = [("2025-Q1", "2025-01-01", "2025-04-01"), ("2025-Q2", "2025-04-01", "2025-07-01")]
    i, kept = 0, []
    for plan, part in frame.groupby("Plan", sort=True):
        for label, begin, end in quarters:
            assert g.data["groups"][i]["key"] == {"Plan": plan, "period": label}
            d = roster_details(part, begin, end)
            k = d["S"] - d["L"]
            kept.append((k, d["S"]))
            d.update(
                cohort_rate=100 * k / d["S"],
                crr=100 * (d["E"] - d["N"] - d["reactivated"]) / d["S"],
            )
            g.check(("groups", i), {"value": 100 * k / d["S"], "n": d["S"], "details": d})
            check_ci(g, ("groups", i), wilson(k, d["S"]))
            rows = part.index
            check_quality(g, ("groups", i), part, used[rows], missing[rows], invalid[rows])
            i += 1
    labels = periods([grp["key"] for grp in g.data["groups"]])
    tests = {j: share_change(*kept[j - 1], *kept[j]) for j, x in enumerate(labels) if x}
    check_changes(g, tests, labels)


def orders() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    frame = read("orders.csv")
    amount = pd.to_numeric(frame["Amount"].replace("", None), errors="coerce")
    missing = amount.isna()
    return frame.assign(amount=amount, date=pd.to_datetime(frame["Ordered"])), ~missing, missing


def order_details(rows: pd.DataFrame) -> dict:
    revenue = rows["amount"].sum()
    return {"revenue": revenue, "orders": len(rows), "gross_revenue": revenue, "refunded": 0.0}


def check_clv(g: Golden) -> None:
    frame, used, missing = orders()
    valid = frame[used]
    days = (valid["date"].max().normalize() - valid["date"].min().normalize()) / DAY + 1
    years = days / 365.2425
    customers = valid["Cust"].nunique()
    last = valid["date"].max().normalize()
    firsts = valid.groupby("Cust")["date"].min().dt.normalize()
    tenure = ((last - firsts) / DAY + 1).sum() / 365.2425  # each customer's own years
    aov, frequency = valid["amount"].mean(), len(valid) / tenure
    details = {
        **order_details(valid),
        "customers": customers,
        "average_purchase_value": aov,
        "years": years,
        "observed_years": years,
        "customer_years": tenure,
        "purchases_per_customer_per_year": frequency,
        "lifespan_years": 3,
        "margin": 0.3,
        "line_items": 0,
    }
    g.check((), {"value": aov * frequency * 3 * 0.3, "n": customers, "details": details})
    check_ci(g, (), None)
    check_quality(g, (), frame, used, missing, ~(used | missing), filtered_out=0, skipped_lines=0)


def check_arpu(g: Golden) -> None:
    frame, used, missing = orders()
    valid = frame[used]

    def numbers_of(begin: str, end: str) -> tuple[dict, float, int]:
        inside = valid[(valid["date"] >= begin) & (valid["date"] < end)]
        customers = inside["Cust"].nunique()
        details = {
            **order_details(inside),
            "customers": customers,
            "revenue_per_order": inside["amount"].sum() / len(inside),
            "line_items": 0,
        }
        return details, inside["amount"].sum() / customers, customers

    details, value, n = numbers_of("2025-01-01", "2025-07-01")
    g.check((), {"value": value, "n": n, "details": details})
    check_ci(g, (), None)
    check_quality(g, (), frame, used, missing, ~(used | missing), filtered_out=0, skipped_lines=0)
    months = pd.date_range("2025-01-01", "2025-07-01", freq="MS")
    for i, (begin, end) in enumerate(itertools.pairwise(months)):
        assert g.data["groups"][i]["key"] == {"period": begin.strftime("%Y-%m")}
        details, value, n = numbers_of(begin, end)
        g.check(("groups", i), {"value": value, "n": n, "details": details})
        check_ci(g, ("groups", i), None)
        check_quality(g, ("groups", i), frame, used, missing, ~(used | missing))
    labels = periods([grp["key"] for grp in g.data["groups"]])
    check_changes(g, {}, labels)


def check_cac(g: Golden) -> None:
    spend, customers = read("spend.csv"), read("customers.csv")
    begin, end = "2025-06-01", "2025-07-01"
    day = pd.to_datetime(spend["Day"])
    cost = pd.to_numeric(spend["Cost"])
    in_window = (day >= begin) & (day < end)
    signup = pd.to_datetime(customers["Signup"].replace("", None))
    new = customers[(signup >= begin) & (signup < end)]

    def numbers_of(spent: float, count: int) -> dict:
        cac = spent / count if count else None
        details = {"spend": spent, "new_customers": count}
        details["payback_months"] = None if cac is None else cac / 80
        return {"value": cac, "n": count, "details": details}

    g.check((), numbers_of(cost[in_window].sum(), len(new)))
    check_ci(g, (), None)
    channels = sorted(set(spend["Source"]) | set(customers["Source"]))
    for i, channel in enumerate(channels):
        assert g.data["groups"][i]["key"] == {"Source": channel}
        spent = cost[in_window & (spend["Source"] == channel)].sum()
        g.check(("groups", i), numbers_of(spent, int((new["Source"] == channel).sum())))
        check_ci(g, ("groups", i), None)
        rows = spend["Source"] == channel
        people = customers["Source"] == channel
        quality = {
            "rows": int(rows.sum() + people.sum()),
            "used": int(rows.sum() + (people & signup.notna()).sum()),
            "missing": int((people & signup.isna()).sum()),
            "invalid": 0,
        }
        g.check(("groups", i, "quality"), quality)
    everything = {
        "rows": len(spend) + len(customers),
        "used": len(spend) + int(signup.notna().sum()),
        "missing": int(signup.isna().sum()),
        "invalid": 0,
        "filtered_out": 0,
        "skipped_lines": 0,
    }
    g.check(("quality",), everything)


def check_mau(g: Golden, approximate: bool) -> None:
    events = read("events.parquet")
    when = events["ts"]

    def numbers_of(begin, end) -> dict:
        inside = events[(when >= begin) & (when < end)]
        days = (pd.Timestamp(end) - pd.Timestamp(begin)) / DAY
        daily = inside.groupby(inside["ts"].dt.floor("D"))["uid"].nunique()
        mau = inside["uid"].nunique()
        return {"mau": mau, "dau_avg": daily.sum() / days, "days": days}

    q = {"rows": len(events), "used": len(events), "missing": 0, "invalid": 0}
    g.check(("quality",), {**q, "filtered_out": 0, "skipped_lines": 0})
    if approximate:  # HyperLogLog (1.6% standard error): the exact count within its bounds
        june = pd.Timestamp("2025-06-01", tz="UTC"), pd.Timestamp("2025-07-01", tz="UTC")
        exact = numbers_of(*june)
        low, high = g.get(("details", "mau_bounds"))
        assert low <= exact["mau"] <= high and high - low <= 4 * 0.0165 * exact["mau"]
        for path in (("value",), ("details", "mau")):
            assert g.get(path) == pytest.approx(exact["mau"], rel=2 * 0.0165)
        assert g.get(("details", "dau_avg")) == pytest.approx(exact["dau_avg"], rel=2 * 0.0165)
        stickiness = g.get(("details", "dau_avg")) / g.get(("details", "mau"))
        g.check(("details", "stickiness"), stickiness)
        g.check(("n",), round(g.get(("value",))))
        g.seen |= {("value",), ("details", "mau"), ("details", "dau_avg")}
        g.seen |= {("ci", "low"), ("ci", "high")}
        g.seen |= {("details", "mau_bounds", 0), ("details", "mau_bounds", 1)}
        assert g.get(("ci",)) == {"level": CONFIDENCE, "low": low, "high": high}
        g.check(("ci", "level"), CONFIDENCE)
        g.check(("details", "days"), 30)
        return
    utc = "UTC"
    whole = numbers_of(pd.Timestamp("2025-03-03", tz=utc), pd.Timestamp("2025-03-31", tz=utc))
    whole["stickiness"] = whole["dau_avg"] / whole["mau"]
    g.check((), {"value": whole["mau"], "n": whole["mau"], "details": whole})
    check_ci(g, (), None)
    weeks = pd.date_range("2025-03-03", "2025-03-31", freq="7D", tz=utc)
    for i, (begin, end) in enumerate(itertools.pairwise(weeks)):
        d = numbers_of(begin, end)
        d["stickiness"] = d["dau_avg"] / d["mau"]
        g.check(("groups", i), {"value": d["mau"], "n": d["mau"], "details": d})
        check_ci(g, ("groups", i), None)
        g.check(("groups", i, "quality"), q)
    check_changes(g, {}, periods([grp["key"] for grp in g.data["groups"]]))


def check_redemption(g: Golden) -> None:
    ledger = read("loyalty.csv")
    at = pd.to_datetime(ledger["at"])
    inside = ledger[(at >= "2025-06-01") & (at < "2025-07-01")]
    kind, points = inside["kind"].str.lower(), pd.to_numeric(inside["pts"])
    issued = points[kind == "earn"].abs().sum()
    redeemed = points[kind == "redeem"].abs().sum()
    expired = points[kind == "expire"].abs().sum()
    earners = inside.loc[kind == "earn", "member"].nunique()
    redeemers = inside.loc[kind == "redeem", "member"].nunique()
    details = {
        "points_issued": issued,
        "points_redeemed": redeemed,
        "members_earning": earners,
        "members_redeeming": redeemers,
        "member_rate": 100 * redeemers / earners,
        "member_rate_ci": list(wilson(redeemers, earners)),
        "points_expired": expired,
        "points_adjusted": points[kind == "adjust"].sum(),
        "settled_rate": 100 * (redeemed + expired) / issued,
    }
    g.check((), {"value": 100 * redeemed / issued, "n": earners, "details": details})
    check_ci(g, (), None)
    q = {"rows": len(ledger), "used": len(ledger), "missing": 0, "invalid": 0}
    g.check(("quality",), {**q, "filtered_out": 0, "skipped_lines": 0})


ORACLES: dict[str, tuple[Callable[[Golden], None], list[str]]] = {
    "nps_by_region": (lambda g: check_nps(g, ["Region"]), ["survey.csv"]),
    "nps_by_month": (lambda g: check_nps(g, [], "month"), ["survey.csv"]),
    "nps_parquet_by_channel_week": (
        lambda g: check_nps(g, ["Channel"], "week", "survey.parquet"),
        ["survey.parquet"],
    ),
    "cac_by_channel": (check_cac, ["spend.csv", "customers.csv"]),
    "csat_by_channel": (check_csat, ["survey.csv"]),
    "ces_filtered": (check_ces, ["survey.csv"]),
    "fcr_by_queue": (check_fcr, ["tickets.csv"]),
    "aht_top_agents": (check_aht, ["tickets.parquet"]),
    "churn_default_window": (check_churn, ["customers.csv"]),
    "retention_quarters_by_plan": (check_retention, ["customers.csv"]),
    "clv": (check_clv, ["orders.csv"]),
    "arpu_months": (check_arpu, ["orders.csv"]),
    "mau_weeks": (lambda g: check_mau(g, False), ["events.parquet"]),
    "mau_approx": (lambda g: check_mau(g, True), ["events.parquet"]),
    "redemption": (check_redemption, ["loyalty.csv"]),
    "art_by_month": (check_art, ["tickets.csv"]),
}


def verify(name: str, data: dict) -> None:
    """Every number of golden `name` (its JSON as `data`) equals the oracle's."""
    check, files = ORACLES[name]
    g = Golden(data)
    check(g)
    check_inputs(g, files)
    assert not g.unchecked(), f"{name}: numbers no oracle checked: {g.unchecked()[:10]}"
