"""Shared state for survey KPIs: exact counts of each score on an integer scale.

The histogram is a sufficient statistic for NPS, CSAT and CES (counts, means, variances and
boxes all follow from it), merges by addition, and groups with one `bincount`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from ..definition import Kpi, option
from ..errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ..labels import LabelSet
    from ..times import TimeSettings
    from ..values import Parsed


def parse_scale(text: str, allowed: tuple[str, ...], option: str = "--scale") -> tuple[int, int]:
    """`1-5` → (1, 5), checked against the scales a KPI supports."""
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(text))
    if not match or f"{match.group(1)}-{match.group(2)}" not in allowed:
        raise UsageError(f"{option} {text!r} is not supported; use one of: {', '.join(allowed)}")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class ScoreKpi(Kpi["np.ndarray"]):
    """A KPI over one integer `score` column; the state is counts per score, low to high.

    Verbal answers (`Very satisfied`, `Strongly agree`, `10 - Extremely likely`) are read as
    the numbers of their scale: the label set is found from a sample of the column (or given
    with --labels), and a KPI with a --scale option takes the labels' scale unless one is given.
    """

    scales: ClassVar[tuple[str, ...]] = ()  # the --scale choices, if the KPI has the option
    default_scale: ClassVar[str] = ""

    labels: str | None = option(
        None,
        "verbal answers as numbers, e.g. 'Awesome=3,Just Okay=2,Not Good=1' (an empty number "
        "means no answer) (default: common answer scales are recognised)",
    )
    label_sets: tuple[LabelSet, ...] = field(default=(), metadata={"cli": False})  # cx.toml
    label_set: LabelSet | None = field(default=None, metadata={"cli": False})  # set by fit

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
        return parse_scale(getattr(self, "scale", None) or self.default_scale, self.scales)

    @property
    def scale_text(self) -> str:
        low, high = self.bounds
        return f"{low}-{high}"

    def params(self) -> dict[str, Any]:
        out = super().params()
        out["labels"] = self.label_set.name if self.label_set else None
        if "scale" in out:
            out["scale"] = self.scale_text
        return out

    def fit(
        self,
        samples: Mapping[str, pa.Array],
        columns: Mapping[str, str],
        notice: Callable[[str], None],
        source: str = "",
    ) -> ScoreKpi:
        """Read the labels the score column holds (or --labels) as the numbers of their scale."""
        from ..labels import choose, parse_labels

        if self.labels:
            found: LabelSet | None = parse_labels(self.labels)
        elif "score" in samples:
            found = choose(self.name, samples["score"], self.label_sets)
        else:
            found = None
        if found is None:
            return self
        column = columns.get("score", "score")
        kpi = self._on_scale(found, column)
        if found.name not in ("given", "numbered"):  # said: cx chose it
            low, high = kpi.bounds
            seen = samples["score"].unique().to_pylist() if "score" in samples else []
            notice(f"{column!r} holds {found.describe(seen)}: read as {low}-{high}")
        elif found.name == "numbered":
            notice(f"{column!r}: answers such as '10 - Extremely likely' read as their number")
        return kpi

    def _on_scale(self, found: LabelSet, column: str) -> ScoreKpi:
        """This KPI reading `found`, on the labels' scale unless --scale was given."""
        numbers = [v for _, v in found.labels if v is not None]
        if not numbers:
            return replace(self, label_set=found)
        span = f"{min(numbers)}-{max(numbers)}"
        given = getattr(self, "scale", None)
        builtin = found.name != "given"
        wanted = f"{found.scale[0]}-{found.scale[1]}" if builtin else span
        if given is None and hasattr(self, "scale") and wanted in self.scales:
            return replace(self, scale=wanted, label_set=found)
        low, high = self.bounds
        fits = (
            (found.scale == (low, high)) if builtin else low <= min(numbers) <= max(numbers) <= high
        )
        if not fits:
            where = (
                f"--scale {given}" if given else f"the {self.scale_text} scale of cx {self.name}"
            )
            raise UsageError(
                f"{column!r} holds {found.describe()} on {wanted}, which {where} does not fit",
                hint="give --scale for the labels, or --labels LABEL=NUMBER,… on the KPI's scale",
            )
        return replace(self, label_set=found)

    def parse(
        self, columns: Mapping[str, pa.Array], times: TimeSettings | None = None
    ) -> dict[str, Parsed]:
        from ..values import parse_integers

        low, high = self.bounds
        score = columns["score"]
        if self.label_set is not None:
            from ..labels import apply

            score = apply(score, self.label_set)
        return {"score": parse_integers(score, low, high)}

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
