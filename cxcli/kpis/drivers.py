"""Key drivers: which attributes (price, support, delivery ratings) move an outcome (likelihood
to recommend, overall satisfaction), ranked by their share of what they explain together.

From the rows where the outcome and every attribute are numbers (the others are missing or
invalid, and counted), the state keeps n, Σv and Σvvᵀ of v = (outcome, attributes), which merge
by addition, and gives the correlation matrix R. Per attribute: its correlation with the
outcome, its standardised coefficient β = R_xx⁻¹ r_xy in the regression on all attributes, and
its importance: its Shapley value of R² (LMG, exact over all subsets, up to 12 attributes) or
Johnson's relative weights (beyond), as a percentage of R², so the importances add to 100.
The headline is R² (%), the share of the outcome's variance the attributes explain.

Intervals: a Poisson bootstrap of states (bootstrap.py, 200 replicates, percentile
intervals): the state keeps the same sums under each replicate's weights, so it merges as the
data's does, and every schedule (one process, --jobs, Dask) gives each row the same weights.
Importances need at least 10 rows per attribute. Importance is not effect: an attribute that is
only correlated with a real driver takes a share of its importance.

>>> est = Drivers(attributes=("price", "support")).compute({
...     "outcome": [9, 7, 10, 3, 8, 6, 9, 2, 10, 5] * 3,
...     "attributes[0]": [4, 3, 5, 1, 4, 3, 5, 2, 4, 3] * 3,
...     "attributes[1]": [5, 3, 4, 2, 3, 2, 4, 1, 5, 3] * 3})
>>> [(d["attribute"], round(d["importance"])) for d in est.details["drivers"]]
[('price', 51), ('support', 49)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..definition import ROW_KEY, Estimate, Kpi, Role, role_columns
from ..errors import UsageError
from ..registry import register

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..times import TimeSettings
    from ..values import Parsed

PER_ATTRIBUTE = 10  # rows needed per attribute
CHUNK = 8_192  # rows weighted at a time: a (rows, replicates) matrix of 13 MB
NOT_EFFECT = (
    "importance is not effect: it is each attribute's share of what the attributes explain "
    "together, and an attribute correlated with a real driver takes a share of it"
)

OUTCOME = Role(
    "outcome",
    "LTR",
    aliases=("nps", "likelihood_to_recommend", "recommend", "overall", "satisfaction", "csat"),
    help="the outcome the attributes explain (a number: likelihood to recommend, satisfaction)",
)
ATTRIBUTES = Role(
    "attributes",
    "",
    help="the attributes (numbers), comma-separated or globs: price,support or 'Q5_*'",
    kind="columns",
)


@dataclass
class Moments:
    """Σw, Σw·v and Σw·vvᵀ (upper triangle) of v = (outcome, attributes), for the data (row 0,
    every weight 1) and each bootstrap replicate (rows 1…)."""

    weight: np.ndarray  # (replicates + 1,)
    first: np.ndarray  # (replicates + 1, p)
    second: np.ndarray  # (replicates + 1, p(p + 1) / 2)


@register
@dataclass(frozen=True)
class Drivers(Kpi[Moments]):
    """The attributes that move an outcome, by their share of R² (Shapley / relative weights)."""

    name = "drivers"
    title = "Key drivers: R²"
    value_unit = "percent"
    decimals = 1
    indicator = "leading"
    roles = (OUTCOME, ATTRIBUTES)
    row_keyed = True
    examples = (
        "cx drivers survey.csv --outcome LTR --attributes Price,Support,Delivery",
        "cx drivers survey.parquet --outcome LTR --attributes 'Q5_*' --by Region",
    )

    attributes: tuple[str, ...] = field(default=(), metadata={"cli": False})

    @property
    def definition(self) -> str:
        from ..importance import SHAPLEY_MAX

        exact = len(self.attributes) <= SHAPLEY_MAX
        return f"drivers.{'shapley' if exact else 'relative_weights'}"

    def index_score(self, value: float) -> float | None:
        return None  # R² is not a customer's experience: no place in the CX index

    @property
    def index_method(self) -> str:
        return "not in the index"

    def select_roles(self, named: dict[str, str], found: dict[str, str]) -> dict[str, str]:
        roles = {**found, **named}
        outcome = roles.get("outcome")
        chosen = [c for k, c in roles.items() if k.startswith("attributes[") and c != outcome]
        if not chosen:
            raise UsageError("--attributes names no column besides the outcome")
        rest = {k: c for k, c in roles.items() if not k.startswith("attributes[")}
        return rest | {f"attributes[{i}]": c for i, c in enumerate(chosen)}

    def bind(self, roles: Mapping[str, str]) -> Drivers:
        """The attributes named by their columns (unless named already, as for `compute`)."""
        chosen = tuple(role_columns(ATTRIBUTES, roles) or ())
        if not chosen or len(chosen) == len(self.attributes):
            return self
        return replace(self, attributes=chosen)

    def params(self) -> dict[str, Any]:
        return {}

    @property
    def _keys(self) -> list[str]:
        return ["outcome", *(f"attributes[{i}]" for i in range(len(self.attributes)))]

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        from ..values import parse_amounts

        return {key: parse_amounts(columns[key]) for key in self._keys}

    def init(self) -> Moments:
        import numpy as np

        from ..bootstrap import REPLICATES

        p, rows = len(self._keys), REPLICATES + 1
        return Moments(np.zeros(rows), np.zeros((rows, p)), np.zeros((rows, p * (p + 1) // 2)))

    def update(self, state: Moments, values: Mapping[str, np.ndarray]) -> Moments:
        """The batch's sums under every replicate's weights, added to `state`'s: one product
        of the weights with the rows' terms (1, v, the upper triangle of vvᵀ)."""
        import numpy as np

        from ..bootstrap import weights

        data = np.column_stack([values[key] for key in self._keys])
        p, replicates = data.shape[1], len(state.weight) - 1
        upper = np.triu_indices(p)
        terms = np.column_stack([np.ones(len(data)), data, data[:, upper[0]] * data[:, upper[1]]])
        sums = np.empty((replicates + 1, terms.shape[1]))
        sums[0] = terms.sum(axis=0)
        sums[1:] = 0.0
        keys = values[ROW_KEY]
        for start in range(0, len(data), CHUNK):
            w = weights(keys[start : start + CHUNK], replicates).astype(np.float64)
            sums[1:] += w.T @ terms[start : start + CHUNK]
        return Moments(
            state.weight + sums[:, 0],
            state.first + sums[:, 1 : 1 + p],
            state.second + sums[:, 1 + p :],
        )

    def merge(self, a: Moments, b: Moments) -> Moments:
        return Moments(a.weight + b.weight, a.first + b.first, a.second + b.second)

    def finalize(self, state: Moments, confidence: float = 0.95) -> Estimate:
        import numpy as np

        from ..importance import betas, correlations, importance, r_squared

        n, k = int(state.weight[0]), len(self.attributes)
        replicates = len(state.weight) - 1
        details: dict[str, Any] = {"attributes": k, "drivers": []}
        need = PER_ATTRIBUTE * k
        if n < max(need, 3):
            note = f"importances need at least {need:,} rows ({PER_ATTRIBUTE} per attribute)"
            return Estimate(None, n, None, details, (f"{note}: {n:,} used",))
        r = correlations(_covariances(state))
        flat = ~np.isfinite(r[0].diagonal())
        if flat[0]:
            return Estimate(None, n, None, details, ("the outcome does not vary",))
        kept = [j for j in range(k) if not flat[j + 1]]
        notes = [f"{self.attributes[j]!r} does not vary: left out" for j in range(k) if flat[j + 1]]
        if not kept:
            return Estimate(None, n, None, details, tuple(notes))
        index = np.array([0, *(j + 1 for j in kept)])
        r = r[:, index[:, None], index[None, :]]
        usable = np.isfinite(r).all(axis=(1, 2))  # replicates where every variable varies
        usable[0] = False
        if usable.sum() < 0.95 * replicates:
            notes.append(f"only {int(usable.sum())} of {replicates} bootstrap replicates vary")
        fit = r_squared(r)
        shares, method = importance(r)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = 100 * shares / fit[:, None]
        low, high = (1 - confidence) / 2, (1 + confidence) / 2

        def interval(values: np.ndarray) -> tuple[float, float] | None:
            picked = values[usable]
            picked = picked[np.isfinite(picked)]
            if picked.size < 20:
                return None
            return float(np.quantile(picked, low)), float(np.quantile(picked, high))

        correlation, beta = r[0, 0, 1:], betas(r[:1])[0]
        drivers = []
        for i, j in enumerate(kept):
            ci = interval(shares[:, i])
            drivers.append(
                {
                    "attribute": self.attributes[j],
                    "correlation": float(correlation[i]),
                    "beta": float(beta[i]),
                    "importance": float(shares[0, i]),
                    "ci_low": None if ci is None else ci[0],
                    "ci_high": None if ci is None else ci[1],
                }
            )
        drivers.sort(key=lambda d: (-d["importance"], d["attribute"]))
        details |= {
            "method": method,
            "r_squared": float(fit[0]),
            "replicates": replicates,
            "drivers": drivers,
        }
        ci = interval(100 * fit)
        return Estimate(100 * float(fit[0]), n, ci, details, (*notes, NOT_EFFECT))


def _covariances(state: Moments) -> np.ndarray:
    """Each replicate's covariance matrix (dividing by Σw: correlations do not mind)."""
    import numpy as np

    p = state.first.shape[1]
    upper = np.triu_indices(p)
    second = np.zeros((len(state.weight), p, p))
    second[:, upper[0], upper[1]] = state.second
    second[:, upper[1], upper[0]] = state.second
    with np.errstate(divide="ignore", invalid="ignore"):
        total = state.weight[:, None, None]
        mean = state.first / state.weight[:, None]
        covariance = second / total - mean[:, :, None] * mean[:, None, :]
    small = np.abs(covariance) <= 1e-12 * np.abs(second / total)  # rounding, not variance
    covariance[small & np.eye(p, dtype=bool)] = 0.0
    return covariance
