"""Differential tests for the ticket KPIs: cx against pandas on a freshly generated export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROLE_ARGS, generate

ROWS = 30_000


@pytest.fixture(scope="module")
def tickets(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("tickets"), "tickets", ROWS, 23)
    frame = pd.read_csv(folder / "tickets.csv", dtype=str, keep_default_na=False)
    return folder, frame


def seconds(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(seconds, missing, invalid) from numbers or MM:SS text, without cx code."""
    text = text.str.strip()
    missing = text == ""
    clock = text.str.fullmatch(r"\d+:\d\d")
    parts = text.where(clock).str.split(":", expand=True)
    from_clock = parts[0].astype(float) * 60 + parts[1].astype(float) if clock.any() else None
    number = pd.to_numeric(text.where(~clock & ~missing), errors="coerce")
    value = number.where(~clock, from_clock)
    invalid = ~missing & (value.isna() | (value < 0))
    return value.fillna(0).where(~invalid, 0), missing, invalid


def rank_error(values: np.ndarray, quantile: float, got: float) -> float:
    ordered = np.sort(values)
    low = np.searchsorted(ordered, got, side="left") / len(values)
    high = np.searchsorted(ordered, got, side="right") / len(values)
    return 0.0 if low <= quantile <= high else min(abs(low - quantile), abs(high - quantile))


def test_fcr(cx, tickets):
    folder, df = tickets
    for path in (folder / "tickets.csv", folder / "tickets.parquet"):
        data = cx("fcr", str(path), *ROLE_ARGS["fcr"], "--by", "Queue", "-q").json
        reopened_text = df["Reopened"].str.strip().str.lower()
        reopened = reopened_text.isin(["yes", "y", "true", "1", "t"])
        bad_flag = ~reopened_text.isin(
            ["yes", "y", "true", "1", "t", "no", "n", "false", "0", "f", ""]
        )
        resolved = df["Closed"] != ""
        contacts = pd.to_numeric(
            df["Touches"].where(~df["Touches"].isin(["", "n/a"])), errors="coerce"
        )
        missing = resolved & contacts.isna() & ~bad_flag
        used = ~bad_flag & ~missing
        ok = used & resolved
        first = ok & (contacts <= 1) & ~reopened
        for queue, part in df.assign(
            first=first, ok=ok, used=used, bad=bad_flag, missing=missing, open=used & ~resolved
        ).groupby("Queue"):
            group = next(g for g in data["groups"] if g["key"]["Queue"] == queue)
            assert group["n"] == part["ok"].sum()
            assert group["value"] == pytest.approx(
                100 * part["first"].sum() / part["ok"].sum(), abs=1e-9
            )
            assert group["details"]["unresolved"] == part["open"].sum()
            assert group["quality"]["invalid"] == part["bad"].sum()
            assert group["quality"]["missing"] == part["missing"].sum()


def test_aht(cx, tickets):
    folder, df = tickets
    talk, hold, acw = (seconds(df[c]) for c in ("Talk", "Hold", "Wrap"))
    invalid = talk[2] | hold[2] | acw[2]
    missing = talk[1] & hold[1] & acw[1] & ~invalid
    used = ~invalid & ~missing
    handle = (talk[0] + hold[0] + acw[0])[used].to_numpy()
    for path in (folder / "tickets.csv", folder / "tickets.parquet"):
        data = cx(
            "aht",
            str(path),
            *ROLE_ARGS["aht"],
            "--quantiles",
            "0.5,0.9,0.99",
            "-q",
        ).json
        assert data["n"] == used.sum() and data["quality"]["invalid"] == invalid.sum()
        assert data["quality"]["missing"] == missing.sum()
        assert data["value"] == pytest.approx(handle.mean(), abs=1e-6)
        for label, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
            assert rank_error(handle, q, data["details"]["quantiles"][label]) <= 0.01


def test_art(cx, tickets):
    folder, df = tickets
    created = pd.to_datetime(df["Opened"], utc=True)
    closed = pd.to_datetime(df["Closed"].replace("", None), utc=True)
    backwards = closed < created
    resolved = closed.notna() & ~backwards
    hours = (closed - created)[resolved].dt.total_seconds().to_numpy()
    for path in (folder / "tickets.csv", folder / "tickets.parquet"):
        data = cx("art", str(path), *ROLE_ARGS["art"], "-q").json
        assert data["n"] == resolved.sum()
        assert data["details"]["unresolved"] == closed.isna().sum()
        assert data["quality"]["invalid"] == backwards.sum()
        assert data["value"] == pytest.approx(hours.mean(), abs=1e-6)
        assert rank_error(hours, 0.5, data["details"]["median"]) <= 0.01
        assert rank_error(hours, 0.9, data["details"]["p90"]) <= 0.01
