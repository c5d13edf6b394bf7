"""Differential tests for the customer and revenue KPIs: cx against pandas on a fresh export."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROLE_ARGS, generate


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("customers"), "customers", 5000, 41, parquet=False)
    customers = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    orders = pd.read_csv(folder / "orders.csv", dtype=str, keep_default_na=False)
    spend = pd.read_csv(folder / "spend.csv", dtype=str, keep_default_na=False)
    return folder, customers, orders, spend


def roster(customers: pd.DataFrame) -> pd.DataFrame:
    """Valid rows: subscriptions, several of one customer id allowed (no cx code)."""
    start = pd.to_datetime(customers["Signup"].replace("", None))
    end = pd.to_datetime(customers["Cancelled"].replace("", None))
    valid = start.notna() & ~(end < start)
    return pd.DataFrame({"id": customers["Customer"], "start": start, "end": end})[valid]


def counts(frame: pd.DataFrame, begin: str, end: str) -> dict[str, int]:
    """By customer: active at a time when any of their subscriptions is."""
    f, t = pd.Timestamp(begin), pd.Timestamp(end)
    still = frame["end"].isna()
    rows = frame.assign(
        at_f=(frame["start"] < f) & (still | (frame["end"] >= f)),
        at_t=(frame["start"] < t) & (still | (frame["end"] >= t)),
        began=(frame["start"] >= f) & (frame["start"] < t),
    )
    c = rows.groupby("id").agg(
        at_f=("at_f", "any"), at_t=("at_t", "any"), began=("began", "any"), first=("start", "min")
    )
    new = (c["first"] >= f) & (c["first"] < t)
    return {
        "S": int(c["at_f"].sum()),
        "L": int((c["at_f"] & ~c["at_t"]).sum()),
        "N": int(new.sum()),
        "E": int(c["at_t"].sum()),
        "R": int((~c["at_f"] & (c["first"] < f) & c["began"]).sum()),
    }


CHURN_ARGS = [*ROLE_ARGS["churn"], "-q"]


@pytest.mark.parametrize(
    "window", [("2025-03-01", "2025-04-01"), ("2024-07-01", "2025-01-01"), None]
)
def test_churn_and_retention(cx, data, window):
    folder, customers, _, _ = data
    args = ["--from", window[0], "--to", window[1]] if window else []
    churn = cx("churn", str(folder / "customers.csv"), *CHURN_ARGS, *args).json
    retention = cx("retention", str(folder / "customers.csv"), *CHURN_ARGS, *args).json
    crr = cx("retention", str(folder / "customers.csv"), *CHURN_ARGS, *args, "--method", "crr")
    begin, end = window or ("2025-06-01", "2025-07-01")  # the data reaches 30 June 2025
    assert (churn["params"]["from"], churn["params"]["to"]) == (begin, end)
    c = counts(roster(customers), begin, end)
    assert {k: churn["details"][k] for k in "SLNE"} == {k: c[k] for k in "SLNE"}
    assert churn["details"]["reactivated"] == c["R"]
    assert churn["value"] == pytest.approx(100 * c["L"] / c["S"], abs=1e-9)
    assert retention["definition"] == "retention.cohort"
    assert retention["value"] == pytest.approx(100 * (c["S"] - c["L"]) / c["S"], abs=1e-9)
    assert retention["value"] + churn["value"] == pytest.approx(100, abs=1e-9)
    kept = c["E"] - c["N"] - c["R"]
    assert crr.json["definition"] == "retention.crr"
    assert crr.json["value"] == pytest.approx(100 * kept / c["S"], abs=1e-9)
    assert retention["details"]["crr"] == crr.json["value"]
    assert churn["details"]["duplicate_ids"] == 2


def test_churn_series(cx, data):
    folder, customers, _, _ = data
    series = cx(
        "churn",
        str(folder / "customers.csv"),
        *CHURN_ARGS,
        "--from",
        "2025-01-01",
        "--to",
        "2025-04-01",
        "--period",
        "month",
    ).json
    frame = roster(customers)
    for group, (begin, end) in zip(
        series["groups"],
        [("2025-01-01", "2025-02-01"), ("2025-02-01", "2025-03-01"), ("2025-03-01", "2025-04-01")],
        strict=True,
    ):
        c = counts(frame, begin, end)
        assert group["key"]["period"] == begin[:7]
        assert group["value"] == pytest.approx(100 * c["L"] / c["S"], abs=1e-9)
    assert series["groups"][1]["change"]["vs"] == "2025-01"


def valid_orders(orders: pd.DataFrame) -> pd.DataFrame:
    amount = pd.to_numeric(orders["Amount"], errors="coerce")
    frame = orders.assign(amount=amount, date=pd.to_datetime(orders["Ordered"]))
    return frame[amount.notna()]


def test_clv(cx, data):
    folder, _, orders, _ = data
    got = cx(
        "clv",
        str(folder / "orders.csv"),
        *ROLE_ARGS["clv"],
        "--lifespan",
        "3",
        "--margin",
        "0.3",
        "--years",
        "2",
        "-q",
    ).json
    frame = valid_orders(orders)
    expected = frame["amount"].mean() * (len(frame) / frame["Cust"].nunique() / 2) * 3 * 0.3
    assert got["value"] == pytest.approx(expected, abs=1e-6)
    assert got["details"]["customers"] == frame["Cust"].nunique()


@pytest.mark.parametrize("window", [("2025-02-01", "2025-05-01"), None])
def test_arpu(cx, data, window):
    folder, _, orders, _ = data
    args = ["--from", window[0], "--to", window[1]] if window else []
    got = cx(
        "arpu",
        str(folder / "orders.csv"),
        *ROLE_ARGS["clv"],
        "-q",
        *args,
    ).json
    begin, end = window or ("2025-06-01", "2025-07-01")
    frame = valid_orders(orders)
    inside = frame[(frame["date"] >= begin) & (frame["date"] < end)]
    assert got["value"] == pytest.approx(
        inside["amount"].sum() / inside["Cust"].nunique(), abs=1e-6
    )


@pytest.mark.parametrize("window", [("2025-01-01", "2025-04-01"), None])
def test_cac_by_channel(cx, data, window):
    folder, customers, _, spend = data
    args = ["--from", window[0], "--to", window[1]] if window else []
    got = cx(
        "cac",
        "--spend",
        str(folder / "spend.csv"),
        "--customers",
        str(folder / "customers.csv"),
        *ROLE_ARGS["cac"],
        "--channel",
        "Source",
        "--by",
        "Source",
        "-q",
        *args,
    ).json
    begin, end = window or ("2025-06-01", "2025-07-01")
    day = pd.to_datetime(spend["Day"])
    cost = pd.to_numeric(spend["Cost"])[(day >= begin) & (day < end)]
    signup = pd.to_datetime(customers["Signup"].replace("", None))
    new = customers[(signup >= begin) & (signup < end)]
    assert got["value"] == pytest.approx(cost.sum() / len(new), abs=1e-6)
    groups = {g["key"]["Source"]: g for g in got["groups"]}
    spend_by = (
        pd.to_numeric(spend["Cost"])[(day >= begin) & (day < end)].groupby(spend["Source"]).sum()
    )
    new_by = new.groupby("Source").size()
    for channel in set(spend_by.index) | set(new_by.index):
        n = int(new_by.get(channel, 0))
        value = groups[channel]["value"]
        if n == 0:  # tv: spend but no tracked signups
            assert value is None and groups[channel]["notes"]
        else:
            assert value == pytest.approx(spend_by.get(channel, 0.0) / n, abs=1e-6)
    assert groups["partner"]["value"] == 0.0  # signups but no spend
