"""Contract tests over every registered KPI: a new KPI is covered as soon as it is registered
(and fails here until it has sample columns below)."""

from __future__ import annotations

import itertools
import math
import random
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxcli.bootstrap import row_keys
from cxcli.definition import ROW_KEY, Estimate
from cxcli.periods import Period
from cxcli.registry import all_kpis
from cxcli.values import rows_of
from cxcli.windows import explicit_window, split


def _times(xs: list[int], offset: int = 0) -> list[str | None]:
    return [
        None
        if x < 0
        else "2025-01-01T00:00:00Z"
        if x == 0
        else f"2025-01-{1 + x % 28:02d}T{(x + offset) % 24:02d}:00:00Z"
        for x in xs
    ]


# Columns for each KPI from a list of small integers (negative ones give missing or bad values).
SAMPLES = {
    "nps": lambda xs: {"score": xs},
    "csat": lambda xs: {"score": xs},
    "ces": lambda xs: {"score": xs},
    "fcr": lambda xs: {
        "contacts": [None if x < 0 else x % 4 for x in xs],
        "reopened": [["yes", "no", None, "maybe"][x % 4] for x in xs],
        "resolved_at": _times([x if x % 5 else -1 for x in xs]),
    },
    "aht": lambda xs: {
        "talk": [None if x < 0 else 30 * x for x in xs],
        "hold": [None if x % 3 == 0 else f"0:{x % 60:02d}" for x in xs],
        "acw": [-5 if x == 7 else x for x in xs],
    },
    "art": lambda xs: {"created": _times(xs), "resolved": _times(xs, offset=3)},
}


def _days(xs: list[int], base: int = 0) -> list[str | None]:
    return [None if x < 0 else f"2025-0{1 + (x + base) % 6}-{1 + (x * 7) % 28:02d}" for x in xs]


SAMPLES |= {
    "churn": lambda xs: {
        "id": [f"c{x % 9}" for x in xs],
        "start": _days(xs),
        "end": [None if x % 3 else d for x, d in zip(xs, _days(xs, 2), strict=True)],
    },
    "clv": lambda xs: {
        "customer": [None if x < 0 else f"c{x % 5}" for x in xs],
        "amount": [x * 2.5 for x in xs],
        "date": _days(xs),
    },
    "cac": lambda xs: {"date": _days(xs), "amount": [x * 10.0 for x in xs], "start": _days(xs, 1)},
}
SAMPLES |= {
    "mau": lambda xs: {"user": [f"u{x % 7}" for x in xs], "time": _days(xs)},
    "redemption": lambda xs: {
        "member": [f"m{x % 5}" for x in xs],
        "points": [x * 10 for x in xs],
        "type": [["earn", "redeem", "Earn", "other"][x % 4] for x in xs],
        "time": _days(xs, 3),
    },
}
PHRASES = (
    *("Great support, thanks!", "Terrible, never again.", "It was delivered on Tuesday.", "  "),
    *("Muy mal servicio, nunca más", "ok", "I love it", "slow and rude", "非常好"),
)
SAMPLES["sentiment"] = lambda xs: {
    "text": [None if x < 0 else PHRASES[x % len(PHRASES)] for x in xs]
}
SAMPLES["themes"] = SAMPLES["sentiment"]
SAMPLES["drivers"] = lambda xs: {
    "outcome": [None if x < 0 else x % 11 for x in xs],
    "attributes[0]": [(x * 7) % 5 + 1 for x in xs],
    "attributes[1]": [None if x % 13 == 0 else (x * 3) % 5 + 1 for x in xs],
}
SAMPLES["cohorts"] = lambda xs: {
    "user": [None if x < 0 else f"u{x % 6}" for x in xs],
    "time": _days(xs),
}
SAMPLES["retention"] = SAMPLES["churn"]
SAMPLES["arpu"] = SAMPLES["clv"]
OPTIONS = {"clv": {"lifespan": 3.0}}


def make(name: str):
    """The KPI with the options and windows a run would give it, bound to its sample roles."""
    kpi = all_kpis()[name](**OPTIONS.get(name, {}))
    if kpi.windowed:
        whole = explicit_window("2025-02-01", "2025-06-01")
        kpi = kpi.with_windows([whole, *split(whole, Period.MONTH)])
    return kpi.bind({k: k for k in SAMPLES[name]([])})


def test_every_kpi_has_samples():
    assert set(SAMPLES) == set(all_kpis())


def close(a: Any, b: Any) -> bool:
    if isinstance(a, Estimate):
        return close(a.__dict__, b.__dict__)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def used_values(kpi, columns):
    parsed = kpi.parse({k: _array(v) for k, v in columns.items()})
    missing, invalid = kpi.row_status(parsed)
    used = ~(missing | invalid)
    values = {k: rows_of(p.values, used) for k, p in parsed.items()}
    if kpi.row_keyed:  # each row's key, as the engine gives it (its file and row number)
        values[ROW_KEY] = row_keys("sample", np.flatnonzero(used))
    return values, int(used.sum())


def _array(values):
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


@pytest.mark.parametrize("name", list(SAMPLES))
@given(
    xs=st.lists(st.integers(-2, 12), max_size=150),
    cuts=st.lists(st.integers(0, 150), max_size=6),
    seed=st.integers(0, 1000),
)
def test_any_split_and_merge_order_gives_the_same_result(name, xs, cuts, seed):
    """finalize(update(all)) == finalize(merge of updates of any split, in any order)."""
    kpi = make(name)
    values, n = used_values(kpi, SAMPLES[name](xs))
    whole = kpi.update(kpi.init(), values)
    bounds = sorted({0, n, *[c for c in cuts if c <= n]})
    parts = [
        kpi.update(kpi.init(), {k: v[a:b] for k, v in values.items()})
        for a, b in itertools.pairwise(bounds)
    ]
    random.Random(seed).shuffle(parts)
    merged = kpi.init()
    for part in parts:
        merged = kpi.merge(part, merged) if seed % 2 else kpi.merge(merged, part)
    for window in range(len(getattr(kpi, "windows", ())) or 1):
        expected = kpi.finalize(kpi.view(whole, window))
        assert close(kpi.finalize(kpi.view(merged, window)), expected)
        assert close(kpi.finalize(kpi.view(kpi.merge(kpi.init(), whole), window)), expected)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_update_groups_matches_update_per_group(name):
    kpi = make(name)
    rng = np.random.default_rng(1)
    values, n = used_values(kpi, SAMPLES[name](rng.integers(-2, 13, 400).tolist()))
    ids = rng.integers(0, 5, n)
    grouped = kpi.update_groups(values, ids, 5)
    for g in range(5):
        alone = kpi.update(kpi.init(), {k: rows_of(v, ids == g) for k, v in values.items()})
        assert close(kpi.finalize(kpi.view(grouped[g], 0)), kpi.finalize(kpi.view(alone, 0)))


@pytest.mark.parametrize("name", list(SAMPLES))
def test_empty_input_gives_null_value_and_a_note(name):
    estimate = make(name).compute(SAMPLES[name]([]))
    assert estimate.value is None and estimate.n == 0 and estimate.ci is None
    assert estimate.notes


@pytest.mark.parametrize("name", list(SAMPLES))
def test_definition_title_docstring_and_examples(name):
    cls = all_kpis()[name]
    module = __import__(cls.__module__, fromlist=["x"])
    assert module.__doc__ and ">>>" in module.__doc__  # definition, formula, a doctest
    assert make(name).definition.startswith(f"{name}.")
    assert len(cls.examples) >= 2 and all(f"cx {name} " in e for e in cls.examples)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_doctest(name):
    import doctest

    module = __import__(all_kpis()[name].__module__, fromlist=["x"])
    assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize("name", list(SAMPLES))
def test_readme_documents_every_kpi(name):
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    assert f"| `cx {name}` |" in readme  # a row in the KPI table
