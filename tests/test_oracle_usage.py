"""Differential tests for mau and redemption: cx against pandas on fresh exports."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROLE_ARGS, generate


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    parquet = generate(tmp_path_factory.mktemp("pq"), "events", 120_000, 61)
    text = generate(tmp_path_factory.mktemp("csv"), "events", 120_000, 62, parquet=False)
    loyalty = generate(tmp_path_factory.mktemp("loyalty"), "loyalty", 20_000, 63)
    return parquet, text, loyalty


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_mau(cx, folders, fmt):
    folder = folders[0] if fmt == "parquet" else folders[1]
    path = folder / f"events.{fmt}"
    events = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
    events["ts"] = pd.to_datetime(events["ts"], utc=True)
    got = cx(
        "mau",
        str(path),
        *ROLE_ARGS["mau"],
        "--from",
        "2025-03-01",
        "--to",
        "2025-04-01",
        "-q",
    ).json
    inside = events[(events["ts"] >= "2025-03-01") & (events["ts"] < "2025-04-01")]
    mau = inside["uid"].nunique()
    daily = inside.groupby(inside["ts"].dt.floor("D"))["uid"].nunique()
    dau = daily.reindex(pd.date_range("2025-03-01", periods=31, tz="UTC"), fill_value=0).mean()
    assert got["value"] == mau
    assert got["details"]["dau_avg"] == pytest.approx(dau, abs=1e-9)
    assert got["details"]["stickiness"] == pytest.approx(dau / mau, abs=1e-12)


def test_mau_monthly_series(cx, folders):
    path = folders[0] / "events.parquet"
    events = pd.read_parquet(path)
    got = cx(
        "mau", str(path), "--from", "2025-01-01", "--to", "2025-07-01", "--period", "month", "-q"
    ).json
    expected = events.groupby(events["ts"].dt.strftime("%Y-%m"))["uid"].nunique()
    assert {g["key"]["period"]: g["value"] for g in got["groups"]} == expected.to_dict()


def test_redemption(cx, folders):
    path = folders[2] / "loyalty.csv"
    ledger = pd.read_csv(path)
    got = cx(
        "redemption",
        str(path),
        *ROLE_ARGS["redemption"],
        "--from",
        "2025-02-01",
        "--to",
        "2025-05-01",
        "-q",
    ).json
    at = pd.to_datetime(ledger["at"])
    inside = ledger[(at >= "2025-02-01") & (at < "2025-05-01")]
    kind = inside["kind"].str.lower()
    issued = inside.loc[kind == "earn", "pts"].abs().sum()
    redeemed = inside.loc[kind == "redeem", "pts"].abs().sum()
    assert got["value"] == pytest.approx(100 * redeemed / issued, abs=1e-9)
    earners = inside.loc[kind == "earn", "member"].nunique()
    redeemers = inside.loc[kind == "redeem", "member"].nunique()
    assert got["details"]["member_rate"] == pytest.approx(100 * redeemers / earners, abs=1e-9)
    assert got["quality"]["invalid"] == 0  # adjust rows are adjustments, reported apart
    adjusted = inside.loc[kind == "adjust", "pts"].sum()
    assert got["details"]["points_adjusted"] == pytest.approx(adjusted, abs=1e-9)
