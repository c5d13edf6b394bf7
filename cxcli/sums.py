"""Exact sums of scaled values (durations in µs, money and points in millionths) that cannot
overflow: int64 while the batch's largest value times its size fits, otherwise each value
split into two 32-bit limbs, each summed in int64 and joined as a Python int. What reaches a
sum is bounded first by the parsers (AMOUNT_MAX here, the duration limits of the KPIs), so a
sum of any number of values is exact and never wraps."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

AMOUNT_MAX = 1e15  # |amount| above this (in any currency unit, or points) is invalid
_SCALED_MAX = 2.0**70  # |value × scale| a sum takes: 1e15 × 1e6 fits
_LIMB = 1 << 32
_CHUNK = 1 << 24  # values a limb sum adds in int64: 2^38 × 2^24 < 2^63


def exact_total(values: np.ndarray, scale: int) -> int:
    """Σ round(value × scale), exactly; every |value × scale| must be below 2^70."""
    import numpy as np

    scaled = np.rint(np.asarray(values, dtype=np.float64) * scale)
    if not scaled.size:
        return 0
    bound = max(float(scaled.max()), -float(scaled.min()))
    if not bound < _SCALED_MAX:  # NaN included: a parser let through what it should not have
        raise ValueError(f"a value of {bound / scale:g} is beyond what cx sums")
    if bound * scaled.size < 2.0**62:
        return int(scaled.astype(np.int64).sum())
    total = 0
    for start in range(0, scaled.size, _CHUNK):
        part = scaled[start : start + _CHUNK]
        high = np.floor(part / _LIMB)
        low = part - high * _LIMB  # exact: both are whole numbers, low in [0, 2^32)
        total += int(high.astype(np.int64).sum()) * _LIMB + int(low.astype(np.int64).sum())
    return total
