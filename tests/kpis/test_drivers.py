"""cx drivers: correlations, standardised betas and relative importance (Shapley / LMG and
Johnson's relative weights) against hand-computed and independent reference implementations;
the Poisson bootstrap's weights against any split of the rows; the command, its errors, --by,
CSV and Parquet, the Python API and the report."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import SAMPLE

from cxcli import importance
from cxcli.bootstrap import REPLICATES, row_keys, source_name, weights
from cxcli.definition import ROW_KEY
from cxcli.kpis.drivers import NOT_EFFECT, Drivers


def _data(n: int, k: int, seed: int = 1, integer: bool = True) -> np.ndarray:
    """An outcome (column 0) driven by k correlated attributes, as 1-5 / 0-10 ratings."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=(n, 1))
    x = 0.6 * shared + rng.normal(size=(n, k))
    y = x @ np.linspace(1.0, 0.2, k) + rng.normal(size=n)
    if integer:
        x = np.clip(np.rint(3 + x), 1, 5)
        y = np.clip(np.rint(5 + 1.5 * y), 0, 10)
    return np.column_stack([y, x])


def _r(data: np.ndarray) -> np.ndarray:
    return np.corrcoef(data.T)


def _ols_r2(data: np.ndarray, chosen: tuple[int, ...]) -> float:
    """R² of column 0 on the chosen attribute columns (1-based), by least squares."""
    y = data[:, 0]
    if not chosen:
        return 0.0
    x = np.column_stack([np.ones(len(y)), data[:, list(chosen)]])
    fitted = x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return 1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def _shapley_by_orders(data: np.ndarray) -> np.ndarray:
    """LMG by its definition: the mean gain in R² of each attribute over every entry order."""
    k = data.shape[1] - 1
    gains = np.zeros(k)
    orders = list(itertools.permutations(range(1, k + 1)))
    for order in orders:
        for i, j in enumerate(order):
            gains[j - 1] += _ols_r2(data, order[: i + 1]) - _ols_r2(data, order[:i])
    return gains / len(orders)


# -- the formulas --------------------------------------------------------------------------------
def test_two_attributes_by_hand():
    """k = 2: R² = (r1² + r2² − 2 r1 r2 r12) / (1 − r12²), LMG_1 = (r1² + R² − r2²) / 2."""
    r1, r2, r12 = 0.6, 0.4, 0.3
    r = np.array([[1, r1, r2], [r1, 1, r12], [r2, r12, 1]])
    fit = (r1**2 + r2**2 - 2 * r1 * r2 * r12) / (1 - r12**2)
    assert importance.r_squared(r) == pytest.approx(fit)
    assert importance.shapley(r) == pytest.approx(
        [(r1**2 + fit - r2**2) / 2, (r2**2 + fit - r1**2) / 2]
    )
    b1, b2 = (r1 - r2 * r12) / (1 - r12**2), (r2 - r1 * r12) / (1 - r12**2)
    assert importance.betas(r) == pytest.approx([b1, b2])


@pytest.mark.parametrize("k", [1, 3, 5])
def test_shapley_matches_the_mean_gain_over_every_order(k):
    data = _data(400, k, seed=k, integer=False)
    assert importance.shapley(_r(data)) == pytest.approx(_shapley_by_orders(data), abs=1e-10)
    assert importance.shapley(_r(data)).sum() == pytest.approx(
        _ols_r2(data, tuple(range(1, k + 1)))
    )


def test_betas_are_the_standardised_least_squares_coefficients():
    data = _data(300, 4, integer=False)
    z = (data - data.mean(0)) / data.std(0)
    expected = np.linalg.lstsq(z[:, 1:], z[:, 0], rcond=None)[0]
    assert importance.betas(_r(data)) == pytest.approx(expected)


def test_relative_weights_match_johnsons_construction_from_the_data():
    """Johnson (2000): Z = U Vᵀ from the SVD of the standardised attributes X; Λ regresses X on
    Z, β regresses y on Z; ε_j = Σ_k Λ_jk² β_k²."""
    data = _data(500, 6, seed=3, integer=False)
    z = (data - data.mean(0)) / data.std(0)
    x, y = z[:, 1:], z[:, 0]
    u, _, vt = np.linalg.svd(x, full_matrices=False)
    orthogonal = u @ vt
    lam = np.linalg.lstsq(orthogonal, x, rcond=None)[0]
    beta = np.linalg.lstsq(orthogonal, y, rcond=None)[0]
    expected = (lam.T**2) @ (beta**2) / len(y) ** 2  # ZᵀZ = I: X and y have norm √n
    found = importance.relative_weights(_r(data))
    assert found == pytest.approx(expected)
    assert found.sum() == pytest.approx(importance.r_squared(_r(data)))


def test_uncorrelated_attributes_each_explain_their_squared_correlation():
    r = np.eye(4)
    r[0, 1:] = r[1:, 0] = [0.5, 0.3, 0.1]
    expected = [0.25, 0.09, 0.01]
    assert importance.shapley(r) == pytest.approx(expected)
    assert importance.relative_weights(r) == pytest.approx(expected)


def test_a_duplicated_attribute_shares_what_it_explains():
    data = _data(300, 2, integer=False)
    data = np.column_stack([data, data[:, 1]])  # attribute 3 is attribute 1 again
    shares = importance.shapley(_r(data))
    assert shares[0] == pytest.approx(shares[2])
    assert shares.sum() == pytest.approx(_ols_r2(data, (1, 2)))


def test_stacks_are_computed_matrix_by_matrix():
    rs = np.stack([_r(_data(200, 3, seed=s, integer=False)) for s in range(4)])
    for method in (importance.shapley, importance.relative_weights, importance.betas):
        assert method(rs) == pytest.approx(np.stack([method(r) for r in rs]))


def test_beyond_twelve_attributes_relative_weights_are_used():
    r = _r(_data(400, 13, integer=False))
    shares, method = importance.importance(r)
    assert method == "relative_weights" and shares.sum() == pytest.approx(importance.r_squared(r))
    with pytest.raises(ValueError):
        importance.shapley(r)


# -- the bootstrap weights -------------------------------------------------------------------
def test_weights_are_poisson_one():
    w = weights(row_keys("a.csv", np.arange(20_000))).astype(float)
    assert w.shape == (20_000, REPLICATES)
    assert w.mean() == pytest.approx(1.0, abs=0.01) and w.var() == pytest.approx(1.0, abs=0.02)
    assert (w == 0).mean() == pytest.approx(math.exp(-1), abs=0.005)
    replicate_corr = np.corrcoef(w[:, :8].T)[np.triu_indices(8, 1)]
    assert np.abs(replicate_corr).max() < 0.05


def test_a_rows_weights_depend_on_its_file_and_row_only():
    rows, name = np.arange(1_000), source_name("data/x.csv")
    whole = weights(row_keys(name, rows))
    parts = np.concatenate([weights(row_keys(name, p)) for p in np.split(rows, [3, 500])])
    assert (whole == parts).all()
    assert source_name("./elsewhere/x.parquet") == name == source_name("x.csv.gz")
    assert (weights(row_keys(source_name("data/y.csv"), rows)) != whole).any()
    partitioned = source_name("s3://b/region=EU/part-0.parquet", (("region", "EU"),))
    assert partitioned != source_name("s3://b/region=NA/part-0.parquet", (("region", "NA"),))


# -- the KPI ---------------------------------------------------------------------------------------
def _kpi(k: int) -> Drivers:
    return Drivers(attributes=tuple(f"a{j}" for j in range(1, k + 1)))


def _state(kpi: Drivers, data: np.ndarray, rows: np.ndarray, source: str = "f.csv"):
    values = {key: data[rows, i] for i, key in enumerate(kpi._keys)}
    values[ROW_KEY] = row_keys(source, rows)
    return kpi.update(kpi.init(), values)


def test_the_estimate_is_the_datas_own():
    data = _data(500, 3)
    kpi = _kpi(3)
    est = kpi.finalize(_state(kpi, data, np.arange(500)))
    r = _r(data)
    assert est.value == pytest.approx(100 * importance.r_squared(r))
    assert est.n == 500 and est.notes[-1] == NOT_EFFECT
    by_name = {d["attribute"]: d for d in est.details["drivers"]}
    shares = 100 * importance.shapley(r) / importance.r_squared(r)
    for j, name in enumerate(("a1", "a2", "a3")):
        assert by_name[name]["correlation"] == pytest.approx(r[0, j + 1])
        assert by_name[name]["beta"] == pytest.approx(importance.betas(r)[j])
        assert by_name[name]["importance"] == pytest.approx(shares[j])
        assert by_name[name]["ci_low"] <= by_name[name]["importance"] <= by_name[name]["ci_high"]
    ranked = [d["importance"] for d in est.details["drivers"]]
    assert ranked == sorted(ranked, reverse=True)
    assert sum(ranked) == pytest.approx(100)
    assert est.ci[0] <= est.value <= est.ci[1]
    assert est.details["method"] == "shapley" and est.details["replicates"] == REPLICATES


def test_any_split_and_merge_order_gives_the_same_state():
    data = _data(3_000, 3)
    kpi = _kpi(3)
    rng = np.random.default_rng(5)
    whole = _state(kpi, data, np.arange(3_000))
    for _ in range(5):
        cuts = np.sort(rng.choice(np.arange(1, 3_000), size=4, replace=False))
        parts = [_state(kpi, data, rows) for rows in np.split(np.arange(3_000), cuts)]
        order = rng.permutation(len(parts))
        merged = kpi.init()
        for i in order:
            merged = kpi.merge(merged, parts[i])
        # integer ratings and integer weights: the sums are exact, whatever the order
        assert (merged.weight == whole.weight).all() and (merged.first == whole.first).all()
        assert (merged.second == whole.second).all()
    assert kpi.finalize(merged).details == kpi.finalize(whole).details


def test_fewer_than_ten_rows_per_attribute_give_no_importances():
    kpi = _kpi(3)
    est = kpi.finalize(_state(kpi, _data(29, 3), np.arange(29)))
    assert est.value is None and est.details["drivers"] == []
    assert "at least 30 rows (10 per attribute): 29 used" in est.notes[0]
    assert kpi.finalize(_state(kpi, _data(30, 3), np.arange(30))).value is not None


def test_an_attribute_that_does_not_vary_is_left_out():
    data = _data(200, 3)
    data[:, 2] = 4.0
    est = _kpi(3).finalize(_state(_kpi(3), data, np.arange(200)))
    assert [d["attribute"] for d in est.details["drivers"]] == ["a1", "a3"]
    assert "'a2' does not vary: left out" in est.notes
    data[:, 0] = 7.0
    est = _kpi(3).finalize(_state(_kpi(3), data, np.arange(200)))
    assert est.value is None and est.notes == ("the outcome does not vary",)


# -- the command ---------------------------------------------------------------------------------
def _write(
    tmp_path, data: np.ndarray, names: list[str], extra: dict | None = None
) -> tuple[str, str]:
    table = pa.table({name: data[:, i] for i, name in enumerate(names)} | (extra or {}))
    csv_path, parquet_path = tmp_path / "survey.csv", tmp_path / "survey.parquet"
    import pyarrow.csv as pacsv

    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path)
    return str(csv_path), str(parquet_path)


def test_csv_and_parquet_of_one_export_agree_exactly(cx, tmp_path):
    data = _data(800, 3).astype(int)
    csv_path, parquet_path = _write(tmp_path, data, ["LTR", "Price", "Support", "Delivery"])
    out = [
        cx("drivers", p, "--attributes", "Price,Support,Delivery", "-q").json
        for p in (csv_path, parquet_path)
    ]
    assert out[0]["details"] == out[1]["details"] and out[0]["ci"] == out[1]["ci"]
    assert out[0]["params"]["attributes"] == ["Price", "Support", "Delivery"]
    assert out[0]["params"]["outcome"] == "LTR"


def test_a_glob_names_the_attributes_and_leaves_the_outcome_out(cx, tmp_path):
    data = _data(300, 3).astype(int)
    path, _ = _write(tmp_path, data, ["Q5_1", "Q5_2", "Q5_3", "Q5_4"])
    out = cx("drivers", path, "--outcome", "Q5_1", "--attributes", "Q5_*", "-q").json
    assert sorted(d["attribute"] for d in out["details"]["drivers"]) == ["Q5_2", "Q5_3", "Q5_4"]


def test_a_segment_is_the_same_as_its_rows_alone(cx, tmp_path):
    """--by: each group's result, intervals included, is what --where gives for it (a row's
    bootstrap weights are its own, whichever rows are read with it)."""
    data = _data(1_200, 2).astype(int)
    region = pa.array(np.array(["EMEA", "NA", "APAC"])[np.arange(1_200) % 3])
    path, _ = _write(tmp_path, data, ["LTR", "Price", "Support"], {"Region": region})
    grouped = cx("drivers", path, "--attributes", "Price,Support", "--by", "Region", "-q").json
    emea = next(g for g in grouped["groups"] if g["key"] == {"Region": "EMEA"})
    alone = cx(
        "drivers", path, "--attributes", "Price,Support", "--where", "Region = 'EMEA'", "-q"
    ).json
    assert emea["details"] == alone["details"] and emea["ci"] == alone["ci"]


def test_rows_with_a_missing_or_invalid_value_are_counted_not_used(cx, tmp_path):
    path = tmp_path / "s.csv"
    rows = ["LTR,Price,Support"] + [f"{i % 11},{i % 5 + 1},{(i * 3) % 5 + 1}" for i in range(60)]
    rows += ["9,,4", "8,n/a,3", "7,cheap,2"]
    path.write_text("\n".join(rows) + "\n")
    out = cx("drivers", str(path), "--attributes", "Price,Support", "-q").json
    assert out["n"] == 60
    assert (out["quality"]["missing"], out["quality"]["invalid"]) == (2, 1)
    assert out["quality"]["invalid_examples"][0]["value"] == "cheap"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--attributes is required"),
        (["--attributes", "Nope*"], "column 'Nope*' (--attributes) not found"),
        (["--attributes", "LTR"], "--attributes names no column besides the outcome"),
    ],
)
def test_attribute_errors_say_what_to_do(cx, args, message):
    result = cx("drivers", str(SAMPLE / "survey.csv"), *args, "-q")
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_the_table_and_markdown_list_the_drivers(cx):
    args = ["drivers", str(SAMPLE / "survey.csv"), "--attributes", "Price,Support,Delivery", "-q"]
    table = cx(*args, "--by", "Region", "-f", "table").stdout
    assert "importance" in table and "Support" in table and "EMEA" in table
    assert "importance is not effect" in table
    md = cx(*args, "-f", "markdown").stdout
    assert "| attribute | importance | interval | r | β |" in md
    assert "| Support |" in md


def test_the_python_api_takes_a_list_of_attributes():
    import pandas as pd

    import cxcli as cx

    frame = pd.read_csv(SAMPLE / "survey.csv")
    result = cx.drivers(frame, outcome="LTR", attributes=["Price", "Support", "Delivery"])
    from_file = cx.drivers(str(SAMPLE / "survey.csv"), attributes="Price,Support,Delivery")
    assert result.n == from_file.n
    assert result.value == pytest.approx(from_file.value)
    assert [d["attribute"] for d in result.details["drivers"]] == ["Support", "Price", "Delivery"]


def test_the_state_round_trips_through_cx_merge(cx, tmp_path):
    args = ["drivers", str(SAMPLE / "survey.csv"), "--attributes", "Price,Support", "-q"]
    direct = cx(*args).json
    cx(*args, "--emit-state", str(tmp_path / "a.cxstate"))
    merged = cx("merge", str(tmp_path / "a.cxstate"), "-q").json
    assert json.dumps(merged["details"]) == json.dumps(direct["details"])
