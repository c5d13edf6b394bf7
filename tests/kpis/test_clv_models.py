"""cx clv --model bgnbd: the BG/NBD and Gamma-Gamma log-likelihoods by hand, the published
CDNOW estimates (Fader, Hardie & Lee 2005), predictions against closed forms, the holdout check,
per-customer output, the ledger's merges and the errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from cxcli import lifetime as lt
from cxcli.ledger import Ledger, customers_of

# The authors' CDNOW sample (2,357 customers who first bought in Q1 1997, to June 1998), as the
# lifetimes package ships it (CDNOW_sample.txt), as CSV: see tests/data/README.md.
CDNOW = str(Path(__file__).parent.parent / "data" / "cdnow_sample.csv")
ROLES = ["--customer", "customer_id", "--amount", "amount", "--date", "date"]
MODEL = ["--model", "bgnbd", "--until", "1997-10-01"]
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_bgnbd_loglik_by_hand():
    r, alpha, a, b = 0.5, 3.0, 0.8, 2.5

    def by_hand(x, tx, t):
        beta = lambda u, v: math.gamma(u) * math.gamma(v) / math.gamma(u + v)  # noqa: E731
        common = math.gamma(r + x) * alpha**r / math.gamma(r)
        alive = beta(a, b + x) / beta(a, b) / (alpha + t) ** (r + x)
        dropped = beta(a + 1, b + x - 1) / beta(a, b) / (alpha + tx) ** (r + x) if x else 0.0
        return math.log(common * (alive + dropped))

    x, tx, t = np.array([0.0, 1.0, 4.0]), np.array([0.0, 2.5, 20.0]), np.array([10.0, 12.0, 30.0])
    found = lt.bgnbd_loglik(np.array([r, alpha, a, b]), x, tx, t)
    assert found == pytest.approx([by_hand(*v) for v in zip(x, tx, t, strict=True)])


def test_gamma_gamma_loglik_by_hand():
    p, q, gamma = 6.0, 4.0, 15.0

    def by_hand(x, m):  # the density of the mean of x Gamma(p, ν) spends, ν ~ Gamma(q, γ)
        lg = math.lgamma
        return (
            lg(p * x + q) - lg(p * x) - lg(q) + q * math.log(gamma) + (p * x - 1) * math.log(m)
            + p * x * math.log(x) - (p * x + q) * math.log(gamma + m * x)
        )  # fmt: skip

    x, m = np.array([1.0, 3.0]), np.array([20.0, 35.5])
    found = lt.gamma_gamma_loglik(np.array([p, q, gamma]), x, m)
    assert found == pytest.approx([by_hand(1.0, 20.0), by_hand(3.0, 35.5)])


def test_predictions_against_closed_forms():
    params = np.array([0.243, 4.414, 0.793, 2.426])
    r, alpha, a, b = params
    # the paper's customer: 2 repeat purchases, the last at week 30.43, T = 38.86
    one = [np.array([v]) for v in (2.0, 30.43, 38.86)]
    assert lt.expected_purchases(params, *one, 39.0)[0] == pytest.approx(1.226, abs=5e-4)
    # a customer seen at T = 0 expects the population's E[X(t)] (eq. 9)
    from scipy.special import hyp2f1

    t = 52.0
    z = np.zeros(1)
    expected = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    assert lt.expected_purchases(params, z, z, z, t)[0] == pytest.approx(expected)
    assert lt.p_alive(params, np.array([0.0]), z, np.array([30.0]))[0] == 1.0  # never repeated
    # expected spend: the population mean for no repeat purchase, nearer m_x with more of them
    gg = np.array([6.25, 3.74, 15.44])
    spends = lt.expected_spend(gg, np.array([0.0, 1.0, 50.0]), np.array([0.0, 100.0, 100.0]))
    assert spends[0] == pytest.approx(15.44 * 6.25 / 2.74)
    assert spends[0] < spends[1] < spends[2] < 100


def test_cdnow_reproduces_the_published_estimates(cx, tmp_path):
    table = pcsv.read_csv(
        CDNOW, convert_options=pcsv.ConvertOptions(column_types={"customer_id": pa.string()})
    )
    pq.write_table(table, tmp_path / "cdnow.parquet")
    for path in (CDNOW, str(tmp_path / "cdnow.parquet")):
        out = cx("clv", path, *ROLES, *MODEL, "-q").json
        details = out["details"]
        assert out["definition"] == "clv.bgnbd" and out["n"] == 2_357
        for name, value in PUBLISHED.items():
            assert f"{details['bgnbd'][name]:.3g}" == f"{value:.3g}", name
        for name, value in PUBLISHED_GG.items():
            assert f"{details['gamma_gamma'][name]:.3g}" == f"{value:.3g}", name
        assert details["bgnbd"]["converged"] and details["gamma_gamma"]["converged"]
        assert details["gamma_gamma"]["customers"] == 946
        assert details["calibration"] == {
            "from": "1997-01-01",
            "to": "1997-09-30",
            "customers": 2_357,
        }
        assert out["ci"]["low"] < out["value"] < out["ci"]["high"]
        assert 0 < details["top10_share"] < 1 and 0 < details["p_alive"]["mean"] < 1


def test_the_holdout_check_counts_what_happened(cx):
    out = cx("clv", CDNOW, *ROLES, *MODEL, "--holdout", "1998-07-01", "-q").json
    holdout = out["details"]["holdout"]
    # 6,696 purchase days in all: 2,357 first ones, 2,457 repeats before October 1997
    assert holdout["actual_purchases"] == 6_696 - 2_357 - 2_457
    assert holdout["weeks"] == 39.0 and holdout["to"] == "1998-06-30"
    assert abs(holdout["purchases_error_pct"]) < 20 and abs(holdout["revenue_error_pct"]) < 20
    # the fit is the calibration's: the same with or without the holdout read
    alone = cx("clv", CDNOW, *ROLES, *MODEL, "-q").json
    assert alone["details"]["bgnbd"] == out["details"]["bgnbd"]


def test_per_customer_file(cx, tmp_path):
    for name in ("each.parquet", "each.csv"):
        path = tmp_path / name
        run = cx("clv", CDNOW, *ROLES, *MODEL, "--per-customer", str(path), "-q")
        assert run.exit_code == 0
        table = pq.read_table(path) if name.endswith("parquet") else pcsv.read_csv(path)
        assert table.num_rows == 2_357
        assert table.column_names == [
            *("customer", "frequency", "recency_weeks", "T_weeks", "monetary"),
            *("p_alive", "expected_purchases", "clv"),
        ]
        value = cx("clv", CDNOW, *ROLES, *MODEL, "-q").json["value"]
        assert np.mean(table.column("clv").to_numpy()) == pytest.approx(value)


def test_too_few_customers_or_no_repeat_buyer_is_a_note(cx, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(
        "customer_id,date,amount\n" + "".join(f"c{i},2025-01-0{i % 9 + 1},5\n" for i in range(40))
    )
    out = cx("clv", str(path), *ROLES, "--model", "bgnbd", "-q").json
    assert out["value"] is None and "some of them repeat buyers" in out["notes"][0]


def test_a_fit_that_does_not_converge_says_so(monkeypatch):
    from cxcli.kpis import clv_models

    real = lt.fit_bgnbd

    def stuck(*args):
        fit = real(*args)
        return lt.Fit(fit.params, fit.loglik, False, "ABNORMAL_TERMINATION", fit.covariance)

    monkeypatch.setattr(lt, "fit_bgnbd", stuck)
    import cxcli as cx

    result = cx.clv(
        CDNOW,
        customer="customer_id",
        amount="amount",
        date="date",
        model="bgnbd",
        until="1997-10-01",
    )
    assert any("BG/NBD fit did not converge (ABNORMAL_TERMINATION)" in n for n in result.notes)
    assert clv_models is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "bgnbd", "--holdout", "1998-07-01"], "--holdout needs --until"),
        (
            ["--model", "bgnbd", "--until", "1998-01-01", "--holdout", "1997-07-01"],
            "must end after",
        ),
        (["--lifespan", "3", "--holdout", "1998-07-01"], "--holdout needs --model bgnbd"),
        (["--model", "bgnbd", "--lifespan", "3"], "--lifespan is for --model historic"),
    ],
)
def test_option_errors(cx, args, message):
    run = cx("clv", CDNOW, *ROLES, *args, "-q")
    assert run.exit_code == 2 and message in run.stderr


def test_the_ledger_merges_to_the_same_customers_in_any_order():
    rng = np.random.default_rng(3)
    ids = rng.choice(["a", "b", "c", "d"], 300)
    days, spend = rng.integers(0, 40, 300), rng.integers(1, 100, 300)
    whole = Ledger()
    whole.add(pa.array(ids), days, spend)
    parts = []
    for rows in np.array_split(rng.permutation(300), 5):
        part = Ledger()
        part.add(pa.array(ids[rows]), days[rows], spend[rows])
        parts.append(part)
    merged = Ledger()
    for i in rng.permutation(5):
        merged = merged.merge(parts[i])
    assert merged.table().equals(whole.table())
    summary = customers_of(whole.table())
    a = ids == "a"
    assert summary.ids.to_pylist() == ["a", "b", "c", "d"]
    assert (summary.first[0], summary.last[0]) == (days[a].min(), days[a].max())
    assert summary.days[0] == len(set(days[a])) and summary.spend[0] == spend[a].sum()
    assert summary.first_spend[0] == spend[a & (days == days[a].min())].sum()


def test_a_ledger_of_first_days_keeps_a_row_per_customer():
    """The historic formula needs each customer's first day only: memory follows customers."""
    firsts = Ledger(firsts=True)
    firsts.add(pa.array(["a", "b", "a"]), np.array([5, 3, 2]), np.array([1, 2, 3]))
    other = Ledger(firsts=True)
    other.add(pa.array(["b", "c"]), np.array([1, 9]), np.array([4, 5]))
    table = firsts.merge(other).table()
    assert table.to_pydict() == {"customer": ["a", "b", "c"], "day": [2, 1, 9], "spend": [4, 6, 5]}


def test_no_per_customer_file_without_a_fitted_model(cx, tmp_path):
    path, each = tmp_path / "o.csv", tmp_path / "each.csv"
    path.write_text(
        "customer_id,date,amount\n" + "".join(f"c{i},2025-01-02,5\n" for i in range(40))
    )
    run = cx("clv", str(path), *ROLES, "--model", "bgnbd", "--per-customer", str(each), "-q")
    assert run.exit_code == 2 and "no model was fitted" in run.stderr and not each.exists()
