"""Relative importance of correlated predictors, from correlation matrices alone.

Every function takes a stack of correlation matrices `R` of shape (..., p, p) whose first
variable is the outcome and the other k = p − 1 the attributes, and returns one row per matrix:
one matrix is the data, the others bootstrap replicates of it, all computed at once.

- `betas`: standardised regression coefficients, β = R_xx⁻¹ r_xy; R² = r_xyᵀ β.
- `shapley`: each attribute's Shapley value of R² (LMG: Lindeman, Merenda & Gold 1980), the
  average gain in R² from adding it, over every order of entering the attributes: exact, from
  the R² of all 2^k subsets, so for up to `SHAPLEY_MAX` attributes.
- `relative_weights`: Johnson's (2000) relative weights, which approximate LMG closely from
  one eigendecomposition, for more attributes.

Both importances add up to R². A singular R_xx (an attribute that is a combination of others)
is solved with the pseudo-inverse: the attributes then share what they explain.
"""

from __future__ import annotations

import math

import numpy as np

SHAPLEY_MAX = 12  # 4,096 subsets; beyond, Johnson's relative weights
REGULAR = 1e-8  # the smallest eigenvalue of a correlation matrix solved without pseudo-inverse


def correlations(covariance: np.ndarray) -> np.ndarray:
    """Correlation matrices from covariance matrices (a variable with no variance: NaN)."""
    sd = np.sqrt(np.clip(np.diagonal(covariance, axis1=-2, axis2=-1), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        return covariance / (sd[..., :, None] * sd[..., None, :])


def _regular(a: np.ndarray) -> np.ndarray:
    """Which of a stack of correlation matrices are far from singular: those, and every
    principal submatrix of them (whose eigenvalues interlace theirs), solve directly."""
    return np.linalg.eigvalsh(a)[..., 0] > REGULAR


def _solve(a: np.ndarray, b: np.ndarray, regular: np.ndarray | None = None) -> np.ndarray:
    """a⁻¹ b for stacks of symmetric matrices; the pseudo-inverse for those not `regular`."""
    if regular is None:
        regular = _regular(a)
    if regular.all():
        return np.linalg.solve(a, b[..., None])[..., 0]
    out = np.empty(b.shape)
    out[regular] = np.linalg.solve(a[regular], b[regular][..., None])[..., 0]
    out[~regular] = (np.linalg.pinv(a[~regular], hermitian=True) @ b[~regular][..., None])[..., 0]
    return out


def betas(r: np.ndarray) -> np.ndarray:
    """Standardised coefficients of the outcome on all attributes, shape (..., k)."""
    return _solve(r[..., 1:, 1:], r[..., 1:, 0])


def r_squared(
    r: np.ndarray, attributes: list[int] | None = None, regular: np.ndarray | None = None
) -> np.ndarray:
    """R² of the outcome on the attributes (indices from 0, default all), shape (...);
    `regular`: which of the stack's whole attribute matrices are (`_regular`), if known."""
    chosen = np.arange(r.shape[-1] - 1) if attributes is None else np.asarray(attributes)
    if chosen.size == 0:
        return np.zeros(r.shape[:-2])
    idx = chosen + 1
    rxy = r[..., idx, 0]
    rxx = r[..., idx[:, None], idx[None, :]]
    if regular is None and chosen.size < r.shape[-1] - 1:
        regular = _regular(r[..., 1:, 1:])
    return np.einsum("...i,...i->...", rxy, _solve(rxx, rxy, regular))


def shapley(r: np.ndarray) -> np.ndarray:
    """Each attribute's Shapley share of R² (LMG), shape (..., k): exact over all subsets."""
    k = r.shape[-1] - 1
    if k > SHAPLEY_MAX:
        raise ValueError(f"exact Shapley values take at most {SHAPLEY_MAX} attributes")
    subsets = 1 << k
    regular = _regular(r[..., 1:, 1:])
    fit = np.empty((subsets, *r.shape[:-2]))
    for mask in range(subsets):
        fit[mask] = r_squared(r, [j for j in range(k) if mask >> j & 1], regular)
    masks = np.arange(subsets)
    sizes = np.array([bin(m).count("1") for m in range(subsets)])
    weight = np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    )
    out = np.empty((*r.shape[:-2], k))
    for j in range(k):
        without = masks[(masks >> j & 1) == 0]
        gains = fit[without | 1 << j] - fit[without]
        out[..., j] = np.tensordot(weight[sizes[without]], gains, axes=(0, 0))
    return out


def relative_weights(r: np.ndarray) -> np.ndarray:
    """Johnson's relative weights, shape (..., k): the attributes' share of R² through the
    orthogonal variables closest to them (R_xx = Q Λ Qᵀ, Λ_½ = Q Λ^½ Qᵀ)."""
    values, vectors = np.linalg.eigh(r[..., 1:, 1:])
    half = (vectors * np.sqrt(np.clip(values, 0, None))[..., None, :]) @ np.swapaxes(
        vectors, -1, -2
    )
    beta = _solve(half, r[..., 1:, 0])
    return np.einsum("...jk,...k->...j", half**2, beta**2)


def importance(r: np.ndarray) -> tuple[np.ndarray, str]:
    """Each attribute's importance (adding up to R²) and the method's name."""
    k = r.shape[-1] - 1
    if k <= SHAPLEY_MAX:
        return shapley(r), "shapley"
    return relative_weights(r), "relative_weights"
