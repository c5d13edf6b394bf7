"""`cx clv --model bgnbd`: the customer summaries from the order ledger, the fitted BG/NBD
and Gamma-Gamma models (lifetime.py), the value over the horizon with its interval, and the
holdout check; `--per-customer FILE` holds a row per customer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..definition import Estimate
from ..periods import US_PER_DAY
from .orders import MICRO

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from .clv import Clv, Orders

DRAWS = 200  # parameter draws of the interval
DRAWN_CUSTOMERS = 1_000  # customers the draws are valued on (a fixed random sample)
MIN_CUSTOMERS = 30  # fewer calibration customers: no fit


class Summary:
    """The calibration customers: ids, x (repeat purchase days), t_x and T in weeks, mean
    repeat spend, and what they bought in the holdout."""

    def __init__(self, kpi: Clv, state: Orders) -> None:
        import numpy as np
        import pyarrow.compute as pc

        from ..ledger import customers_of

        table = state.ledger.table()
        day = table.column("day").to_numpy()
        if kpi.calibration_end is not None:
            self.end_day = int(kpi.calibration_end // US_PER_DAY)  # the first day after
        else:
            self.end_day = int(day.max()) + 1 if len(day) else 0
        calibration = table.filter(pc.less(table.column("day"), self.end_day))
        cust = customers_of(calibration)
        self.ids = cust.ids
        self.x = (cust.days - 1).astype(float)
        self.t = (self.end_day - 1 - cust.first) / 7.0
        self.tx = (cust.last - cust.first) / 7.0
        repeat = cust.spend - cust.first_spend
        with np.errstate(invalid="ignore", divide="ignore"):
            self.m = np.where(self.x > 0, repeat / np.maximum(self.x, 1) / MICRO, 0.0)
        self.first_day = int(cust.first.min()) if len(cust.first) else None
        later = table.filter(pc.greater_equal(table.column("day"), self.end_day))
        known = pc.is_in(later.column("customer"), value_set=self.ids)
        self.new_in_holdout = len(pc.unique(later.filter(pc.invert(known)).column("customer")))
        held = later.filter(known)
        self.holdout_days = held.num_rows
        self.holdout_spend = int(pc.sum(held.column("spend")).as_py() or 0) / MICRO


def bgnbd_estimate(kpi: Clv, state: Orders, confidence: float) -> Estimate:
    import numpy as np

    from .. import lifetime as lt

    s = Summary(kpi, state)
    n = len(s.x)
    details: dict[str, Any] = {"model": "bgnbd", "customers": n}
    if n < MIN_CUSTOMERS or not (s.x > 0).any():
        note = f"the models need at least {MIN_CUSTOMERS} customers, some of them repeat buyers"
        return Estimate(None, n, None, details, (f"{note}: {n:,} customers",))
    notes: list[str] = []
    bg = lt.fit_bgnbd(s.x, s.tx, s.t)
    usable = (s.x > 0) & (s.m > 0)
    gg = lt.fit_gamma_gamma(s.x[usable], s.m[usable])
    r, alpha, a, b = bg.params.tolist()
    p, q, gamma = gg.params.tolist()
    details["bgnbd"] = {
        **{"r": r, "alpha": alpha, "a": a, "b": b, "time_unit": "week"},
        **{"loglik": bg.loglik, "converged": bg.converged},
    }
    details["gamma_gamma"] = {
        **{"p": p, "q": q, "gamma": gamma, "loglik": gg.loglik, "converged": gg.converged},
        "customers": int(usable.sum()),
        "frequency_spend_correlation": float(np.corrcoef(s.x[usable], s.m[usable])[0, 1])
        if usable.sum() > 2
        else None,
    }
    for name, fit in (("BG/NBD", bg), ("Gamma-Gamma", gg)):
        if not fit.converged:
            notes.append(f"the {name} fit did not converge ({fit.message}): treat it with care")
    if q <= 1:
        notes.append("the Gamma-Gamma q ≤ 1: mean spend is unbounded, no value")
        return Estimate(None, n, None, details, tuple(notes))
    alive, purchases, spend, values = _valued(kpi, s, bg.params, gg.params)
    value = float(values.mean())
    ranked = np.sort(values)[::-1]
    top = max(1, n // 10)
    details |= {
        "calibration": {"from": _date(s.first_day), "to": _date(s.end_day - 1), "customers": n},
        "horizon_months": kpi.horizon,
        "discount": kpi.discount,
        "margin": kpi.margin,
        "expected_purchases": float(purchases.mean()),
        "p_alive": {
            "mean": float(alive.mean()),
            **{f"p{k}": float(np.percentile(alive, k)) for k in (10, 50, 90)},
        },
        "top10_share": float(ranked[:top].sum() / ranked.sum()) if ranked.sum() > 0 else None,
        "ci_method": f"parametric bootstrap: {DRAWS} draws of the fitted parameters",
    }
    if kpi.holdout_end is not None:
        details["holdout"] = _holdout(kpi, s, bg.params, spend)
    if s.new_in_holdout:
        notes.append(
            f"{s.new_in_holdout:,} customers first ordered after --until: not in the fit "
            "(the model values the customers it has seen)"
        )
    ci = _interval(kpi, s, bg, gg, value, confidence)
    if ci is None:
        notes.append("no interval: the fitted parameters' covariance is not defined")
    else:
        notes.append(
            "the interval is the parameters' uncertainty only; the model's fit is what "
            "--holdout checks"
        )
    return Estimate(value, n, ci, details, tuple(notes))


def _valued(kpi: Clv, s: Summary, bg: np.ndarray, gg: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each customer's P(alive), expected purchases over the horizon, expected spend and CLV
    under the fitted parameters."""
    from .. import lifetime as lt

    horizon = kpi.horizon * lt.WEEKS_PER_MONTH
    spend = lt.expected_spend(gg, s.x, s.m)
    values = lt.lifetime_values(bg, spend, s.x, s.tx, s.t, kpi.horizon, kpi.discount)
    return (
        lt.p_alive(bg, s.x, s.tx, s.t),
        lt.expected_purchases(bg, s.x, s.tx, s.t, horizon),
        spend,
        kpi.margin * values,
    )


def _holdout(kpi: Clv, s: Summary, params: np.ndarray, spend: np.ndarray) -> dict[str, Any]:
    from .. import lifetime as lt

    assert kpi.holdout_end is not None
    weeks = (kpi.holdout_end // US_PER_DAY - s.end_day) / 7.0
    predicted = lt.expected_purchases(params, s.x, s.tx, s.t, weeks)
    revenue = float((predicted * spend).sum())
    actual = s.holdout_days
    return {
        "from": _date(s.end_day),
        "to": _date(int(kpi.holdout_end // US_PER_DAY) - 1),
        "weeks": weeks,
        "predicted_purchases": float(predicted.sum()),
        "actual_purchases": actual,
        "purchases_error_pct": _error(float(predicted.sum()), actual),
        "predicted_revenue": revenue,
        "actual_revenue": s.holdout_spend,
        "revenue_error_pct": _error(revenue, s.holdout_spend),
    }


def _error(predicted: float, actual: float) -> float | None:
    return 100 * (predicted - actual) / actual if actual else None


def _interval(kpi: Clv, s: Summary, bg, gg, value: float, confidence: float):
    """Percentiles of the mean value under draws of both models' log parameters from their
    fitted normal approximations, valued on a fixed sample of customers and scaled to the
    whole: the parameters' uncertainty, not the customers'."""
    import numpy as np

    from .. import lifetime as lt

    if bg.covariance is None or gg.covariance is None:
        return None
    rng = np.random.default_rng(20050101)
    pick = np.sort(rng.choice(len(s.x), size=min(DRAWN_CUSTOMERS, len(s.x)), replace=False))
    x, tx, t, m = s.x[pick], s.tx[pick], s.t[pick], s.m[pick]

    def mean_value(bg_params: np.ndarray, gg_params: np.ndarray) -> float:
        spend = lt.expected_spend(gg_params, x, m)
        return float(
            lt.lifetime_values(bg_params, spend, x, tx, t, kpi.horizon, kpi.discount).mean()
        )

    base = mean_value(bg.params, gg.params)
    bg_draws = rng.multivariate_normal(np.log(bg.params), bg.covariance, DRAWS)
    gg_draws = rng.multivariate_normal(np.log(gg.params), gg.covariance, DRAWS)
    ratios = []
    with np.errstate(all="ignore"):
        for bgd, ggd in zip(np.exp(bg_draws), np.exp(gg_draws), strict=True):
            if ggd[1] <= 1:
                continue
            ratios.append(mean_value(bgd, ggd) / base)
    ratios = np.array([r for r in ratios if np.isfinite(r)])
    if base <= 0 or len(ratios) < DRAWS // 2:
        return None
    low, high = np.quantile(ratios, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(value * low), float(value * high)


def _date(day: int | None) -> str | None:
    from ..periods import Period, period_label

    return None if day is None else period_label(day, Period.DAY)


def per_customer_table(kpi: Clv, state: Orders, details: dict[str, Any]) -> pa.Table:
    """A row per calibration customer: frequency, recency, T, mean repeat spend, P(alive),
    expected purchases over the horizon and CLV, from the run's fitted models (`details`)."""
    import numpy as np
    import pyarrow as pa

    fitted, spend_model = details.get("bgnbd"), details.get("gamma_gamma")
    if not fitted or not spend_model or spend_model["q"] <= 1:
        from ..errors import InputError

        raise InputError("--per-customer: no model was fitted to value the customers (see notes)")
    bg = np.array([fitted[k] for k in ("r", "alpha", "a", "b")])
    gg = np.array([spend_model[k] for k in ("p", "q", "gamma")])
    s = Summary(kpi, state)
    alive, purchases, _, values = _valued(kpi, s, bg, gg)
    return pa.table(
        {
            "customer": s.ids,
            "frequency": s.x.astype(int),
            "recency_weeks": s.tx,
            "T_weeks": s.t,
            "monetary": s.m,
            "p_alive": alive,
            "expected_purchases": purchases,
            "clv": values,
        }
    )


def per_customer_file(kpi: Clv, state: Orders, details: dict[str, Any], path: str) -> bytes:
    """--per-customer FILE's content: Parquet for .parquet, else CSV (ids made inert for
    spreadsheets: =, +, -, @ quoted)."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    table = per_customer_table(kpi, state, details)
    sink = io.BytesIO()
    if path.endswith(".parquet"):
        pq.write_table(table, sink)
    else:
        from ..render.flat import safe_cell

        ids = [safe_cell(v) for v in table.column("customer").to_pylist()]
        table = table.set_column(0, "customer", pa.array(ids, pa.string()))
        pcsv.write_csv(table, sink)
    return sink.getvalue()
