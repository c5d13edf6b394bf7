"""Golden JSON for the sample data: any change to a number or a key shows up as a diff, and
every number in it is first recomputed by an independent oracle (golden_oracle.py), so a
golden file cannot hold a number no oracle has seen.

Regenerate after an intended change with `make golden` (CX_UPDATE_GOLDEN=1 pytest …): it
writes only outputs the oracle agrees with."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from conftest import ROLE_ARGS, SAMPLE
from golden_oracle import ORACLES, verify

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "nps_by_region": ["nps", "survey.csv", "--by", "Region"],
    "nps_by_month": ["nps", "survey.csv", "--period", "month"],
    "nps_parquet_by_channel_week": [
        "nps",
        "survey.parquet",
        "--by",
        "Channel",
        "--period",
        "week",
        "--since",
        "2025-03-01",
        "--until",
        "2025-04-01",
    ],
    "cac_by_channel": [
        "cac",
        "--spend",
        "spend.csv",
        "--customers",
        "customers.csv",
        *ROLE_ARGS["cac"],
        "--channel",
        "Source",
        "--arpu",
        "80",
    ],
    "csat_by_channel": ["csat", "survey.csv", "--score", "Sat", "--by", "Channel"],
    "ces_filtered": ["ces", "survey.csv", "--score", "Effort", "--where", "Region = 'EMEA'"],
    "fcr_by_queue": ["fcr", "tickets.csv", *ROLE_ARGS["fcr"], "--by", "Queue"],
    "aht_top_agents": [
        "aht",
        "tickets.parquet",
        *ROLE_ARGS["aht"],
        "--by",
        "Agent",
        "--top",
        "3",
        "--min-n",
        "120",
    ],
    "churn_default_window": [
        "churn",
        "customers.csv",
        *ROLE_ARGS["churn"],
    ],
    "retention_quarters_by_plan": [
        "retention",
        "customers.csv",
        "--from",
        "2025-01-01",
        "--to",
        "2025-07-01",
        "--period",
        "quarter",
        "--by",
        "Plan",
    ],
    "clv": ["clv", "orders.csv", "--lifespan", "3", "--margin", "0.3"],
    "arpu_months": [
        "arpu",
        "orders.csv",
        "--from",
        "2025-01-01",
        "--to",
        "2025-07-01",
        "--period",
        "month",
    ],
    "mau_weeks": [
        "mau",
        "events.parquet",
        "--from",
        "2025-03-03",
        "--to",
        "2025-03-31",
        "--period",
        "week",
    ],
    "mau_approx": ["mau", "events.parquet", "--approx"],
    "redemption": [
        "redemption",
        "loyalty.csv",
        *ROLE_ARGS["redemption"],
    ],
    "art_by_month": [
        "art",
        "tickets.csv",
        "--created",
        "Opened",
        "--resolved",
        "Closed",
        "--period",
        "month",
        "--quantiles",
        "0.5,0.9,0.99",
    ],
}


def normalised(data: dict) -> dict:
    """Paths depend on where the checkout lives; keep only file names."""
    text = json.dumps(data).replace(str(SAMPLE) + os.sep, "")
    data = json.loads(text)
    data["cx_version"] = "*"
    return data


@pytest.mark.parametrize("name", list(CASES))
def test_golden(cx, name):
    args = [str(SAMPLE / a) if a.endswith((".csv", ".parquet")) else a for a in CASES[name]]
    result = cx(*args, "-q")
    assert result.exit_code == 0
    got = normalised(result.json)
    verify(name, got)  # before it can become the golden file
    path = GOLDEN / f"{name}.json"
    if os.environ.get("CX_UPDATE_GOLDEN"):
        path.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n")
    assert same(got, json.loads(path.read_text()))


def same(got: object, golden: object) -> bool:
    """Equal, floats to 12 significant digits: a p-value's last bit differs between CPUs
    (numpy's and scipy's vector paths), nothing cx computes does."""
    if isinstance(got, float) and isinstance(golden, float):
        return math.isclose(got, golden, rel_tol=1e-12, abs_tol=1e-300)
    if isinstance(got, dict) and isinstance(golden, dict):
        return got.keys() == golden.keys() and all(same(got[k], golden[k]) for k in got)
    if isinstance(got, list) and isinstance(golden, list):
        return len(got) == len(golden) and all(same(a, b) for a, b in zip(got, golden, strict=True))
    return got == golden and type(got) is type(golden)


def test_golden_floats_are_compared_to_twelve_digits_and_nothing_else_is_loose():
    assert same({"p": [0.48336949061431467]}, {"p": [0.4833694906143147]})
    assert not same({"p": 0.4833694906}, {"p": 0.4833694907})
    assert not same({"n": 1}, {"n": 1.0}) and not same({"n": 1}, {"m": 1})


def test_every_golden_file_has_an_oracle():
    assert set(CASES) == set(ORACLES) == {p.stem for p in GOLDEN.glob("*.json")}


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("nps_by_month", ("groups", 2, "change", "p_adjusted")),
        ("nps_by_month", ("groups", 1, "ci", "high")),
        ("csat_by_channel", ("groups", 0, "details", "satisfied")),
        ("aht_top_agents", ("groups", 3, "details", "median_ci", 0)),
        ("art_by_month", ("details", "km", "median")),
        ("art_by_month", ("groups", 4, "change", "mde")),
        ("retention_quarters_by_plan", ("groups", 1, "change", "p_value")),
        ("churn_default_window", ("details", "revenue_churn")),
        ("redemption", ("details", "member_rate_ci", 1)),
    ],
)
def test_the_oracle_rejects_a_wrong_number(name, path):
    data = json.loads((GOLDEN / f"{name}.json").read_text())
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = target[path[-1]] * 1.001 + 1e-6
    with pytest.raises(AssertionError):
        verify(name, data)


def test_the_oracle_rejects_a_number_it_has_not_seen():
    data = json.loads((GOLDEN / "ces_filtered.json").read_text())
    verify("ces_filtered", data)
    data["details"]["new_number"] = 1.5
    with pytest.raises(AssertionError, match="no oracle checked"):
        verify("ces_filtered", data)
