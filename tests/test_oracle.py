"""Differential tests: cx against an independent pandas computation on generated exports."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import generate


def oracle_scores(raw: pd.Series, low: int, high: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(valid scores, missing mask, invalid mask), written without any cx code."""
    text = raw.fillna("").astype(str).str.strip()
    missing = text.isin(["", "NA", "N/A", "n/a", "na", "NULL", "null", "None", "NaN", "nan", "-"])
    number = pd.to_numeric(text.where(~missing), errors="coerce")
    ok = number.notna() & (number == number.round()) & number.between(low, high)
    invalid = ~missing & ~ok
    return number.where(ok), missing, invalid


def oracle(frame: pd.DataFrame, kpi: str, column: str, keys: list[str]) -> dict:
    bounds = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[kpi]
    scores, missing, invalid = oracle_scores(frame[column], *bounds)
    table = frame.assign(_s=scores, _m=missing, _i=invalid)
    out = {}
    groups = table.groupby(keys, dropna=False) if keys else [((), table)]
    for key, part in groups:
        valid = part["_s"].dropna()
        n = len(valid)
        if kpi == "nps":
            value = 100 * ((valid >= 9).sum() - (valid <= 6).sum()) / n
        elif kpi == "csat":
            value = 100 * (valid >= 4).sum() / n
        else:
            value = valid.mean()
        key = key if isinstance(key, tuple) else (key,)
        out[key] = (value, n, int(part["_m"].sum()), int(part["_i"].sum()))
    return out


@pytest.fixture(scope="module")
def unseen(tmp_path_factory):
    """A fresh export from the generator with a seed the sample does not use."""
    folder = generate(tmp_path_factory.mktemp("unseen"), "survey", 30_000, 91, parquet=False)
    return folder / "survey.csv"


@pytest.mark.parametrize(("kpi", "column"), [("nps", "LTR"), ("csat", "Sat"), ("ces", "Effort")])
@pytest.mark.parametrize("grouping", ["none", "region", "region_month"])
def test_matches_pandas(cx, unseen, kpi, column, grouping):
    frame = pd.read_csv(unseen, dtype=str, keep_default_na=False)
    args = [kpi, str(unseen), "--score", column, "-q"]
    keys: list[str] = []
    if grouping != "none":
        args += ["--by", "Region"]
        keys.append("Region")
    if grouping == "region_month":
        args += ["--period", "month", "--time", "Submitted At"]
        frame["period"] = frame["Submitted At"].str[:7]
        keys.append("period")
    data = cx(*args).json
    expected = oracle(frame, kpi, column, keys)
    if keys:
        got = {
            tuple(g["key"][k] for k in keys): (
                g["value"],
                g["n"],
                g["quality"]["missing"],
                g["quality"]["invalid"],
            )
            for g in data["groups"]
        }
    else:
        q = data["quality"]
        got = {(): (data["value"], data["n"], q["missing"], q["invalid"])}
    assert got.keys() == expected.keys()
    for key, (value, n, missing, invalid) in expected.items():
        assert got[key][1:] == (n, missing, invalid), key
        assert got[key][0] == pytest.approx(value, abs=1e-6), key
    assert data["quality"]["rows"] == len(frame)
