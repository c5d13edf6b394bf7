"""Shared state for survey KPIs: exact counts of each score on an integer scale.

The histogram is a sufficient statistic for NPS, CSAT and CES (counts, means, variances and
boxes all follow from it), merges by addition, and groups with one `bincount`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import UsageError
from ..kpi import Kpi

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..values import Parsed, TimeSettings


def parse_scale(text: str, allowed: tuple[str, ...], option: str = "--scale") -> tuple[int, int]:
    """`1-5` → (1, 5), checked against the scales a KPI supports."""
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(text))
    if not match or f"{match.group(1)}-{match.group(2)}" not in allowed:
        raise UsageError(f"{option} {text!r} is not supported; use one of: {', '.join(allowed)}")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class ScoreKpi(Kpi["np.ndarray"]):
    """A KPI over one integer `score` column; the state is counts per score, low to high."""

    time_aliases: ClassVar[tuple[str, ...]] = (
        "submitted_at",
        "response_date",
        "completed_at",
        "responded_at",
        "created_at",
        "timestamp",
        "date",
        "time",
    )

    @property
    def bounds(self) -> tuple[int, int]:
        raise NotImplementedError

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        from ..values import parse_integers

        low, high = self.bounds
        return {"score": parse_integers(columns["score"], low, high)}

    def init(self) -> np.ndarray:
        import numpy as np

        low, high = self.bounds
        return np.zeros(high - low + 1, dtype=np.int64)

    def update(self, state: np.ndarray, values: Mapping[str, np.ndarray]) -> np.ndarray:
        import numpy as np

        low, high = self.bounds  # used scores are in [low, high]: count from 0, drop below low
        return state + np.bincount(values["score"], minlength=high + 1)[low:]

    def update_groups(
        self, values: Mapping[str, np.ndarray], group_ids: np.ndarray, n_groups: int
    ) -> list[np.ndarray]:
        import numpy as np

        low, high = self.bounds
        width = high - low + 1
        flat = np.bincount(group_ids * width + (values["score"] - low), minlength=n_groups * width)
        return list(flat.reshape(n_groups, width))

    def merge(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def from_result(self, result: Mapping[str, Any]) -> np.ndarray | None:
        import numpy as np

        low, high = self.bounds
        counts = (result.get("details") or {}).get("distribution") or {}
        if sorted(counts, key=int) != [str(s) for s in range(low, high + 1)]:
            return None  # another scale: no like-for-like test
        return np.array([int(counts[str(s)]) for s in range(low, high + 1)], dtype=np.int64)

    def distribution(self, state: np.ndarray) -> dict[str, int]:
        low, high = self.bounds
        return dict(zip(map(str, range(low, high + 1)), state.tolist(), strict=True))

    def moments(self, state: np.ndarray) -> tuple[int, float | None, float | None]:
        """n, mean and sample standard deviation of the scores (None where undefined)."""
        import numpy as np

        low, high = self.bounds
        scores = np.arange(low, high + 1, dtype=np.float64)
        n = int(state.sum())
        if n == 0:
            return 0, None, None
        mean = float((scores * state).sum() / n)
        if n < 2:
            return n, mean, None
        variance = float((state * (scores - mean) ** 2).sum() / (n - 1))
        return n, mean, variance**0.5
