"""A Poisson bootstrap that any split of the rows reproduces exactly.

Each row gets, for each of `REPLICATES` replicates, a weight drawn from Poisson(1) (Hanley &
MacGibbon 2006; Chamandy et al. 2012): summing weighted values gives replicate states that merge
by addition, as the data's own does. The weights are not drawn from a random stream, whose
position would depend on how the rows were split between batches, processes and machines: they
are a hash (SplitMix64) of the row's key, its file's name and its row number there, so every
schedule gives each row the same weights, and a rerun the same intervals.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np

REPLICATES = 200  # a multiple of 4: one 64-bit hash gives four 16-bit draws
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, on uint64 arrays (wrapping arithmetic)."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def source_name(path: str, partitions: Sequence[tuple[str, str | None]] = ()) -> str:
    """What a file's row keys start from: its name without folder or extensions (an export,
    its copy elsewhere and its Parquet twin agree) and its hive partition values. Two files of
    one name share weights row by row, which resamples their rows in pairs: still a bootstrap
    of independent rows, unless the files hold the same respondents row for row."""
    stem = path.replace("\\", "/").rstrip("/").rpartition("/")[2]
    stem = stem.partition(".")[0] or stem
    return "/".join([*(f"{k}={v}" for k, v in partitions), stem])


def row_keys(source: str, rows: np.ndarray) -> np.ndarray:
    """Each row's key: its file's `source_name` and its row number in the file, hashed."""
    seed = int.from_bytes(hashlib.blake2b(source.encode(), digest_size=8).digest(), "little")
    with np.errstate(over="ignore"):
        return _mix(rows.astype(np.uint64) ^ np.uint64(seed))


def _poisson_table() -> np.ndarray:
    """Poisson(1) by inverse CDF on a 16-bit uniform: table[u] is the weight of u."""
    cdf = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(12)])
    return np.searchsorted(cdf, (np.arange(1 << 16) + 0.5) / (1 << 16)).astype(np.uint8)


_TABLE = _poisson_table()


def weights(keys: np.ndarray, replicates: int = REPLICATES) -> np.ndarray:
    """The rows' Poisson(1) weights, shape (rows, replicates), as uint8."""
    offsets = np.arange(replicates // 4, dtype=np.uint64) * _GOLDEN
    with np.errstate(over="ignore"):
        hashed = _mix(keys[:, None] + offsets[None, :])
    return _TABLE[hashed.view(np.uint16)]
